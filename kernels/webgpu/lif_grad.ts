import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF_GRAD, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {LifGradProgram, ParameterGradSumProgram} from './lif_grad_gpu';
import {lifUniforms} from './lif_gpu';
import {reshape, slice, WebGPUBackendLike} from './webgpu_backend';

/**
 * BPTT on WebGPU: one invocation per neuron per sample recomputes its membrane trace and walks it back (dL/dI,
 * dL/dV_0 and the sample's leak and threshold gradients, one output); then the parameter gradients are summed over
 * the batch, and dL/dI and dL/dV_0 are sliced out. Outputs [dCurrents, dInitialMembrane, dLeak [N], dThreshold [N]].
 */
export const lifGradWebGPU: KernelFunc = ({inputs, backend, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const gpu = backend as unknown as WebGPUBackendLike;
  const lifAttrs = attrs as unknown as LifAttrs;
  const dims = lifDims(currents.shape);
  const {batch: B, time: T, features: N} = dims;
  const x = reshape(gpu, currents, [B, T, N]);
  const gS = reshape(gpu, dSpikes, [B, T, N]);
  const v0 = reshape(gpu, initialMembrane, [B, N]);
  const gV = reshape(gpu, dMembrane, [B, N]);
  const uniforms = lifUniforms(dims, lifAttrs.vReset, lifAttrs.alpha);
  const grads = gpu.runWebGPUProgram(
    new LifGradProgram(dims, lifAttrs),
    [x, gS, v0, gV, leak, threshold],
    'float32',
    uniforms
  );
  const dLeak = gpu.runWebGPUProgram(new ParameterGradSumProgram(dims, 'leak'), [grads], 'float32', uniforms);
  const dThreshold = gpu.runWebGPUProgram(new ParameterGradSumProgram(dims, 'threshold'), [grads], 'float32', uniforms);
  const gI = slice(gpu, grads, [0, 0, 0], [B, T, N]);
  const gV0 = slice(gpu, grads, [0, T, 0], [B, 1, N]);
  const outputs = [
    reshape(gpu, gI, currents.shape.slice()),
    reshape(gpu, gV0, initialMembrane.shape.slice()),
    dLeak,
    dThreshold,
  ];
  for (const info of [x, gS, v0, gV, grads, gI, gV0]) gpu.disposeData(info.dataId);
  return outputs;
};

export const lifGradWebGPUConfig: KernelConfig = {
  kernelName: LIF_GRAD,
  backendName: 'webgpu',
  kernelFunc: lifGradWebGPU,
};
