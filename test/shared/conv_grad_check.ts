/**
 * The checks of tfjs-snn's Conv2DBackpropFilter replacements on the GPU backends (webgl, webgpu): the cases, the
 * float64 comparison and a spy on the built-in kernel each replaces. Reads are asynchronous (data(), never
 * dataSync(), which webgpu must not be asked for).
 */
import * as tf from '@tensorflow/tfjs-core';

import {replacedKernel} from '../../kernels/replace_kernel';
import {filterGradChunkPlan} from '../../kernels/split_k';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {dyShapeOf, GradCase, referenceFilterGrad, Shape4, sizeOf} from './conv_reference';

/** Strides, 'same'/'valid'/numeric/explicit paddings, odd sizes, channel counts that do not fill a block. */
export const FILTER_GRAD_CASES: GradCase[] = [
  {xShape: [2, 7, 9, 3], kernel: [3, 3], outChannels: 5, strides: 1, pad: 'same'},
  {xShape: [3, 9, 7, 1], kernel: [3, 3], outChannels: 4, strides: 2, pad: 'same'},
  {xShape: [2, 8, 8, 32], kernel: [3, 3], outChannels: 32, strides: 2, pad: 'valid'},
  {xShape: [1, 9, 9, 3], kernel: [5, 5], outChannels: 1, strides: 2, pad: 'valid'},
  {
    xShape: [5, 7, 9, 3],
    kernel: [3, 1],
    outChannels: 3,
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {xShape: [4, 5, 5, 32], kernel: [1, 1], outChannels: 1, strides: 1, pad: 'valid'},
  {xShape: [1, 6, 6, 3], kernel: [5, 5], outChannels: 32, strides: 1, pad: 2},
  {xShape: [2, 6, 7, 1], kernel: [3, 3], outChannels: 1, strides: [1, 2], pad: 'same'},
  {xShape: [2, 7, 5, 6], kernel: [2, 3], outChannels: 7, strides: [3, 2], pad: 'same'},
  {
    xShape: [2, 1, 1, 2],
    kernel: [1, 1],
    outChannels: 3,
    strides: 3,
    pad: [
      [0, 0],
      [1, 0],
      [1, 0],
      [0, 0],
    ],
  },
];

/** Cases with many chunks (the small model's second conv at batch 16, and a narrower one). */
export const LARGE_FILTER_GRAD_CASES: GradCase[] = [
  {xShape: [16, 14, 14, 32], kernel: [3, 3], outChannels: 64, strides: 1, pad: 'same'},
  {xShape: [32, 15, 13, 3], kernel: [3, 3], outChannels: 8, strides: 1, pad: 'same'},
];

export function filterShapeOf(c: GradCase): Shape4 {
  return [...c.kernel, c.xShape[3], c.outChannels];
}

/** How many chunks the split-K kernels cut the case's dy rows into. */
export function chunksOf(c: GradCase): number {
  return filterGradChunkPlan(tf.backend_util.computeConv2DInfo(c.xShape, filterShapeOf(c), c.strides, 1, c.pad)).chunks;
}

export function filterGrad(x: tf.Tensor, dy: tf.Tensor, c: GradCase, dataFormat = 'NHWC'): tf.Tensor {
  const attrs = {strides: c.strides, pad: c.pad, dataFormat, filterShape: filterShapeOf(c)};
  return tf.engine().runKernel('Conv2DBackpropFilter', {x, dy}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Conv2DBackpropFilter on the current backend for the case's x and dy, both made by ops as in a model. */
export async function filterGradValues(c: GradCase, x: Float32Array, dy: Float32Array): Promise<Float32Array> {
  const dW = tf.tidy(() => {
    const xt = tf.add(tf.tensor4d(x, c.xShape), 0);
    const dyt = tf.add(tf.tensor4d(dy, dyShapeOf(c)), 0);
    return filterGrad(xt, dyt, c);
  });
  const values = (await dW.data()) as Float32Array;
  dW.dispose();
  return values;
}

/** The case's dW on the current backend against the float64 loop (relative error ≤ 1e-5), x and dy from `seed`. */
export async function expectFilterGradMatchesReference(c: GradCase, seed: number): Promise<void> {
  const x = randomArray(sizeOf(c.xShape), seed);
  const dy = randomArray(sizeOf(dyShapeOf(c)), seed + 1);
  const expected = referenceFilterGrad(c, x, dy);
  const actual = await filterGradValues(c, x, dy);
  expect(actual.length).toBe(expected.length);
  expect(relativeMaxError(actual, expected)).toBeLessThanOrEqual(1e-5);
}

/**
 * Registers our kernel on `backendName` (made by `make`, as kernels/register.ts does) over a spy of the built-in
 * for the duration of `body`: the spy's calls are the cases handed to the built-in.
 */
export async function withBuiltInSpy(
  backendName: string,
  make: (builtIn: tf.KernelConfig) => tf.KernelConfig,
  body: (builtIn: jasmine.Spy) => Promise<void>
): Promise<void> {
  const ours = tf.getKernel('Conv2DBackpropFilter', backendName);
  const builtIn = ours == null ? null : replacedKernel(ours);
  if (ours == null || builtIn == null)
    throw new Error(`tfjs-snn has not replaced ${backendName}'s Conv2DBackpropFilter`);
  const spy = jasmine.createSpy('built-in Conv2DBackpropFilter', builtIn.kernelFunc).and.callThrough();
  tf.unregisterKernel('Conv2DBackpropFilter', backendName);
  tf.registerKernel(make({...builtIn, kernelFunc: spy}));
  try {
    await body(spy);
  } finally {
    tf.unregisterKernel('Conv2DBackpropFilter', backendName);
    tf.registerKernel(ours);
  }
}

/** Values of an [n, h, w, c] array in NCHW order. */
function toNCHW(values: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let k = 0; k < c; k++) out[((b * c + k) * h + i) * w + j] = values[((b * h + i) * w + j) * c + k];
      }
    }
  }
  return out;
}

