import {add, cast, clone, greater, mul, Scalar, sub, Tensor, where, zerosLike} from '@tensorflow/tfjs-core';

import {ResetMode} from '../lif_attrs';

/** One LIF step as core ops: U_t = leak·V_{t−1} + I_t, the spike, and V_t after reset. */
export function lifStep(
    membrane: Tensor, current: Tensor, leak: Scalar, threshold: Scalar,
    mode: ResetMode): {u: Tensor, fired: Tensor, spike: Tensor, next: Tensor} {
  const u = add(mul(leak, membrane), current);
  const fired = greater(u, threshold);
  const spike = cast(fired, 'float32');
  let next: Tensor;
  if (mode === 'subtract') {
    next = sub(u, mul(spike, threshold));
  } else if (mode === 'zero') {
    next = where(fired, zerosLike(u), u);
  } else {
    next = clone(u);  // a distinct handle: callers dispose V_{t-1} while keeping U_t
  }
  return {u, fired, spike, next};
}
