import {getGradient, getKernel, registerGradient, registerKernel} from '@tensorflow/tfjs-core';

import {lifCompositeGradientConfig} from '../lif_gradient';
import {LIF_COMPOSITE, LIF_COMPOSITE_GRAD} from '../lif_attrs';
import {lifComposite} from './lif';
import {lifGradComposite} from './lif_grad';

/**
 * Registers the core-op LIF kernels for `backendName`. Called on demand, so the
 * composite serves any backend, including ones this package does not know.
 */
export function ensureCompositeKernels(backendName: string): void {
  if (getKernel(LIF_COMPOSITE, backendName) == null) {
    registerKernel({kernelName: LIF_COMPOSITE, backendName, kernelFunc: lifComposite});
  }
  if (getKernel(LIF_COMPOSITE_GRAD, backendName) == null) {
    registerKernel({kernelName: LIF_COMPOSITE_GRAD, backendName, kernelFunc: lifGradComposite});
  }
  if (getGradient(LIF_COMPOSITE) == null) registerGradient(lifCompositeGradientConfig);
}
