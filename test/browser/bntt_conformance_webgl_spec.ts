import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../../kernels/bntt_attrs';
import {checkForwardBackward, checkSgdStep, ConformanceErrors, FIXTURE_TOLERANCE} from '../shared/bntt_conformance';
import {countKernelCalls, useWebGL} from './setup';

function expectWithinTolerance(errors: ConformanceErrors) {
  expect(Object.keys(errors).length).toBeGreaterThan(0);
  for (const [quantity, error] of Object.entries(errors)) {
    expect(error).withContext(quantity).toBeLessThanOrEqual(FIXTURE_TOLERANCE);
  }
}

for (const pack of [true, false]) {
  describe(`BNTT network vs the float64 PyTorch reference fixture (webgl, WEBGL_PACK=${pack})`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
    });

    it('training logits, loss, gradients, moving statistics and inference logits', async () => {
      expect(tf.getBackend()).toBe('webgl');
      let errors: ConformanceErrors = {};
      let forwardCalls = 0;
      const gradCalls = await countKernelCalls(BNTT_TRAIN_GRAD, 'webgl', async () => {
        forwardCalls = await countKernelCalls(BNTT_TRAIN, 'webgl', async () => {
          errors = await checkForwardBackward();
        });
      });
      // The fixture network's three BNTT layers, through webgl's fused kernels.
      expect([forwardCalls, gradCalls]).toEqual([3, 3]);
      expect(Object.keys(errors).length).toBe(16);
      expectWithinTolerance(errors);
    });

    it('one trainOnBatch step with SGD momentum and weight decay', async () => {
      expectWithinTolerance(await checkSgdStep());
    });

    it('the composite LIF path', async () => {
      expectWithinTolerance(await checkForwardBackward('composite'));
    });
  });
}
