/**
 * Batches of event recordings as the spike-train input of a model: each recording (optionally downsampled) is
 * turned into `timeSteps` frames (`toFrames` with `nTimeBins`) when its batch is taken, so a dataset of recordings
 * is never held as dense frames (all of N-MNIST at T 8 would take 4.4 GB as float32).
 */
import * as tf from '@tensorflow/tfjs-core';

import {describeValue} from '../../errors';
import {booleanOption, integerOption, optionsObject} from '../dataset';
import {batchCount, seededShuffle} from '../pipeline';
import {downsample, downsampledSensorSize} from './filters';
import {checkSensorSize, EventDataset, Events, SensorSize} from './events';
import {toFrames} from './to_frames';

/** How recordings become one model input: `timeSteps` frames (time bins), after an optional spatial downsampling. */
export interface EventFramingOptions {
  /** T: each recording is cut into this many equal time bins (`toFrames`' `nTimeBins`). */
  timeSteps: number;
  /** Coordinates scaled by this factor in (0, 1] first (`downsample`); default 1 (none). */
  spatialFactor?: number;
}

/** The options of `eventBatches`: the framing, the batch size and the order. */
export interface EventBatchOptions extends EventFramingOptions {
  batchSize: number;
  /** Visit the recordings in the order seededShuffle(count, seed + epoch). Default false. */
  shuffle?: boolean;
  /** Integer seed of the shuffle. Default 0. */
  seed?: number;
  /** The epoch number (0, 1, …): each epoch gets its own order. Default 0. */
  epoch?: number;
  /** Leave out the last batch when it is smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/**
 * One batch: `x` `[b, T, height, width, polarities]` float32 event counts, `y` `[b, classes]` one-hot labels, and the
 * dataset indices of its recordings. The caller owns (and must dispose) `x` and `y`.
 */
export interface EventBatch {
  x: tf.Tensor;
  y: tf.Tensor2D;
  indices: Int32Array;
}

interface Framing {
  timeSteps: number;
  spatialFactor: number;
  /** The sensor after downsampling: [width, height, polarities]. */
  sensor: SensorSize;
}

function checkDataset(fn: string, dataset: unknown): asserts dataset is EventDataset {
  const d = dataset as EventDataset | null;
  const ok =
    d != null &&
    typeof d === 'object' &&
    Array.isArray(d.samples) &&
    d.labels instanceof Int32Array &&
    d.labels.length === d.samples.length &&
    Array.isArray(d.classes) &&
    d.classes.length >= 1;
  if (!ok) {
    throw new Error(
      `${fn}: argument 'dataset' must be an EventDataset {samples, labels, sensorSize, classes} (from loadNmnist, ` +
        `loadDvsGesture, syntheticEvents); got ${describeValue(dataset)}`
    );
  }
  checkSensorSize(fn, d.sensorSize, 'dataset.sensorSize');
}

function resolveFraming(fn: string, dataset: EventDataset, opts: Partial<EventFramingOptions>): Framing {
  const timeSteps = integerOption(fn, 'timeSteps', opts.timeSteps, 1);
  const spatialFactor = opts.spatialFactor ?? 1;
  if (typeof spatialFactor !== 'number' || !(spatialFactor > 0 && spatialFactor <= 1)) {
    throw new Error(`${fn}: option 'spatialFactor' must be a number in (0, 1]; got ${describeValue(spatialFactor)}`);
  }
  return {timeSteps, spatialFactor, sensor: downsampledSensorSize(dataset.sensorSize, spatialFactor)};
}

/**
 * The shape of one model input for `dataset` framed by `options`: `[T, height, width, polarities]` (the
 * `inputShape` of a model that takes these trains is its last three entries, with `timeSteps` T).
 *
 * @example
 * ```js
 * const data = snn.data.syntheticEvents({samples: 10});
 * console.log(snn.data.eventFrameShape(data, {timeSteps: 8}));                      // [8, 32, 32, 2]
 * console.log(snn.data.eventFrameShape(data, {timeSteps: 8, spatialFactor: 0.5}));  // [8, 16, 16, 2]
 * ```
 */
export function eventFrameShape(dataset: EventDataset, options: EventFramingOptions): [number, number, number, number] {
  const fn = 'eventFrameShape';
  checkDataset(fn, dataset);
  const {timeSteps, sensor} = resolveFraming(fn, dataset, optionsObject(fn, options));
  return [timeSteps, sensor[1], sensor[0], sensor[2]];
}

function framesOf(dataset: EventDataset, index: number, framing: Framing): Float32Array {
  let events: Events = dataset.samples[index];
  let sensorSize = dataset.sensorSize;
  if (framing.spatialFactor !== 1) ({events, sensorSize} = downsample(events, {sensorSize, spatialFactor: framing.spatialFactor}));
  return toFrames(events, {sensorSize, nTimeBins: framing.timeSteps}).data;
}

function makeBatch(dataset: EventDataset, indices: Int32Array, framing: Framing): EventBatch {
  const [width, height, polarities] = framing.sensor;
  const size = framing.timeSteps * height * width * polarities;
  const classes = dataset.classes.length;
  const x = new Float32Array(indices.length * size);
  const y = new Float32Array(indices.length * classes);
  indices.forEach((index, i) => {
    try {
      x.set(framesOf(dataset, index, framing), i * size);
    } catch (error) {
      throw new Error(`recording ${index} of the dataset: ${(error as Error).message}`, {cause: error});
    }
    const label = dataset.labels[index];
    if (!(label >= 0 && label < classes)) {
      throw new Error(`recording ${index} of the dataset has label ${label}; expected 0..${classes - 1} (${classes} classes)`);
    }
    y[i * classes + label] = 1;
  });
  return {
    x: tf.tensor(x, [indices.length, framing.timeSteps, height, width, polarities], 'float32'),
    y: tf.tensor2d(y, [indices.length, classes], 'float32'),
    indices,
  };
}

/**
 * Iterates over one epoch of an event dataset, one batch at a time: each recording becomes `timeSteps` frames of
 * event counts (`toFrames` with `nTimeBins`, after `downsample` when `spatialFactor` < 1) only when its batch is
 * taken; the consumer disposes the tensors. Page: docs/events.md.
 *
 * @example
 * ```js
 * const data = snn.data.syntheticEvents({samples: 64, seed: 0});
 * const model = snn.models.small({inputShape: [32, 32, 2], numClasses: 10, timeSteps: 8, encoder: 'none'});
 * model.compile({optimizer: tf.train.adam(1e-3), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
 * for (const {x, y} of snn.data.eventBatches(data, {timeSteps: 8, batchSize: 16, shuffle: true, seed: 1})) {
 *   await model.trainOnBatch(x, y);     // x [16, 8, 32, 32, 2] event counts, y [16, 10] one-hot
 *   tf.dispose([x, y]);
 *   break;                              // (one batch, for the example)
 * }
 * ```
 */
export function* eventBatches(dataset: EventDataset, options: EventBatchOptions): Generator<EventBatch, void, undefined> {
  const fn = 'eventBatches';
  checkDataset(fn, dataset);
  const opts = optionsObject(fn, options);
  const framing = resolveFraming(fn, dataset, opts);
  const batchSize = integerOption(fn, 'batchSize', opts.batchSize, 1);
  const shuffle = booleanOption(fn, 'shuffle', opts.shuffle ?? false);
  const seed = integerOption(fn, 'seed', opts.seed ?? 0, Number.MIN_SAFE_INTEGER);
  const epoch = integerOption(fn, 'epoch', opts.epoch ?? 0, 0);
  const dropLast = booleanOption(fn, 'dropLast', opts.dropLast ?? false);
  const count = dataset.samples.length;
  const order = shuffle ? seededShuffle(count, seed + epoch) : Int32Array.from({length: count}, (_, i) => i);
  const batches = batchCount(count, batchSize, dropLast);
  for (let b = 0; b < batches; b++) {
    yield makeBatch(dataset, order.slice(b * batchSize, Math.min((b + 1) * batchSize, count)), framing);
  }
}

/**
 * The first `limit` recordings (default all) as one `{x, y}` pair, in dataset order: `x` `[n, T, height, width,
 * polarities]` event counts, `y` one-hot. For evaluation sets small enough to hold as float32.
 *
 * @example
 * ```js
 * const test = snn.data.syntheticEvents({samples: 20, seed: 1});
 * const {x, y} = snn.data.eventTensors(test, {timeSteps: 8, limit: 10});
 * console.log(x.shape, y.shape);   // [10, 8, 32, 32, 2] [10, 10]
 * ```
 */
export function eventTensors(
  dataset: EventDataset,
  options: EventFramingOptions & {limit?: number}
): {x: tf.Tensor; y: tf.Tensor2D} {
  const fn = 'eventTensors';
  checkDataset(fn, dataset);
  const opts = optionsObject(fn, options);
  const framing = resolveFraming(fn, dataset, opts);
  const limit = integerOption(fn, 'limit', opts.limit ?? dataset.samples.length, 0);
  const count = Math.min(limit, dataset.samples.length);
  const {x, y} = makeBatch(dataset, Int32Array.from({length: count}, (_, i) => i), framing);
  return {x, y};
}
