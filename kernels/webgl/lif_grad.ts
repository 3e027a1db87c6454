import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF_GRAD, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {AdjointCheckpointProgram, InitialMembraneGradProgram, LifGradProgram} from './lif_grad_gpu';
import {LifBlockScanProgram, LifCheckpointProgram} from './lif_gpu';
import {reshape, WebGLBackendLike} from './webgl_backend';

/**
 * BPTT on WebGL: recompute the membrane trace (checkpoints, then the trace),
 * checkpoint the adjoint at block ends, walk each block back to every step,
 * then dL/dV_0 from the first step's gradient.
 */
export const lifGradWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane} = inputs as {[name: string]: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const lifAttrs = attrs as unknown as LifAttrs;
  const {leak, threshold, alpha, resetMode} = lifAttrs;
  const dims = lifDims(currents.shape);
  const trainShape = [dims.batch, dims.time, dims.features];
  const stateShape = [dims.batch, dims.features];
  const x = reshape(gl, currents, trainShape);
  const v0 = reshape(gl, initialMembrane, stateShape);
  const gS = reshape(gl, dSpikes, trainShape);
  const gV = reshape(gl, dMembrane, stateShape);
  const scanUniforms = [[leak], [threshold]];
  const gradUniforms = [[leak], [threshold], [alpha]];
  const checkpoints = gl.runWebGLProgram(new LifCheckpointProgram(dims, resetMode), [x, v0], 'float32', scanUniforms);
  const trace = gl.runWebGLProgram(
    new LifBlockScanProgram(dims, resetMode, 'trace'),
    [x, checkpoints],
    'float32',
    scanUniforms
  );
  const adjoints = gl.runWebGLProgram(
    new AdjointCheckpointProgram(dims, lifAttrs),
    [trace, gS, gV],
    'float32',
    gradUniforms
  );
  const gI = gl.runWebGLProgram(new LifGradProgram(dims, lifAttrs), [trace, gS, adjoints], 'float32', gradUniforms);
  const gV0 = gl.runWebGLProgram(new InitialMembraneGradProgram(dims), [gI], 'float32', [[leak]]);
  const outputs = [reshape(gl, gI, currents.shape.slice()), reshape(gl, gV0, initialMembrane.shape.slice())];
  for (const info of [x, v0, gS, gV, checkpoints, trace, adjoints, gI, gV0]) {
    gl.disposeIntermediateTensorInfo(info);
  }
  return outputs;
};

export const lifGradWebGLConfig: KernelConfig = {kernelName: LIF_GRAD, backendName: 'webgl', kernelFunc: lifGradWebGL};
