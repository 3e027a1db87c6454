import * as tf from '@tensorflow/tfjs-core';
import {readFileSync} from 'node:fs';

import * as snn from '../../src/index';
import {compareWithReference, NirReference} from '../shared/nir_check';

const FIXTURES = 'test/fixtures/nir';
const CASES = ['cnn_sinabs', 'braille_noDelay_bias_zero', 'braille_noDelay_noBias_subtract', 'mixed'];

describe('io.nir.load against the float64 NIR reference (tools/reference/nir_reference.py)', () => {
  for (const name of CASES) {
    it(`${name}.nir: spikes exact, analog outputs to 1e-5`, async () => {
      const ref = JSON.parse(readFileSync(`${FIXTURES}/${name}_reference.json`, 'utf8')) as NirReference;
      const before = tf.memory().numTensors;
      const model = await snn.io.nir.load(`${FIXTURES}/${name}.nir`, {dt: ref.dt});
      const e = compareWithReference(model, ref);
      console.log(
        `    ${name}: spike mismatches ${e.spikeMismatches} of ${ref.output.length} (${e.spikes} spikes), relative error ${e.relativeError.toExponential(2)}`
      );
      if (e.spikeMismatches != null) expect(e.spikeMismatches).toBe(0);
      expect(e.relativeError).toBeLessThan(1e-5);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
