import * as tf from '@tensorflow/tfjs-core';

import {replacedKernel} from '../../kernels/replace_kernel';
import {conv2dBackpropFilterWebGLConfig} from '../../kernels/webgl/conv2d_backprop_filter';
import {registerAll} from '../../kernels/register';
import '../../src/index';
import {randomArray} from '../reference/lif_reference';
import {
  chunksOf,
  expectConvGradLeakFree,
  expectConvGradRunsOurs,
  expectFilterGradMatchesReference,
  expectNchwHandedToBuiltIn,
  FILTER_GRAD_CASES,
  filterGrad,
  LARGE_FILTER_GRAD_CASES,
  withBuiltInSpy,
} from '../shared/conv_grad_check';
import {caseName, dyShapeOf, GradCase, sizeOf} from '../shared/conv_reference';
import {useWebGL} from './setup';

for (const pack of [true, false]) {
  describe(`Conv2DBackpropFilter on webgl (split-K) against the float64 reference (WEBGL_PACK=${pack})`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
      registerAll();
    });

    FILTER_GRAD_CASES.forEach((c, index) => {
      it(caseName(c), async () => {
        await expectFilterGradMatchesReference(c, 100 + index);
      });
    });

    LARGE_FILTER_GRAD_CASES.forEach((c, index) => {
      it(`${caseName(c)} (${chunksOf(c)} chunks)`, async () => {
        await expectFilterGradMatchesReference(c, 200 + index);
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
    for (const c of LARGE_FILTER_GRAD_CASES) expect(chunksOf(c)).toBeGreaterThan(4);
    expect(chunksOf(FILTER_GRAD_CASES[0])).toBe(1);
  });

  it('runs NHWC itself and hands NCHW to the built-in, which gives the same dW', async () => {
    await expectNchwHandedToBuiltIn('webgl', conv2dBackpropFilterWebGLConfig);
  });

  it('hands WebGL 1 to the built-in (its GLSL has no loops with bounds set at run time)', async () => {
    const c: GradCase = {xShape: [2, 5, 5, 2], kernel: [3, 3], outChannels: 3, strides: 1, pad: 'same'};
    const x = randomArray(sizeOf(c.xShape), 61);
    const dy = randomArray(sizeOf(dyShapeOf(c)), 62);
    const version = tf.env().getNumber('WEBGL_VERSION');
    await withBuiltInSpy('webgl', conv2dBackpropFilterWebGLConfig, async builtIn => {
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
    await expectConvGradRunsOurs('webgl', conv2dBackpropFilterWebGLConfig);
  });

  it('is never asked for dilations > 1: tfjs-core refuses the gradient of a dilated conv2d', () => {
    const x = tf.ones([1, 6, 6, 1]);
    const grad = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2)));
    expect(() => grad(tf.ones([3, 3, 1, 1]))).toThrowError(/dilation/);
    x.dispose();
  });

  for (const c of [FILTER_GRAD_CASES[0], LARGE_FILTER_GRAD_CASES[1]]) {
    it(`keeps numTensors and the backend's data flat over forward+backward: ${caseName(c)}`, async () => {
      await expectConvGradLeakFree(c);
    });
  }
});
