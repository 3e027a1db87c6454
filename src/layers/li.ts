import {serialization} from '@tensorflow/tfjs-core';

import {LI_SPEC} from '../ops/li';
import {layerArgs} from './layer_utils';
import {NeuronLayerArgs} from './neuron_layer';
import {neuronArgNames, ParameterValue, ParametricNeuronLayer} from './parametric_neuron_layer';

/** The arguments of the `li` layer. */
export interface LiLayerArgs extends NeuronLayerArgs {
  /** Membrane decay β in [0, 1]: a number or a nested array (e.g. one per channel). Default 0.95. */
  leak?: ParameterValue;
  /** Make `leak` a weight named 'leak' (kept in [0, 1]). Default false. */
  learnLeak?: boolean;
}

/** Leaky integrators ({@link li}, the layer of `ops.li`): the output is the membrane, not spikes. State `[membrane]`. */
export class Li extends ParametricNeuronLayer {
  static className = 'SnnLi';

  constructor(args: LiLayerArgs = {}) {
    super(layerArgs('li', args, neuronArgNames(LI_SPEC)), 'li', LI_SPEC);
  }

  /** False: the output is the membrane U_t (spike monitors and spike counts skip this layer). */
  get emitsSpikes(): boolean {
    return false;
  }
}
serialization.registerClass(Li);

/**
 * Leaky integrators without spikes (NIR LI): `U_t = β·U_{t−1} + I_t`, output U_t at every step: a readout.
 * Follow it with `timeAverage` (mean membrane) or take the last step. `learnLeak` makes the leak a weight.
 * Page: docs/layers/li.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 10}));
 * model.add(snn.layers.li({leak: 0.9, learnLeak: true}));
 * model.add(snn.layers.timeAverage());              // [batch, 10] logits
 * model.predict(tf.ones([2, 16])).print();
 * ```
 */
export function li(args?: LiLayerArgs): Li {
  return new Li(args);
}
