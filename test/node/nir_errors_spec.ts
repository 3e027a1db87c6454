import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as snn from '../../src/index';
import {graphToHdf5, NirArray, NirGraph} from '../../src/io/nir/graph';
import {writeHdf5} from '../../src/io/nir/hdf5';

const FIXTURES = 'test/fixtures/nir';

const f32 = (data: number[], shape: number[]): NirArray => ({data, shape, dtype: 'float32'});

async function bytesOf(graph: NirGraph): Promise<Uint8Array> {
  return writeHdf5(graphToHdf5(graph));
}

/** `load` of `bytes` fails with a message matching every pattern, and leaves no tensors or variables. */
async function expectLoadError(bytes: Uint8Array | string, patterns: RegExp[], dt = 1e-4): Promise<void> {
  const before = tf.memory().numTensors;
  let message = '';
  try {
    await snn.io.nir.load(bytes, {dt});
  } catch (e) {
    message = (e as Error).message;
  }
  for (const p of patterns) expect(message).toMatch(p);
  expect(tf.memory().numTensors).toBe(before);
}

/** lif_norse.nir's graph (input → 0 Affine → 1 LIF → output), to break. */
async function lifGraph(): Promise<NirGraph> {
  return snn.io.nir.read(`${FIXTURES}/lif_norse.nir`);
}

describe('io.nir: bad input', () => {
  it('an unknown node type names the node and the type', async () => {
    const g = await lifGraph();
    g.nodes['1'].type = 'Izhikevich';
    await expectLoadError(await bytesOf(g), [/node '1'/, /unknown or unsupported node type 'Izhikevich'/, /LIF/]);
  });

  it('a missing parameter names the node and the parameter', async () => {
    const g = await lifGraph();
    delete g.nodes['1'].params.tau;
    await expectLoadError(await bytesOf(g), [/node '1' \(LIF\)/, /missing parameter 'tau'/]);
  });

  it('mismatched shapes name the node, the parameter and both shapes', async () => {
    const g = await lifGraph();
    g.nodes['0'].params.weight = f32([1, 2], [1, 2]);
    await expectLoadError(await bytesOf(g), [
      /node '0' \(Affine\)/,
      /'weight' of shape \[1, 2\] takes 2 features/,
      /shape \[1\]/,
    ]);
    const h = await lifGraph();
    h.nodes['1'].params.v_threshold = f32([0.1, 0.1, 0.1], [3]);
    await expectLoadError(await bytesOf(h), [
      /node '1' \(LIF\)/,
      /'v_threshold' has shape \[3\], but its input has shape \[1\]/,
    ]);
    const c = await snn.io.nir.read(`${FIXTURES}/cnn_sinabs.nir`);
    c.nodes['2'].params.input_shape = {data: [15, 16], shape: [2], dtype: 'int64'};
    await expectLoadError(
      await bytesOf(c),
      [/node '2' \(Conv2d\)/, /'input_shape' \[15, 16\] does not match/, /\[16, 16\]/],
      1
    );
  });

  it('a cycle without a neuron in it names its nodes', async () => {
    const g = await lifGraph();
    g.nodes.loop = {type: 'Linear', params: {weight: f32([0.5], [1, 1])}};
    g.edges.push(['0', 'loop'], ['loop', '0']);
    await expectLoadError(await bytesOf(g), [/cycle without a neuron in it/, /0 → loop|loop → 0/]);
  });

  it('an HDF5 file that is not NIR, and bytes that are not HDF5, say so', async () => {
    const notNir = await writeHdf5({
      kind: 'group',
      members: {data: {kind: 'dataset', shape: [2], dtype: '<f', values: [1, 2]}},
    });
    await expectLoadError(notNir, [/not a NIR file/, /no group 'node'/, /\["data"\]/]);
    await expectLoadError(new TextEncoder().encode('{"modelTopology": {}}'), [/not an HDF5 file/, /7b 22 6d 6f/]);
    await expectLoadError(`${FIXTURES}/missing.nir`, [/io\.nir\.load/, /does not exist/]);
  });

  it('the other problems name the node: a dangling edge, Delay, groups, tau shorter than dt, v_reset per neuron', async () => {
    const g = await lifGraph();
    g.edges.push(['1', 'nowhere']);
    await expectLoadError(await bytesOf(g), [/edge \["1","nowhere"\] names node 'nowhere'/]);
    const d = await lifGraph();
    d.nodes.delay = {type: 'Delay', params: {delay: f32([0.002], [1])}};
    d.edges = [
      ['input', '0'],
      ['0', 'delay'],
      ['delay', '1'],
      ['1', 'output'],
    ];
    await expectLoadError(await bytesOf(d), [/node 'delay' \(Delay\)/, /delays other than 0/]);
    await expectLoadError(
      `${FIXTURES}/lif_norse.nir`,
      [/node '1' \(LIF\)/, /'tau' 0.002\d* is shorter than dt 0.01/],
      0.01
    );
    const c = await snn.io.nir.read(`${FIXTURES}/cnn_sinabs.nir`);
    c.nodes['0'].params.groups = {data: [2], shape: [], dtype: 'int64'};
    await expectLoadError(await bytesOf(c), [/node '0' \(Conv2d\)/, /groups 2/], 1);
    const r = await snn.io.nir.read(`${FIXTURES}/cnn_sinabs.nir`);
    r.nodes['12'].params.v_reset = f32([0, 0, 0, 0, 0, 0, 0, 0, 0, -1], [10]);
    await expectLoadError(await bytesOf(r), [/node '12' \(IF\)/, /'v_reset' differs between neurons/], 1);
  });

  it('bad arguments name the function, the option and the value', async () => {
    await expectLoadError(
      `${FIXTURES}/lif_norse.nir`,
      [/io\.nir\.load: option 'dt' must be a finite number > 0/, /got 0/],
      0
    );
    await expectAsync(snn.io.nir.load(42 as unknown as string, {dt: 1})).toBeRejectedWithError(
      /'source' must be a Uint8Array.*got 42/
    );
    await expectAsync(snn.io.nir.read(new Uint8Array(3))).toBeRejectedWithError(
      /io\.nir\.read\(bytes\): not an HDF5 file/
    );
  });
});

