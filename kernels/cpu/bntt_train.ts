import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttTrainForward} from '../bntt_loops';
import {cpuIO} from './cpu_backend';

/** BNTT training forward: [y, mean, variance] from the batch statistics. */
export const bnttTrainCpu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, gamma, beta} = inputs as {x: TensorInfo; gamma: TensorInfo; beta: TensorInfo};
  const io = cpuIO(backend);
  const dims = bnttDims(x.shape, gamma.shape);
  const xs = io.read(x);
  const out = {
    y: new Float32Array(xs.length),
    mean: new Float32Array(dims.rows * dims.channels),
    variance: new Float32Array(dims.rows * dims.channels),
  };
  bnttTrainForward(xs, io.read(gamma), io.read(beta), dims, (attrs as unknown as BnttTrainAttrs).epsilon, out);
  return [
    io.output(x.shape.slice(), out.y),
    io.output(gamma.shape.slice(), out.mean),
    io.output(gamma.shape.slice(), out.variance),
  ];
};

export const bnttTrainCpuConfig: KernelConfig = {kernelName: BNTT_TRAIN, backendName: 'cpu', kernelFunc: bnttTrainCpu};
