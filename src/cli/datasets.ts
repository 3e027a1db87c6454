/** The datasets the commands read: the embedded Fashion-MNIST subset, or IDX / CIFAR files in a folder. */
import {existsSync} from 'node:fs';
import {dirname, join} from 'node:path';

import {loadCifarDataset} from '../data/cifar';
import {ImageDataset} from '../data/dataset';
import {loadIdxDataset} from '../data/idx';
import {DATASETS} from './args';

/** The folder of this package (where data/ ships), found from this file's location. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'data', 'fashion-mnist-subset'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the tfjs-snn package folder above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

export function firstImages(data: ImageDataset, limit: number|null): ImageDataset {
  if (limit == null || limit >= data.count) return data;
  const pixels = data.height * data.width * data.channels;
  return {...data, count: limit, images: data.images.subarray(0, limit * pixels), labels: data.labels.subarray(0, limit)};
}

/** One split of `dataset` from `dataDir` (null: the embedded Fashion-MNIST subset). */
export function loadSplit(source: {dataset: typeof DATASETS[number], dataDir: string|null},
                          split: 'train'|'test'): Promise<ImageDataset> {
  if (source.dataset === 'cifar10' || source.dataset === 'cifar100') {
    return loadCifarDataset(source.dataDir!, {variant: source.dataset, split});
  }
  const dir = source.dataDir ?? join(packageRoot(), 'data', 'fashion-mnist-subset');
  return loadIdxDataset(dir, {split, name: source.dataset});
}
