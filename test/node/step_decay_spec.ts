import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {stepDecay, StepDecayArgs} from '../../src/callbacks/index';

// One dense unit without bias, one sample, mean squared error: one optimizer step per epoch
// with gradient dL/dw = 2 (w·x − y) x, which the float64 references below recompute.
const X = [0.5, -1.0, 2.0];
const Y = 1.5;
const W0 = [0.3, -0.2, 0.1];
const EPOCHS = 10;

function gradientAt(w: number[]): number[] {
  const error = w.reduce((sum, wi, i) => sum + wi * X[i], 0) - Y;
  return X.map(xi => 2 * error * xi);
}

function tinyModel(optimizer: tf.Optimizer): tfl.Sequential {
  const model = tfl.sequential({layers: [tfl.layers.dense({units: 1, useBias: false, inputShape: [X.length]})]});
  tf.tidy(() => model.setWeights([tf.tensor2d(W0, [X.length, 1])]));
  model.compile({optimizer, loss: 'meanSquaredError'});
  return model;
}

interface FitRecord {
  /** weights[e] is the kernel before epoch e; weights[EPOCHS] the kernel after the last epoch. */
  weights: number[][];
  lr: number[];
}

async function fitRecording(
  model: tfl.Sequential,
  callbacks: tfl.Callback[],
  fitArgs: tfl.ModelFitArgs = {epochs: EPOCHS}
): Promise<FitRecord> {
  const kernel = () => Array.from(model.getWeights()[0].dataSync());
  const weights = [kernel()];
  const recorder = new tfl.CustomCallback({
    onEpochEnd: async () => {
      weights.push(kernel());
    },
  });
  const [x, y] = [tf.tensor2d(X, [1, X.length]), tf.tensor2d([Y], [1, 1])];
  const history = await model.fit(x, y, {verbose: 0, ...fitArgs, callbacks: [...callbacks, recorder]});
  tf.dispose([x, y]);
  return {weights, lr: (history.history.lr ?? []) as number[]};
}

/** The rate the BNTT schedule gives epoch e with milestones at epochs 5, 7, 9 (of 10). */
function expectedRate(lr0: number, epoch: number, milestoneEpochs = [5, 7, 9]): number {
  return milestoneEpochs.reduce((rate, m) => (m <= epoch ? rate / 10 : rate), lr0);
}

// ---------------------------------------------------------------------------------------------
// float64 re-implementations of tfjs-core 4.22's update rules, driven by an explicit rate per step

type Step = (w: number[], g: number[], lr: number) => void;
const CPU_EPSILON = 1e-7; // ENGINE.backend.epsilon() on cpu, the default epsilon of every optimizer

function perCoordinate(update: (i: number, g: number, lr: number) => number): Step {
  return (w, g, lr) =>
    g.forEach((gi, i) => {
      w[i] += update(i, gi, lr);
    });
}

function sgdRule(): Step {
  return perCoordinate((_, g, lr) => -lr * g);
}

function momentumRule(momentum: number): Step {
  const acc = [0, 0, 0];
  return perCoordinate((i, g, lr) => -lr * (acc[i] = momentum * acc[i] + g));
}

function adamRule(b1 = 0.9, b2 = 0.999): Step {
  const [m, v] = [
    [0, 0, 0],
    [0, 0, 0],
  ];
  let [accB1, accB2] = [b1, b2];
  return (w, g, lr) => {
    g.forEach((gi, i) => {
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      w[i] += (-lr * (m[i] / (1 - accB1))) / (Math.sqrt(v[i] / (1 - accB2)) + CPU_EPSILON);
    });
    [accB1, accB2] = [accB1 * b1, accB2 * b2];
  };
}

function adamaxRule(b1 = 0.9, b2 = 0.999): Step {
  const [m, u] = [
    [0, 0, 0],
    [0, 0, 0],
  ];
  let accB1 = b1;
  return (w, g, lr) => {
    g.forEach((gi, i) => {
      m[i] = b1 * m[i] + (1 - b1) * gi;
      u[i] = Math.max(b2 * u[i], Math.abs(gi));
      w[i] += (-lr / (1 - accB1)) * (m[i] / (u[i] + CPU_EPSILON)); // decay 0
    });
    accB1 *= b1;
  };
}

function rmspropRule(decay: number, momentum: number): Step {
  const [ms, mom] = [
    [0, 0, 0],
    [0, 0, 0],
  ];
  return perCoordinate((i, g, lr) => {
    ms[i] = decay * ms[i] + (1 - decay) * g * g;
    mom[i] = momentum * mom[i] + (lr * g) / Math.sqrt(ms[i] + CPU_EPSILON);
    return -mom[i];
  });
}

