// Normalisation, seeded shuffle, the reference's augmentation and the batch iterator,
// checked against hand-computed values and an independent re-implementation.
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'path';

import {ImageDataset} from '../../src/data/dataset';
import {loadIdxDataset} from '../../src/data/idx';
import {rng as referenceRng} from '../reference/lif_reference';
import {
  augmentationSeed,
  batchCount,
  batches,
  cropAndFlip,
  drawAugmentation,
  mulberry32,
  normalizationTable,
  normalize,
  NORMALIZATION,
  seededShuffle,
  toTensors,
} from '../../src/data/pipeline';

const SUBSET_DIR = path.resolve(__dirname, '../../../../data/fashion-mnist-subset');

/** A dataset whose pixels are all non-zero and distinct per (image, position, channel). */
function syntheticDataset(count: number, height: number, width: number, channels: number, classes = 3): ImageDataset {
  const images = new Uint8Array(count * height * width * channels);
  for (let i = 0; i < images.length; i++) images[i] = 1 + ((i * 37) % 255);
  const labels = Uint8Array.from({length: count}, (_, i) => (i * 2) % classes);
  return {images, labels, count, height, width, channels, classes};
}

/**
 * The expected augmented image, following torchvision literally: pad with zeros into a
 * bigger array, cut the window at (top, left), then mirror the window.
 */
function referenceAugment(
  image: Uint8Array,
  h: number,
  w: number,
  c: number,
  padding: number,
  top: number,
  left: number,
  flip: boolean
): number[] {
  const ph = h + 2 * padding;
  const pw = w + 2 * padding;
  const padded = new Array(ph * pw * c).fill(0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) padded[((y + padding) * pw + x + padding) * c + k] = image[(y * w + x) * c + k];
    }
  }
  const window: number[][][] = [];
  for (let y = 0; y < h; y++) {
    const row: number[][] = [];
    for (let x = 0; x < w; x++)
      row.push(padded.slice(((top + y) * pw + left + x) * c, ((top + y) * pw + left + x + 1) * c));
    window.push(flip ? row.reverse() : row);
  }
  return window.flat(2);
}

function float32Values(tensor: tf.Tensor): number[] {
  return Array.from(tensor.dataSync());
}

describe('normalisation', () => {
  it('has one table of dataset constants', () => {
    expect(NORMALIZATION['fashion-mnist']).toEqual({mean: [0.286], std: [0.353]});
    expect(NORMALIZATION.mnist).toEqual({mean: [0.1307], std: [0.3081]});
    expect(NORMALIZATION.cifar10).toEqual({mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.201]});
    expect(NORMALIZATION.cifar100).toEqual({mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762]});
  });

  it('computes (x / 255 − mean) / std per channel (hand-computed values)', () => {
    const fashion = normalize(Uint8Array.from([0, 255, 51]), 'fashion-mnist');
    expect(fashion).toEqual(jasmine.any(Float32Array));
    [-0.8101983, 2.0226629, -0.2436261].forEach((v, i) => expect(fashion[i]).toBeCloseTo(v, 6));
    // HWC: two pixels of three channels.
    const cifar = normalize(Uint8Array.from([255, 0, 128, 0, 0, 0]), 'cifar10');
    [2.514088, -2.4182548, 0.2759243].forEach((v, i) => expect(cifar[i]).toBeCloseTo(v, 5));
    expect(cifar[3]).toBeCloseTo((0 - 0.4914) / 0.2023, 6);
    expect(normalize(Uint8Array.from([0, 51, 255]), 'unit')).toEqual(Float32Array.from([0, 0.2, 1]));
    expect(normalize(Uint8Array.from([0, 7, 255]), 'none')).toEqual(Float32Array.from([0, 7, 255]));
    const custom = normalize(Uint8Array.from([255, 0]), {mean: [0.5, 0], std: [0.25, 2]});
    expect(Array.from(custom)).toEqual([2, 0]);
    expect(Array.from(normalize(Uint8Array.from([255, 255]), 'unit', 2))).toEqual([1, 1]);
  });

  it('table entry c·256 is the normalised zero (what padding becomes)', () => {
    const table = normalizationTable(NORMALIZATION.cifar100);
    expect(table.length).toBe(3 * 256);
    expect(table[0]).toBeCloseTo(-0.5071 / 0.2673, 6);
    expect(table[256]).toBeCloseTo(-0.4865 / 0.2564, 6);
    expect(table[512 + 255]).toBeCloseTo((1 - 0.4409) / 0.2762, 6);
  });

  it('rejects bad statistics and channel mismatches', () => {
    expect(() => normalize(new Uint8Array(4), {mean: [0], std: [0]})).toThrowError(
      `normalize: option 'normalize' must be one of 'mnist', 'fashion-mnist', 'cifar10', 'cifar100', ` +
        `'unit', 'none' or {mean: number[], std: number[]} with finite means and positive stds; got ` +
        `{"mean":[0],"std":[0]}`
    );
    expect(() => normalize(new Uint8Array(4), 'imagenet' as 'mnist')).toThrowError(/got 'imagenet'$/);
    expect(() => normalize(new Uint8Array(4), 'cifar10')).toThrowError(
      `normalize: 4 pixel values do not split into 3 channels; expected a multiple of 3`
    );
    expect(() => normalize(new Uint8Array(4), {mean: [0, 0], std: [1]})).toThrowError(
      `normalize: option 'normalize' {"mean":[0,0],"std":[1]} has 2 mean and 1 std values; ` +
        `expected one per channel (2)`
    );
  });
});

