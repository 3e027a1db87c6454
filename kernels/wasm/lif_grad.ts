import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {lifGradInto} from '../cpu/lif_grad';
import {LIF_GRAD, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {lifGradOn} from './simd/lif_program';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {heapMemory, heapOutputsAndViews} from './wasm_backend';

/**
 * BPTT writing its outputs in place on the wasm heap: the SIMD program where the engine has WebAssembly SIMD and
 * the heap is reachable, else the cpu kernel's loops.
 */
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
  const dims = lifDims(currents.shape);
  const memory = simdKernelsAvailable() ? heapMemory(backend, current) : null;
  if (memory != null) {
    // The program adds each batch row's sums to the parameter gradients.
    dLeak.fill(0);
    dThreshold.fill(0);
    lifGradOn(memory, attrs as unknown as LifAttrs)(
      ...[current, initial, gradSpikes, gradMembrane, leaks, thresholds].map(v => v.byteOffset),
      ...[dCurrents, dInitialMembrane, dLeak, dThreshold].map(v => v.byteOffset),
      dims.batch,
      dims.time,
      dims.features
    );
    return outputs;
  }
  lifGradInto(
    {
      currents: current,
      initialMembrane: initial,
      dSpikes: gradSpikes,
      dMembrane: gradMembrane,
      leak: leaks,
      threshold: thresholds,
    },
    dims,
    attrs as unknown as LifAttrs,
    {dCurrents, dInitialMembrane, dLeak, dThreshold}
  );
  return outputs;
};

export const lifGradWasmConfig: KernelConfig = {kernelName: LIF_GRAD, backendName: 'wasm', kernelFunc: lifGradWasm};
