import {abs, add, div, maximum, mul, sigmoid, square, sub, Tensor} from '@tensorflow/tfjs-core';

import {describeValue} from '../../src/errors';
import {LifCompositeAttrs, SurrogateFunction} from '../lif_attrs';

/**
 * Calls a user's surrogate on one step's membrane `u` and checks what it returns: a float32 tensor of
 * `u`'s shape (a broadcastable or misshapen result would otherwise fail in a later op, or silently
 * broadcast). Errors name the surrogate; the gradient factory frees the tape when one is thrown.
 */
function callSurrogate(surrogate: SurrogateFunction, u: Tensor, threshold: number): Tensor {
  const which = surrogate.name ? `function '${surrogate.name}'` : 'an anonymous function';
  const label = `lif: option 'surrogate' (${which})`;
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

/** dS/dU of the chosen surrogate, as core ops on the membrane tensor U. */
export function surrogateTensor(u: Tensor, attrs: LifCompositeAttrs): Tensor {
  const {alpha, threshold} = attrs;
  if (attrs.surrogateFn != null) return callSurrogate(attrs.surrogateFn, u, threshold);
  switch (attrs.surrogate) {
    case 'triangle':
      return mul(alpha / threshold, maximum(0, sub(1, abs(sub(div(u, threshold), 1)))));
    case 'fastSigmoid':
      return div(1, square(add(1, mul(alpha, abs(sub(u, threshold))))));
    case 'sigmoid': {
      const sig = sigmoid(mul(alpha, sub(u, threshold)));
      return mul(alpha, mul(sig, sub(1, sig)));
    }
    case 'arctan':
      return div(alpha / 2, add(1, square(mul((Math.PI / 2) * alpha, sub(u, threshold)))));
    default:
      throw new Error(`surrogate: unknown name '${attrs.surrogate}'`);
  }
}
