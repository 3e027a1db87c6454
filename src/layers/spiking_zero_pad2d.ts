import {pad, reshape, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {optionNames} from '../errors';
import {argError, layerArgs, OwnArgs} from './layer_utils';
import {LayerArgs, SpikingLayer} from './spiking_layer';

/** The options of `spikingZeroPad2d`. */
export interface SpikingZeroPad2dArgs extends LayerArgs {
  /** Zeros added above and below (first) and left and right (second) of every map: a number or a pair. Default 1. */
  padding?: number | [number, number];
}

/**
 * Pads every step's maps with zeros on both sides: `[batch, time, height, width, channels] →
 * [batch, time, height + 2·ph, width + 2·pw, channels]`. With a `'valid'` spikingConv2d after it, it gives
 * PyTorch's (and NIR's) integer convolution padding.
 */
export class SpikingZeroPad2d extends SpikingLayer {
  readonly snnRole = 'stepwise' as const;
  static className = 'SnnSpikingZeroPad2d';
  protected readonly minRank = 5;
  protected readonly maxRank = 5;
  protected readonly layout = '[batch, time, height, width, channels]';
  /** Rows and columns of zeros on each side. */
  readonly padding: [number, number];

  constructor(args: SpikingZeroPad2dArgs = {}) {
    const name = 'spikingZeroPad2d';
    super(layerArgs(name, args, optionNames<OwnArgs<SpikingZeroPad2dArgs>>({padding: true})));
    const value = args.padding ?? 1;
    const pair = typeof value === 'number' ? [value, value] : value;
    const ok =
      Array.isArray(pair) &&
      pair.length === 2 &&
      pair.every(v => typeof v === 'number' && Number.isInteger(v) && v >= 0);
    if (!ok) throw argError(name, 'padding', value, 'an integer >= 0 or a pair of them');
    this.padding = [pair[0], pair[1]];
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.timeInputShape(inputShape);
    const grow = (d: number | null, p: number) => (d == null ? null : d + 2 * p);
    return [shape[0], shape[1], grow(shape[2], this.padding[0]), grow(shape[3], this.padding[1]), shape[4]];
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const [ph, pw] = this.padding;
      // As rank-4 images: tfjs-backend-webgl's packed pad does not compile for rank 5 (ivec5 is no GLSL type).
      const input = this.timeInput(inputs);
      const [batch, time, height, width, channels] = input.shape as number[];
      const images = reshape(input, [batch * time, height, width, channels]);
      const padded = pad(images, [
        [0, 0],
        [ph, ph],
        [pw, pw],
        [0, 0],
      ]);
      return reshape(padded, [batch, time, ...padded.shape.slice(1)]);
    });
  }

  getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), padding: this.padding};
  }
}
serialization.registerClass(SpikingZeroPad2d);

/**
 * Zero padding of every step's maps ({@link SpikingZeroPad2d}): `padding` rows above and below and columns left
 * and right (a number, or `[rows, columns]`).
 *
 * @example
 * ```js
 * const layer = snn.layers.spikingZeroPad2d({padding: [1, 2]});
 * console.log(layer.apply(tf.ones([1, 3, 4, 4, 2])).shape);    // [1, 3, 6, 8, 2]
 * ```
 */
export function spikingZeroPad2d(args?: SpikingZeroPad2dArgs): SpikingZeroPad2d {
  return new SpikingZeroPad2d(args);
}
