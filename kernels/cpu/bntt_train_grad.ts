import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD, BnttTrainAttrs, bnttDims} from '../bntt_attrs';
import {bnttTrainBackward} from '../bntt_loops';
import {cpuIO} from './cpu_backend';

/** BNTT training backward: [dx, dgamma, dbeta] through the batch statistics. */
export const bnttTrainGradCpu: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, x, gamma, mean, variance} = inputs as {[name: string]: TensorInfo};
  const io = cpuIO(backend);
  const dims = bnttDims(x.shape, gamma.shape);
  const [dys, xs, gammas, means, variances] = [dy, x, gamma, mean, variance].map(info => io.read(info));
  const out = {
    dx: new Float32Array(xs.length),
    dgamma: new Float32Array(dims.rows * dims.channels),
    dbeta: new Float32Array(dims.rows * dims.channels),
  };
  bnttTrainBackward(dys, xs, gammas, means, variances, dims, (attrs as unknown as BnttTrainAttrs).epsilon, out);
  return [
    io.output(x.shape.slice(), out.dx),
    io.output(gamma.shape.slice(), out.dgamma),
    io.output(gamma.shape.slice(), out.dbeta),
  ];
};

export const bnttTrainGradCpuConfig: KernelConfig = {
  kernelName: BNTT_TRAIN_GRAD,
  backendName: 'cpu',
  kernelFunc: bnttTrainGradCpu,
};
