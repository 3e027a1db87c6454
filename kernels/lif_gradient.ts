import {engine, GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';

import {LIF, LIF_COMPOSITE, LIF_COMPOSITE_GRAD, LIF_GRAD} from './lif_attrs';
import {markWritableGradient} from './writable_gradients';

/**
 * tfjs frees the tensors its gradient tape saved (every op's inputs kept for the backward pass) only when
 * backpropagation succeeds; a gradient that throws would leave them all allocated. Frees them as tfjs
 * does, at the outermost gradient only (an enclosing tf.grad still owns the tape above it).
 */
export function releaseTape(): void {
  const state = engine().state;
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) for (const tensor of node.saved ?? []) tensor.dispose();
  state.activeTape = null as never;
}

/**
 * The gradient of a forward LIF kernel is its BPTT kernel, which returns the gradients of all four inputs
 * (currents, V_0, and the per-feature leak and threshold, summed over batch and time). The inputs are saved,
 * and a third output where the forward kernel returns one (webgl: the membrane trace, which its backward
 * kernel takes as the input `trace` instead of recomputing it); the other kernels recompute the trace, one
 * cheap extra scan, and keep no [batch, time, ...features] buffer between the passes.
 */
function lifGradConfig(forwardKernel: string, backwardKernel: string, writable: boolean): GradConfig {
  return {
    kernelName: forwardKernel,
    inputsToSave: ['currents', 'initialMembrane', 'leak', 'threshold'],
    outputsToSave: [false, false, true],
    gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [dSpikes, dMembrane] = dys as Tensor[];
      const [currents, initialMembrane, leak, threshold, trace] = saved;
      const inputs = {dSpikes, dMembrane, currents, initialMembrane, leak, threshold, ...(trace != null && {trace})};
      // Run once, eagerly: the engine calls each input's closure in its own tidy.
      let grads: Tensor[];
      try {
        grads = engine().runKernel(backwardKernel, inputs, attrs) as Tensor[];
      } catch (error) {
        // A custom surrogate that throws or returns a bad value, or a failing backend kernel.
        releaseTape();
        throw error;
      }
      const [dCurrents, dInitialMembrane, dLeak, dThreshold] = grads;
      // The fused kernels' dCurrents is a new buffer, returned for `currents` only: the op that produced the
      // currents (BNTT) may write over it. (The composite's is made of core ops, which promise nothing of the kind.)
      if (writable) markWritableGradient(dCurrents, currents);
      return {
        currents: () => dCurrents,
        initialMembrane: () => dInitialMembrane,
        leak: () => dLeak,
        threshold: () => dThreshold,
      };
    },
  };
}

export const lifGradientConfig = lifGradConfig(LIF, LIF_GRAD, true);
export const lifCompositeGradientConfig = lifGradConfig(LIF_COMPOSITE, LIF_COMPOSITE_GRAD, false);
