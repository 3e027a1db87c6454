import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttTrainForward} from '../bntt_loops';
import {heapOutputsAndViews} from './wasm_backend';

/** BNTT training forward: [y, mean, variance] from the batch statistics. */
export const bnttTrainWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, gamma, beta} = inputs as {x: TensorInfo; gamma: TensorInfo; beta: TensorInfo};
  const dims = bnttDims(x.shape, gamma.shape);
  const {outputs, views} = heapOutputsAndViews(backend, [x, gamma, beta], [x.shape, gamma.shape, gamma.shape]);
  const [xs, gammas, betas, y, mean, variance] = views;
  bnttTrainForward(xs, gammas, betas, dims, (attrs as unknown as BnttTrainAttrs).epsilon, {y, mean, variance});
  return outputs;
};

export const bnttTrainWasmConfig: KernelConfig = {
  kernelName: BNTT_TRAIN,
  backendName: 'wasm',
  kernelFunc: bnttTrainWasm,
};