describe('io.nir.save: what NIR cannot express', () => {
  async function expectSaveError(layers: tfl.layers.Layer[], patterns: RegExp[]): Promise<void> {
    const model = tfl.sequential({layers});
    const before = tf.memory().numTensors;
    let message = '';
    try {
      await snn.io.nir.save(model, {dt: 1e-3});
    } catch (e) {
      message = (e as Error).message;
    }
    for (const p of patterns) expect(message).toMatch(p);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  }

  it('BNTT, encoders, timeAverage and the subtract reset are errors naming the layer and the reason', async () => {
    await expectSaveError(
      [
        snn.layers.spikingDense({units: 4, inputShape: [3, 5]}),
        snn.layers.bntt({timeSteps: 3, name: 'norm'}),
        snn.layers.lif({resetMode: 'zero'}),
      ],
      [/io\.nir\.save: layer 'norm' \(SnnBntt\)/, /time-varying/]
    );
    await expectSaveError(
      [snn.layers.poissonEncoder({timeSteps: 4, inputShape: [5], name: 'enc'}), snn.layers.spikingDense({units: 2})],
      [/layer 'enc' \(SnnPoissonEncoder\)/, /encoder/]
    );
    await expectSaveError(
      [snn.layers.spikingDense({units: 4, inputShape: [3, 5]}), snn.layers.lif({name: 'sub'})],
      [/layer 'sub' \(SnnLif\)/, /resetMode 'subtract' has no NIR equivalent/]
    );
    await expectSaveError(
      [snn.layers.spikingDense({units: 4, inputShape: [3, 5]}), snn.layers.timeAverage({name: 'avg'})],
      [/layer 'avg' \(SnnTimeAverage\)/, /readout over time/]
    );
  });

  it('bad arguments name the option', async () => {
    await expectAsync(snn.io.nir.save({} as tfl.LayersModel, {dt: 1})).toBeRejectedWithError(
      /io\.nir\.save: 'model' must be a tf\.LayersModel/
    );
    const model = tfl.sequential({layers: [snn.layers.spikingDense({units: 4, inputShape: [3, 5]})]});
    await expectAsync(snn.io.nir.save(model, {dt: -1})).toBeRejectedWithError(
      /option 'dt' must be a finite number > 0; got -1|option 'dt'.*got -1/
    );
    model.dispose();
  });
});
