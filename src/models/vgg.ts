import * as tfl from '@tensorflow/tfjs-layers';

import {buildSnn} from './builder';
import {resolveModelOptions, SnnModelOptions} from './model_options';

/**
 * VGG9 of the BNTT reference (`SNN_VGG9_BNTT`): convs 64, 64, pool, 128, 128,
 * pool, 256, 256, 256, pool, then dense 1024 and the readout. Defaults: T 25,
 * leak 0.95, Poisson input, BNTT. Input sides must be divisible by 8. Page: docs/models.md.
 *
 * @example
 * ```js
 * const model = snn.models.vgg9({inputShape: [32, 32, 3], numClasses: 10});
 * ```
 */
export function vgg9(options: SnnModelOptions): tfl.Sequential {
  const o = resolveModelOptions('vgg9', options, {
    timeSteps: 25,
    neuron: 'lif',
    leak: 0.95,
    threshold: 1,
    encoder: 'poisson',
    normalization: 'bntt',
    weightDecay: 1e-4,
  });
  checkDivisible('vgg9', o.inputShape, 8);
  return buildSnn('vgg9', o, [64, 64, 'pool', 128, 128, 'pool', 256, 256, 256, 'pool'], [1024]);
}

/**
 * VGG11 of the BNTT reference (`SNN_VGG11_BNTT`): convs 64, pool, 128, pool,
 * 256, 256, pool, 512, 512, pool, 512, 512, global average pool, then dense
 * 4096 and the readout. Defaults: T 25, leak 0.99 (the reference's
 * train.py default), Poisson input, BNTT. Input sides must be divisible by 16. Page: docs/models.md.
 *
 * @example
 * ```js
 * const model = snn.models.vgg11({inputShape: [32, 32, 3], numClasses: 100, timeSteps: 30});
 * ```
 */
export function vgg11(options: SnnModelOptions): tfl.Sequential {
  const o = resolveModelOptions('vgg11', options, {
    timeSteps: 25,
    neuron: 'lif',
    leak: 0.99,
    threshold: 1,
    encoder: 'poisson',
    normalization: 'bntt',
    weightDecay: 1e-4,
  });
  checkDivisible('vgg11', o.inputShape, 16);
  return buildSnn(
    'vgg11',
    o,
    [64, 'pool', 128, 'pool', 256, 256, 'pool', 512, 512, 'pool', 512, 512, {globalPool: true}],
    [4096]
  );
}

function checkDivisible(model: string, [height, width]: number[], factor: number): void {
  if (height % factor !== 0 || width % factor !== 0) {
    throw new Error(
      `${model}: option 'inputShape' must have height and width divisible by ${factor} ` +
        `(the pooling stages halve them); got [${height}, ${width}, …]`
    );
  }
}
