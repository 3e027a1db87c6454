/** The Fashion-MNIST subset shipped with tfjs-snn (data/fashion-mnist-subset), read with snn.data. */
import type {ImageDataset} from '../../../dist/types/src/data/index';
import type {LayerTrace} from '../../../dist/types/src/analysis/index';

import {DatasetId, Examples, FitSettings, FrameRange, PageDataset} from './dataset.js';

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

export async function loadSubset(base: string): Promise<PageDataset> {
  const [train, test] = await Promise.all([loadSplit(base, 'train'), loadSplit(base, 'test')]);
  return new FashionSubset(train, test);
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
function tensorsOf(dataset: ImageDataset, start: number, count: number): {x: tf.Tensor4D; y: tf.Tensor2D} {
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

/** Images through the model's encoder, trained with model.fit on tensors of the whole training set. */
class FashionSubset implements PageDataset {
  readonly id: DatasetId = 'fashion-mnist';
  readonly items = 'images';
  readonly classNames = CLASS_NAMES;
  readonly encoder = null;
  readonly pretrained = 'models/fmnist-bntt-t4/model.json';
  readonly frameShape: readonly [number, number, number];

  constructor(
    private readonly train: ImageDataset,
    private readonly test: ImageDataset
  ) {
    this.frameShape = [train.height, train.width, train.channels];
  }

  get trainCount(): number {
    return this.train.count;
  }

  get testCount(): number {
    return this.test.count;
  }

  describe(): string {
    return `${this.trainCount} training and ${this.testCount} test images`;
  }

  testLabels(start: number, count: number): Uint8Array {
    return this.test.labels.subarray(start, start + count);
  }

  testTensors(start: number, count: number): Examples {
    return tensorsOf(this.test, start, count);
  }

  async fit(model: tf.LayersModel, settings: FitSettings, callbacks: tf.CustomCallbackArgs[] | tf.Callback[]) {
    const {x, y} = tensorsOf(this.train, 0, settings.count);
    try {
      await model.fit(x, y, {
        batchSize: settings.batchSize,
        epochs: settings.epochs,
        shuffle: true,
        verbose: 0,
        yieldEvery: 'batch',
        callbacks,
      });
    } finally {
      tf.dispose([x, y]);
    }
  }

  frameRange(frames: Float32Array[]): FrameRange {
    let [low, high] = [0, -Infinity];
    for (const frame of frames) for (const v of frame) [low, high] = [Math.min(low, v), Math.max(high, v)];
    return {low, high: Math.max(high, low + 1e-6)};
  }

  /** Grey levels: black the highest value, white the lowest. */
  drawFrame(values: Float32Array, {low, high}: FrameRange, pixels: ImageData): void {
    values.forEach((v, i) => {
      const shade = 255 - Math.round((255 * (v - low)) / (high - low));
      pixels.data.set([shade, shade, shade, 255], 4 * i);
    });
  }

  inputCaption(input: LayerTrace): string {
    return input.spikes
      ? `Poisson input spike train over ${input.values.length} steps, as in the BNTT paper: a pixel whose ` +
          'normalised value is v spikes with probability |v| and the sign of v (black +1, white −1, grey none)'
      : `direct input: the analog image is the input current at every one of the ${input.values.length} steps; ` +
          'the first convolution + BNTT + LIF turns it into spikes';
  }

  playback(): null {
    return null; // the encoder's output per step is what there is to play
  }
}
