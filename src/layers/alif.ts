import {serialization} from '@tensorflow/tfjs-core';

import {ALIF_SPEC} from '../ops/alif';
import {layerArgs} from './layer_utils';
import {neuronArgNames, ParameterValue, ParametricNeuronLayer, SpikingNeuronLayerArgs} from './parametric_neuron_layer';

/** The arguments of the `alif` layer. */
export interface AlifLayerArgs extends SpikingNeuronLayerArgs {
  /** Membrane decay β in [0, 1]: a number or a nested array (e.g. one per channel). Default 0.95. */
  leak?: ParameterValue;
  /** Base threshold θ > 0. Default 1. */
  threshold?: ParameterValue;
  /** κ >= 0: the threshold's rise per spike. Default 0.2. */
  adaptation?: ParameterValue;
  /** ρ in [0, 1]: the decay of the rise per step. Default 0.9. */
  adaptationLeak?: ParameterValue;
  /** Make `leak` a weight named 'leak' (kept in [0, 1]). Default false. */
  learnLeak?: boolean;
  /** Make `threshold` a weight named 'threshold' (kept >= 1e-3). Default false. */
  learnThreshold?: boolean;
  /** Make `adaptation` a weight named 'adaptation' (kept >= 0). Default false. */
  learnAdaptation?: boolean;
  /** Make `adaptationLeak` a weight named 'adaptationLeak' (kept in [0, 1]). Default false. */
  learnAdaptationLeak?: boolean;
}

/**
 * Adaptive LIF neurons ({@link alif}, the layer of `ops.alif`): each spike raises the neuron's threshold by
 * `adaptation`, decaying back with `adaptationLeak`. State `[membrane, adaptation]`.
 */
export class Alif extends ParametricNeuronLayer {
  static className = 'SnnAlif';

  constructor(args: AlifLayerArgs = {}) {
    super(layerArgs('alif', args, neuronArgNames(ALIF_SPEC)), 'alif', ALIF_SPEC);
  }
}
serialization.registerClass(Alif);

/**
 * Adaptive leaky integrate-and-fire neurons (Bellec et al.'s LSNN): `U_t = β·V_{t−1} + I_t`,
 * `S_t = H(U_t − θ − A_{t−1})`, reset as lif, `A_t = ρ·A_{t−1} + κ·S_t`. Currents `[batch, time, ...features]` in,
 * spikes out; parameters fixed or learnable (`learnLeak`, `learnThreshold`, `learnAdaptation`,
 * `learnAdaptationLeak`). Page: docs/layers/alif.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 32}));
 * model.add(snn.layers.alif({adaptation: 0.2, adaptationLeak: 0.9, learnThreshold: true}));
 * model.add(snn.layers.timeAverage());
 * model.predict(tf.ones([2, 16])).print();
 * ```
 */
export function alif(args?: AlifLayerArgs): Alif {
  return new Alif(args);
}
