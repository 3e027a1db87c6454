import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import '../../src/index'; // registers the spiking layer classes
import {relativeMaxError} from '../reference/lif_reference';
import {useWebGL} from './setup';

// Written by test/tools/save_model_for_browser.ts (run by `npm run test:browser`) with io.fileSystem in Node.
const BASE = '/base/build/browser/node-models';

interface Expected {
  input: {shape: number[]; values: number[]};
  prediction: {shape: number[]; values: number[]};
}

async function predictInBrowser(name: string): Promise<{actual: Float32Array; expected: Expected}> {
  const response = await fetch(`${BASE}/${name}/expected.json`);
  if (!response.ok) throw new Error(`${BASE}/${name}/expected.json: ${response.status}; run npm run test:browser`);
  const expected = (await response.json()) as Expected;
  const model = await tfl.loadLayersModel(`${BASE}/${name}/model.json`);
  const x = tf.tensor(expected.input.values, expected.input.shape);
  const prediction = model.predict(x) as tf.Tensor;
  const actual = (await prediction.data()) as Float32Array;
  tf.dispose([x, prediction]);
  model.dispose();
  return {actual, expected};
}

describe('models saved in Node with io.fileSystem, loaded in Chromium', () => {
  for (const name of ['bntt-fixture', 'poisson']) {
    it(`${name}: cpu predictions are identical to Node's`, async () => {
      await tf.setBackend('cpu');
      const {actual, expected} = await predictInBrowser(name);
      expect(Array.from(actual)).toEqual(expected.prediction.values);
    });

    it(`${name}: webgl predictions match Node's to 1e-4`, async () => {
      await useWebGL({WEBGL_PACK: true});
      const {actual, expected} = await predictInBrowser(name);
      expect(actual.length).toBe(expected.prediction.values.length);
      expect(relativeMaxError(actual, expected.prediction.values)).toBeLessThan(1e-4);
    });
  }
});
