import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {layers, ops} from '../../src/index';
import {saveToMemory} from './io_helpers';
import {rCubaLifWithState, rlifWithState} from '../../src/ops/recurrent';
import {
  checkNeuronCase,
  expectNeuronMatchesReference,
  expectNeuronOpsLeakFree,
  NEURON_NAMES,
  neuronCases,
  NeuronName,
} from '../shared/neurons_check';

// The neuron family runs step by step on core ops (any backend): the same float64 reference set on cpu and wasm.
for (const backend of ['cpu', 'wasm']) {
  describe(`neurons (alif, cubaLif, li, rlif, rCubaLif) against the float64 reference on ${backend}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
    });
    afterAll(async () => {
      await tf.setBackend('cpu');
    });
    for (const c of neuronCases()) {
      it(c.name, async () => {
        expectNeuronMatchesReference(await checkNeuronCase(c));
      });
    }
    it('keeps tf.memory().numTensors flat over forward+backward', () => {
      expectNeuronOpsLeakFree();
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The layers: weights, configs, save/load, streaming, bad arguments, leaks, training.

type NeuronLayerFactory = (args?: object) => tfl.layers.Layer & {
  runFrom(input: tf.Tensor, state: tf.Tensor[] | null): {output: tf.Tensor; state: tf.Tensor[]};
  stateNames: readonly string[];
  states: tf.Tensor[] | null;
  resetStates(): void;
  emitsSpikes: boolean;
};
const FACTORIES: {[name in NeuronName]: NeuronLayerFactory} = {
  alif: args => layers.alif(args),
  cubaLif: args => layers.cubaLif(args),
  li: args => layers.li(args),
  rlif: args => layers.rlif(args),
  rCubaLif: args => layers.rCubaLif(args),
};
const CLASS_NAMES: {[name in NeuronName]: string} = {
  alif: 'SnnAlif',
  cubaLif: 'SnnCubaLif',
  li: 'SnnLi',
  rlif: 'SnnRLif',
  rCubaLif: 'SnnRCubaLif',
};
/** Every parameter of each layer made a weight, per channel where it can be (units 4). */
const LEARN_ALL: {[name in NeuronName]: object} = {
  alif: {
    leak: [0.9, 0.8, 0.95, 0.7],
    learnLeak: true,
    threshold: 0.8,
    learnThreshold: true,
    adaptation: [0.1, 0.2, 0.3, 0.2],
    learnAdaptation: true,
    adaptationLeak: 0.85,
    learnAdaptationLeak: true,
  },
  cubaLif: {
    leak: 0.9,
    learnLeak: true,
    synapticLeak: [0.5, 0.6, 0.7, 0.8],
    learnSynapticLeak: true,
    learnThreshold: true,
  },
  li: {leak: [0.9, 0.8, 0.7, 0.6], learnLeak: true},
  rlif: {leak: [0.9, 0.8, 0.7, 0.6], learnLeak: true, threshold: 0.7, learnThreshold: true},
  rCubaLif: {
    learnLeak: true,
    synapticLeak: 0.7,
    learnSynapticLeak: true,
    threshold: [1, 0.8, 0.9, 0.7],
    learnThreshold: true,
  },
};
const EXPECTED_WEIGHTS: {[name in NeuronName]: string[]} = {
  alif: ['leak', 'threshold', 'adaptation', 'adaptationLeak'],
  cubaLif: ['leak', 'synapticLeak', 'threshold'],
  li: ['leak'],
  rlif: ['leak', 'threshold', 'recurrentKernel'],
  rCubaLif: ['leak', 'synapticLeak', 'threshold', 'recurrentKernel'],
};

/** directEncoder → spikingDense(4) → the neuron → spikingDense(3) → timeAverage, firing for inputs in [0, 1]. */
function modelWith(neuron: tfl.layers.Layer, inputFeatures = 6): tfl.Sequential {
  const model = tfl.sequential();
  model.add(layers.directEncoder({timeSteps: 5, inputShape: [inputFeatures]}));
  model.add(
    layers.spikingDense({
      units: 4,
      kernelInitializer: tfl.initializers.randomUniform({minval: 0, maxval: 0.8, seed: 3}),
    })
  );
  model.add(neuron);
  model.add(
    layers.spikingDense({units: 3, kernelInitializer: tfl.initializers.randomUniform({minval: -1, maxval: 1, seed: 4})})
  );
  model.add(layers.timeAverage());
  return model;
}

/** The weight named `name` of `layer` (its original name ends with it). */
function weightOf(layer: tfl.layers.Layer, name: string): tfl.LayerVariable {
  const found = layer.weights.find(w => w.originalName.endsWith(`/${name}`));
  if (found == null) throw new Error(`no weight '${name}' in ${layer.name}`);
  return found;
}

describe('neuron layers (alif, cubaLif, li, rlif, rCubaLif)', () => {
  let tmp: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snn-neurons-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, {recursive: true, force: true});
  });

  for (const name of NEURON_NAMES) {
    describe(name, () => {
      it(`is ${CLASS_NAMES[name]}, a neuron-role layer with weights named ${EXPECTED_WEIGHTS[name].join(', ')}`, () => {
        const layer = FACTORIES[name](LEARN_ALL[name]);
        const model = modelWith(layer);
        expect(layer.getClassName()).toBe(CLASS_NAMES[name]);
        expect(layers.isNeuron(layer)).toBe(true);
        expect(layers.emitsSpikes(layer)).toBe(name !== 'li');
        expect(layer.weights.map(w => w.originalName.split('/').pop())).toEqual(EXPECTED_WEIGHTS[name]);
        expect(weightOf(layer, 'leak').shape).toEqual(
          Array.isArray((LEARN_ALL[name] as {leak?: unknown}).leak) ? [4] : []
        );
        model.dispose();
      });

      it('computes what its op computes with the weights as tensor parameters (forward and gradients)', () => {
        const layer = FACTORIES[name](LEARN_ALL[name]);
        const model = modelWith(layer);
        const x = tf.randomUniform([3, 5, 4], -0.2, 1, 'float32', 9);
        const params = layer.weights.map(w => w.read());
        const viaOp = (xs: tf.Tensor, ...p: tf.Tensor[]) => {
          const options: {[k: string]: unknown} = {};
          EXPECTED_WEIGHTS[name].forEach((n, k) => (options[n] = p[k]));
          switch (name) {
            case 'alif':
              return ops.alif(xs, options);
            case 'cubaLif':
              return ops.cubaLif(xs, options);
            case 'li':
              return ops.li(xs, options);
            case 'rlif':
              return spikesOnly(rlifWithState(xs, options as never));
            case 'rCubaLif':
              return spikesOnly(rCubaLifWithState(xs, options as never));
          }
        };
        const probe = tf.randomUniform([3, 5, 4], -1, 1, 'float32', 10);
        const viaLayer = (xs: tf.Tensor) => layer.apply(xs) as tf.Tensor;
        expectClose(viaLayer(x), viaOp(x, ...params), 0);
        const layerGrads = tf.variableGrads(() => tf.sum(tf.mul(viaLayer(x), probe)) as tf.Scalar);
        const opGrads = tf.grads((...p: tf.Tensor[]) => tf.sum(tf.mul(viaOp(x, ...p), probe)))(params);
        EXPECTED_WEIGHTS[name].forEach((n, k) => {
          const grad = layerGrads.grads[(weightOf(layer, n).read() as tf.Variable).name];
          expect(grad).withContext(n).toBeDefined();
          expectClose(grad, opGrads[k], 1e-6);
        });
        tf.dispose([x, probe, layerGrads.value, ...Object.values(layerGrads.grads), ...opGrads]);
        model.dispose();
      });

      it('round-trips through model.save / tf.loadLayersModel (file://) with equal outputs', async () => {
        const model = modelWith(FACTORIES[name](LEARN_ALL[name]));
        model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
        const x = tf.randomUniform([8, 6], 0, 1, 'float32', 11);
        const y = tf.randomUniform([8, 3], 0, 1, 'float32', 12);
        await model.fit(x, y, {epochs: 3, batchSize: 8, verbose: 0}); // learnt values differ from the config's
        const dir = path.join(tmp, name);
        await model.save(`file://${dir}`);
        const loaded = await tfl.loadLayersModel(`file://${dir}/model.json`);
        expect(loaded.layers[2].getClassName()).toBe(CLASS_NAMES[name]);
        const json = (layer: tfl.layers.Layer) =>
          JSON.parse(JSON.stringify(layer.getConfig(), (_, v) => (v === null ? undefined : v))); // a seed: undefined saves as null
        expect(json(loaded.layers[2])).toEqual(json(model.layers[2]));
        for (const w of EXPECTED_WEIGHTS[name]) {
          expectClose(weightOf(loaded.layers[2], w).read(), weightOf(model.layers[2], w).read(), 0);
        }
        expectClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 0);
        tf.dispose([x, y]);
        model.dispose();
        loaded.dispose();
      });

      it('streams: runFrom over chunks and a stateful layer over chunks equal one run', () => {
        const layer = FACTORIES[name](LEARN_ALL[name]);
        const model = modelWith(layer);
        const x = tf.randomUniform([2, 9, 4], -0.2, 1.2, 'float32', 13);
        const whole = layer.runFrom(x, null);
        let state: tf.Tensor[] | null = null;
        const parts: tf.Tensor[] = [];
        for (const [start, size] of [
          [0, 4],
          [4, 1],
          [5, 4],
        ]) {
          const chunk = tf.slice(x, [0, start, 0], [-1, size, -1]);
          const r = layer.runFrom(chunk, state);
          if (state != null) tf.dispose(state);
          state = r.state;
          parts.push(r.output);
          chunk.dispose();
        }
        expect(state!.length).toBe(layer.stateNames.length);
        expectClose(tf.concat(parts, 1), whole.output, 1e-6);
        state!.forEach((s, k) => expectClose(s, whole.state[k], 1e-6));

        const stateful = FACTORIES[name]({...LEARN_ALL[name], stateful: true});
        modelWith(stateful);
        stateful.setWeights(layer.getWeights());
        const streamed = [0, 3, 6].map(t => stateful.apply(tf.slice(x, [0, t, 0], [-1, 3, -1])) as tf.Tensor);
        expectClose(tf.concat(streamed, 1), whole.output, 1e-6);
        expect(stateful.states!.length).toBe(layer.stateNames.length);
        stateful.resetStates();
        expect(stateful.states).toBeNull();
        tf.dispose([x, whole.output, ...whole.state, ...parts, ...state!, ...streamed]);
        model.dispose();
      });

      it('trains in a tf.sequential model with model.fit (loss decreases, its parameters move)', async () => {
        const layer = FACTORIES[name](LEARN_ALL[name]);
        const model = modelWith(layer);
        model.compile({optimizer: tf.train.adam(0.03), loss: 'meanSquaredError'});
        const x = tf.randomUniform([32, 6], 0, 1, 'float32', 14);
        const y = tf.oneHot(tf.randomUniform([32], 0, 3, 'int32', 15), 3);
        const before = layer.getWeights().map(w => w.dataSync().slice());
        const history = await model.fit(x, y, {epochs: 12, batchSize: 32, verbose: 0});
        const loss = history.history.loss as number[];
        expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
        const after = layer.getWeights().map(w => w.dataSync());
        const moved = before.map((b, k) => b.some((v, i) => v !== after[k][i]));
        expect(moved)
          .withContext(`weights ${EXPECTED_WEIGHTS[name]} moved`)
          .toEqual(EXPECTED_WEIGHTS[name].map(() => true));
        tf.dispose([x, y]);
        model.dispose();
      });

      it('keeps tf.memory().numTensors flat over predict, fit steps and failing calls', async () => {
        const layer = FACTORIES[name](LEARN_ALL[name]);
        const model = modelWith(layer);
        model.compile({optimizer: 'sgd', loss: 'meanSquaredError'});
        const x = tf.randomUniform([4, 6]);
        const y = tf.randomUniform([4, 3]);
        const bad = tf.randomUniform([2, 5, 7]);
        const badState = [tf.zeros([3, 4])];
        const chunk = tf.randomUniform([2, 3, 4]);
        const round = async () => {
          tf.dispose(model.predict(x) as tf.Tensor);
          await model.trainOnBatch(x, y);
          expect(() => layer.apply(bad)).toThrow();
          expect(() => layer.runFrom(chunk, badState)).toThrow();
        };
        await round();
        const before = tf.memory().numTensors;
        await round();
        await round();
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([x, y, bad, chunk, ...badState]);
        model.dispose();
      });
    });
  }

  it('li works before timeAverage and as a last-step readout', async () => {
    const x = tf.randomUniform([16, 6], 0, 1, 'float32', 21);
    const y = tf.oneHot(tf.randomUniform([16], 0, 3, 'int32', 22), 3);
    const averaged = tfl.sequential({
      layers: [
        layers.directEncoder({timeSteps: 4, inputShape: [6]}),
        layers.spikingDense({units: 3}),
        layers.li({leak: 0.8, learnLeak: true}),
        layers.timeAverage(),
      ],
    });
    const last = tfl.sequential({
      layers: [
        layers.directEncoder({timeSteps: 4, inputShape: [6]}),
        layers.spikingDense({units: 3}),
        layers.li({leak: 0.8, learnLeak: true}),
        tfl.layers.reshape({targetShape: [4, 3, 1]}),
        tfl.layers.cropping2D({
          cropping: [
            [3, 0],
            [0, 0],
          ],
        }), // keep the last of 4 steps
        tfl.layers.flatten(),
      ],
    });
    for (const model of [averaged, last]) {
      model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
      const history = await model.fit(x, y, {epochs: 10, batchSize: 16, verbose: 0});
      const loss = history.history.loss as number[];
      expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
      expect(model.outputs[0].shape).toEqual([null, 3]);
    }
    // The last-step readout is U_T = Σ_t β^{T−t}·I_t of the dense currents.
    const dense = last.layers[1];
    const currents = dense.apply(last.layers[0].apply(x)) as tf.Tensor;
    const beta = weightOf(last.layers[2], 'leak').read().dataSync()[0];
    const steps = tf.unstack(currents, 1);
    const expected = steps.reduce((u, i) => tf.add(tf.mul(u, beta), i));
    expectClose(last.predict(x) as tf.Tensor, expected, 1e-5);
    tf.dispose([x, y, currents, ...steps, expected]);
    averaged.dispose();
    last.dispose();
  });

  it('streams through the confidence early exit: every neuron in one chain, logits equal to a whole run', () => {
    const model = tfl.sequential({
      layers: [
        layers.directEncoder({timeSteps: 6, inputShape: [6]}),
        layers.spikingDense({
          units: 4,
          kernelInitializer: tfl.initializers.randomUniform({minval: 0, maxval: 0.8, seed: 5}),
        }),
        layers.alif(LEARN_ALL.alif),
        layers.cubaLif({...LEARN_ALL.cubaLif, threshold: 0.3}),
        layers.rlif({...LEARN_ALL.rlif, threshold: 0.4}),
        layers.rCubaLif({...LEARN_ALL.rCubaLif, threshold: 0.3}),
        layers.spikingDense({
          units: 3,
          kernelInitializer: tfl.initializers.randomUniform({minval: -1, maxval: 1, seed: 6}),
        }),
        layers.li({leak: 0.8}),
        layers.timeAverage(),
      ],
    });
    const x = tf.randomUniform([5, 6], 0, 1, 'float32', 25);
    // A threshold no softmax reaches: every input runs all 6 steps, streamed step by step through runFrom.
    const wrapper = layers.earlyExitWrapper({layer: model, policy: 'confidence', confidenceThreshold: 1, patience: 1});
    const {logits, exitSteps} = wrapper.predictWithExits(x);
    expect(exitSteps).toEqual([6, 6, 6, 6, 6]);
    const whole = model.predict(x) as tf.Tensor;
    expectClose(logits, whole, 1e-5);
    expect(tf.max(tf.abs(whole)).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, logits, whole]);
    model.dispose();
  });

  it('a saved model whose learnable leak is outside [0, 1] fails to load, naming layer, weight and value', async () => {
    const model = modelWith(layers.cubaLif({learnLeak: true, learnSynapticLeak: true}));
    const artifacts = await saveToMemory(model);
    let offset = 0;
    for (const spec of artifacts.weightSpecs!) {
      if (spec.name.endsWith('/synapticLeak')) break;
      offset += spec.shape.reduce((a, b) => a * b, 1) * 4;
    }
    const data = (artifacts.weightData as ArrayBuffer).slice(0);
    new Float32Array(data, offset, 1)[0] = 1.5;
    await expectAsync(tfl.loadLayersModel(tf.io.fromMemory({...artifacts, weightData: data}))).toBeRejectedWithError(
      /SnnCubaLif 'cuba_lif_\d+'.*weight 'synapticLeak' must hold values in \[0, 1\]; got 1\.5/
    );
    model.dispose();
  });

  it('an optimizer step keeps a learnable leak in [0, 1] and a threshold >= 1e-3', () => {
    const layer = layers.alif({leak: 0.9, learnLeak: true, threshold: 0.5, learnThreshold: true});
    const model = modelWith(layer);
    const leak = weightOf(layer, 'leak').read() as tf.Variable;
    const threshold = weightOf(layer, 'threshold').read() as tf.Variable;
    const optimizer = tf.train.sgd(1);
    const push = (dLeak: number, dThreshold: number) =>
      optimizer.applyGradients({[leak.name]: tf.scalar(dLeak), [threshold.name]: tf.scalar(dThreshold)});
    push(-100, 100); // leak 0.9 + 100, threshold 0.5 − 100
    expect(leak.dataSync()[0]).toBe(1);
    expect(threshold.dataSync()[0]).toBeCloseTo(1e-3, 9);
    push(100, -100); // leak 1 − 100, threshold 1e-3 + 100
    expect(leak.dataSync()[0]).toBe(0);
    expect(threshold.dataSync()[0]).toBeCloseTo(100.001, 3);
    optimizer.dispose();
    model.dispose();
  });

  describe('bad arguments are errors naming the layer or op, the argument, the value and what was expected', () => {
    const layerCases: Array<[string, () => unknown, RegExp]> = [
      [
        'alif leak 1.5',
        () => layers.alif({leak: 1.5}),
        /alif: argument 'leak' must be a number in \[0, 1\].*; got 1\.5/,
      ],
      [
        'alif threshold 0',
        () => layers.alif({threshold: 0}),
        /alif: argument 'threshold' must be a number > 0.*; got 0/,
      ],
      [
        'alif adaptation -1',
        () => layers.alif({adaptation: -1}),
        /alif: argument 'adaptation' must be a number >= 0.*; got -1/,
      ],
      [
        'alif adaptationLeak [0.5, 2]',
        () => layers.alif({adaptationLeak: [0.5, 2]}),
        /argument 'adaptationLeak' must be.*; got \[0\.5,2\]/,
      ],
      [
        'cubaLif synapticLeak ragged',
        () => layers.cubaLif({synapticLeak: [[0.5], [0.5, 0.2]]}),
        /argument 'synapticLeak' .*; got \[\[0\.5\],\[0\.5,0\.2\]\]/,
      ],
      ['li leak NaN', () => layers.li({leak: NaN}), /li: argument 'leak' must be .*; got NaN/],
      [
        'li learnLeak "yes"',
        () => layers.li({learnLeak: 'yes'} as never),
        /li: argument 'learnLeak' must be true or false; got 'yes'/,
      ],
      [
        'li resetMode (li does not fire)',
        () => layers.li({resetMode: 'zero'} as never),
        /li: unknown argument 'resetMode'/,
      ],
      [
        'rlif surrogate',
        () => layers.rlif({surrogate: 'bogus'} as never),
        /rlif: option 'surrogate' must be a function or one of/,
      ],
      [
        'rCubaLif vReset',
        () => layers.rCubaLif({vReset: Infinity}),
        /rCubaLif: option 'vReset' must be a finite number; got Infinity/,
      ],
      [
        'rlif recurrentInitializer',
        () => layers.rlif({recurrentInitializer: 'nope'}),
        /rlif: argument 'recurrentInitializer' must be/,
      ],
      [
        'cubaLif misspelt',
        () => layers.cubaLif({synapticleak: 0.5} as never),
        /cubaLif: unknown argument 'synapticleak'/,
      ],
    ];
    layerCases.push([
      "cubaLif implementation 'kernel'",
      () => layers.cubaLif({implementation: 'kernel' as never}),
      /cubaLif: option 'implementation' must be 'auto' or 'composite' \(cubaLif has no fused kernel/,
    ]);
    it("layer: implementation 'composite' is accepted and saved", () => {
      expect(layers.rlif({implementation: 'composite'}).getConfig().implementation).toBe('composite');
      expect(layers.li().getConfig().implementation).toBe('auto');
    });
    for (const [what, make, message] of layerCases) {
      it(`layer: ${what}`, () => {
        expect(make).toThrowError(message);
      });
    }

    it('layer: a per-channel parameter that does not broadcast to the features, at build', () => {
      expect(() => modelWith(layers.alif({leak: [0.9, 0.9, 0.9]}))).toThrowError(
        /SnnAlif 'alif_\d+': argument 'leak' has shape \[3\], which does not broadcast to the features shape \[4\]/
      );
    });

    it('layer: rlif and rCubaLif take rank 3 only', () => {
      for (const make of [() => layers.rlif(), () => layers.rCubaLif()]) {
        const layer = make();
        expect(() => layer.apply(tf.zeros([2, 3, 4, 4]))).toThrowError(
          /expects input \[batch, time, units\] \(rank 3\)/
        );
      }
    });

    // The tensors the bad calls get, made once (the calls must not leave any of their own).
    const x = tf.zeros([2, 3, 4]);
    const ones3 = tf.ones([3]);
    const int4 = tf.ones([4], 'int32');
    const int3d = tf.zeros([2, 3, 4], 'int32');
    const rank2 = tf.zeros([2, 3]);
    const state = tf.zeros([2, 4]);
    afterAll(() => tf.dispose([x, ones3, int4, int3d, rank2, state]));
    const opCases: Array<[string, () => unknown, RegExp]> = [
      [
        'alif leak 2',
        () => ops.alif(x, {leak: 2}),
        /alif: option 'leak' must be a number in \[0, 1\] or a float32 tensor; got 2/,
      ],
      [
        'alif adaptation -0.1',
        () => ops.alif(x, {adaptation: -0.1}),
        /alif: option 'adaptation' must be a finite number >= 0/,
      ],
      [
        'cubaLif threshold -1',
        () => ops.cubaLif(x, {threshold: -1}),
        /cubaLif: option 'threshold' must be a finite number > 0/,
      ],
      [
        'cubaLif threshold [3]',
        () => ops.cubaLif(x, {threshold: ones3}),
        /option 'threshold' must be .*broadcasting to the features shape \[4\].*; got a float32 tensor of shape \[3\]/,
      ],
      [
        'li leak int32',
        () => ops.li(x, {leak: int4}),
        /li: option 'leak' must be .*; got an int32 tensor of shape \[4\]/,
      ],
      ['li currents int32', () => ops.li(int3d), /li: argument 'currents' must be a non-empty float32/],
      ['alif currents rank 2', () => ops.alif(rank2), /alif: argument 'currents' must be .*rank 3 to 6/],
      [
        'alifWithState initialState',
        () => ops.alifWithState(x, {initialState: [state]}),
        /alifWithState: option 'initialState' must be an array of 2 float32 tensor\(s\) \[membrane, adaptation\] of shape \[2,4\]/,
      ],
      [
        'cubaLif unknown option',
        () => ops.cubaLif(x, {adaptation: 1} as never),
        /cubaLif: unknown option 'adaptation'; expected one of leak, synapticLeak, threshold/,
      ],
      [
        'alif resetMode',
        () => ops.alif(x, {resetMode: 'halve' as never}),
        /alif: option 'resetMode' must be one of 'subtract', 'zero', 'none'; got 'halve'/,
      ],
      ['alif alpha 0', () => ops.alif(x, {alpha: 0}), /alif: option 'alpha' must be a finite number > 0; got 0/],
      [
        "li implementation 'kernel'",
        () => ops.liWithState(x, {implementation: 'kernel' as never}),
        /liWithState: option 'implementation' must be 'auto' or 'composite' \(li has no fused kernel; it runs step by step on core ops\); got 'kernel'/,
      ],
      [
        'rlif without recurrentKernel',
        () => rlifWithState(x, {} as never),
        /rlif: option 'recurrentKernel' must be a float32 tensor of shape \[4, 4\]/,
      ],
    ];
    for (const [what, run, message] of opCases) {
      it(`op: ${what} (and no tensor leaks)`, () => {
        const before = tf.memory().numTensors;
        expect(run).toThrowError(message);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
    it('op: a custom surrogate that throws in the backward pass is an error naming it', () => {
      const surrogate = () => {
        throw new Error('boom');
      };
      const x = tf.ones([1, 2, 2]);
      const before = tf.memory().numTensors;
      expect(() => tf.grad((xs: tf.Tensor) => tf.sum(ops.alif(xs, {surrogate})))(x)).toThrowError(
        /spike: option 'surrogate' \(function 'surrogate'\) threw in the backward pass: boom/
      );
      // ops.spike frees what the gradient tape saved, as the fused lif gradient does.
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  });
});

function spikesOnly(r: {output: tf.Tensor; state: tf.Tensor[]}): tf.Tensor {
  tf.dispose(r.state);
  return r.output;
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tolerance: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  expect(worst).toBeLessThanOrEqual(tolerance);
}
