import {
  add,
  cast,
  clone,
  greater,
  mul,
  Scalar,
  scalar,
  sub,
  Tensor,
  tidy,
  where,
  zerosLike,
} from '@tensorflow/tfjs-core';

import {ResetMode} from '../lif_attrs';
import {stepsOf} from './time_major';

/** One LIF step as core ops: U_t = leak·V_{t−1} + I_t, the spike, and V_t after reset. */
export function lifStep(
  membrane: Tensor,
  current: Tensor,
  leak: Scalar,
  threshold: Scalar,
  mode: ResetMode
): {u: Tensor; fired: Tensor; spike: Tensor; next: Tensor} {
  const u = add(mul(leak, membrane), current);
  const fired = greater(u, threshold);
  const spike = cast(fired, 'float32');
  let next: Tensor;
  if (mode === 'subtract') {
    next = sub(u, mul(spike, threshold));
  } else if (mode === 'zero') {
    next = where(fired, zerosLike(u), u);
  } else {
    next = clone(u); // a distinct handle: callers dispose V_{t-1} while keeping U_t
  }
  return {u, fired, spike, next};
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
  leak: number,
  threshold: number,
  mode: ResetMode,
  keep: 'spike' | 'u'
): {kept: Tensor[]; membrane: Tensor} {
  const leakScalar = scalar(leak);
  const thresholdScalar = scalar(threshold);
  const kept: Tensor[] = [];
  let membrane = initialMembrane;
  for (const current of stepsOf(currents)) {
    const previous = membrane;
    const [value, next] = tidy(() => {
      const step = lifStep(previous, current, leakScalar, thresholdScalar, mode);
      return [step[keep], step.next];
    });
    if (previous !== initialMembrane) previous.dispose();
    current.dispose();
    kept.push(value);
    membrane = next;
  }
  leakScalar.dispose();
  thresholdScalar.dispose();
  return {kept, membrane};
}
