import {abs, add, div, maximum, mul, sigmoid, square, sub, Tensor} from '@tensorflow/tfjs-core';

import {LifCompositeAttrs} from '../lif_attrs';

/** dS/dU of the chosen surrogate, as core ops on the membrane tensor U. */
export function surrogateTensor(u: Tensor, attrs: LifCompositeAttrs): Tensor {
  const {alpha, threshold} = attrs;
  if (attrs.surrogateFn != null) return attrs.surrogateFn(u, threshold);
  switch (attrs.surrogate) {
    case 'triangle':
      return mul(alpha / threshold,
                 maximum(0, sub(1, abs(sub(div(u, threshold), 1)))));
    case 'fastSigmoid':
      return div(1, square(add(1, mul(alpha, abs(sub(u, threshold))))));
    case 'sigmoid': {
      const sig = sigmoid(mul(alpha, sub(u, threshold)));
      return mul(alpha, mul(sig, sub(1, sig)));
    }
    case 'arctan':
      return div(alpha / 2, add(1, square(mul(Math.PI / 2 * alpha, sub(u, threshold)))));
    default:
      throw new Error(`surrogate: unknown name '${attrs.surrogate}'`);
  }
}
