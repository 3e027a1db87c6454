import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {layers} from '../../src/index';

/**
 * A network whose spikes are known by hand: x (4 features) at every one of 3 steps → dense 'hidden' with
 * the identity kernel → lif 'spikes' (leak 1, threshold 1, subtract reset) → dense 'out' readout (class 0
 * reads neuron 1, class 1 reads neuron 3 with weight 1.6) → timeAverage 'readout'.
 * A constant current c spikes: 0.6 → [0, 1, 0]; 1.5 → [1, 1, 1]; 0 → [0, 0, 0]; 1.0 → [0, 1, 1].
 */
export function handNetwork(): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      layers.directEncoder({timeSteps: 3, inputShape: [4]}),
      layers.spikingDense({units: 4, useBias: false, name: 'hidden'}),
      layers.lif({leak: 1, threshold: 1, name: 'spikes'}),
      layers.spikingDense({units: 2, useBias: false, name: 'out'}),
      layers.timeAverage({name: 'readout'}),
    ],
  });
  model.setWeights([
    tf.eye(4),
    tf.tensor2d([
      [0, 0],
      [1, 0],
      [0, 0],
      [0, 1.6],
    ]),
  ]);
  return model;
}

/**
 * Example 0 spikes: n0 [0,1,0], n1 [1,1,1], n2 [0,0,0], n3 [0,1,1]; example 1: every neuron [1,1,1].
 * Running readout means: example 0 [1, 0], [1, 0.8], [1, 1.07] (softmax margins 0.46, 0.10, 0.03);
 * example 1 [1, 1.6] at every step (margin 0.29).
 */
export const handImages = () =>
  tf.tensor2d([
    [0.6, 1.5, 0, 1.0],
    [1.5, 1.5, 1.5, 1.5],
  ]);
