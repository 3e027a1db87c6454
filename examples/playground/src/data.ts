/** The Fashion-MNIST subset shipped with tfjs-snn (data/fashion-mnist-subset), read with snn.data. */
import type {ImageDataset} from '../../../dist/types/src/data/index';

export const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const FILES = {
  train: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
  test: ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
};

export interface Subset {
  train: ImageDataset;
  test: ImageDataset;
}

export async function loadSubset(base: string): Promise<Subset> {
  const [train, test] = await Promise.all([loadSplit(base, 'train'), loadSplit(base, 'test')]);
  return {train, test};
}

async function loadSplit(base: string, split: 'train' | 'test'): Promise<ImageDataset> {
  const [images, labels] = await Promise.all(
    FILES[split].map(async name => {
      const url = `${base}/${name}`;
      const response = await fetch(url);
      if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
      return snn.data.decodeIdx(new Uint8Array(await response.arrayBuffer()), name);
    })
  );
  const [count, height, width] = images.shape;
  return {
    images: images.data as Uint8Array,
    labels: labels.data as Uint8Array,
    count,
    height,
    width,
    channels: 1,
    classes: 10,
    name: 'fashion-mnist',
  };
}

/** Images start … start + count − 1 as normalised tensors (the constants `tfjs-snn train` uses). */
export function tensorsOf(dataset: ImageDataset, start: number, count: number): {x: tf.Tensor4D; y: tf.Tensor2D} {
  const end = Math.min(start + count, dataset.count);
  const imageSize = dataset.height * dataset.width * dataset.channels;
  const slice: ImageDataset = {
    ...dataset,
    images: dataset.images.subarray(start * imageSize, end * imageSize),
    labels: dataset.labels.subarray(start, end),
    count: end - start,
  };
  return snn.data.toTensors(slice);
}
