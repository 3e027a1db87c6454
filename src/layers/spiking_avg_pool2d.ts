import {
  AvgPool,
  AvgPoolAttrs,
  avgPool,
  engine,
  reshape,
  serialization,
  Tensor,
  Tensor4D,
  tidy,
} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {optionNames} from '../errors';
import {formatShape, layerArgs, oneOfArg, OwnArgs, pairArg} from './layer_utils';
import {PaddingMode, PADDINGS, windowOutputLength} from './spiking_conv2d';
import {LayerArgs, SpikingLayer} from './spiking_layer';

/** The options of `spikingAvgPool2d` (all optional). */
export interface SpikingAvgPool2dArgs extends LayerArgs {
  /** Window height and width. Default 2. */
  poolSize?: number | [number, number];
  /** Default: the pool size (non-overlapping windows). */
  strides?: number | [number, number];
  /** Default `'valid'`. */
  padding?: PaddingMode;
}

/**
 * Average pooling of every step's spike map, as the BNTT reference pools
 * spikes: `[batch, time, height, width, channels] → [batch, time, height', width', channels]`.
 *
 * ```js
 * model.add(snn.layers.lif());
 * model.add(snn.layers.spikingAvgPool2d({poolSize: 2}));
 * ```
 */
export class SpikingAvgPool2d extends SpikingLayer {
  readonly snnRole = 'stepwise' as const;
  static className = 'SnnSpikingAvgPool2d';
  protected readonly minRank = 5;
  protected readonly maxRank = 5;
  protected readonly layout = '[batch, time, height, width, channels]';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: PaddingMode;

  constructor(args: SpikingAvgPool2dArgs = {}) {
    const name = 'spikingAvgPool2d';
    super(
      layerArgs(name, args, optionNames<OwnArgs<SpikingAvgPool2dArgs>>({poolSize: true, strides: true, padding: true}))
    );
    this.poolSize = pairArg(name, 'poolSize', args.poolSize ?? 2);
    this.strides = pairArg(name, 'strides', args.strides ?? this.poolSize);
    this.padding = oneOfArg(name, 'padding', args.padding ?? 'valid', PADDINGS);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.timeInputShape(inputShape);
    const [height, width] = [0, 1].map(i =>
      windowOutputLength(shape[2 + i], this.poolSize[i], this.strides[i], this.padding)
    );
    if ((height != null && height < 1) || (width != null && width < 1)) {
      throw new Error(
        `${this.label}: pool ${formatShape(this.poolSize)} does not fit the input of shape ` + `${formatShape(shape)}`
      );
    }
    return [shape[0], shape[1], height, width, shape[4]];
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const input = this.timeInput(inputs);
      const [batch, time, height, width, channels] = input.shape as number[];
      const images = reshape(input, [batch * time, height, width, channels]) as Tensor4D;
      const pooled = pool(images, this.poolSize, this.strides, this.padding);
      return reshape(pooled, [batch, time, ...pooled.shape.slice(1)]);
    });
  }

  getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding};
  }
}
serialization.registerClass(SpikingAvgPool2d);

/**
 * tf.avgPool without its last step, a Cast of the result to float32, which copies the whole result on wasm
 * (and the copy is held until the end of a training step's backward pass). Spikes are float32 already.
 */
function pool(x: Tensor4D, poolSize: [number, number], strides: [number, number], padding: PaddingMode): Tensor4D {
  if (x.dtype !== 'float32') return avgPool(x, poolSize, strides, padding);
  const attrs: AvgPoolAttrs = {filterSize: poolSize, strides, pad: padding, dimRoundingMode: undefined};
  return engine().runKernel(AvgPool, {x}, attrs as never) as Tensor4D;
}

/**
 * Average pooling of every step's spike map ({@link SpikingAvgPool2d}):
 * `[batch, time, height, width, channels] → [batch, time, height', width', channels]`.
 * Page: docs/layers/spiking_avg_pool2d.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.poissonEncoder({timeSteps: 4, inputShape: [28, 28, 1]}));
 * model.add(snn.layers.spikingAvgPool2d({poolSize: 2}));
 * console.log(model.outputs[0].shape);          // [null, 4, 14, 14, 1]
 * ```
 */
export function spikingAvgPool2d(args?: SpikingAvgPool2dArgs): SpikingAvgPool2d {
  return new SpikingAvgPool2d(args);
}
