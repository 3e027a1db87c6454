import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs, gpuBnttDims} from '../bntt_attrs';
import {BnttStatisticsProgram, bnttUniforms, NormalizeProgram, parameterRows, viewShape} from './bntt_train_gpu';
import {reshape, WebGPUBackendLike} from './webgpu_backend';

/**
 * BNTT training forward on WebGPU: one workgroup per (r, c) takes the mean and then the mean of the squared
 * deviations from it (bntt_train_gpu.ts), one invocation per element normalises. Outputs [y, mean, variance].
 */
export const bnttTrainWebGPU: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, gamma, beta} = inputs as {x: TensorInfo; gamma: TensorInfo; beta: TensorInfo};
  const gpu = backend as unknown as WebGPUBackendLike;
  const {epsilon} = attrs as unknown as BnttTrainAttrs;
  const dims = gpuBnttDims(BNTT_TRAIN, 'webgpu', x.shape, gamma.shape);
  const uniforms = bnttUniforms(dims, epsilon);
  const xView = reshape(gpu, x, viewShape(dims));
  const statistics = gpu.runWebGPUProgram(new BnttStatisticsProgram(dims), [xView], 'float32', uniforms);
  const yView = gpu.runWebGPUProgram(new NormalizeProgram(dims), [xView, statistics, gamma, beta], 'float32', uniforms);
  const [mean, variance] = parameterRows(gpu, statistics, dims);
  const y = reshape(gpu, yView, x.shape.slice());
  for (const info of [xView, statistics, yView]) gpu.disposeData(info.dataId);
  return [y, mean, variance];
};

export const bnttTrainWebGPUConfig: KernelConfig = {
  kernelName: BNTT_TRAIN,
  backendName: 'webgpu',
  kernelFunc: bnttTrainWebGPU,
};
