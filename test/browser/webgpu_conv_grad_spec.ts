import * as tf from '@tensorflow/tfjs-core';

import {replacedKernel} from '../../kernels/replace_kernel';
import {conv2dBackpropFilterWebGPUConfig} from '../../kernels/webgpu/conv2d_backprop_filter';
import {registerAll} from '../../kernels/register';
import '../../src/index';
import {
  chunksOf,
  expectConvGradLeakFree,
  expectConvGradRunsOurs,
  expectFilterGradMatchesReference,
  expectNchwHandedToBuiltIn,
  FILTER_GRAD_CASES,
  LARGE_FILTER_GRAD_CASES,
} from '../shared/conv_grad_check';
import {caseName} from '../shared/conv_reference';
import {onWebGPU} from './setup';

// The webgl conv gradient suite's checks on tfjs-backend-webgpu (Chromium with --enable-unsafe-webgpu,
// SwiftShader's Vulkan adapter); pending with the reason where WebGPU cannot be created.

describe('Conv2DBackpropFilter on webgpu (split-K) against the float64 reference', () => {
  onWebGPU();
  beforeAll(() => registerAll()); // tfjs-backend-webgpu is imported by onWebGPU, after the package

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

describe('Conv2DBackpropFilter on webgpu: replacement', () => {
  onWebGPU();
  beforeAll(() => registerAll());

  it("replaces webgpu's own kernel once", () => {
    const ours = tf.getKernel('Conv2DBackpropFilter', 'webgpu')!;
    expect(replacedKernel(ours)).not.toBeNull();
    registerAll();
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')).toBe(ours);
  });

  it('runs NHWC itself and hands NCHW to the built-in, which gives the same dW', async () => {
    await expectNchwHandedToBuiltIn('webgpu', conv2dBackpropFilterWebGPUConfig);
  });

  it('is what tf.grad of tf.conv2d with respect to the filter runs', async () => {
    await expectConvGradRunsOurs('webgpu', conv2dBackpropFilterWebGPUConfig);
  });

  for (const c of [FILTER_GRAD_CASES[0], LARGE_FILTER_GRAD_CASES[1]]) {
    it(`keeps numTensors and the backend's data flat over forward+backward: ${caseName(c)}`, async () => {
      await expectConvGradLeakFree(c);
    });
  }
});
