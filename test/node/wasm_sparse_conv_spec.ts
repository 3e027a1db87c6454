import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import '../../src/index'; // replaces wasm's Conv2D
import {replacedKernel} from '../../kernels/replace_kernel';
import {setFilterGradChunkBytes, setSparseFilterGradDensity} from '../../kernels/wasm/conv2d_backprop_filter';
import {setSparseConvDensity, sparseConvCalls} from '../../kernels/wasm/conv2d';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {caseName, dyShapeOf, GradCase, referenceConv, referenceFilterGrad, sizeOf} from '../shared/conv_reference';
import {filterGradKernel, SPARSE_CASES, sparseInput} from '../shared/sparse_inputs';

const CASES = SPARSE_CASES;

async function convOn(backend: string, c: GradCase, x: Float32Array, w: Float32Array, dilations = 1) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const filter = tf.tensor4d(w, [...c.kernel, c.xShape[3], c.outChannels]);
    return tf.conv2d(tf.tensor4d(x, c.xShape), filter, c.strides, c.pad as 'same', 'NHWC', dilations).dataSync();
  }) as Float32Array;
}

describe('Conv2D on wasm over the non-zeros of a sparse input', () => {
  afterEach(() => {
    setSparseConvDensity(null);
    setSparseFilterGradDensity(null);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("replaces wasm's own kernel once, keeping it for the cases it hands on", () => {
    const ours = tf.getKernel('Conv2D', 'wasm')!;
    expect(replacedKernel(ours)).not.toBeNull();
    expect(replacedKernel(replacedKernel(ours)!)).toBeNull();
  });

  CASES.forEach((c, index) => {
    for (const graded of [false, true]) {
      it(`equals float64 and cpu (${graded ? 'pooled spikes' : 'spikes'}, 15 %): ${caseName(c)}`, async () => {
        const x = sparseInput(sizeOf(c.xShape), 0.15, 10 + index, graded);
        const w = randomArray(c.kernel[0] * c.kernel[1] * c.xShape[3] * c.outChannels, 20 + index);
        const calls = sparseConvCalls();
        const onWasm = await convOn('wasm', c, x, w);
        expect(sparseConvCalls()).toBe(calls + 1);
        expect(relativeMaxError(onWasm, referenceConv(c, x, w))).toBeLessThanOrEqual(1e-6);
        expect(relativeMaxError(onWasm, await convOn('cpu', c, x, w))).toBeLessThanOrEqual(1e-6);
      });
    }
  });

  it('equals cpu with dilations', async () => {
    const c: GradCase = {xShape: [2, 11, 10, 6], kernel: [3, 3], outChannels: 8, strides: 1, pad: 'same'};
    const x = sparseInput(sizeOf(c.xShape), 0.1, 3);
    const w = randomArray(3 * 3 * 6 * 8, 4);
    for (const dilations of [2, [3, 1]] as const) {
      const calls = sparseConvCalls();
      const onWasm = await convOn('wasm', c, x, w, dilations as unknown as number);
      expect(sparseConvCalls()).toBe(calls + 1);
      expect(relativeMaxError(onWasm, await convOn('cpu', c, x, w, dilations as unknown as number))).toBeLessThan(1e-6);
    }
  });

  it('gives zeros for an all-zero input, and hands dense inputs, Cout % 4 ≠ 0 and no SIMD to the built-in', async () => {
    const c: GradCase = {xShape: [2, 6, 6, 4], kernel: [3, 3], outChannels: 8, strides: 1, pad: 'same'};
    const w = randomArray(3 * 3 * 4 * 8, 5);
    let calls = sparseConvCalls();
    expect(Array.from(await convOn('wasm', c, new Float32Array(sizeOf(c.xShape)), w)).every(v => v === 0)).toBeTrue();
    expect(sparseConvCalls()).toBe(calls + 1);

    const dense = sparseInput(sizeOf(c.xShape), 0.5, 6);
    calls = sparseConvCalls();
    const denseOut = await convOn('wasm', c, dense, w);
    expect(sparseConvCalls()).toBe(calls);
    expect(relativeMaxError(denseOut, referenceConv(c, dense, w))).toBeLessThanOrEqual(1e-6);
    setSparseConvDensity(0.6);
    expect(relativeMaxError(await convOn('wasm', c, dense, w), denseOut)).toBeLessThanOrEqual(1e-6);
    expect(sparseConvCalls()).toBe(calls + 1);

    const odd: GradCase = {...c, outChannels: 6};
    const x = sparseInput(sizeOf(c.xShape), 0.1, 7);
    const w6 = randomArray(3 * 3 * 4 * 6, 8);
    calls = sparseConvCalls();
    expect(relativeMaxError(await convOn('wasm', odd, x, w6), referenceConv(odd, x, w6))).toBeLessThanOrEqual(1e-6);
    expect(sparseConvCalls()).toBe(calls);

    const previous = runtime.setSimdKernelsEnabled(false);
    try {
      expect(relativeMaxError(await convOn('wasm', c, x, w), referenceConv(c, x, w))).toBeLessThanOrEqual(1e-6);
      expect(sparseConvCalls()).toBe(calls);
    } finally {
      runtime.setSimdKernelsEnabled(previous);
    }
  });

  it('runs the convolution path of the filter gradient over non-zeros too (chunks of the batch)', async () => {
    // The filter gradient's own program over non-zeros (wasm_sparse_filter_grad_spec) is off: its convolution
    // path runs a Conv2D of x, which takes this path.
    setSparseFilterGradDensity(0);
    const c: GradCase = {xShape: [6, 9, 8, 5], kernel: [3, 3], outChannels: 12, strides: 2, pad: 'same'};
    const x = sparseInput(sizeOf(c.xShape), 0.12, 9);
    const dy = randomArray(sizeOf(dyShapeOf(c)), 10);
    const expected = referenceFilterGrad(c, x, dy);
    await tf.setBackend('wasm');
    for (const chunk of [null, 2 * sizeOf(dyShapeOf(c).slice(1)) * 4]) {
      setFilterGradChunkBytes(chunk);
      const calls = sparseConvCalls();
      const dW = filterGradKernel(c, x, dy);
      setFilterGradChunkBytes(null);
      expect(sparseConvCalls()).toBeGreaterThan(calls);
      expect(relativeMaxError(dW, expected)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('keeps tf.memory() flat and trains through tf.grad', async () => {
    await tf.setBackend('wasm');
    const c: GradCase = {xShape: [4, 8, 8, 8], kernel: [3, 3], outChannels: 16, strides: 1, pad: 'same'};
    const x = tf.tensor4d(sparseInput(sizeOf(c.xShape), 0.1, 11), c.xShape);
    const w = tf.tensor4d(randomArray(3 * 3 * 8 * 16, 12), [3, 3, 8, 16]);
    const step = () =>
      tf.dispose(tf.grads((ws: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, ws as tf.Tensor4D, 1, 'same'))))([w]));
    step();
    const before = tf.memory();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([x, w]);
  });

  it('takes spikes up to 50 % non-zero and other values up to 40 % (one thread)', async () => {
    const c: GradCase = {xShape: [4, 10, 10, 10], kernel: [3, 3], outChannels: 8, strides: 1, pad: 'same'};
    const w = randomArray(3 * 3 * 10 * 8, 13);
    const sparse = async (x: Float32Array): Promise<boolean> => {
      const calls = sparseConvCalls();
      expect(relativeMaxError(await convOn('wasm', c, x, w), referenceConv(c, x, w))).toBeLessThanOrEqual(1e-6);
      return sparseConvCalls() > calls;
    };
    const size = sizeOf(c.xShape);
    // Exactly k non-zeros: the first k values, shuffled by a fixed permutation.
    const withNonZeros = (k: number, value: number) => {
      const x = new Float32Array(size);
      for (let i = 0; i < k; i++) x[(i * 397) % size] = value;
      return x;
    };
    expect(await sparse(withNonZeros(0.5 * size, 1))).toBeTrue();
    expect(await sparse(withNonZeros(0.5 * size + 1, 1))).toBeFalse();
    expect(await sparse(withNonZeros(0.4 * size, 0.5))).toBeTrue();
    expect(await sparse(withNonZeros(0.4 * size + 1, 0.5))).toBeFalse();
  });

  it('names a bad density', () => {
    expect(() => setSparseConvDensity(1.5)).toThrowError(/density must be a number in \[0, 1\] or null; got 1\.5/);
    expect(() => setSparseConvDensity(NaN)).toThrowError(/got NaN/);
  });
});
