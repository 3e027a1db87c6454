/**
 * Conv2DBackpropInput for the wasm backend as one XNNPACK conv, in place of
 * tfjs-backend-wasm 4.22's own kernel (a plain loop, several times slower).
 *
 * For stride 1 the input gradient is the convolution of dy with the filter
 * flipped in space and its channel axes swapped:
 *
 *   dx[n, y, x, c] = Σ_{i, j, o} dyPadded[n, y + i, x + j, o] · W[kh−1−i, kw−1−j, c, o]
 *
 * where dy is padded by kh−1−top rows above, kh−1−bottom below (and likewise for
 * columns), so dx gets x's size. A 3×3 filter of 16 or more channels (multiples of 4) runs
 * that convolution as Winograd F(4×4, 3×3) (winograd.ts), reading the filter flipped in
 * place; other filters as one XNNPACK conv of a flipped copy. Strides above 1, and paddings
 * wider than the filter (which would need negative padding here), go to the kernel this one
 * replaced. bench/wasm_conv_grad.ts and bench/wasm_winograd.ts measure them.
 */
import {
  backend_util,
  Conv2D,
  Conv2DAttrs,
  Conv2DBackpropInputAttrs,
  engine,
  KernelConfig,
  NamedAttrMap,
  Tensor,
  tensor4d,
  TensorInfo,
  tidy,
} from '@tensorflow/tfjs-core';

import {replacementOf} from '../replace_kernel';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {heapMemoryOf} from './wasm_backend';
import {winogradConv, winogradOfInputGrad} from './winograd';

type Padding = {top: number; bottom: number; left: number; right: number};

function convInfoOf(filter: Tensor, attrs: Conv2DBackpropInputAttrs): backend_util.Conv2DInfo {
  const {strides, pad, dataFormat, dimRoundingMode, inputShape} = attrs;
  return backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat)
  );
}

/** The padding of dy for the flipped conv, or null where this kernel does not apply. */
function flippedPadding(c: backend_util.Conv2DInfo): Padding | null {
  if (c.dataFormat !== 'channelsLast' || c.strideHeight !== 1 || c.strideWidth !== 1) return null;
  const {top, bottom, left, right} = c.padInfo;
  const padding = {
    top: c.filterHeight - 1 - top,
    bottom: c.filterHeight - 1 - bottom,
    left: c.filterWidth - 1 - left,
    right: c.filterWidth - 1 - right,
  };
  return Object.values(padding).every(p => p >= 0) ? padding : null;
}

/**
 * W[kh−1−i, kw−1−j, c, o] at [i, j, o, c]: the filter flipped in space with its channel axes swapped, in one pass
 * over the heap (tfjs's reverse and transpose took 10–30 ms a call on VGG9's filters).
 */
function flippedFilter(backend: unknown, filter: TensorInfo): Tensor {
  const [kh, kw, inChannels, outChannels] = filter.shape;
  const w = (backend as {typedArrayFromHeap(info: TensorInfo): Float32Array}).typedArrayFromHeap(filter);
  const flipped = new Float32Array(w.length);
  const tap = inChannels * outChannels;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * tap;
      const to = (i * kw + j) * tap;
      for (let c = 0; c < inChannels; c++) {
        for (let o = 0; o < outChannels; o++) flipped[to + o * inChannels + c] = w[from + c * outChannels + o];
      }
    }
  }
  return tensor4d(flipped, [kh, kw, outChannels, inChannels]);
}

function flippedConv(backend: unknown, dy: Tensor, filter: Tensor, padding: Padding): Tensor {
  return tidy(() => {
    const flipped = flippedFilter(backend, filter);
    const attrs: Conv2DAttrs = {
      strides: [1, 1],
      pad: [
        [0, 0],
        [padding.top, padding.bottom],
        [padding.left, padding.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    };
    return engine().runKernel(Conv2D, {x: dy, filter: flipped}, attrs as unknown as NamedAttrMap) as Tensor;
  });
}

/** Our kernel, handing the cases it does not cover to wasm's own. */
export function conv2dBackpropInputWasmConfig(builtIn: KernelConfig): KernelConfig {
  return replacementOf(builtIn, wasmOwn => args => {
    const {dy, filter} = args.inputs as {dy: Tensor; filter: Tensor};
    const info = convInfoOf(filter, args.attrs as unknown as Conv2DBackpropInputAttrs);
    const padding = flippedPadding(info);
    if (padding == null || filter.dtype !== 'float32' || dy.dtype !== 'float32') return wasmOwn(args);
    const winograd = simdKernelsAvailable() ? winogradOfInputGrad(info) : null;
    const memory = winograd == null ? null : heapMemoryOf(args.backend, dy);
    if (winograd != null && memory != null) return winogradConv(args.backend, memory, dy, filter, winograd, true);
    return flippedConv(args.backend, dy, filter, padding);
  });
}
