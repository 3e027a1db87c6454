import {engine, GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';

import {LIF, LIF_COMPOSITE, LIF_COMPOSITE_GRAD, LIF_GRAD} from './lif_attrs';

/**
 * The gradient of a forward LIF kernel is its BPTT kernel. Only the inputs are
 * saved: the backward kernel recomputes the membrane trace, which costs one
 * cheap extra scan and saves a [batch, time, ...features] buffer.
 */
function lifGradConfig(forwardKernel: string, backwardKernel: string): GradConfig {
  return {
    kernelName: forwardKernel,
    inputsToSave: ['currents', 'initialMembrane'],
    gradFunc: (dys: Tensor|Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [dSpikes, dMembrane] = dys as Tensor[];
      const [currents, initialMembrane] = saved;
      // Run once, eagerly: the engine calls each input's closure in its own tidy.
      const [dCurrents, dInitialMembrane] = engine().runKernel(
          backwardKernel, {dSpikes, dMembrane, currents, initialMembrane}, attrs) as Tensor[];
      return {currents: () => dCurrents, initialMembrane: () => dInitialMembrane};
    },
  };
}

export const lifGradientConfig = lifGradConfig(LIF, LIF_GRAD);
export const lifCompositeGradientConfig = lifGradConfig(LIF_COMPOSITE, LIF_COMPOSITE_GRAD);
