import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import '../../src/index'; // replaces wasm's AvgPoolGrad
import {replacedKernel} from '../../kernels/replace_kernel';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import {randomArray, relativeMaxError} from '../reference/lif_reference';

type Shape4 = [number, number, number, number];

/** dx of a 'valid' average pool, in float64: each window's dy / (ph·pw) added to every pixel of the window. */
function referenceGrad(xShape: Shape4, pool: [number, number], strides: [number, number], dy: Float32Array) {
  const [n, h, w, c] = xShape;
  const [ph, pw] = pool;
  const outH = Math.floor((h - ph) / strides[0]) + 1;
  const outW = Math.floor((w - pw) / strides[1]) + 1;
  const dx = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < outH; p++) {
      for (let q = 0; q < outW; q++) {
        for (let i = 0; i < ph; i++) {
          for (let j = 0; j < pw; j++) {
            const [r, col] = [p * strides[0] + i, q * strides[1] + j];
            for (let k = 0; k < c; k++) {
              dx[((b * h + r) * w + col) * c + k] += dy[((b * outH + p) * outW + q) * c + k] / (ph * pw);
            }
          }
        }
      }
    }
  }
  return {dx, dyShape: [n, outH, outW, c] as Shape4};
}

function gradOnWasm(xShape: Shape4, pool: [number, number], strides: [number, number], dyValues: Float32Array) {
  return tf.tidy(() => {
    const x = tf.zeros(xShape) as tf.Tensor4D;
    const {dyShape} = referenceGrad(xShape, pool, strides, dyValues);
    const dy = tf.tensor4d(dyValues, dyShape);
    return tf
      .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, pool, strides, 'valid'), dy)))(x)
      .dataSync();
  });
}

describe('AvgPoolGrad on wasm (SIMD for windows that tile the input)', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("replaces wasm's own kernel once", () => {
    const ours = tf.getKernel('AvgPoolGrad', 'wasm')!;
    expect(replacedKernel(ours)).not.toBeNull();
    expect(replacedKernel(replacedKernel(ours)!)).toBeNull();
  });

  // Channels 1, 3 (lanes only), 4, 6, 32 (vectors and lanes); sides divisible or not (rows/cols left at zero).
  const cases: Array<{x: Shape4; pool: [number, number]}> = [
    {x: [2, 6, 6, 3], pool: [2, 2]},
    {x: [1, 7, 9, 5], pool: [2, 2]},
    {x: [3, 6, 8, 1], pool: [3, 2]},
    {x: [2, 4, 4, 32], pool: [2, 2]},
    {x: [1, 5, 5, 6], pool: [5, 5]},
    {x: [2, 9, 4, 4], pool: [1, 2]},
  ];
  for (const c of cases) {
    it(`matches the float64 reference and runs the program: x [${c.x}], pool ${c.pool.join('×')}`, () => {
      const spy = spyOn(runtime, 'simdFunction').and.callThrough();
      const {dyShape} = referenceGrad(c.x, c.pool, c.pool, new Float32Array(0));
      const dy = randomArray(
        dyShape.reduce((a, b) => a * b, 1),
        31 + c.x[3],
        -1,
        1
      );
      const got = gradOnWasm(c.x, c.pool, c.pool, dy);
      expect(relativeMaxError(got, referenceGrad(c.x, c.pool, c.pool, dy).dx)).toBeLessThan(1e-6);
      expect(spy.calls.allArgs().some(args => String(args[1]).startsWith('avgPoolGrad|'))).toBe(true);
    });
  }

  it('hands overlapping windows to the built-in kernel (same result as the float64 reference)', () => {
    const spy = spyOn(runtime, 'simdFunction').and.callThrough();
    const xShape: Shape4 = [2, 7, 7, 3];
    const {dyShape} = referenceGrad(xShape, [3, 3], [2, 2], new Float32Array(0));
    const dy = randomArray(
      dyShape.reduce((a, b) => a * b, 1),
      5,
      -1,
      1
    );
    const got = gradOnWasm(xShape, [3, 3], [2, 2], dy);
    expect(relativeMaxError(got, referenceGrad(xShape, [3, 3], [2, 2], dy).dx)).toBeLessThan(1e-6);
    expect(spy).not.toHaveBeenCalled();
  });

  it('keeps tensors and heap data flat', () => {
    const backend = tf.backend() as unknown as {numDataIds(): number};
    const run = () => gradOnWasm([2, 6, 6, 3], [2, 2], [2, 2], randomArray(2 * 3 * 3 * 3, 1));
    run();
    const [tensors, buffers] = [tf.memory().numTensors, backend.numDataIds()];
    run();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
  });
});
