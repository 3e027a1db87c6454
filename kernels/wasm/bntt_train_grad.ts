import type {DataId, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD, BnttTrainGradAttrs, bnttDims, checkDyShape} from '../bntt_attrs';
import {bnttBackwardWith, bnttTrainBackward} from '../bntt_loops';
import {bnttWorkDoubles, inPlaceRunner, simdBackwardPasses} from './simd/bntt_program';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {heapMemory, runOnHeap} from './wasm_backend';

/**
 * BNTT training backward: [dx, dgamma, dbeta] through the batch statistics, written in place on the wasm heap:
 * the SIMD programs where the engine has WebAssembly SIMD and the heap is reachable, else the loops. Where
 * `dyWritable`, dx is written over dy and returned in dy's buffer (one 4-byte write per element into lines the
 * pass has just read, no new buffer the size of x): each element of dx depends on dy at its own index only.
 */
export const bnttTrainGradWasm: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, x, gamma, mean, variance} = inputs as {[name: string]: TensorInfo};
  const dims = bnttDims(x.shape, gamma.shape);
  checkDyShape(dy.shape, x.shape);
  const {epsilon, dyWritable = false} = attrs as unknown as BnttTrainGradAttrs;
  // Over dy, dx needs no buffer of its own: only dgamma and dbeta are allocated.
  const outputs = runOnHeap(
    backend,
    [dy, x, gamma, mean, variance],
    [...(dyWritable ? [] : [x.shape]), gamma.shape, gamma.shape],
    simdKernelsAvailable() ? bnttWorkDoubles(dims) : null,
    ([dys, xs, gammas, means, variances, ...written], work) => {
      const [dx, dgamma, dbeta] = dyWritable ? [dys, ...written] : written;
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
  if (!dyWritable) return outputs;
  (backend as unknown as {incRef(dataId: DataId): void}).incRef(dy.dataId);
  return [{dataId: dy.dataId, shape: x.shape.slice(), dtype: 'float32'}, ...outputs];
};

export const bnttTrainGradWasmConfig: KernelConfig = {
  kernelName: BNTT_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: bnttTrainGradWasm,
};
