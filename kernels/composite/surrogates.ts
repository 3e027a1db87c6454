import {abs, add, div, maximum, mul, sigmoid, square, sub, Tensor} from '@tensorflow/tfjs-core';

import {describeValue} from '../../src/errors';
import {SurrogateFunction, SurrogateName} from '../lif_attrs';

/**
 * Calls a user's surrogate on one step's membrane `u` and checks what it returns: a float32 tensor of
 * `u`'s shape (a broadcastable or misshapen result would otherwise fail in a later op, or silently
 * broadcast). Errors name the surrogate; the gradient factory frees the tape when one is thrown.
 */
function callSurrogate(surrogate: SurrogateFunction, u: Tensor, threshold: number | Tensor, fn: string): Tensor {
  const which = surrogate.name ? `function '${surrogate.name}'` : 'an anonymous function';
  const label = `${fn}: option 'surrogate' (${which})`;
  let slope: unknown;
  try {
    slope = surrogate(u, threshold);
  } catch (error) {
    throw new Error(`${label} threw in the backward pass: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const ok =
    slope instanceof Tensor &&
    slope.dtype === 'float32' &&
    slope.rank === u.rank &&
    slope.shape.every((d: number, i: number) => d === u.shape[i]);
  if (!ok) {
    throw new Error(
      `${label} must return a float32 tensor of the membrane's shape [${u.shape}]; ` + `got ${describeValue(slope)}`
    );
  }
  return slope as Tensor;
}

/** dS/dU of each built-in surrogate as core ops on the membrane U (threshold a number or a tensor broadcasting to U). */
export const SURROGATE_TENSORS: Readonly<
  Record<SurrogateName, (u: Tensor, threshold: number | Tensor, alpha: number) => Tensor>
> = {
  triangle: (u, threshold, alpha) => mul(div(alpha, threshold), maximum(0, sub(1, abs(sub(div(u, threshold), 1))))),
  fastSigmoid: (u, threshold, alpha) => div(1, square(add(1, mul(alpha, abs(sub(u, threshold)))))),
  sigmoid: (u, threshold, alpha) => {
    const sig = sigmoid(mul(alpha, sub(u, threshold)));
    return mul(alpha, mul(sig, sub(1, sig)));
  },
  arctan: (u, threshold, alpha) => div(alpha / 2, add(1, square(mul((Math.PI / 2) * alpha, sub(u, threshold))))),
};

/** dS/dU of a surrogate (a built-in name, or a user's function, which is checked) on the membrane tensor U. */
export function surrogateOf(
  u: Tensor,
  threshold: number | Tensor,
  surrogate: SurrogateName,
  alpha: number,
  surrogateFn: SurrogateFunction | null,
  label = 'lif'
): Tensor {
  if (surrogateFn != null) return callSurrogate(surrogateFn, u, threshold, label);
  return SURROGATE_TENSORS[surrogate](u, threshold, alpha);
}