describe('seeded randomness', () => {
  it('mulberry32 matches the published algorithm and stays in [0, 1)', () => {
    for (const seed of [0, 1, 42, 0xffffffff, -7]) {
      const rng = mulberry32(seed);
      const reference = referenceRng(seed);
      for (let i = 0; i < 1000; i++) {
        const value = rng();
        expect(value).toBe(reference());
        if (value < 0 || value >= 1) fail(`mulberry32(${seed}) gave ${value}`);
      }
    }
  });

  it('seededShuffle: a permutation, deterministic per seed, different across seeds', () => {
    const order = seededShuffle(1000, 5);
    expect(order).toEqual(jasmine.any(Int32Array));
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({length: 1000}, (_, i) => i));
    expect(seededShuffle(1000, 5)).toEqual(order);
    expect(Array.from(seededShuffle(1000, 6))).not.toEqual(Array.from(order));
    expect(Array.from(order)).not.toEqual(Array.from({length: 1000}, (_, i) => i));
    expect(seededShuffle(1000, -1)).toEqual(seededShuffle(1000, 0xffffffff)); // seeds modulo 2^32
    expect(Array.from(seededShuffle(0, 1))).toEqual([]);
    expect(Array.from(seededShuffle(1, 1))).toEqual([0]);
  });

  it('seededShuffle is Fisher–Yates driven by mulberry32 (independent re-implementation)', () => {
    const rng = referenceRng(1234);
    const expected = Array.from({length: 50}, (_, i) => i);
    for (let i = expected.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [expected[i], expected[j]] = [expected[j], expected[i]];
    }
    expect(Array.from(seededShuffle(50, 1234))).toEqual(expected);
  });

  it('rejects bad arguments', () => {
    expect(() => seededShuffle(-1, 0)).toThrowError(
      `seededShuffle: option 'count' must be a non-negative integer; got -1`
    );
    expect(() => seededShuffle(3, 0.5)).toThrowError(`seededShuffle: option 'seed' must be an integer; got 0.5`);
  });
});

