import type {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD, BnttTrainAttrs} from '../bntt_attrs';
import {bnttTrainGradKernel} from '../cpu/bntt_train_grad';
import {wasmIO} from './wasm_backend';

/** The cpu kernel's loops on the wasm heap. */
export const bnttTrainGradWasmConfig: KernelConfig = {
  kernelName: BNTT_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: ({inputs, backend, attrs}) =>
      bnttTrainGradKernel(wasmIO(backend), inputs as {[name: string]: TensorInfo}, attrs as unknown as BnttTrainAttrs),
};
