import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {lifCases} from '../reference/lif_cases';
import {checkLifCase, expectMatchesReference} from '../shared/lif_check';

// wasm runs the cpu kernel's typed-array loops on its heap ('kernel', what 'auto' picks) and can
// still be forced onto the core-op composite (what tfjs-node and webgpu run).
describe('ops.lif on the wasm backend', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("registers the fused kernel, so 'auto' uses it", () => {
    expect(tf.getKernel('SnnLif', 'wasm')).toBeDefined();
    expect(tf.getKernel('SnnLifGrad', 'wasm')).toBeDefined();
  });

  // Every case on the kernel; every other case on the composite (the cpu suite runs all on both).
  const cases = lifCases();
  for (const [implementation, selected] of [
    ['kernel', cases],
    ['composite', cases.filter((_, i) => i % 2 === 0)],
  ] as const) {
    describe(implementation, () => {
      for (const c of selected) {
        it(c.name, async () => {
          expectMatchesReference(await checkLifCase(c, implementation));
        });
      }
    });
  }

  describe('ifNeuron (the cases with a leak of 1 given as a number)', () => {
    for (const implementation of ['kernel', 'composite'] as const) {
      for (const c of cases.filter(k => k.leak === 1 && k.time <= 25)) {
        it(`${implementation}: ${c.name}`, async () => {
          expectMatchesReference(await checkLifCase(c, implementation, 'ifNeuron'));
        });
      }
    }
  });

  for (const implementation of ['kernel', 'composite'] as const) {
    it(`keeps tf.memory().numTensors flat with tensor leak and threshold (${implementation})`, () => {
      const x = tf.randomUniform([2, 6, 5], -0.3, 0.9);
      const leak = tf.fill([5], 0.9);
      const threshold = tf.scalar(0.8);
      const loss = (xs: tf.Tensor, l: tf.Tensor, th: tf.Tensor) =>
        tf.sum(ops.lif(xs, {leak: l, threshold: th, implementation})) as tf.Scalar;
      const step = () => tf.dispose(tf.grads(loss as never)([x, leak, threshold]));
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, leak, threshold]);
    });
  }

  for (const implementation of ['kernel', 'composite'] as const) {
    it(`keeps tf.memory().numTensors flat over forward+backward (${implementation})`, () => {
      const x = tf.randomUniform([2, 6, 5], -0.3, 0.9);
      const step = () => tf.dispose(tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs, {implementation})))(x));
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  }
});
