/** Seeded train/test splits of an event dataset, the same on every machine (seededShuffle: mulberry32). */
import {describeValue} from '../../errors';
import {integerOption, optionsObject} from '../dataset';
import {seededShuffle} from '../pipeline';
import {EventDataset} from './events';

/** The options of `splitEvents`. */
export interface SplitEventsOptions {
  /** The fraction of each class's recordings that goes to `test`, in [0, 1]. Default 0.2. */
  testFraction?: number;
  /** Integer seed of the shuffle. Default 0. */
  seed?: number;
}

/**
 * Splits a dataset class by class: each class's recordings are permuted by `seededShuffle(count, seed)` and the
 * first `round(count · testFraction)` go to `test`, the rest to `train`; both keep the dataset's order. The
 * recordings are shared, not copied.
 *
 * @example
 * ```js
 * const data = snn.data.syntheticEvents({samples: 20, seed: 1});
 * const {train, test} = snn.data.splitEvents(data, {testFraction: 0.25, seed: 7});
 * console.log(train.samples.length, test.samples.length);   // 10 10: round(2 · 0.25) = 1 of each class's 2
 * ```
 */
export function splitEvents(dataset: EventDataset, options?: SplitEventsOptions): {train: EventDataset; test: EventDataset} {
  const fn = 'splitEvents';
  const opts = optionsObject(fn, options);
  const fraction = opts.testFraction ?? 0.2;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
    throw new Error(`${fn}: option 'testFraction' must be a number in [0, 1]; got ${describeValue(fraction)}`);
  }
  const seed = integerOption(fn, 'seed', opts.seed ?? 0, Number.MIN_SAFE_INTEGER);
  if (dataset == null || !Array.isArray(dataset.samples) || !(dataset.labels instanceof Int32Array) ||
      dataset.labels.length !== dataset.samples.length) {
    throw new Error(`${fn}: expected an EventDataset {samples, labels, sensorSize, classes} with one label per sample`);
  }
  const byClass = new Map<number, number[]>();
  dataset.labels.forEach((label, i) => {
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label)!.push(i);
  });
  const isTest = new Uint8Array(dataset.samples.length);
  for (const indices of byClass.values()) {
    const order = seededShuffle(indices.length, seed);
    const testCount = Math.round(indices.length * fraction);
    for (let k = 0; k < testCount; k++) isTest[indices[order[k]]] = 1;
  }
  const pick = (want: number): EventDataset => {
    const chosen = [];
    for (let i = 0; i < isTest.length; i++) if (isTest[i] === want) chosen.push(i);
    return {
      samples: chosen.map(i => dataset.samples[i]),
      labels: Int32Array.from(chosen, i => dataset.labels[i]),
      sensorSize: [...dataset.sensorSize] as EventDataset['sensorSize'],
      classes: [...dataset.classes],
    };
  };
  return {train: pick(0), test: pick(1)};
}
