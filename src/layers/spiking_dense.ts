import {matMul, reshape, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {optionNames} from '../errors';
import {checkTensorSize, formatShape, layerArgs, OwnArgs, sizeArg} from './layer_utils';
import {KernelLayer} from './kernel_layer';
import {LayerArgs} from './spiking_layer';
import {resolveWeightArgs, ResolvedWeightArgs, WEIGHT_ARG_NAMES, WeightArgs} from './weight_args';

/** The options of `spikingDense`, and the kernel and bias options of {@link WeightArgs}. */
export interface SpikingDenseArgs extends LayerArgs, WeightArgs {
  /** Output features per step. */
  units: number;
}

/**
 * A fully connected layer applied at every step with the same weights:
 * `[batch, time, inFeatures] → [batch, time, units]`, `I_t = x_t·W (+ b)`, as
 * one matrix product over batch·time. Its output is a current: follow it with
 * `bntt` and `lif`, or with `timeAverage` for the output layer.
 * Weights: `kernel [inFeatures, units]` (+ `bias [units]` when `useBias`).
 *
 * ```js
 * model.add(snn.layers.spikingFlatten());
 * model.add(snn.layers.spikingDense({units: 256}));
 * ```
 */
export class SpikingDense extends KernelLayer {
  static className = 'SnnSpikingDense';
  protected readonly minRank = 3;
  protected readonly maxRank = 3;
  protected readonly layout = '[batch, time, features]';
  readonly units: number;
  protected readonly weightArgs: ResolvedWeightArgs;

  constructor(args: SpikingDenseArgs) {
    super(
      layerArgs('spikingDense', args, [
        ...optionNames<Omit<OwnArgs<SpikingDenseArgs>, keyof WeightArgs>>({units: true}),
        ...WEIGHT_ARG_NAMES,
      ])
    );
    this.units = sizeArg('spikingDense', 'units', args?.units);
    this.weightArgs = resolveWeightArgs('spikingDense', args);
  }

  private inFeatures(inputShape: Shape | Shape[]): number {
    const shape = this.timeInputShape(inputShape);
    const features = shape[2];
    if (features == null) {
      throw new Error(`${this.label}: the feature dimension (axis 2) must be known; got shape ${formatShape(shape)}`);
    }
    return features;
  }

  build(inputShape: Shape | Shape[]): void {
    const kernel = [this.inFeatures(inputShape), this.units];
    checkTensorSize(this.label, 'the kernel', kernel, `argument 'units' (${this.units})`);
    this.computeOutputShape(inputShape); // the output's size too, before the kernel exists
    this.addKernelAndBias(kernel);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.timeInputShape(inputShape);
    this.inFeatures(inputShape);
    const output = [shape[0], shape[1], this.units];
    checkTensorSize(this.label, 'the output', output, `argument 'units' (${this.units})`);
    return output;
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const input = this.timeInput(inputs);
      const [batch, time, features] = input.shape;
      const expected = this.kernel!.shape[0];
      if (features !== expected) {
        throw new Error(
          `${this.label}: expects ${expected} input features (axis 2); got shape ` + `${formatShape(input.shape)}`
        );
      }
      const current = this.withBias(matMul(reshape(input, [batch * time, features]), this.kernel!.read()));
      return reshape(current, [batch, time, this.units]);
    });
  }

  getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), units: this.units, ...this.weightConfig()};
  }
}
serialization.registerClass(SpikingDense);

/**
 * The same fully connected layer at every step ({@link SpikingDense}):
 * `[batch, time, inFeatures] → [batch, time, units]`; no bias by default. Follow it with `bntt`
 * and `lif`, or with `timeAverage` as the readout. Page: docs/layers/spiking_dense.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [7, 7, 32]}));
 * model.add(snn.layers.spikingFlatten());
 * model.add(snn.layers.spikingDense({units: 10}));
 * model.add(snn.layers.timeAverage());          // [batch, 10] logits
 * ```
 */
export function spikingDense(args: SpikingDenseArgs): SpikingDense {
  return new SpikingDense(args);
}
