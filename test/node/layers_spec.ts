import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {callbacks, layers, regularizers} from '../../src/index';
import {saveToMemory} from './io_helpers';

type AnyLayer = tfl.layers.Layer;

/** A small model with every spiking layer, as a user writes it. */
function everyLayerModel(encoder: 'direct' | 'poisson' = 'direct', T = 4): tfl.Sequential {
  const model = tfl.sequential();
  model.add(
    encoder === 'direct'
      ? layers.directEncoder({timeSteps: T, inputShape: [8, 8, 1]})
      : layers.poissonEncoder({timeSteps: T, seed: 3, inputShape: [8, 8, 1]})
  );
  model.add(
    layers.spikingConv2d({
      filters: 4,
      kernelSize: 3,
      useBias: true,
      kernelInitializer: tfl.initializers.glorotUniform({seed: 1}),
    })
  );
  model.add(layers.bntt({center: true}));
  model.add(layers.lif({leak: 0.9, threshold: 0.5}));
  model.add(layers.spikingAvgPool2d());
  model.add(layers.spikingFlatten());
  model.add(layers.spikingDense({units: 6, kernelInitializer: tfl.initializers.glorotUniform({seed: 2})}));
  model.add(layers.bntt());
  model.add(layers.lif({surrogate: 'arctan'}));
  model.add(layers.spikingDense({units: 3, kernelInitializer: tfl.initializers.glorotUniform({seed: 4})}));
  model.add(layers.timeAverage());
  return model;
}

function compileSgd(model: tfl.LayersModel, lr = 0.1) {
  model.compile({
    optimizer: tf.train.sgd(lr),
    loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p),
    metrics: ['accuracy'],
  });
}

function syntheticData(n = 16) {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 8, 8, 1], 0, 1.5, 'float32', 7);
    const labels = tf.tensor1d(
      Array.from({length: n}, (_, i) => i % 3),
      'int32'
    );
    return {x, y: tf.cast(tf.oneHot(labels, 3), 'float32')};
  });
}

describe('layer configs', () => {
  const examples: Array<[string, () => AnyLayer]> = [
    ['poissonEncoder', () => layers.poissonEncoder({timeSteps: 7, scale: 3, signed: false, seed: 5})],
    ['directEncoder', () => layers.directEncoder({timeSteps: 9})],
    [
      'spikingConv2d',
      () =>
        layers.spikingConv2d({
          filters: 5,
          kernelSize: [3, 1],
          strides: 2,
          padding: 'valid',
          useBias: true,
          kernelInitializer: 'heNormal',
          kernelRegularizer: regularizers.weightDecay(1e-4),
          biasConstraint: 'nonNeg',
        }),
    ],
    [
      'spikingDense',
      () => layers.spikingDense({units: 7, useBias: true, biasInitializer: 'ones', kernelRegularizer: 'l1l2'}),
    ],
    ['spikingAvgPool2d', () => layers.spikingAvgPool2d({poolSize: 3, strides: 1, padding: 'same'})],
    ['spikingFlatten', () => layers.spikingFlatten()],
    [
      'bntt',
      () =>
        layers.bntt({
          epsilon: 1e-3,
          momentum: 0.8,
          center: true,
          scale: false,
          timeSteps: 6,
          extraSteps: 'repeatLast',
          gammaRegularizer: regularizers.weightDecay(1e-4),
        }),
    ],
    [
      'lif',
      () =>
        layers.lif({
          leak: 0.8,
          threshold: 0.5,
          resetMode: 'zero',
          detachReset: false,
          surrogate: 'fastSigmoid',
          alpha: 10,
          stateful: true,
        }),
    ],
    ['timeAverage', () => layers.timeAverage()],
    ['spikingBatchNorm', () => layers.spikingBatchNorm({epsilon: 1e-3, center: true})],
  ];
  for (const [name, make] of examples) {
    it(`${name}: getConfig → fromConfig → getConfig is the same, and the class is registered under Snn*`, () => {
      const layer = make();
      const config = layer.getConfig();
      const className = layer.getClassName();
      expect(className).toMatch(/^Snn[A-Z]/);
      const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[className];
      const copy = fromConfig(cls, config) as AnyLayer;
      expect(copy.getClassName()).toBe(className);
      expect(copy.getConfig()).toEqual(config);
    });
  }

  it('default arguments are the documented ones', () => {
    expect(layers.bntt().getConfig()).toEqual(
      jasmine.objectContaining({epsilon: 1e-4, momentum: 0.9, center: false, scale: true, extraSteps: 'error'})
    );
    expect(layers.poissonEncoder({timeSteps: 2}).getConfig()).toEqual(
      jasmine.objectContaining({scale: 2, signed: true})
    );
    expect(layers.spikingConv2d({filters: 1, kernelSize: 3}).getConfig()).toEqual(
      jasmine.objectContaining({strides: [1, 1], padding: 'same', useBias: false, dilationRate: [1, 1]})
    );
    expect(layers.spikingAvgPool2d().getConfig()).toEqual(
      jasmine.objectContaining({poolSize: [2, 2], strides: [2, 2], padding: 'valid'})
    );
    expect(layers.lif().getConfig()).toEqual(jasmine.objectContaining({stateful: false}));
  });

  it('a lif layer with a custom surrogate function runs but refuses to be saved, naming the layer', async () => {
    const layer = layers.lif({surrogate: (u: tf.Tensor) => tf.sigmoid(u), name: 'custom_lif'});
    expect(() => layer.getConfig()).toThrowError(/SnnLif 'custom_lif': a custom surrogate function cannot be saved/);
  });
});

