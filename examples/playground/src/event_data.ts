/**
 * The synthetic event recordings of snn.data.syntheticEvents, generated in the page: ten shapes moved along
 * saccades over a 32 × 32 ON/OFF sensor. Each recording becomes T frames of event counts (snn.data.eventBatches
 * for training, eventTensors for testing), fed to a model without an encoder.
 */
import type {EventDataset} from '../../../dist/types/src/data/index';
import type {LayerTrace} from '../../../dist/types/src/analysis/index';

import {DatasetId, Examples, FitSettings, FrameRange, PageDataset, Playback} from './dataset.js';

/** Sizes that generate in about a second: the CLI's synthetic-events uses 2000 / 500 with the same seeds. */
export const SYNTHETIC_SIZES = {train: {samples: 1000, seed: 0}, test: {samples: 300, seed: 1}};
/** About this many frames are animated per recording (a multiple of T: whole steps). */
const PLAYBACK_FRAMES = 30;
/** Seed of the training shuffle (each epoch its own order). */
const SHUFFLE_SEED = 1;
/** Colours of ON and OFF events on white. */
const ON = [214, 96, 0];
const OFF = [31, 94, 180];

export function generateSyntheticEvents(): PageDataset {
  const started = performance.now();
  const train = snn.data.syntheticEvents(SYNTHETIC_SIZES.train);
  const test = snn.data.syntheticEvents(SYNTHETIC_SIZES.test);
  return new SyntheticEvents(train, test, (performance.now() - started) / 1000);
}

/** The recordings start … start + count − 1 of `dataset` as a dataset of their own. */
function slice(dataset: EventDataset, start: number, count: number): EventDataset {
  const end = Math.min(start + count, dataset.samples.length);
  return {...dataset, samples: dataset.samples.slice(start, end), labels: dataset.labels.subarray(start, end)};
}

class SyntheticEvents implements PageDataset {
  readonly id: DatasetId = 'synthetic-events';
  readonly items = 'recordings';
  readonly encoder = 'none';
  /** Trained in Node by examples/nir-events.mjs and exported to NIR (dt 1 ms). */
  readonly pretrained = 'models/synthetic-events.nir';
  readonly classNames: readonly string[];
  readonly frameShape: readonly [number, number, number];

  constructor(
    private readonly train: EventDataset,
    private readonly test: EventDataset,
    private readonly seconds: number
  ) {
    this.classNames = train.classes;
    const [width, height, polarities] = train.sensorSize;
    this.frameShape = [height, width, polarities];
  }

  get trainCount(): number {
    return this.train.samples.length;
  }

  get testCount(): number {
    return this.test.samples.length;
  }

  describe(): string {
    const [height, width] = this.frameShape;
    return (
      `${this.trainCount} training and ${this.testCount} test recordings of synthetic events (10 shapes moved ` +
      `along saccades on a ${width}×${height} ON/OFF sensor), generated in the page in ` +
      `${this.seconds.toFixed(1)} s`
    );
  }

  testLabels(start: number, count: number): Int32Array {
    return this.test.labels.subarray(start, start + count);
  }

  testTensors(start: number, count: number, timeSteps: number): Examples {
    return snn.data.eventTensors(slice(this.test, start, count), {timeSteps});
  }

  /** model.fitDataset over snn.data.eventBatches: frames are made batch by batch, a new order every epoch. */
  async fit(model: tf.LayersModel, settings: FitSettings, callbacks: tf.CustomCallbackArgs[] | tf.Callback[]) {
    const train = slice(this.train, 0, settings.count);
    let epoch = 0;
    const batches = tf.data.generator(function* () {
      const options = {timeSteps: settings.timeSteps, batchSize: settings.batchSize, shuffle: true};
      for (const {x, y} of snn.data.eventBatches(train, {...options, seed: SHUFFLE_SEED, epoch: epoch++})) {
        yield {xs: x, ys: y};
      }
    });
    await model.fitDataset(batches, {epochs: settings.epochs, verbose: 0, yieldEvery: 'batch', callbacks});
  }

  frameRange(frames: Float32Array[]): FrameRange {
    let high = 0;
    for (const frame of frames) for (const v of frame) high = Math.max(high, v);
    return {low: 0, high: Math.max(high, 1)};
  }

  /** ON events orange, OFF blue, the more events in a pixel the stronger (both: the colours mixed). */
  drawFrame(values: Float32Array, {high}: FrameRange, pixels: ImageData): void {
    for (let i = 0; i < values.length / 2; i++) {
      const off = values[2 * i] / high;
      const on = values[2 * i + 1] / high;
      const rgb = [0, 1, 2].map(c => Math.round(255 - on * (255 - ON[c]) - off * (255 - OFF[c])));
      pixels.data.set([...rgb.map(v => Math.max(0, v)), 255], 4 * i);
    }
  }

  inputCaption(input: LayerTrace): string {
    return (
      `the recording's events as ${input.values.length} frames of event counts (snn.data.toFrames, nTimeBins ` +
      `${input.values.length}): ON events orange, OFF blue, darker for more events; the frames are the spike ` +
      'trains the network takes, with no encoder'
    );
  }

  /** The recording at a finer time resolution: a whole number of frames per model step. */
  playback(index: number, timeSteps: number): Playback {
    const perStep = Math.max(1, Math.round(PLAYBACK_FRAMES / timeSteps));
    const bins = perStep * timeSteps;
    const events = this.test.samples[index];
    const {data, shape} = snn.data.toFrames(events, {sensorSize: this.test.sensorSize, nTimeBins: bins});
    const size = shape[1] * shape[2] * shape[3];
    const frames = Array.from({length: bins}, (_, b) => data.slice(b * size, (b + 1) * size));
    const span = events.t.length === 0 ? 0 : (events.t[events.t.length - 1] - events.t[0]) / 1000;
    return {frames, perStep, frameCaption: `${(span / bins).toFixed(2)} ms of events`};
  }
}
