import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttForwardWith, bnttTrainForward} from '../bntt_loops';
import {bnttWorkDoubles, simdForwardPasses} from '../wasm/simd/bntt_program';
import {layout, scratchMemory, simdKernelsAvailable} from '../wasm/simd/simd_runtime';
import {cpuIO} from './cpu_backend';

/**
 * BNTT training forward: [y, mean, variance] from the batch statistics. Where the engine has WebAssembly SIMD,
 * the wasm backend's programs run on a scratch copy of x (the kept scratch memory, or a fresh one for an x larger
 * than it: the passes walk the whole of x three times, so it is not split); else the loops of bntt_loops.ts.
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
  let y: Float32Array;
  if (simdKernelsAvailable()) {
    const {
      addresses: [xAt, yAt, work],
      bytes,
    } = layout([xs.length, xs.length, 2 * bnttWorkDoubles(dims)]);
    const memory = scratchMemory(bytes);
    new Float32Array(memory.buffer, xAt, xs.length).set(xs);
    const passes = simdForwardPasses(memory, {x: xAt, out: yAt, work}, dims);
    bnttForwardWith(passes, io.read(gamma), io.read(beta), dims, epsilon, stats);
    y = new Float32Array(memory.buffer, yAt, xs.length).slice();
  } else {
    y = new Float32Array(xs.length);
    bnttTrainForward(xs, io.read(gamma), io.read(beta), dims, epsilon, {y, ...stats});
  }
  return [
    io.output(x.shape.slice(), y),
    io.output(gamma.shape.slice(), stats.mean),
    io.output(gamma.shape.slice(), stats.variance),
  ];
};

export const bnttTrainCpuConfig: KernelConfig = {kernelName: BNTT_TRAIN, backendName: 'cpu', kernelFunc: bnttTrainCpu};
