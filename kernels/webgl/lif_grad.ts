import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF_GRAD, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {
  AdjointCheckpointProgram,
  InitialMembraneGradProgram,
  LifGradProgram,
  ParameterGradPartialsProgram,
  ParameterGradSumProgram,
} from './lif_grad_gpu';
import {LifBlockScanProgram, LifCheckpointProgram} from './lif_gpu';
import {fromStepPairs, toStepPairs} from './lif_layout';
import {reshape, WebGLBackendLike, WebGLProgram} from './webgl_backend';

/**
 * BPTT on WebGL: recompute the membrane trace (checkpoints, then the trace), checkpoint the
 * adjoint at block ends, walk each block back to every step, then dL/dV_0 from the first step's
 * gradient, and the leak and threshold gradients: per sample summed over time, then over the batch.
 * Outputs [dCurrents, dInitialMembrane, dLeak [N], dThreshold [N]].
 */
export const lifGradWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const lifAttrs = attrs as unknown as LifAttrs;
  const {alpha, resetMode, vReset} = lifAttrs;
  const dims = lifDims(currents.shape);
  const stateShape = [dims.batch, dims.features];
  const x = toStepPairs(gl, currents, dims);
  const v0 = reshape(gl, initialMembrane, stateShape);
  const gS = toStepPairs(gl, dSpikes, dims);
  const gV = reshape(gl, dMembrane, stateShape);
  const run = (program: WebGLProgram, programInputs: TensorInfo[], uniforms: number[][]) =>
    gl.runWebGLProgram(program, programInputs, 'float32', uniforms);
  const scanUniforms = [[vReset]];
  const gradUniforms = [[alpha], [vReset]];
  const checkpoints = run(new LifCheckpointProgram(dims, resetMode), [x, v0, leak, threshold], scanUniforms);
  const trace = run(new LifBlockScanProgram(dims, resetMode, 'trace'), [x, checkpoints, leak, threshold], scanUniforms);
  const adjoints = run(new AdjointCheckpointProgram(dims, lifAttrs), [trace, gS, gV, leak, threshold], gradUniforms);
  const gI = run(new LifGradProgram(dims, lifAttrs), [trace, gS, adjoints, leak, threshold], gradUniforms);
  const gV0 = run(new InitialMembraneGradProgram(dims), [gI, leak], []);
  const partials = run(
    new ParameterGradPartialsProgram(dims, lifAttrs),
    [trace, gS, gI, gV, v0, leak, threshold],
    gradUniforms
  );
  const gLeak = run(new ParameterGradSumProgram(dims, 'leak'), [partials], []);
  const gThreshold = run(new ParameterGradSumProgram(dims, 'threshold'), [partials], []);
  const outputs = [
    fromStepPairs(gl, gI, dims, currents.shape.slice()),
    reshape(gl, gV0, initialMembrane.shape.slice()),
    gLeak,
    gThreshold,
  ];
  for (const info of [x, v0, gS, gV, checkpoints, trace, adjoints, gI, gV0, partials]) {
    gl.disposeIntermediateTensorInfo(info);
  }
  return outputs;
};

export const lifGradWebGLConfig: KernelConfig = {kernelName: LIF_GRAD, backendName: 'webgl', kernelFunc: lifGradWebGL};
