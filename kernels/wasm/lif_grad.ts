import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {lifGradInto} from '../cpu/lif_grad';
import {LIF_GRAD, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {heapOutputsAndViews} from './wasm_backend';

/** The cpu kernel's BPTT loops, writing their outputs in place on the wasm heap. */
export const lifGradWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const {
    outputs,
    views: [
      current,
      initial,
      gradSpikes,
      gradMembrane,
      leaks,
      thresholds,
      dCurrents,
      dInitialMembrane,
      dLeak,
      dThreshold,
    ],
  } = heapOutputsAndViews(
    backend,
    [currents, initialMembrane, dSpikes, dMembrane, leak, threshold],
    [currents.shape, initialMembrane.shape, leak.shape, threshold.shape]
  );
  lifGradInto(
    {
      currents: current,
      initialMembrane: initial,
      dSpikes: gradSpikes,
      dMembrane: gradMembrane,
      leak: leaks,
      threshold: thresholds,
    },
    lifDims(currents.shape),
    attrs as unknown as LifAttrs,
    {dCurrents, dInitialMembrane, dLeak, dThreshold}
  );
  return outputs;
};

export const lifGradWasmConfig: KernelConfig = {kernelName: LIF_GRAD, backendName: 'wasm', kernelFunc: lifGradWasm};
