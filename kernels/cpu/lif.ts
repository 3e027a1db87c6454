import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {cpuIO, TypedArrayIO} from './cpu_backend';
import {scanRow} from './lif_scan';

/** Forward LIF over the whole train with typed-array loops: [spikes, finalMembrane]. */
export function lifLoops(io: TypedArrayIO, inputs: {[name: string]: TensorInfo}, lifAttrs: LifAttrs): TensorInfo[] {
  const {currents, initialMembrane} = inputs;
  const {batch, time, features} = lifDims(currents.shape);
  const input = io.read(currents);
  const finalMembrane = Float32Array.from(io.read(initialMembrane));
  const spikes = new Float32Array(input.length);
  for (let b = 0; b < batch; b++) {
    const row = finalMembrane.subarray(b * features, (b + 1) * features);
    scanRow(input, b * time * features, time, row, lifAttrs, null, spikes);
  }
  return [io.output(currents.shape.slice(), spikes), io.output(initialMembrane.shape.slice(), finalMembrane)];
}

export const lifCpu: KernelFunc = ({inputs, backend, attrs}) =>
    lifLoops(cpuIO(backend), inputs as {[name: string]: TensorInfo}, attrs as unknown as LifAttrs);

export const lifCpuConfig: KernelConfig = {kernelName: LIF, backendName: 'cpu', kernelFunc: lifCpu};
