/**
 * The datasets the commands read, behind one interface: images (the embedded Fashion-MNIST subset, IDX or CIFAR
 * files in a folder), which a model's encoder turns into spike trains, and event recordings (N-MNIST, DVS Gesture,
 * the generated synthetic set), which become frames `[T, H, W, P]` fed to a model without an encoder.
 */
import type {Tensor} from '@tensorflow/tfjs-core';

import {loadCifarDataset} from '../data/cifar';
import {DATASET_NAMES, DatasetName, ImageDataset, isCifar} from '../data/dataset';
import {loadDvsGesture} from '../data/events/aedat';
import {eventBatches, eventFrameShape, eventTensors} from '../data/events/batches';
import type {EventDataset} from '../data/events/events';
import {loadNmnist} from '../data/events/nmnist';
import {syntheticEvents, SyntheticEventsOptions} from '../data/events/synthetic';
import {loadIdxDataset} from '../data/idx';
import {batches, toTensors} from '../data/pipeline';
import {fashionMnistSubsetDir} from '../data/subset';

/** The event datasets the commands read (--dataset). */
export const EVENT_DATASETS = ['nmnist', 'dvs-gesture', 'synthetic-events'] as const;
export type EventDatasetName = (typeof EVENT_DATASETS)[number];
/** Every --dataset value: the image datasets, then the event datasets. */
export type CommandDataset = DatasetName | EventDatasetName;
export const COMMAND_DATASETS: readonly CommandDataset[] = [...DATASET_NAMES, ...EVENT_DATASETS];

/** True for an event dataset name. */
export function isEventDataset(name: CommandDataset): name is EventDatasetName {
  return (EVENT_DATASETS as readonly string[]).includes(name);
}

/** The recordings of each split of `synthetic-events`: generated, so they ship with the package. */
const SYNTHETIC_SPLITS: Record<'train' | 'test', SyntheticEventsOptions> = {
  train: {samples: 2000, seed: 0},
  test: {samples: 500, seed: 1},
};

/** How each event dataset is read, and the spatial factor its recordings are downsampled by before framing. */
interface EventSource {
  load(dir: string | null, split: 'train' | 'test', limit: number | null): Promise<EventDataset>;
  spatialFactor: number;
  /** Whether --data-dir is needed (the synthetic set is generated). */
  needsDir: boolean;
}

const limitOption = (limit: number | null) => (limit == null ? {} : {limit});

/** A Record: a new event dataset does not compile until it has its reader here. */
const EVENT_SOURCES: Record<EventDatasetName, EventSource> = {
  nmnist: {
    load: (dir, split, limit) => loadNmnist(dir!, {split, ...limitOption(limit)}),
    spatialFactor: 1,
    needsDir: true,
  },
  // 128 × 128 → 32 × 32: the full sensor at T 6 is 16× the small model's cost per example.
  'dvs-gesture': {
    load: (dir, split, limit) => loadDvsGesture(dir!, {split, ...limitOption(limit)}),
    spatialFactor: 0.25,
    needsDir: true,
  },
  'synthetic-events': {
    load: async (_dir, split, limit) => {
      const samples = SYNTHETIC_SPLITS[split].samples!;
      return syntheticEvents({...SYNTHETIC_SPLITS[split], samples: limit == null ? samples : Math.min(limit, samples)});
    },
    spatialFactor: 1,
    needsDir: false,
  },
};

/** The spatial factor an event dataset's recordings are downsampled by before framing (1: none). */
export function spatialFactorOf(name: EventDatasetName): number {
  return EVENT_SOURCES[name].spatialFactor;
}

/** Whether `dataset` can be read without --data-dir. */
export function needsDataDir(dataset: CommandDataset): boolean {
  if (isEventDataset(dataset)) return EVENT_SOURCES[dataset].needsDir;
  return dataset !== 'fashion-mnist'; // the embedded subset
}

/** Batches of one epoch, as train's fitDataset source takes them. */
export interface EpochOptions {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  epoch: number;
  augment: boolean;
  dropLast: boolean;
}

/** One split of a dataset as the commands use it, whatever its kind. */
export interface CommandData {
  kind: 'images' | 'events';
  /** Examples (images or recordings). */
  count: number;
  classes: number;
  /** The models' `inputShape` option: one image, or one frame ([height, width, polarities]). */
  inputShape: [number, number, number];
  /** One epoch's batches; `timeSteps`: the frames per recording (events only). */
  batches(options: EpochOptions, timeSteps: number): Iterator<{x: Tensor; y: Tensor}>;
  /** Every example as one `{x, y}` pair (images normalised; recordings as `timeSteps` frames). */
  tensors(timeSteps: number): {x: Tensor; y: Tensor};
}

function imageData(data: ImageDataset, limit: number | null): CommandData {
  const count = limit == null ? data.count : Math.min(limit, data.count);
  return {
    kind: 'images',
    count,
    classes: data.classes,
    inputShape: [data.height, data.width, data.channels],
    batches: options => batches(limited(data, count), options),
    tensors: () => toTensors(data, {limit: count}),
  };
}

function limited(data: ImageDataset, count: number): ImageDataset {
  if (count >= data.count) return data;
  const pixels = data.height * data.width * data.channels;
  return {...data, count, images: data.images.subarray(0, count * pixels), labels: data.labels.subarray(0, count)};
}

function eventData(data: EventDataset, spatialFactor: number): CommandData {
  const [, height, width, polarities] = eventFrameShape(data, {timeSteps: 1, spatialFactor});
  return {
    kind: 'events',
    count: data.samples.length,
    classes: data.classes.length,
    inputShape: [height, width, polarities],
    batches: ({batchSize, shuffle, seed, epoch, dropLast}, timeSteps) =>
      eventBatches(data, {batchSize, shuffle, seed, epoch, dropLast, timeSteps, spatialFactor}),
    tensors: timeSteps => eventTensors(data, {timeSteps, spatialFactor}),
  };
}

/** One split of `dataset` from `dataDir` (null: the embedded Fashion-MNIST subset, or generated), its first `limit`. */
export async function loadSplit(
  source: {dataset: CommandDataset; dataDir: string | null},
  split: 'train' | 'test',
  limit: number | null
): Promise<CommandData> {
  const {dataset, dataDir} = source;
  if (isEventDataset(dataset)) {
    const events = EVENT_SOURCES[dataset];
    return eventData(await events.load(dataDir, split, limit), events.spatialFactor);
  }
  if (isCifar(dataset)) return imageData(await loadCifarDataset(dataDir!, {variant: dataset, split}), limit);
  const dir = dataDir ?? fashionMnistSubsetDir();
  return imageData(await loadIdxDataset(dir, {split, name: dataset}), limit);
}
