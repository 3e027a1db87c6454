import * as tf from '@tensorflow/tfjs-core';

import {layers, ops} from '../../src/index';
import {expectNaNIsolatedToItsNeuron} from '../shared/lif_nan_check';
import {
  BAD_SURROGATES,
  expectBadSurrogateRejected,
  expectFailingFusedGradientFreesTape,
} from '../shared/lif_surrogate_check';
import {makeInputs, randomArray, refBackward, refForward, relativeMaxError} from '../reference/lif_reference';

const IMPLEMENTATIONS = ['kernel', 'composite'] as const;

function currents(shape: number[], seed: number, lo = -0.3, hi = 0.9): tf.Tensor {
  return tf.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi
    ),
    shape
  );
}

describe('ops.lif defaults', () => {
  it('are leak 0.95, threshold 1, subtract reset, detached, triangle surrogate with alpha 0.3', async () => {
    const o = {
      leak: 0.95,
      threshold: 1,
      resetMode: 'subtract' as const,
      detachReset: true,
      surrogate: 'triangle' as const,
      alpha: 0.3,
    };
    const [B, T, N] = [3, 25, 7];
    const {currents: input} = makeInputs(o, B, T, N, 77);
    const x = tf.tensor(input, [B, T, N]);
    const w = tf.tensor(randomArray(B * T * N, 78), [B, T, N]);
    const fwd = refForward(o, input, new Float32Array(B * N), B, T, N);
    const ref = refBackward(o, fwd, w.dataSync(), new Float32Array(B * N), B, T, N);
    const spikes = ops.lif(x);
    const dx = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(ops.lif(xs), w)))(x);
    expect(Array.from(spikes.dataSync())).toEqual(Array.from(fwd.spikes));
    expect(relativeMaxError(dx.dataSync(), ref.dCurrents)).toBeLessThan(1e-4);
    expect(spikes.dtype).toBe('float32');
    expect(spikes.shape).toEqual([B, T, N]);
    tf.dispose([x, w, spikes, dx]);
  });

  // dS/dU of each built-in surrogate with the default alpha of docs/lif.md (from the papers/libraries it cites),
  // written out here in float64 with the number in it: x = U − threshold, threshold 1.
  const defaultSurrogates: Array<[ops.SurrogateName, (x: number) => number]> = [
    ['triangle', x => 0.3 * Math.max(0, 1 - Math.abs(x))], // BNTT LinearSpike, 0.3
    ['fastSigmoid', x => 1 / (1 + 25 * Math.abs(x)) ** 2], // SuperSpike / snnTorch, 25
    ['sigmoid', x => (4 / (1 + Math.exp(-4 * x))) * (1 - 1 / (1 + Math.exp(-4 * x)))], // SpikingJelly, 4
    ['arctan', x => 1 / (1 + (Math.PI * x) ** 2)], // SpikingJelly / snnTorch, 2
  ];
  // One step from V_0 = 0: U = I, so d(Σ S)/dI is the surrogate at each current.
  const grid = Array.from({length: 41}, (_, i) => -0.5 + i * 0.0751);
  const stepCurrents = () => tf.tensor(grid, [1, 1, grid.length]);
  for (const [surrogate, expected] of defaultSurrogates) {
    for (const implementation of IMPLEMENTATIONS) {
      it(`${surrogate} without alpha uses its documented default alpha (${implementation})`, () => {
        const x = stepCurrents();
        const dx = tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs, {surrogate, implementation})))(x);
        expect(
          relativeMaxError(
            dx.dataSync(),
            grid.map(i => expected(i - 1))
          )
        ).toBeLessThan(1e-5);
        tf.dispose([x, dx]);
      });
    }
    it(`${surrogate} without alpha uses its documented default alpha (layers.lif)`, () => {
      const layer = layers.lif({surrogate});
      const x = stepCurrents();
      const dx = tf.grad((xs: tf.Tensor) => tf.sum(layer.apply(xs) as tf.Tensor))(x);
      expect(
        relativeMaxError(
          dx.dataSync(),
          grid.map(i => expected(i - 1))
        )
      ).toBeLessThan(1e-5);
      tf.dispose([x, dx]);
      layer.dispose();
    });
  }
});

