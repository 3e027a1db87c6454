import type {DataType, TensorInfo} from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's BackendWasm these kernels use (typed structurally: wasm is an optional peer). */
interface WasmBackendLike {
  typedArrayFromHeap(info: TensorInfo): ArrayBufferView;
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: Float32Array): TensorInfo;
}

/**
 * Allocates the outputs in the wasm heap, then returns float32 views of `inputs` followed by the outputs. The
 * loops write the outputs in place: no fresh JS buffer (whose first touch costs page faults) and no copy into the
 * heap. Views are taken only after every allocation, since growing the heap detaches earlier views (on the
 * threaded build's shared heap, snn.useThreadedWasm, growing does not detach them but leaves them on the old,
 * shorter buffer; views taken last see the grown one either way). Outputs are not zeroed: the loops must write
 * every element.
 */
export function heapOutputsAndViews(
  backend: unknown,
  inputs: TensorInfo[],
  outputShapes: number[][]
): {outputs: TensorInfo[]; views: Float32Array[]} {
  const wasm = backend as WasmBackendLike;
  const outputs = outputShapes.map(shape => wasm.makeOutput(shape.slice(), 'float32'));
  const views = [...inputs, ...outputs].map(info => {
    if (info.dtype !== 'float32') throw new Error(`tfjs-snn's wasm kernels take float32 tensors; got ${info.dtype}`);
    return wasm.typedArrayFromHeap(info) as Float32Array;
  });
  return {outputs, views};
}
