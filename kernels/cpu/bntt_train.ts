import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttForwardWith, bnttTrainForward} from '../bntt_loops';
import {scratchRunner, simdForwardPasses} from '../wasm/simd/bntt_program';
import {simdKernelsAvailable} from '../wasm/simd/simd_runtime';
import {cpuIO} from './cpu_backend';

/**
 * BNTT training forward: [y, mean, variance] from the batch statistics. Where the engine has WebAssembly SIMD,
 * the wasm backend's programs run on a scratch copy of x (whole when it fits the kept scratch memory, else in
 * chunks of `outer` copied in for each pass); else the loops of bntt_loops.ts.
 */
export const bnttTrainCpu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, gamma, beta} = inputs as {x: TensorInfo; gamma: TensorInfo; beta: TensorInfo};
  const io = cpuIO(backend);
  const dims = bnttDims(x.shape, gamma.shape);
  const {epsilon} = attrs as unknown as BnttTrainAttrs;
  const xs = io.read(x);
  const stats = {
    mean: new Float32Array(dims.rows * dims.channels),
    variance: new Float32Array(dims.rows * dims.channels),
  };
  const y = new Float32Array(xs.length);
  if (simdKernelsAvailable()) {
    const passes = simdForwardPasses(scratchRunner(xs, null, y, dims));
    bnttForwardWith(passes, xs, io.read(gamma), io.read(beta), dims, epsilon, stats);
  } else {
    bnttTrainForward(xs, io.read(gamma), io.read(beta), dims, epsilon, {y, ...stats});
  }
  return [
    io.output(x.shape.slice(), y),
    io.output(gamma.shape.slice(), stats.mean),
    io.output(gamma.shape.slice(), stats.variance),
  ];
};

export const bnttTrainCpuConfig: KernelConfig = {kernelName: BNTT_TRAIN, backendName: 'cpu', kernelFunc: bnttTrainCpu};
