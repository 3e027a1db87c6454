import type {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';

import {lifLoops} from '../cpu/lif';
import {LIF, LifAttrs} from '../lif_attrs';
import {wasmIO} from './wasm_backend';

/** The cpu kernel's loops on the wasm heap: O(T·N), instead of the composite's per-step slices. */
export const lifWasmConfig: KernelConfig = {
  kernelName: LIF,
  backendName: 'wasm',
  kernelFunc: ({inputs, backend, attrs}) =>
      lifLoops(wasmIO(backend), inputs as {[name: string]: TensorInfo}, attrs as unknown as LifAttrs),
};
