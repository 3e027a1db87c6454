// The lif layer's learnable leak and threshold (plif), per-channel/per-neuron parameters, vReset, and the
// ifNeuron layer: gradients of the parameter weights against the float64 reference, training, the constraints
// during model.fit, getConfig/fromConfig, save/load through file://, bad saved weights, bad arguments, leaks.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {layers} from '../../src/index';
import {
  broadcastParam,
  makeInputs,
  randomArray,
  reduceParam,
  refBackward,
  refForward,
  RefOptions,
  relativeMaxError,
} from '../reference/lif_reference';
import {expectRejection, readJSON} from './io_helpers';

type AnyLayer = tfl.layers.Layer;

function weightNames(layer: AnyLayer): string[] {
  return layer.weights.map(w => w.originalName.split('/').pop()!);
}

/** A small spiking classifier with `neuron` as its hidden neurons. */
function model(neuron: AnyLayer, inputs = 6, hidden = 5, classes = 3, T = 4): tfl.Sequential {
  const m = tfl.sequential();
  m.add(layers.directEncoder({timeSteps: T, inputShape: [inputs]}));
  m.add(layers.spikingDense({units: hidden, kernelInitializer: tfl.initializers.glorotUniform({seed: 1})}));
  m.add(neuron);
  m.add(layers.spikingDense({units: classes, kernelInitializer: tfl.initializers.glorotUniform({seed: 2})}));
  m.add(layers.timeAverage());
  return m;
}

function data(n = 24, inputs = 6, classes = 3) {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, inputs], 0, 2, 'float32', 11);
    const labels = tf.tensor1d(
      Array.from({length: n}, (_, i) => i % classes),
      'int32'
    );
    return {x, y: tf.cast(tf.oneHot(labels, classes), 'float32')};
  });
}

describe('lif layer parameters: weights', () => {
  it('learnLeak / learnThreshold make weights named leak and threshold shaped like the given value', () => {
    const shared = layers.lif({learnLeak: true, learnThreshold: true});
    shared.build([null, 4, 3, 5]);
    expect(weightNames(shared)).toEqual(['leak', 'threshold']);
    expect(shared.weights.map(w => w.shape)).toEqual([[], []]);
    expect(shared.getWeights().map(w => Array.from(w.dataSync()))).toEqual([[Math.fround(0.95)], [1]]);
    const perChannel = layers.lif({leak: [0.9, 0.8, 0.7, 0.6, 0.5], learnLeak: true, threshold: [[1], [2], [3]]});
    perChannel.build([null, 4, 3, 5]);
    expect(weightNames(perChannel)).toEqual(['leak']);
    expect(perChannel.weights[0].shape).toEqual([5]);
    const fixed = layers.lif({leak: [0.9, 0.8]});
    fixed.build([null, 4, 2]);
    expect(fixed.weights.length).toBe(0);
    for (const l of [shared, perChannel]) l.weights.forEach(v => v.dispose());
  });

  it('plif is the lif layer with learnLeak: true', () => {
    const layer = layers.plif({leak: 0.8});
    expect(layer).toEqual(jasmine.any(layers.Lif));
    expect(layer.getConfig()).toEqual(jasmine.objectContaining({learnLeak: true, leak: 0.8, learnThreshold: false}));
    expect(layer.name).toMatch(/^plif_\d+$/);
    layer.build([null, 3, 4]);
    expect(weightNames(layer)).toEqual(['leak']);
  });

  it('ifNeuron (SnnIfNeuron) has no leak and may learn its threshold', () => {
    const layer = layers.ifNeuron({threshold: [0.5, 1, 1.5], learnThreshold: true});
    expect(layer.getClassName()).toBe('SnnIfNeuron');
    layer.build([null, 3, 3]);
    expect(weightNames(layer)).toEqual(['threshold']);
    expect(layer.getConfig()).not.toEqual(jasmine.objectContaining({leak: jasmine.anything()}));
    const x = tf.tensor([[[0.6], [0.6], [0.6], [0.6]]]);
    const spikes = layers.ifNeuron().apply(x) as tf.Tensor;
    expect(Array.from(spikes.dataSync())).toEqual([0, 1, 0, 1]);
    tf.dispose([x, spikes]);
  });
});

