import {Tensor} from '@tensorflow/tfjs-core';

import type {SpikingNeuronResult} from './alif';
import {
  fireAndReset,
  leaky,
  NeuronParameter,
  NeuronSpec,
  POSITIVE_RULE,
  runNeuron,
  SpikingNeuronOptions,
  UNIT_RULE,
} from './neuron_scan';

/** The options of `ops.cubaLif` and `ops.cubaLifWithState` (all optional). */
export interface CubaLifOptions extends SpikingNeuronOptions {
  /** Membrane decay β per step: a number in [0, 1] or a float32 tensor broadcasting to the features. Default 0.95. */
  leak?: NeuronParameter;
  /** Synaptic current decay α per step: a number in [0, 1] or a float32 tensor. Default 0.9. */
  synapticLeak?: NeuronParameter;
  /** Threshold θ: a number > 0 or a float32 tensor. Default 1. */
  threshold?: NeuronParameter;
  /** `[current, membrane]`, each `[batch, ...features]`; zeros when omitted. */
  initialState?: Tensor[];
}

/** The defaults of {@link CubaLifOptions}. */
export const CUBA_LIF_DEFAULTS = Object.freeze({leak: 0.95, synapticLeak: 0.9, threshold: 1});

/** The parameters of the current-based LIF (shared with rCubaLif). */
export const CUBA_LIF_PARAMETERS = {
  leak: {fallback: CUBA_LIF_DEFAULTS.leak, rule: UNIT_RULE},
  synapticLeak: {fallback: CUBA_LIF_DEFAULTS.synapticLeak, rule: UNIT_RULE},
  threshold: {fallback: CUBA_LIF_DEFAULTS.threshold, rule: POSITIVE_RULE},
};

/** The current-based LIF, as the shared scan runs it. */
export const CUBA_LIF_SPEC: NeuronSpec = {
  stateNames: ['current', 'membrane'],
  parameters: CUBA_LIF_PARAMETERS,
  spiking: true,
  step(input, [current, membrane], p, spiking) {
    const j = leaky(p.synapticLeak, current, input); // J_t = α·J_{t−1} + I_t
    const u = leaky(p.leak, membrane, j); // U_t = β·V_{t−1} + J_t
    const {spikes, membrane: next} = fireAndReset(u, p.threshold, spiking);
    return {output: spikes, state: [j, next]};
  },
};

/**
 * Current-based leaky integrate-and-fire (NIR's CubaLIF, snnTorch's Synaptic) over a whole train: the input
 * charges a synaptic current with its own decay, which charges the membrane. Per element and step t:
 *   J_t = α·J_{t−1} + I_t,  U_t = β·V_{t−1} + J_t,  S_t = H(U_t − θ),  V_t = U_t − θ·S_t (or zero/none).
 * Step by step with core ops (any backend); gradients by autodiff, tensor parameters included.
 * Page: docs/layers/cuba_lif.md.
 *
 * @example
 * ```js
 * const currents = tf.randomUniform([4, 25, 64], 0, 0.3);   // [batch, time, features]
 * const spikes = snn.ops.cubaLif(currents, {leak: 0.95, synapticLeak: 0.8});
 * console.log('firing rate:', tf.mean(spikes).dataSync()[0]);
 * ```
 *
 * @param currents float32 `[batch, time, ...features]`, rank 3 to 6.
 * @returns float32 spikes (0 or 1) of the same shape.
 */
export function cubaLif(currents: Tensor, options?: CubaLifOptions): Tensor {
  const {output, state} = runNeuron('cubaLif', currents, options, CUBA_LIF_SPEC);
  state.forEach(s => s.dispose());
  return output;
}

/**
 * `cubaLif` that also returns its state after the last step, `[current, membrane]`: passing it as
 * `initialState` to the next call continues the train exactly.
 *
 * @example
 * ```js
 * const currents = tf.randomUniform([2, 50, 8], 0, 0.3);
 * const first = snn.ops.cubaLifWithState(tf.slice(currents, [0, 0, 0], [-1, 25, -1]));
 * const second = snn.ops.cubaLifWithState(tf.slice(currents, [0, 25, 0], [-1, 25, -1]), {initialState: first.state});
 * const [current, membrane] = second.state;   // each [2, 8]
 * membrane.print();
 * ```
 */
export function cubaLifWithState(currents: Tensor, options?: CubaLifOptions): SpikingNeuronResult {
  const {output, state} = runNeuron('cubaLifWithState', currents, options, CUBA_LIF_SPEC);
  return {spikes: output, state};
}
