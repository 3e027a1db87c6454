// io.nir.save against the independent reader: test/fixtures/nir/exported.nir was written by io.nir.save from the
// model below, and tools/reference/nir_reference.py (h5py + numpy float64) read it and computed
// exported_reference.json. The spec checks that save still writes that graph, and that the model's outputs are
// what the reference computed from the file. NIR_WRITE_EXPORTED=1 rewrites the .nir (then rerun the Python script).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {readFileSync, writeFileSync} from 'node:fs';

import * as snn from '../../src/index';
import {NirArray} from '../../src/io/nir/graph';
import {compareWithReference, NirReference} from '../shared/nir_check';

const FIXTURES = 'test/fixtures/nir';
const DT = 1e-3;

/** Seeded values in [lo, hi). */
function seeded(n: number, seed: number, lo: number, hi: number): number[] {
  let s = seed;
  return Array.from({length: n}, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return lo + (s / 2 ** 31) * (hi - lo);
  });
}

/** Every exported kind: pad + strided conv, LIF with per-channel leak, v_reset and an input offset (v_leak),
 * sum pooling, flatten, Affine, recurrent LIF, Linear, CubaLIF, Scale, heaviside. */
function buildModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      snn.layers.spikingZeroPad2d({padding: 1, inputShape: [null, 8, 8, 2], name: 'pad'}),
      snn.layers.spikingConv2d({filters: 4, kernelSize: 3, strides: 2, padding: 'valid', useBias: true, name: 'conv'}),
      snn.layers.stepAffine({scale: [0.9, 1.1, 1, 1.2], bias: 0.05, name: 'lif_input'}),
      snn.layers.lif({leak: [0.5, 0.6, 0.7, 0.8], threshold: 0.3, resetMode: 'zero', vReset: -0.1, name: 'lif'}),
      snn.layers.spikingAvgPool2d({poolSize: 2, name: 'pool'}),
      snn.layers.stepAffine({scale: 4, name: 'pool_sum'}),
      snn.layers.spikingFlatten({name: 'flat'}),
      snn.layers.spikingDense({units: 6, useBias: true, name: 'fc1'}),
      snn.layers.rlif({leak: 0.9, threshold: 0.3, resetMode: 'zero', name: 'rlif'}),
      snn.layers.spikingDense({units: 3, name: 'fc2'}),
      snn.layers.cubaLif({leak: 0.8, synapticLeak: 0.6, threshold: 0.15, resetMode: 'zero', name: 'cuba'}),
      snn.layers.stepAffine({scale: [2, 3, 4], name: 'scale'}),
      snn.layers.heaviside({threshold: 0.5, name: 'thr'}),
    ],
  });
  let seed = 1;
  for (const layer of model.layers) {
    const values = layer.getWeights().map(w => tf.tensor(seeded(w.size, seed++, -0.6, 0.9), w.shape));
    if (values.length > 0) layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

describe('io.nir.save against the independent NIR reader (exported.nir, nir_reference.py)', () => {
  it('writes the graph the reference read, and the model gives the outputs it computed from the file', async () => {
    const model = buildModel();
    const bytes = await snn.io.nir.save(model, {dt: DT});
    if (process.env.NIR_WRITE_EXPORTED === '1') writeFileSync(`${FIXTURES}/exported.nir`, bytes);
    const written = await snn.io.nir.read(bytes);
    const fixture = await snn.io.nir.read(`${FIXTURES}/exported.nir`);
    expect(Object.keys(written.nodes).sort()).toEqual(Object.keys(fixture.nodes).sort());
    expect(written.edges).toEqual(fixture.edges);
    for (const [name, node] of Object.entries(fixture.nodes)) {
      expect(written.nodes[name].type).withContext(name).toBe(node.type);
      for (const [key, value] of Object.entries(node.params)) {
        const got = written.nodes[name].params[key] as NirArray;
        expect(got.shape)
          .withContext(`${name}.${key}`)
          .toEqual((value as NirArray).shape);
        const worst = Math.max(0, ...got.data.map((v, i) => Math.abs(v - (value as NirArray).data[i])));
        expect(worst).withContext(`${name}.${key}`).toBeLessThan(1e-7);
      }
    }
    const ref = JSON.parse(readFileSync(`${FIXTURES}/exported_reference.json`, 'utf8')) as NirReference;
    const e = compareWithReference(model, ref);
    console.log(`    exported.nir: spike mismatches ${e.spikeMismatches} of ${ref.output.length} (${e.spikes} spikes)`);
    expect(e.spikeMismatches).toBe(0);
    expect(e.spikes).toBeGreaterThan(10);
    model.dispose();
  });
});
