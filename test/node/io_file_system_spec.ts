// io.fileSystem and the file:// routers: standard tfjs format on disk, atomic saves,
// clear errors, and no clash with tfjs-node.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {fileRouter, registerFileRouter} from '../../src/io/file_router';
import {fileSystem, saveHooksForTesting, SaveStep} from '../../src/io/file_system';
import * as io from '../../src/io/index';

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
  return model.inputs.map((input, i) => tf.randomUniform([2, ...input.shape.slice(1) as number[]],
                                                         -1, 1, 'float32', 7 + i));
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

function readJSON(file: string) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function expectRejection(promise: Promise<unknown>, ...fragments: string[]): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught).toEqual(jasmine.any(Error));
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
  return caught as Error;
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
    await tf.setBackend('cpu');  // predictions are compared bitwise on one backend
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
    await model.save(tf.io.withSaveHandler(async a => {
      artifacts = a;
      return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a)};
    }));
    const json = readJSON(path.join(dir, 'model.json'));
    expect(Object.keys(json).sort())
        .toEqual(['convertedBy', 'format', 'generatedBy', 'modelTopology', 'weightsManifest']);
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v/);
    expect(json.convertedBy).toBeNull();
    expect(json.modelTopology).toEqual(JSON.parse(JSON.stringify(artifacts!.modelTopology)));
    expect(json.weightsManifest).toEqual([{paths: ['weights.bin'], weights: artifacts!.weightSpecs}]);
  });

  it('writes files that tfjs loads through its own tf.io.fromMemory', async () => {
    const model = keep(sequentialModel());
    await model.save(fileSystem(tmp));
    const json = readJSON(path.join(tmp, 'model.json'));
    const weightData = toArrayBuffer(fs.readFileSync(path.join(tmp, json.weightsManifest[0].paths[0])));
    const loaded = keep(await tfl.loadLayersModel(
        tf.io.fromMemory({modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
                          weightData, format: json.format})));
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
    expect(fs.readdirSync(path.join(tmp, 'nested')).sort())
        .toEqual(['first.json', 'first.weights.bin', 'second.json', 'second.weights.bin']);
    expect(readJSON(path.join(tmp, 'nested', 'first.json')).weightsManifest[0].paths).toEqual(['first.weights.bin']);
    await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(path.join(tmp, 'nested', 'first.json')))), first);
    await expectSamePredictions(keep(await tfl.loadLayersModel(fileSystem(path.join(tmp, 'nested', 'second.json')))), second);
 
    await first.save(fileSystem(path.join(tmp, 'interim.json')));  // the name the save uses internally
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
        await expectRejection(newModel.save(fileSystem(tmp)), path.join(tmp, 'model.json'),
                              `injected fault at ${step}`);
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
      await newModel.save(fileSystem(tmp));  // the next save removes the interim weights file
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
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), 'has weightsManifest {"paths":1}', 'expected an array');
    });

    it('names the weights file, the expected and the actual size when it is truncated', async () => {
      const model = keep(sequentialModel());
      await model.save(fileSystem(tmp));
      const weightsPath = path.join(tmp, 'weights.bin');
      const fullSize = fs.statSync(weightsPath).size;
      fs.truncateSync(weightsPath, fullSize - 12);
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), `'${weightsPath}' holds ${fullSize - 12} bytes`,
                            `expects ${fullSize} bytes`);
      fs.unlinkSync(weightsPath);
      await expectRejection(tfl.loadLayersModel(fileSystem(tmp)), `weights file '${weightsPath}', which does not exist`);
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
