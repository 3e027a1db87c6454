import * as tf from '@tensorflow/tfjs-core';
import {readFileSync} from 'node:fs';

import * as tfl from '@tensorflow/tfjs-layers';

import * as snn from '../../src/index';

const {io} = snn;

const FIXTURES = 'test/fixtures/nir';

/** lif_norse.csv: per step the input, Norse's membrane after the step (after a reset) and its spike. */
function norseTrace(): {input: number[]; membrane: number[]; spikes: number[]} {
  const rows = readFileSync(`${FIXTURES}/lif_norse.csv`, 'utf8')
    .trim()
    .split('\n')
    .map(l => l.split(',').map(Number));
  return {input: rows.map(r => r[0]), membrane: rows.map(r => r[1]), spikes: rows.map(r => r[2])};
}

describe('io.nir.load: lif_norse.nir against Norse (lif_norse.csv)', () => {
  it('gives the CSV spikes exactly and its membrane to 1e-5 at dt 1e-4', async () => {
    const {input, membrane, spikes} = norseTrace();
    const model = await io.nir.load(`${FIXTURES}/lif_norse.nir`, {dt: 1e-4});
    const before = tf.memory().numTensors;
    const x = tf.tensor3d(input, [1, input.length, 1]);
    const out = model.predict(x) as tf.Tensor;
    const got = Array.from(out.dataSync());
    let mismatches = 0;
    for (let t = 0; t < input.length; t++) if (got[t] !== spikes[t]) mismatches++;
    expect(mismatches).toBe(0);
    expect(spikes.filter(s => s === 1).length).toBe(4);
    // The membrane after each step (after its reset), as Norse recorded it: stream the LIF one step at a time
    // from the current the layers before it give.
    const lifIndex = model.layers.findIndex(l => snn.layers.isNeuron(l));
    const lifLayer = model.layers[lifIndex] as unknown as snn.layers.NeuronRole;
    const current = tfl.model({inputs: model.inputs, outputs: model.layers[lifIndex - 1].output as tfl.SymbolicTensor});
    const currents = current.predict(x) as tf.Tensor;
    let state: tf.Tensor[] | null = null;
    let worst = 0;
    for (let t = 0; t < input.length; t++) {
      const step = tf.slice(currents, [0, t, 0], [1, 1, 1]);
      const next = lifLayer.runFrom(step, state);
      tf.dispose([step, next.output, ...(state ?? [])]);
      state = next.state;
      worst = Math.max(worst, Math.abs(state[0].dataSync()[0] - membrane[t]));
    }
    expect(worst).toBeLessThan(1e-5);
    console.log(`    lif_norse: ${input.length} steps, 4 spikes exact, membrane max |error| ${worst.toExponential(2)}`);
    tf.dispose([x, out, currents, ...(state ?? [])]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
