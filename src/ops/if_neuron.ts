import type {Tensor} from '@tensorflow/tfjs-core';

import {LifResult, runLif} from './lif';
import {LIF_OPTION_NAMES, LifOptions} from './lif_options';

/** The options of `ops.ifNeuron` and `ops.ifNeuronWithState`: those of `ops.lif` but `leak` (always 1). */
export type IfNeuronOptions = Omit<LifOptions, 'leak'>;

/** The option names of ops.ifNeuron: those of ops.lif but `leak`. */
export const IF_NEURON_OPTION_NAMES = Object.freeze(LIF_OPTION_NAMES.filter(name => name !== 'leak'));

/**
 * Integrate-and-fire neurons over a whole spike train: `ops.lif` without a leak (β = 1, the same fused
 * kernels), U_t = V_{t−1} + I_t, S_t = 1 if U_t > threshold, then the reset ('subtract' by default, 'zero' to
 * `vReset`, or 'none'). The threshold may be a float32 tensor broadcasting to the features shape (it gets a
 * gradient). Page: docs/layers/if_neuron.md.
 *
 * @example
 * ```js
 * const currents = tf.tensor([[[0.6], [0.6], [0.6], [0.6]]]);   // [batch 1, time 4, features 1]
 * snn.ops.ifNeuron(currents).print();                           // [[[0], [1], [0], [1]]]
 * ```
 *
 * @param currents float32 `[batch, time, ...features]`, rank 3 to 6.
 * @returns float32 spikes (0 or 1) of the same shape.
 */
export function ifNeuron(currents: Tensor, options?: IfNeuronOptions): Tensor {
  return runLif(currents, options, 'ifNeuron', IF_NEURON_OPTION_NAMES, 'unused')[0];
}

/**
 * `ifNeuron` that also returns the membrane V_T after the last step (pass it as `initialMembrane` of the next
 * call to continue the train); gradients flow through both outputs.
 *
 * @example
 * ```js
 * const currents = tf.fill([2, 10, 3], 0.3);
 * const first = snn.ops.ifNeuronWithState(currents, {threshold: 1, resetMode: 'zero'});
 * first.membrane.print();        // 10 steps of 0.3, reset to 0 after steps 4 and 8: all 0.6
 * // the next 10 steps continue from there
 * const next = snn.ops.ifNeuronWithState(currents, {threshold: 1, resetMode: 'zero', initialMembrane: first.membrane});
 * tf.sum(next.spikes).print();      // 2·3 neurons × 3 spikes (steps 2, 6, 10): 18
 * ```
 */
export function ifNeuronWithState(currents: Tensor, options?: IfNeuronOptions): LifResult {
  const [spikes, membrane] = runLif(currents, options, 'ifNeuronWithState', IF_NEURON_OPTION_NAMES);
  return {spikes, membrane: membrane!};
}
