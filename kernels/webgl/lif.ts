import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {LifBlockScanProgram, LifCheckpointProgram, LifFinalMembraneProgram} from './lif_gpu';
import {reshape, WebGLBackendLike} from './webgl_backend';

/** Forward LIF on WebGL: block checkpoints, then the spike train and the final membrane. */
export const lifWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {currents, initialMembrane} = inputs as {currents: TensorInfo; initialMembrane: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const {leak, threshold, resetMode} = attrs as unknown as LifAttrs;
  const dims = lifDims(currents.shape);
  const x = reshape(gl, currents, [dims.batch, dims.time, dims.features]);
  const v0 = reshape(gl, initialMembrane, [dims.batch, dims.features]);
  const uniforms = [[leak], [threshold]];
  const checkpoints = gl.runWebGLProgram(new LifCheckpointProgram(dims, resetMode), [x, v0], 'float32', uniforms);
  const spikes = gl.runWebGLProgram(
    new LifBlockScanProgram(dims, resetMode, 'spikes'),
    [x, checkpoints],
    'float32',
    uniforms
  );
  const finalMembrane = gl.runWebGLProgram(
    new LifFinalMembraneProgram(dims, resetMode),
    [x, checkpoints],
    'float32',
    uniforms
  );
  const outputs = [
    reshape(gl, spikes, currents.shape.slice()),
    reshape(gl, finalMembrane, initialMembrane.shape.slice()),
  ];
  for (const info of [x, v0, checkpoints, spikes, finalMembrane]) gl.disposeIntermediateTensorInfo(info);
  return outputs;
};

export const lifWebGLConfig: KernelConfig = {kernelName: LIF, backendName: 'webgl', kernelFunc: lifWebGL};
