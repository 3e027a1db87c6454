import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {lifInto} from '../cpu/lif';
import {LIF, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {lifForwardOn, lifForwardProgram, lifProgramAttrs, lifRows} from './simd/lif_program';
import {runParts} from './simd/program_workers';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {heapMemory, heapOutputsAndViews} from './wasm_backend';

/**
 * Forward LIF writing its outputs in place on the wasm heap (no copies): the SIMD program (simd/lif_program.ts)
 * where the engine has WebAssembly SIMD and the heap is reachable, else the cpu kernel's loops.
 */
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
  const dims = lifDims(currents.shape);
  const memory = simdKernelsAvailable() ? heapMemory(backend, input) : null;
  if (memory != null) {
    const lifAttrs = lifProgramAttrs(attrs as unknown as LifAttrs, leaks, thresholds);
    const [x, v0, leakAt, thresholdAt, s, v] = [input, initial, leaks, thresholds, spikes, membrane].map(
      view => view.byteOffset
    );
    // Batch rows are independent: on a shared heap with program workers each thread takes a range of them.
    const parts = lifRows(memory, dims).map(({rows, train, state}) => [
      ...[x + train, v0 + state, leakAt, thresholdAt, s + train, v + state],
      ...[rows, dims.time, dims.features],
    ]);
    runParts(memory, lifForwardProgram(memory, lifAttrs, dims.time), lifForwardOn(memory, lifAttrs, dims.time), parts);
    return outputs;
  }
  membrane.set(initial);
  lifInto(input, {leak: leaks, threshold: thresholds}, dims, attrs as unknown as LifAttrs, {
    spikes,
    membrane,
  });
  return outputs;
};

export const lifWasmConfig: KernelConfig = {kernelName: LIF, backendName: 'wasm', kernelFunc: lifWasm};
