import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {analysis, layers, models} from '../../src/index';
import {handImages, handNetwork} from '../shared/hand_network';

function expectNoLeak(run: () => unknown): void {
  run();
  const before = tf.memory().numTensors;
  run();
  expect(tf.memory().numTensors).toBe(before);
}

describe('analysis.gammaProfile', () => {
  it('summarises hand-set BNTT scales per step and layer', () => {
    const model = models.small({inputShape: [8, 8, 1], numClasses: 3, timeSteps: 3});
    const bntt1 = model.getLayer('bntt1');
    const channels = 32;
    // Step 0: all 1; step 1: half 1, half 0 (mean 0.5, std 0.5); step 2: channel c → c / 31 (min 0, max 1).
    const rows = [
      Array(channels).fill(1),
      Array.from({length: channels}, (_, c) => (c < 16 ? 1 : 0)),
      Array.from({length: channels}, (_, c) => c / 31),
    ];
    const [, ...rest] = bntt1.getWeights();
    bntt1.setWeights([tf.tensor2d(rows), ...rest]);
    const profiles = analysis.gammaProfile(model);
    expect(profiles.map(p => p.layer)).toEqual(['bntt1', 'bntt2', 'bntt3']);
    const p = profiles[0];
    expect(p.mean[0]).toBeCloseTo(1, 6);
    expect(p.mean[1]).toBeCloseTo(0.5, 6);
    expect(p.mean[2]).toBeCloseTo(0.5, 6);
    expect(p.std[0]).toBeCloseTo(0, 6);
    expect(p.std[1]).toBeCloseTo(0.5, 6);
    // Population std of c/31 for c = 0..31: sqrt((n² − 1) / 12) / 31 with n = 32.
    expect(p.std[2]).toBeCloseTo(Math.sqrt((32 * 32 - 1) / 12) / 31, 6);
    expect([p.min[2], p.max[2]]).toEqual([0, 1]);
    // Untouched layers keep the default initialisation (ones).
    expect(profiles[2].mean).toEqual([1, 1, 1]);
  });

  it('leaves out spikingBatchNorm (one scale for all steps)', () => {
    const model = models.small({inputShape: [8, 8, 1], numClasses: 3, timeSteps: 3, normalization: 'batchnorm'});
    expect(analysis.gammaProfile(model)).toEqual([]);
  });
});

describe('analysis.spikeRates', () => {
  it('gives the hand-counted rates, overall and per step', () => {
    const model = handNetwork();
    const x = handImages();
    const [rates] = analysis.spikeRates(model, x, {batchSize: 1});
    expect(rates.layer).toBe('spikes');
    expect(rates.neurons).toBe(4);
    // Spikes per step over both examples: 1 + 4, 3 + 4, 2 + 4 of 8 neurons.
    expect(rates.perStep).toEqual([5 / 8, 7 / 8, 6 / 8]);
    expect(rates.rate).toBeCloseTo(18 / 24, 12);
    expectNoLeak(() => analysis.spikeRates(model, x));
    x.dispose();
  });

  it("counts a Poisson encoder's signed spikes by magnitude", () => {
    const model = tfl.sequential({layers: [layers.poissonEncoder({timeSteps: 4, inputShape: [3], scale: 1, seed: 1})]});
    const x = tf.tensor2d([[1, -1, 0]]); // |x| = 1 spikes every step, 0 never
    const [rates] = analysis.spikeRates(model, x);
    expect(rates.perStep).toEqual([2 / 3, 2 / 3, 2 / 3, 2 / 3]);
    x.dispose();
  });
});

