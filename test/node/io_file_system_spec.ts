// io.fileSystem and the file:// routers: standard tfjs format on disk, atomic saves,
// clear errors, and no clash with tfjs-node.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {spawn} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {fileRouter, registerFileRouter} from '../../src/io/file_router';
import {fileSystem, saveHooksForTesting, SaveStep} from '../../src/io/file_system';
import * as io from '../../src/io/index';
import {expectRejection, flipOneBit, readJSON, serveDirectory, sha256Of} from './io_helpers';

function sequentialModel(): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu'}));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({units: 4}));
  return model;
}

function functionalModel(): tfl.LayersModel {
  const a = tfl.input({shape: [5], name: 'a'});
  const b = tfl.input({shape: [3], name: 'b'});
  const hiddenA = tfl.layers.dense({units: 4, activation: 'tanh'}).apply(a) as tfl.SymbolicTensor;
  const hiddenB = tfl.layers.dense({units: 4}).apply(b) as tfl.SymbolicTensor;
  const joined = tfl.layers.concatenate().apply([hiddenA, hiddenB]) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({units: 2}).apply(joined) as tfl.SymbolicTensor;
  return tfl.model({inputs: [a, b], outputs: out});
}

function inputsFor(model: tfl.LayersModel): tf.Tensor[] {
  return model.inputs.map((input, i) =>
    tf.randomUniform([2, ...(input.shape.slice(1) as number[])], -1, 1, 'float32', 7 + i)
  );
}

