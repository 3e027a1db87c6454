/** The documented NaN behaviour of ops.lif, asserted the same way in the Node and browser suites. */
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';

/**
 * Currents of 0.6 (leak 1) with one NaN at batch 0, step 2, neuron 1: that
 * neuron fires at step 1 and never after, its membrane and every step's
 * gradient are NaN; every other neuron is unaffected.
 */
export async function expectNaNIsolatedToItsNeuron(implementation?: 'kernel' | 'composite'): Promise<void> {
  const data = new Float32Array(2 * 4 * 2).fill(0.6);
  data[(0 * 4 + 2) * 2 + 1] = NaN;
  const x = tf.tensor(data, [2, 4, 2]);
  const options = {implementation, leak: 1};
  const out = ops.lifWithState(x, options);
  const s = (await out.spikes.array()) as number[][][];
  expect(s[0].map(step => step[1])).toEqual([0, 1, 0, 0]); // 0.6, 1.2 fires, then NaN
  expect(s[0].map(step => step[0])).toEqual([0, 1, 0, 1]); // neighbour unaffected
  expect(s[1]).toEqual(s[0].map(step => [step[0], step[0]]));
  const v = (await out.membrane.array()) as number[][];
  expect(v[0][1]).toBeNaN();
  expect(v[0][0]).toBeCloseTo(0.4, 5);
  const dx = tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs, options)))(x);
  const g = (await dx.array()) as number[][][];
  for (const step of g[0]) expect(step[1]).toBeNaN();
  for (const value of [...g[0].map(st => st[0]), ...g[1].flat()]) expect(Number.isFinite(value)).toBe(true);
  tf.dispose([x, out.spikes, out.membrane, dx]);
}

/** A NaN current (batch 0, step 2, neuron 1) makes that neuron's leak and threshold gradients NaN, no other's. */
export async function expectNaNKeptFromOtherParameterGradients(): Promise<void> {
  const data = new Float32Array(2 * 4 * 2).fill(0.6);
  data[(0 * 4 + 2) * 2 + 1] = NaN; // batch 0, step 2, neuron 1
  const x = tf.tensor(data, [2, 4, 2]);
  const leak = tf.tensor([0.9, 0.95]);
  const threshold = tf.tensor([1, 0.8]);
  const loss = (xs: tf.Tensor, l: tf.Tensor, th: tf.Tensor) => tf.sum(ops.lif(xs, {leak: l, threshold: th}));
  const grads = tf.grads(loss)([x, leak, threshold]);
  const [dLeak, dThreshold] = await Promise.all(grads.slice(1).map(g => g.data()));
  expect(dLeak[1]).toBeNaN();
  expect(dThreshold[1]).toBeNaN();
  expect(Number.isFinite(dLeak[0]) && Number.isFinite(dThreshold[0])).toBe(true);
  tf.dispose([x, leak, threshold, ...grads]);
}
