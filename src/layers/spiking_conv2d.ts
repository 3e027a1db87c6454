import {conv2d, reshape, serialization, Tensor, Tensor4D, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {optionNames} from '../errors';
import {checkTensorSize, formatShape, layerArgs, oneOfArg, OwnArgs, pairArg, sizeArg} from './layer_utils';
import {KernelLayer} from './kernel_layer';
import {LayerArgs} from './spiking_layer';
import {resolveWeightArgs, ResolvedWeightArgs, WEIGHT_ARG_NAMES, WeightArgs} from './weight_args';

/** The values of `padding` (spikingConv2d, spikingAvgPool2d). */
export const PADDINGS = ['same', 'valid'] as const;
/** Convolution and pooling padding, as in tf.layers: `'same'` keeps the size at stride 1, `'valid'` pads nothing. */
export type PaddingMode = (typeof PADDINGS)[number];

/** The options of `spikingConv2d`, and the kernel and bias options of {@link WeightArgs}. */
export interface SpikingConv2dArgs extends LayerArgs, WeightArgs {
  /** Output channels. */
  filters: number;
  /** Kernel height and width (one number for a square kernel). */
  kernelSize: number | [number, number];
  /** Default 1. */
  strides?: number | [number, number];
  /** Default `'same'` (the reference pads 3×3 convolutions by 1). */
  padding?: PaddingMode;
  /** Default 1. */
  dilationRate?: number | [number, number];
}

const CONV_ARG_NAMES = [
  ...optionNames<Omit<OwnArgs<SpikingConv2dArgs>, keyof WeightArgs>>({
    filters: true,
    kernelSize: true,
    strides: true,
    padding: true,
    dilationRate: true,
  }),
  ...WEIGHT_ARG_NAMES,
];

/** Output length of a convolution or pooling window along one axis. */
export function windowOutputLength(
  length: number | null,
  window: number,
  stride: number,
  padding: PaddingMode,
  dilation = 1
): number | null {
  if (length == null) return null;
  const span = (window - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(length / stride) : Math.ceil((length - span + 1) / stride);
}

/**
 * A 2-D convolution applied at every step with the same kernel:
 * `[batch, time, height, width, channels] → [batch, time, height', width', filters]`,
 * computed as one convolution over batch·time images (not T separate calls).
 * Weights: `kernel [kh, kw, inChannels, filters]` (+ `bias [filters]` when `useBias`).
 *
 * ```js
 * model.add(snn.layers.spikingConv2d({filters: 64, kernelSize: 3}));
 * model.add(snn.layers.bntt());
 * model.add(snn.layers.lif());
 * ```
 */
export class SpikingConv2d extends KernelLayer {
  static className = 'SnnSpikingConv2d';
  protected readonly minRank = 5;
  protected readonly maxRank = 5;
  protected readonly layout = '[batch, time, height, width, channels]';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: PaddingMode;
  readonly dilationRate: [number, number];
  protected readonly weightArgs: ResolvedWeightArgs;

  constructor(args: SpikingConv2dArgs) {
    const name = 'spikingConv2d';
    super(layerArgs(name, args, CONV_ARG_NAMES));
    this.filters = sizeArg(name, 'filters', args?.filters);
    this.kernelSize = pairArg(name, 'kernelSize', args.kernelSize);
    this.strides = pairArg(name, 'strides', args.strides ?? 1);
    this.padding = oneOfArg(name, 'padding', args.padding ?? 'same', PADDINGS);
    this.dilationRate = pairArg(name, 'dilationRate', args.dilationRate ?? 1);
    if (this.dilationRate.some(d => d > 1) && this.strides.some(s => s > 1)) {
      throw new Error(
        `${name}: 'strides' ${JSON.stringify(args.strides)} and 'dilationRate' ` +
          `${JSON.stringify(args.dilationRate)} cannot both exceed 1 (tf.conv2d allows one or the other)`
      );
    }
    this.weightArgs = resolveWeightArgs(name, args);
  }

  private inChannels(shape: Shape): number {
    const channels = shape[4];
    if (channels == null) {
      throw new Error(`${this.label}: the channel dimension (axis 4) must be known; got shape ${formatShape(shape)}`);
    }
    return channels;
  }

  build(inputShape: Shape | Shape[]): void {
    // Every check before the kernel exists: tfjs-layers asks for the output shape only after build, and a
    // kernel added by a build that then fails would never be disposed.
    const kernel = [...this.kernelSize, this.inChannels(this.timeInputShape(inputShape)), this.filters];
    checkTensorSize(this.label, 'the kernel', kernel, this.sizeArgs());
    this.computeOutputShape(inputShape);
    this.addKernelAndBias(kernel);
  }

  private sizeArgs(): string {
    return `argument 'filters' (${this.filters}) or 'kernelSize' (${formatShape(this.kernelSize)})`;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.timeInputShape(inputShape);
    this.inChannels(shape);
    const [height, width] = [0, 1].map(i =>
      windowOutputLength(shape[2 + i], this.kernelSize[i], this.strides[i], this.padding, this.dilationRate[i])
    );
    if (height === 0 || width === 0 || (height != null && height < 0) || (width != null && width < 0)) {
      throw new Error(
        `${this.label}: kernel ${formatShape(this.kernelSize)} with padding '${this.padding}' ` +
          `does not fit the input of shape ${formatShape(shape)}`
      );
    }
    const output = [shape[0], shape[1], height, width, this.filters];
    checkTensorSize(this.label, 'the output', output, this.sizeArgs());
    return output;
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const input = this.timeInput(inputs);
      const [batch, time, height, width, channels] = input.shape;
      const expected = this.kernel!.shape[2];
      if (channels !== expected) {
        throw new Error(
          `${this.label}: expects ${expected} input channels (axis 4); got shape ` + `${formatShape(input.shape)}`
        );
      }
      const images = reshape(input, [batch * time, height, width, channels]) as Tensor4D;
      const current = this.withBias(
        conv2d(images, this.kernel!.read() as Tensor4D, this.strides, this.padding, 'NHWC', this.dilationRate)
      );
      return reshape(current, [batch, time, ...current.shape.slice(1)]);
    });
  }

  getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      ...this.weightConfig(),
    };
  }
}
serialization.registerClass(SpikingConv2d);

/**
 * The same 2-D convolution at every step ({@link SpikingConv2d}):
 * `[batch, time, height, width, channels] → [batch, time, height', width', filters]`; no bias by
 * default. Its output is a current: follow it with `bntt` and `lif`. Page: docs/layers/spiking_conv2d.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.poissonEncoder({timeSteps: 4, inputShape: [28, 28, 1]}));
 * model.add(snn.layers.spikingConv2d({filters: 32, kernelSize: 3, padding: 'same'}));
 * model.add(snn.layers.bntt());
 * model.add(snn.layers.lif());
 * ```
 */
export function spikingConv2d(args: SpikingConv2dArgs): SpikingConv2d {
  return new SpikingConv2d(args);
}
