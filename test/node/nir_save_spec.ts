import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as snn from '../../src/index';
import {NirArray} from '../../src/io/nir/graph';
import {NirReference, referenceInput} from '../shared/nir_check';

const FIXTURES = 'test/fixtures/nir';

function outputs(model: tfl.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

/** Spikes must match exactly; other values to `tolerance` relative to the largest. */
function expectSame(a: Float32Array, b: Float32Array, tolerance = 1e-6): void {
  expect(a.length).toBe(b.length);
  const scale = Math.max(...Array.from(b, Math.abs), 1e-30);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (b[i] === 0 || b[i] === 1) {
      if (a[i] !== b[i]) worst = Infinity;
    } else worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('io.nir.save', () => {
  for (const name of [
    'lif_norse',
    'cnn_sinabs',
    'braille_noDelay_bias_zero',
    'braille_noDelay_noBias_subtract',
    'mixed',
  ]) {
    it(`save(load(${name}.nir)) reloads to the same outputs`, async () => {
      const ref: NirReference | null =
        name === 'lif_norse' ? null : JSON.parse(readFileSync(`${FIXTURES}/${name}_reference.json`, 'utf8'));
      const dt = ref?.dt ?? 1e-4;
      const x = ref
        ? referenceInput(ref)
        : tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([2, 200, 1], 0, 1, 'float32', 5), 0.6), 'float32'));
      const before = tf.memory().numTensors;
      const first = await snn.io.nir.load(`${FIXTURES}/${name}.nir`, {dt});
      const bytes = await snn.io.nir.save(first, {dt});
      const second = await snn.io.nir.load(bytes, {dt});
      expectSame(outputs(second, x), outputs(first, x));
      first.dispose();
      second.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  }

  it("writes cnn_sinabs.nir's weights back in NIR's layouts (Conv2d OIHW, Affine [out, in] after a CHW Flatten)", async () => {
    const original = await snn.io.nir.read(`${FIXTURES}/cnn_sinabs.nir`);
    const model = await snn.io.nir.load(`${FIXTURES}/cnn_sinabs.nir`, {dt: 1});
    const again = await snn.io.nir.read(await snn.io.nir.save(model, {dt: 1}));
    model.dispose();
    for (const node of ['0', '2', '5', '9', '11']) {
      const a = original.nodes[node].params.weight as NirArray;
      const b = again.nodes[node].params.weight as NirArray;
      expect(b.shape).withContext(node).toEqual(a.shape);
      expect(b.data).withContext(node).toEqual(a.data);
    }
    expect(again.nodes['4'].type).toBe('SumPool2d');
    expect(again.nodes['8'].type).toBe('Flatten');
    expect((again.nodes['1'].params.r as NirArray).shape).toEqual([16, 16, 16]);
  });

  it('a model built and trained here exports and re-imports with identical outputs (a file in Node)', async () => {
    const dt = 1e-3;
    const model = tfl.sequential({
      layers: [
        snn.layers.spikingConv2d({filters: 4, kernelSize: 3, inputShape: [null, 8, 8, 2], useBias: true}),
        snn.layers.plif({leak: [0.5, 0.6, 0.7, 0.75], threshold: 0.5, resetMode: 'zero'}),
        snn.layers.spikingAvgPool2d({poolSize: 2}),
        snn.layers.spikingFlatten(),
        snn.layers.spikingDense({units: 12, useBias: true}),
        snn.layers.rCubaLif({leak: 0.9, synapticLeak: 0.7, threshold: 0.4, resetMode: 'zero', learnThreshold: true}),
        snn.layers.spikingDense({units: 3}),
        snn.layers.li({leak: 0.8}),
      ],
    });
    model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    const x = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([6, 5, 8, 8, 2], 0, 1, 'float32', 1), 0.7), 'float32'));
    const y = tf.randomNormal([6, 5, 3], 0, 1, 'float32', 2);
    const kernelBefore = Array.from(model.layers[0].getWeights()[0].dataSync());
    await model.fit(x, y, {epochs: 3, batchSize: 3, verbose: 0});
    expect(Array.from(model.layers[0].getWeights()[0].dataSync())).not.toEqual(kernelBefore);
    const dir = mkdtempSync(join(tmpdir(), 'nir-'));
    try {
      const before = tf.memory().numTensors;
      const bytes = await snn.io.nir.save(model, {dt, path: join(dir, 'trained.nir')});
      expect(new Uint8Array(readFileSync(join(dir, 'trained.nir')))).toEqual(bytes);
      const loaded = await snn.io.nir.load(join(dir, 'trained.nir'), {dt});
      const a = outputs(loaded, x);
      const b = outputs(model, x);
      expectSame(a, b);
      const graph = await snn.io.nir.read(bytes);
      const types = Object.values(graph.nodes).map(n => n.type);
      expect(types.sort()).toEqual([
        'Affine',
        'AvgPool2d',
        'Conv2d',
        'CubaLIF',
        'Flatten',
        'Input',
        'LI',
        'LIF',
        'Linear',
        'Linear',
        'Output',
      ]);
      expect(graph.edges.length).toBe(11); // the chain's 10 and the recurrent connection's way back
      loaded.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      rmSync(dir, {recursive: true, force: true});
      tf.dispose([x, y]);
      model.dispose();
    }
  });
});

describe("docs/nir.md's example", () => {
  it('runs as written (with the fixture and a temporary file for its paths)', async () => {
    const text = readFileSync('docs/nir.md', 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(text)![1];
    const dir = mkdtempSync(join(tmpdir(), 'nir-doc-'));
    try {
      const body = code
        .replace(/^import .*$/gm, '')
        .replace("'lif_norse.nir'", JSON.stringify(`${FIXTURES}/lif_norse.nir`))
        .replace("'mine.nir'", JSON.stringify(join(dir, 'mine.nir')));
      const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
      const log = spyOn(tf.Tensor.prototype, 'print');
      const tfAll = {...tf, ...tfl};
      await new AsyncFunction('tf', 'snn', `${body}\nreturn [model, mine, again];`)(tfAll, snn).then(
        (models: tfl.LayersModel[]) => {
          const x = tf.tidy(() =>
            tf.cast(tf.greater(tf.randomUniform([1, 3, 34, 34, 2], 0, 1, 'float32', 3), 0.8), 'float32')
          );
          expectSame(outputs(models[2], x), outputs(models[1], x));
          x.dispose();
          models.forEach(m => m.dispose());
        }
      );
      expect(log).toHaveBeenCalledTimes(1);
      expect(readFileSync(join(dir, 'mine.nir')).length).toBeGreaterThan(1000);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });
});