describe('analysis.energy', () => {
  it('counts MACs for the analog first layer and accumulates per input spike after it', () => {
    const model = handNetwork();
    const x = handImages();
    const e = analysis.energy(model, x);
    const [hidden, out] = e.layers;
    // hidden: 4 outputs × fan-in 4 = 16 MACs, analog input, 16 × T 3 MACs in the SNN.
    expect(hidden).toEqual(jasmine.objectContaining({layer: 'hidden', annMACs: 16, analogInput: true, snnOps: 48}));
    expect(hidden.inputRate).toBeCloseTo((0.6 + 1.5 + 1.0 + 6) / 8, 6);
    // out: 2 × 4 = 8 MACs; its input spikes at rate 0.75, so 0.75 × 8 × 3 = 18 accumulates.
    expect(out).toEqual(jasmine.objectContaining({layer: 'out', annMACs: 8, analogInput: false}));
    expect(out.inputRate).toBeCloseTo(0.75, 12);
    expect(out.snnOps).toBeCloseTo(18, 9);
    expect(e.annEnergy).toBeCloseTo(24 * 4.6, 9);
    expect(e.snnEnergy).toBeCloseTo(48 * 4.6 + 18 * 0.9, 9);
    expect(e.ratio).toBeCloseTo((24 * 4.6) / (48 * 4.6 + 18 * 0.9), 9);
    expect(e.timeSteps).toBe(3);
    const custom = analysis.energy(model, x, {eMAC: 3, eAC: 0.1});
    expect(custom.snnEnergy).toBeCloseTo(48 * 3 + 18 * 0.1, 9);
    expectNoLeak(() => analysis.energy(model, x));
    x.dispose();
  });

  it("counts a convolution's MACs as outputs × kernel height × width × input channels", () => {
    for (const [padding, outSide] of [
      ['same', 4],
      ['valid', 2],
    ] as const) {
      const model = tfl.sequential({
        layers: [
          layers.directEncoder({timeSteps: 2, inputShape: [4, 4, 1]}),
          layers.spikingConv2d({filters: 2, kernelSize: 3, padding, name: 'conv'}),
        ],
      });
      const x = tf.ones([1, 4, 4, 1]);
      expect(analysis.energy(model, x).layers[0].annMACs).toBe(outSide * outSide * 2 * 9);
      x.dispose();
    }
  });
});

describe('analysis.accuracyByTimeSteps', () => {
  it('gives the hand-computed accuracy after 1, 2 and 3 steps, for index and one-hot labels', () => {
    const model = handNetwork();
    const x = handImages();
    // Running readout sums: example 0 class 0 [1, 2, 3] vs class 1 [0, 1.6, 3.2] → predicts 0, 0, 1;
    // example 1 class 0 [1, 2, 3] vs class 1 [1.6, 3.2, 4.8] → 1, 1, 1. Both are class 1.
    const indices = tf.tensor1d([1, 1], 'int32');
    const oneHot = tf.oneHot(indices, 2);
    for (const y of [indices, oneHot]) {
      expect(analysis.accuracyByTimeSteps(model, x, y, {batchSize: 1})).toEqual({
        timeSteps: [1, 2, 3],
        accuracy: [0.5, 0.5, 1],
      });
    }
    expectNoLeak(() => analysis.accuracyByTimeSteps(model, x, indices));
    tf.dispose([x, indices, oneHot]);
  });

  it('equals runs of the network stopped after t steps (BNTT with its first t rows of statistics)', () => {
    const model = models.small({inputShape: [8, 8, 1], numClasses: 4, timeSteps: 5, seed: 3});
    // Trained-looking statistics and scales, different per step.
    for (const layer of model.layers.filter(l => l.getClassName() === 'SnnBntt')) {
      layer.setWeights(
        layer.getWeights().map((w, i) => tf.randomUniform(w.shape, i === 2 ? 0.5 : -0.5, 1.5, 'float32', 7 + i))
      );
    }
    const x = tf.randomNormal([24, 8, 8, 1], 0, 1, 'float32', 5);
    const y = tf.tensor1d(
      Array.from({length: 24}, (_, i) => i % 4),
      'int32'
    );
    const stoppedAt = (t: number) =>
      tf.tidy(() => {
        let h = tf.slice(model.layers[0].apply(x) as tf.Tensor, [0, 0], [-1, t]);
        for (const layer of model.layers.slice(1)) h = layer.apply(h, {training: false}) as tf.Tensor;
        return tf.sum(tf.cast(tf.equal(tf.argMax(h, 1), y), 'int32')).dataSync()[0] / 24;
      });
    const byTime = analysis.accuracyByTimeSteps(model, x, y, {batchSize: 10});
    expect(byTime.accuracy).toEqual([1, 2, 3, 4, 5].map(stoppedAt));
    expect(new Set(byTime.accuracy).size).toBeGreaterThan(1); // the steps do change the predictions
    tf.dispose([x, y]);
  });
});

