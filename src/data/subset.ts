/**
 * The Fashion-MNIST subset that ships in the package's `data/fashion-mnist-subset/` (2,000 training and 1,000
 * test images, IDX gz): its folder, and a loader. Node only: the folder is found from this module's file.
 */
import {builtinSync, isNode, moduleFile} from '../node_builtins';
import {ImageDataset, oneOf, optionsObject} from './dataset';
import {loadIdxDataset, Split} from './idx';

interface NodePath {
  dirname(path: string): string;
  join(...paths: string[]): string;
}
interface NodeFs {
  existsSync(path: string): boolean;
}

const SUBSET = ['data', 'fashion-mnist-subset'];

/**
 * The folder of the Fashion-MNIST subset that ships with tfjs-snn (`data/fashion-mnist-subset` in the installed
 * package): 2,000 training and 1,000 test images, the first 200 / 100 of each class, as IDX gz files that
 * {@link loadIdxDataset} reads. Node only.
 *
 * @example
 * const train = await snn.data.loadIdxDataset(snn.data.fashionMnistSubsetDir(), {split: 'train', name: 'fashion-mnist'});
 */
export function fashionMnistSubsetDir(): string {
  const fn = 'fashionMnistSubsetDir';
  const file = isNode() ? moduleFile() : null;
  if (file == null) {
    throw new Error(`${fn}: the bundled Fashion-MNIST subset is a folder of the installed package, readable only ` +
                    `in Node.js; in the browser fetch its IDX files and parse them with parseIdx`);
  }
  const path = builtinSync<NodePath>('node:path');
  const fs = builtinSync<NodeFs>('node:fs');
  if (path == null || fs == null) {
    // Node < 20.16: no synchronous built-ins from an ES module; the bundles lie in <package>/dist.
    return `${file.replace(/[\\/][^\\/]*[\\/][^\\/]*$/, '')}/${SUBSET.join('/')}`;
  }
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, ...SUBSET);
    if (fs.existsSync(path.join(candidate, 'train-images-idx3-ubyte.gz'))) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`${fn}: no ${SUBSET.join('/')} in any folder above '${file}'; is the tfjs-snn package ` +
                      `complete?`);
    }
  }
}

/**
 * Loads one split of the Fashion-MNIST subset that ships with tfjs-snn (see {@link fashionMnistSubsetDir}):
 * 2,000 training or 1,000 test images, named 'fashion-mnist' (so batches normalise with its mean and std).
 * Node only.
 *
 * @example
 * const train = await snn.data.loadFashionMnistSubset({split: 'train'});
 * const {x, y} = snn.data.toTensors(train, {limit: 256});   // [256, 28, 28, 1] normalised, [256, 10] one-hot
 */
export async function loadFashionMnistSubset(options?: {split?: Split}): Promise<ImageDataset> {
  const fn = 'loadFashionMnistSubset';
  const opts = optionsObject(fn, options);
  const unknown = Object.keys(opts).find(key => key !== 'split');
  if (unknown != null) throw new Error(`${fn}: unknown option '${unknown}'; expected split`);
  const split = oneOf(fn, 'split', opts.split ?? 'train', ['train', 'test'] as const);
  return loadIdxDataset(fashionMnistSubsetDir(), {split, name: 'fashion-mnist'});
}