describe('augmentation', () => {
  it('cropAndFlip: offset (padding, padding) without flip is the identity; other offsets shift in zeros', () => {
    const image = Uint8Array.from([1, 2, 3, 4, 5, 6]); // 2 × 3, one channel
    expect(Array.from(cropAndFlip(image, 2, 3, 1, 1, {offsetY: 1, offsetX: 1, flip: false}))).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(Array.from(cropAndFlip(image, 2, 3, 1, 1, {offsetY: 1, offsetX: 1, flip: true}))).toEqual([
      3, 2, 1, 6, 5, 4,
    ]);
    expect(Array.from(cropAndFlip(image, 2, 3, 1, 1, {offsetY: 0, offsetX: 0, flip: false}))).toEqual([
      0, 0, 0, 0, 1, 2,
    ]);
    expect(Array.from(cropAndFlip(image, 2, 3, 1, 1, {offsetY: 2, offsetX: 2, flip: false}))).toEqual([
      5, 6, 0, 0, 0, 0,
    ]);
    expect(Array.from(cropAndFlip(image, 2, 3, 1, 1, {offsetY: 2, offsetX: 0, flip: true}))).toEqual([
      5, 4, 0, 0, 0, 0,
    ]);
  });

  it('cropAndFlip equals a literal pad → crop → flip for every offset (two channels)', () => {
    const {images} = syntheticDataset(1, 5, 6, 2);
    for (let top = 0; top <= 4; top++) {
      for (let left = 0; left <= 4; left++) {
        for (const flip of [false, true]) {
          expect(Array.from(cropAndFlip(images, 5, 6, 2, 2, {offsetY: top, offsetX: left, flip})))
            .withContext(`${top} ${left} ${flip}`)
            .toEqual(referenceAugment(images, 5, 6, 2, 2, top, left, flip));
        }
      }
    }
  });

  it('draws offsets uniformly in 0..2·padding and flips with probability ≈ 0.5', () => {
    const rng = mulberry32(99);
    const draws = 36000;
    const offsetCounts = new Array(9).fill(0);
    let flips = 0;
    for (let i = 0; i < draws; i++) {
      const {offsetY, offsetX, flip} = drawAugmentation(rng, 4, true);
      offsetCounts[offsetY]++;
      offsetCounts[offsetX]++;
      if (flip) flips++;
    }
    expect(flips / draws).toBeGreaterThan(0.49);
    expect(flips / draws).toBeLessThan(0.51);
    for (const n of offsetCounts) expect(Math.abs(n / (2 * draws) - 1 / 9)).toBeLessThan(0.005);
    expect(offsetCounts.reduce((a, b) => a + b)).toBe(2 * draws);
  });

  it('draw order: offsetY, offsetX, then flip; nothing drawn for what is off', () => {
    const reference = referenceRng(3);
    const [y, x, f] = [reference(), reference(), reference()];
    expect(drawAugmentation(mulberry32(3), 4, true)).toEqual({
      offsetY: Math.floor(y * 9),
      offsetX: Math.floor(x * 9),
      flip: f < 0.5,
    });
    expect(drawAugmentation(mulberry32(3), 0, true)).toEqual({offsetY: 0, offsetX: 0, flip: y < 0.5});
    expect(drawAugmentation(mulberry32(3), 2, false)).toEqual({
      offsetY: Math.floor(y * 5),
      offsetX: Math.floor(x * 5),
      flip: false,
    });
  });
});

