import type {layers} from '@tensorflow/tfjs-layers';

import {alif} from '../layers/alif';
import {cubaLif} from '../layers/cuba_lif';
import {ifNeuron, lif, plif} from '../layers/lif';

/** The values of the models' `neuron` option. */
export const NEURONS = ['lif', 'plif', 'if', 'alif', 'cubaLif'] as const;
/**
 * The neuron after every normalisation of `small`, `vgg9` and `vgg11`: `'lif'` (fixed leak, the paper's),
 * `'plif'` (the leak learnt, one per layer), `'if'` (integrate-and-fire, no leak), `'alif'` (adaptive threshold),
 * `'cubaLif'` (current-based: a synaptic current with its own decay feeds the membrane).
 */
export type NeuronKind = (typeof NEURONS)[number];

/** What a model passes to each neuron layer it builds. */
export interface NeuronSettings {
  name: string;
  leak: number;
  threshold: number;
}

/** The layer factory of each neuron kind (a Record: a new kind does not compile until it has one). */
const NEURON_LAYERS: Readonly<Record<NeuronKind, (s: NeuronSettings) => layers.Layer>> = {
  lif: s => lif(s),
  plif: s => plif(s),
  if: ({name, threshold}) => ifNeuron({name, threshold}),
  alif: s => alif(s),
  cubaLif: s => cubaLif(s),
};

/** A neuron layer of `kind`, named `settings.name`. */
export function neuronLayer(kind: NeuronKind, settings: NeuronSettings): layers.Layer {
  return NEURON_LAYERS[kind](settings);
}
