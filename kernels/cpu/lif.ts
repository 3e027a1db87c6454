import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF, LifAttrs} from '../lif_attrs';
import {LifDims, lifDims} from '../lif_dims';
import {cpuIO} from './cpu_backend';
import {LifParams, scanRow} from './lif_scan';
import {lifForwardOn, lifProgramAttrs} from '../wasm/simd/lif_program';
import {runOnScratch, simdKernelsAvailable} from '../wasm/simd/simd_runtime';

/** The arrays forward LIF writes: every spike, and the membrane (V_0 on entry, V_T on exit). */
export interface LifOutputs {
  spikes: Float32Array;
  membrane: Float32Array;
}

/** Forward LIF over the whole train with typed-array loops (served to cpu and, on the heap, to wasm). */
export function lifInto(
  currents: Float32Array,
  params: LifParams,
  dims: LifDims,
  lifAttrs: LifAttrs,
  out: LifOutputs
): void {
  const {batch, time, features} = dims;
  for (let b = 0; b < batch; b++) {
    const row = out.membrane.subarray(b * features, (b + 1) * features);
    scanRow(currents, b * time * features, time, row, params, lifAttrs, null, out.spikes);
  }
}

export const lifCpu: KernelFunc = ({inputs, backend, attrs}) => {
  const io = cpuIO(backend);
  const {currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const input = io.read(currents);
  const params = {leak: io.read(leak), threshold: io.read(threshold)};
  const dims = lifDims(currents.shape);
  if (simdKernelsAvailable()) {
    // The wasm backend's SIMD program, on a scratch copy (copying costs a fraction of the loops' time).
    const initial = io.read(initialMembrane);
    const programAttrs = lifProgramAttrs(attrs as unknown as LifAttrs, params.leak, params.threshold);
    const [spikes, membrane] = runOnScratch(
      dims.batch,
      [
        {values: input, length: input.length, perRow: true},
        {values: initial, length: initial.length, perRow: true},
        {values: params.leak, length: params.leak.length, perRow: false},
        {values: params.threshold, length: params.threshold.length, perRow: false},
        {length: input.length, perRow: true},
        {length: initial.length, perRow: true},
      ],
      (memory, addresses, rows) =>
        lifForwardOn(memory, programAttrs, dims.time)(...addresses, rows, dims.time, dims.features)
    );
    return [io.output(currents.shape.slice(), spikes), io.output(initialMembrane.shape.slice(), membrane)];
  }
  const out = {spikes: new Float32Array(input.length), membrane: Float32Array.from(io.read(initialMembrane))};
  lifInto(input, params, dims, attrs as unknown as LifAttrs, out);
  return [io.output(currents.shape.slice(), out.spikes), io.output(initialMembrane.shape.slice(), out.membrane)];
};

export const lifCpuConfig: KernelConfig = {kernelName: LIF, backendName: 'cpu', kernelFunc: lifCpu};
