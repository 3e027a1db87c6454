import {add, mul, Tensor} from '@tensorflow/tfjs-core';

import {
  fireAndReset,
  leaky,
  NeuronParameter,
  NeuronSpec,
  NON_NEGATIVE_RULE,
  POSITIVE_RULE,
  runNeuron,
  SpikingNeuronOptions,
  UNIT_RULE,
} from './neuron_scan';

/** The options of `ops.alif` and `ops.alifWithState` (all optional). */
export interface AlifOptions extends SpikingNeuronOptions {
  /** Membrane decay β per step: a number in [0, 1] or a float32 tensor broadcasting to the features. Default 0.95. */
  leak?: NeuronParameter;
  /** Base threshold θ: a number > 0 or a float32 tensor. Default 1. */
  threshold?: NeuronParameter;
  /** κ, how much each spike raises the neuron's threshold: a number >= 0 or a float32 tensor. Default 0.2. */
  adaptation?: NeuronParameter;
  /** ρ, the decay of the threshold's rise per step: a number in [0, 1] or a float32 tensor. Default 0.9. */
  adaptationLeak?: NeuronParameter;
  /** `[membrane, adaptation]`, each `[batch, ...features]`; zeros when omitted. */
  initialState?: Tensor[];
}

/** The defaults of {@link AlifOptions}. */
export const ALIF_DEFAULTS = Object.freeze({leak: 0.95, threshold: 1, adaptation: 0.2, adaptationLeak: 0.9});

/** The spikes of a neuron op and its state after the last step. */
export interface SpikingNeuronResult {
  /** Spikes (0 or 1), the shape of the input. */
  spikes: Tensor;
  /** The state after the last step, in the neuron's state order; pass it as `initialState` to continue. */
  state: Tensor[];
}

/** The adaptive LIF, as the shared scan runs it. */
export const ALIF_SPEC: NeuronSpec = {
  stateNames: ['membrane', 'adaptation'],
  parameters: {
    leak: {fallback: ALIF_DEFAULTS.leak, rule: UNIT_RULE},
    threshold: {fallback: ALIF_DEFAULTS.threshold, rule: POSITIVE_RULE},
    adaptation: {fallback: ALIF_DEFAULTS.adaptation, rule: NON_NEGATIVE_RULE},
    adaptationLeak: {fallback: ALIF_DEFAULTS.adaptationLeak, rule: UNIT_RULE},
  },
  spiking: true,
  step(current, [membrane, rise], p, spiking) {
    const u = leaky(p.leak, membrane, current); // U_t = β·V_{t−1} + I_t
    const theta = add(rise, p.threshold); // Θ_t = θ + A_{t−1}
    const {spikes, membrane: next} = fireAndReset(u, theta, spiking);
    const nextRise = add(mul(rise, p.adaptationLeak), mul(spikes, p.adaptation)); // A_t = ρ·A_{t−1} + κ·S_t
    return {output: spikes, state: [next, nextRise]};
  },
};

/**
 * Adaptive leaky integrate-and-fire (Bellec et al.'s LSNN) over a whole train: each spike raises the neuron's
 * threshold by `adaptation`, and the rise decays with `adaptationLeak`. Per element and step t:
 *   U_t = β·V_{t−1} + I_t,  Θ_t = θ + A_{t−1},  S_t = H(U_t − Θ_t),
 *   V_t = U_t − Θ_t·S_t (subtract; or the zero/none resets),  A_t = ρ·A_{t−1} + κ·S_t.
 * Step by step with core ops (any backend); gradients by autodiff (BPTT, through A too), tensor parameters
 * included. Page: docs/layers/alif.md.
 *
 * @example
 * ```js
 * const currents = tf.randomUniform([4, 25, 64], 0, 0.6);   // [batch, time, features]
 * const spikes = snn.ops.alif(currents, {leak: 0.95, threshold: 1, adaptation: 0.2, adaptationLeak: 0.9});
 * console.log('spikes per neuron:', tf.mean(tf.sum(spikes, 1)).dataSync()[0]);
 * ```
 *
 * @param currents float32 `[batch, time, ...features]`, rank 3 to 6.
 * @returns float32 spikes (0 or 1) of the same shape.
 */
export function alif(currents: Tensor, options?: AlifOptions): Tensor {
  const {output, state} = runNeuron('alif', currents, options, ALIF_SPEC);
  state.forEach(s => s.dispose());
  return output;
}

/**
 * `alif` that also returns its state after the last step, `[membrane, adaptation]`: passing it as
 * `initialState` to the next call continues the train exactly (streaming in chunks).
 *
 * @example
 * ```js
 * const currents = tf.randomUniform([2, 50, 8], 0, 0.6);
 * const first = snn.ops.alifWithState(tf.slice(currents, [0, 0, 0], [-1, 25, -1]));
 * const second = snn.ops.alifWithState(tf.slice(currents, [0, 25, 0], [-1, 25, -1]), {initialState: first.state});
 * const [membrane, adaptation] = second.state;   // each [2, 8]
 * adaptation.print();
 * ```
 */
export function alifWithState(currents: Tensor, options?: AlifOptions): SpikingNeuronResult {
  const {output, state} = runNeuron('alifWithState', currents, options, ALIF_SPEC);
  return {spikes: output, state};
}
