import type {DataId, DataType, TensorInfo} from '@tensorflow/tfjs-core';

/**
 * What tfjs-snn's wasm kernels use of tfjs-backend-wasm's BackendWasm, whose internals the package does not type:
 * tensors on the heap, the data map (a tensor's id and heap offset), and the Emscripten module (the exported C
 * functions, the memory). One structural type for every wasm kernel (structural: tfjs-backend-wasm is an optional
 * peer).
 */
export interface WasmHeapBackend {
  typedArrayFromHeap(info: TensorInfo): ArrayBufferView;
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: Float32Array): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  dataIdMap: Map<DataId, {id: number; memoryOffset: number}>;
  wasm: {
    tfjs: {disposeData(id: number): void};
    cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
    asm?: {memory?: unknown};
    wasmMemory?: unknown;
  };
}

/**
 * Allocates the outputs in the wasm heap, then returns float32 views of `inputs` followed by the outputs. The
 * loops write the outputs in place: no fresh JS buffer (whose first touch costs page faults) and no copy into the
 * heap. Views are taken only after every allocation, since growing the heap detaches earlier views (on the
 * threaded build's shared heap, snn.useThreadedWasm, growing does not detach them but leaves them on the old,
 * shorter buffer; views taken last see the grown one either way). Outputs are not zeroed: the loops must write
 * every element. Inputs are checked before anything is allocated.
 */
export function heapOutputsAndViews(
  backend: unknown,
  inputs: TensorInfo[],
  outputShapes: number[][]
): {outputs: TensorInfo[]; views: Float32Array[]} {
  const wasm = backend as WasmHeapBackend;
  for (const info of inputs) {
    if (info.dtype !== 'float32') throw new Error(`tfjs-snn's wasm kernels take float32 tensors; got ${info.dtype}`);
  }
  const outputs = outputShapes.map(shape => wasm.makeOutput(shape.slice(), 'float32'));
  const views = [...inputs, ...outputs].map(info => wasm.typedArrayFromHeap(info) as Float32Array);
  return {outputs, views};
}

/** Frees heap data a kernel allocated and does not return: a work area, or its outputs when it fails. */
export function disposeHeapData(backend: unknown, infos: TensorInfo[]): void {
  for (const info of infos) (backend as WasmHeapBackend).disposeData(info.dataId, true);
}

/**
 * {@link heapOutputsAndViews} with a temporary work area of `workDoubles` float64 values on the heap (none when
 * null), allocated with the outputs; calls `run` with the views and the work area's byte address (a multiple of
 * 8), then frees the work area, and the outputs too if `run` throws. Returns the outputs.
 */
export function runOnHeap(
  backend: unknown,
  inputs: TensorInfo[],
  outputShapes: number[][],
  workDoubles: number | null,
  run: (views: Float32Array[], work: number | null) => void
): TensorInfo[] {
  const work = workDoubles == null ? [] : [[2 * workDoubles + 2]];
  const {outputs, views} = heapOutputsAndViews(backend, inputs, [...outputShapes, ...work]);
  const workInfo = outputs.splice(outputShapes.length);
  const workView = workInfo.length > 0 ? views.pop() : undefined;
  try {
    run(views, workView == null ? null : Math.ceil(workView.byteOffset / 8) * 8);
  } catch (error) {
    disposeHeapData(backend, outputs);
    throw error;
  } finally {
    disposeHeapData(backend, workInfo);
  }
  return outputs;
}

/**
 * tfjs-backend-wasm's heap as a WebAssembly.Memory (the Emscripten module's `asm.memory`), for the SIMD programs
 * to import; null where the build does not expose it or `view` is not on it.
 */
export function heapMemory(backend: unknown, view: Float32Array): WebAssembly.Memory | null {
  const module = (backend as Partial<WasmHeapBackend>).wasm;
  const memory = module?.asm?.memory ?? module?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory) || memory.buffer !== view.buffer) return null;
  return memory;
}

/** {@link heapMemory} for a tensor on the heap (`info`), where the caller has no view of it yet. */
export function heapMemoryOf(backend: unknown, info: TensorInfo): WebAssembly.Memory | null {
  return heapMemory(backend, (backend as WasmHeapBackend).typedArrayFromHeap(info) as Float32Array);
}

/**
 * `rows` rows (along the first axis) of `info` starting at `firstRow`, as a TensorInfo over the same heap bytes:
 * no copy. It exists for the calling kernel's own calls to the backend's kernels only: it never reaches the
 * engine, and must be released with {@link releaseView}, never disposed (disposing would free bytes it does not
 * own).
 */
export function rowView(backend: unknown, info: TensorInfo, firstRow: number, rows: number): TensorInfo {
  const wasm = backend as WasmHeapBackend;
  if (info.dtype !== 'float32') throw new Error(`rowView takes float32 tensors; got ${info.dtype}`);
  const rowShape = info.shape.slice(1);
  const rowBytes = rowShape.reduce((size, side) => size * side, 1) * 4;
  const {memoryOffset} = wasm.dataIdMap.get(info.dataId)!;
  return wasm.makeOutput([rows, ...rowShape], info.dtype, memoryOffset + firstRow * rowBytes);
}

/** Unregisters a {@link rowView} without freeing its bytes (they belong to the tensor it views). */
export function releaseView(backend: unknown, view: TensorInfo): void {
  const wasm = backend as WasmHeapBackend;
  const data = wasm.dataIdMap.get(view.dataId);
  if (data == null) return;
  wasm.wasm.tfjs.disposeData(data.id);
  wasm.dataIdMap.delete(view.dataId);
}
