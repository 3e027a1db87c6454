import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {CpuBackendLike, readFloat32} from './cpu_backend';
import {scanRow} from './lif_scan';

/** Forward LIF over the whole train with typed-array loops: [spikes, finalMembrane]. */
export const lifCpu: KernelFunc = ({inputs, backend, attrs}) => {
  const {currents, initialMembrane} = inputs as {currents: TensorInfo, initialMembrane: TensorInfo};
  const cpu = backend as unknown as CpuBackendLike;
  const lifAttrs = attrs as unknown as LifAttrs;
  const {batch, time, features} = lifDims(currents.shape);
  const input = readFloat32(cpu, currents);
  const finalMembrane = Float32Array.from(readFloat32(cpu, initialMembrane));
  const spikes = new Float32Array(input.length);
  for (let b = 0; b < batch; b++) {
    const row = finalMembrane.subarray(b * features, (b + 1) * features);
    scanRow(input, b * time * features, time, row, lifAttrs, null, spikes);
  }
  return [
    cpu.makeTensorInfo(currents.shape.slice(), 'float32', spikes),
    cpu.makeTensorInfo(initialMembrane.shape.slice(), 'float32', finalMembrane),
  ];
};

export const lifCpuConfig: KernelConfig = {kernelName: LIF, backendName: 'cpu', kernelFunc: lifCpu};
