import {cast, greater, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {optionNames} from '../errors';
import {THRESHOLD_RANGE} from './constraints';
import {layerArgs, OwnArgs} from './layer_utils';
import {
  checkParameterBroadcast,
  NestedNumbers,
  parameterArg,
  parameterConfig,
  parameterTensor,
  ParameterValue,
} from './neuron_parameters';
import {LayerArgs, SpikingLayer} from './spiking_layer';

/** The options of `heaviside`. */
export interface HeavisideArgs extends LayerArgs {
  /** θ > 0: a number or a nested array broadcasting to the features shape. Default 1. */
  threshold?: NestedNumbers;
}

/**
 * A spike wherever the input exceeds the threshold, at every step and without state: `S_t = 1 if x_t > θ else 0`
 * (NIR's `Threshold` node). Its gradient is zero: it is for inference (imported models), not for training.
 */
export class Heaviside extends SpikingLayer {
  readonly snnRole = 'stepwise' as const;
  static className = 'SnnHeaviside';
  protected readonly minRank = 3;
  protected readonly maxRank = Infinity;
  protected readonly layout = '[batch, time, ...features]';
  /** θ, as given. */
  readonly threshold: ParameterValue;

  constructor(args: HeavisideArgs = {}) {
    const name = 'heaviside';
    super(layerArgs(name, args, optionNames<OwnArgs<HeavisideArgs>>({threshold: true})));
    this.threshold = parameterArg(name, 'threshold', args.threshold ?? 1, THRESHOLD_RANGE);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.timeInputShape(inputShape);
    checkParameterBroadcast(this.label, 'threshold', this.threshold, shape);
    return shape;
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => cast(greater(this.timeInput(inputs), parameterTensor(this.threshold)), 'float32'));
  }

  getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), threshold: parameterConfig(this.threshold)};
  }
}
serialization.registerClass(Heaviside);

/**
 * A stateless threshold at every step ({@link Heaviside}): 1 where the input exceeds `threshold`, else 0 (NIR's
 * `Threshold` node). No surrogate gradient: use a neuron layer to train.
 *
 * @example
 * ```js
 * const layer = snn.layers.heaviside({threshold: 0.5});
 * layer.apply(tf.tensor3d([[[0.2, 0.5, 0.7]]])).print();    // [[[0, 0, 1]]]
 * ```
 */
export function heaviside(args?: HeavisideArgs): Heaviside {
  return new Heaviside(args);
}
