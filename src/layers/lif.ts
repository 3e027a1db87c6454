import {serialization, Tensor} from '@tensorflow/tfjs-core';

import {lifWithState} from '../ops/lif';
import {LifOptions, resolveLifOptions} from '../ops/lif_options';
import {SURROGATE_NAMES} from '../../kernels/lif_attrs';
import {layerArgs} from './layer_utils';
import {NeuronLayer, NeuronLayerArgs} from './neuron_layer';
import type {NeuronState, NeuronStep} from './roles';

/** The options of the `lif` layer: those of `ops.lif` (but `initialMembrane`) and `stateful`. */
export interface LifLayerArgs extends NeuronLayerArgs, Omit<LifOptions, 'initialMembrane'> {}

const LIF_ARG_NAMES = [
  'leak',
  'threshold',
  'resetMode',
  'detachReset',
  'surrogate',
  'alpha',
  'implementation',
  'stateful',
] as const;

/**
 * Leaky integrate-and-fire neurons over the whole train (the fused `ops.lif`):
 * `U_t = leak·V_{t−1} + I_t`, spike `S_t = U_t > threshold`, then reset
 * (subtract by default, without gradient); the backward pass uses a surrogate
 * derivative (triangle, 0.3, by default). Input currents and output spikes
 * are `[batch, time, ...features]`. No weights.
 *
 * ```js
 * model.add(snn.layers.bntt());
 * model.add(snn.layers.lif({leak: 0.95, threshold: 1}));
 * ```
 */
export class Lif extends NeuronLayer {
  static className = 'SnnLif';
  readonly options: Omit<LifOptions, 'initialMembrane'>;

  constructor(args: LifLayerArgs = {}) {
    super(layerArgs('lif', args, LIF_ARG_NAMES), 'lif');
    const {leak, threshold, resetMode, detachReset, surrogate, alpha, implementation} = args;
    this.options = {leak, threshold, resetMode, detachReset, surrogate, alpha, implementation};
    const options = this.options as {[key: string]: unknown};
    for (const key of Object.keys(options)) {
      if (options[key] === undefined) delete options[key];
    }
    resolveLifOptions(this.options, 'lif');
  }

  get stateNames(): readonly string[] {
    return ['membrane'];
  }

  protected runNeurons(input: Tensor, state: NeuronState | null): NeuronStep {
    const {spikes, membrane} = lifWithState(input, {...this.options, initialMembrane: state?.[0]});
    return {output: spikes, state: [membrane]};
  }

  getConfig(): serialization.ConfigDict {
    if (typeof this.options.surrogate === 'function') {
      throw new Error(
        `${this.label}: a custom surrogate function cannot be saved in a model's config; ` +
          `use a built-in surrogate name (${SURROGATE_NAMES.map(n => `'${n}'`).join(', ')}) to save the model`
      );
    }
    return {...super.getConfig(), ...this.options} as serialization.ConfigDict;
  }
}
serialization.registerClass(Lif);

/**
 * Leaky integrate-and-fire neurons ({@link Lif}, the layer form of `ops.lif`): input currents
 * `[batch, time, ...features]` in, spikes (0 or 1) of the same shape out, trained through a
 * surrogate gradient. Page: docs/layers/lif.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 32}));
 * model.add(snn.layers.lif({leak: 0.95, threshold: 1, surrogate: 'triangle'}));
 * ```
 */
export function lif(args?: LifLayerArgs): Lif {
  return new Lif(args);
}
