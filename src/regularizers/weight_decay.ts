import {regularizers} from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';

/**
 * The regularizer equivalent to SGD's `weight_decay` in PyTorch (the BNTT
 * reference trains with 1e-4): an L2 penalty `(decay/2)·Σw²`, whose gradient
 * `decay·w` is exactly what `weight_decay` adds to the gradient.
 * It is a plain `tf.regularizers.l2`, so models using it save and load as usual.
 *
 * @example
 * ```js
 * snn.layers.spikingConv2d({filters: 64, kernelSize: 3, kernelRegularizer: snn.regularizers.weightDecay(1e-4)});
 * snn.layers.bntt({gammaRegularizer: snn.regularizers.weightDecay(1e-4)});
 * ```
 */
export function weightDecay(decay: number) {
  if (typeof decay !== 'number' || !Number.isFinite(decay) || decay < 0) {
    throw new Error(`weightDecay: argument 'decay' must be a finite number >= 0; got ${describeValue(decay)}`);
  }
  return regularizers.l2({l2: decay / 2});
}
