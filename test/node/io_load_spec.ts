// io.loadLayersModel, io.fromUrl and io.fromFiles: verified loads that leave no tensors behind when they
// fail, and the CLI's loads through them.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {loadCheckpoint} from '../../src/cli/checkpoint';
import * as snn from '../../src/index';
import {expectRejection, flipOneBit, readJSON, serveDirectory, sha256Of} from './io_helpers';

const {io} = snn;

function sequentialModel(): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({inputShape: [5], units: 4, activation: 'relu'}));
  model.add(tfl.layers.dense({units: 3}));
  model.add(tfl.layers.dense({units: 2}));
  return model;
}

function predictionBits(model: tfl.LayersModel): number[] {
  const x = tf.randomUniform([2, 5], -1, 1, 'float32', 3);
  const prediction = model.predict(x) as tf.Tensor;
  const values = prediction.dataSync() as Float32Array;
  tf.dispose([x, prediction]);
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** The parts of a saved model.json that the tests edit. */
interface ModelJSONFile {
  modelTopology: {config: {layers: Array<{class_name: string; config: Record<string, unknown>}>}};
  weightsManifest: Array<{paths: string[]; weights: Array<{name: string; shape: number[]}>; sha256?: string[]}>;
}

function editJSON(file: string, edit: (json: ModelJSONFile) => void) {
  const json = readJSON(file) as ModelJSONFile;
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

/** The ways a saved model can be broken, each applied to a freshly saved copy in `dir`. */
const BREAKAGES: Array<[string, (dir: string) => void, string]> = [
  [
    'a layer config tfjs cannot build (bad topology)',
    dir =>
      editJSON(path.join(dir, 'model.json'), json => {
        json.modelTopology.config.layers[2].config.units = 'many';
      }),
    '',
  ],
  [
    'a weight name the model does not have (bad manifest)',
    dir =>
      editJSON(path.join(dir, 'model.json'), json => {
        json.weightsManifest[0].weights[4].name = 'no_such/kernel';
      }),
    'no_such/kernel',
  ],
  [
    "a weight shape that differs from the model's",
    dir =>
      editJSON(path.join(dir, 'model.json'), json => {
        const specs = json.weightsManifest[0].weights;
        [specs[4].shape, specs[5].shape] = [[2], [3, 2]];
      }),
    'has shape [3,2] in the model, but [2] in the weights manifest',
  ],
  [
    "a manifest that misses one of the model's weights",
    dir =>
      editJSON(path.join(dir, 'model.json'), json => {
        json.weightsManifest[0].weights.pop();
      }),
    'weights are not set',
  ],
  [
    'a manifest that lists no weights',
    dir =>
      editJSON(path.join(dir, 'model.json'), json => {
        json.weightsManifest = [];
      }),
    'lists no weights',
  ],
  ['truncated weights', dir => fs.truncateSync(path.join(dir, 'weights.bin'), 30), 'truncated'],
  ['a digest mismatch', dir => flipOneBit(path.join(dir, 'weights.bin'), 10, 3), 'SHA-256'],
];

describe('io.loadLayersModel', () => {
  let tmp: string;
  let model: tfl.LayersModel;

  beforeAll(() => {
    model = sequentialModel();
  });

  afterAll(() => model.dispose());

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-snn-load-'));
    await model.save(io.fileSystem(tmp));
  });

  afterEach(() => fs.rmSync(tmp, {recursive: true, force: true}));

  it('loads from a handler, a file:// URL and an http URL, predictions bitwise identical', async () => {
    const server = await serveDirectory(tmp);
    try {
      for (const source of [io.fileSystem(tmp), `file://${tmp}/model.json`, `${server.url}/model.json`]) {
        const loaded = await io.loadLayersModel(source);
        expect(predictionBits(loaded)).toEqual(predictionBits(model));
        loaded.dispose();
      }
    } finally {
      await server.close();
    }
  });

  it('restores the optimizer state saved with includeOptimizer, as tf.loadLayersModel does', async () => {
    const trained = sequentialModel();
    trained.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    const x = tf.randomUniform([4, 5], -1, 1, 'float32', 1);
    const y = tf.randomUniform([4, 2], -1, 1, 'float32', 2);
    await trained.fit(x, y, {epochs: 2, verbose: 0});
    await trained.save(io.fileSystem(tmp), {includeOptimizer: true});
    const ours = await io.loadLayersModel(io.fileSystem(tmp));
    const stock = await tfl.loadLayersModel(io.fileSystem(tmp));
    expect(ours.optimizer.getClassName()).toBe('Adam');
    const [oursState, stockState] = [await ours.optimizer.getWeights(), await stock.optimizer.getWeights()];
    expect(oursState.length).toBeGreaterThan(1);
    expect(oursState.map(w => w.name)).toEqual(stockState.map(w => w.name));
    oursState.forEach((w, i) =>
      expect(Array.from(w.tensor.dataSync())).toEqual(Array.from(stockState[i].tensor.dataSync()))
    );
    expect(predictionBits(ours)).toEqual(predictionBits(trained));
    tf.dispose([x, y, ...oursState.map(w => w.tensor), ...stockState.map(w => w.tensor)]);
    [trained, ours, stock].forEach(m => m.dispose());
  });

  it('computes SHA-256 through node:crypto where Node has no global crypto (Node 18)', async () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
    Object.defineProperty(globalThis, 'crypto', {value: undefined, configurable: true});
    try {
      await model.save(io.fileSystem(tmp));
      expect(readJSON(path.join(tmp, 'model.json')).weightsManifest[0].sha256).toEqual([
        sha256Of(path.join(tmp, 'weights.bin')),
      ]);
      flipOneBit(path.join(tmp, 'weights.bin'), 5, 5);
      await expectRejection(
        io.loadLayersModel(io.fileSystem(tmp)),
        'SHA-256',
        `the file has ${sha256Of(path.join(tmp, 'weights.bin'))}`
      );
    } finally {
      Object.defineProperty(globalThis, 'crypto', descriptor);
    }
    expect(globalThis.crypto.subtle).toBeDefined();
  });

  it('rejects a source that is neither a URL nor an IOHandler with load', async () => {
    for (const bad of [undefined, 42, {}, '']) {
      await expectRejection(
        io.loadLayersModel(bad as unknown as string),
        'io.loadLayersModel(source)',
        'expected a model.json URL or an IOHandler with load()'
      );
    }
  });

  for (const [what, breakIt, fragment] of BREAKAGES) {
    it(`keeps tf.memory().numTensors flat when it fails on ${what}`, async () => {
      breakIt(tmp);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        await expectRejection(io.loadLayersModel(io.fileSystem(tmp)), `io.loadLayersModel`, fragment);
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('says the manifest misses weights when a handler gives no weights for a model that has some', async () => {
    const json = readJSON(path.join(tmp, 'model.json'));
    const before = tf.memory().numTensors;
    const handler = tf.io.fromMemory({modelTopology: json.modelTopology});
    await expectRejection(
      io.loadLayersModel(handler),
      'the model has 6 weights',
      'the model artifacts have none',
      'dense_'
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says to import tfjs-snn when a layer class is unknown', async () => {
    editJSON(path.join(tmp, 'model.json'), json => (json.modelTopology.config.layers[1].class_name = 'MyLayer'));
    const error = await expectRejection(
      io.loadLayersModel(io.fileSystem(tmp)),
      'Unknown layer: MyLayer',
      'tf.serialization.registerClass'
    );
    expect(error.message).toContain(`io.loadLayersModel(io.fileSystem('${tmp}'))`);
  });

  it('names a tfjs-snn layer class that this version does not have, before building anything', async () => {
    editJSON(path.join(tmp, 'model.json'), json => (json.modelTopology.config.layers[1].class_name = 'SnnFuture'));
    const before = tf.memory().numTensors;
    await expectRejection(
      io.fileSystem(tmp).load!(),
      'uses the layer class SnnFuture',
      `tfjs-snn ${snn.version} does not have`,
      "import 'tfjs-snn'"
    );
    await expectRejection(io.loadLayersModel(`file://${tmp}`), 'uses the layer class SnnFuture');
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('io.fromUrl (what the browser playground uses)', () => {
    it('verifies the digests over fetch: a one-bit flip is an error naming the URL and both digests', async () => {
      const server = await serveDirectory(tmp);
      try {
        const saved = sha256Of(path.join(tmp, 'weights.bin'));
        flipOneBit(path.join(tmp, 'weights.bin'), 20, 1);
        const before = tf.memory().numTensors;
        await expectRejection(
          io.loadLayersModel(io.fromUrl(`${server.url}/model.json`)),
          `'${server.url}/weights.bin'`,
          `model.json lists ${saved}`,
          `the file has ${sha256Of(path.join(tmp, 'weights.bin'))}`
        );
        await expectRejection(io.loadLayersModel(`${server.url}/model.json`), 'SHA-256');
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        await server.close();
      }
    });

    it('names the URL and the status when model.json or a weights file cannot be fetched', async () => {
      const server = await serveDirectory(tmp);
      try {
        await expectRejection(
          io.fromUrl(`${server.url}/nothing/model.json`).load!(),
          `'${server.url}/nothing/model.json'`,
          '404'
        );
        fs.unlinkSync(path.join(tmp, 'weights.bin'));
        await expectRejection(io.fromUrl(`${server.url}/model.json`).load!(), `'${server.url}/weights.bin'`, '404');
      } finally {
        await server.close();
      }
    });

    it("refuses weights paths that leave the model's folder", async () => {
      editJSON(path.join(tmp, 'model.json'), json => (json.weightsManifest[0].paths = ['../weights.bin']));
      const server = await serveDirectory(tmp);
      try {
        await expectRejection(
          io.fromUrl(`${server.url}/model.json`).load!(),
          'lists the weights path "../weights.bin"'
        );
        await expectRejection(io.fromUrl(`${server.url}/model.json`).load!(), "inside the model's folder");
      } finally {
        await server.close();
      }
    });
  });

  describe("io.fromFiles (the playground's picked files)", () => {
    function files(...names: string[]): File[] {
      return names.map(name => new File([fs.readFileSync(path.join(tmp, name))], name));
    }

    it('loads model.json with its weights file, in either order, and catches a flipped bit', async () => {
      for (const picked of [files('model.json', 'weights.bin'), files('weights.bin', 'model.json')]) {
        const loaded = await io.loadLayersModel(io.fromFiles(picked));
        expect(predictionBits(loaded)).toEqual(predictionBits(model));
        loaded.dispose();
      }
      const saved = sha256Of(path.join(tmp, 'weights.bin'));
      flipOneBit(path.join(tmp, 'weights.bin'), 0, 7);
      await expectRejection(
        io.loadLayersModel(io.fromFiles(files('model.json', 'weights.bin'))),
        "'weights.bin'",
        `model.json lists ${saved}`
      );
    });

    it('loads what tf.io.browserDownloads writes (weights path "./<name>.weights.bin")', async () => {
      fs.renameSync(path.join(tmp, 'weights.bin'), path.join(tmp, 'net.weights.bin'));
      editJSON(path.join(tmp, 'model.json'), json => (json.weightsManifest[0].paths = ['./net.weights.bin']));
      fs.renameSync(path.join(tmp, 'model.json'), path.join(tmp, 'net.json'));
      for (const source of [
        io.fromFiles(files('net.json', 'net.weights.bin')),
        io.fileSystem(path.join(tmp, 'net.json')),
      ]) {
        const loaded = await io.loadLayersModel(source);
        expect(predictionBits(loaded)).toEqual(predictionBits(model));
        loaded.dispose();
      }
    });

    it('names what is missing or extra', async () => {
      await expectRejection(
        io.fromFiles(files('model.json')).load!(),
        "lists the weights file 'weights.bin'",
        'was not picked'
      );
      await expectRejection(io.fromFiles(files('weights.bin')).load!(), 'io.fromFiles(files)', 'one model.json');
    });
  });
});

describe('tfjs-snn train --resume: loadCheckpoint', () => {
  it("keeps tf.memory().numTensors flat when the checkpoint's model is broken", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-snn-ckpt-'));
    try {
      const model = sequentialModel();
      const dir = path.join(out, 'checkpoint');
      await model.save(io.fileSystem(dir));
      model.dispose();
      fs.writeFileSync(path.join(dir, 'state.json'), '{}');
      editJSON(path.join(dir, 'model.json'), json => (json.weightsManifest[0].weights[4].name = 'no_such/kernel'));
      const before = tf.memory().numTensors;
      await expectRejection(loadCheckpoint(out), 'no_such/kernel');
      editJSON(path.join(dir, 'model.json'), json => (json.modelTopology.config.layers[2].config.units = 'x'));
      await expectRejection(loadCheckpoint(out));
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      fs.rmSync(out, {recursive: true, force: true});
    }
  });
});