function adagradRule(initialAccumulator = 0.1): Step {
  const acc = [initialAccumulator, initialAccumulator, initialAccumulator];
  return perCoordinate((i, g, lr) => (-lr * g) / Math.sqrt((acc[i] += g * g) + CPU_EPSILON));
}

function adadeltaRule(rho: number, epsilon: number): Step {
  const [accGrad, accUpdate] = [
    [0, 0, 0],
    [0, 0, 0],
  ];
  return perCoordinate((i, g, lr) => {
    // tfjs-core divides by the accumulated squared gradient from *before* this step.
    const update = (Math.sqrt(accUpdate[i] + epsilon) / Math.sqrt(accGrad[i] + epsilon)) * g;
    accGrad[i] = rho * accGrad[i] + (1 - rho) * g * g;
    accUpdate[i] = rho * accUpdate[i] + (1 - rho) * update * update;
    return -lr * update;
  });
}

interface OptimizerCase {
  name: string;
  lr0: number;
  make: (lr: number) => tf.Optimizer;
  rule: () => Step;
}

const OPTIMIZER_CASES: OptimizerCase[] = [
  {name: 'sgd', lr0: 0.02, make: lr => tf.train.sgd(lr), rule: sgdRule},
  {name: 'momentum', lr0: 0.01, make: lr => tf.train.momentum(lr, 0.5), rule: () => momentumRule(0.5)},
  {name: 'adam', lr0: 0.05, make: lr => tf.train.adam(lr), rule: () => adamRule()},
  {name: 'adamax', lr0: 0.05, make: lr => tf.train.adamax(lr), rule: () => adamaxRule()},
  {name: 'rmsprop', lr0: 0.01, make: lr => tf.train.rmsprop(lr, 0.9, 0.2), rule: () => rmspropRule(0.9, 0.2)},
  {name: 'adagrad', lr0: 0.05, make: lr => tf.train.adagrad(lr), rule: () => adagradRule()},
  {name: 'adadelta', lr0: 0.05, make: lr => tf.train.adadelta(lr, 0.5, 0.1), rule: () => adadeltaRule(0.5, 0.1)},
];

function referenceTrajectory(rule: Step, rates: number[]): number[][] {
  const w = [...W0];
  const trajectory = [[...w]];
  for (const rate of rates) {
    rule(w, gradientAt(w), rate);
    trajectory.push([...w]);
  }
  return trajectory;
}

// About 100 float32 ulps of weights near 1: steps are compared relative to |step| + STEP_FLOOR.
const STEP_FLOOR = 1e-5;

/** Largest per-epoch step mismatch, relative to the reference step plus STEP_FLOOR. */
function worstStepMismatch(actual: number[][], reference: number[][]): number {
  let worst = 0;
  for (let e = 0; e + 1 < reference.length; e++) {
    for (let i = 0; i < X.length; i++) {
      const actualStep = actual[e + 1][i] - actual[e][i];
      const referenceStep = reference[e + 1][i] - reference[e][i];
      worst = Math.max(worst, Math.abs(actualStep - referenceStep) / (Math.abs(referenceStep) + STEP_FLOOR));
    }
  }
  return worst;
}

function scheduleRates(lr0: number, milestoneEpochs: number[]): number[] {
  return Array.from({length: EPOCHS}, (_, e) => expectedRate(lr0, e, milestoneEpochs));
}

// ---------------------------------------------------------------------------------------------

