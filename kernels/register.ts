/**
 * Registers every tfjs-snn kernel and gradient. Idempotent, so loading two
 * copies of the package (ESM + CJS) does not warn about duplicates.
 */
import {getGradient, getKernel, KernelConfig, registerGradient, registerKernel} from '@tensorflow/tfjs-core';

import {lifCpuConfig} from './cpu/lif';
import {lifGradCpuConfig} from './cpu/lif_grad';
import {lifGradientConfig} from './lif_gradient';
import {lifWebGLConfig} from './webgl/lif';
import {lifGradWebGLConfig} from './webgl/lif_grad';

export {ensureCompositeKernels} from './composite/register_composite';

const KERNELS: KernelConfig[] = [lifCpuConfig, lifGradCpuConfig, lifWebGLConfig, lifGradWebGLConfig];

export function registerAll(): void {
  for (const config of KERNELS) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
  if (getGradient(lifGradientConfig.kernelName) == null) registerGradient(lifGradientConfig);
}

registerAll();
