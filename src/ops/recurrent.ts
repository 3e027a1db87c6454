/**
 * The recurrent neurons rlif and rCubaLif as ops on the shared scan. They need a learned weight, so the package
 * exports them as layers only (`layers.rlif`, `layers.rCubaLif`); the layers and the tests call these.
 *
 * @module
 */
import {add, matMul, Tensor} from '@tensorflow/tfjs-core';

import {describeValue} from '../errors';
import {CUBA_LIF_PARAMETERS, CUBA_LIF_SPEC} from './cuba_lif';
import {
  fireAndReset,
  leaky,
  NeuronParameter,
  NeuronSpec,
  POSITIVE_RULE,
  runNeuron,
  StepResult,
  UNIT_RULE,
} from './neuron_scan';
import type {SpikingNeuronOptions} from './neuron_scan';

/** The options of the recurrent ops: the neuron's, and the recurrent weight. */
export interface RecurrentOptions extends SpikingNeuronOptions {
  leak?: NeuronParameter;
  threshold?: NeuronParameter;
  synapticLeak?: NeuronParameter;
  /** W `[units, units]`: the input at step t is I_t + S_{t−1}·W. Required. */
  recurrentKernel: Tensor;
  initialState?: Tensor[];
}

function resolveRecurrentKernel(fn: string, o: Record<string, unknown>, currents: Tensor): Record<string, Tensor> {
  const units = currents.shape[2];
  const w = o.recurrentKernel;
  const ok =
    w instanceof Tensor && w.dtype === 'float32' && w.rank === 2 && w.shape[0] === units && w.shape[1] === units;
  if (!ok) {
    throw new Error(
      `${fn}: option 'recurrentKernel' must be a float32 tensor of shape [${units}, ${units}] ` +
        `([units, units] of the input's features); got ${describeValue(w)}`
    );
  }
  return {recurrentKernel: w as Tensor};
}

/** I_t + S_{t−1}·W. */
function withFeedback(current: Tensor, spikes: Tensor, w: Tensor): Tensor {
  return add(current, matMul(spikes, w));
}

/** The recurrent LIF: state [membrane, spikes]. */
export const RLIF_SPEC: NeuronSpec = {
  stateNames: ['membrane', 'spikes'],
  parameters: {
    leak: {fallback: 0.95, rule: UNIT_RULE},
    threshold: {fallback: 1, rule: POSITIVE_RULE},
  },
  spiking: true,
  extraOptions: ['recurrentKernel'],
  maxRank: 3,
  resolveExtra: resolveRecurrentKernel,
  step(current, [membrane, spikes], p, spiking, extra): StepResult {
    const u = leaky(p.leak, membrane, withFeedback(current, spikes, extra.recurrentKernel));
    const fired = fireAndReset(u, p.threshold, spiking);
    return {output: fired.spikes, state: [fired.membrane, fired.spikes]};
  },
};

/** The recurrent current-based LIF: state [current, membrane, spikes]; the feedback enters the current. */
export const R_CUBA_LIF_SPEC: NeuronSpec = {
  stateNames: ['current', 'membrane', 'spikes'],
  parameters: CUBA_LIF_PARAMETERS,
  spiking: true,
  extraOptions: ['recurrentKernel'],
  maxRank: 3,
  resolveExtra: resolveRecurrentKernel,
  step(input, [current, membrane, spikes], p, spiking, extra): StepResult {
    const r = CUBA_LIF_SPEC.step(
      withFeedback(input, spikes, extra.recurrentKernel),
      [current, membrane],
      p,
      spiking,
      extra
    );
    return {output: r.output, state: [...r.state, r.output]};
  },
};

/** Recurrent LIF over a train `[batch, time, units]`: spikes and `[membrane, spikes]` after the last step. */
export function rlifWithState(currents: Tensor, options: RecurrentOptions): StepResult {
  return runNeuron('rlif', currents, options, RLIF_SPEC);
}

/** Recurrent current-based LIF: spikes and `[current, membrane, spikes]` after the last step. */
export function rCubaLifWithState(currents: Tensor, options: RecurrentOptions): StepResult {
  return runNeuron('rCubaLif', currents, options, R_CUBA_LIF_SPEC);
}