/**
 * The gradient of L = Σ w·S + Σ r·... (here Σ w·S) with respect to the layer's parameter weights equals the
 * float64 reference's, for per-channel and shared parameters, each reset mode.
 */
describe('lif layer parameters: gradients of the weights against the float64 reference', () => {
  const cases: Array<{
    name: string;
    leak: number | number[];
    threshold: number | number[];
    resetMode: 'subtract' | 'zero' | 'none';
    vReset?: number;
    detachReset: boolean;
    cls: 'lif' | 'ifNeuron';
  }> = [
    {
      name: 'per-channel leak, shared threshold, subtract',
      leak: [0.9, 0.7, 1, 0.8],
      threshold: 0.8,
      resetMode: 'subtract',
      detachReset: true,
      cls: 'lif',
    },
    {
      name: 'shared leak, per-channel threshold, zero to vReset -0.2, not detached',
      leak: 0.85,
      threshold: [0.7, 1, 1.2, 0.9],
      resetMode: 'zero',
      vReset: -0.2,
      detachReset: false,
      cls: 'lif',
    },
    {
      name: 'per-channel both, no reset',
      leak: [0.95, 0.6, 0.75, 0.9],
      threshold: [1, 0.6, 0.8, 1.1],
      resetMode: 'none',
      detachReset: true,
      cls: 'lif',
    },
    {
      name: 'ifNeuron, per-channel threshold, subtract, not detached',
      leak: 1,
      threshold: [0.7, 1, 1.2, 0.9],
      resetMode: 'subtract',
      detachReset: false,
      cls: 'ifNeuron',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [B, T, C] = [3, 12, 4];
      const featureShape = [2, C];
      const N = 2 * C;
      const learnLeak = c.cls === 'lif';
      const args = {threshold: c.threshold, resetMode: c.resetMode, vReset: c.vReset, detachReset: c.detachReset};
      const layer =
        c.cls === 'lif'
          ? layers.lif({...args, leak: c.leak, learnLeak, learnThreshold: true})
          : layers.ifNeuron({...args, learnThreshold: true});
      const shapeOf = (p: number | number[]) => (typeof p === 'number' ? [] : [p.length]);
      const valuesOf = (p: number | number[]) => (typeof p === 'number' ? [p] : p).map(Math.fround);
      const o: RefOptions = {
        leak: broadcastParam(valuesOf(c.leak), shapeOf(c.leak), featureShape),
        threshold: broadcastParam(valuesOf(c.threshold), shapeOf(c.threshold), featureShape),
        vReset: c.vReset ?? 0,
        resetMode: c.resetMode,
        detachReset: c.detachReset,
        surrogate: 'triangle',
        alpha: 0.3,
      };
      const {currents} = makeInputs(o, B, T, N, 31);
      const weights = randomArray(B * T * N, 32);
      const fwd = refForward(o, currents, new Float32Array(B * N), B, T, N);
      const ref = refBackward(o, fwd, weights, new Float32Array(B * N), B, T, N);

      const x = tf.tensor(currents, [B, T, ...featureShape]);
      const w = tf.tensor(weights, x.shape);
      layer.build(x.shape);
      const before = tf.memory().numTensors;
      const {value, grads} = tf.variableGrads(
        () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, w)) as tf.Scalar,
        layer.trainableWeights.map(v => v.read() as tf.Variable)
      );
      const named = Object.fromEntries(layer.trainableWeights.map(v => [v.originalName.split('/').pop(), v.name]));
      const threshold = grads[named.threshold].dataSync();
      expect(relativeMaxError(threshold, reduceParam(ref.dThreshold, shapeOf(c.threshold), featureShape))).toBeLessThan(
        1e-4
      );
      if (learnLeak) {
        const leak = grads[named.leak].dataSync();
        expect(relativeMaxError(leak, reduceParam(ref.dLeak, shapeOf(c.leak), featureShape))).toBeLessThan(1e-4);
      } else {
        expect(named.leak).toBeUndefined();
      }
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w]);
      layer.weights.forEach(v => v.dispose());
    });
  }
});