describe('ops.lif kernel and composite', () => {
  it('produce identical spikes and membranes on unconstrained random input', () => {
    for (const resetMode of ['subtract', 'zero', 'none'] as const) {
      const x = currents([4, 30, 6, 5], 5);
      const a = ops.lifWithState(x, {resetMode, implementation: 'kernel', leak: 0.8});
      const b = ops.lifWithState(x, {resetMode, implementation: 'composite', leak: 0.8});
      expect(Array.from(a.spikes.dataSync())).toEqual(Array.from(b.spikes.dataSync()));
      expect(Array.from(a.membrane.dataSync())).toEqual(Array.from(b.membrane.dataSync()));
      tf.dispose([x, a.spikes, a.membrane, b.spikes, b.membrane]);
    }
  });

  it('work under tf.variableGrads', () => {
    for (const implementation of IMPLEMENTATIONS) {
      const v = tf.variable(currents([2, 8, 3], 9));
      const w = currents([2, 8, 3], 10, -1, 1);
      const {value, grads} = tf.variableGrads(() => tf.sum(tf.mul(ops.lif(v, {implementation}), w)) as tf.Scalar, [v]);
      expect(grads[v.name].shape).toEqual([2, 8, 3]);
      expect(tf.max(tf.abs(grads[v.name])).dataSync()[0]).toBeGreaterThan(0);
      tf.dispose([v, w, value, grads[v.name]]);
    }
  });
});

describe('ops.lifWithState streaming', () => {
  for (const implementation of IMPLEMENTATIONS) {
    for (const resetMode of ['subtract', 'zero', 'none'] as const) {
      it(`chunked equals one long call (${implementation}, ${resetMode})`, () => {
        const x = currents([3, 40, 4, 2], 11);
        const options = {implementation, resetMode, leak: 0.9};
        const whole = ops.lifWithState(x, options);
        const chunks = tf.split(x, [7, 1, 20, 12], 1);
        let membrane: tf.Tensor | undefined;
        const spikes: tf.Tensor[] = [];
        for (const chunk of chunks) {
          const out = ops.lifWithState(chunk, {...options, initialMembrane: membrane});
          membrane?.dispose();
          membrane = out.membrane;
          spikes.push(out.spikes);
        }
        const joined = tf.concat(spikes, 1);
        expect(Array.from(joined.dataSync())).toEqual(Array.from(whole.spikes.dataSync()));
        expect(Array.from(membrane!.dataSync())).toEqual(Array.from(whole.membrane.dataSync()));
        tf.dispose([x, whole.spikes, whole.membrane, ...chunks, ...spikes, membrane!, joined]);
      });

      it(`chunked gradient equals the one-call gradient (${implementation}, ${resetMode})`, () => {
        const x = currents([2, 30, 5], 12);
        const w = currents([2, 30, 5], 13, -1, 1);
        const options = {implementation, resetMode, leak: 0.9, detachReset: false};
        const loss = (chunked: boolean) => (xs: tf.Tensor) => {
          if (!chunked) return tf.sum(tf.mul(ops.lif(xs, options), w));
          const [a, b] = tf.split(xs, [13, 17], 1);
          const first = ops.lifWithState(a, options);
          const second = ops.lif(b, {...options, initialMembrane: first.membrane});
          return tf.sum(tf.mul(tf.concat([first.spikes, second], 1), w));
        };
        const full = tf.grad(loss(false))(x);
        const chunked = tf.grad(loss(true))(x);
        expect(relativeMaxError(chunked.dataSync(), full.dataSync())).toBeLessThan(1e-6);
        tf.dispose([x, w, full, chunked]);
      });
    }
  }
});

describe('ops.lif memory', () => {
  for (const implementation of IMPLEMENTATIONS) {
    it(`keeps tf.memory().numTensors flat over forward+backward (${implementation})`, () => {
      const x = currents([2, 10, 3, 3], 14);
      const v0 = currents([2, 3, 3], 15);
      const step = () => {
        const out = ops.lifWithState(x, {implementation, initialMembrane: v0});
        const [dx, dv] = tf.grads((xs: tf.Tensor, vs: tf.Tensor) => {
          const o = ops.lifWithState(xs, {implementation, initialMembrane: vs});
          return tf.add(tf.sum(o.spikes), tf.sum(o.membrane));
        })([x, v0]);
        tf.dispose([out.spikes, out.membrane, dx, dv, ops.lif(x, {implementation})]);
      };
      step(); // warm up any lazily created state
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, v0]);
    });
  }
});

