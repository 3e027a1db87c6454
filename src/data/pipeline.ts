/**
 * From raw uint8 datasets to training batches: per-channel normalisation, a seeded PRNG and
 * shuffle, the reference's augmentation (random crop with 4-pixel zero padding, horizontal
 * flip) and a batch iterator. Augmentation and normalisation run on typed arrays in JS, so a
 * batch costs one tensor upload and reruns with the same seed are bit-identical.
 */
import * as tf from '@tensorflow/tfjs-core';

import {describeValue, quotedList} from '../errors';
import {
  booleanOption,
  checkLabelRange,
  DATASET_NAMES,
  DatasetName,
  ImageDataset,
  integerOption,
  optionsObject,
} from './dataset';

/** Per-channel mean and standard deviation of pixel values scaled to [0, 1]. */
export interface NormalizationStats {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * The normalisation constants of each dataset, as the reference code (Kim & Panda 2021) and
 * the usual PyTorch recipes use them: `x' = (x / 255 − mean[c]) / std[c]`.
 */
export const NORMALIZATION: Readonly<Record<DatasetName, NormalizationStats>> = {
  'mnist': {mean: [0.1307], std: [0.3081]},
  'fashion-mnist': {mean: [0.2860], std: [0.3530]},
  'cifar10': {mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010]},
  'cifar100': {mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762]},
};

/**
 * A dataset name (its constants from NORMALIZATION), explicit statistics, 'unit' (x / 255,
 * in [0, 1], e.g. for Poisson rate coding) or 'none' (the raw 0..255 values as floats).
 */
export type NormalizeOption = DatasetName | NormalizationStats | 'unit' | 'none';


/** The statistics an option stands for, checked against the images' channel count. */
export function resolveNormalization(option: NormalizeOption, channels: number,
                                     fn = 'resolveNormalization'): NormalizationStats {
  const stats = statsOf(option, channels, fn);
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new Error(`${fn}: option 'normalize' ${describeValue(option)} has ${stats.mean.length} ` +
                    `mean and ${stats.std.length} std values; expected one per channel (${channels})`);
  }
  return stats;
}

function statsOf(option: NormalizeOption, channels: number, fn: string): NormalizationStats {
  if (option === 'unit') return {mean: filled(channels, 0), std: filled(channels, 1)};
  if (option === 'none') return {mean: filled(channels, 0), std: filled(channels, 1 / 255)};
  if (typeof option === 'string' && (DATASET_NAMES as readonly string[]).includes(option)) {
    return NORMALIZATION[option];
  }
  const stats = option as Partial<NormalizationStats> | null;
  const isNumbers = (values: unknown, ok: (x: number) => boolean) => Array.isArray(values) &&
      values.every(x => typeof x === 'number' && Number.isFinite(x) && ok(x));
  if (stats == null || !isNumbers(stats.mean, () => true) || !isNumbers(stats.std, x => x > 0)) {
    const names = quotedList(DATASET_NAMES);
    throw new Error(`${fn}: option 'normalize' must be one of ${names}, 'unit', 'none' or ` +
                    `{mean: number[], std: number[]} with finite means and positive stds; got ` +
                    `${describeValue(option)}`);
  }
  return stats as NormalizationStats;
}

function filled(length: number, value: number): number[] {
  return new Array<number>(length).fill(value);
}

/**
 * The normalised value of every uint8 pixel value in every channel: entry `c * 256 + v` is
 * float32 `(v / 255 − mean[c]) / std[c]`. Entry `c * 256` is what a zero (padding) pixel
 * becomes.
 */
export function normalizationTable(stats: NormalizationStats): Float32Array {
  const table = new Float32Array(stats.mean.length * 256);
  stats.mean.forEach((mean, c) => {
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - mean) / stats.std[c];
  });
  return table;
}

/**
 * Normalises HWC uint8 pixels per channel into a new Float32Array:
 * `(x / 255 − mean[c]) / std[c]`. `channels` defaults to the statistics' length (1 for
 * 'unit' and 'none').
 *
 * @example
 * ```js
 * const x = snn.data.normalize(new Uint8Array([0, 255]), 'fashion-mnist');
 * console.log(x);                              // Float32Array [-0.8102, 2.0227] ((x/255 − 0.2860) / 0.3530)
 * ```
 */
