import {add, mul, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {optionNames} from '../errors';
import {layerArgs, OwnArgs} from './layer_utils';
import {
  checkParameterBroadcast,
  NestedNumbers,
  parameterArg,
  parameterConfig,
  parameterTensor,
  ParameterValue,
} from './neuron_parameters';
import type {ParameterRange} from './constraints';
import {LayerArgs, SpikingLayer} from './spiking_layer';

/** The options of `stepAffine`. */
export interface StepAffineArgs extends LayerArgs {
  /** The factor a: a number, or a nested array broadcasting to the features shape (per channel, per neuron). Default 1. */
  scale?: NestedNumbers;
  /** The offset b, shaped like `scale` may be. Default 0. */
  bias?: NestedNumbers;
}

const ANY_FINITE: ParameterRange = Object.freeze({
  ok: () => true,
  expected: '(any finite value)',
  option: 'a finite number',
  clip: {},
});

/**
 * The same elementwise affine map at every step, `y_t = a·x_t + b` (fixed values, no weights):
 * `[batch, time, ...features] → [batch, time, ...features]`. NIR's `Scale` node, and the input scale and offset
 * by which NIR's neuron equations reach our neurons under forward Euler (docs/nir.md).
 */
export class StepAffine extends SpikingLayer {
  readonly snnRole = 'stepwise' as const;
  static className = 'SnnStepAffine';
  protected readonly minRank = 3;
  protected readonly maxRank = Infinity;
  protected readonly layout = '[batch, time, ...features]';
  /** a, as given (shape and row-major values). */
  readonly scale: ParameterValue;
  /** b, as given. */
  readonly bias: ParameterValue;

  constructor(args: StepAffineArgs = {}) {
    const name = 'stepAffine';
    super(layerArgs(name, args, optionNames<OwnArgs<StepAffineArgs>>({scale: true, bias: true})));
    this.scale = parameterArg(name, 'scale', args.scale ?? 1, ANY_FINITE);
    this.bias = parameterArg(name, 'bias', args.bias ?? 0, ANY_FINITE);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.timeInputShape(inputShape);
    checkParameterBroadcast(this.label, 'scale', this.scale, shape);
    checkParameterBroadcast(this.label, 'bias', this.bias, shape);
    return shape;
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const input = this.timeInput(inputs);
      return add(mul(input, parameterTensor(this.scale)), parameterTensor(this.bias));
    });
  }

  getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), scale: parameterConfig(this.scale), bias: parameterConfig(this.bias)};
  }
}
serialization.registerClass(StepAffine);

/**
 * The same elementwise affine map at every step ({@link StepAffine}): `y_t = scale·x_t + bias`, with `scale` and
 * `bias` numbers or nested arrays broadcasting to the features shape. It keeps no state and has no weights. NIR
 * import uses it for `Scale` nodes and for the input scale `dt·r/τ` and offset `dt·v_leak/τ` of the neurons.
 *
 * @example
 * ```js
 * const layer = snn.layers.stepAffine({scale: [1, 2, 3], bias: 0.5});
 * layer.apply(tf.ones([1, 2, 3])).print();     // [[[1.5, 2.5, 3.5], [1.5, 2.5, 3.5]]]
 * ```
 */
export function stepAffine(args?: StepAffineArgs): StepAffine {
  return new StepAffine(args);
}
