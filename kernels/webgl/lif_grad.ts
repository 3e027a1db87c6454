import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF_GRAD, LifAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {InitialMembraneGradProgram, LifGradProgram} from './lif_grad_gpu';
import {LifScanProgram} from './lif_gpu';
import {reshape, WebGLBackendLike} from './webgl_backend';

/**
 * BPTT on WebGL: recompute the membrane trace (one launch), walk the adjoint
 * back through time (one launch), then dL/dV_0 from the first step's gradient.
 */
export const lifGradWebGL: KernelFunc = ({inputs, backend, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane} = inputs as {[name: string]: TensorInfo};
  const gl = backend as unknown as WebGLBackendLike;
  const lifAttrs = attrs as unknown as LifAttrs;
  const {leak, threshold, alpha} = lifAttrs;
  const dims = lifDims(currents.shape);
  const trainShape = [dims.batch, dims.time, dims.features];
  const stateShape = [dims.batch, dims.features];
  const x = reshape(gl, currents, trainShape);
  const v0 = reshape(gl, initialMembrane, stateShape);
  const gS = reshape(gl, dSpikes, trainShape);
  const gV = reshape(gl, dMembrane, stateShape);
  const trace = gl.runWebGLProgram(
      new LifScanProgram(dims, lifAttrs.resetMode, 'trace'), [x, v0], 'float32', [[leak], [threshold]]);
  const gI = gl.runWebGLProgram(
      new LifGradProgram(dims, lifAttrs), [trace, gS, gV], 'float32', [[leak], [threshold], [alpha]]);
  const gV0 = gl.runWebGLProgram(new InitialMembraneGradProgram(dims), [gI], 'float32', [[leak]]);
  const outputs = [
    reshape(gl, gI, currents.shape.slice()),
    reshape(gl, gV0, initialMembrane.shape.slice()),
  ];
  for (const info of [x, v0, gS, gV, trace, gI, gV0]) gl.disposeIntermediateTensorInfo(info);
  return outputs;
};

export const lifGradWebGLConfig: KernelConfig =
    {kernelName: LIF_GRAD, backendName: 'webgl', kernelFunc: lifGradWebGL};