describe('layer weights', () => {
  it('spikingConv2d: kernel [kh, kw, in, filters] then bias [filters]', () => {
    const layer = layers.spikingConv2d({filters: 5, kernelSize: [3, 2], useBias: true});
    layer.build([null, 4, 9, 9, 3]);
    expect(layer.weights.map(w => [w.originalName.split('/').pop(), w.shape])).toEqual([
      ['kernel', [3, 2, 3, 5]],
      ['bias', [5]],
    ]);
  });

  it('spikingDense: kernel [in, units] (no bias by default)', () => {
    const layer = layers.spikingDense({units: 4});
    layer.build([null, 3, 10]);
    expect(layer.weights.map(w => w.shape)).toEqual([[10, 4]]);
  });

  it('bntt: gamma, beta (center only), moving_mean, moving_variance, all [T, C]; only gamma/beta trainable', () => {
    for (const [center, scale, names] of [
      [false, true, ['gamma', 'moving_mean', 'moving_variance']],
      [true, true, ['gamma', 'beta', 'moving_mean', 'moving_variance']],
      [true, false, ['beta', 'moving_mean', 'moving_variance']],
    ] as const) {
      const layer = layers.bntt({center, scale});
      layer.build([null, 5, 4, 4, 3]);
      expect(layer.weights.map(w => w.originalName.split('/').pop())).toEqual([...names]);
      expect(layer.weights.every(w => w.shape[0] === 5 && w.shape[1] === 3 && w.shape.length === 2)).toBeTrue();
      expect(layer.trainableWeights.length).toBe(names.length - 2);
      const [gamma] = layer.getWeights();
      if (scale) expect(Array.from(gamma.dataSync()).every(v => v === 1)).toBeTrue();
    }
  });

  it('bntt takes T from the input shape, or from timeSteps when the time axis is null', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.inputLayer({batchInputShape: [null, null, 6]}), layers.bntt({timeSteps: 8})],
    });
    expect(model.layers[model.layers.length - 1].weights[0].shape).toEqual([8, 6]);
    const x = tf.ones([2, 3, 6]);
    const y = model.predict(x) as tf.Tensor; // 3 of 8 steps: early exit
    expect(y.shape).toEqual([2, 3, 6]);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('save and load', () => {
  for (const encoder of ['direct', 'poisson'] as const) {
    it(`a trained ${encoder}-coded model round-trips through model.save / tf.loadLayersModel with identical predictions`, async () => {
      const model = everyLayerModel(encoder);
      compileSgd(model);
      const {x, y} = syntheticData();
      await model.fit(x, y, {epochs: 1, batchSize: 8, verbose: 0});
      const artifacts = await saveToMemory(model);
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      // A seeded encoder restarts its draws in a loaded model, so compare fresh copies of both.
      const reference = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      const [a, b] = [loaded.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor];
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      if (encoder === 'direct') {
        const original = model.predict(x) as tf.Tensor;
        expect(Array.from(original.dataSync())).toEqual(Array.from(a.dataSync()));
        original.dispose();
      }
      expect(loaded.layers.map(l => l.getClassName())).toEqual(model.layers.map(l => l.getClassName()));
      const weights = (m: tfl.LayersModel) => m.getWeights().map(w => Array.from(w.dataSync()));
      expect(weights(loaded)).toEqual(weights(model));
      tf.dispose([x, y, a, b]);
      [model, loaded, reference].forEach(m => m.dispose());
    });
  }
});

