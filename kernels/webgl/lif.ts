import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {LifBlockScanProgram, LifCheckpointProgram, LifFinalMembraneProgram} from './lif_gpu';
import {fromStepPairs, toStepPairs} from './lif_layout';
import {reshape, WebGLBackendLike} from './webgl_backend';

/**
 * Forward LIF on WebGL: block checkpoints, then the spike train and the final membrane.
 * Inputs {currents [B, T, ...F], initialMembrane [B, ...F], leak [N], threshold [N]} (N = prod F).
 */
export const lifWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const {resetMode, vReset} = attrs as unknown as LifAttrs;
  const dims = lifDims(currents.shape);
  const x = toStepPairs(gl, currents, dims);
  const v0 = reshape(gl, initialMembrane, [dims.batch, dims.features]);
  const uniforms = [[vReset]];
  const checkpoints = gl.runWebGLProgram(
    new LifCheckpointProgram(dims, resetMode),
    [x, v0, leak, threshold],
    'float32',
    uniforms
  );
  const scanInputs = [x, checkpoints, leak, threshold];
  const spikes = gl.runWebGLProgram(
    new LifBlockScanProgram(dims, resetMode, 'spikes'),
    scanInputs,
    'float32',
    uniforms
  );
  const finalMembrane = gl.runWebGLProgram(
    new LifFinalMembraneProgram(dims, resetMode),
    scanInputs,
    'float32',
    uniforms
  );
  const outputs = [
    fromStepPairs(gl, spikes, dims, currents.shape.slice()),
    reshape(gl, finalMembrane, initialMembrane.shape.slice()),
  ];
  for (const info of [x, v0, checkpoints, spikes, finalMembrane]) gl.disposeIntermediateTensorInfo(info);
  return outputs;
};

export const lifWebGLConfig: KernelConfig = {kernelName: LIF, backendName: 'webgl', kernelFunc: lifWebGL};
