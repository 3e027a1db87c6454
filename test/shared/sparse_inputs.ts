/**
 * Inputs for the specs of the wasm kernels over non-zeros (node: wasm_sparse_conv_spec.ts,
 * wasm_sparse_filter_grad_spec.ts; browser: wasm_programs_spec.ts): sparse spike trains and the convolution shapes;
 * and the Conv2DBackpropFilter kernel call those specs, the threads spec's helpers and the browser's Winograd case
 * share.
 */
import * as tf from '@tensorflow/tfjs-core';

import {mulberry32} from '../../src/data/index';
import {dyShapeOf, GradCase} from './conv_reference';

/** Spikes (1) at `rate`, or with `graded` the levels of a 2×2 average pool of spikes (0.25 … 1). */
export function sparseInput(size: number, rate: number, seed: number, graded = false): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({length: size}, () => (random() < rate ? (graded ? Math.ceil(random() * 4) / 4 : 1) : 0));
}

/** Strides, paddings (asymmetric, and partly unread), kernel sizes and channel counts around a block of 32. */
export const SPARSE_CASES: GradCase[] = [
  {xShape: [2, 9, 9, 8], kernel: [3, 3], outChannels: 12, strides: 1, pad: 'same'},
  {xShape: [3, 8, 7, 5], kernel: [3, 3], outChannels: 36, strides: 2, pad: 'same'},
  {xShape: [1, 10, 10, 16], kernel: [5, 5], outChannels: 40, strides: 1, pad: 'valid'},
  {xShape: [2, 7, 9, 3], kernel: [3, 1], outChannels: 4, strides: [2, 1], pad: 1},
  {xShape: [2, 6, 6, 4], kernel: [1, 1], outChannels: 64, strides: 1, pad: 'valid'},
  {
    xShape: [1, 8, 8, 6],
    kernel: [3, 3],
    outChannels: 8,
    strides: 3,
    pad: [
      [0, 0],
      [2, 0],
      [1, 2],
      [0, 0],
    ],
  },
];

/** The current backend's Conv2DBackpropFilter of x and dy (the kernel itself, as tf.grad would call it). */
export function filterGradKernel(c: GradCase, x: Float32Array, dy: Float32Array): Float32Array {
  return tf.tidy(() => {
    const attrs = {
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      filterShape: [...c.kernel, c.xShape[3], c.outChannels],
    };
    const out = tf
      .engine()
      .runKernel(
        'Conv2DBackpropFilter',
        {x: tf.tensor4d(x, c.xShape), dy: tf.tensor4d(dy, dyShapeOf(c))},
        attrs as unknown as tf.NamedAttrMap
      );
    return (out as tf.Tensor).dataSync() as Float32Array;
  });
}
