import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {cosineDecay, CosineDecayArgs} from '../../src/callbacks/index';

// One dense unit, one sample: one optimizer step per epoch.
function tinyModel(optimizer: tf.Optimizer): tfl.Sequential {
  const model = tfl.sequential({layers: [tfl.layers.dense({units: 1, useBias: false, inputShape: [3]})]});
  model.compile({optimizer, loss: 'meanSquaredError'});
  return model;
}

/** Fits and returns the `lr` logs and the optimizer's own rate seen by a callback after the schedule. */
async function fitRates(
  model: tfl.Sequential,
  schedule: tfl.Callback,
  fitArgs: tfl.ModelFitArgs
): Promise<{logged: number[]; seen: number[]}> {
  const seen: number[] = [];
  const reader = new tfl.CustomCallback({
    onEpochBegin: async () => {
      seen.push((model.optimizer as unknown as {learningRate: number}).learningRate);
    },
  });
  const [x, y] = [tf.tensor2d([[0.5, -1, 2]]), tf.tensor2d([[1.5]])];
  const history = await model.fit(x, y, {verbose: 0, ...fitArgs, callbacks: [schedule, reader]});
  tf.dispose([x, y]);
  return {logged: history.history.lr as number[], seen};
}

/** float64: lr0 · (1 + cos(π e / E)) / 2 from minRate up, written out independently of the code under test. */
function cosineRate(lr0: number, epoch: number, epochs: number, minRate = 0): number {
  const half = (1 + Math.cos((Math.PI * epoch) / epochs)) / 2;
  return minRate + (lr0 - minRate) * half;
}

describe('callbacks.cosineDecay', () => {
  const optimizers: Array<[string, () => tf.Optimizer]> = [
    ['Adam', () => tf.train.adam(0.002)],
    ['Momentum', () => tf.train.momentum(0.002, 0.9)],
  ];
  for (const [name, make] of optimizers) {
    it(`sets and logs lr0·(1 + cos(π·e/E))/2 at every epoch (${name})`, async () => {
      const model = tinyModel(make());
      const {logged, seen} = await fitRates(model, cosineDecay({epochs: 4}), {epochs: 4});
      const expected = [0, 1, 2, 3].map(e => cosineRate(0.002, e, 4));
      logged.forEach((rate, e) => expect(rate).toBeCloseTo(expected[e], 15));
      seen.forEach((rate, e) => expect(rate).toBeCloseTo(expected[e], 15));
      expect(expected.map(r => +r.toPrecision(3))).toEqual([0.002, 0.00171, 0.001, 0.000293]);
      model.dispose();
    });
  }

  it('falls towards minRate and starts from initialRate when given', async () => {
    const model = tinyModel(tf.train.adam(0.5));
    const {logged} = await fitRates(model, cosineDecay({epochs: 3, initialRate: 0.1, minRate: 0.01}), {epochs: 3});
    [0, 1, 2].forEach(e => expect(logged[e]).toBeCloseTo(cosineRate(0.1, e, 3, 0.01), 15));
    model.dispose();
  });

  it('continues the same curve in a fit resumed with initialEpoch (new callback)', async () => {
    const model = tinyModel(tf.train.sgd(0.03));
    const part1 = await fitRates(model, cosineDecay({epochs: 5}), {epochs: 2});
    const part2 = await fitRates(model, cosineDecay({epochs: 5}), {initialEpoch: 2, epochs: 5});
    [...part1.logged, ...part2.logged].forEach((rate, e) => expect(rate).toBeCloseTo(cosineRate(0.03, e, 5), 15));
    model.dispose();
  });

  it('leaves numTensors flat across a fit', async () => {
    const model = tinyModel(tf.train.momentum(0.1, 0.9));
    await fitRates(model, cosineDecay({epochs: 3}), {epochs: 3});
    const before = tf.memory().numTensors;
    await fitRates(model, cosineDecay({epochs: 3}), {epochs: 3});
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['no object', undefined, /cosineDecay: expects an object like \{epochs: 30\}; got undefined/],
    ['epochs 0', {epochs: 0}, /cosineDecay: argument 'epochs' must be an integer >= 1; got 0/],
    ['a negative minRate', {epochs: 3, minRate: -1}, /argument 'minRate' must be a finite number >= 0; got -1/],
    [
      'minRate above initialRate',
      {epochs: 3, initialRate: 0.1, minRate: 0.2},
      /'minRate' must be a finite number >= 0 and < initialRate; got 0\.2/,
    ],
    ['initialRate 0', {epochs: 3, initialRate: 0}, /'initialRate' must be a finite number > 0; got 0/],
    [
      'an unknown argument',
      {epochs: 3, lr: 0.1},
      /unknown argument 'lr'; expected one of epochs, initialRate, minRate, verbose/,
    ],
  ];
  for (const [label, args, message] of cases) {
    it(`rejects ${label}`, () => expect(() => cosineDecay(args as CosineDecayArgs)).toThrowError(message));
  }
});
