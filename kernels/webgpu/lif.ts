import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {LifForwardProgram, lifUniforms} from './lif_gpu';
import {reshape, WebGPUBackendLike} from './webgpu_backend';

/**
 * Forward LIF on WebGPU: one invocation per neuron per sample runs the time loop, once for the spike train and
 * once for the final membrane. Inputs {currents [B, T, ...F], initialMembrane [B, ...F], leak [N], threshold [N]}
 * (N = prod F).
 */
export const lifWebGPU: KernelFunc = ({inputs, backend, attrs}) => {
  const {currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const gpu = backend as unknown as WebGPUBackendLike;
  const {resetMode, vReset, alpha} = attrs as unknown as LifAttrs;
  const dims = lifDims(currents.shape);
  const x = reshape(gpu, currents, [dims.batch, dims.time, dims.features]);
  const v0 = reshape(gpu, initialMembrane, [dims.batch, dims.features]);
  const programInputs = [x, v0, leak, threshold];
  const uniforms = lifUniforms(dims, vReset, alpha);
  const spikes = gpu.runWebGPUProgram(
    new LifForwardProgram(dims, resetMode, 'spikes'),
    programInputs,
    'float32',
    uniforms
  );
  const finalMembrane = gpu.runWebGPUProgram(
    new LifForwardProgram(dims, resetMode, 'finalMembrane'),
    programInputs,
    'float32',
    uniforms
  );
  const outputs = [
    reshape(gpu, spikes, currents.shape.slice()),
    reshape(gpu, finalMembrane, initialMembrane.shape.slice()),
  ];
  for (const info of [x, v0, spikes, finalMembrane]) gpu.disposeData(info.dataId);
  return outputs;
};

export const lifWebGPUConfig: KernelConfig = {kernelName: LIF, backendName: 'webgpu', kernelFunc: lifWebGPU};
