import * as tfl from '@tensorflow/tfjs-layers';

import {buildSnn} from './builder';
import {resolveModelOptions, SnnModelOptions} from './model_options';

/**
 * A small BNTT network sized for 28×28 inputs (MNIST, Fashion-MNIST): convs
 * 32, pool, 64, pool, dense 256 and the readout. Defaults: T 6, leak 0.95,
 * direct (analog) input, BNTT. Input sides of at least 4; the two poolings floor odd sides (34 → 17 → 8, as the
 * reference's `img_size // 4`). Page: docs/models.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * ```
 */
export function small(options: SnnModelOptions): tfl.Sequential {
  const o = resolveModelOptions('small', options, {
    timeSteps: 6,
    neuron: 'lif',
    leak: 0.95,
    threshold: 1,
    encoder: 'direct',
    normalization: 'bntt',
    weightDecay: 1e-4,
  });
  const [height, width] = o.inputShape;
  if (height < 4 || width < 4) {
    throw new Error(
      `small: option 'inputShape' must have height and width of at least 4; got [${height}, ${width}, …]`
    );
  }
  return buildSnn('small', o, [32, 'pool', 64, 'pool'], [256]);
}
