/**
 * The fused BNTT training kernels run directly on the current backend, shared by the webgl and webgpu suites:
 * a case's shape and its number of parameter rows R, seeded inputs, and both kernels' six outputs (the backward
 * fed with the forward's statistics), read asynchronously (webgpu must not read synchronously).
 */
import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../../kernels/bntt_attrs';
import {randomArray} from '../reference/lif_reference';

/** The ε every kernel case uses. */
export const KERNEL_EPSILON = 1e-3;

export interface KernelCase {
  shape: number[];
  rows: number;
}

export interface CaseData {
  x: Float32Array;
  dy: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

export const OUTPUT_NAMES = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];

export const sizeOf = (shape: number[]) => shape.reduce((n, d) => n * d, 1);

/** Seeded inputs: x uniform in [offset − 1, offset + 1), dy in [−1, 1), gamma in [0.5, 1.5), beta in [−1, 1). */
export function caseData(c: KernelCase, seed: number, offset = 0.5): CaseData {
  const numParams = c.rows * c.shape[c.shape.length - 1];
  return {
    x: randomArray(sizeOf(c.shape), seed).map(v => 2 * v + offset),
    dy: randomArray(sizeOf(c.shape), seed + 1),
    gamma: randomArray(numParams, seed + 2, 0.5, 1.5),
    beta: randomArray(numParams, seed + 3),
  };
}

/**
 * [y, mean, variance, dx, dgamma, dbeta] of both kernels on the current backend, the backward fed with the
 * forward's statistics. x and dy come out of an op (packed on webgl with WEBGL_PACK), as in a model.
 */
export async function runKernels(c: KernelCase, data: CaseData): Promise<Float32Array[]> {
  const paramShape = [c.rows, c.shape[c.shape.length - 1]];
  const outputs = tf.tidy(() => {
    const [x, dy] = [data.x, data.dy].map(values => tf.add(tf.tensor(values, c.shape), 0));
    const [gamma, beta] = [tf.tensor(data.gamma, paramShape), tf.tensor(data.beta, paramShape)];
    const [y, mean, variance] = tf
      .engine()
      .runKernel(BNTT_TRAIN, {x, gamma, beta}, {epsilon: KERNEL_EPSILON} as never) as tf.Tensor[];
    const grads = tf
      .engine()
      .runKernel(BNTT_TRAIN_GRAD, {dy, x, gamma, mean, variance}, {epsilon: KERNEL_EPSILON} as never) as tf.Tensor[];
    return [y, mean, variance, ...grads];
  });
  expect(outputs.map(t => t.shape)).toEqual([c.shape, paramShape, paramShape, c.shape, paramShape, paramShape]);
  const values = await Promise.all(outputs.map(t => t.data() as Promise<Float32Array>));
  tf.dispose(outputs);
  return values;
}
