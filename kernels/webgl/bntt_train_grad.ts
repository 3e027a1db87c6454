import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN_GRAD, BnttTrainAttrs, checkDyShape} from '../bntt_attrs';
import {chunkTotals, viewOf} from './bntt_train';
import {chunkPlan} from './bntt_train_gpu';
import {BnttDxProgram, DgammaProgram} from './bntt_train_grad_gpu';
import {reshape, WebGLBackendLike} from './webgl_backend';

/** BNTT training backward on WebGL: [dx, dgamma, dbeta] from one chunked pass of sums (see bntt_train_grad_gpu.ts). */
export const bnttTrainGradWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, x, gamma, mean, variance} = inputs as {[name: string]: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const {epsilon} = attrs as unknown as BnttTrainAttrs;
  const view = viewOf(BNTT_TRAIN_GRAD, x, gamma);
  checkDyShape(dy.shape, x.shape);
  const [xView, dyView] = [x, dy].map(info => reshape(gl, info, view.shape));
  const [sumDy, sumDyCentered] = chunkTotals(gl, view, chunkPlan(view), 'gradient', [dyView, xView, mean], [0, 1], 1);
  const dgamma = gl.runWebGLProgram(new DgammaProgram(view.rows, view.shape[3]), [sumDyCentered, variance], 'float32', [
    [epsilon],
  ]);
  const dxView = gl.runWebGLProgram(
    new BnttDxProgram(view),
    [dyView, xView, gamma, mean, variance, sumDy, dgamma],
    'float32',
    [[epsilon]]
  );
  const dx = reshape(gl, dxView, x.shape.slice());
  for (const info of [xView, dyView, sumDyCentered, dxView]) gl.disposeIntermediateTensorInfo(info);
  return [dx, dgamma, sumDy];
};

export const bnttTrainGradWebGLConfig: KernelConfig = {
  kernelName: BNTT_TRAIN_GRAD,
  backendName: 'webgl',
  kernelFunc: bnttTrainGradWebGL,
};
