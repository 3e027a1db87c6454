import type {DataType, TensorInfo} from '@tensorflow/tfjs-core';

import {TypedArrayIO} from '../cpu/cpu_backend';

/** The part of tfjs-backend-wasm's BackendWasm these kernels use (typed structurally: wasm is an optional peer). */
interface WasmBackendLike {
  typedArrayFromHeap(info: TensorInfo): ArrayBufferView;
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: Float32Array): TensorInfo;
}

/**
 * Typed-array kernels on wasm: inputs are views of the wasm heap. A kernel
 * must read every input before its first output — allocating an output can
 * grow the heap, which detaches earlier views.
 */
export function wasmIO(backend: unknown): TypedArrayIO {
  const wasm = backend as WasmBackendLike;
  return {
    read: info => wasm.typedArrayFromHeap(info) as Float32Array,
    output: (shape, values) => wasm.makeOutput(shape, 'float32', undefined, values),
  };
}
