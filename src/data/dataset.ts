/** The in-memory form every dataset reader returns, and the argument checks they share. */
import {describeValue, quotedList} from '../errors';

/** The datasets in the IDX format (loadIdxDataset's `name`). */
export const IDX_DATASETS = ['mnist', 'fashion-mnist'] as const;
/** The CIFAR binary distributions (loadCifarDataset's `variant`). */
export const CIFAR_VARIANTS = ['cifar10', 'cifar100'] as const;
/**
 * Every dataset the package reads, the one list the readers, the normalisation table (a Record over it) and the
 * CLI's `--dataset` derive theirs from.
 */
export const DATASET_NAMES = [...IDX_DATASETS, ...CIFAR_VARIANTS] as const;
/** The datasets with a known normalisation (see NORMALIZATION in pipeline.ts). */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** True for a CIFAR dataset name. */
export function isCifar(name: DatasetName): name is (typeof CIFAR_VARIANTS)[number] {
  return (CIFAR_VARIANTS as readonly string[]).includes(name);
}

/**
 * A labelled image set kept as raw bytes: `images` holds `count` images of
 * `height × width × channels` uint8 pixels each, in HWC order, image after image; `labels`
 * holds one class index (< `classes`) per image. Tensors are made batch by batch from it
 * (`batches`, `toTensors`): all of MNIST as float32 tensors would take 188 MB.
 */
export interface ImageDataset {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** Which dataset this is, when known: picks the default normalisation. */
  name?: DatasetName;
}

/** Throws when a label is not below `classes`; `where` names the labels' file or array. */
export function checkLabelRange(labels: Uint8Array, classes: number, where: string) {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new Error(`${where}: label ${labels[i]} at index ${i} is out of range; expected ` +
                      `0..${classes - 1} for ${classes} classes`);
    }
  }
}

export function optionsObject<T>(fn: string, options: T | undefined): Partial<T> {
  if (options == null) return {};
  if (typeof options !== 'object') {
    throw new Error(`${fn}: options must be an object; got ${describeValue(options)}`);
  }
  return options;
}

export function oneOf<T extends string>(fn: string, name: string, value: unknown,
                                        allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const expected = quotedList(allowed);
    throw new Error(`${fn}: option '${name}' must be one of ${expected}; got ${describeValue(value)}`);
  }
  return value as T;
}

export function integerOption(fn: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const expected = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' :
                     min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer ≥ ${min}`;
    throw new Error(`${fn}: option '${name}' must be ${expected}; got ${describeValue(value)}`);
  }
  return value;
}

export function booleanOption(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new Error(`${fn}: option '${name}' must be true or false; got ${describeValue(value)}`);
  }
  return value;
}
