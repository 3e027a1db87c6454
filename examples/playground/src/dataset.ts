/**
 * What the page trains and tests on, behind one interface: the Fashion-MNIST subset (images through an encoder,
 * data.ts) or the synthetic event recordings generated in the page (spike trains, event_data.ts). The rest of the
 * page never asks which one it has.
 */
import type {LayerTrace} from '../../../dist/types/src/analysis/index';

/** The dataset selector's values. */
export const DATASET_IDS = ['fashion-mnist', 'synthetic-events'] as const;
export type DatasetId = (typeof DATASET_IDS)[number];

/** One model input for some test examples (the caller disposes both). */
export interface Examples {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** How training walks over the training examples (the page's TrainingRun supplies the callbacks). */
export interface FitSettings {
  /** The first `count` training examples. */
  count: number;
  batchSize: number;
  epochs: number;
  timeSteps: number;
}

/** Intensity range shared by all the frames of one example, so they are drawn on one scale. */
export interface FrameRange {
  low: number;
  high: number;
}

/** Frames to animate for one test example: `perStep` frames make one of the model's time steps. */
export interface Playback {
  frames: Float32Array[];
  perStep: number;
  /** What one frame is, for the caption (e.g. "7.5 ms of events"). */
  frameCaption: string;
}

export interface PageDataset {
  readonly id: DatasetId;
  /** Plural noun of one example: 'images', 'recordings'. */
  readonly items: string;
  readonly classNames: readonly string[];
  readonly trainCount: number;
  readonly testCount: number;
  /** One frame of the model's input: [height, width, channels]. */
  readonly frameShape: readonly [number, number, number];
  /** The encoder models are built with: null for the page's encoder selector, 'none' when the data are spike trains. */
  readonly encoder: 'none' | null;
  /** The URL of the model that ships with the page for these data (built in Node), or null. */
  readonly pretrained: string | null;
  /** The status line's description once loaded. */
  describe(): string;
  /** Labels of test examples start … start + count − 1. */
  testLabels(start: number, count: number): ArrayLike<number>;
  /** Test examples start … start + count − 1 as the input of a model with T = timeSteps. */
  testTensors(start: number, count: number, timeSteps: number): Examples;
  /** Trains `model` (compiled) on the training examples with tfjs's fit loop, calling `callbacks`. */
  fit(model: tf.LayersModel, settings: FitSettings, callbacks: tf.CustomCallbackArgs[] | tf.Callback[]): Promise<void>;
  /** The range to draw the traced input frames of one example on. */
  frameRange(frames: Float32Array[]): FrameRange;
  /** Writes one frame of the model's input (channels last) into `pixels`. */
  drawFrame(values: Float32Array, range: FrameRange, pixels: ImageData): void;
  /** Caption of the traced input (the encoder's output, or the input train). */
  inputCaption(input: LayerTrace): string;
  /** Finer frames to animate test example `index` with, or null to animate the traced input steps. */
  playback(index: number, timeSteps: number): Playback | null;
}

/** The model's first layer after its input (a functional model, e.g. one loaded from NIR, lists its input layer). */
export function firstLayer(model: tf.LayersModel): tf.layers.Layer | undefined {
  return model.layers.find(l => !model.inputLayers.includes(l));
}

/** The model's T: its encoder's, or, for a model that takes spike trains, its input's time axis. */
export function timeStepsOf(model: tf.LayersModel): number {
  const first = firstLayer(model);
  return snn.layers.isEncoder(first) ? first.timeSteps : (model.inputs[0].shape[1] as number);
}

/** A message saying why `model` cannot run on `dataset`, or null when it can. */
export function misfit(model: tf.LayersModel, dataset: PageDataset, from: string): string | null {
  const shape = model.inputs[0].shape;
  const first = firstLayer(model);
  const encoded = snn.layers.isEncoder(first);
  if (!encoded && shape[1] == null) {
    return (
      `the model from ${from} takes spike trains of any length (its time axis is open); the page needs T: ` +
      `load its .nir file here (T from 'time steps T'), or convert it with tfjs-snn convert --time-steps`
    );
  }
  const frame = (encoded ? shape.slice(1) : shape.slice(2)).join('×');
  const output = model.outputs[0].shape.slice(1);
  const gives =
    output.length === 1 ? `${output[0]} classes` : `outputs of shape [${output.join(', ')}] (not one score per class)`;
  const wanted = dataset.frameShape.join('×');
  const input = encoded ? `${frame} inputs through an encoder` : `spike trains of ${frame} frames`;
  const expected =
    dataset.encoder === 'none'
      ? `spike trains of ${wanted} ${dataset.items} (no encoder)`
      : `${wanted} ${dataset.items} (with an encoder)`;
  const fits =
    frame === wanted &&
    encoded === (dataset.encoder !== 'none') &&
    output.length === 1 &&
    output[0] === dataset.classNames.length;
  return fits
    ? null
    : `the model from ${from} takes ${input} and gives ${gives}; the current data need a model for ` +
        `${expected} with ${dataset.classNames.length} classes (e.g. tfjs-snn train --dataset ${dataset.id})`;
}
