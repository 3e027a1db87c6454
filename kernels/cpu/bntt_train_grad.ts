import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttBackwardWith, bnttTrainBackward} from '../bntt_loops';
import {scratchRunner, simdBackwardPasses} from '../wasm/simd/bntt_program';
import {simdKernelsAvailable} from '../wasm/simd/simd_runtime';
import {cpuIO} from './cpu_backend';

/**
 * BNTT training backward: [dx, dgamma, dbeta] through the batch statistics; the SIMD programs on a scratch copy
 * of dy and x where the engine has WebAssembly SIMD (as the forward), else the loops.
 */
export const bnttTrainGradCpu: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, x, gamma, mean, variance} = inputs as {[name: string]: TensorInfo};
  const io = cpuIO(backend);
  const dims = bnttDims(x.shape, gamma.shape);
  const {epsilon} = attrs as unknown as BnttTrainAttrs;
  const [dys, xs, gammas, means, variances] = [dy, x, gamma, mean, variance].map(info => io.read(info));
  const sums = {
    dgamma: new Float32Array(dims.rows * dims.channels),
    dbeta: new Float32Array(dims.rows * dims.channels),
  };
  const dx = new Float32Array(xs.length);
  if (simdKernelsAvailable()) {
    const passes = simdBackwardPasses(scratchRunner(xs, dys, dx, dims));
    bnttBackwardWith(passes, gammas, means, variances, dims, epsilon, sums);
  } else {
    bnttTrainBackward(dys, xs, gammas, means, variances, dims, epsilon, {dx, ...sums});
  }
  return [
    io.output(x.shape.slice(), dx),
    io.output(gamma.shape.slice(), sums.dgamma),
    io.output(gamma.shape.slice(), sums.dbeta),
  ];
};

export const bnttTrainGradCpuConfig: KernelConfig = {
  kernelName: BNTT_TRAIN_GRAD,
  backendName: 'cpu',
  kernelFunc: bnttTrainGradCpu,
};