describe('ops.lif custom surrogate', () => {
  it('runs a user function on the composite path and matches the equivalent built-in', () => {
    const x = currents([2, 12, 4], 16);
    const w = currents([2, 12, 4], 17, -1, 1);
    const triangle = (u: tf.Tensor, threshold: number) =>
      tf.mul(0.3 / threshold, tf.relu(tf.sub(1, tf.abs(tf.sub(tf.div(u, threshold), 1)))));
    const grad = (surrogate: 'triangle' | typeof triangle) =>
      tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(ops.lif(xs, {surrogate}), w)))(x);
    const custom = grad(triangle);
    const builtIn = grad('triangle');
    expect(relativeMaxError(custom.dataSync(), builtIn.dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, w, custom, builtIn]);
  });

  it('rejects implementation "kernel" with a function surrogate', () => {
    const x = currents([1, 2, 2], 18);
    expect(() => ops.lif(x, {surrogate: (u: tf.Tensor) => tf.onesLike(u), implementation: 'kernel'})).toThrowError(
      /option 'implementation' must be 'auto' or 'composite' when 'surrogate' is a function/
    );
    x.dispose();
  });
});

describe('ops.lif custom surrogate: bad surrogates', () => {
  for (const implementation of ['auto', 'composite'] as const) {
    for (const [what, surrogate, message] of BAD_SURROGATES) {
      it(`rejects ${what} naming the surrogate, and leaks nothing (${implementation})`, () =>
        expectBadSurrogateRejected(implementation, surrogate, message));
    }
  }

  it('a failing fused backward kernel (cpu) leaks nothing either', () => expectFailingFusedGradientFreesTape('cpu'));
});

describe('ops.lif with NaN input', () => {
  for (const implementation of IMPLEMENTATIONS) {
    it(`isolates NaN to its neuron: no spikes from that step, NaN membrane and gradient (${implementation})`, () =>
      expectNaNIsolatedToItsNeuron(implementation));
  }
});

