import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import '../../src/index'; // registers the wasm Conv2DBackpropFilter
import {
  setFilterGradChunkBytes,
  setSparseFilterGradDensity,
  sparseFilterGradCalls,
} from '../../kernels/wasm/conv2d_backprop_filter';
import {setSparseConvDensity} from '../../kernels/wasm/conv2d';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {caseName, dyShapeOf, GradCase, referenceFilterGrad, sizeOf} from '../shared/conv_reference';
import {filterGradKernel, SPARSE_CASES, sparseInput} from '../shared/sparse_inputs';

/**
 * The convolution spec's cases, the 3-channel one with 4 channels (at 15 % an image's filter gradient is left to the
 * convolution path), and a 2×2 kernel at stride 3.
 */
const CASES: GradCase[] = [
  ...SPARSE_CASES.map(c => (c.xShape[3] <= 3 ? {...c, xShape: [c.xShape[0], c.xShape[1], c.xShape[2], 4]} : c)),
  {xShape: [4, 7, 7, 6], kernel: [2, 2], outChannels: 8, strides: 3, pad: 'valid'},
] as GradCase[];

/** The wasm backend's Conv2DBackpropFilter of x and dy. */
async function filterGrad(c: GradCase, x: Float32Array, dy: Float32Array): Promise<Float32Array> {
  await tf.setBackend('wasm');
  return filterGradKernel(c, x, dy);
}

/** The filter gradient, and whether it went over the non-zeros. */
async function gradAndPath(c: GradCase, x: Float32Array, dy: Float32Array): Promise<[Float32Array, boolean]> {
  const calls = sparseFilterGradCalls();
  const dW = await filterGrad(c, x, dy);
  return [dW, sparseFilterGradCalls() > calls];
}

