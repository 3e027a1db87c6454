/**
 * Registers every tfjs-snn kernel and gradient. Idempotent, so loading two
 * copies of the package (ESM + CJS) does not warn about duplicates. Called on
 * import and again when a spiking layer is built, so that kernels which replace
 * a backend's own (wasm's Conv2DBackpropInput) also apply when that backend was
 * imported after this package.
 */
import {
  getGradient, getKernel, KernelConfig, registerGradient, registerKernel, unregisterKernel,
} from '@tensorflow/tfjs-core';

import {lifCpuConfig} from './cpu/lif';
import {lifGradCpuConfig} from './cpu/lif_grad';
import {lifGradientConfig} from './lif_gradient';
import {lifWebGLConfig} from './webgl/lif';
import {lifGradWebGLConfig} from './webgl/lif_grad';
import {conv2dBackpropFilterWasmConfig} from './wasm/conv2d_backprop_filter';
import {conv2dBackpropInputWasmConfig, replacedKernel} from './wasm/conv2d_backprop_input';
// BNTT training kernels (cpu, wasm) and their gradient.
import {bnttTrainGradientConfig} from './bntt_gradient';
import {bnttTrainCpuConfig} from './cpu/bntt_train';
import {bnttTrainGradCpuConfig} from './cpu/bntt_train_grad';
import {bnttTrainWasmConfig} from './wasm/bntt_train';
import {bnttTrainGradWasmConfig} from './wasm/bntt_train_grad';
import {lifWasmConfig} from './wasm/lif';
import {lifGradWasmConfig} from './wasm/lif_grad';

export {ensureCompositeKernels} from './composite/register_composite';

const KERNELS: KernelConfig[] = [
  lifCpuConfig, lifGradCpuConfig, lifWebGLConfig, lifGradWebGLConfig, lifWasmConfig, lifGradWasmConfig,
  // wasm (tfjs 4.22) has no Conv2DBackpropFilter; like every entry, registered only while none exists.
  conv2dBackpropFilterWasmConfig,
  // BNTT training: fused batch statistics where reductions over non-innermost axes are slow.
  bnttTrainCpuConfig, bnttTrainGradCpuConfig, bnttTrainWasmConfig, bnttTrainGradWasmConfig,
];

export function registerAll(): void {
  for (const config of KERNELS) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
  replaceWasmBackpropInput();
  if (getGradient(lifGradientConfig.kernelName) == null) registerGradient(lifGradientConfig);
  if (getGradient(bnttTrainGradientConfig.kernelName) == null) registerGradient(bnttTrainGradientConfig);
}

registerAll();

/** wasm's own Conv2DBackpropInput is a plain loop: put the XNNPACK one in front of it, once it is registered. */
function replaceWasmBackpropInput(): void {
  const builtIn = getKernel('Conv2DBackpropInput', 'wasm');
  if (builtIn == null || replacedKernel(builtIn) != null) return;
  unregisterKernel('Conv2DBackpropInput', 'wasm');
  registerKernel(conv2dBackpropInputWasmConfig(builtIn));
}