describe('batches', () => {
  const dataset = syntheticDataset(10, 4, 5, 2, 3);

  function collect(options: Parameters<typeof batches>[1], data = dataset) {
    const out = [];
    for (const {x, y, indices} of batches(data, options)) {
      out.push({
        x: float32Values(x),
        xShape: x.shape,
        y: float32Values(y),
        yShape: y.shape,
        indices: Array.from(indices),
      });
      tf.dispose([x, y]);
    }
    return out;
  }

  it('without shuffle: dataset order, a short last batch, normalised images and one-hot labels', () => {
    const result = collect({batchSize: 4, normalize: 'unit'});
    expect(result.map(b => b.indices)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(result.map(b => b.xShape)).toEqual([
      [4, 4, 5, 2],
      [4, 4, 5, 2],
      [2, 4, 5, 2],
    ]);
    expect(result.map(b => b.yShape)).toEqual([
      [4, 3],
      [4, 3],
      [2, 3],
    ]);
    const imageSize = 4 * 5 * 2;
    const expectedX = Array.from(dataset.images.subarray(8 * imageSize), v => Math.fround(v / 255));
    expect(result[2].x).toEqual(expectedX);
    // labels (2i mod 3) of examples 8, 9: 1 and 0.
    expect(result[2].y).toEqual([0, 1, 0, 1, 0, 0]);
    expect(batchCount(10, 4)).toBe(3);
    expect(batchCount(10, 4, true)).toBe(2);
  });

  it('shuffled: every index exactly once per epoch, seededShuffle(count, seed + epoch) order', () => {
    for (const epoch of [0, 1, 2]) {
      const indices = collect({batchSize: 3, shuffle: true, seed: 11, epoch, normalize: 'unit'}).flatMap(
        b => b.indices
      );
      expect(indices).toEqual(Array.from(seededShuffle(10, 11 + epoch)));
      expect([...indices].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    const epoch0 = collect({batchSize: 10, shuffle: true, seed: 11, epoch: 0, normalize: 'unit'})[0].indices;
    const epoch1 = collect({batchSize: 10, shuffle: true, seed: 11, epoch: 1, normalize: 'unit'})[0].indices;
    expect(epoch1).not.toEqual(epoch0);
  });

  it('labels and images follow the shuffled indices', () => {
    const [batch] = collect({batchSize: 10, shuffle: true, seed: 3, normalize: 'none'});
    const imageSize = 4 * 5 * 2;
    batch.indices.forEach((index, k) => {
      expect(batch.y.slice(k * 3, k * 3 + 3)).toEqual([0, 1, 2].map(c => (c === dataset.labels[index] ? 1 : 0)));
      expect(batch.x.slice(k * imageSize, (k + 1) * imageSize)).toEqual(
        Array.from(dataset.images.subarray(index * imageSize, (index + 1) * imageSize))
      );
    });
  });

  it('dropLast leaves out the short batch', () => {
    const result = collect({batchSize: 4, shuffle: true, seed: 1, dropLast: true, normalize: 'unit'});
    expect(result.length).toBe(2);
    const seen = result.flatMap(b => b.indices);
    expect(seen).toEqual(Array.from(seededShuffle(10, 1)).slice(0, 8));
    expect(new Set(seen).size).toBe(8);
  });

  it('augmentation matches an independent re-implementation on the same PRNG stream', () => {
    const seed = 21;
    const epoch = 2;
    const padding = 2;
    const result = collect({batchSize: 3, shuffle: true, seed, epoch, augment: {padding}, normalize: 'none'});
    const rng = referenceRng(((seed + epoch) ^ 0x9e3779b9) >>> 0);
    expect(augmentationSeed(seed, epoch)).toBe(((seed + epoch) ^ 0x9e3779b9) >>> 0);
    const imageSize = 4 * 5 * 2;
    let flips = 0;
    for (const batch of result) {
      batch.indices.forEach((index, k) => {
        const top = Math.floor(rng() * (2 * padding + 1));
        const left = Math.floor(rng() * (2 * padding + 1));
        const flip = rng() < 0.5;
        if (flip) flips++;
        const image = dataset.images.subarray(index * imageSize, (index + 1) * imageSize);
        expect(batch.x.slice(k * imageSize, (k + 1) * imageSize))
          .withContext(`example ${index}`)
          .toEqual(referenceAugment(image, 4, 5, 2, padding, top, left, flip));
      });
    }
    expect(flips).toBeGreaterThan(0);
    // Same seed and epoch: identical batches, whatever the batch size.
    const rerun = collect({batchSize: 7, shuffle: true, seed, epoch, augment: {padding}, normalize: 'none'});
    expect(rerun.flatMap(b => b.x)).toEqual(result.flatMap(b => b.x));
    const otherEpoch = collect({
      batchSize: 3,
      shuffle: true,
      seed,
      epoch: epoch + 1,
      augment: {padding},
      normalize: 'none',
    });
    expect(otherEpoch.flatMap(b => b.x)).not.toEqual(result.flatMap(b => b.x));
  });

  it('padded pixels are the normalised zero, (0 − mean) / std per channel', () => {
    const bright: ImageDataset = {
      images: new Uint8Array(6 * 32 * 32 * 3).fill(200),
      labels: new Uint8Array(6),
      count: 6,
      height: 32,
      width: 32,
      channels: 3,
      classes: 10,
      name: 'cifar10',
    };
    const rng = referenceRng(augmentationSeed(0, 0));
    const {mean, std} = NORMALIZATION.cifar10;
    for (const {x, indices} of collect({batchSize: 6, augment: true}, bright)) {
      indices.forEach((_, k) => {
        const top = Math.floor(rng() * 9);
        const left = Math.floor(rng() * 9);
        const flip = rng() < 0.5;
        const expected = referenceAugment(bright.images.subarray(0, 3072), 32, 32, 3, 4, top, left, flip).map((v, i) =>
          Math.fround((v / 255 - mean[i % 3]) / std[i % 3])
        );
        expect(x.slice(k * 3072, (k + 1) * 3072)).toEqual(expected);
        const zeros = expected.filter((v, i) => v === Math.fround((0 - mean[i % 3]) / std[i % 3])).length;
        expect(zeros).toBe(3 * (32 * 32 - (32 - Math.abs(top - 4)) * (32 - Math.abs(left - 4))));
      });
    }
  }, 10000);

  it('uses the dataset name for the default normalisation, and needs one otherwise', () => {
    const named = {...dataset, channels: 1, width: 10, name: 'mnist' as const};
    const [batch] = collect({batchSize: 1}, named);
    expect(batch.x[0]).toBeCloseTo((dataset.images[0] / 255 - 0.1307) / 0.3081, 6);
    expect(() => batches(dataset, {batchSize: 2})).toThrowError(
      `batches: option 'normalize' is required for a dataset without a name; pass a dataset name ` +
        `('mnist', 'fashion-mnist', 'cifar10', 'cifar100'), {mean, std}, 'unit' (x / 255) or 'none' (raw 0..255)`
    );
  });

  it('checks its options and the dataset when called, before the first batch', () => {
    expect(() => batches(dataset, {batchSize: 0, normalize: 'unit'})).toThrowError(
      `batches: option 'batchSize' must be a positive integer; got 0`
    );
    expect(() => batches(dataset, {batchSize: 2, epoch: -1, normalize: 'unit'})).toThrowError(
      `batches: option 'epoch' must be a non-negative integer; got -1`
    );
    expect(() => batches(dataset, {batchSize: 2, shuffle: 1 as unknown as boolean, normalize: 'unit'})).toThrowError(
      `batches: option 'shuffle' must be true or false; got 1`
    );
    expect(() => batches(dataset, {batchSize: 2, augment: {padding: -1}, normalize: 'unit'})).toThrowError(
      `batches: option 'augment.padding' must be a non-negative integer; got -1`
    );
    expect(() => batches(dataset, {batchSize: 2, normalize: 'cifar10'})).toThrowError(
      `batches: option 'normalize' 'cifar10' has 3 mean and 3 std values; expected one per channel (2)`
    );
    const badLabels = {...dataset, labels: Uint8Array.from([0, 1, 2, 3, 0, 0, 0, 0, 0, 0])};
    expect(() => batches(badLabels, {batchSize: 2, normalize: 'unit'})).toThrowError(
      `batches: dataset.labels: label 3 at index 3 is out of range; expected 0..2 for 3 classes`
    );
    expect(() => batches({...dataset, count: 11}, {batchSize: 2, normalize: 'unit'})).toThrowError(
      `batches: the dataset's 400 pixel values and 10 labels do not match count 11 of 4×5×2 images`
    );
    expect(() => batches({images: [1, 2]} as unknown as ImageDataset, {batchSize: 2})).toThrowError(
      /^batches: expected a dataset \{images: Uint8Array, labels: Uint8Array, count, height, width, channels, classes\}/
    );
  });

  it('leaves no tensors behind once the batches are disposed', () => {
    const start = tf.memory().numTensors;
    let batchesSeen = 0;
    for (const {x, y} of batches(dataset, {batchSize: 3, shuffle: true, augment: true, normalize: 'unit'})) {
      expect(tf.memory().numTensors).toBe(start + 2);
      tf.dispose([x, y]);
      batchesSeen++;
    }
    expect(batchesSeen).toBe(4);
    const {x, y} = toTensors(dataset, {normalize: 'unit'});
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('toTensors and the embedded subset', () => {
  it('toTensors: the first `limit` examples in order, normalised, one-hot', () => {
    const dataset = syntheticDataset(5, 2, 2, 1, 3);
    const {x, y} = toTensors(dataset, {normalize: 'unit', limit: 3});
    expect(x.shape).toEqual([3, 2, 2, 1]);
    expect(y.shape).toEqual([3, 3]);
    expect(float32Values(x)).toEqual(Array.from(dataset.images.subarray(0, 12), v => Math.fround(v / 255)));
    expect(float32Values(y)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    tf.dispose([x, y]);
    const all = toTensors(dataset, {normalize: 'unit', limit: 100});
    expect(all.x.shape[0]).toBe(5);
    tf.dispose([all.x, all.y]);
    expect(() => toTensors(dataset, {normalize: 'unit', limit: -1})).toThrowError(
      `toTensors: option 'limit' must be a non-negative integer; got -1`
    );
  });

  it('trains-style pass over the subset: 2000 images in shuffled, augmented batches', async () => {
    const train = await loadIdxDataset(SUBSET_DIR, {split: 'train', name: 'fashion-mnist'});
    const start = tf.memory().numTensors;
    const seen = new Uint8Array(train.count);
    let sum = 0;
    let values = 0;
    for (const {x, y, indices} of batches(train, {batchSize: 256, shuffle: true, seed: 7, augment: true})) {
      expect(x.shape.slice(1)).toEqual([28, 28, 1]);
      expect(tf.tidy(() => tf.sum(y).arraySync())).toBe(indices.length);
      sum += tf.tidy(() => tf.sum(x).arraySync() as number);
      values += x.size;
      indices.forEach(i => seen[i]++);
      tf.dispose([x, y]);
    }
    expect(seen.every(n => n === 1)).toBe(true);
    // Normalised with the Fashion-MNIST constants: the mean is near 0 (below it: padding adds black).
    expect(sum / values).toBeGreaterThan(-0.35);
    expect(sum / values).toBeLessThan(0.2);
    expect(tf.memory().numTensors).toBe(start);
  });
});
