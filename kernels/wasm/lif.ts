import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {lifInto} from '../cpu/lif';
import {LIF, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {heapOutputsAndViews} from './wasm_backend';

/** The cpu kernel's loops, writing their outputs in place on the wasm heap: O(T·N), no copies. */
export const lifWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const {
    outputs,
    views: [input, initial, leaks, thresholds, spikes, membrane],
  } = heapOutputsAndViews(
    backend,
    [currents, initialMembrane, leak, threshold],
    [currents.shape, initialMembrane.shape]
  );
  membrane.set(initial);
  lifInto(input, {leak: leaks, threshold: thresholds}, lifDims(currents.shape), attrs as unknown as LifAttrs, {
    spikes,
    membrane,
  });
  return outputs;
};

export const lifWasmConfig: KernelConfig = {kernelName: LIF, backendName: 'wasm', kernelFunc: lifWasm};