describe('lif layer parameters: training', () => {
  for (const [name, make] of [
    ['plif (per-neuron leak)', () => layers.plif({leak: new Array(5).fill(0.9)})],
    ['lif with learnThreshold', () => layers.lif({learnThreshold: true, threshold: 0.8})],
    ['ifNeuron with learnThreshold', () => layers.ifNeuron({learnThreshold: true})],
  ] as Array<[string, () => AnyLayer]>) {
    it(`${name}: model.fit lowers the loss and moves the parameter weights, leaking no tensors`, async () => {
      const m = model(make());
      m.compile({optimizer: tf.train.adam(0.05), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
      const {x, y} = data();
      const neuron = m.layers[2];
      const initial = neuron.getWeights().map(w => Array.from(w.dataSync()));
      await m.fit(x, y, {epochs: 1, batchSize: 8, verbose: 0}); // creates the optimizer's state
      const before = tf.memory().numTensors;
      const history = await m.fit(x, y, {epochs: 30, batchSize: 24, verbose: 0});
      expect(tf.memory().numTensors).toBe(before);
      const losses = history.history.loss as number[];
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      const trained = neuron.getWeights().map(w => Array.from(w.dataSync()));
      expect(trained).not.toEqual(initial);
      tf.dispose([x, y]);
      m.optimizer.dispose();
      m.dispose();
    });
  }

  // tfjs-layers applies a weight's constraint only when it is set, never after an optimizer step; the guard
  // installed by the layer clips every update.
  it('keeps a learnt leak in [0, 1] and a learnt threshold >= 1e-3 through model.fit with a huge learning rate', async () => {
    for (const direction of [1, -1]) {
      const neuron = layers.lif({leak: [0.99, 0.5, 0.01, 0.9, 0.95], learnLeak: true, learnThreshold: true});
      const m = model(neuron);
      // Only the neurons' parameters learn (a huge step would turn the dense kernels to NaN).
      m.layers[1].trainable = false;
      m.layers[3].trainable = false;
      // Target: all spikes (direction 1: leak and 1/threshold pushed up) or none (pushed down).
      m.compile({optimizer: tf.train.sgd(1e6), loss: 'meanSquaredError'});
      const {x} = data();
      const y = tf.fill([24, 3], direction > 0 ? 10 : -10);
      await m.fit(x, y, {epochs: 3, batchSize: 8, verbose: 0});
      const [leak, threshold] = neuron.getWeights().map(w => Array.from(w.dataSync()));
      expect(leak.every(v => v >= 0 && v <= 1))
        .withContext(`leak ${leak}`)
        .toBeTrue();
      expect(threshold[0]).toBeGreaterThanOrEqual(Math.fround(1e-3));
      // The clip really acted: some leak is at a bound.
      expect(leak.some(v => v === 0 || v === 1))
        .withContext(`leak ${leak}`)
        .toBeTrue();
      tf.dispose([x, y]);
      m.dispose();
    }
  });
});

describe('lif layer parameters: config, save and load', () => {
  const configs: Array<[string, () => AnyLayer]> = [
    [
      'lif',
      () =>
        layers.lif({
          leak: [0.9, 0.8],
          threshold: [[0.5], [0.7]],
          learnLeak: true,
          learnThreshold: true,
          vReset: -0.1,
          resetMode: 'zero',
        }),
    ],
    ['plif', () => layers.plif({leak: 0.7})],
    ['ifNeuron', () => layers.ifNeuron({threshold: 0.6, learnThreshold: true, vReset: 0.2, resetMode: 'zero'})],
  ];
  for (const [name, make] of configs) {
    it(`${name}: getConfig → fromConfig → getConfig is the same`, () => {
      const layer = make();
      const config = layer.getConfig();
      const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
      const copy = fromConfig(cls, config) as AnyLayer;
      expect(copy.getClassName()).toBe(layer.getClassName());
      expect(copy.getConfig()).toEqual(config);
    });
  }

  it("snn.layers.clip (SnnClip) saves and loads as any layer's constraint, and clips", async () => {
    const m = tfl.sequential({
      layers: [tfl.layers.dense({units: 2, inputShape: [3], kernelConstraint: layers.clip({min: -0.5, max: 0.5})})],
    });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await m.save(
      tf.io.withSaveHandler(async a => {
        artifacts = a;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      })
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const constraint = (loaded.layers[0].getConfig() as {kernelConstraint: {className: string; config: object}})
      .kernelConstraint;
    expect(constraint).toEqual({className: 'SnnClip', config: {min: -0.5, max: 0.5}});
    const clipped = layers.clip({min: 0}).apply(tf.tensor([-2, 3]));
    expect(Array.from(clipped.dataSync())).toEqual([0, 3]);
    expect(layers.clip({min: 0}).getConfig()).toEqual({min: 0, max: null});
    expect(() => layers.clip({min: 1, max: 0})).toThrowError(
      "clip: arguments 'min' and 'max' must be numbers with min <= max; got min 1, max 0"
    );
    clipped.dispose();
    m.dispose();
    loaded.dispose();
  });

  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snn-lif-'));
  });
  afterEach(() => fs.rmSync(tmp, {recursive: true, force: true}));

  async function trainedModel(neuron: AnyLayer) {
    const m = model(neuron);
    m.compile({optimizer: tf.train.sgd(0.5), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
    const {x, y} = data();
    await m.fit(x, y, {epochs: 2, batchSize: 8, verbose: 0});
    tf.dispose(y);
    return {m, x};
  }

  for (const [name, make] of [
    [
      'plif, per-neuron leak and learnt threshold',
      () => layers.plif({leak: new Array(5).fill(0.9), learnThreshold: true}),
    ],
    [
      'ifNeuron, learnt per-neuron threshold',
      () => layers.ifNeuron({threshold: new Array(5).fill(0.8), learnThreshold: true}),
    ],
  ] as Array<[string, () => AnyLayer]>) {
    it(`${name}: a trained model round-trips through file:// with equal outputs and weights`, async () => {
      const {m, x} = await trainedModel(make());
      await m.save(`file://${tmp}`);
      const loaded = await tfl.loadLayersModel(`file://${tmp}/model.json`);
      expect(loaded.layers[2].getClassName()).toBe(m.layers[2].getClassName());
      const weights = (model: tfl.LayersModel) => model.getWeights().map(w => Array.from(w.dataSync()));
      expect(weights(loaded)).toEqual(weights(m));
      const [a, b] = [m.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b, x]);
      m.dispose();
      loaded.dispose();
    });
  }

  /** Saves a plif+threshold model, then writes `value` into weight `weight` of the saved weights file. */
  async function savedWithBadWeight(weight: 'leak' | 'threshold', value: number): Promise<string> {
    const neuron = layers.plif({name: 'my_plif', leak: [0.9, 0.9, 0.9, 0.9, 0.9], learnThreshold: true});
    const m = model(neuron);
    await m.save(`file://${tmp}`);
    m.dispose();
    const manifest = readJSON(path.join(tmp, 'model.json')).weightsManifest[0];
    let offset = 0;
    for (const spec of manifest.weights as Array<{name: string; shape: number[]}>) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (spec.name === `my_plif/${weight}`) {
        const file = path.join(tmp, manifest.paths[0]);
        const bytes = fs.readFileSync(file);
        const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
        floats[offset + size - 1] = value;
        fs.writeFileSync(file, bytes);
        // A digest of the weights (io.fileSystem writes one) would now reject the file before the layer sees it.
        const json = readJSON(path.join(tmp, 'model.json'));
        delete json.weightsManifest[0].sha256;
        fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(json));
        return tmp;
      }
      offset += size;
    }
    throw new Error(`no weight my_plif/${weight}`);
  }

  for (const [weight, value, rule] of [
    ['leak', 1.5, 'in [0, 1]'],
    ['leak', -0.25, 'in [0, 1]'],
    ['threshold', 0, '> 0'],
    ['threshold', -1, '> 0'],
  ] as const) {
    it(`a saved model whose ${weight} weight holds ${value} fails to load, naming layer, weight and value`, async () => {
      const dir = await savedWithBadWeight(weight, value);
      const element = weight === 'leak' ? ' (element 4 of shape [5])' : '';
      await expectRejection(
        tfl.loadLayersModel(`file://${dir}/model.json`),
        `SnnLif 'my_plif': weight '${weight}' must hold values ${rule}; got ${value}${element}`
      );
    });
  }

  it('setWeights with a leak out of range throws and leaves the weight as it was', () => {
    const layer = layers.plif({name: 'set_plif'});
    layer.build([null, 2, 3]);
    const bad = tf.scalar(2);
    expect(() => layer.setWeights([bad])).toThrowError(
      "SnnLif 'set_plif': weight 'leak' must hold values in [0, 1]; got 2"
    );
    const [kept] = layer.getWeights();
    expect(kept.dataSync()[0]).toBe(Math.fround(0.95));
    bad.dispose();
    layer.weights.forEach(v => v.dispose());
  });
});