/**
 * With our kernel on `backendName` over a spy of the built-in: NHWC runs ours, NCHW goes to the built-in, and both
 * give the float64 loop's dW.
 */
export async function expectNchwHandedToBuiltIn(
  backendName: string,
  make: (builtIn: tf.KernelConfig) => tf.KernelConfig
): Promise<void> {
  const c: GradCase = {xShape: [2, 7, 6, 3], kernel: [3, 3], outChannels: 4, strides: 2, pad: 'same'};
  const x = randomArray(sizeOf(c.xShape), 41);
  const dy = randomArray(sizeOf(dyShapeOf(c)), 42);
  const expected = referenceFilterGrad(c, x, dy);
  await withBuiltInSpy(backendName, make, async builtIn => {
    expect(relativeMaxError(await filterGradValues(c, x, dy), expected)).toBeLessThanOrEqual(1e-5);
    expect(builtIn).not.toHaveBeenCalled();
    const [n, h, w, cin] = c.xShape;
    const [, oh, ow, cout] = dyShapeOf(c);
    const dW = tf.tidy(() =>
      filterGrad(
        tf.tensor4d(toNCHW(x, c.xShape), [n, cin, h, w]),
        tf.tensor4d(toNCHW(dy, dyShapeOf(c)), [n, cout, oh, ow]),
        c,
        'NCHW'
      )
    );
    expect(relativeMaxError((await dW.data()) as Float32Array, expected)).toBeLessThanOrEqual(1e-5);
    dW.dispose();
    expect(builtIn).toHaveBeenCalledTimes(1);
  });
}

/** tf.grad of tf.conv2d with respect to the filter runs our kernel on `backendName` (not the built-in). */
export async function expectConvGradRunsOurs(
  backendName: string,
  make: (builtIn: tf.KernelConfig) => tf.KernelConfig
): Promise<void> {
  const c: GradCase = {xShape: [3, 9, 8, 3], kernel: [3, 3], outChannels: 6, strides: 1, pad: 'same'};
  const x = randomArray(sizeOf(c.xShape), 51);
  const r = randomArray(sizeOf(dyShapeOf(c)), 52);
  const expected = referenceFilterGrad(c, x, r); // d Σ(conv(x, W)·r) / dW
  await withBuiltInSpy(backendName, make, async builtIn => {
    const dW = tf.tidy(() => {
      const xt = tf.tensor4d(x, c.xShape);
      const rt = tf.tensor4d(r, dyShapeOf(c));
      const loss = (w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt, w as tf.Tensor4D, 1, 'same'), rt));
      return tf.grad(loss)(tf.zeros(filterShapeOf(c)));
    });
    expect(relativeMaxError((await dW.data()) as Float32Array, expected)).toBeLessThanOrEqual(1e-5);
    dW.dispose();
    expect(builtIn).not.toHaveBeenCalled();
  });
}

/** tf.memory().numTensors and the backend's data ids stay flat over conv2d forward + backward steps. */
export async function expectConvGradLeakFree(c: GradCase): Promise<void> {
  const x = tf.randomUniform(c.xShape);
  const w = tf.randomUniform(filterShapeOf(c));
  const step = async () => {
    const grads = tf.grads((xs: tf.Tensor, ws: tf.Tensor) =>
      tf.sum(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, c.strides, c.pad as 'same'))
    )([x, w]);
    await grads[1].data();
    tf.dispose(grads);
  };
  await step();
  const tensors = tf.memory().numTensors;
  const dataIds = tf.backend().numDataIds();
  for (let i = 0; i < 3; i++) await step();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(tf.backend().numDataIds()).toBe(dataIds);
  tf.dispose([x, w]);
}
