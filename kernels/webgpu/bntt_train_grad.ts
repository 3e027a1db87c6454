import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD, BnttTrainAttrs, checkDyShape, gpuBnttDims} from '../bntt_attrs';
import {bnttUniforms, parameterRows, viewShape} from './bntt_train_gpu';
import {BnttDxProgram, GradientSumsProgram} from './bntt_train_grad_gpu';
import {reshape, WebGPUBackendLike} from './webgpu_backend';

/**
 * BNTT training backward on WebGPU: one workgroup per (r, c) sums dy and dy·(x − mean), one invocation per element
 * computes dx from them (bntt_train_grad_gpu.ts). Outputs [dx, dgamma, dbeta].
 */
export const bnttTrainGradWebGPU: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, x, gamma, mean, variance} = inputs as {[name: string]: TensorInfo};
  const gpu = backend as unknown as WebGPUBackendLike;
  const {epsilon} = attrs as unknown as BnttTrainAttrs;
  const dims = gpuBnttDims(BNTT_TRAIN_GRAD, 'webgpu', x.shape, gamma.shape);
  checkDyShape(dy.shape, x.shape);
  const uniforms = bnttUniforms(dims, epsilon);
  const [dyView, xView] = [dy, x].map(info => reshape(gpu, info, viewShape(dims)));
  const sums = gpu.runWebGPUProgram(
    new GradientSumsProgram(dims),
    [dyView, xView, mean, variance],
    'float32',
    uniforms
  );
  const dxView = gpu.runWebGPUProgram(
    new BnttDxProgram(dims),
    [dyView, xView, gamma, mean, variance, sums],
    'float32',
    uniforms
  );
  const [dbeta, dgamma] = parameterRows(gpu, sums, dims);
  const dx = reshape(gpu, dxView, x.shape.slice());
  for (const info of [dyView, xView, sums, dxView]) gpu.disposeData(info.dataId);
  return [dx, dgamma, dbeta];
};

export const bnttTrainGradWebGPUConfig: KernelConfig = {
  kernelName: BNTT_TRAIN_GRAD,
  backendName: 'webgpu',
  kernelFunc: bnttTrainGradWebGPU,
};
