import {add, cast, clone, fill, greater, mul, sub, Tensor, tidy, where} from '@tensorflow/tfjs-core';

import {ResetMode} from '../lif_attrs';
import {stepsOf} from './time_major';

/** The parameters of a LIF step: `leak` and `threshold` one value per feature ([features]), `vReset` a number. */
export interface StepParams {
  leak: Tensor;
  threshold: Tensor;
  vReset: number;
  mode: ResetMode;
}

/** V_t from U_t and its spike: U − θ·S ('subtract'), v_r where it fired ('zero'), or U ('none'). */
export function resetOf(u: Tensor, fired: Tensor, spike: Tensor, params: StepParams): Tensor {
  if (params.mode === 'subtract') return sub(u, mul(spike, params.threshold));
  if (params.mode === 'zero') return where(fired, fill(u.shape, params.vReset), u);
  return clone(u); // a distinct handle: callers dispose V_{t-1} while keeping U_t
}

/** One LIF step as core ops: U_t = leak·V_{t−1} + I_t, the spike, and V_t after reset. */
export function lifStep(
  membrane: Tensor,
  current: Tensor,
  params: StepParams
): {u: Tensor; fired: Tensor; spike: Tensor; next: Tensor} {
  const u = add(mul(params.leak, membrane), current);
  const fired = greater(u, params.threshold);
  const spike = cast(fired, 'float32');
  return {u, fired, spike, next: resetOf(u, fired, spike, params)};
}

/**
 * Runs `lifStep` over the steps of `currents` ([batch, time, ...features])
 * from `initialMembrane` ([batch, features]), keeping per step either the
 * spike or U_t before reset. Each step runs in its own tidy, so only the kept
 * tensors and the current membrane stay alive; returns them and V_T.
 */
export function scanSteps(
  currents: Tensor,
  initialMembrane: Tensor,
  params: StepParams,
  keep: 'spike' | 'u'
): {kept: Tensor[]; membrane: Tensor} {
  const kept: Tensor[] = [];
  let membrane = initialMembrane;
  for (const current of stepsOf(currents)) {
    const previous = membrane;
    const [value, next] = tidy(() => {
      const step = lifStep(previous, current, params);
      return [step[keep], step.next];
    });
    if (previous !== initialMembrane) previous.dispose();
    current.dispose();
    kept.push(value);
    membrane = next;
  }
  return {kept, membrane};
}
