import * as tf from '@tensorflow/tfjs-core';
import {readFileSync} from 'node:fs';

import * as tfl from '@tensorflow/tfjs-layers';

import * as snn from '../../src/index';
import {graphToHdf5, NirArray, NirGraph} from '../../src/io/nir/graph';
import {writeHdf5} from '../../src/io/nir/hdf5';
import {NirReference, referenceInput} from '../shared/nir_check';

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

describe('io.nir.load: hand-built graphs', () => {
  const f32 = (data: number[], shape: number[]): NirArray => ({data, shape, dtype: 'float32'});
  const i64 = (data: number[]): NirArray => ({data, shape: [data.length], dtype: 'int64'});

  it('sums the inputs of a node with several (input → 2x and 3x → 5x)', async () => {
    const graph: NirGraph = {
      version: '0.2.0',
      nodes: {
        input: {type: 'Input', params: {shape: i64([1])}},
        a: {type: 'Affine', params: {weight: f32([2], [1, 1]), bias: f32([0.5], [1])}},
        b: {type: 'Linear', params: {weight: f32([3], [1, 1])}},
        s: {type: 'Scale', params: {scale: f32([1], [1])}},
        output: {type: 'Output', params: {shape: i64([1])}},
      },
      edges: [
        ['input', 'a'],
        ['input', 'b'],
        ['a', 's'],
        ['b', 's'],
        ['s', 'output'],
      ],
    };
    const model = await io.nir.load(await writeHdf5(graphToHdf5(graph)), {dt: 1});
    const y = tf.tidy(() => Array.from((model.predict(tf.tensor3d([[[1], [2], [-1]]])) as tf.Tensor).dataSync()));
    expect(y).toEqual([5.5, 10.5, -4.5]);
    model.dispose();
  });

  it('keeps NIR order where a flattened CHW map reaches the Output through a neuron (per-neuron thresholds)', async () => {
    // 12 neurons in NIR's CHW order k = (c·2 + y)·3 + x, threshold 0.1·k; tau = dt so the membrane is the input.
    const thresholds = Array.from({length: 12}, (_, k) => 0.1 * k + 0.1);
    const graph: NirGraph = {
      version: '0.2.0',
      nodes: {
        input: {type: 'Input', params: {shape: i64([2, 2, 3])}},
        flat: {
          type: 'Flatten',
          params: {start_dim: {data: [0], shape: [], dtype: 'int64'}, end_dim: {data: [-1], shape: [], dtype: 'int64'}},
        },
        lif: {
          type: 'LIF',
          params: {
            tau: f32(Array(12).fill(1), [12]),
            r: f32(Array(12).fill(1), [12]),
            v_leak: f32(Array(12).fill(0), [12]),
            v_threshold: f32(thresholds, [12]),
          },
        },
        output: {type: 'Output', params: {shape: i64([12])}},
      },
      edges: [
        ['input', 'flat'],
        ['flat', 'lif'],
        ['lif', 'output'],
      ],
    };
    const model = await io.nir.load(await writeHdf5(graphToHdf5(graph)), {dt: 1});
    // NIR input x[k] = θ_k ± 0.05 (above for even k): spikes 1, 0, 1, 0, … in NIR order.
    const nir = thresholds.map((t, k) => (k % 2 === 0 ? t + 0.05 : t - 0.05));
    const ours = new Array<number>(12);
    for (let c = 0; c < 2; c++)
      for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) ours[(y * 3 + x) * 2 + c] = nir[(c * 2 + y) * 3 + x];
    const out = tf.tidy(() => Array.from((model.predict(tf.tensor(ours, [1, 1, 2, 3, 2])) as tf.Tensor).dataSync()));
    expect(out).toEqual(nir.map((_, k) => (k % 2 === 0 ? 1 : 0)));
    model.dispose();
  });
});