describe('callbacks.stepDecay schedule', () => {
  it('for epochs=10 keeps lr0 on epochs 0-4, lr0/10 on 5-6, lr0/100 on 7-8, lr0/1000 on 9', async () => {
    const schedule = stepDecay({epochs: 10});
    expect(schedule.milestoneEpochs).toEqual([5, 7, 9]);
    const model = tinyModel(tf.train.sgd(0.1));
    const {lr} = await fitRecording(model, [schedule]);
    // Exact: with factor 0.1 each milestone divides by 10, as the reference's `lr /= 10` does.
    expect(lr).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001]);
    model.dispose();
  });

  it('collapses milestones for epochs 1-4 and divides once per milestone that lands on an epoch', () => {
    const multipliers = (epochs: number) => {
      const schedule = stepDecay({epochs});
      return Array.from({length: epochs}, (_, e) => schedule.rateAt(e));
    };
    expect(stepDecay({epochs: 1}).milestoneEpochs).toEqual([0, 0, 0]);
    expect(stepDecay({epochs: 2}).milestoneEpochs).toEqual([1, 1, 1]);
    expect(stepDecay({epochs: 3}).milestoneEpochs).toEqual([1, 2, 2]);
    expect(stepDecay({epochs: 4}).milestoneEpochs).toEqual([2, 2, 3]);
    expect(multipliers(1)).toEqual([1e-3]);
    expect(multipliers(2)).toEqual([1, 1e-3]);
    expect(multipliers(3)).toEqual([1, 0.1, 1e-3]);
    expect(multipliers(4)).toEqual([1, 1, 1e-2, 1e-3]);
  });

  it('epochs=1 trains its only epoch at lr0/1000 and epochs=3 at lr0, lr0/10, lr0/1000', async () => {
    const model = tinyModel(tf.train.sgd(1));
    const one = await fitRecording(model, [stepDecay({epochs: 1})], {epochs: 1});
    expect(one.lr).toEqual([1e-3]);
    const three = await fitRecording(model, [stepDecay({epochs: 3, initialRate: 1})], {epochs: 3});
    expect(three.lr).toEqual([1, 0.1, 1e-3]);
    model.dispose();
  });

  it('accepts custom milestones and factor', async () => {
    const schedule = stepDecay({epochs: 8, milestones: [0.25, 0.75], factor: 0.5});
    expect(schedule.milestoneEpochs).toEqual([2, 6]);
    const model = tinyModel(tf.train.adam(0.4));
    const {lr} = await fitRecording(model, [schedule], {epochs: 8});
    expect(lr).toEqual([0.4, 0.4, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1]);
    model.dispose();
  });

  it('with a milestone at fraction 1 never reaches it within the fit', () => {
    expect(stepDecay({epochs: 10, milestones: [0.5, 1]}).rateAt(9)).toBe(0.1);
  });

  it('logs each change with console.log when verbose, and nothing otherwise', async () => {
    const log = spyOn(console, 'log');
    const model = tinyModel(tf.train.sgd(0.1));
    await fitRecording(model, [stepDecay({epochs: 10})]);
    expect(log).not.toHaveBeenCalled();
    await fitRecording(model, [stepDecay({epochs: 10, initialRate: 0.1, verbose: true})]);
    const messages = log.calls.allArgs().map(args => String(args[0]));
    // The second fit starts from the rate the first one ended at (0.1/1000), so epoch 0 resets it.
    expect(messages.length).toBe(4);
    expect(messages[0]).toBe('stepDecay: epoch 0: learning rate 0.0001 -> 0.1');
    expect(messages[1]).toBe('stepDecay: epoch 5: learning rate 0.1 -> 0.01');
    expect(messages[3]).toMatch(/^stepDecay: epoch 9: /);
    model.dispose();
  });

  it("logs rates without float64 noise (1e-6, not 1.0000000000000002e-6) but applies the reference's lr /= 10", async () => {
    const log = spyOn(console, 'log');
    const optimizer = tf.train.adam(1e-3);
    const model = tinyModel(optimizer);
    const applied: number[] = [];
    const reader = new tfl.CustomCallback({
      onEpochBegin: async () => {
        applied.push((optimizer as unknown as {learningRate: number}).learningRate);
      },
    });
    const [x, y] = [tf.tensor2d(X, [1, X.length]), tf.tensor2d([Y], [1, 1])];
    const history = await model.fit(x, y, {
      epochs: 10,
      verbose: 0,
      callbacks: [stepDecay({epochs: 10, verbose: true}), reader],
    });
    tf.dispose([x, y]);
    expect(history.history.lr).toEqual([1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5, 1e-6]);
    expect(log.calls.allArgs().map(args => String(args[0]))).toEqual([
      'stepDecay: epoch 5: learning rate 0.001 -> 0.0001',
      'stepDecay: epoch 7: learning rate 0.0001 -> 0.00001',
      'stepDecay: epoch 9: learning rate 0.00001 -> 0.000001',
    ]);
    // The optimizer gets the rate of the reference's repeated `lr /= 10`, float64 rounding included.
    expect(applied[9]).toBe(1e-3 / 10 / 10 / 10);
    expect(applied[9]).not.toBe(1e-6);
    model.dispose();
  });

  it("reproduces the BNTT script's timing with the milestones docs/callbacks.md gives", () => {
    // train.py divides after training epoch e when e == epochs * f (a float comparison).
    const scriptRates = (epochs: number) => {
      const rates: number[] = [];
      let lr = 1;
      for (let e = 0; e < epochs; e++) {
        rates.push(lr);
        if ([0.5, 0.7, 0.9].some(f => e === epochs * f)) lr /= 10;
      }
      return rates;
    };
    for (const epochs of [1, 3, 4, 7, 10, 20, 25, 30, 100, 120]) {
      const scriptMilestones = [0.5, 0.7, 0.9]
        .filter(f => Number.isInteger(f * epochs))
        .map(f => (f * epochs + 1.5) / epochs)
        .filter(f => f <= 1);
      const schedule = stepDecay({epochs, milestones: scriptMilestones});
      expect(Array.from({length: epochs}, (_, e) => schedule.rateAt(e))).toEqual(scriptRates(epochs));
    }
  });
});

