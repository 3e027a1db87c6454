import * as tf from '@tensorflow/tfjs-core';

import {
  checkNeuronCase,
  expectNeuronMatchesReference,
  expectNeuronOpsLeakFree,
  neuronCases,
} from '../shared/neurons_check';
import {useWebGL} from './setup';

// The neuron family (alif, cubaLif, li, rlif, rCubaLif) runs step by step on core ops: on webgl, every core op
// of the scan (and of ops.spike's surrogates) runs as a shader. The float64 reference set of the Node suites.
for (const pack of [true, false]) {
  describe(`neurons against the float64 reference on webgl (WEBGL_PACK=${pack}, WEBGL_CPU_FORWARD=false)`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
    });
    for (const c of neuronCases()) {
      it(c.name, async () => {
        expect(tf.getBackend()).toBe('webgl');
        expectNeuronMatchesReference(await checkNeuronCase(c));
      });
    }
    it('keeps tf.memory().numTensors flat over forward+backward', () => {
      expectNeuronOpsLeakFree();
    });
  });
}