describe('no tensor leaks', () => {
  it('fit, evaluate and predict loops keep tf.memory().numTensors flat', async () => {
    const model = everyLayerModel('poisson');
    compileSgd(model);
    const {x, y} = syntheticData();
    const monitor = callbacks.spikeRateMonitor();
    await model.fit(x, y, {epochs: 1, batchSize: 8, verbose: 0, callbacks: [monitor]}); // creates optimizer state
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await model.fit(x, y, {epochs: 2, batchSize: 8, verbose: 0, validationSplit: 0.25, callbacks: [monitor]});
      tf.dispose(model.evaluate(x, y) as tf.Scalar[]);
      tf.dispose(model.predict(x) as tf.Tensor);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
  });

  it('a stateful lif keeps exactly one membrane tensor and frees it on resetStates and dispose', () => {
    const layer = layers.lif({stateful: true});
    const x = tf.ones([2, 3, 4]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(layer.apply(x) as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
    layer.resetStates();
    expect(tf.memory().numTensors).toBe(before - 1);
    x.dispose();
  });
});

describe('spikeRateMonitor', () => {
  it("logs each spiking layer's mean firing rate per epoch, equal to the rate of the spikes the batches produced", async () => {
    const model = everyLayerModel('direct');
    compileSgd(model, 0); // lr 0: the weights, hence every epoch's spikes, stay fixed
    const {x, y} = syntheticData(8);
    const history = await model.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      verbose: 0,
      callbacks: [callbacks.spikeRateMonitor({prefix: 'rate/'})],
    });
    const lifLayers = model.layers.filter(l => l.getClassName() === 'SnnLif');
    const probe = tfl.model({inputs: model.inputs, outputs: lifLayers.map(l => l.output as tfl.SymbolicTensor)});
    const spikes = probe.apply(x, {training: true}) as tf.Tensor[];
    for (const [i, layer] of lifLayers.entries()) {
      const values = spikes[i].dataSync();
      const expected = Array.from(values).reduce((s, v) => s + Math.abs(v), 0) / values.length;
      expect(expected).toBeGreaterThan(0);
      const logged = history.history[`rate/${layer.name}`] as number[];
      expect(logged.length).toBe(2);
      for (const rate of logged) expect(rate).toBeCloseTo(expected, 6);
    }
    tf.dispose([x, y, ...spikes]);
    model.dispose();
  });

  it('finds spiking layers inside nested models and detaches its recorders when training ends', async () => {
    const inner = tfl.sequential({
      layers: [
        layers.directEncoder({timeSteps: 3, inputShape: [5]}),
        layers.spikingDense({units: 4}),
        layers.lif({name: 'inner_lif'}),
      ],
    });
    const outer = tfl.sequential({layers: [inner, layers.spikingDense({units: 2}), layers.timeAverage()]});
    compileSgd(outer);
    const x = tf.randomUniform([6, 5], 0, 3, 'float32', 2);
    const y = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1], 'int32'), 2), 'float32');
    const history = await outer.fit(x, y, {
      epochs: 1,
      batchSize: 6,
      verbose: 0,
      validationData: [x, y],
      callbacks: [callbacks.spikeRateMonitor()],
    });
    expect(Object.keys(history.history)).toContain('spikeRate/inner_lif');
    expect(inner.getLayer('inner_lif') as unknown as {spikeRecorder: unknown}).toEqual(
      jasmine.objectContaining({spikeRecorder: null})
    );
    tf.dispose([x, y]);
    outer.dispose();
  });

  it("with updateFreq 'batch', logs each batch's rates in the batch logs and their mean per epoch", async () => {
    const model = everyLayerModel('direct');
    compileSgd(model, 0);
    const {x, y} = syntheticData(8);
    const seen: Array<{[key: string]: number}> = [];
    const capture = new tfl.CustomCallback({
      onBatchEnd: async (_b, logs) => {
        seen.push({...(logs as {[key: string]: number})});
      },
    });
    const monitor = callbacks.spikeRateMonitor({updateFreq: 'batch'});
    const history = await model.fit(x, y, {
      epochs: 1,
      batchSize: 4,
      shuffle: false,
      verbose: 0,
      callbacks: [monitor, capture],
    });
    const lifLayers = model.layers.filter(l => l.getClassName() === 'SnnLif');
    const probe = tfl.model({inputs: model.inputs, outputs: lifLayers.map(l => l.output as tfl.SymbolicTensor)});
    expect(seen.length).toBe(2);
    for (const [batch, rows] of [
      [0, tf.slice(x, 0, 4)],
      [1, tf.slice(x, 4, 4)],
    ] as Array<[number, tf.Tensor]>) {
      const spikes = probe.apply(rows, {training: true}) as tf.Tensor[];
      lifLayers.forEach((layer, i) => {
        const values = spikes[i].dataSync();
        const expected = Array.from(values).reduce((s, v) => s + Math.abs(v), 0) / values.length;
        expect(seen[batch][`spikeRate/${layer.name}`]).toBeCloseTo(expected, 6);
      });
      tf.dispose([rows, ...spikes]);
    }
    for (const layer of lifLayers) {
      const key = `spikeRate/${layer.name}`;
      expect((history.history[key] as number[])[0]).toBeCloseTo((seen[0][key] + seen[1][key]) / 2, 6);
    }
    expect(seen[0]['spikeRate/' + lifLayers[0].name]).not.toBeCloseTo(seen[1]['spikeRate/' + lifLayers[0].name], 6);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('rejects unknown arguments and a bad updateFreq', () => {
    expect(() => callbacks.spikeRateMonitor({prefx: 'x'} as never)).toThrowError(
      "spikeRateMonitor: unknown argument 'prefx'; expected one of prefix, verbose, updateFreq"
    );
    expect(() => callbacks.spikeRateMonitor({updateFreq: 'step'} as never)).toThrowError(
      "spikeRateMonitor: argument 'updateFreq' must be 'epoch' or 'batch'; got 'step'"
    );
  });
});

