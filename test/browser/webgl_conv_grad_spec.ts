import * as tf from '@tensorflow/tfjs-core';

import {replacedKernel} from '../../kernels/replace_kernel';
import {conv2dBackpropFilterWebGLConfig} from '../../kernels/webgl/conv2d_backprop_filter';
import {chunkPlan} from '../../kernels/webgl/conv2d_backprop_filter_gpu';
import {registerAll} from '../../kernels/register';
import '../../src/index';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {caseName, dyShapeOf, GradCase, referenceFilterGrad, Shape4, sizeOf} from '../shared/conv_reference';
import {useWebGL} from './setup';

const CASES: GradCase[] = [
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
const LARGE_CASES: GradCase[] = [
  {xShape: [16, 14, 14, 32], kernel: [3, 3], outChannels: 64, strides: 1, pad: 'same'},
  {xShape: [32, 15, 13, 3], kernel: [3, 3], outChannels: 8, strides: 1, pad: 'same'},
];

function filterShapeOf(c: GradCase): Shape4 {
  return [...c.kernel, c.xShape[3], c.outChannels];
}

function filterGrad(x: tf.Tensor, dy: tf.Tensor, c: GradCase, dataFormat = 'NHWC'): tf.Tensor {
  const attrs = {strides: c.strides, pad: c.pad, dataFormat, filterShape: filterShapeOf(c)};
  return tf.engine().runKernel('Conv2DBackpropFilter', {x, dy}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Conv2DBackpropFilter on webgl for the case's x and dy, x and dy made by packed ops as in a model. */
async function filterGradOnWebGL(c: GradCase, x: Float32Array, dy: Float32Array): Promise<Float32Array> {
  const dW = tf.tidy(() => {
    const xt = tf.add(tf.tensor4d(x, c.xShape), 0);
    const dyt = tf.add(tf.tensor4d(dy, dyShapeOf(c)), 0);
    return filterGrad(xt, dyt, c);
  });
  const values = (await dW.data()) as Float32Array;
  dW.dispose();
  return values;
}

async function expectMatchesReference(c: GradCase, seed: number): Promise<void> {
  const x = randomArray(sizeOf(c.xShape), seed);
  const dy = randomArray(sizeOf(dyShapeOf(c)), seed + 1);
  const expected = referenceFilterGrad(c, x, dy);
  const actual = await filterGradOnWebGL(c, x, dy);
  expect(actual.length).toBe(expected.length);
  expect(relativeMaxError(actual, expected)).toBeLessThanOrEqual(1e-5);
}

/**
 * Registers our kernel over a spy of the built-in for the duration of `body`: the spy's calls
 * are the cases handed to the built-in.
 */
async function withBuiltInSpy(body: (builtIn: jasmine.Spy) => Promise<void>): Promise<void> {
  const ours = tf.getKernel('Conv2DBackpropFilter', 'webgl')!;
  const builtIn = replacedKernel(ours)!;
  const spy = jasmine.createSpy('built-in Conv2DBackpropFilter', builtIn.kernelFunc).and.callThrough();
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgl');
  tf.registerKernel(conv2dBackpropFilterWebGLConfig({...builtIn, kernelFunc: spy}));
  try {
    await body(spy);
  } finally {
    tf.unregisterKernel('Conv2DBackpropFilter', 'webgl');
    tf.registerKernel(ours);
  }
}

/** x [n, h, w, c] values in NCHW order. */
function toNCHW(values: Float32Array, [n, h, w, c]: number[]): Float32Array {
  return tf.tidy(() => tf.transpose(tf.tensor4d(values, [n, h, w, c]), [0, 3, 1, 2]).dataSync() as Float32Array);
}

for (const pack of [true, false]) {
  describe(`Conv2DBackpropFilter on webgl (split-K) against the float64 reference (WEBGL_PACK=${pack})`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
      registerAll();
    });

    CASES.forEach((c, index) => {
      it(caseName(c), async () => {
        await expectMatchesReference(c, 100 + index);
      });
    });

    LARGE_CASES.forEach((c, index) => {
      it(`${caseName(c)} (${
        chunkPlan(tf.backend_util.computeConv2DInfo(c.xShape, filterShapeOf(c), c.strides, 1, c.pad)).chunks
      } chunks)`, async () => {
        await expectMatchesReference(c, 200 + index);
      });
    });
  });
}

