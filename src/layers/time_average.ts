import {mean, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {layerArgs} from './layer_utils';
import type {ReadoutRole} from './roles';
import {LayerArgs, SpikingLayer} from './spiking_layer';

/**
 * The mean over the time axis: `[batch, time, ...features] → [batch, ...features]`.
 *
 * After a `spikingDense` it is the BNTT reference's output layer: the membrane
 * of a non-leaky integrator, divided by T, fed straight into softmax
 * cross-entropy as logits.
 *
 * ```js
 * model.add(snn.layers.spikingDense({units: 10}));
 * model.add(snn.layers.timeAverage());        // [batch, 10] logits
 * ```
 */
export class TimeAverage extends SpikingLayer implements ReadoutRole {
  readonly snnRole = 'readout' as const;
  static className = 'SnnTimeAverage';
  protected readonly minRank = 3;
  protected readonly maxRank = Infinity;
  protected readonly layout = '[batch, time, ...features]';

  constructor(args: LayerArgs = {}) {
    super(layerArgs('timeAverage', args, []));
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.timeInputShape(inputShape);
    return [shape[0], ...shape.slice(2)];
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => mean(this.timeInput(inputs), 1));
  }
}
serialization.registerClass(TimeAverage);

/**
 * The mean over the time axis ({@link TimeAverage}), `[batch, time, ...features] → [batch, ...features]`:
 * after a `spikingDense`, the readout whose output is the logits. Page: docs/layers/time_average.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 10}));
 * model.add(snn.layers.timeAverage());          // [batch, 10] logits
 * ```
 */
export function timeAverage(args?: LayerArgs): TimeAverage {
  return new TimeAverage(args);
}