describe('weightDecay', () => {
  it('is the L2 penalty (decay/2)·Σw², whose gradient decay·w is PyTorch SGD weight_decay', () => {
    const w = tf.tensor([1, -2, 3]);
    const penalty = regularizers.weightDecay(0.01).apply(w);
    expect(penalty.dataSync()[0]).toBeCloseTo(0.005 * 14, 7);
    expect(() => regularizers.weightDecay(-1)).toThrowError(
      /weightDecay: argument 'decay' must be a finite number >= 0; got -1/
    );
    tf.dispose([w, penalty]);
  });
});

describe('bad input', () => {
  // What a case creates (inputs, layers it builds) is freed after it; anything left is a leak of the code under test.
  const made: tf.Tensor[] = [];
  const built: AnyLayer[] = [];
  const zeros = (shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor => {
    const t = tf.zeros(shape, dtype);
    made.push(t);
    return t;
  };
  const keep = <L extends AnyLayer>(layer: L): L => {
    built.push(layer);
    return layer;
  };
  const cases: Array<[string, () => unknown, RegExp | string]> = [
    [
      'a spiking layer without a time axis (dense input)',
      () => tfl.sequential({layers: [keep(tfl.layers.dense({units: 4, inputShape: [10]})), layers.lif({name: 'l1'})]}),
      "SnnLif 'l1': expects input [batch, time, ...features] (rank 3 to 6); got shape [null, 4] — the input has no time axis; put an encoder (poissonEncoder or directEncoder) before the spiking layers",
    ],
    [
      'spikingConv2d on images without time',
      () =>
        tfl.sequential({layers: [layers.spikingConv2d({filters: 2, kernelSize: 3, inputShape: [8, 8, 1], name: 'c'})]}),
      /SnnSpikingConv2d 'c': expects input \[batch, time, height, width, channels\] \(rank 5\); got shape \[null, 8, 8, 1\]/,
    ],
    [
      'spikingDense after a conv without flatten',
      () =>
        tfl.sequential({
          layers: [
            layers.directEncoder({timeSteps: 2, inputShape: [4, 4, 1]}),
            layers.spikingDense({units: 3, name: 'd'}),
          ],
        }),
      /SnnSpikingDense 'd': expects input \[batch, time, features\] \(rank 3\); got shape \[null, 2, 4, 4, 1\]/,
    ],
    [
      'an encoder on a batch of scalars',
      () => layers.directEncoder({timeSteps: 2, name: 'e'}).apply(zeros([3])),
      "SnnDirectEncoder 'e': expects input [batch, ...features] (rank >= 2); got shape [3]",
    ],
    [
      'int32 input',
      () => layers.timeAverage({name: 't'}).apply(zeros([2, 3, 4], 'int32')),
      "SnnTimeAverage 't': expects a float32 input; got an int32 tensor of shape [2, 3, 4] (use tf.cast(x, 'float32'))",
    ],
    [
      'more steps than a built bntt',
      () => {
        const layer = keep(layers.bntt({name: 'b'}));
        made.push(layer.apply(zeros([2, 3, 4])) as tf.Tensor);
        return layer.apply(zeros([2, 5, 4]));
      },
      /SnnBntt 'b': the input has 5 time steps \(shape \[2, 5, 4\]\) but the layer was built for 3; more steps are not allowed with extraSteps 'error'/,
    ],
    [
      'more steps than a built bntt in training, even with repeatLast',
      () => {
        const layer = keep(layers.bntt({name: 'b2', extraSteps: 'repeatLast'}));
        made.push(layer.apply(zeros([2, 3, 4])) as tf.Tensor);
        return layer.apply(zeros([2, 5, 4]), {training: true});
      },
      /SnnBntt 'b2': the input has 5 time steps .* not allowed in training/,
    ],
    [
      'bntt with other channels than built',
      () => {
        const layer = keep(layers.bntt({name: 'b3'}));
        made.push(layer.apply(zeros([2, 3, 4])) as tf.Tensor);
        return layer.apply(zeros([2, 3, 5]));
      },
      "SnnBntt 'b3': expects 4 channels (last axis); got shape [2, 3, 5]",
    ],
    [
      'bntt training on a single value per channel',
      () => keep(layers.bntt({name: 'b4'})).apply(zeros([1, 3, 4]), {training: true}),
      /SnnBntt 'b4': training needs more than one value per step and channel .* \(use a batch size > 1\)/,
    ],
    [
      'bntt timeSteps smaller than the input',
      () => keep(layers.bntt({timeSteps: 2, name: 'b5'})).apply(zeros([2, 3, 4])),
      /SnnBntt 'b5': the input has 3 time steps .* but argument 'timeSteps' is 2/,
    ],
    [
      'bntt with a null time axis and no timeSteps',
      () =>
        tfl.sequential({
          layers: [tfl.layers.inputLayer({batchInputShape: [null, null, 3]}), keep(layers.bntt({name: 'b6'}))],
        }),
      /SnnBntt 'b6': the time axis of the input is not fixed .* give the number of steps with argument 'timeSteps'/,
    ],
    [
      'spikingDense with other features than built',
      () => {
        const layer = keep(layers.spikingDense({units: 2, name: 'd2'}));
        made.push(layer.apply(zeros([1, 2, 3])) as tf.Tensor);
        return layer.apply(zeros([1, 2, 4]));
      },
      "SnnSpikingDense 'd2': expects 3 input features (axis 2); got shape [1, 2, 4]",
    ],
    [
      'a stateful lif fed another batch size',
      () => {
        const layer = layers.lif({stateful: true, name: 's'});
        tf.dispose(layer.apply(zeros([2, 3, 4])) as tf.Tensor);
        try {
          return layer.apply(zeros([3, 3, 4]));
        } finally {
          layer.resetStates();
        }
      },
      /SnnLif 's': stateful layer holds a membrane of shape \[2, 4\] but the input of shape \[3, 3, 4\] needs \[3, 4\]; call resetStates\(\)/,
    ],
    [
      'a pool larger than the input',
      () => layers.spikingAvgPool2d({poolSize: 5, name: 'p'}).apply(zeros([1, 2, 3, 3, 1])),
      /SnnSpikingAvgPool2d 'p': pool \[5, 5\] does not fit the input of shape \[1, 2, 3, 3, 1\]/,
    ],
    [
      'filters 0',
      () => layers.spikingConv2d({filters: 0, kernelSize: 3}),
      "spikingConv2d: argument 'filters' must be an integer >= 1; got 0",
    ],
    [
      'kernelSize missing',
      () => layers.spikingConv2d({filters: 2} as never),
      "spikingConv2d: argument 'kernelSize' must be an integer >= 1 or a pair of them; got undefined",
    ],
    [
      'padding causal',
      () => layers.spikingConv2d({filters: 2, kernelSize: 3, padding: 'causal' as never}),
      "spikingConv2d: argument 'padding' must be one of 'same', 'valid'; got 'causal'",
    ],
    [
      'an unknown initializer',
      () => layers.spikingDense({units: 2, kernelInitializer: 'glorotUnifrm'}),
      /spikingDense: argument 'kernelInitializer' must be a tf.initializers instance, its name .*; got 'glorotUnifrm'/,
    ],
    [
      'units as a string',
      () => layers.spikingDense({units: '4' as never}),
      "spikingDense: argument 'units' must be an integer >= 1; got '4'",
    ],
    [
      'a misspelt argument',
      () => layers.lif({treshold: 1} as never),
      /lif: unknown argument 'treshold'; expected one of leak, threshold, /,
    ],
    [
      'leak above 1',
      () => layers.lif({leak: 1.5}),
      "lif: argument 'leak' must be a number in [0, 1] or a nested array of such numbers (one per channel, or per neuron); got 1.5",
    ],
    [
      'an unknown surrogate',
      () => layers.lif({surrogate: 'relu' as never}),
      "lif: option 'surrogate' must be one of 'triangle', 'fastSigmoid', 'sigmoid', 'arctan'; got 'relu'",
    ],
    [
      'bntt momentum 2',
      () => layers.bntt({momentum: 2}),
      "bntt: argument 'momentum' must be a number in [0, 1]; got 2",
    ],
    [
      'bntt extraSteps',
      () => layers.bntt({extraSteps: 'clamp' as never}),
      "bntt: argument 'extraSteps' must be one of 'error', 'repeatLast'; got 'clamp'",
    ],
    [
      'poisson timeSteps 0',
      () => layers.poissonEncoder({timeSteps: 0}),
      "poissonEncoder: argument 'timeSteps' must be an integer >= 1; got 0",
    ],
    [
      'poisson scale negative',
      () => layers.poissonEncoder({timeSteps: 2, scale: -1}),
      "poissonEncoder: argument 'scale' must be a finite number > 0; got -1",
    ],
    // Sizes: checked against 2^31 - 1 elements per tensor before anything is allocated. Every case asks for more
    // than 2^32 elements, which the unchecked code fails to allocate at once (RangeError), so none of them can
    // allocate gigabytes even without the checks.
    [
      'directEncoder timeSteps 2^31',
      () => layers.directEncoder({timeSteps: 2 ** 31}),
      "directEncoder: argument 'timeSteps' must be an integer <= 2147483647 (a tensor holds at most 2^31 - 1 " +
        'elements); got 2147483648',
    ],
    [
      'poissonEncoder timeSteps 2^31',
      () => layers.poissonEncoder({timeSteps: 2 ** 31}),
      "poissonEncoder: argument 'timeSteps' must be an integer <= 2147483647 (a tensor holds at most 2^31 - 1 " +
        'elements); got 2147483648',
    ],
    [
      'an encoder output over the limit, at model building',
      () => tfl.sequential({layers: [layers.directEncoder({timeSteps: 1e7, inputShape: [28, 28, 1], name: 'e2'})]}),
      "SnnDirectEncoder 'e2': the output of shape [null, 10000000, 28, 28, 1] would hold 7840000000 elements " +
        'for one example, more than the limit of 2147483647 (2^31 - 1) elements per tensor; argument ' +
        "'timeSteps' (10000000) is too large",
    ],
    [
      'a direct encoder output over the limit, at call',
      () => layers.directEncoder({timeSteps: 1e7, name: 'e3'}).apply(zeros([4, 1000])),
      "SnnDirectEncoder 'e3': the output of shape [4, 10000000, 1000] would hold 40000000000 elements, more than " +
        "the limit of 2147483647 (2^31 - 1) elements per tensor; argument 'timeSteps' (10000000) is too large",
    ],
    [
      'a Poisson encoder output over the limit, at call',
      () => layers.poissonEncoder({timeSteps: 1e7, name: 'e4'}).apply(zeros([4, 1000])),
      "SnnPoissonEncoder 'e4': the output of shape [4, 10000000, 1000] would hold 40000000000 elements, more than " +
        "the limit of 2147483647 (2^31 - 1) elements per tensor; argument 'timeSteps' (10000000) is too large",
    ],
    [
      'spikingDense units 2^31',
      () => layers.spikingDense({units: 2 ** 31}),
      "spikingDense: argument 'units' must be an integer <= 2147483647 (a tensor holds at most 2^31 - 1 " +
        'elements); got 2147483648',
    ],
    [
      'a spikingDense kernel over the limit',
      () =>
        tfl.sequential({
          layers: [
            layers.directEncoder({timeSteps: 2, inputShape: [784]}),
            layers.spikingDense({units: 1e9, name: 'd3'}),
          ],
        }),
      "SnnSpikingDense 'd3': the kernel of shape [784, 1000000000] would hold 784000000000 elements, more than " +
        "the limit of 2147483647 (2^31 - 1) elements per tensor; argument 'units' (1000000000) is too large",
    ],
    [
      'spikingConv2d filters 2^31',
      () => layers.spikingConv2d({filters: 2 ** 31, kernelSize: 3}),
      "spikingConv2d: argument 'filters' must be an integer <= 2147483647 (a tensor holds at most 2^31 - 1 " +
        'elements); got 2147483648',
    ],
    [
      'a spikingConv2d kernel over the limit (filters)',
      () =>
        tfl.sequential({
          layers: [
            layers.directEncoder({timeSteps: 2, inputShape: [8, 8, 1]}),
            layers.spikingConv2d({filters: 1e9, kernelSize: 3, name: 'c3'}),
          ],
        }),
      "SnnSpikingConv2d 'c3': the kernel of shape [3, 3, 1, 1000000000] would hold 9000000000 elements, more " +
        "than the limit of 2147483647 (2^31 - 1) elements per tensor; argument 'filters' (1000000000) or " +
        "'kernelSize' ([3, 3]) is too large",
    ],
    [
      'a spikingConv2d kernel over the limit (kernelSize)',
      () =>
        tfl.sequential({
          layers: [
            layers.directEncoder({timeSteps: 2, inputShape: [8, 8, 1]}),
            layers.spikingConv2d({filters: 1, kernelSize: 70000, name: 'c4'}),
          ],
        }),
      "SnnSpikingConv2d 'c4': the kernel of shape [70000, 70000, 1, 1] would hold 4900000000 elements, more " +
        "than the limit of 2147483647 (2^31 - 1) elements per tensor; argument 'filters' (1) or " +
        "'kernelSize' ([70000, 70000]) is too large",
    ],
    [
      'a spikingConv2d kernel that does not fit (no kernel left behind)',
      () =>
        tfl.sequential({
          layers: [
            layers.directEncoder({timeSteps: 2, inputShape: [3, 3, 1]}),
            layers.spikingConv2d({filters: 2, kernelSize: 5, padding: 'valid', name: 'c5'}),
          ],
        }),
      "SnnSpikingConv2d 'c5': kernel [5, 5] with padding 'valid' does not fit the input of shape [null, 2, 3, 3, 1]",
    ],
    [
      'bntt timeSteps 2^31',
      () => layers.bntt({timeSteps: 2 ** 31}),
      "bntt: argument 'timeSteps' must be an integer <= 2147483647 (a tensor holds at most 2^31 - 1 elements); " +
        'got 2147483648',
    ],
  ];
  for (const [what, run, message] of cases) {
    it(`${what} → a clear Error, no leaked tensors`, () => {
      const before = tf.memory().numTensors;
      expect(run).toThrowError(message as string);
      tf.dispose(made.splice(0));
      for (const layer of built.splice(0)) layer.weights.forEach(w => w.dispose());
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('default layer names', () => {
  it('are short and follow the factory name, so log keys and summaries read well', () => {
    const [a, b] = [layers.lif(), layers.lif()];
    expect(a.name).toMatch(/^lif_\d+$/);
    expect(b.name).not.toBe(a.name);
    expect(layers.spikingConv2d({filters: 1, kernelSize: 1}).name).toMatch(/^spiking_conv2d_\d+$/);
    expect(layers.bntt({name: 'mine'}).name).toBe('mine');
  });
});

describe('directEncoder', () => {
  it('repeats [batch, h, w, c] at every step, with the summed gradient, concatenating at rank 3 without Tile', () => {
    // tfjs-backend-webgpu runs a Tile of rank >= 5 on the CPU through a synchronous read (no OffscreenCanvas in
    // Node.js), and tfjs-backend-wasm's Tile is 20 times slower than its Concat: the encoder asks for neither.
    const tiled: number[] = [];
    const concatenated: number[] = [];
    const spy = tf.engine().runKernel.bind(tf.engine());
    spyOn(tf.engine(), 'runKernel').and.callFake(((name: string, inputs: tf.NamedTensorMap, attrs: object) => {
      if (name === 'Tile') tiled.push(inputs.x.rank);
      if (name === 'Concat') concatenated.push(...Object.values(inputs).map(t => t.rank));
      return spy(name, inputs, attrs as tf.NamedAttrMap);
    }) as typeof spy);
    const encoder = layers.directEncoder({timeSteps: 3});
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3, 1]);
    const y = encoder.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 3, 2, 3, 1]);
    const values = Array.from(y.dataSync());
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 3; t++) {
        expect(values.slice((b * 3 + t) * 6, (b * 3 + t + 1) * 6)).toEqual([1, 2, 3, 4, 5, 6].map(v => v + 6 * b));
      }
    }
    const w = tf.tidy(() => tf.reshape(tf.range(0, 36), [2, 3, 2, 3, 1]));
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(encoder.apply(input) as tf.Tensor, w)))(x);
    // d/dx_i = Σ_t w[b, t, i]
    const wv = Array.from(w.dataSync());
    const expected = Array.from({length: 12}, (_, k) => {
      const [b, i] = [Math.floor(k / 6), k % 6];
      return [0, 1, 2].reduce((sum, t) => sum + wv[(b * 3 + t) * 6 + i], 0);
    });
    expect(Array.from(grad.dataSync())).toEqual(expected);
    expect(tiled).toEqual([]);
    expect(concatenated.length).toBeGreaterThan(0);
    expect(Math.max(...concatenated)).toBeLessThanOrEqual(3);
    tf.dispose([x, y, w, grad]);
  });
});
