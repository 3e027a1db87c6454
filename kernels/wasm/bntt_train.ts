import type {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs} from '../bntt_attrs';
import {bnttTrainKernel} from '../cpu/bntt_train';
import {wasmIO} from './wasm_backend';

/** The cpu kernel's loops on the wasm heap, instead of wasm's transposing reductions. */
export const bnttTrainWasmConfig: KernelConfig = {
  kernelName: BNTT_TRAIN,
  backendName: 'wasm',
  kernelFunc: ({inputs, backend, attrs}) =>
      bnttTrainKernel(wasmIO(backend), inputs as {[name: string]: TensorInfo}, attrs as unknown as BnttTrainAttrs),
};
