/**
 * Conv2DBackpropFilter on WebGL as split-K programs (conv2d_backprop_filter_gpu.ts), in
 * place of tfjs-backend-webgl 4.22's own one-thread-per-filter-element loop, which takes
 * most of a conv SNN's training step under SwiftShader. NCHW, empty tensors and WebGL 1
 * go to the kernel this one replaced. (The kernel has no dilations: tfjs-core refuses the gradient
 * of a dilated conv2d before it gets here.) `node bench/conv_grad.mjs` measures both.
 */
import {backend_util, Conv2DBackpropFilterAttrs, env, KernelConfig, TensorInfo, util} from '@tensorflow/tfjs-core';

import {replacementOf} from '../replace_kernel';
import {filterGradChunkPlan} from '../split_k';

import {FilterGradChunksProgram, SumChunksProgram} from './conv2d_backprop_filter_gpu';
import {reshape, WebGLBackendLike} from './webgl_backend';

function convInfoOf(x: TensorInfo, attrs: Conv2DBackpropFilterAttrs): backend_util.Conv2DInfo {
  const {strides, pad, dataFormat, dimRoundingMode, filterShape} = attrs;
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat)
  );
}

/** NHWC, non-empty, on WebGL 2 (the programs loop to bounds set at run time, which WebGL 1's GLSL forbids). */
function isCovered(c: backend_util.Conv2DInfo, x: TensorInfo, dy: TensorInfo): boolean {
  const sizeOf = (t: TensorInfo) => util.sizeFromShape(t.shape);
  return c.dataFormat === 'channelsLast' && sizeOf(x) > 0 && sizeOf(dy) > 0 && env().getNumber('WEBGL_VERSION') === 2;
}

function filterGrad(gl: WebGLBackendLike, x: TensorInfo, dy: TensorInfo, c: backend_util.Conv2DInfo): TensorInfo {
  util.assert(
    util.arraysEqual(dy.shape, c.outShape),
    () => `Conv2DBackpropFilter: dy has shape [${dy.shape}] but the conv's output is [${c.outShape}]`
  );
  const plan = filterGradChunkPlan(c);
  const partials = gl.runWebGLProgram(new FilterGradChunksProgram(c, plan), [x, dy], 'float32');
  // One chunk: the partial is the result ([1, kh·kw, ...] to [kh, kw, ...] keeps the packed layout).
  const dW =
    plan.chunks === 1
      ? reshape(gl, partials, c.filterShape)
      : gl.runWebGLProgram(new SumChunksProgram(c.filterShape, plan.chunks), [partials], 'float32');
  gl.disposeIntermediateTensorInfo(partials);
  return dW;
}

/** Our kernel, handing the cases it does not cover to webgl's own. */
export function conv2dBackpropFilterWebGLConfig(builtIn: KernelConfig): KernelConfig {
  return replacementOf(builtIn, webglOwn => args => {
    const {x, dy} = args.inputs as {x: TensorInfo; dy: TensorInfo};
    const convInfo = convInfoOf(x, args.attrs as unknown as Conv2DBackpropFilterAttrs);
    if (!isCovered(convInfo, x, dy)) return webglOwn(args);
    return filterGrad(args.backend as unknown as WebGLBackendLike, x, dy, convInfo);
  });
}
