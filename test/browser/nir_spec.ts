// io.nir in Chromium: h5wasm's ES module (bundled by esbuild into the test bundle), fixtures fetched by URL,
// HDF5 written and read in h5wasm's in-memory file system.
import * as tf from '@tensorflow/tfjs-core';

import {io} from '../../src/index';
import {compareWithReference, NirReference, referenceInput} from '../shared/nir_check';
import './setup'; // registers the cpu backend

const BASE = '/base/test/fixtures/nir';

describe('io.nir in Chromium (h5wasm ESM)', () => {
  it('loads cnn_sinabs.nir from a URL and equals the float64 reference (spikes exact, default backend: webgl)', async () => {
    expect(tf.getBackend()).toBe('webgl');
    const ref = (await (await fetch(`${BASE}/cnn_sinabs_reference.json`)).json()) as NirReference;
    const before = tf.memory().numTensors;
    const model = await io.nir.load(`${BASE}/cnn_sinabs.nir`, {dt: ref.dt});
    const e = compareWithReference(model, ref);
    expect(e.spikeMismatches).toBe(0);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saves a recurrent model to bytes and reloads it with the same outputs', async () => {
    const ref = (await (await fetch(`${BASE}/braille_noDelay_bias_zero_reference.json`)).json()) as NirReference;
    const bytes = new Uint8Array(await (await fetch(`${BASE}/braille_noDelay_bias_zero.nir`)).arrayBuffer());
    const first = await io.nir.load(bytes, {dt: ref.dt});
    expect(compareWithReference(first, ref).spikeMismatches).toBe(0);
    const again = await io.nir.load(await io.nir.save(first, {dt: ref.dt}), {dt: ref.dt});
    const x = referenceInput(ref);
    const a = tf.tidy(() => Array.from((first.predict(x) as tf.Tensor).dataSync()));
    const b = tf.tidy(() => Array.from((again.predict(x) as tf.Tensor).dataSync()));
    expect(b).toEqual(a);
    tf.dispose(x);
    first.dispose();
    again.dispose();
  });

  it('names the problem for bytes that are not NIR', async () => {
    await expectAsync(io.nir.read(new Uint8Array([1, 2, 3]))).toBeRejectedWithError(/not an HDF5 file/);
    await expectAsync(io.nir.save({} as never, {dt: 1, path: 'x.nir'})).toBeRejectedWithError(/'model' must be/);
  });
});
