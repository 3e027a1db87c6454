import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {layers, models} from '../../src/index';
import {handImages, handNetwork} from '../shared/hand_network';

/** snn.models.small at T 5 whose BNTT layers get the hand-set mean scales `means[layer][t]` (and random statistics). */
function smallWithGammas(means: number[][]): tfl.Sequential {
  const model = models.small({inputShape: [8, 8, 1], numClasses: 4, timeSteps: 5, seed: 3});
  model.layers
    .filter(l => l.getClassName() === 'SnnBntt')
    .forEach((layer, i) => {
      const [gamma, mean, variance] = layer.getWeights();
      const channels = gamma.shape[1]!;
      const rows = means[i].map(m => Array.from({length: channels}, (_, c) => m * (0.5 + c / (channels - 1))));
      layer.setWeights([
        tf.tensor2d(rows),
        tf.randomUniform(mean.shape, -0.3, 0.3, 'float32', 11 + i),
        tf.randomUniform(variance.shape, 0.5, 1.5, 'float32', 21 + i),
      ]);
    });
  return model;
}

/** The model run on the first `steps` steps of its encoder's output, layer by layer (the reference). */
function truncatedRun(model: tfl.LayersModel, x: tf.Tensor, steps: number): tf.Tensor {
  return tf.tidy(() => {
    let h = tf.slice(model.layers[0].apply(x) as tf.Tensor, [0, 0], [-1, steps]);
    for (const layer of model.layers.slice(1)) h = layer.apply(h, {training: false}) as tf.Tensor;
    return h;
  });
}

/** The kernels of one call, by name. */
async function kernelsOf(run: () => tf.Tensor): Promise<Array<{name: string; inputShapes: number[][]}>> {
  return (await tf.profile(() => tf.tidy(run))).kernels;
}

