import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttTrainBackward} from '../bntt_loops';
import {heapOutputsAndViews} from './wasm_backend';

/** BNTT training backward: [dx, dgamma, dbeta] through the batch statistics. */
export const bnttTrainGradWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, x, gamma, mean, variance} = inputs as {[name: string]: TensorInfo};
  const dims = bnttDims(x.shape, gamma.shape);
  const {outputs, views} = heapOutputsAndViews(
    backend,
    [dy, x, gamma, mean, variance],
    [x.shape, gamma.shape, gamma.shape]
  );
  const [dys, xs, gammas, means, variances, dx, dgamma, dbeta] = views;
  bnttTrainBackward(dys, xs, gammas, means, variances, dims, (attrs as unknown as BnttTrainAttrs).epsilon, {
    dx,
    dgamma,
    dbeta,
  });
  return outputs;
};

export const bnttTrainGradWasmConfig: KernelConfig = {
  kernelName: BNTT_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: bnttTrainGradWasm,
};
