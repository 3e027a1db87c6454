/** ops.lif with a bad custom surrogate or a failing backward kernel; shared by the Node and browser suites. */
import * as tf from '@tensorflow/tfjs-core';

import {LIF_GRAD, SurrogateFunction} from '../../kernels/lif_attrs';
import {ops} from '../../src/index';
import {randomArray} from '../reference/lif_reference';

// Currents [2, 5, 3]: the surrogate gets one step's membrane, [2, 3].
const SHAPE = [2, 5, 3];
const RULE = "must return a float32 tensor of the membrane's shape [2,3]";

function wrongShape(u: tf.Tensor) {
  return tf.ones([u.shape[0], u.shape[1]! + 1]);
}
function broadcastable() {
  return tf.scalar(1);
}
function wrongDtype(u: tf.Tensor) {
  return tf.cast(tf.onesLike(u), 'int32');
}
function returnsNothing() {
  return undefined;
}
function returnsNumber() {
  return 1;
}
function throws(): tf.Tensor {
  throw new Error('out of ideas');
}

/** [what, surrogate, the error after 'lif: '] */
export const BAD_SURROGATES: Array<[string, unknown, string]> = [
  [
    'a wrong shape',
    wrongShape,
    `option 'surrogate' (function 'wrongShape') ${RULE}; got a float32 tensor of shape [2,4]`,
  ],
  [
    'a broadcastable shape',
    broadcastable,
    `option 'surrogate' (function 'broadcastable') ${RULE}; got a float32 tensor of shape []`,
  ],
  [
    'a wrong dtype',
    wrongDtype,
    `option 'surrogate' (function 'wrongDtype') ${RULE}; got an int32 tensor of shape [2,3]`,
  ],
  ['undefined', returnsNothing, `option 'surrogate' (function 'returnsNothing') ${RULE}; got undefined`],
  ['a non-tensor', returnsNumber, `option 'surrogate' (function 'returnsNumber') ${RULE}; got 1`],
  ['an anonymous one', () => null, `option 'surrogate' (an anonymous function) ${RULE}; got null`],
  ['a throwing one', throws, "option 'surrogate' (function 'throws') threw in the backward pass: out of ideas"],
];

const tensor = (seed: number, lo: number, hi: number) => tf.tensor(randomArray(2 * 5 * 3, seed, lo, hi), SHAPE);

/**
 * The gradient call with `surrogate` throws `message`, tf.memory().numTensors is what it was before it (the
 * tape's saved tensors included), and the next gradient works.
 */
export function expectBadSurrogateRejected(
  implementation: 'auto' | 'composite',
  surrogate: unknown,
  message: string
): void {
  const x = tensor(19, -0.3, 0.9);
  const w = tensor(20, -1, 1);
  const loss = (xs: tf.Tensor) =>
    tf.sum(tf.mul(ops.lif(xs, {surrogate: surrogate as SurrogateFunction, implementation}), w));
  const before = tf.memory().numTensors;
  expect(() => tf.grad(loss)(x)).toThrowError(`lif: ${message}`);
  expect(tf.memory().numTensors).toBe(before);
  const dx = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(ops.lif(xs, {implementation}), w)))(x);
  expect(dx.shape).toEqual(SHAPE);
  dx.dispose();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, w]);
}

/** With the fused backward kernel of `backendName` failing, the gradient call leaks nothing either. */
export function expectFailingFusedGradientFreesTape(backendName: string): void {
  const fused = tf.getKernel(LIF_GRAD, backendName);
  expect(fused).toBeDefined();
  if (fused == null) return;
  tf.unregisterKernel(LIF_GRAD, backendName);
  tf.registerKernel({
    kernelName: LIF_GRAD,
    backendName,
    kernelFunc: () => {
      throw new Error('kernel failed');
    },
  });
  try {
    const x = tensor(21, -0.3, 0.9);
    const w = tensor(22, -1, 1);
    const before = tf.memory().numTensors;
    expect(() =>
      tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(ops.lif(xs, {implementation: 'kernel'}), w)))(x)
    ).toThrowError('kernel failed');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  } finally {
    tf.unregisterKernel(LIF_GRAD, backendName);
    tf.registerKernel(fused);
  }
}