describe('callbacks.stepDecay changes the rate each optimizer really uses', () => {
  for (const c of OPTIMIZER_CASES) {
    it(`for ${c.name}: weights follow a float64 run of its update rule with the scheduled rates`, async () => {
      const model = tinyModel(c.make(c.lr0));
      const {weights, lr} = await fitRecording(model, [stepDecay({epochs: EPOCHS})]);
      const rates = scheduleRates(c.lr0, [5, 7, 9]);
      expect(lr).toEqual(rates);
      const reference = referenceTrajectory(c.rule(), rates);
      weights.forEach((w, e) => w.forEach((wi, i) => expect(Math.abs(wi - reference[e][i])).toBeLessThan(1e-5)));
      // Each epoch's step matches to 5e-3 (float32 rounding); schedules off by one decay or by
      // one epoch miss by more than 0.5, so the check tells them apart.
      expect(worstStepMismatch(weights, reference)).toBeLessThan(5e-3);
      const constantRate = referenceTrajectory(c.rule(), scheduleRates(c.lr0, []));
      const decayOneEpochLate = referenceTrajectory(c.rule(), scheduleRates(c.lr0, [6, 8, 10]));
      const oneDecayMissing = referenceTrajectory(c.rule(), scheduleRates(c.lr0, [5, 7]));
      for (const wrong of [constantRate, decayOneEpochLate, oneDecayMissing]) {
        expect(worstStepMismatch(weights, wrong)).toBeGreaterThan(0.5);
      }
      model.dispose();
    });
  }

  it('for sgd: every epoch moves the weights by exactly −lr·grad (grad from float64, per epoch)', async () => {
    const model = tinyModel(tf.train.sgd(0.02));
    const {weights, lr} = await fitRecording(model, [stepDecay({epochs: EPOCHS})]);
    for (let e = 0; e < EPOCHS; e++) {
      const expectedSteps = gradientAt(weights[e]).map(g => -expectedRate(0.02, e) * g);
      expect(lr[e]).toBe(expectedRate(0.02, e));
      expectedSteps.forEach((step, i) => {
        const actualStep = weights[e + 1][i] - weights[e][i];
        // float32: the product rounds to 2^-24 relative; the sum to half an ulp of |w| < 1.
        expect(Math.abs(actualStep - step)).toBeLessThanOrEqual(Math.abs(step) * 2e-7 + 2 ** -25);
      });
    }
    model.dispose();
  });

  it('throws, naming the class, for an optimizer whose rate it cannot set', async () => {
    class FixedRateOptimizer extends tf.Optimizer {
      static get className() {
        return 'FixedRateOptimizer';
      }
      applyGradients(): void {}
      getConfig() {
        return {};
      }
    }
    const model = tinyModel(new FixedRateOptimizer());
    await expectAsync(fitRecording(model, [stepDecay({epochs: 2})], {epochs: 2})).toBeRejectedWithError(
      /class FixedRateOptimizer.*numeric `learningRate` field.*setLearningRate/
    );
    model.dispose();
  });
});