/** The prediction's float32 bit patterns, so equality is bitwise. */
function predictionBits(model: tfl.LayersModel, inputs: tf.Tensor[]): number[] {
  const prediction = model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor;
  const values = prediction.dataSync() as Float32Array;
  prediction.dispose();
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

async function expectSamePredictions(loaded: tfl.LayersModel, original: tfl.LayersModel) {
  const inputs = inputsFor(original);
  expect(predictionBits(loaded, inputs)).toEqual(predictionBits(original, inputs));
  tf.dispose(inputs);
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The pid of a process that has exited (and been reaped), so no live process has it. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise(resolve => child.on('exit', resolve));
  return child.pid!;
}

function throwingAt(failingStep: SaveStep) {
  return (step: SaveStep) => {
    if (step === failingStep) throw new Error(`injected fault at ${step}`);
  };
}

describe('io.fileSystem', () => {
  let tmp: string;
  const models: tfl.LayersModel[] = [];
  const keep = <T extends tfl.LayersModel>(model: T) => (models.push(model), model);

  beforeAll(async () => {
    await tf.setBackend('cpu'); // predictions are compared bitwise on one backend
    registerFileRouter();
  });

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-snn-io-'));
  });

  afterEach(() => {
    saveHooksForTesting.beforeStep = undefined;
    models.splice(0).forEach(model => model.dispose());
    fs.rmSync(tmp, {recursive: true, force: true});
  });

  it('is exported from src/io/index', () => {
    expect(io.fileSystem).toBe(fileSystem);
    expect(io.registerFileRouter).toBe(registerFileRouter);
  });

  it('saves and loads a sequential model to a directory, predictions bitwise identical', async () => {
    const model = keep(sequentialModel());
    const dir = path.join(tmp, 'seq');
    const result = await model.save(fileSystem(dir));
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(result.modelArtifactsInfo.modelTopologyType).toBe('JSON');
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(fs.statSync(path.join(dir, 'weights.bin')).size);
    const loaded = keep(await tfl.loadLayersModel(fileSystem(dir)));
    await expectSamePredictions(loaded, model);
    const loadedFromJSON = keep(await tfl.loadLayersModel(fileSystem(path.join(dir, 'model.json'))));
    await expectSamePredictions(loadedFromJSON, model);
  });

  it('saves and loads a functional two-input model through relative file:// URLs', async () => {
    const model = keep(functionalModel());
    const relative = path.relative(process.cwd(), path.join(tmp, 'functional'));
    await model.save(`file://${relative}`);
    const loaded = keep(await tfl.loadLayersModel(`file://${relative}/model.json`));
    await expectSamePredictions(loaded, model);
    const loadedAbsolute = keep(await tfl.loadLayersModel(`file://${path.join(tmp, 'functional')}`));
    await expectSamePredictions(loadedAbsolute, model);
  });

  it('writes the standard model.json that tfjs-node writes', async () => {
    const model = keep(functionalModel());
    const dir = path.join(tmp, 'standard');
    await model.save(fileSystem(dir));
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async a => {
        artifacts = a;
        return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a)};
      })
    );
    const json = readJSON(path.join(dir, 'model.json'));
    expect(Object.keys(json).sort()).toEqual([
      'convertedBy',
      'format',
      'generatedBy',
      'modelTopology',
      'weightsManifest',
    ]);
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v/);
    expect(json.convertedBy).toBeNull();
    expect(json.modelTopology).toEqual(JSON.parse(JSON.stringify(artifacts!.modelTopology)));
    expect(json.weightsManifest).toEqual([
      {paths: ['weights.bin'], weights: artifacts!.weightSpecs, sha256: [sha256Of(path.join(dir, 'weights.bin'))]},
    ]);
  });

  it('writes files that tfjs loads through its own tf.io.fromMemory', async () => {
    const model = keep(sequentialModel());
    await model.save(fileSystem(tmp));
    const json = readJSON(path.join(tmp, 'model.json'));
    const weightData = toArrayBuffer(fs.readFileSync(path.join(tmp, json.weightsManifest[0].paths[0])));
    const loaded = keep(
      await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData,
          format: json.format,
        })
      )
    );
    await expectSamePredictions(loaded, model);
  });

  it('loads weights split into several shards and groups (as tfjs-converter writes them)', async () => {
    const model = keep(functionalModel());
    await model.save(fileSystem(tmp));
    const json = readJSON(path.join(tmp, 'model.json'));
    const bytes = fs.readFileSync(path.join(tmp, 'weights.bin'));
    const specs = json.weightsManifest[0].weights;
    const firstSpecBytes = specs[0].shape.reduce((a: number, b: number) => a * b, 1) * 4;
    fs.writeFileSync(path.join(tmp, 'group1-shard1of1.bin'), bytes.subarray(0, firstSpecBytes));
    fs.writeFileSync(path.join(tmp, 'group2-shard1of2.bin'), bytes.subarray(firstSpecBytes, firstSpecBytes + 7));
    fs.writeFileSync(path.join(tmp, 'group2-shard2of2.bin'), bytes.subarray(firstSpecBytes + 7));
    fs.unlinkSync(path.join(tmp, 'weights.bin'));
    json.weightsManifest = [
      {paths: ['group1-shard1of1.bin'], weights: specs.slice(0, 1)},
      {paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'], weights: specs.slice(1)},
    ];
    fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(json));
    const loaded = keep(await tfl.loadLayersModel(`file://${path.join(tmp, 'model.json')}`));
    await expectSamePredictions(loaded, model);
  });

  it('saves the optimizer state with includeOptimizer', async () => {
    const model = keep(sequentialModel());
    model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    const [x] = inputsFor(model);
    const y = tf.ones([2, 4]);
    await model.fit(x, y, {epochs: 1, verbose: 0});
    await model.save(fileSystem(tmp), {includeOptimizer: true});
    const json = readJSON(path.join(tmp, 'model.json'));
    expect(json.trainingConfig.optimizer_config.class_name).toBe('Adam');
    const optimizerSpecs = json.weightsManifest[0].weights.filter((w: {group?: string}) => w.group === 'optimizer');
    expect(optimizerSpecs.length).toBeGreaterThan(0);

    const loaded = keep(await tfl.loadLayersModel(fileSystem(tmp)));
    const originalState = await model.optimizer.getWeights();
    const loadedState = await loaded.optimizer.getWeights();
    expect(loadedState.map(w => w.name)).toEqual(originalState.map(w => w.name));
    for (let i = 0; i < originalState.length; i++) {
      expect(Array.from(loadedState[i].tensor.dataSync())).toEqual(Array.from(originalState[i].tensor.dataSync()));
    }
    await expectSamePredictions(loaded, model);
    tf.dispose([x, y, ...loadedState.map(w => w.tensor), ...originalState.map(w => w.tensor)]);
  });

  it('saves a path ending in .json under that name, with weights beside it that no other model shares', async () => {
    const first = keep(sequentialModel());
    const second = keep(sequentialModel());
    await first.save(fileSystem(path.join(tmp, 'nested', 'first.json')));
    await second.save(fileSystem(path.join(tmp, 'nested', 'second.json')));
    expect(fs.readdirSync(path.join(tmp, 'nested')).sort()).toEqual([
      'first.json',
      'first.weights.bin',
      'second.json',
      'second.weights.bin',
    ]);
    expect(readJSON(path.join(tmp, 'nested', 'first.json')).weightsManifest[0].paths).toEqual(['first.weights.bin']);
    await expectSamePredictions(
      keep(await tfl.loadLayersModel(fileSystem(path.join(tmp, 'nested', 'first.json')))),
      first
    );
    await expectSamePredictions(
      keep(await tfl.loadLayersModel(fileSystem(path.join(tmp, 'nested', 'second.json')))),
      second
    );

    await first.save(fileSystem(path.join(tmp, 'interim.json'))); // the name the save uses internally
    await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(path.join(tmp, 'interim.json')))), first);
  });

  it('creates missing parent directories (mkdir -p)', async () => {
    const model = keep(sequentialModel());
    const dir = path.join(tmp, 'a', 'b', 'c');
    await model.save(fileSystem(dir));
    await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(dir))), model);
  });

  it('replaces an existing model and leaves no temporary files', async () => {
    const oldModel = keep(sequentialModel());
    const newModel = keep(sequentialModel());
    await oldModel.save(fileSystem(tmp));
    await newModel.save(fileSystem(tmp));
    expect(fs.readdirSync(tmp).sort()).toEqual(['model.json', 'weights.bin']);
    await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(tmp))), newModel);
  });

  describe('a save that fails part way', () => {
    for (const step of ['write', 'commit'] as SaveStep[]) {
      it(`before the commit (${step}) leaves the old model loadable and no temporary files`, async () => {
        const oldModel = keep(sequentialModel());
        const newModel = keep(sequentialModel());
        await oldModel.save(fileSystem(tmp));
        const filesBefore = fs.readdirSync(tmp).sort();
        const weightsBefore = fs.readFileSync(path.join(tmp, 'weights.bin'));
        saveHooksForTesting.beforeStep = throwingAt(step);
        await expectRejection(
          newModel.save(fileSystem(tmp)),
          path.join(tmp, 'model.json'),
          `injected fault at ${step}`
        );
        saveHooksForTesting.beforeStep = undefined;
        expect(fs.readdirSync(tmp).sort()).toEqual(filesBefore);
        expect(fs.readFileSync(path.join(tmp, 'weights.bin')).equals(weightsBefore)).toBe(true);
        await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(tmp))), oldModel);
      });
    }

    it('after the commit leaves the new, complete model loadable and says so', async () => {
      const oldModel = keep(sequentialModel());
      const newModel = keep(sequentialModel());
      await oldModel.save(fileSystem(tmp));
      saveHooksForTesting.beforeStep = throwingAt('finalize');
      await expectRejection(newModel.save(fileSystem(tmp)), 'the new model is in place', 'injected fault');
      saveHooksForTesting.beforeStep = undefined;
      expect(fs.readdirSync(tmp).filter(name => name.includes('model.json.tmp'))).toEqual([]);
      await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(tmp))), newModel);
      const interimName = readJSON(path.join(tmp, 'model.json')).weightsManifest[0].paths[0];
      expect(interimName).toMatch(/^\.weights\.bin\.tmp-/);
      expect(fs.readdirSync(tmp).sort()).toEqual([interimName, 'model.json', 'weights.bin'].sort());
      await newModel.save(fileSystem(tmp)); // the next save removes the interim weights file
      expect(fs.readdirSync(tmp).sort()).toEqual(['model.json', 'weights.bin']);
      expect(readJSON(path.join(tmp, 'model.json')).weightsManifest[0].paths).toEqual(['weights.bin']);
    });

    it('into new directories removes the directories it created', async () => {
      const model = keep(sequentialModel());
      saveHooksForTesting.beforeStep = throwingAt('commit');
      await expectRejection(model.save(fileSystem(path.join(tmp, 'x', 'y', 'model'))), 'injected fault');
      expect(fs.readdirSync(tmp)).toEqual([]);
    });

    it('into an empty directory leaves it empty', async () => {
      const model = keep(sequentialModel());
      saveHooksForTesting.beforeStep = throwingAt('commit');
      await expectRejection(model.save(fileSystem(tmp)), 'injected fault');
      expect(fs.readdirSync(tmp)).toEqual([]);
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), 'does not exist');
    });
  });

  describe('errors', () => {
    it('rejects a path that is not a non-empty string', () => {
      expect(() => fileSystem('')).toThrowError(/io\.fileSystem\(path\): path must be a non-empty string.*got ''/);
      expect(() => fileSystem(42 as unknown as string)).toThrowError(/path must be .*; got 42/);
      expect(() => fileSystem(['a', 'b'] as unknown as string)).toThrowError(/got \["a","b"\]/);
      expect(() => fileSystem(undefined as unknown as string)).toThrowError(/got undefined/);
    });

    it('refuses to save where a directory is needed but a file exists', async () => {
      const file = path.join(tmp, 'taken');
      fs.writeFileSync(file, 'not a model');
      await expectRejection(keep(sequentialModel()).save(fileSystem(file)), `'${file}'`, 'is not a directory');
      expect(fs.readFileSync(file, 'utf8')).toBe('not a model');
      await expectRejection(keep(sequentialModel()).save(fileSystem(path.join(file, 'sub'))), file);
      expect(fs.readdirSync(tmp)).toEqual(['taken']);
    });

    it('refuses to save a .json path that is a directory', async () => {
      const jsonDir = path.join(tmp, 'odd.json');
      fs.mkdirSync(jsonDir);
      await expectRejection(keep(sequentialModel()).save(fileSystem(jsonDir)), `'${jsonDir}' is a directory`);
    });

    it('names the path when a model.json is missing, not JSON, or not a model', async () => {
      const jsonPath = path.join(tmp, 'model.json');
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), `'${jsonPath}' does not exist`);
      fs.writeFileSync(jsonPath, '{"modelTopology": ');
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), `'${jsonPath}' is not valid JSON`);
      fs.writeFileSync(jsonPath, '{"weightsManifest": []}');
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), `'${jsonPath}' has no modelTopology`);
      fs.writeFileSync(jsonPath, '{"modelTopology": {}, "weightsManifest": {"paths": 1}}');
      await expectRejection(
        tfl.loadLayersModel(fileSystem(tmp)),
        'has weightsManifest {"paths":1}',
        'expected an array'
      );
    });

    it('names the weights file, the expected and the actual size when it is truncated', async () => {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const weightsPath = path.join(tmp, 'weights.bin');
      const fullSize = fs.statSync(weightsPath).size;
      fs.truncateSync(weightsPath, fullSize - 12);
      await expectRejection(
        tfl.loadLayersModel(fileSystem(tmp)),
        `'${weightsPath}' holds ${fullSize - 12} bytes`,
        `expects ${fullSize} bytes`
      );
      fs.unlinkSync(weightsPath);
      await expectRejection(
        tfl.loadLayersModel(fileSystem(tmp)),
        `weights file '${weightsPath}', which does not exist`
      );
    });

    it('says io.fileSystem needs Node.js when IS_NODE is false, and the router steps aside', async () => {
      const wasNode = tf.env().getBool('IS_NODE');
      tf.env().set('IS_NODE', false);
      try {
        const message = 'io.fileSystem works only in Node.js; in the browser use tf.io.browserDownloads / indexeddb://';
        await expectRejection(keep(sequentialModel()).save(fileSystem(tmp)), message);
        await expectRejection(fileSystem(tmp).load!(), message);
        expect(fileRouter('file://somewhere')).toBeNull();
      } finally {
        tf.env().set('IS_NODE', wasNode);
      }
    });
  });

  describe('file:// routers', () => {
    it('register once, even when called again or loaded as a second module copy', () => {
      registerFileRouter();
      const modulePath = require.resolve('../../src/io/file_router');
      const cached = require.cache[modulePath];
      delete require.cache[modulePath];
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads a second copy of the module
        const secondCopy = require(modulePath) as {registerFileRouter: () => void};
        secondCopy.registerFileRouter();
      } finally {
        require.cache[modulePath] = cached;
      }
      expect(tf.io.getSaveHandlers('file://./x').length).toBe(1);
      expect(tf.io.getLoadHandlers('file://./x/model.json').length).toBe(1);
    });

    it('ignore other schemes and arrays of URLs', () => {
      expect(fileRouter('indexeddb://m')).toBeNull();
      expect(fileRouter(['file://a.pb', 'file://b.json'])).toBeNull();
    });

    it('step aside when tfjs-node (its "tensorflow" backend) is loaded', () => {
      tf.registerBackend('tensorflow', () => ({}) as tf.KernelBackend, -100);
      try {
        expect(tf.io.getSaveHandlers('file://./x')).toEqual([]);
        expect(tf.io.getLoadHandlers('file://./x/model.json')).toEqual([]);
      } finally {
        tf.removeBackend('tensorflow');
      }
      expect(tf.getBackend()).toBe('cpu');
      expect(tf.io.getSaveHandlers('file://./x').length).toBe(1);
    });
  });

  describe('a model.json whose manifest does not cover the weights', () => {
    async function savedWithEditedManifest(edit: (json: {weightsManifest?: unknown}) => void) {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const jsonPath = path.join(tmp, 'model.json');
      const json = readJSON(jsonPath);
      edit(json);
      fs.writeFileSync(jsonPath, JSON.stringify(json));
      return jsonPath;
    }

    it('is an error naming the file and the missing weights when weightsManifest is absent', async () => {
      const jsonPath = await savedWithEditedManifest(json => delete json.weightsManifest);
      const before = tf.memory().numTensors;
      await expectRejection(
        fileSystem(tmp).load!(),
        `'${jsonPath}' has no weightsManifest`,
        'its model has 4 weights (conv2d_',
        '/kernel',
        'random weights'
      );
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), 'has no weightsManifest');
      expect(tf.memory().numTensors).toBe(before);
    });

    it('is an error when weightsManifest is empty or lists no weights', async () => {
      for (const manifest of [[], [{paths: [], weights: []}], [{paths: ['weights.bin'], weights: []}]]) {
        const jsonPath = await savedWithEditedManifest(json => (json.weightsManifest = manifest));
        await expectRejection(
          fileSystem(tmp).load!(),
          `'${jsonPath}' lists no weights in its weightsManifest`,
          'its model has 4 weights'
        );
      }
    });

    it('still loads a model that has no weights from a model.json without weightsManifest', async () => {
      const model = keep(tfl.sequential({layers: [tfl.layers.flatten({inputShape: [2, 3]})]}));
      await model.save(fileSystem(tmp));
      const json = readJSON(path.join(tmp, 'model.json'));
      delete json.weightsManifest;
      fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(json));
      const loaded = keep(await tfl.loadLayersModel(fileSystem(tmp)));
      expect(loaded.weights.length).toBe(0);
    });

    it("refuses weights paths that leave the model's folder", async () => {
      const model = keep(sequentialModel());
      const dir = path.join(tmp, 'model');
      await model.save(fileSystem(dir));
      const other = path.join(tmp, 'other');
      fs.mkdirSync(other);
      fs.copyFileSync(path.join(dir, 'weights.bin'), path.join(other, 'weights.bin'));
      const jsonPath = path.join(dir, 'model.json');
      const json = readJSON(jsonPath);
      for (const escaping of [
        '../other/weights.bin',
        path.join(other, 'weights.bin'),
        'sub/../../other/weights.bin',
        '..\\other\\weights.bin',
        'file:///etc/hostname',
        '',
      ]) {
        json.weightsManifest[0].paths = [escaping];
        fs.writeFileSync(jsonPath, JSON.stringify(json));
        await expectRejection(
          fileSystem(dir).load!(),
          `'${jsonPath}' lists the weights path ${JSON.stringify(escaping)}`,
          "expected a relative path inside the model's folder"
        );
      }
    });
  });

  describe('SHA-256 digests of the weights files', () => {
    it('are saved in each weightsManifest group as "sha256", one per path', async () => {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const group = readJSON(path.join(tmp, 'model.json')).weightsManifest[0];
      expect(Object.keys(group).sort()).toEqual(['paths', 'sha256', 'weights']);
      expect(group.sha256).toEqual([sha256Of(path.join(tmp, 'weights.bin'))]);
    });

    it("leave the files loadable by tfjs's own http handler (tf.loadLayersModel of a URL)", async () => {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const server = await serveDirectory(tmp);
      try {
        expect(tf.io.getLoadHandlers(`${server.url}/model.json`)[0].constructor.name).toBe('HTTPRequest');
        await expectSamePredictions(keep(await tfl.loadLayersModel(`${server.url}/model.json`)), model);
      } finally {
        await server.close();
      }
    });

    it('catch a one-bit flip in weights.bin, naming the file and both digests', async () => {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const weightsPath = path.join(tmp, 'weights.bin');
      const saved = sha256Of(weightsPath);
      flipOneBit(weightsPath, 37, 6);
      const before = tf.memory().numTensors;
      await expectRejection(
        tfl.loadLayersModel(fileSystem(tmp)),
        `'${weightsPath}'`,
        'SHA-256',
        `model.json lists ${saved}`,
        `the file has ${sha256Of(weightsPath)}`
      );
      expect(tf.memory().numTensors).toBe(before);
      flipOneBit(weightsPath, 37, 6);
      await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(tmp))), model);
    });

    it('are checked per shard in manifests with several files and groups', async () => {
      const model = keep(functionalModel());
      await model.save(fileSystem(tmp));
      const json = readJSON(path.join(tmp, 'model.json'));
      const bytes = fs.readFileSync(path.join(tmp, 'weights.bin'));
      fs.writeFileSync(path.join(tmp, 'a.bin'), bytes.subarray(0, 40));
      fs.writeFileSync(path.join(tmp, 'b.bin'), bytes.subarray(40));
      json.weightsManifest = [
        {
          paths: ['a.bin', 'b.bin'],
          weights: json.weightsManifest[0].weights,
          sha256: [sha256Of(path.join(tmp, 'a.bin')), sha256Of(path.join(tmp, 'b.bin'))],
        },
      ];
      fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(json));
      await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(tmp))), model);
      flipOneBit(path.join(tmp, 'b.bin'), 3, 0);
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), `'${path.join(tmp, 'b.bin')}'`, 'SHA-256');
    });

    it('are optional: a model.json without them loads as before', async () => {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const json = readJSON(path.join(tmp, 'model.json'));
      delete json.weightsManifest[0].sha256;
      fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(json));
      await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(tmp))), model);
    });

    it('that are malformed are an error naming the file and the value', async () => {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const jsonPath = path.join(tmp, 'model.json');
      const json = readJSON(jsonPath);
      for (const digests of ['abc', ['abc'], [], [sha256Of(path.join(tmp, 'weights.bin')), 'x']]) {
        json.weightsManifest[0].sha256 = digests;
        fs.writeFileSync(jsonPath, JSON.stringify(json));
        const shown = typeof digests === 'string' ? `'${digests}'` : JSON.stringify(digests);
        await expectRejection(
          fileSystem(tmp).load!(),
          `'${jsonPath}' has weightsManifest[0].sha256 ${shown}`,
          'expected one 64-digit hex SHA-256 per path'
        );
      }
    });
  });

  describe('staging entries left by a killed save', () => {
    it("carry the writer's pid, and the next save removes those of dead writers only", async () => {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const names: string[] = [];
      saveHooksForTesting.beforeStep = () => {
        names.push(...fs.readdirSync(tmp).filter(name => name.startsWith('.')));
      };
      await model.save(fileSystem(tmp));
      saveHooksForTesting.beforeStep = undefined;
      expect(names.length).toBeGreaterThan(0);
      for (const name of names)
        expect(name).toMatch(new RegExp(`^\\.(model\\.json|weights\\.bin)\\.tmp-${process.pid}-`));

      const dead = await deadPid();
      const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
      try {
        const stale = [`.model.json.tmp-${dead}-abc`, `.weights.bin.tmp-${dead}-abc`];
        const alive = [
          `.model.json.tmp-${live.pid}-def`,
          `.weights.bin.tmp-${live.pid}-def`,
          `.model.json.tmp-${process.pid}-ghi`,
        ];
        const unrelated = ['.model.json.tmp-old-format', '.other.tmp-1-x', `.a.json.tmp-${dead}-abc`, 'notes.txt'];
        for (const name of [...stale, ...alive, ...unrelated]) {
          if (name.startsWith('.model.json')) {
            fs.mkdirSync(path.join(tmp, name));
            fs.writeFileSync(path.join(tmp, name, 'weights.bin'), 'partial');
          } else {
            fs.writeFileSync(path.join(tmp, name), 'partial');
          }
        }
        await model.save(fileSystem(tmp));
        expect(fs.readdirSync(tmp).sort()).toEqual([...alive, ...unrelated, 'model.json', 'weights.bin'].sort());
        await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(tmp))), model);
      } finally {
        live.kill();
      }
    });

    it("of a model saved under another .json name are cleaned by that name's saves", async () => {
      const model = keep(sequentialModel());
      const dead = await deadPid();
      fs.writeFileSync(path.join(tmp, `.a.weights.bin.tmp-${dead}-x`), 'partial');
      fs.mkdirSync(path.join(tmp, `.a.json.tmp-${dead}-x`));
      fs.writeFileSync(path.join(tmp, `.weights.bin.tmp-${dead}-x`), 'partial');
      await model.save(fileSystem(path.join(tmp, 'a.json')));
      expect(fs.readdirSync(tmp).sort()).toEqual([`.weights.bin.tmp-${dead}-x`, 'a.json', 'a.weights.bin']);
    });
  });

  it('loads Node built-ins through import() where process.getBuiltinModule is missing (Node < 20.16)', async () => {
    const proc = process as unknown as {getBuiltinModule?: unknown};
    const getBuiltinModule = proc.getBuiltinModule;
    proc.getBuiltinModule = undefined;
    try {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(tmp))), model);
    } finally {
      proc.getBuiltinModule = getBuiltinModule;
    }
  });

  it('keeps tf.memory().numTensors flat across save, load and dispose', async () => {
    const model = keep(functionalModel());
    const before = tf.memory().numTensors;
    await model.save(fileSystem(tmp));
    const loaded = await tfl.loadLayersModel(`file://${tmp}`);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
