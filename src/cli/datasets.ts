/** The datasets the commands read: the embedded Fashion-MNIST subset, or IDX / CIFAR files in a folder. */
import {loadCifarDataset} from '../data/cifar';
import {ImageDataset} from '../data/dataset';
import {loadIdxDataset} from '../data/idx';
import {fashionMnistSubsetDir} from '../data/subset';
import {DatasetName, isCifar} from '../data/dataset';

export function firstImages(data: ImageDataset, limit: number | null): ImageDataset {
  if (limit == null || limit >= data.count) return data;
  const pixels = data.height * data.width * data.channels;
  return {
    ...data,
    count: limit,
    images: data.images.subarray(0, limit * pixels),
    labels: data.labels.subarray(0, limit),
  };
}

/** One split of `dataset` from `dataDir` (null: the embedded Fashion-MNIST subset). */
export function loadSplit(
  source: {dataset: DatasetName; dataDir: string | null},
  split: 'train' | 'test'
): Promise<ImageDataset> {
  if (isCifar(source.dataset)) {
    return loadCifarDataset(source.dataDir!, {variant: source.dataset, split});
  }
  const dir = source.dataDir ?? fashionMnistSubsetDir();
  return loadIdxDataset(dir, {split, name: source.dataset});
}
