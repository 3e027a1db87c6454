import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttForwardWith, bnttTrainForward} from '../bntt_loops';
import {bnttWorkDoubles, inPlaceRunner, simdForwardPasses} from './simd/bntt_program';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {heapMemory, runOnHeap} from './wasm_backend';

/**
 * BNTT training forward: [y, mean, variance] from the batch statistics, written in place on the wasm heap: the
 * SIMD programs (simd/bntt_program.ts) where the engine has WebAssembly SIMD and the heap is reachable, else the
 * loops of bntt_loops.ts.
 */
export const bnttTrainWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, gamma, beta} = inputs as {x: TensorInfo; gamma: TensorInfo; beta: TensorInfo};
  const dims = bnttDims(x.shape, gamma.shape);
  const {epsilon} = attrs as unknown as BnttTrainAttrs;
  return runOnHeap(
    backend,
    [x, gamma, beta],
    [x.shape, gamma.shape, gamma.shape],
    simdKernelsAvailable() ? bnttWorkDoubles(dims) : null,
    ([xs, gammas, betas, y, mean, variance], work) => {
      const memory = work == null ? null : heapMemory(backend, xs);
      if (memory != null && work != null) {
        const passes = simdForwardPasses(inPlaceRunner(memory, {x: xs.byteOffset, out: y.byteOffset, work}, dims));
        bnttForwardWith(passes, xs, gammas, betas, dims, epsilon, {mean, variance});
      } else {
        bnttTrainForward(xs, gammas, betas, dims, epsilon, {y, mean, variance});
      }
    }
  );
};

export const bnttTrainWasmConfig: KernelConfig = {
  kernelName: BNTT_TRAIN,
  backendName: 'wasm',
  kernelFunc: bnttTrainWasm,
};
