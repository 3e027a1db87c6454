import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {lifCases} from '../reference/lif_cases';
import {checkLifCase} from '../shared/lif_check';

// wasm has no fused LIF kernel: 'auto' must fall back to the core-op composite.
describe('ops.lif on the wasm backend (composite path)', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('refuses implementation "kernel" with a clear error', () => {
    const x = tf.zeros([1, 2, 3]);
    expect(() => ops.lif(x, {implementation: 'kernel'}))
        .toThrowError(/option 'implementation' is 'kernel' but backend 'wasm' has no fused LIF kernel/);
    x.dispose();
  });

  // Every other case keeps the wasm run short; the cpu suite covers all of them on both paths.
  for (const c of lifCases().filter((_, i) => i % 2 === 0)) {
    it(c.name, async () => {
      const e = await checkLifCase(c, 'composite');
      expect(e.spikeMismatches).toBe(0);
      expect(e.membraneError).toBeLessThan(1e-5);
      expect(e.currentGradError).toBeLessThan(1e-4);
      expect(e.initialGradError).toBeLessThan(1e-4);
    });
  }

  it('keeps tf.memory().numTensors flat over forward+backward', () => {
    const x = tf.randomUniform([2, 6, 5], -0.3, 0.9);
    const step = () => tf.dispose(tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs)))(x));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
