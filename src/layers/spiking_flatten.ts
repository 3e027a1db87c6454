import {reshape, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {formatShape, layerArgs} from './layer_utils';
import {LayerArgs, SpikingLayer} from './spiking_layer';

/**
 * Flattens every step: `[batch, time, ...features] → [batch, time, N]`, in
 * row-major (NHWC) order, the time axis kept.
 *
 * ```js
 * model.add(snn.layers.spikingFlatten());     // [B, T, 7, 7, 32] → [B, T, 1568]
 * ```
 */
export class SpikingFlatten extends SpikingLayer {
  readonly snnRole = 'stepwise' as const;
  static className = 'SnnSpikingFlatten';
  protected readonly minRank = 3;
  protected readonly maxRank = Infinity;
  protected readonly layout = '[batch, time, ...features]';

  constructor(args: LayerArgs = {}) {
    super(layerArgs('spikingFlatten', args, []));
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.timeInputShape(inputShape);
    const features = shape.slice(2);
    if (features.some(d => d == null)) {
      throw new Error(
        `${this.label}: the feature dimensions must be known to flatten; got shape ` + `${formatShape(shape)}`
      );
    }
    return [shape[0], shape[1], (features as number[]).reduce((a, b) => a * b, 1)];
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const input = this.timeInput(inputs);
      const [batch, time] = input.shape as number[];
      return reshape(input, [batch, time, -1]);
    });
  }
}
serialization.registerClass(SpikingFlatten);

/**
 * Flattens every step, keeping the time axis ({@link SpikingFlatten}):
 * `[batch, time, ...features] → [batch, time, N]`. Page: docs/layers/spiking_flatten.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [7, 7, 32]}));
 * model.add(snn.layers.spikingFlatten());
 * console.log(model.outputs[0].shape);          // [null, 4, 1568]
 * ```
 */
export function spikingFlatten(args?: LayerArgs): SpikingFlatten {
  return new SpikingFlatten(args);
}