describe('analysis.trace', () => {
  it("gives one example's input and spikes per step and its prediction as it forms (hand-computed)", () => {
    const model = handNetwork();
    const x = tf.slice(handImages(), 0, 1);
    const result = analysis.trace(model, x);
    expect(result.timeSteps).toBe(3);
    expect(result.layers.map(l => [l.layer, l.className, l.shape])).toEqual([
      [model.layers[0].name, 'SnnDirectEncoder', [4]],
      ['spikes', 'SnnLif', [4]],
    ]);
    expect(result.layers[0].values.map(v => Array.from(v))).toEqual(
      Array(3).fill(Array.from(new Float32Array([0.6, 1.5, 0, 1.0])))
    );
    // Neurons n0 … n3 per step: n0 [0,1,0], n1 [1,1,1], n2 [0,0,0], n3 [0,1,1].
    expect(result.layers[1].values.map(v => Array.from(v))).toEqual([
      [0, 1, 0, 0],
      [1, 1, 0, 1],
      [0, 1, 0, 1],
    ]);
    // Readout per step [n1, 1.6 n3] = [1, 0], [1, 1.6], [1, 1.6]; running means below.
    const expectedLogits = [
      [1, 0],
      [1, 0.8],
      [1, 3.2 / 3],
    ];
    result.logits.forEach((row, t) => row.forEach((v, c) => expect(v).toBeCloseTo(expectedLogits[t][c], 6)));
    result.probabilities.forEach((row, t) => {
      const [a, b] = expectedLogits[t];
      expect(row[1]).toBeCloseTo(Math.exp(b) / (Math.exp(a) + Math.exp(b)), 6);
      expect(row[0] + row[1]).toBeCloseTo(1, 12);
    });
    expect(result.predictions).toEqual([0, 0, 1]);
    expectNoLeak(() => analysis.trace(model, x));
    x.dispose();
  });

  it("includes a Poisson encoder's spikes and rejects more than one example", () => {
    const model = models.small({inputShape: [8, 8, 1], numClasses: 3, timeSteps: 2, encoder: 'poisson', seed: 4});
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 3);
    const one = tf.slice(x, 0, 1);
    const result = analysis.trace(model, one);
    expect(result.layers.map(l => l.className)).toEqual(['SnnPoissonEncoder', 'SnnLif', 'SnnLif', 'SnnLif']);
    expect(result.layers[0].values[0].every(v => v === 0 || v === 1)).toBe(true);
    expect(result.layers[1].shape).toEqual([8, 8, 32]);
    const full = model.predict(one) as tf.Tensor;
    result.logits[1].forEach((v, c) => expect(v).toBeCloseTo(full.dataSync()[c], 5));
    expect(() => analysis.trace(model, x)).toThrowError(
      "trace: argument 'x' must hold exactly one example (shape [1, …]); got a float32 tensor of shape " +
        '[2,8,8,1]; pick one with tf.slice(x, i, 1)'
    );
    tf.dispose([x, one, full]);
  });
});

describe('analysis: bad input', () => {
  const model = handNetwork();
  const x = handImages();
  const y = tf.tensor1d([1, 1], 'int32');
  afterAll(() => tf.dispose([x, y]));

  const cases: Array<[string, () => unknown, string]> = [
    [
      'a non-model',
      () => analysis.spikeRates({} as tfl.LayersModel, x),
      "spikeRates: argument 'model' must be a tf.LayersModel",
    ],
    [
      'images of the wrong shape',
      () => analysis.spikeRates(model, tf.zeros([2, 5])),
      "spikeRates: argument 'x' must be a float32 tensor of shape [batch, 4] (the model's input, batch >= 1); got a float32 tensor of shape [2,5]",
    ],
    [
      'no images',
      () => analysis.energy(model, [] as unknown as tf.Tensor),
      "energy: argument 'x' must be a float32 tensor",
    ],
    [
      'a bad batch size',
      () => analysis.spikeRates(model, x, {batchSize: 0}),
      "spikeRates: option 'batchSize' must be an integer >= 1; got 0",
    ],
    [
      'a bad energy figure',
      () => analysis.energy(model, x, {eAC: -1}),
      "energy: option 'eAC' must be a positive number of picojoules; got -1",
    ],
    [
      'labels of the wrong length',
      () => analysis.accuracyByTimeSteps(model, x, tf.zeros([3])),
      "accuracyByTimeSteps: argument 'y' must be class indices [2] or one-hot labels [2, 2]; got a float32 tensor of shape [3]",
    ],
    [
      'a model without timeAverage',
      () =>
        analysis.accuracyByTimeSteps(
          tfl.sequential({layers: [layers.directEncoder({timeSteps: 2, inputShape: [4]})]}),
          x,
          y
        ),
      'accuracyByTimeSteps: the model must end with a timeAverage layer (the readout averaged over time); its last ' +
        "layer 'direct_encoder_",
    ],
  ];
  for (const [what, run, message] of cases) {
    it(`rejects ${what}`, () => expect(run).toThrowError(new RegExp(message.replace(/[[\]().*+?^$|\\{}]/g, '\\$&'))));
  }

  it('rejects a model with branches', () => {
    const input = tfl.input({shape: [4]});
    const encoded = layers.directEncoder({timeSteps: 2}).apply(input) as tfl.SymbolicTensor;
    const a = layers.lif({name: 'a'}).apply(encoded) as tfl.SymbolicTensor;
    const b = layers.lif({name: 'b'}).apply(encoded) as tfl.SymbolicTensor;
    const branched = tfl.model({inputs: input, outputs: tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor});
    expect(() => analysis.spikeRates(branched, x)).toThrowError(
      /spikeRates: the model must be one chain of layers .*layer 'b' does not take only the output of 'a'/
    );
  });
});

