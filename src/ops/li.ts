import {Tensor} from '@tensorflow/tfjs-core';

import {leaky, NeuronParameter, NeuronSpec, runNeuron, UNIT_RULE} from './neuron_scan';

/** The options of `ops.li` and `ops.liWithState` (all optional). */
export interface LiOptions {
  /** Membrane decay β per step: a number in [0, 1] or a float32 tensor broadcasting to the features. Default 0.95. */
  leak?: NeuronParameter;
  /** `[membrane]`, `[batch, ...features]`; zeros when omitted. */
  initialState?: Tensor[];
}

/** The defaults of {@link LiOptions}. */
export const LI_DEFAULTS = Object.freeze({leak: 0.95});

/** The output of `ops.liWithState`: the membrane train and the state after the last step. */
export interface LiResult {
  /** U_t at every step, the shape of the input. */
  output: Tensor;
  /** `[membrane]` after the last step; pass it as `initialState` to continue. */
  state: Tensor[];
}

/** The leaky integrator, as the shared scan runs it. */
export const LI_SPEC: NeuronSpec = {
  stateNames: ['membrane'],
  parameters: {leak: {fallback: LI_DEFAULTS.leak, rule: UNIT_RULE}},
  spiking: false,
  step(current, [membrane], p) {
    const u = leaky(p.leak, membrane, current); // U_t = β·U_{t−1} + I_t
    return {output: u, state: [u]};
  },
};

/**
 * A leaky integrator without spikes (NIR's LI): `U_t = β·U_{t−1} + I_t`, and the output is U_t at every step
 * (the readout many SNNs use: average it with `timeAverage`, or take the last step). Step by step with core
 * ops (any backend); gradients by autodiff, a tensor `leak` included. Page: docs/layers/li.md.
 *
 * @example
 * ```js
 * const currents = tf.ones([1, 4, 2]);                 // [batch, time, features]
 * snn.ops.li(currents, {leak: 0.5}).print();           // 1, 1.5, 1.75, 1.875 per feature
 * ```
 *
 * @param currents float32 `[batch, time, ...features]`, rank 3 to 6.
 * @returns float32 membrane potentials of the same shape.
 */
export function li(currents: Tensor, options?: LiOptions): Tensor {
  const {output, state} = runNeuron('li', currents, options, LI_SPEC);
  state.forEach(s => s.dispose());
  return output;
}

/**
 * `li` that also returns the membrane after the last step, `[membrane]`: passing it as `initialState` to the
 * next call continues exactly.
 *
 * @example
 * ```js
 * const first = snn.ops.liWithState(tf.ones([1, 2, 3]), {leak: 0.5});
 * const second = snn.ops.liWithState(tf.ones([1, 2, 3]), {leak: 0.5, initialState: first.state});
 * second.output.print();                               // 1.75, 1.875: steps 3 and 4 of one train
 * ```
 */
export function liWithState(currents: Tensor, options?: LiOptions): LiResult {
  return runNeuron('liWithState', currents, options, LI_SPEC);
}