describe('callbacks.stepDecay resumed with initialEpoch', () => {
  for (const sameInstance of [true, false]) {
    it(`gives the rate of the epoch index and the weights of an uninterrupted fit (${
      sameInstance ? 'same callback' : 'new callback'
    })`, async () => {
      const uninterrupted = tinyModel(tf.train.momentum(0.01, 0.5));
      const whole = await fitRecording(uninterrupted, [stepDecay({epochs: EPOCHS})]);
      const resumed = tinyModel(tf.train.momentum(0.01, 0.5));
      const first = stepDecay({epochs: EPOCHS});
      const part1 = await fitRecording(resumed, [first], {epochs: 6});
      const second = sameInstance ? first : stepDecay({epochs: EPOCHS});
      const part2 = await fitRecording(resumed, [second], {initialEpoch: 6, epochs: EPOCHS});
      expect([...part1.lr, ...part2.lr]).toEqual(whole.lr);
      expect(part2.weights[part2.weights.length - 1]).toEqual(whole.weights[EPOCHS]);
      uninterrupted.dispose();
      resumed.dispose();
    });
  }

  it('uses initialRate, when given, whatever rate the optimizer has (e.g. a reloaded model)', async () => {
    const model = tinyModel(tf.train.adam(0.000123));
    const {lr} = await fitRecording(model, [stepDecay({epochs: EPOCHS, initialRate: 0.1})], {
      initialEpoch: 6,
      epochs: EPOCHS,
    });
    expect(lr).toEqual([0.01, 0.001, 0.001, 0.0001]);
    model.dispose();
  });

  it('starts a new schedule from a rate the user set after an earlier schedule', async () => {
    const optimizer = tf.train.sgd(0.1);
    const model = tinyModel(optimizer);
    await fitRecording(model, [stepDecay({epochs: EPOCHS})]);
    optimizer.setLearningRate(0.5);
    const {lr} = await fitRecording(model, [stepDecay({epochs: EPOCHS})]);
    expect(lr[0]).toBe(0.5);
    expect(lr[9]).toBe(0.0005);
    model.dispose();
  });
});

describe('callbacks.stepDecay tensors', () => {
  // Named here, not by make().getClassName(): making optimizers while the spec file loads would allocate
  // tensors before any backend is set up.
  const optimizers: Array<[string, () => tf.Optimizer]> = [
    ['SGD', () => tf.train.sgd(0.1)],
    ['Momentum', () => tf.train.momentum(0.1, 0.9)],
    ['Adam', () => tf.train.adam(0.1)],
  ];
  for (const [name, make] of optimizers) {
    it(`leaves numTensors flat across a fit (${name})`, async () => {
      const model = tinyModel(make());
      await fitRecording(model, [stepDecay({epochs: EPOCHS})]); // creates the optimizer's state
      const before = tf.memory().numTensors;
      await fitRecording(model, [stepDecay({epochs: EPOCHS})]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }
});

describe('callbacks.stepDecay arguments', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['no object', undefined, /stepDecay: expects an object like \{epochs: 30\}; got undefined/],
    ['a number', 30, /expects an object.*got 30/],
    ['missing epochs', {}, /argument 'epochs' must be an integer >= 1; got undefined/],
    ['epochs 0', {epochs: 0}, /'epochs' must be an integer >= 1; got 0/],
    ['fractional epochs', {epochs: 2.5}, /'epochs' must be an integer >= 1; got 2\.5/],
    ['epochs as a string', {epochs: '30'}, /'epochs' must be an integer >= 1; got '30'/],
    ['milestones not an array', {epochs: 10, milestones: 0.5}, /'milestones' must be an array/],
    ['milestone 0', {epochs: 10, milestones: [0, 0.5]}, /'milestones'.*entry 0 is 0\)/],
    ['milestone above 1', {epochs: 10, milestones: [0.5, 1.5]}, /'milestones'.*\(0, 1\].*entry 1 is 1\.5/],
    ['decreasing milestones', {epochs: 10, milestones: [0.7, 0.5]}, /strictly increasing.*entry 1 is 0\.5/],
    ['repeated milestones', {epochs: 10, milestones: [0.5, 0.5]}, /strictly increasing.*entry 1 is 0\.5/],
    ['NaN milestone', {epochs: 10, milestones: [NaN]}, /'milestones'.*entry 0 is NaN/],
    ['factor 0', {epochs: 10, factor: 0}, /'factor' must be a number in \(0, 1\]; got 0$/],
    ['factor above 1', {epochs: 10, factor: 10}, /'factor' must be a number in \(0, 1\]; got 10/],
    ['initialRate 0', {epochs: 10, initialRate: 0}, /'initialRate' must be a finite number > 0; got 0/],
    ['initialRate Infinity', {epochs: 10, initialRate: Infinity}, /'initialRate'.*got Infinity/],
    ['verbose 1', {epochs: 10, verbose: 1}, /'verbose' must be a boolean; got 1/],
    [
      'unknown name',
      {epochs: 10, lr: 0.1},
      /unknown argument 'lr'; expected one of epochs, milestones, factor, initialRate, verbose/,
    ],
  ];
  for (const [label, args, message] of cases) {
    it(`rejects ${label}`, () => {
      expect(() => stepDecay(args as StepDecayArgs)).toThrowError(message);
    });
  }

  it('accepts an empty milestone list (constant rate)', () => {
    expect(stepDecay({epochs: 5, milestones: []}).rateAt(4)).toBe(1);
  });
});