describe('layers.earlyExitWrapper, gamma policy', () => {
  // Mean scales per BNTT layer and step: every layer is below 0.1 from step 5 on, not all from step 4.
  const means = [
    [1, 1, 0.05, 0.05, 0.05],
    [1, 1, 1, 0.05, 0.05],
    [1, 0.9, 1, 1, 0.01],
  ];
  const x = tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 5);
  afterAll(() => x.dispose());

  it('reads the exit step off the BNTT scales', () => {
    const model = smallWithGammas(means);
    expect(layers.earlyExitWrapper({layer: model}).exitStep()).toBe(4);
    expect(layers.earlyExitWrapper({layer: model, gammaThreshold: 0.01}).exitStep()).toBe(5); // 0.01 is not < 0.01
    expect(layers.earlyExitWrapper({layer: model, gammaThreshold: 1.5}).exitStep()).toBe(1); // at least one step
    expect(
      layers
        .earlyExitWrapper({
          layer: smallWithGammas([
            [1, 1, 0, 0, 0],
            [1, 0, 0, 0, 0],
            [1, 1, 1, 0, 0],
          ]),
        })
        .exitStep()
    ).toBe(3);
  });

  it('computes what the model computes on the first exitStep() steps, and really runs only those', async () => {
    const model = smallWithGammas(means);
    const wrapper = layers.earlyExitWrapper({layer: model});
    const fast = tfl.sequential({layers: [wrapper]});
    const expected = truncatedRun(model, x, 4);
    const actual = fast.predict(x) as tf.Tensor;
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
    expect(wrapper.lastExitSteps).toEqual([4, 4, 4, 4, 4, 4]);
    // Every LIF kernel call sees 4 steps (axis 1), not the model's 5.
    const lifCalls = (await kernelsOf(() => fast.predict(x) as tf.Tensor)).filter(k => k.name === 'SnnLif');
    expect(lifCalls.map(k => k.inputShapes[0]![1])).toEqual([4, 4, 4]);
    tf.dispose([expected, actual]);
  });

  it('round-trips through save and load: same config, same exit step, same logits', async () => {
    const model = smallWithGammas(means);
    const fast = tfl.sequential({layers: [layers.earlyExitWrapper({layer: model, gammaThreshold: 0.2})]});
    let artifacts: tf.io.ModelArtifacts | undefined;
    await fast.save(
      tf.io.withSaveHandler(async a => {
        artifacts = a;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      })
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const wrapper = loaded.layers[0] as unknown as InstanceType<typeof layers.EarlyExitWrapper>;
    expect(wrapper.getClassName()).toBe('SnnEarlyExitWrapper');
    expect([wrapper.policy, wrapper.gammaThreshold, wrapper.exitStep()]).toEqual(['gamma', 0.2, 4]);
    const [before, after] = [fast.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    tf.dispose([before, after]);
    loaded.dispose();
  });

  it('keeps tf.memory().numTensors flat', () => {
    const fast = tfl.sequential({layers: [layers.earlyExitWrapper({layer: smallWithGammas(means)})]});
    tf.dispose(fast.predict(x) as tf.Tensor);
    const before = tf.memory().numTensors;
    tf.dispose(fast.predict(x) as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('layers.earlyExitWrapper, confidence policy', () => {
  // Running logits: example 0 [1, 0], [1, 0.8], [1, 1.07] (softmax margins 0.46, 0.10, 0.03);
  // example 1 [1, 1.6] at every step (margin 0.29).
  it('exits each input after `patience` confident steps, with its running logits at that step', () => {
    const wrapper = layers.earlyExitWrapper({
      layer: handNetwork(),
      policy: 'confidence',
      confidenceThreshold: 0.25,
      patience: 2,
    });
    const x = handImages();
    const logits = wrapper.apply(x) as tf.Tensor;
    expect(wrapper.lastExitSteps).toEqual([3, 2]); // example 0 is never confident twice in a row: all T steps
    const values = logits.dataSync();
    [1, 3.2 / 3, 1, 1.6].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 5));
    const patient = layers.earlyExitWrapper({
      layer: handNetwork(),
      policy: 'confidence',
      confidenceThreshold: 0.25,
      patience: 1,
    });
    tf.dispose(patient.apply(x) as tf.Tensor);
    expect(patient.lastExitSteps).toEqual([1, 1]);
    tf.dispose([x, logits]);
  });

  it("predictWithExits gives every input's exit step and logits across batches", () => {
    const wrapper = layers.earlyExitWrapper({layer: handNetwork(), policy: 'confidence', confidenceThreshold: 0.25});
    const x = tf.tensor2d([
      [0.6, 1.5, 0, 1.0],
      [1.5, 1.5, 1.5, 1.5],
      [1.5, 1.5, 1.5, 1.5],
    ]);
    const before = tf.memory().numTensors;
    const {logits, exitSteps} = wrapper.predictWithExits(x, {batchSize: 2});
    expect(exitSteps).toEqual([3, 2, 2]);
    expect(logits.shape).toEqual([3, 2]);
    expect(logits.dataSync()[5]).toBeCloseTo(1.6, 5);
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('stops the run once every input has exited', async () => {
    const wrapper = layers.earlyExitWrapper({layer: handNetwork(), policy: 'confidence', confidenceThreshold: 0.25});
    const x = tf.tensor2d([[1.5, 1.5, 1.5, 1.5]]);
    const lifSteps = async () =>
      (await kernelsOf(() => wrapper.apply(x) as tf.Tensor))
        .filter(k => k.name === 'SnnLif')
        .map(k => k.inputShapes[0]![1]);
    expect(await lifSteps()).toEqual([1, 1]); // two one-step calls of the one LIF layer, not three
    expect(wrapper.lastExitSteps).toEqual([2]);
    const before = tf.memory().numTensors;
    tf.dispose(wrapper.apply(x) as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('equals the full model when no input is ever confident', () => {
    const model = smallWithGammas([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1],
    ]);
    const wrapper = layers.earlyExitWrapper({layer: model, policy: 'confidence', confidenceThreshold: 1});
    const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 8);
    const [full, wrapped] = [model.predict(x) as tf.Tensor, wrapper.apply(x) as tf.Tensor];
    expect(wrapper.lastExitSteps).toEqual([5, 5, 5]);
    const diff = tf.max(tf.abs(tf.sub(full, wrapped))).dataSync()[0];
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([x, full, wrapped]);
  });
});

describe('layers.earlyExitWrapper: bad arguments', () => {
  const model = handNetwork();
  const cases: Array<[string, () => unknown, string | RegExp]> = [
    [
      'no model',
      () => layers.earlyExitWrapper({} as never),
      "earlyExitWrapper: argument 'layer' must be a trained spiking tf.LayersModel (e.g. from snn.models.small); got undefined",
    ],
    [
      'a model without encoder and timeAverage',
      () => layers.earlyExitWrapper({layer: tfl.sequential({layers: [layers.lif({inputShape: [2, 3]})]})}),
      /earlyExitWrapper: argument 'layer' must be a spiking model ending with timeAverage \(the readout\), from an encoder .* or taking spike trains \[batch, T, \.\.\.\]; its layers run from 'SnnLif' to 'SnnLif'/,
    ],
    [
      'an unknown policy',
      () => layers.earlyExitWrapper({layer: model, policy: 'fast' as never}),
      "earlyExitWrapper: argument 'policy' must be one of 'gamma', 'confidence'; got 'fast'",
    ],
    [
      'a margin above 1',
      () => layers.earlyExitWrapper({layer: model, confidenceThreshold: 2}),
      "earlyExitWrapper: argument 'confidenceThreshold' must be a number in [0, 1]; got 2",
    ],
    [
      'a zero patience',
      () => layers.earlyExitWrapper({layer: model, patience: 0}),
      "earlyExitWrapper: argument 'patience' must be an integer >= 1; got 0",
    ],
    [
      'a misspelt argument',
      () => layers.earlyExitWrapper({layer: model, threshold: 0.1} as never),
      /earlyExitWrapper: unknown argument 'threshold'/,
    ],
  ];
  for (const [what, run, message] of cases) it(`rejects ${what}`, () => expect(run).toThrowError(message as string));
});

describe('layers.earlyExitWrapper.predictWithExits: bad input', () => {
  const wrapper = layers.earlyExitWrapper({layer: handNetwork(), policy: 'confidence'});
  const expected = "must be a float32 tensor of shape [batch, 4] (the wrapped model's input, batch >= 1)";
  const cases: Array<[string, () => unknown, string]> = [
    ['null', () => null, `got null`],
    ['undefined', () => undefined, `got undefined`],
    ['an array', () => [[1, 2, 3, 4]], `got [[1,2,3,4]]`],
    ['an empty batch', () => tf.zeros([0, 4]), 'got a float32 tensor of shape [0,4]'],
    ['a wrong feature size', () => tf.zeros([2, 5]), 'got a float32 tensor of shape [2,5]'],
    ['a wrong rank', () => tf.zeros([2, 4, 1]), 'got a float32 tensor of shape [2,4,1]'],
    ['a rank-1 tensor', () => tf.zeros([4]), 'got a float32 tensor of shape [4]'],
    ['an int32 tensor', () => tf.zeros([2, 4], 'int32'), 'got an int32 tensor of shape [2,4]'],
  ];
  for (const policy of ['gamma', 'confidence'] as const) {
    const wrapped = policy === 'gamma' ? layers.earlyExitWrapper({layer: handNetwork()}) : wrapper;
    for (const [what, make, got] of cases) {
      it(`rejects ${what} with a clear error and no leaked tensor (${policy})`, () => {
        const before = tf.memory().numTensors;
        const x = make();
        for (let i = 0; i < 3; i++) {
          expect(() => wrapped.predictWithExits(x as tf.Tensor)).toThrowError(
            `earlyExitWrapper.predictWithExits: argument 'x' ${expected}; ${got}`
          );
        }
        if (x instanceof tf.Tensor) x.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
  const small = models.small({inputShape: [8, 8, 1], numClasses: 4, timeSteps: 3, seed: 3});
  for (const policy of ['gamma', 'confidence'] as const) {
    for (const shape of [
      [2, 4, 4, 1],
      [2, 9, 9, 1],
      [40, 8, 8, 2],
    ]) {
      it(`rejects images of shape [${shape}] for a model of input [8, 8, 1] before running it (${policy})`, () => {
        const wrapped = layers.earlyExitWrapper({layer: small, policy});
        const x = tf.zeros(shape);
        const before = tf.memory().numTensors;
        expect(() => wrapped.predictWithExits(x)).toThrowError(
          "earlyExitWrapper.predictWithExits: argument 'x' must be a float32 tensor of shape [batch, 8, 8, 1] " +
            `(the wrapped model's input, batch >= 1); got a float32 tensor of shape [${shape}]`
        );
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
      });
    }
  }
  it('rejects a bad batchSize naming the method', () => {
    const x = handImages();
    expect(() => wrapper.predictWithExits(x, {batchSize: 0})).toThrowError(
      "earlyExitWrapper.predictWithExits: option 'batchSize' must be an integer >= 1; got 0"
    );
    x.dispose();
  });
});
