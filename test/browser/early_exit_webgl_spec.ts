import * as tf from '@tensorflow/tfjs-core';

import {layers} from '../../src/index';
import {handImages, handNetwork} from '../shared/hand_network';
import {useWebGL} from './setup';

describe('layers.earlyExitWrapper on webgl', () => {
  afterAll(() => tf.setBackend('cpu'));

  it('confidence policy: the hand-computed exit steps and logits, step by step on the GPU', async () => {
    await useWebGL({WEBGL_PACK: true});
    const wrapper = layers.earlyExitWrapper({
      layer: handNetwork(),
      policy: 'confidence',
      confidenceThreshold: 0.25,
      patience: 2,
    });
    const x = handImages();
    const before = tf.memory().numTensors;
    const logits = wrapper.apply(x) as tf.Tensor;
    expect(wrapper.lastExitSteps).toEqual([3, 2]);
    const values = await logits.data();
    [1, 3.2 / 3, 1, 1.6].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 3));
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