describe('lif layer parameters: bad arguments', () => {
  const rule = 'a number in [0, 1] or a nested array of such numbers (one per channel, or per neuron)';
  const cases: Array<[string, () => unknown, string]> = [
    [
      'a leak array with an element above 1',
      () => layers.lif({leak: [0.9, 1.2]}),
      `lif: argument 'leak' must be ${rule}; 1.2 is not; got [0.9,1.2]`,
    ],
    [
      'a ragged leak array',
      () => layers.lif({leak: [[0.9], [0.8, 0.7]]}),
      `lif: argument 'leak' must be ${rule}, rectangular (shape [2, 1]); got [[0.9],[0.8,0.7]]`,
    ],
    ['an empty leak array', () => layers.lif({leak: []}), `lif: argument 'leak' must be ${rule}; got []`],
    [
      'a threshold of 0',
      () => layers.lif({threshold: 0}),
      "lif: argument 'threshold' must be a number > 0 or a nested array of such numbers (one per channel, or per neuron); got 0",
    ],
    [
      'a threshold array with a negative element',
      () => layers.ifNeuron({threshold: [1, -1]}),
      "ifNeuron: argument 'threshold' must be a number > 0 or a nested array of such numbers (one per channel, or per neuron); -1 is not; got [1,-1]",
    ],
    [
      'learnLeak not a boolean',
      () => layers.lif({learnLeak: 'yes' as never}),
      "lif: argument 'learnLeak' must be true or false; got 'yes'",
    ],
    [
      'learnThreshold not a boolean',
      () => layers.ifNeuron({learnThreshold: 1 as never}),
      "ifNeuron: argument 'learnThreshold' must be true or false; got 1",
    ],
    ['vReset NaN', () => layers.lif({vReset: NaN}), "lif: option 'vReset' must be a finite number; got NaN"],
    ['a leak given to ifNeuron', () => layers.ifNeuron({leak: 0.9} as never), "ifNeuron: unknown argument 'leak'"],
    [
      'learnLeak given to ifNeuron',
      () => layers.ifNeuron({learnLeak: true} as never),
      "ifNeuron: unknown argument 'learnLeak'",
    ],
    [
      'learnLeak false given to plif',
      () => layers.plif({learnLeak: false as never}),
      "plif: argument 'learnLeak' must be true or omitted (plif learns its leak; use lif for a fixed one); got false",
    ],
  ];
  for (const [name, make, message] of cases) {
    it(`${name} → a clear Error, no leaked tensors`, () => {
      const before = tf.memory().numTensors;
      expect(make).toThrowError(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a parameter array that does not broadcast to the features fails at build, naming the shapes', () => {
    const layer = layers.lif({name: 'wide', leak: [0.9, 0.8, 0.7], learnLeak: true});
    const before = tf.memory().numTensors;
    expect(() => layer.build([null, 4, 5])).toThrowError(
      "SnnLif 'wide': argument 'leak' has shape [3], which does not broadcast to the features shape [5] of the " +
        'input [null, 4, 5]; give a number, an array of 5 (one per channel) or an array shaped like the features'
    );
    expect(tf.memory().numTensors).toBe(before);
    const m = tfl.sequential();
    m.add(layers.directEncoder({timeSteps: 2, inputShape: [4]}));
    expect(() => m.add(layers.ifNeuron({name: 'narrow', threshold: [1, 1, 1, 1]}))).not.toThrow();
    expect(() => m.add(layers.ifNeuron({name: 'tall', threshold: [[1], [1]]}))).toThrowError(
      /SnnIfNeuron 'tall': argument 'threshold' has shape \[2, 1\], which does not broadcast to the features shape \[4\]/
    );
    m.dispose();
  });
});