describe('analysis.accuracyByTimeSteps: labels', () => {
  const model = handNetwork(); // 2 classes
  const x = handImages(); // 2 examples
  afterAll(() => x.dispose());
  const fn = 'accuracyByTimeSteps';
  const indexRule = "must hold class indices: integers in [0, 1] (the model's 2 classes)";
  const oneHotRule = "must hold one-hot rows: one 1 and 0 elsewhere in each row of the model's 2 classes";
  const cases: Array<[string, () => tf.Tensor, string]> = [
    ['an index above the classes', () => tf.tensor1d([0, 7], 'int32'), `${indexRule}; got 7 at index 1`],
    ['an index above the classes (float32)', () => tf.tensor1d([7, 0]), `${indexRule}; got 7 at index 0`],
    ['a negative index', () => tf.tensor1d([-1, 0], 'int32'), `${indexRule}; got -1 at index 0`],
    ['a fractional index', () => tf.tensor1d([0, 0.5]), `${indexRule}; got 0.5 at index 1`],
    ['a NaN index', () => tf.tensor1d([NaN, 1]), `${indexRule}; got NaN at index 0`],
    ['an infinite index', () => tf.tensor1d([1, Infinity]), `${indexRule}; got Infinity at index 1`],
    [
      'a one-hot row of zeros',
      () =>
        tf.tensor2d([
          [0, 1],
          [0, 0],
        ]),
      `${oneHotRule}; got [0,0] at row 1`,
    ],
    [
      'a one-hot row with two ones',
      () =>
        tf.tensor2d([
          [1, 1],
          [0, 1],
        ]),
      `${oneHotRule}; got [1,1] at row 0`,
    ],
    [
      'a soft row',
      () =>
        tf.tensor2d([
          [0.5, 0.5],
          [0, 1],
        ]),
      `${oneHotRule}; got [0.5,0.5] at row 0`,
    ],
    [
      'a row with 2',
      () =>
        tf.tensor2d([
          [0, 1],
          [2, 0],
        ]),
      `${oneHotRule}; got [2,0] at row 1`,
    ],
    [
      'a NaN row',
      () =>
        tf.tensor2d([
          [0, 1],
          [NaN, 1],
        ]),
      `${oneHotRule}; got [NaN,1] at row 1`,
    ],
    [
      'too many labels',
      () => tf.tensor1d([0, 1, 1], 'int32'),
      'must be class indices [2] or one-hot labels [2, 2]; got an int32 tensor of shape [3]',
    ],
    [
      'too few one-hot rows',
      () => tf.tensor2d([[0, 1]]),
      'must be class indices [2] or one-hot labels [2, 2]; got a float32 tensor of shape [1,2]',
    ],
    [
      'bool labels',
      () => tf.tensor1d([true, false], 'bool'),
      'must be class indices [2] or one-hot labels [2, 2]; got a bool tensor of shape [2]',
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`rejects ${what}, naming the value and its index, with no leaked tensor`, () => {
      const y = make();
      const before = tf.memory().numTensors;
      expect(() => analysis.accuracyByTimeSteps(model, x, y)).toThrowError(`${fn}: argument 'y' ${message}`);
      expect(tf.memory().numTensors).toBe(before);
      y.dispose();
    });
  }

  it('accepts float32 class indices and one-hot labels of either dtype', () => {
    for (const y of [
      tf.tensor1d([1, 1]),
      tf.tensor2d(
        [
          [0, 1],
          [0, 1],
        ],
        [2, 2],
        'int32'
      ),
    ]) {
      expect(analysis.accuracyByTimeSteps(model, x, y).accuracy).toEqual([0.5, 0.5, 1]);
      y.dispose();
    }
  });
});
