/**
 * Conv2DBackpropFilter on WebGPU as split-K programs (conv2d_backprop_filter_gpu.ts), in place of
 * tfjs-backend-webgpu 4.22's own one-invocation-per-filter-element loop, which took 36 % of the kernel time of a
 * small-model training step under SwiftShader (docs/benchmarks.md). NCHW and empty tensors go to the kernel this
 * one replaced. (The kernel has no dilations: tfjs-core refuses the gradient of a dilated conv2d before it gets
 * here.) `node bench/conv_grad.mjs --backend webgpu` measures both.
 */
import {backend_util, Conv2DBackpropFilterAttrs, KernelConfig, TensorInfo, util} from '@tensorflow/tfjs-core';

import {replacementOf} from '../replace_kernel';
import {filterGradChunkPlan} from '../split_k';

import {
  FilterGradChunksProgram,
  filterGradUniforms,
  SumChunksProgram,
  sumChunksUniforms,
} from './conv2d_backprop_filter_gpu';
import {reshape, WebGPUBackendLike} from './webgpu_backend';

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

/** NHWC and non-empty. */
function isCovered(c: backend_util.Conv2DInfo, x: TensorInfo, dy: TensorInfo): boolean {
  const sizeOf = (t: TensorInfo) => util.sizeFromShape(t.shape);
  return c.dataFormat === 'channelsLast' && sizeOf(x) > 0 && sizeOf(dy) > 0;
}

function filterGrad(gpu: WebGPUBackendLike, x: TensorInfo, dy: TensorInfo, c: backend_util.Conv2DInfo): TensorInfo {
  util.assert(
    util.arraysEqual(dy.shape, c.outShape),
    () => `Conv2DBackpropFilter: dy has shape [${dy.shape}] but the conv's output is [${c.outShape}]`
  );
  const plan = filterGradChunkPlan(c);
  const filterSize = util.sizeFromShape(c.filterShape);
  const partials = gpu.runWebGPUProgram(
    new FilterGradChunksProgram(c, plan),
    [x, dy],
    'float32',
    filterGradUniforms(c, plan)
  );
  const sum =
    plan.chunks === 1
      ? null
      : gpu.runWebGPUProgram(
          new SumChunksProgram(filterSize),
          [partials],
          'float32',
          sumChunksUniforms(plan.chunks, filterSize)
        );
  const dW = reshape(gpu, sum ?? partials, c.filterShape);
  for (const info of [partials, sum]) if (info != null) gpu.disposeData(info.dataId);
  return dW;
}

/** Our kernel, handing the cases it does not cover to webgpu's own. */
export function conv2dBackpropFilterWebGPUConfig(builtIn: KernelConfig): KernelConfig {
  return replacementOf(builtIn, webgpuOwn => args => {
    const {x, dy} = args.inputs as {x: TensorInfo; dy: TensorInfo};
    const convInfo = convInfoOf(x, args.attrs as unknown as Conv2DBackpropFilterAttrs);
    if (!isCovered(convInfo, x, dy)) return webgpuOwn(args);
    return filterGrad(args.backend as unknown as WebGPUBackendLike, x, dy, convInfo);
  });
}