export function normalize(pixels: Uint8Array, normalization: NormalizeOption,
                          channels = channelsOf(normalization)): Float32Array {
  const stats = resolveNormalization(normalization, channels, 'normalize');
  if (pixels.length % channels !== 0) {
    throw new Error(`normalize: ${pixels.length} pixel values do not split into ${channels} ` +
                    `channels; expected a multiple of ${channels}`);
  }
  const out = new Float32Array(pixels.length);
  normalizeInto(pixels, normalizationTable(stats), channels, out, 0);
  return out;
}

function channelsOf(normalization: NormalizeOption): number {
  if (typeof normalization === 'string') {
    return (DATASET_NAMES as readonly string[]).includes(normalization) ?
        NORMALIZATION[normalization as DatasetName].mean.length : 1;
  }
  return Array.isArray(normalization?.mean) ? normalization.mean.length : 1;
}

function normalizeInto(pixels: Uint8Array, table: Float32Array, channels: number,
                       out: Float32Array, offset: number) {
  for (let i = 0; i < pixels.length; i += channels) {
    for (let c = 0; c < channels; c++) out[offset + i + c] = table[c * 256 + pixels[i + c]];
  }
}

// ---------------------------------------------------------------------------------------
// Seeded randomness

/**
 * mulberry32 (Tommy Ettinger, public domain): a generator with 32 bits of state returning
 * uniform floats in [0, 1) in steps of 2^-32. Seeds are taken modulo 2^32.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6D2B79F5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n): floor(rng() · n); the bias, under n / 2^32, is negligible here. */
export function randomIndex(rng: () => number, n: number): number {
  return Math.floor(rng() * n);
}

/**
 * A permutation of 0..count−1 that depends only on `seed`: Fisher–Yates (from the last
 * position down, swapping position i with randomIndex(rng, i + 1)) driven by mulberry32(seed).
 */
export function seededShuffle(count: number, seed: number): Int32Array {
  integerOption('seededShuffle', 'count', count, 0);
  integerOption('seededShuffle', 'seed', seed, Number.MIN_SAFE_INTEGER);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const rng = mulberry32(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = randomIndex(rng, i + 1);
    const held = order[i];
    order[i] = order[j];
    order[j] = held;
  }
  return order;
}

/** The seed of the augmentation stream of an epoch, apart from the shuffle's seed + epoch. */
export function augmentationSeed(seed: number, epoch: number): number {
  return ((seed + epoch) ^ 0x9E3779B9) >>> 0;
}

// ---------------------------------------------------------------------------------------
// Augmentation

/** torchvision's RandomCrop(size, padding) then RandomHorizontalFlip(0.5). */
export interface AugmentOptions {
  /** Zero padding on each side before the crop back to the original size. Default 4; 0: no crop. */
  padding?: number;
  /** Mirror left–right with probability 0.5. Default true. */
  flip?: boolean;
}

/** One draw: the crop's top-left corner in the padded image (0..2·padding) and the flip. */
export interface AugmentParams {
  offsetY: number;
  offsetX: number;
  flip: boolean;
}

/**
 * Draws one image's augmentation: offsetY, then offsetX (each randomIndex(rng, 2·padding + 1),
 * only when padding > 0, as torchvision draws row then column), then the flip
 * (rng() < 0.5, only when `flip`).
 */
export function drawAugmentation(rng: () => number, padding: number, flip: boolean): AugmentParams {
  const span = 2 * padding + 1;
  const offsetY = padding > 0 ? randomIndex(rng, span) : 0;
  const offsetX = padding > 0 ? randomIndex(rng, span) : 0;
  return {offsetY, offsetX, flip: flip ? rng() < 0.5 : false};
}

/**
 * Crops a height × width window out of the HWC image padded with `padding` zero pixels on
 * every side, then mirrors it when `params.flip`. Zero pixels are raw black, as torchvision
 * pads the image before ToTensor/Normalize, so they normalise to (0 − mean) / std.
 */
