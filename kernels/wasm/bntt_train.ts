import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttTrainForward} from '../bntt_loops';

/** The part of tfjs-backend-wasm's BackendWasm these kernels use (typed structurally: wasm is an optional peer). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): ArrayBufferView;
}

/**
 * Allocates the outputs in the wasm heap, then returns float32 views of `inputs` followed by the outputs. The
 * loops write the outputs in place: no fresh JS buffer (whose first touch costs page faults) and no copy into the
 * heap. Views are taken only after every allocation, since growing the heap detaches earlier views.
 */
export function heapOutputsAndViews(backend: unknown, inputs: TensorInfo[], outputShapes: number[][]):
    {outputs: TensorInfo[], views: Float32Array[]} {
  const wasm = backend as WasmHeapBackend;
  const outputs = outputShapes.map(shape => wasm.makeOutput(shape.slice(), 'float32'));
  const views = [...inputs, ...outputs].map(info => {
    if (info.dtype !== 'float32') throw new Error(`BNTT wasm kernels take float32 tensors; got ${info.dtype}`);
    return wasm.typedArrayFromHeap(info) as Float32Array;
  });
  return {outputs, views};
}

/** BNTT training forward: [y, mean, variance] from the batch statistics. */
export const bnttTrainWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, gamma, beta} = inputs as {x: TensorInfo, gamma: TensorInfo, beta: TensorInfo};
  const dims = bnttDims(x.shape, gamma.shape);
  const {outputs, views} = heapOutputsAndViews(backend, [x, gamma, beta], [x.shape, gamma.shape, gamma.shape]);
  const [xs, gammas, betas, y, mean, variance] = views;
  bnttTrainForward(xs, gammas, betas, dims, (attrs as unknown as BnttTrainAttrs).epsilon, {y, mean, variance});
  return outputs;
};

export const bnttTrainWasmConfig: KernelConfig =
    {kernelName: BNTT_TRAIN, backendName: 'wasm', kernelFunc: bnttTrainWasm};
