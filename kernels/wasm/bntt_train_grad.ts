import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttBackwardWith, bnttTrainBackward} from '../bntt_loops';
import {bnttWorkDoubles, inPlaceRunner, simdBackwardPasses} from './simd/bntt_program';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {heapMemory, runOnHeap} from './wasm_backend';

/**
 * BNTT training backward: [dx, dgamma, dbeta] through the batch statistics, written in place on the wasm heap:
 * the SIMD programs where the engine has WebAssembly SIMD and the heap is reachable, else the loops.
 */
export const bnttTrainGradWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, x, gamma, mean, variance} = inputs as {[name: string]: TensorInfo};
  const dims = bnttDims(x.shape, gamma.shape);
  const {epsilon} = attrs as unknown as BnttTrainAttrs;
  return runOnHeap(
    backend,
    [dy, x, gamma, mean, variance],
    [x.shape, gamma.shape, gamma.shape],
    simdKernelsAvailable() ? bnttWorkDoubles(dims) : null,
    ([dys, xs, gammas, means, variances, dx, dgamma, dbeta], work) => {
      const memory = work == null ? null : heapMemory(backend, xs);
      if (memory != null && work != null) {
        const at = {dy: dys.byteOffset, x: xs.byteOffset, out: dx.byteOffset, work};
        const passes = simdBackwardPasses(inPlaceRunner(memory, at, dims));
        bnttBackwardWith(passes, gammas, means, variances, dims, epsilon, {dgamma, dbeta});
      } else {
        bnttTrainBackward(dys, xs, gammas, means, variances, dims, epsilon, {dx, dgamma, dbeta});
      }
    }
  );
};

export const bnttTrainGradWasmConfig: KernelConfig = {
  kernelName: BNTT_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: bnttTrainGradWasm,
};
