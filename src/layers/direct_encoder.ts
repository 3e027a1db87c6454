import {concat, reshape, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';

import {EncoderLayer} from './encoder_layer';
import {optionNames} from '../errors';
import {layerArgs, OwnArgs, sizeArg} from './layer_utils';
import {LayerArgs} from './spiking_layer';

/** The options of `directEncoder`. */
export interface DirectEncoderArgs extends LayerArgs {
  /** Number of time steps T. */
  timeSteps: number;
}

/**
 * Direct (analog) input coding: repeats the input at every step,
 * `[batch, ...features] → [batch, timeSteps, ...features]`. The first spiking
 * layer then sees the analog values as its input current; gradients flow back
 * to the input.
 *
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 6, inputShape: [28, 28, 1]}));
 * ```
 */
export class DirectEncoder extends EncoderLayer {
  static className = 'SnnDirectEncoder';
  readonly timeSteps: number;

  get emitsSpikes(): boolean {
    return false;
  }

  constructor(args: DirectEncoderArgs) {
    super(layerArgs('directEncoder', args, optionNames<OwnArgs<DirectEncoderArgs>>({timeSteps: true})));
    this.timeSteps = sizeArg('directEncoder', 'timeSteps', args?.timeSteps);
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const input = this.analogInput(inputs);
      // T copies of [batch, 1, features] concatenated along the step axis, at rank 3: tfjs-backend-webgpu runs a
      // Tile of rank 5 or more on the CPU (through a synchronous read of the input), and tfjs-backend-wasm's Tile
      // computes an index per element, 20 times slower than its Concat's row copies (12 ms against 0.6 ms for
      // [64, 28, 28, 1] at T 6).
      const [batch, ...features] = input.shape;
      const flat = reshape(input, [batch, 1, features.reduce((a, b) => a * b, 1)]);
      const steps = concat(new Array<Tensor>(this.timeSteps).fill(flat), 1);
      return reshape(steps, [batch, this.timeSteps, ...features]);
    });
  }

  getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), timeSteps: this.timeSteps};
  }
}
serialization.registerClass(DirectEncoder);

/**
 * Direct (analog) input coding ({@link DirectEncoder}): the input repeated at every step,
 * `[batch, ...features] → [batch, timeSteps, ...features]`. Page: docs/layers/direct_encoder.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 6, inputShape: [28, 28, 1]}));
 * console.log(model.outputs[0].shape);          // [null, 6, 28, 28, 1]
 * ```
 */
export function directEncoder(args: DirectEncoderArgs): DirectEncoder {
  return new DirectEncoder(args);
}
