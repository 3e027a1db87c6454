import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF, LifAttrs} from '../lif_attrs';
import {LifDims, lifDims} from '../lif_dims';
import {LifBlockScanProgram, LifCheckpointProgram, LifFinalMembraneProgram, neuronParameters} from './lif_gpu';
import {spikesOfTrace, toStepPairs} from './lif_layout';
import {reshape, WebGLBackendLike} from './webgl_backend';

/**
 * Forward LIF on WebGL: block checkpoints, then the membrane trace, and the final membrane and the spikes read
 * off the trace. Inputs {currents [B, T, ...F], initialMembrane [B, ...F], leak [N], threshold [N]} (N = prod F).
 * Outputs [spikes [B, T, ...F], finalMembrane [B, ...F], trace [B, T, N]]: the third, the membrane before reset
 * at every step, is what the backward kernel would otherwise recompute (lifGradWebGL's input `trace`; the
 * gradient saves it, ops.lif drops it).
 */
export const lifWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {currents, initialMembrane} = inputs as {[name: string]: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const {resetMode, vReset} = attrs as unknown as LifAttrs;
  const dims = lifDims(currents.shape);
  const x = toStepPairs(gl, currents, dims);
  const v0 = reshape(gl, initialMembrane, [dims.batch, dims.features]);
  const neurons = neuronParameters(gl, inputs);
  const {checkpoints, trace} = checkpointsAndTrace(gl, x, v0, neurons, dims, {resetMode, vReset});
  const finalMembrane = gl.runWebGLProgram(new LifFinalMembraneProgram(dims, resetMode), [trace, neurons], 'float32', [
    [vReset],
  ]);
  const outputs = [
    spikesOfTrace(gl, trace, neurons, dims, currents.shape.slice()),
    reshape(gl, finalMembrane, initialMembrane.shape.slice()),
    trace,
  ];
  for (const info of [x, v0, neurons, checkpoints, finalMembrane]) gl.disposeIntermediateTensorInfo(info);
  return outputs;
};

export const lifWebGLConfig: KernelConfig = {kernelName: LIF, backendName: 'webgl', kernelFunc: lifWebGL};

/**
 * The membrane at each block start (checkpoints) and at every step (the trace, [batch, time, features]) of the
 * currents `x` in step pairs, from `v0`: the forward's first two launches, and the backward's when no trace was
 * saved. Both are the caller's to dispose.
 */
export function checkpointsAndTrace(
  gl: WebGLBackendLike,
  x: TensorInfo,
  v0: TensorInfo,
  neurons: TensorInfo,
  dims: LifDims,
  {resetMode, vReset}: Pick<LifAttrs, 'resetMode' | 'vReset'>
): {checkpoints: TensorInfo; trace: TensorInfo} {
  const uniforms = [[vReset]];
  const checkpoints = gl.runWebGLProgram(
    new LifCheckpointProgram(dims, resetMode),
    [x, v0, neurons],
    'float32',
    uniforms
  );
  const trace = gl.runWebGLProgram(
    new LifBlockScanProgram(dims, resetMode),
    [x, checkpoints, neurons],
    'float32',
    uniforms
  );
  return {checkpoints, trace};
}
