import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF_GRAD, LifAttrs, needsParameterGradients} from '../lif_attrs';
import {LifDims, lifDims} from '../lif_dims';
import {
  AdjointCheckpointProgram,
  InitialMembraneGradProgram,
  LifGradProgram,
  ParameterGradPartialsProgram,
  ParameterGradSumProgram,
} from './lif_grad_gpu';
import {checkpointsAndTrace} from './lif';
import {neuronParameters} from './lif_gpu';
import {fromStepPairs, toStepPairs} from './lif_layout';
import {reshape, WebGLBackendLike, WebGLProgram} from './webgl_backend';

/**
 * BPTT on WebGL: the membrane trace (the forward kernel's third output, input `trace`; recomputed, checkpoints
 * then the trace, where it is not given), the adjoint checkpointed at block ends, each block walked back to every
 * step, then dL/dV_0 from the first step's gradient, and the leak and threshold gradients: per sample summed over
 * time, then over the batch. Outputs [dCurrents, dInitialMembrane, dLeak [N], dThreshold [N]].
 */
export const lifGradWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane} = inputs as {[name: string]: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const lifAttrs = attrs as unknown as LifAttrs;
  const {alpha, vReset} = lifAttrs;
  const dims = lifDims(currents.shape);
  const stateShape = [dims.batch, dims.features];
  const v0 = reshape(gl, initialMembrane, stateShape);
  const gS = toStepPairs(gl, dSpikes, dims);
  const gV = reshape(gl, dMembrane, stateShape);
  const neurons = neuronParameters(gl, inputs);
  const run = (program: WebGLProgram, programInputs: TensorInfo[], uniforms: number[][]) =>
    gl.runWebGLProgram(program, programInputs, 'float32', uniforms);
  const gradUniforms = [[alpha], [vReset]];
  const trace = traceOf(gl, inputs.trace as TensorInfo | undefined, currents, v0, neurons, lifAttrs);
  const adjoints = run(new AdjointCheckpointProgram(dims, lifAttrs), [trace, gS, gV, neurons], gradUniforms);
  const gI = run(new LifGradProgram(dims, lifAttrs), [trace, gS, adjoints, neurons], gradUniforms);
  const gV0 = run(new InitialMembraneGradProgram(dims), [gI, neurons], []);
  const [gLeak, gThreshold] = parameterGrads(gl, lifAttrs, dims, [trace, gI, gV, v0, neurons]);
  const outputs = [
    fromStepPairs(gl, gI, dims, currents.shape.slice()),
    reshape(gl, gV0, initialMembrane.shape.slice()),
    gLeak,
    gThreshold,
  ];
  for (const info of [v0, gS, gV, neurons, trace, adjoints, gI, gV0]) {
    gl.disposeIntermediateTensorInfo(info);
  }
  return outputs;
};

/**
 * dL/dβ and dL/dθ [features]: each sample's sums over time, then their sum over the batch (inputs: the trace, dL/dI,
 * dMembrane, V_0 and the neurons' parameters); zeros, on the CPU, where the caller does not use them.
 */
function parameterGrads(gl: WebGLBackendLike, attrs: LifAttrs, dims: LifDims, inputs: TensorInfo[]): TensorInfo[] {
  if (!needsParameterGradients(attrs)) {
    return [0, 1].map(() => gl.makeTensorInfo([dims.features], 'float32', new Float32Array(dims.features)));
  }
  const uniforms = [[attrs.alpha], [attrs.vReset]];
  const partials = gl.runWebGLProgram(new ParameterGradPartialsProgram(dims, attrs), inputs, 'float32', uniforms);
  const sums = (['leak', 'threshold'] as const).map(name =>
    gl.runWebGLProgram(new ParameterGradSumProgram(dims, name), [partials], 'float32', [])
  );
  gl.disposeIntermediateTensorInfo(partials);
  return sums;
}

/**
 * The membrane trace [batch, time, features] (owned by the caller): the forward's, or recomputed from the
 * currents (checkpoints, then the block scan).
 */
function traceOf(
  gl: WebGLBackendLike,
  saved: TensorInfo | undefined,
  currents: TensorInfo,
  v0: TensorInfo,
  neurons: TensorInfo,
  {resetMode, vReset}: LifAttrs
): TensorInfo {
  const dims = lifDims(currents.shape);
  if (saved != null) return reshape(gl, saved, [dims.batch, dims.time, dims.features]);
  const x = toStepPairs(gl, currents, dims);
  const {checkpoints, trace} = checkpointsAndTrace(gl, x, v0, neurons, dims, {resetMode, vReset});
  gl.disposeIntermediateTensorInfo(x);
  gl.disposeIntermediateTensorInfo(checkpoints);
  return trace;
}

export const lifGradWebGLConfig: KernelConfig = {kernelName: LIF_GRAD, backendName: 'webgl', kernelFunc: lifGradWebGL};
