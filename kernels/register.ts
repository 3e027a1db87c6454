/**
 * Registers every tfjs-snn kernel and gradient. Idempotent, so loading two
 * copies of the package (ESM + CJS) does not warn about duplicates. Called on
 * import and again when a spiking layer is built, so that kernels which replace
 * a backend's own (wasm's Conv2DBackpropInput, BatchMatMul; webgl's and webgpu's
 * Conv2DBackpropFilter) also apply when that backend was imported after this package.
 */
import {
  getGradient,
  getKernel,
  KernelConfig,
  registerGradient,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';

import {lifCpuConfig} from './cpu/lif';
import {lifGradCpuConfig} from './cpu/lif_grad';
import {lifGradientConfig} from './lif_gradient';
import {lifWebGLConfig} from './webgl/lif';
import {lifGradWebGLConfig} from './webgl/lif_grad';
import {conv2dBackpropFilterWebGLConfig} from './webgl/conv2d_backprop_filter';
import {conv2dBackpropFilterWebGPUConfig} from './webgpu/conv2d_backprop_filter';
import {conv2dBackpropFilterWasmConfig} from './wasm/conv2d_backprop_filter';
import {batchMatMulWasmConfig} from './wasm/batch_mat_mul';
import {conv2dBackpropInputWasmConfig} from './wasm/conv2d_backprop_input';
import {identityWasmConfig} from './wasm/identity';
import {avgPoolGradWasmConfig} from './wasm/avg_pool_grad';
import {conv2dWasmConfig} from './wasm/conv2d';
import {replacedKernel} from './replace_kernel';
// BNTT training kernels (cpu, wasm, webgl, webgpu) and their gradient.
import {bnttTrainGradientConfig} from './bntt_gradient';
import {bnttTrainCpuConfig} from './cpu/bntt_train';
import {bnttTrainGradCpuConfig} from './cpu/bntt_train_grad';
import {bnttTrainWasmConfig} from './wasm/bntt_train';
import {bnttTrainGradWasmConfig} from './wasm/bntt_train_grad';
import {bnttTrainWebGLConfig} from './webgl/bntt_train';
import {bnttTrainGradWebGLConfig} from './webgl/bntt_train_grad';
import {lifWasmConfig} from './wasm/lif';
import {lifGradWasmConfig} from './wasm/lif_grad';
import {lifWebGPUConfig} from './webgpu/lif';
import {lifGradWebGPUConfig} from './webgpu/lif_grad';
import {bnttTrainWebGPUConfig} from './webgpu/bntt_train';
import {bnttTrainGradWebGPUConfig} from './webgpu/bntt_train_grad';

export {ensureCompositeKernels} from './composite/register_composite';

const KERNELS: KernelConfig[] = [
  lifCpuConfig,
  lifGradCpuConfig,
  lifWebGLConfig,
  lifGradWebGLConfig,
  lifWasmConfig,
  lifGradWasmConfig,
  lifWebGPUConfig,
  lifGradWebGPUConfig,
  // wasm (tfjs 4.22) has no Conv2DBackpropFilter; like every entry, registered only while none exists.
  conv2dBackpropFilterWasmConfig,
  // BNTT training: fused batch statistics where reductions over non-innermost axes are slow.
  bnttTrainCpuConfig,
  bnttTrainGradCpuConfig,
  bnttTrainWasmConfig,
  bnttTrainGradWasmConfig,
  bnttTrainWebGLConfig,
  bnttTrainGradWebGLConfig,
  bnttTrainWebGPUConfig,
  bnttTrainGradWebGPUConfig,
];

export function registerAll(): void {
  for (const config of KERNELS) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
  replaceBuiltIns();
  if (getGradient(lifGradientConfig.kernelName) == null) registerGradient(lifGradientConfig);
  if (getGradient(bnttTrainGradientConfig.kernelName) == null) registerGradient(bnttTrainGradientConfig);
}

/**
 * Kernels that replace a backend's own (wasm's Conv2DBackpropInput and transposed BatchMatMul are plain loops,
 * webgl's and webgpu's Conv2DBackpropFilter one long loop per filter element):
 * each is put in front of the built-in once that is registered, and hands it the cases it does not cover.
 */
const REPLACEMENTS: Array<{kernelName: string; backendName: string; make: (builtIn: KernelConfig) => KernelConfig}> = [
  {kernelName: 'Conv2DBackpropInput', backendName: 'wasm', make: conv2dBackpropInputWasmConfig},
  {kernelName: 'BatchMatMul', backendName: 'wasm', make: batchMatMulWasmConfig},
  // wasm's copies its input; tfjs saves every tensor a gradient needs through Identity (engine.clone).
  {kernelName: 'Identity', backendName: 'wasm', make: identityWasmConfig},
  // wasm's is a scalar loop over every window; ours spreads tiling windows with SIMD.
  {kernelName: 'AvgPoolGrad', backendName: 'wasm', make: avgPoolGradWasmConfig},
  // wasm's (XNNPACK) is dense; ours visits only the non-zeros of a sparse input (spikes), else hands it on.
  {kernelName: 'Conv2D', backendName: 'wasm', make: conv2dWasmConfig},
  // webgl's and webgpu's loop over every position per filter element; ours are split-K.
  {kernelName: 'Conv2DBackpropFilter', backendName: 'webgl', make: conv2dBackpropFilterWebGLConfig},
  {kernelName: 'Conv2DBackpropFilter', backendName: 'webgpu', make: conv2dBackpropFilterWebGPUConfig},
];

function replaceBuiltIns(): void {
  for (const {kernelName, backendName, make} of REPLACEMENTS) {
    const builtIn = getKernel(kernelName, backendName);
    if (builtIn == null || replacedKernel(builtIn) != null) continue;
    unregisterKernel(kernelName, backendName);
    registerKernel(make(builtIn));
  }
}

registerAll();
