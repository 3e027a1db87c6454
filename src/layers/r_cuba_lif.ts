import {serialization} from '@tensorflow/tfjs-core';

import {R_CUBA_LIF_SPEC} from '../ops/recurrent';
import {layerArgs} from './layer_utils';
import type {ParameterValue, SpikingNeuronLayerArgs} from './parametric_neuron_layer';
import {recurrentArgNames, RecurrentNeuronLayer, RecurrentWeightArgs} from './rlif';

/** The arguments of the `rCubaLif` layer. */
export interface RCubaLifLayerArgs extends SpikingNeuronLayerArgs, RecurrentWeightArgs {
  /** Membrane decay β in [0, 1]: a number or one per unit. Default 0.95. */
  leak?: ParameterValue;
  /** Synaptic current decay α in [0, 1]. Default 0.9. */
  synapticLeak?: ParameterValue;
  /** Threshold θ > 0. Default 1. */
  threshold?: ParameterValue;
  /** Make `leak` a weight named 'leak' (kept in [0, 1]). Default false. */
  learnLeak?: boolean;
  /** Make `synapticLeak` a weight named 'synapticLeak' (kept in [0, 1]). Default false. */
  learnSynapticLeak?: boolean;
  /** Make `threshold` a weight named 'threshold' (kept >= 1e-3). Default false. */
  learnThreshold?: boolean;
}

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
