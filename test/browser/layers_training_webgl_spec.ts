import * as tf from '@tensorflow/tfjs-core';

import {trainSmallSnn} from '../shared/learning_check';
import {useWebGL} from './setup';

describe('model.fit trains the spiking layers on webgl', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
  });

  it('conv BNTT network: loss falls, accuracy well above chance, no tensors leak across epochs', async () => {
    expect(tf.getBackend()).toBe('webgl');
    const result = await trainSmallSnn('conv');
    expect(result.lossAfter).toBeLessThan(0.6 * result.lossBefore);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.rates.length).toBe(2);
    expect(result.leakedTensors).toBe(0);
  });
});