describe('Conv2DBackpropFilter on wasm over the non-zeros of a sparse input', () => {
  afterEach(() => {
    setSparseFilterGradDensity(null);
    setSparseConvDensity(null);
    setFilterGradChunkBytes(null);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  CASES.forEach((c, index) => {
    for (const graded of [false, true]) {
      it(`equals float64 (${graded ? 'pooled spikes' : 'spikes'}, 15 %): ${caseName(c)}`, async () => {
        const x = sparseInput(sizeOf(c.xShape), 0.15, 30 + index, graded);
        const dy = randomArray(sizeOf(dyShapeOf(c)), 40 + index);
        const [dW, sparse] = await gradAndPath(c, x, dy);
        expect(sparse).toBeTrue();
        expect(relativeMaxError(dW, referenceFilterGrad(c, x, dy))).toBeLessThanOrEqual(1e-5);
      });
    }
  });

  it('sums chunks of one, two and three images (the listing is per chunk)', async () => {
    const c: GradCase = {xShape: [7, 6, 5, 8], kernel: [3, 3], outChannels: 44, strides: 1, pad: 'same'};
    const x = sparseInput(sizeOf(c.xShape), 0.2, 50);
    const dy = randomArray(sizeOf(dyShapeOf(c)), 51);
    const expected = referenceFilterGrad(c, x, dy);
    const imageBytes = sizeOf(c.xShape.slice(1)) * 4;
    for (const images of [1, 2, 3]) {
      setFilterGradChunkBytes(images * imageBytes);
      const [dW, sparse] = await gradAndPath(c, x, dy);
      expect(sparse).toBeTrue();
      expect(relativeMaxError(dW, expected)).withContext(`${images} image(s) a chunk`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('gives zeros for an all-zero input, and hands dense inputs, Cout % 4 ≠ 0 and no SIMD to the convolution path', async () => {
    const c = CASES[0];
    const dy = randomArray(sizeOf(dyShapeOf(c)), 60);
    const zeros = new Float32Array(sizeOf(c.xShape));
    const [dW0, sparse0] = await gradAndPath(c, zeros, dy);
    expect(sparse0).toBeTrue();
    expect(dW0.every(v => v === 0)).toBeTrue();

    const dense = randomArray(sizeOf(c.xShape), 61);
    const [dWDense, sparseDense] = await gradAndPath(c, dense, dy);
    expect(sparseDense).toBeFalse();
    expect(relativeMaxError(dWDense, referenceFilterGrad(c, dense, dy))).toBeLessThanOrEqual(1e-5);

    const odd: GradCase = {...c, outChannels: 6};
    const x = sparseInput(sizeOf(odd.xShape), 0.1, 62);
    const dyOdd = randomArray(sizeOf(dyShapeOf(odd)), 63);
    const [dWOdd, sparseOdd] = await gradAndPath(odd, x, dyOdd);
    expect(sparseOdd).toBeFalse();
    expect(relativeMaxError(dWOdd, referenceFilterGrad(odd, x, dyOdd))).toBeLessThanOrEqual(1e-5);

    const previous = runtime.setSimdKernelsEnabled(false);
    try {
      const [dWNoSimd, sparseNoSimd] = await gradAndPath(c, x, dy);
      expect(sparseNoSimd).toBeFalse();
      expect(relativeMaxError(dWNoSimd, referenceFilterGrad(c, x, dy))).toBeLessThanOrEqual(1e-5);
    } finally {
      runtime.setSimdKernelsEnabled(previous);
    }
  });

  it('takes inputs up to 50 % non-zero, and images (at most 3 channels) that the convolution path would not', async () => {
    const c: GradCase = {xShape: [4, 10, 10, 10], kernel: [3, 3], outChannels: 8, strides: 1, pad: 'same'};
    const dy = randomArray(sizeOf(dyShapeOf(c)), 70);
    const size = sizeOf(c.xShape);
    // Exactly k non-zeros: the first k values, shuffled by a fixed permutation.
    const withNonZeros = (k: number, value: number) => {
      const x = new Float32Array(size);
      for (let i = 0; i < k; i++) x[(i * 397) % size] = value;
      return x;
    };
    const sparse = async (gradCase: GradCase, x: Float32Array, dyValues = dy): Promise<boolean> => {
      const [dW, path] = await gradAndPath(gradCase, x, dyValues);
      expect(relativeMaxError(dW, referenceFilterGrad(gradCase, x, dyValues))).toBeLessThanOrEqual(1e-5);
      return path;
    };
    for (const value of [1, 0.5]) {
      expect(await sparse(c, withNonZeros(0.5 * size, value))).toBeTrue();
      expect(await sparse(c, withNonZeros(0.5 * size + 1, value))).toBeFalse();
    }
    // Images (at most 3 channels): over the non-zeros where the convolution path's Conv2D would not be.
    for (const channels of [1, 3, 4]) {
      const image: GradCase = {...c, xShape: [2, 10, 10, channels]};
      const imageDy = randomArray(sizeOf(dyShapeOf(image)), 75);
      const dense = randomArray(sizeOf(image.xShape), 71 + channels);
      expect(await sparse(image, dense, imageDy))
        .withContext(`${channels} channels, all non-zero`)
        .toBe(channels <= 3);
      const spikes = sparseInput(sizeOf(image.xShape), 0.2, 76 + channels);
      expect(await sparse(image, spikes, imageDy))
        .withContext(`${channels} channels, 20 % spikes`)
        .toBe(channels > 3);
      setSparseConvDensity(0.1);
      expect(await sparse(image, spikes, imageDy))
        .withContext(`${channels} channels, 20 % spikes, the convolution over non-zeros up to 10 %`)
        .toBeTrue();
      setSparseConvDensity(null);
    }
  });

  it("keeps tf.memory() and the heap's data flat, and trains a conv through tf.grad", async () => {
    await tf.setBackend('wasm');
    const heapData = () => (tf.backend() as unknown as {dataIdMap: {numDataIds(): number}}).dataIdMap.numDataIds();
    const c: GradCase = {xShape: [4, 8, 8, 8], kernel: [3, 3], outChannels: 16, strides: 1, pad: 'same'};
    const xValues = sparseInput(sizeOf(c.xShape), 0.1, 80);
    const x = tf.tensor4d(xValues, c.xShape);
    const w = tf.tensor4d(randomArray(3 * 3 * 8 * 16, 81), [3, 3, 8, 16]);
    const calls = sparseFilterGradCalls();
    const step = () => tf.dispose(tf.grads((ws: tf.Tensor) => tf.sum(tf.conv2d(x, ws as tf.Tensor4D, 1, 'same')))([w]));
    step();
    const before = tf.memory();
    const dataBefore = heapData();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(heapData()).toBe(dataBefore);
    expect(sparseFilterGradCalls()).toBe(calls + 4);
    // d/dW Σ conv(x, W) is the filter gradient of dy = 1.
    const [dW] = tf.grads((ws: tf.Tensor) => tf.sum(tf.conv2d(x, ws as tf.Tensor4D, 1, 'same')))([w]);
    const ones = new Float32Array(sizeOf(dyShapeOf(c))).fill(1);
    expect(relativeMaxError(dW.dataSync() as Float32Array, referenceFilterGrad(c, xValues, ones))).toBeLessThanOrEqual(
      1e-5
    );
    tf.dispose([x, w, dW]);
  });

  it('names a bad density', () => {
    expect(() => setSparseFilterGradDensity(-0.1)).toThrowError(
      /setSparseFilterGradDensity: density must be a number in \[0, 1\] or null; got -0\.1/
    );
    expect(() => setSparseFilterGradDensity(NaN)).toThrowError(/got NaN/);
  });
});
