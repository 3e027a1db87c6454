import {serialization} from '@tensorflow/tfjs-core';

import {R_CUBA_LIF_SPEC} from '../ops/recurrent';
import {layerArgs} from './layer_utils';
import type {CubaLifLayerArgs} from './cuba_lif';
import {recurrentArgNames, RecurrentNeuronLayer, RecurrentWeightArgs} from './rlif';

/** The arguments of the `rCubaLif` layer: those of `cubaLif` and the recurrent weight's. */
export interface RCubaLifLayerArgs extends CubaLifLayerArgs, RecurrentWeightArgs {}

/** Recurrent current-based LIF neurons ({@link rCubaLif}). State `[current, membrane, spikes]`. */
export class RCubaLif extends RecurrentNeuronLayer {
  static className = 'SnnRCubaLif';

  constructor(args: RCubaLifLayerArgs = {}) {
    super(layerArgs('rCubaLif', args, recurrentArgNames(R_CUBA_LIF_SPEC)), 'rCubaLif', R_CUBA_LIF_SPEC);
  }
}
serialization.registerClass(RCubaLif);

/**
 * Recurrent current-based LIF neurons (snnTorch RSynaptic): the cubaLif with the previous step's spikes fed
 * back into the synaptic current through a learned `recurrentKernel` [units, units]:
 * `J_t = α·J_{t−1} + I_t + S_{t−1}·W`, `U_t = β·V_{t−1} + J_t`. Input `[batch, time, units]`; a layer only.
 * Page: docs/layers/r_cuba_lif.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 32}));
 * model.add(snn.layers.rCubaLif({synapticLeak: 0.8, learnLeak: true}));
 * model.add(snn.layers.timeAverage());
 * model.predict(tf.ones([2, 16])).print();
 * ```
 */
export function rCubaLif(args?: RCubaLifLayerArgs): RCubaLif {
  return new RCubaLif(args);
}