export function cropAndFlip(image: Uint8Array, height: number, width: number, channels: number,
                            padding: number, params: AugmentParams,
                            out = new Uint8Array(image.length)): Uint8Array {
  for (let y = 0; y < height; y++) {
    const sourceY = y + params.offsetY - padding;
    const rowInside = sourceY >= 0 && sourceY < height;
    for (let x = 0; x < width; x++) {
      const sourceX = (params.flip ? width - 1 - x : x) + params.offsetX - padding;
      const inside = rowInside && sourceX >= 0 && sourceX < width;
      const target = (y * width + x) * channels;
      const source = (sourceY * width + sourceX) * channels;
      for (let c = 0; c < channels; c++) out[target + c] = inside ? image[source + c] : 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Batches

/** The options of `batches`: the batch size, the order, augmentation and normalisation. */
export interface BatchOptions {
  batchSize: number;
  /** Visit the examples in the order seededShuffle(count, seed + epoch). Default false. */
  shuffle?: boolean;
  /** Integer seed of the shuffle and of the augmentation. Default 0. */
  seed?: number;
  /** The epoch number (0, 1, …): each epoch gets its own order and augmentation. Default 0. */
  epoch?: number;
  /** true: crop with padding 4 and flip; or the options. Default false. */
  augment?: boolean | AugmentOptions;
  /** Leave out the last batch when it is smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Default: the dataset's own constants (dataset.name); required for unnamed datasets. */
  normalize?: NormalizeOption;
}

/**
 * One batch: `x` [b, height, width, channels] float32 normalised images, `y` [b, classes]
 * one-hot float32 labels, and the dataset indices of its examples. The caller owns (and
 * must dispose) `x` and `y`.
 */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  indices: Int32Array;
}

interface EpochPlan {
  order: Int32Array;
  batchSize: number;
  dropLast: boolean;
  table: Float32Array;
  augment: Required<AugmentOptions> | null;
  rng: () => number;
}

/**
 * Iterates over one epoch, one batch at a time; tensors are made only when a batch is
 * taken, and the consumer disposes them. Augmentation draws come from
 * mulberry32(augmentationSeed(seed, epoch)), one drawAugmentation per example in visiting
 * order, so a rerun with the same seed and epoch gives identical batches whatever the batch
 * size. Page: docs/data.md.
 *
 * @example
 * ```js
 * const dir = 'node_modules/tfjs-snn/data/fashion-mnist-subset';   // the bundled subset
 * const train = await snn.data.loadIdxDataset(dir, {name: 'fashion-mnist'});
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10, timeSteps: 2});
 * model.compile({optimizer: tf.train.adam(1e-3), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
 * for (const {x, y} of snn.data.batches(train, {batchSize: 16, shuffle: true, seed: 1, epoch: 0})) {
 *   await model.trainOnBatch(x, y);            // x [16, 28, 28, 1] normalised, y [16, 10] one-hot
 *   tf.dispose([x, y]);                        // the consumer owns each batch
 *   break;                                     // (one batch, for the example)
 * }
 * ```
 */
export function batches(dataset: ImageDataset, options: BatchOptions): Generator<Batch, void, undefined> {
  return generateBatches(dataset, planEpoch(dataset, options, 'batches'));
}

/** How many batches `batches` yields. */
export function batchCount(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

function* generateBatches(dataset: ImageDataset, plan: EpochPlan): Generator<Batch, void, undefined> {
  const {order, batchSize} = plan;
  for (let start = 0; start < order.length; start += batchSize) {
    const end = Math.min(start + batchSize, order.length);
    if (plan.dropLast && end - start < batchSize) return;
    yield makeBatch(dataset, order.slice(start, end), plan);
  }
}

function planEpoch(dataset: ImageDataset, options: BatchOptions, fn: string): EpochPlan {
  checkDataset(dataset, fn);
  const opts = optionsObject(fn, options);
  const batchSize = integerOption(fn, 'batchSize', opts.batchSize, 1);
  const shuffle = booleanOption(fn, 'shuffle', opts.shuffle ?? false);
  const seed = integerOption(fn, 'seed', opts.seed ?? 0, Number.MIN_SAFE_INTEGER);
  const epoch = integerOption(fn, 'epoch', opts.epoch ?? 0, 0);
  const dropLast = booleanOption(fn, 'dropLast', opts.dropLast ?? false);
  const order = shuffle ? seededShuffle(dataset.count, seed + epoch) : sequence(dataset.count);
  return {order, batchSize, dropLast, table: tableFor(dataset, opts.normalize, fn),
          augment: resolveAugment(opts.augment ?? false, fn),
          rng: mulberry32(augmentationSeed(seed, epoch))};
}

function tableFor(dataset: ImageDataset, option: NormalizeOption | undefined, fn: string): Float32Array {
  const chosen = option ?? dataset.name;
  if (chosen == null) {
    throw new Error(`${fn}: option 'normalize' is required for a dataset without a name; pass ` +
                    `a dataset name (${quotedList(DATASET_NAMES)}), ` +
                    `{mean, std}, 'unit' (x / 255) or 'none' (raw 0..255)`);
  }
  return normalizationTable(resolveNormalization(chosen, dataset.channels, fn));
}

function resolveAugment(option: boolean | AugmentOptions, fn: string): Required<AugmentOptions> | null {
  if (option === false) return null;
  if (option === true) return {padding: 4, flip: true};
  if (option == null || typeof option !== 'object') {
    throw new Error(`${fn}: option 'augment' must be true, false or {padding?, flip?}; got ` +
                    `${describeValue(option)}`);
  }
  return {padding: integerOption(fn, 'augment.padding', option.padding ?? 4, 0),
          flip: booleanOption(fn, 'augment.flip', option.flip ?? true)};
}

function sequence(count: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}

function checkDataset(dataset: ImageDataset, fn: string) {
  const d = dataset as Partial<ImageDataset> | null;
  const dims = [d?.count, d?.height, d?.width, d?.channels, d?.classes];
  if (d == null || !(d.images instanceof Uint8Array) || !(d.labels instanceof Uint8Array) ||
      !dims.every(n => Number.isSafeInteger(n) && (n as number) >= 0)) {
    throw new Error(`${fn}: expected a dataset {images: Uint8Array, labels: Uint8Array, count, ` +
                    `height, width, channels, classes} as loadIdxDataset returns; got ` +
                    `${d == null ? String(d) : `an object with keys ${Object.keys(d).join(', ')}`}`);
  }
  const imageSize = dataset.height * dataset.width * dataset.channels;
  if (dataset.images.length !== dataset.count * imageSize || dataset.labels.length !== dataset.count) {
    throw new Error(`${fn}: the dataset's ${dataset.images.length} pixel values and ` +
                    `${dataset.labels.length} labels do not match count ${dataset.count} of ` +
                    `${dataset.height}×${dataset.width}×${dataset.channels} images`);
  }
  checkLabelRange(dataset.labels, dataset.classes, `${fn}: dataset.labels`);
}

function makeBatch(dataset: ImageDataset, indices: Int32Array, plan: EpochPlan): Batch {
  const {height, width, channels, classes} = dataset;
  const imageSize = height * width * channels;
  // A new array per batch: the cpu backend keeps the array passed to tf.tensor, uncopied.
  const x = new Float32Array(indices.length * imageSize);
  const y = new Float32Array(indices.length * classes);
  const scratch = new Uint8Array(imageSize);
  indices.forEach((index, k) => {
    let image = dataset.images.subarray(index * imageSize, (index + 1) * imageSize);
    if (plan.augment != null) {
      const params = drawAugmentation(plan.rng, plan.augment.padding, plan.augment.flip);
      image = cropAndFlip(image, height, width, channels, plan.augment.padding, params, scratch);
    }
    normalizeInto(image, plan.table, channels, x, k * imageSize);
    y[k * classes + dataset.labels[index]] = 1;
  });
  return {x: tf.tensor4d(x, [indices.length, height, width, channels], 'float32'),
          y: tf.tensor2d(y, [indices.length, classes], 'float32'), indices};
}

/** The options of `toTensors` (all optional). */
export interface ToTensorsOptions {
  /** Default: the dataset's own constants (dataset.name). */
  normalize?: NormalizeOption;
  /** Take only the first `limit` examples (all when the dataset is smaller). */
  limit?: number;
}

/**
 * The first `limit` examples (default all) as `{x, y}` tensors, in dataset order, without
 * augmentation: for evaluation sets small enough to hold as float32 (4·H·W·C bytes per image).
 *
 * @example
 * ```js
 * const dir = 'node_modules/tfjs-snn/data/fashion-mnist-subset';   // the bundled subset
 * const test = await snn.data.loadIdxDataset(dir, {split: 'test', name: 'fashion-mnist'});
 * const {x, y} = snn.data.toTensors(test, {limit: 100});
 * console.log(x.shape, y.shape);               // [100, 28, 28, 1] [100, 10]
 * ```
 */
export function toTensors(dataset: ImageDataset, options?: ToTensorsOptions): {x: tf.Tensor4D, y: tf.Tensor2D} {
  const fn = 'toTensors';
  checkDataset(dataset, fn);
  const opts = optionsObject(fn, options);
  const limit = integerOption(fn, 'limit', opts.limit ?? dataset.count, 0);
  const plan: EpochPlan = {order: sequence(Math.min(limit, dataset.count)), batchSize: 1,
                           dropLast: false, table: tableFor(dataset, opts.normalize, fn),
                           augment: null, rng: () => 0};
  const {x, y} = makeBatch(dataset, plan.order, plan);
  return {x, y};
}
