import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {lifGradInto} from '../cpu/lif_grad';
import {LIF_GRAD, LifAttrs, needsParameterGradients} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {lifGradOn, lifGradProgram, lifProgramAttrs, lifRows} from './simd/lif_program';
import {runParts} from './simd/program_workers';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {heapMemory, heapOutputsAndViews} from './wasm_backend';

/**
 * BPTT writing its outputs in place on the wasm heap: the SIMD program where the engine has WebAssembly SIMD and
 * the heap is reachable, else the cpu kernel's loops.
 */
export const lifGradWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const {outputs, views} = heapOutputsAndViews(
    backend,
    [currents, initialMembrane, dSpikes, dMembrane, leak, threshold],
    [currents.shape, initialMembrane.shape, leak.shape, threshold.shape]
  );
  const [
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
  ] = views;
  const dims = lifDims(currents.shape);
  const memory = simdKernelsAvailable() ? heapMemory(backend, current) : null;
  if (memory != null) {
    const lifAttrs = lifProgramAttrs(attrs as unknown as LifAttrs, leaks, thresholds);
    // The program adds each batch row's sums to the parameter gradients.
    dLeak.fill(0);
    dThreshold.fill(0);
    const [x, v0, dS, dV, leakAt, thresholdAt, dX, dV0, dLeakAt, dThresholdAt] = views.map(view => view.byteOffset);
    // Batch rows are independent but for the parameter sums: without those, each thread takes a range of rows.
    const parts = lifRows(memory, dims, !needsParameterGradients(lifAttrs)).map(({rows, train, state}) => [
      ...[x + train, v0 + state, dS + train, dV + state, leakAt, thresholdAt],
      ...[dX + train, dV0 + state, dLeakAt, dThresholdAt],
      ...[rows, dims.time, dims.features],
    ]);
    runParts(memory, lifGradProgram(memory, lifAttrs, dims.time), lifGradOn(memory, lifAttrs, dims.time), parts);
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
