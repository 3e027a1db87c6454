import type {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';

import {lifGradLoops} from '../cpu/lif_grad';
import {LIF_GRAD, LifAttrs} from '../lif_attrs';
import {wasmIO} from './wasm_backend';

export const lifGradWasmConfig: KernelConfig = {
  kernelName: LIF_GRAD,
  backendName: 'wasm',
  kernelFunc: ({inputs, backend, attrs}) =>
      lifGradLoops(wasmIO(backend), inputs as {[name: string]: TensorInfo}, attrs as unknown as LifAttrs),
};