describe('ops.lif bad input', () => {
  const x = () => tf.zeros([2, 3, 4]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'rank 2',
      () => ops.lif(tf.zeros([2, 3])),
      /argument 'currents' must have rank 3 to 6 \(\[batch, time, \.\.\.features\]\); got rank 2 \(shape \[2,3\]\)/,
    ],
    ['rank 7', () => ops.lif(tf.zeros([1, 1, 1, 1, 1, 1, 1])), /must have rank 3 to 6.*got rank 7/],
    ['int32 dtype', () => ops.lif(tf.zeros([2, 3, 4], 'int32')), /argument 'currents' must be float32; got int32/],
    ['not a tensor', () => ops.lif([[[1]]] as never), /argument 'currents' must be a tf.Tensor.*got \[\[\[1\]\]\]/],
    ['empty', () => ops.lif(tf.zeros([2, 0, 4])), /must not be empty.*got shape \[2,0,4\]/],
    [
      'threshold 0',
      () => ops.lif(x(), {threshold: 0}),
      /option 'threshold' must be a finite number > 0 or a float32 tensor; got 0/,
    ],
    [
      'threshold -1',
      () => ops.lif(x(), {threshold: -1}),
      /option 'threshold' must be a finite number > 0 or a float32 tensor; got -1/,
    ],
    [
      'threshold NaN',
      () => ops.lif(x(), {threshold: NaN}),
      /option 'threshold' must be a finite number > 0 or a float32 tensor; got NaN/,
    ],
    [
      'leak 1.5',
      () => ops.lif(x(), {leak: 1.5}),
      /option 'leak' must be a number in \[0, 1\] or a float32 tensor; got 1.5/,
    ],
    [
      'leak -0.1',
      () => ops.lif(x(), {leak: -0.1}),
      /option 'leak' must be a number in \[0, 1\] or a float32 tensor; got -0.1/,
    ],
    [
      'leak string',
      () => ops.lif(x(), {leak: '0.9' as never}),
      /option 'leak' must be a number in \[0, 1\] or a float32 tensor; got '0.9'/,
    ],
    [
      'unknown surrogate',
      () => ops.lif(x(), {surrogate: 'relu' as never}),
      /option 'surrogate' must be one of 'triangle', 'fastSigmoid', 'sigmoid', 'arctan'; got 'relu'/,
    ],
    [
      'unknown reset',
      () => ops.lif(x(), {resetMode: 'soft' as never}),
      /option 'resetMode' must be one of 'subtract', 'zero', 'none'; got 'soft'/,
    ],
    ['alpha 0', () => ops.lif(x(), {alpha: 0}), /option 'alpha' must be a finite number > 0; got 0/],
    [
      'detachReset string',
      () => ops.lif(x(), {detachReset: 'yes' as never}),
      /option 'detachReset' must be a boolean; got 'yes'/,
    ],
    [
      'unknown implementation',
      () => ops.lif(x(), {implementation: 'gpu' as never}),
      /option 'implementation' must be one of 'auto', 'kernel', 'composite'; got 'gpu'/,
    ],
    ['misspelled option', () => ops.lif(x(), {treshold: 1} as never), /unknown option 'treshold'/],
    [
      'wrong initialMembrane shape',
      () => ops.lifWithState(x(), {initialMembrane: tf.zeros([2, 3])}),
      /option 'initialMembrane' must be a float32 tensor of shape \[2,4\].*got a float32 tensor of shape \[2,3\]/,
    ],
    [
      'an int32 leak tensor',
      () => ops.lif(x(), {leak: tf.ones([4], 'int32')}),
      /lif: option 'leak' must be a number in \[0, 1\] or a float32 tensor; got an int32 tensor of shape \[4\]/,
    ],
    [
      'a leak tensor not broadcasting to the features',
      () => ops.lif(x(), {leak: tf.ones([3])}),
      /lif: option 'leak' must be a tensor broadcasting to the features shape \[4\] .*; got a float32 tensor of shape \[3\]/,
    ],
    [
      'a threshold tensor of too high a rank',
      () => ops.lifWithState(x(), {threshold: tf.ones([2, 4])}),
      /lifWithState: option 'threshold' must be a tensor broadcasting to the features shape \[4\].*got a float32 tensor of shape \[2,4\]/,
    ],
    ['vReset NaN', () => ops.lif(x(), {vReset: NaN}), /lif: option 'vReset' must be a finite number; got NaN/],
    [
      'vReset string',
      () => ops.lif(x(), {vReset: '0' as never}),
      /lif: option 'vReset' must be a finite number; got '0'/,
    ],
    [
      'a leak given to ifNeuron',
      () => ops.ifNeuron(x(), {leak: 0.9} as never),
      /ifNeuron: unknown option 'leak'; expected one of threshold, vReset, resetMode/,
    ],
    [
      'a threshold 0 given to ifNeuronWithState',
      () => ops.ifNeuronWithState(x(), {threshold: 0}),
      /ifNeuronWithState: option 'threshold' must be a finite number > 0 or a float32 tensor; got 0/,
    ],
  ];
  for (const [name, run, message] of cases) {
    it(`throws a descriptive Error for ${name}`, () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        expect(run).toThrowError(Error, message);
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('ops.lif with tensor parameters', () => {
  it("gives a function surrogate the threshold as it was given: a number, or a tensor of the features' values", () => {
    const seen: unknown[] = [];
    const surrogate = (u: tf.Tensor, threshold: number | tf.Tensor) => {
      seen.push(threshold instanceof tf.Tensor ? threshold.shape : threshold);
      return tf.onesLike(u);
    };
    const x = currents([2, 3, 4], 41);
    for (const threshold of [0.7, tf.fill([4], 0.7)]) {
      tf.dispose(tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs, {threshold, surrogate})))(x));
      if (threshold instanceof tf.Tensor) threshold.dispose();
    }
    expect(seen).toEqual([0.7, 0.7, 0.7, [4], [4], [4]]);
    x.dispose();
  });

  for (const implementation of IMPLEMENTATIONS) {
    it(`keeps tf.memory().numTensors flat over gradients of currents, leak and threshold (cpu, ${implementation})`, () => {
      const x = currents([2, 6, 3, 5], 42);
      const leak = tf.fill([5], 0.9);
      const threshold = tf.fill([3, 5], 0.8);
      const loss = (xs: tf.Tensor, l: tf.Tensor, th: tf.Tensor) =>
        tf.sum(ops.lif(xs, {leak: l, threshold: th, implementation})) as tf.Scalar;
      const step = () => {
        const grads = tf.grads(loss as never)([x, leak, threshold]);
        expect(grads.map(g => g.shape)).toEqual([x.shape, [5], [3, 5]]);
        tf.dispose(grads);
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, leak, threshold]);
    });
  }

  it('broadcasts a scalar leak for the kernels without tf.broadcastTo, whose gradient is a Slice and an Add per feature', async () => {
    // A plif layer holds a scalar leak; broadcastTo (tfjs's Tile) made its gradient 2 kernels per feature, which
    // doubled the time of a small-model training step. Broadcasting by Add leaves one reduction.
    const x = currents([2, 3, 6, 6, 4], 43);
    const leak = tf.scalar(0.9);
    const profile = await tf.profile(() => {
      const dLeak = tf.grad((l: tf.Tensor) => tf.sum(ops.lif(x, {leak: l})))(leak);
      expect(dLeak.shape).toEqual([]);
      dLeak.dispose();
    });
    const count = (name: string) => profile.kernels.filter(k => k.name === name).length;
    expect(count('Tile')).toBe(0);
    expect(count('Slice')).toBeLessThan(6);
    tf.dispose([x, leak]);
  });
});