describe('Conv2DBackpropFilter on webgl: replacement', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
    registerAll();
  });

  it("replaces webgl's own kernel once", () => {
    const ours = tf.getKernel('Conv2DBackpropFilter', 'webgl')!;
    expect(replacedKernel(ours)).not.toBeNull();
    registerAll();
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgl')).toBe(ours);
  });

  it('cuts the large cases into many chunks and small ones into one', () => {
    for (const c of LARGE_CASES) {
      expect(
        chunkPlan(tf.backend_util.computeConv2DInfo(c.xShape, filterShapeOf(c), c.strides, 1, c.pad)).chunks
      ).toBeGreaterThan(4);
    }
    const small = CASES[0];
    expect(chunkPlan(tf.backend_util.computeConv2DInfo(small.xShape, filterShapeOf(small), 1, 1, 'same')).chunks).toBe(
      1
    );
  });

  it('runs NHWC itself and hands NCHW to the built-in, which gives the same dW', async () => {
    const c: GradCase = {xShape: [2, 7, 6, 3], kernel: [3, 3], outChannels: 4, strides: 2, pad: 'same'};
    const x = randomArray(sizeOf(c.xShape), 41);
    const dy = randomArray(sizeOf(dyShapeOf(c)), 42);
    const expected = referenceFilterGrad(c, x, dy);
    await withBuiltInSpy(async builtIn => {
      expect(relativeMaxError(await filterGradOnWebGL(c, x, dy), expected)).toBeLessThanOrEqual(1e-5);
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
      expect(relativeMaxError(await dW.data(), expected)).toBeLessThanOrEqual(1e-5);
      dW.dispose();
      expect(builtIn).toHaveBeenCalledTimes(1);
    });
  });

  it('hands WebGL 1 to the built-in (its GLSL has no loops with bounds set at run time)', async () => {
    const c: GradCase = {xShape: [2, 5, 5, 2], kernel: [3, 3], outChannels: 3, strides: 1, pad: 'same'};
    const x = randomArray(sizeOf(c.xShape), 61);
    const dy = randomArray(sizeOf(dyShapeOf(c)), 62);
    const version = tf.env().getNumber('WEBGL_VERSION');
    await withBuiltInSpy(async builtIn => {
      // The built-in is not run: its shaders would be compiled for WebGL 1 on this WebGL 2 context.
      builtIn.and.throwError(new Error('the built-in kernel ran'));
      tf.env().set('WEBGL_VERSION', 1);
      try {
        expect(() =>
          tf.tidy(() => filterGrad(tf.tensor4d(x, c.xShape), tf.tensor4d(dy, dyShapeOf(c)), c))
        ).toThrowError('the built-in kernel ran');
      } finally {
        tf.env().set('WEBGL_VERSION', version);
      }
      expect(builtIn).toHaveBeenCalledTimes(1);
    });
  });

  it('is what tf.grad of tf.conv2d with respect to the filter runs', async () => {
    const c: GradCase = {xShape: [3, 9, 8, 3], kernel: [3, 3], outChannels: 6, strides: 1, pad: 'same'};
    const x = randomArray(sizeOf(c.xShape), 51);
    const r = randomArray(sizeOf(dyShapeOf(c)), 52);
    const expected = referenceFilterGrad(c, x, r); // d Σ(conv(x, W)·r) / dW
    await withBuiltInSpy(async builtIn => {
      const dW = tf.tidy(() => {
        const xt = tf.tensor4d(x, c.xShape);
        const rt = tf.tensor4d(r, dyShapeOf(c));
        const loss = (w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt, w as tf.Tensor4D, 1, 'same'), rt));
        return tf.grad(loss)(tf.zeros(filterShapeOf(c)));
      });
      expect(relativeMaxError(await dW.data(), expected)).toBeLessThanOrEqual(1e-5);
      dW.dispose();
      expect(builtIn).not.toHaveBeenCalled();
    });
  });

  it('is never asked for dilations > 1: tfjs-core refuses the gradient of a dilated conv2d', () => {
    const x = tf.ones([1, 6, 6, 1]);
    const grad = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2)));
    expect(() => grad(tf.ones([3, 3, 1, 1]))).toThrowError(/dilation/);
    x.dispose();
  });

  for (const c of [CASES[0], LARGE_CASES[1]]) {
    it(`keeps numTensors and the backend's data flat over forward+backward: ${caseName(c)}`, async () => {
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
    });
  }
});
