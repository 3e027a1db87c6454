import type {LayersModel} from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';
import {isNeuron} from '../layers/roles';
import {layerChain} from './model_chain';

/** The values of one learnt weight of a neuron layer (a leak, a threshold, …), summarised. */
export interface NeuronParameterSummary {
  /** The weight's name within its layer: `'leak'`, `'threshold'`, … */
  name: string;
  /** The weight's shape: `[]` for one value shared by every neuron, `[C]` for one per channel, … */
  shape: number[];
  /** The number of values (1 for a shared value). */
  count: number;
  mean: number;
  /** Standard deviation over the values (population). */
  std: number;
  min: number;
  max: number;
  /** `bins` equal bins from min to max: `counts[i]` values lie in [edges[i], edges[i + 1]) (the last bin closed). */
  histogram: {edges: number[]; counts: number[]};
}

/** One neuron layer's learnt parameters: every weight the layer holds, or none (a fixed leak and threshold). */
export interface LayerNeuronParameters {
  layer: string;
  parameters: NeuronParameterSummary[];
}

/** The options of `neuronParameters`. */
export interface NeuronParametersOptions {
  /** Bins of each histogram. Default 10. */
  bins?: number;
}

/**
 * What the neurons of `model` have learnt: for every neuron layer (`snn.layers.isNeuron`, in model order), each of
 * its weights (`leak`, `threshold`, … of a layer with `learnLeak` / `learnThreshold`, or any weight of a neuron of
 * your own) summarised as count, mean, std, min, max and a histogram. A layer whose parameters are fixed numbers
 * has an empty `parameters` list. Reads the weights only; nothing runs.
 *
 * Page: docs/analysis.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});   // a trained model, in practice
 * for (const {layer, parameters} of snn.analysis.neuronParameters(model)) {
 *   console.log(layer, parameters.length === 0 ? 'none learnt' : parameters.map(p => `${p.name} ${p.mean.toFixed(3)}`));
 * }
 * ```
 */
export function neuronParameters(model: LayersModel, options: NeuronParametersOptions = {}): LayerNeuronParameters[] {
  const fn = 'neuronParameters';
  const chain = layerChain(model, fn);
  if (options == null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${fn}: argument 'options' must be an object like {bins: 10}; got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'bins') throw new Error(`${fn}: unknown option '${key}'; expected bins`);
  }
  const bins = options.bins ?? 10;
  if (typeof bins !== 'number' || !Number.isInteger(bins) || bins < 1) {
    throw new Error(`${fn}: option 'bins' must be an integer >= 1; got ${describeValue(bins)}`);
  }
  return chain.filter(isNeuron).map(layer => ({
    layer: layer.name,
    parameters: layer.weights.map(weight => {
      const value = weight.read(); // the variable itself: not to be disposed
      return summarise(weight.originalName.split('/').pop()!, value.shape, value.dataSync(), bins);
    }),
  }));
}

function summarise(name: string, shape: number[], data: ArrayLike<number>, bins: number): NeuronParameterSummary {
  const values = Float64Array.from(data);
  const count = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / count;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / count);
  const min = values.reduce((a, b) => Math.min(a, b), Infinity);
  const max = values.reduce((a, b) => Math.max(a, b), -Infinity);
  const width = (max - min) / bins;
  const edges = Array.from({length: bins + 1}, (_, i) => (i === bins ? max : min + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0]++;
  return {name, shape: [...shape], count, mean, std, min, max, histogram: {edges, counts}};
}
