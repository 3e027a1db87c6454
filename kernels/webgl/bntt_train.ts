/**
 * BNTT training forward on WebGL (bntt_train_gpu.ts): per-(row, channel) batch statistics by
 * chunked partial sums, where tf.moments' transposes and one-thread-per-output reductions
 * take most of a training step under SwiftShader. bench/webgl_bntt.mjs measures both.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BnttTrainAttrs, gpuBnttDims} from '../bntt_attrs';
import {
  BnttView,
  bnttView,
  chunkPlan,
  ChunkTotalProgram,
  NormalizeProgram,
  PartialQuantity,
  PartialSumsProgram,
} from './bntt_train_gpu';
import {ChunkPlan} from '../split_k';
import {reshape, WebGLBackendLike} from './webgl_backend';

/** x viewed as bnttView(x.shape) for the programs, after the contract's checks. */
export function viewOf(kernelName: string, x: TensorInfo, gamma: TensorInfo): BnttView {
  return bnttView(x.shape, gpuBnttDims(kernelName, 'webgl', x.shape, gamma.shape).rows);
}

/** One slot of `quantity`'s partial sums over the chunks, each [R, C], divided by `divisor`. */
export function chunkTotals(
  gl: WebGLBackendLike,
  view: BnttView,
  plan: ChunkPlan,
  quantity: PartialQuantity,
  inputs: TensorInfo[],
  slots: Array<0 | 1>,
  divisor: number
): TensorInfo[] {
  const partials = gl.runWebGLProgram(new PartialSumsProgram(view, plan, quantity), inputs, 'float32');
  const [rows, channels] = [view.rows, view.shape[3]];
  const totals = slots.map(slot =>
    gl.runWebGLProgram(new ChunkTotalProgram(rows, channels, plan.chunks, slot, divisor), [partials], 'float32')
  );
  gl.disposeIntermediateTensorInfo(partials);
  return totals;
}

/** [y, mean, variance]: the mean first, then the mean of the squared deviations from it (as the cpu kernel). */
export const bnttTrainWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, gamma, beta} = inputs as {x: TensorInfo; gamma: TensorInfo; beta: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const {epsilon} = attrs as unknown as BnttTrainAttrs;
  const view = viewOf(BNTT_TRAIN, x, gamma);
  const plan = chunkPlan(view);
  const xView = reshape(gl, x, view.shape);
  const [mean] = chunkTotals(gl, view, plan, 'sum', [xView], [0], view.count);
  const [variance] = chunkTotals(gl, view, plan, 'squaredDeviation', [xView, mean], [0], view.count);
  const yView = gl.runWebGLProgram(new NormalizeProgram(view), [xView, mean, variance, gamma, beta], 'float32', [
    [epsilon],
  ]);
  const y = reshape(gl, yView, x.shape.slice());
  for (const info of [xView, yView]) gl.disposeIntermediateTensorInfo(info);
  return [y, mean, variance];
};

export const bnttTrainWebGLConfig: KernelConfig = {
  kernelName: BNTT_TRAIN,
  backendName: 'webgl',
  kernelFunc: bnttTrainWebGL,
};
