import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD} from '../../kernels/bntt_attrs';
import {LearningResult, trainSmallSnn} from '../shared/learning_check';
import {countKernelCalls, useWebGL} from './setup';

describe('model.fit trains the spiking layers on webgl', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
  });

  it('conv BNTT network: loss falls, accuracy well above chance, no tensors leak across epochs', async () => {
    expect(tf.getBackend()).toBe('webgl');
    let result: LearningResult | undefined;
    const bnttGradCalls = await countKernelCalls(BNTT_TRAIN_GRAD, 'webgl', async () => {
      result = await trainSmallSnn('conv');
    });
    expect(bnttGradCalls).toBeGreaterThan(0); // BNTT trains through webgl's fused kernels
    if (result == null) throw new Error('trainSmallSnn returned nothing');
    expect(result.lossAfter).toBeLessThan(0.6 * result.lossBefore);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.rates.length).toBe(2);
    expect(result.leakedTensors).toBe(0);
  });
});
