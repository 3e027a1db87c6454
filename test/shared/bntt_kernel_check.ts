/**
 * The fused BNTT training kernels run directly on the current backend, shared by the Node, webgl and webgpu
 * suites: a case's shape and its number of parameter rows R, seeded inputs, both kernels' six outputs (the
 * backward fed with the forward's statistics), read asynchronously (webgpu must not read synchronously), and the
 * float64 reference's.
 */
import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../../kernels/bntt_attrs';
import {refBackward, refForward} from '../reference/bntt_reference';
import {randomArray} from '../reference/lif_reference';

/** The ε every kernel case uses. */
export const KERNEL_EPSILON = 1e-3;

export interface KernelCase {
  shape: number[];
  rows: number;
  /** false: gamma ones and beta zeros (what a layer without scale / center passes); random otherwise. */
  affine?: boolean;
}

/** The Node suites' kernel cases: ranks 3 to 5, R = T and R = 1, N = 1 (variance 0, y = beta, dx = 0), T = 1. */
export const NODE_KERNEL_CASES: KernelCase[] = [
  {shape: [1, 3, 4], rows: 3}, // N = 1
  {shape: [2, 3, 4], rows: 1},
  {shape: [3, 5, 6, 2], rows: 5},
  {shape: [4, 2, 7, 3], rows: 1},
  {shape: [2, 4, 3, 5, 4], rows: 4},
  {shape: [1, 6, 2, 3, 3], rows: 1},
  {shape: [4, 3, 4, 4, 8], rows: 3},
  {shape: [3, 1, 2, 2, 5], rows: 1}, // T = 1
];

export interface CaseData {
  x: Float32Array;
  dy: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

export const OUTPUT_NAMES = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];

export const sizeOf = (shape: number[]) => shape.reduce((n, d) => n * d, 1);

/**
 * Seeded inputs: x uniform in [offset − 1, offset + 1), dy in [−1, 1), gamma in [0.5, 1.5), beta in [−1, 1)
 * (ones and zeros when the case is not affine).
 */
export function caseData(c: KernelCase, seed: number, offset = 0.5): CaseData {
  const numParams = c.rows * c.shape[c.shape.length - 1];
  const affine = c.affine ?? true;
  return {
    x: randomArray(sizeOf(c.shape), seed).map(v => 2 * v + offset),
    dy: randomArray(sizeOf(c.shape), seed + 1),
    gamma: affine ? randomArray(numParams, seed + 2, 0.5, 1.5) : new Float32Array(numParams).fill(1),
    beta: affine ? randomArray(numParams, seed + 3) : new Float32Array(numParams),
  };
}

/** The float64 reference's [y, mean, variance, dx, dgamma, dbeta] (test/reference/bntt_reference.ts). */
export function referenceOutputs(c: KernelCase, data: CaseData, epsilon = KERNEL_EPSILON): number[][] {
  const forward = refForward(data.x, c.shape, data.gamma, data.beta, epsilon);
  const backward = refBackward(data.x, data.dy, c.shape, data.gamma, epsilon);
  return [forward.y, forward.mean, forward.variance, backward.dx, backward.dgamma, backward.dbeta];
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
