import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import {
  checkNeuronCase,
  expectNeuronMatchesReference,
  expectNeuronOpsLeakFree,
  neuronCases,
} from '../shared/neurons_check';

// The neuron family runs step by step on core ops (any backend): the same float64 reference set on cpu and wasm.
for (const backend of ['cpu', 'wasm']) {
  describe(`neurons (alif, cubaLif, li, rlif, rCubaLif) against the float64 reference on ${backend}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
    });
    afterAll(async () => {
      await tf.setBackend('cpu');
    });
    for (const c of neuronCases()) {
      it(c.name, async () => {
        expectNeuronMatchesReference(await checkNeuronCase(c));
      });
    }
    it('keeps tf.memory().numTensors flat over forward+backward', () => {
      expectNeuronOpsLeakFree();
    });
  });
}