describe("io.nir.load's options timeSteps and readout", () => {
  const ref = (): NirReference => JSON.parse(readFileSync(`${FIXTURES}/cnn_sinabs_reference.json`, 'utf8'));

  /** Index of the first largest value (as tf.argMax picks). */
  const firstMax = (row: number[]) => row.indexOf(Math.max(...row));

  it("fixes T and appends a timeAverage: cnn_sinabs gives the reference's spike counts / T, and analysis reads it", async () => {
    const r = ref();
    const [batch, T] = r.inputShape;
    const classes = r.outputShape[2];
    const before = tf.memory().numTensors;
    const model = await io.nir.load(`${FIXTURES}/cnn_sinabs.nir`, {dt: r.dt, timeSteps: T, readout: 'timeAverage'});
    expect(model.inputs[0].shape).toEqual([null, T, 34, 34, 2]);
    expect(model.outputs[0].shape).toEqual([null, classes]);
    expect(snn.layers.isReadout(model.layers[model.layers.length - 1])).toBe(true);
    // The reference's output spikes [batch, T, classes], counted over the first t steps.
    const counts = (b: number, t: number) =>
      Array.from({length: classes}, (_, k) => {
        let n = 0;
        for (let s = 0; s < t; s++) n += r.output[(b * T + s) * classes + k];
        return n;
      });
    const x = referenceInput(r);
    const y = model.predict(x) as tf.Tensor;
    const got = Array.from(y.dataSync());
    const want = Array.from({length: batch}, (_, b) => counts(b, T).map(n => n / T)).flat();
    expect(Math.max(...got.map((g, i) => Math.abs(g - want[i])))).toBeLessThan(1e-6);
    expect(want.some(v => v > 0)).toBe(true);
    // The readout model is a chain that snn.analysis takes: its accuracy after t steps is the reference's.
    const labels = Array.from({length: batch}, (_, b) => firstMax(counts(b, T)));
    const yLabels = tf.tensor1d(labels, 'int32');
    const {accuracy} = snn.analysis.accuracyByTimeSteps(model, x, yLabels);
    const expected = Array.from(
      {length: T},
      (_, t) => labels.filter((label, b) => firstMax(counts(b, t + 1)) === label).length / batch
    );
    expect(accuracy).toEqual(expected);
    expect(accuracy[T - 1]).toBe(1);
    tf.dispose([x, y, yLabels]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves the time axis open and adds nothing by default', async () => {
    const model = await io.nir.load(`${FIXTURES}/lif_norse.nir`, {dt: 1e-4, readout: 'none', timeSteps: null});
    expect(model.inputs[0].shape).toEqual([null, null, 1]);
    expect(model.outputs[0].shape).toEqual([null, null, 1]);
    expect(model.layers.some(l => snn.layers.isReadout(l))).toBe(false);
    model.dispose();
  });

  it('names a bad timeSteps, readout or unknown option, and leaves no tensors', async () => {
    const file = `${FIXTURES}/lif_norse.nir`;
    const before = tf.memory().numTensors;
    const cases: Array<[object, RegExp]> = [
      [{dt: 1e-4, timeSteps: 0}, /option 'timeSteps' must be an integer >= 1 .* got 0/],
      [{dt: 1e-4, timeSteps: 2.5}, /option 'timeSteps' must be an integer >= 1 .* got 2\.5/],
      [{dt: 1e-4, timeSteps: '4'}, /option 'timeSteps' must be an integer >= 1 .* got '4'/],
      [{dt: 1e-4, readout: 'mean'}, /option 'readout' must be one of 'none', 'timeAverage'; got 'mean'/],
      [{dt: 1e-4, timestep: 4}, /unknown option 'timestep'; the options are 'dt', 'timeSteps', 'readout'/],
    ];
    for (const [options, message] of cases) {
      await expectAsync(io.nir.load(file, options as snn.io.nir.NirLoadOptions)).toBeRejectedWithError(message);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
