import {cumsum, reshape, Tensor, tidy} from '@tensorflow/tfjs-core';
import type {LayersModel} from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';
import {emitsSpikes, isEncoder, isNeuron} from '../layers/roles';
import {checkEndsWithTimeAverage, checkImages, layerChain, runChain} from './model_chain';

/** One layer's output over time for the traced example. */
export interface LayerTrace {
  layer: string;
  className: string;
  /**
   * `'encoder'` (the first entry, for a model with an encoder), `'input'` (the first entry, for a model that takes
   * spike trains: the input train itself) or `'neuron'`.
   */
  role: 'encoder' | 'input' | 'neuron';
  /**
   * True when the values are spikes (or event counts, for an input train); false for a direct encoder's analog input
   * or a leaky integrator's membrane.
   */
  spikes: boolean;
  /** The shape of one step's output (without batch and time), e.g. `[28, 28, 1]` or `[256]`. */
  shape: number[];
  /** `values[t]`: the step-t output, flattened (length = product of `shape`). */
  values: Float32Array[];
}

/** How one example moves through a spiking network, step by step. */
export interface Trace {
  timeSteps: number;
  /**
   * The encoder's output (the input spike train, or the analog input repeated) or, for a model that takes spike
   * trains, the input train; then every neuron layer's.
   */
  layers: LayerTrace[];
  /** `logits[t]`: the readout after t + 1 steps (mean of the readout's input over steps 0 … t). */
  logits: number[][];
  /** `probabilities[t]`: softmax of `logits[t]`. */
  probabilities: number[][];
  /** `predictions[t]`: the predicted class after t + 1 steps. */
  predictions: number[];
}

/**
 * Runs one example through `model` in inference mode and returns what every spiking layer did at
 * every step, with the prediction as it forms: after t steps, the readout averaged over those t
 * steps (what a run stopped there outputs). The model must end with `timeAverage`. For spike
 * rasters and inspectors (the browser playground shows one).
 *
 * Page: docs/analysis.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});   // a trained model, in practice
 * const images = tf.randomUniform([4, 28, 28, 1]);
 * const {layers, predictions} = snn.analysis.trace(model, tf.slice(images, 0, 1));
 * console.log(layers.map(l => l.layer), predictions);   // ['encoder', 'lif1', 'lif2', 'lif3'], a class per step
 * ```
 */
export function trace(model: LayersModel, x: Tensor): Trace {
  const fn = 'trace';
  const chain = layerChain(model, fn);
  const image = checkImages(fn, x, model);
  if (image.shape[0] !== 1) {
    throw new Error(
      `${fn}: argument 'x' must hold exactly one example (shape [1, …]); got ${describeValue(x)}; ` +
        `pick one with tf.slice(x, i, 1)`
    );
  }
  const last = chain.length - 1;
  checkEndsWithTimeAverage(chain, fn);
  const layers: LayerTrace[] = [];
  let logits: number[][] = [];
  runChain(chain, image, 1, (i, input, output) => {
    const layer = chain[i];
    if (i === 0 && !isEncoder(layer)) layers.push(layerTrace('input', 'InputLayer', 'input', true, input));
    if (isNeuron(layer) || (i === 0 && isEncoder(layer))) {
      const role = isNeuron(layer) ? 'neuron' : 'encoder';
      layers.push(layerTrace(layer.name, layer.getClassName(), role, emitsSpikes(layer), output));
    }
    if (i === last) logits = runningMeans(input);
  });
  return {
    timeSteps: logits.length,
    layers,
    logits,
    probabilities: logits.map(softmaxOf),
    predictions: logits.map(argMaxOf),
  };
}

function layerTrace(
  layer: string,
  className: string,
  role: LayerTrace['role'],
  spikes: boolean,
  output: Tensor
): LayerTrace {
  const [, steps, ...shape] = output.shape as number[];
  const data = output.dataSync() as Float32Array;
  const size = data.length / steps;
  const values = Array.from({length: steps}, (_, t) => Float32Array.from(data.subarray(t * size, (t + 1) * size)));
  return {layer, className, role, spikes, shape, values};
}

/** `[1, T, classes]` readout → the mean over steps 0 … t for every t. */
function runningMeans(readout: Tensor): number[][] {
  const [, steps] = readout.shape as number[];
  const sums = tidy(() => cumsum(reshape(readout, [steps, -1]), 0).arraySync()) as number[][];
  return sums.map((row, t) => row.map(v => v / (t + 1)));
}

function softmaxOf(row: number[]): number[] {
  const largest = Math.max(...row);
  const exps = row.map(v => Math.exp(v - largest));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map(e => e / total);
}

function argMaxOf(row: number[]): number {
  return row.reduce((best, v, i) => (v > row[best] ? i : best), 0);
}
