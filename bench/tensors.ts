/** Inputs and synchronisation helpers shared by the checks and the timings. */
import * as tf from '@tensorflow/tfjs-core';

import type {LifFn} from './lif_impls';

export interface BenchInputs {
  /** Currents, uniform in [-0.3, 0.9): about a quarter of the steps spike. */
  currents: tf.Tensor;
  /** Fixed random weights of the loss sum(spikes · w). */
  weights: tf.Tensor;
}

/** Seeded inputs: tfjs draws seeded uniforms in JavaScript, so every backend gets the same values. */
export function makeInputs(shape: number[], seed: number): BenchInputs {
  return {
    currents: tf.randomUniform(shape, -0.3, 0.9, 'float32', seed),
    weights: tf.randomUniform(shape, -1, 1, 'float32', seed + 1),
  };
}

/**
 * How the loss L = sum(spikes · w) is differentiated. `vjp` (default): tf.grad of the
 * LIF with w as the upstream gradient, `tf.grad(lif)(currents, w)`, which is exactly
 * dL/dcurrents without running the loss itself. `sum`: tf.grad of the written-out loss
 * `tf.sum(tf.mul(lif(x), w))`; on tfjs-backend-cpu the gradient of that tf.sum is a
 * broadcasting multiply that takes about a second per 8M elements, the same for every
 * implementation, and it would hide most of the LIF's own cost.
 */
export type LossForm = 'vjp' | 'sum';

/** dL/dcurrents for L = sum(lif(currents) · w), through tf.grad. */
export function lossGradient(lif: LifFn, {currents, weights}: BenchInputs, form: LossForm): tf.Tensor {
  if (form === 'sum') return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(lif(x), weights)))(currents);
  return tf.grad(lif)(currents, weights);
}

/**
 * Waits until the kernels that produced `t` have run, by reading back its last
 * element. Every benchmarked result is written by one final kernel that depends on
 * all the others, so on webgl this waits for the whole computation without
 * downloading the (large) result.
 */
export async function settle(t: tf.Tensor): Promise<void> {
  const last = tf.slice(
    t,
    t.shape.map(d => d - 1),
    t.shape.map(() => 1)
  );
  await last.data();
  last.dispose();
}

/** Mean of a tensor, read back as a number. */
export async function meanOf(t: tf.Tensor): Promise<number> {
  const mean = tf.mean(t);
  const [value] = await mean.data();
  mean.dispose();
  return value;
}
