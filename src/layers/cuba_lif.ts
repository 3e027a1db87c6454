import {serialization} from '@tensorflow/tfjs-core';

import {CUBA_LIF_SPEC} from '../ops/cuba_lif';
import {layerArgs} from './layer_utils';
import {neuronArgNames, ParameterValue, ParametricNeuronLayer, SpikingNeuronLayerArgs} from './parametric_neuron_layer';

/** The arguments of the `cubaLif` layer. */
export interface CubaLifLayerArgs extends SpikingNeuronLayerArgs {
  /** Membrane decay β in [0, 1]: a number or a nested array (e.g. one per channel). Default 0.95. */
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

/** Current-based LIF neurons ({@link cubaLif}, the layer of `ops.cubaLif`). State `[current, membrane]`. */
export class CubaLif extends ParametricNeuronLayer {
  static className = 'SnnCubaLif';

  constructor(args: CubaLifLayerArgs = {}) {
    super(layerArgs('cubaLif', args, neuronArgNames(CUBA_LIF_SPEC)), 'cubaLif', CUBA_LIF_SPEC);
  }
}
serialization.registerClass(CubaLif);

/**
 * Current-based leaky integrate-and-fire neurons (NIR CubaLIF, snnTorch Synaptic): `J_t = α·J_{t−1} + I_t`,
 * `U_t = β·V_{t−1} + J_t`, spike and reset as lif. Currents `[batch, time, ...features]` in, spikes out;
 * parameters fixed or learnable (`learnLeak`, `learnSynapticLeak`, `learnThreshold`). Page: docs/layers/cuba_lif.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 32}));
 * model.add(snn.layers.cubaLif({synapticLeak: 0.8, learnLeak: true}));
 * model.add(snn.layers.timeAverage());
 * model.predict(tf.ones([2, 16])).print();
 * ```
 */
export function cubaLif(args?: CubaLifLayerArgs): CubaLif {
  return new CubaLif(args);
}
