/**
 * Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22 lacks
 * (so `tf.grad` of a conv, hence `model.fit` of any conv model, fails there).
 *
 * The filter gradient is itself a convolution, run by wasm's fast (XNNPACK) Conv2D:
 *
 *   dW[i, j, c, o] = Σ_{n, p, q} xPadded[n, sh·p + i, sw·q + j, c] · dy[n, p, q, o]
 *
 * Seen as a conv, x is ONE image of height H and width W·Cin whose N channels are
 * the batch (x transposed to [H, W, Cin, N]), the filter is dy as [OH, OW, N, Cout],
 * the stride is 1 and the dilations are [sh, sw·Cin]: output pixel (i, j·Cin + c)
 * is dW[i, j, c, :], so the result is already [kh, kw, Cin, Cout]. Folding Cin into
 * the width (rather than using it as the conv's batch) makes the output need no
 * transpose and turns x's transpose into a plain 2D one. The sum over n is cut into
 * chunks of the batch (setFilterGradChunkBytes), each one such conv over row views of x
 * and dy (no copy), so that the transposed dy is never whole.
 * bench/wasm_conv_grad.ts measures this against im2col + matmul, per-tap matmuls and
 * wasm's Conv3DBackpropFilterV2 (which is also wrong for strides > 1 in 4.22).
 *
 * Before it: the filter gradient over x's non-zeros where few are non-zero (below), then, for
 * a 3×3 stride-1 convolution of 16 or more channels, Winograd F(4×4, 3×3) (winograd.ts).
 */
import {
  backend_util,
  Conv2D,
  Conv2DAttrs,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  getKernel,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  Slice,
  TensorInfo,
  Transpose,
  util,
  zeros,
} from '@tensorflow/tfjs-core';

import {partCount, runParts, xnnpackThreadsPerProgramThread} from './simd/program_workers';
import {sparseFilterGradOn, sparseFilterGradProgram} from './simd/sparse_filter_grad_program';
import {geometryArgs} from './simd/sparse_taps';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {countNonZeros, listNonZerosIf} from './sparse_listing';
import {sparseConvLimits} from './conv2d';
import {disposeHeapData, heapMemory, heapMemoryOf, releaseView, rowView, WasmHeapBackend} from './wasm_backend';
import {WINOGRAD_DENSITY, WinogradConv, winogradFilterGrad, winogradOfConv} from './winograd';

/** How much of x the conv windows read: rows/cols of x kept, and the zero padding around them. */
interface Footprint {
  keptRows: number;
  keptCols: number;
  pad: {top: number; bottom: number; left: number; right: number};
}

/** The default of {@link setFilterGradChunkBytes}. */
const DEFAULT_CHUNK_BYTES = 2 ** 20;
let chunkBytes = DEFAULT_CHUNK_BYTES;

/**
 * The most bytes of dy one chunk of the batch covers (at least one image per chunk); null restores the default,
 * 1 MiB. The gradient is summed over chunks of the batch, so the transposed dy (and XNNPACK's packed copy of it)
 * are chunk-sized rather than dy-sized: the first conv's filter gradient comes last in a backward pass, when every
 * saved activation and every gradient is still alive, so its work area is the step's peak (36.8 of the 453 MiB a
 * small-model step on wasm held at once, T 6, batch 64). Exported for tests, which cut the batch into chunks of
 * one or two images.
 */
export function setFilterGradChunkBytes(bytes: number | null): void {
  if (bytes != null && !(Number.isInteger(bytes) && bytes > 0)) {
    throw new Error(`setFilterGradChunkBytes: bytes must be a positive integer or null; got ${bytes}`);
  }
  chunkBytes = bytes ?? DEFAULT_CHUNK_BYTES;
}

/**
 * When the filter gradient visits x's non-zeros only (simd/sparse_filter_grad_program.ts): at most this share of x
 * non-zero, spikes and other values alike; or, for x of at most FEW_CHANNELS channels (an image), whenever the
 * convolution path's own Conv2D would not go over the non-zeros (above its limits, conv2d.ts).
 * `node build/bench-wasm-sparse-conv.cjs --filter-grad` (docs/benchmarks.md), the program against the convolution
 * path below: 1.0-2.4× up to 50 % non-zero on the spiking layers of small and vgg9, 0.6-1.2× at 70 % and 100 %;
 * on inputs of 1 and 3 channels 0.7-0.9× where the convolution goes over the non-zeros, and 1.6-4.7× above, where
 * XNNPACK packs all of dy (the convolution's filter) anew at each call. A threaded build without program workers
 * divides the share by XNNPACK's threads per program thread.
 */
const DEFAULT_FILTER_GRAD_DENSITY = 0.5;
const FEW_CHANNELS = 3;
let filterGradDensity: number | null = null;

/**
 * The largest share of non-zero x for which the wasm Conv2DBackpropFilter visits non-zeros only, whatever x's
 * channels (0 turns it off, 1 always takes it; null restores the defaults). Exported for tests and benches.
 */
export function setSparseFilterGradDensity(density: number | null): void {
  if (density != null && !(density >= 0 && density <= 1)) {
    throw new Error(`setSparseFilterGradDensity: density must be a number in [0, 1] or null; got ${density}`);
  }
  filterGradDensity = density;
}

let sparseGradCalls = 0;

/** How many filter gradients visited non-zeros only since the package loaded (for tests and benches). */
export function sparseFilterGradCalls(): number {
  return sparseGradCalls;
}

export const conv2dBackpropFilterWasm: KernelFunc = ({inputs, attrs, backend}) => {
  const {x, dy} = inputs as {x: TensorInfo; dy: TensorInfo};
  const convInfo = convInfoOf(x, dy, attrs as unknown as Conv2DBackpropFilterAttrs);
  const footprint = footprintOf(convInfo);
  if (footprint.keptRows <= 0 || footprint.keptCols <= 0) return zeros(convInfo.filterShape);
  const winograd = winogradOfConv(convInfo);
  const sparse = sparseFilterGrad(backend, x, dy, convInfo, winograd != null);
  if (sparse != null) return sparse;
  const dense = winograd == null ? null : winogradFilterGradIf(backend, x, dy, winograd);
  if (dense != null) return dense;
  const batch = convInfo.batchSize;
  const dyImageBytes = util.sizeFromShape(dy.shape.slice(1)) * 4;
  const chunk = Math.max(1, Math.floor(chunkBytes / dyImageBytes));
  let sum: TensorInfo | null = null;
  try {
    for (let first = 0; first < batch; first += chunk) {
      const part = chunkFilterGrad(backend, x, dy, convInfo, footprint, first, Math.min(chunk, batch - first));
      if (sum == null) {
        sum = part;
      } else {
        addInto(backend, sum, part);
        disposeHeapData(backend, [part]);
      }
    }
  } catch (error) {
    if (sum != null) disposeHeapData(backend, [sum]);
    throw error;
  }
  return {dataId: sum!.dataId, shape: convInfo.filterShape, dtype: 'float32'};
};

/** The filter gradient by Winograd F(4×4, 3×3) (winograd.ts), or null where that does not take the convolution. */
function winogradFilterGradIf(
  backend: unknown,
  x: TensorInfo,
  dy: TensorInfo,
  winograd: WinogradConv
): TensorInfo | null {
  if (!simdKernelsAvailable() || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const memory = heapMemoryOf(backend, x);
  return memory == null ? null : winogradFilterGrad(backend, memory, x, dy, winograd);
}

/**
 * The filter gradient over x's non-zeros, or null where it does not apply (no SIMD, output channels not a multiple
 * of 4, a heap the program cannot import, or too many non-zeros). x's non-zeros are listed per chunk of images (the
 * chunk as for the convolution path below), and the program adds dy into dW for each; on a shared heap with
 * program workers each thread takes a range of output channels. `winograd`: whether Winograd would take the
 * gradient otherwise (its limit then applies, WINOGRAD_DENSITY).
 */
function sparseFilterGrad(
  backend: unknown,
  x: TensorInfo,
  dy: TensorInfo,
  c: backend_util.Conv2DInfo,
  winograd: boolean
): TensorInfo | null {
  if (filterGradDensity === 0 || !simdKernelsAvailable() || x.dtype !== 'float32' || dy.dtype !== 'float32') {
    return null;
  }
  if (c.outChannels % 4 !== 0 || c.outChannels === 0) return null;
  const heap = backend as WasmHeapBackend;
  const xs = heap.typedArrayFromHeap(x) as Float32Array;
  const memory = heapMemory(backend, xs);
  if (memory == null || xs.length === 0) return null;
  // Numbers, not the view: a view of the heap reads as empty once an allocation has grown the heap.
  const [xAddress, xLength] = [xs.byteOffset, xs.length];
  const pixels = c.batchSize * c.inHeight * c.inWidth;
  const rowBytes = c.outChannels * 4;
  // Whether to take this path: a count over x (stopping once past the limit), no listing yet.
  const count = (stop: number) => countNonZeros(heap, memory, xAddress, pixels, c.inChannels, stop);
  let binary: boolean;
  if (filterGradDensity == null && c.inChannels <= FEW_CHANNELS) {
    // Few channels (an image): the program, unless the convolution path's Conv2D goes over the non-zeros itself.
    const limits = sparseConvLimits(backend);
    const found = count(xLength);
    if (found.nonZeros <= Math.floor((found.binary ? limits.binary : limits.valued) * xLength)) return null;
    binary = found.binary;
  } else {
    const own = filterGradDensity ?? DEFAULT_FILTER_GRAD_DENSITY / xnnpackThreadsPerProgramThread(backend);
    // Where Winograd takes the gradient, no more than where it wins (winograd.ts).
    const against = winograd && filterGradDensity == null ? WINOGRAD_DENSITY.filterGrad : null;
    const share = Math.min(own, against?.binary ?? 1);
    const most = Math.floor(share * xLength);
    const found = count(most);
    if (found.nonZeros > most) return null;
    binary = found.binary;
  }
  const imagePixels = c.inHeight * c.inWidth;
  const imageValues = imagePixels * c.inChannels;
  const chunk = Math.max(1, Math.floor(chunkBytes / (imageValues * 4)));
  const dw = heap.makeOutput(c.filterShape.slice(), 'float32');
  try {
    // Byte addresses stay valid when the heap grows (views of it do not).
    (heap.typedArrayFromHeap(dw) as Float32Array).fill(0);
    const dwAddress = heap.typedArrayFromHeap(dw).byteOffset;
    const dyAddress = heap.typedArrayFromHeap(dy).byteOffset;
    const dyImageBytes = c.outHeight * c.outWidth * rowBytes;
    const parts = partCount(memory, Math.ceil(c.outChannels / 32));
    const program = sparseFilterGradProgram(memory, binary);
    const onThisThread = sparseFilterGradOn(memory, binary);
    sparseGradCalls++;
    for (let first = 0; first < c.batchSize; first += chunk) {
      const count = Math.min(chunk, c.batchSize - first);
      const chunkValues = count * imageValues;
      const listing = listNonZerosIf(
        heap,
        memory,
        xAddress + first * imageValues * 4,
        count * imagePixels,
        c.inChannels,
        rowBytes,
        chunkValues,
        () => true
      )!;
      try {
        const args = ([firstChannel, endChannel]: [number, number]) => [
          listing.starts,
          listing.channels,
          listing.values,
          dyAddress + first * dyImageBytes,
          dwAddress,
          count,
          ...geometryArgs(c),
          firstChannel,
          endChannel,
        ];
        runParts(memory, program, onThisThread, channelRanges(c.outChannels, parts).map(args));
      } finally {
        disposeHeapData(backend, listing.infos);
      }
    }
    return dw;
  } catch (error) {
    disposeHeapData(backend, [dw]);
    throw error;
  }
}

/** `channels` (a multiple of 4) cut into `parts` ranges of whole blocks of 32 where it can, the rest in the last. */
function channelRanges(channels: number, parts: number): Array<[number, number]> {
  const blocks = Math.floor(channels / 32);
  return Array.from({length: parts}, (_, i) => [
    Math.round((i * blocks) / parts) * 32,
    i === parts - 1 ? channels : Math.round(((i + 1) * blocks) / parts) * 32,
  ]);
}

/** The backend's own kernel `name`, called directly on heap data that never reaches the engine. */
function run(name: string, backend: unknown, inputs: Record<string, TensorInfo>, attrs: unknown): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`wasm Conv2DBackpropFilter needs wasm's ${name} kernel, which is not registered`);
  return kernel.kernelFunc({inputs, attrs: attrs as NamedAttrMap, backend: backend as never}) as TensorInfo;
}

/** sum += part, both float32 on the heap, of the filter's size. */
function addInto(backend: unknown, sum: TensorInfo, part: TensorInfo): void {
  const heap = backend as {typedArrayFromHeap(info: TensorInfo): Float32Array};
  const partValues = heap.typedArrayFromHeap(part);
  const sumValues = heap.typedArrayFromHeap(sum);
  for (let i = 0; i < sumValues.length; i++) sumValues[i] += partValues[i];
}

/**
 * The filter gradient of images first … first + count − 1, as [1, kh, kw·Cin, Cout]: x's rows as one image of
 * height H and width W·Cin whose channels are the images (transposed to [H, W·Cin, count], cropped to the
 * footprint), dy's rows as the filter [OH, OW, count, Cout].
 */
function chunkFilterGrad(
  backend: unknown,
  x: TensorInfo,
  dy: TensorInfo,
  c: backend_util.Conv2DInfo,
  footprint: Footprint,
  first: number,
  count: number
): TensorInfo {
  const {inHeight, inWidth, inChannels} = c;
  const views: TensorInfo[] = [];
  const temps: TensorInfo[] = [];
  try {
    const xRows = rowView(backend, x, first, count);
    views.push(xRows);
    const xFlat = {...xRows, shape: [count, inHeight * inWidth * inChannels]};
    const pixelsLast = run(Transpose, backend, {x: xFlat}, {perm: [1, 0]});
    temps.push(pixelsLast);
    let image: TensorInfo = {...pixelsLast, shape: [1, inHeight, inWidth * inChannels, count]};
    if (footprint.keptRows !== inHeight || footprint.keptCols !== inWidth) {
      const size = [1, footprint.keptRows, footprint.keptCols * inChannels, count];
      image = run(Slice, backend, {x: image}, {begin: [0, 0, 0, 0], size});
      temps.push(image);
    }
    const dyRows = rowView(backend, dy, first, count);
    views.push(dyRows);
    const filter = run(Transpose, backend, {x: dyRows}, {perm: [1, 2, 0, 3]});
    temps.push(filter);
    return run(Conv2D, backend, {x: image, filter}, gradConvAttrs(c, footprint));
  } finally {
    disposeHeapData(backend, temps);
    for (const view of views) releaseView(backend, view);
  }
}

function convInfoOf(x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): backend_util.Conv2DInfo {
  const {strides, pad, dataFormat, dimRoundingMode, filterShape} = attrs;
  util.assert(dataFormat !== 'NCHW', () => `wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got 'NCHW'`);
  const convInfo = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast'
  );
  util.assert(
    util.arraysEqual(dy.shape, convInfo.outShape),
    () => `Conv2DBackpropFilter: dy has shape [${dy.shape}] but the conv's output is [${convInfo.outShape}]`
  );
  return convInfo;
}

/**
 * The windows end at row sh·(OH-1) + kh of the padded x: rows of x past that are
 * never read (e.g. 'valid' with a stride that does not divide the size) and are
 * cropped, since the conv below cannot take a negative padding.
 */
function footprintOf(c: backend_util.Conv2DInfo): Footprint {
  const rowsRead = c.strideHeight * (c.outHeight - 1) + c.filterHeight;
  const colsRead = c.strideWidth * (c.outWidth - 1) + c.filterWidth;
  const {top, left} = c.padInfo;
  const keptRows = Math.min(c.inHeight, rowsRead - top);
  const keptCols = Math.min(c.inWidth, colsRead - left);
  return {keptRows, keptCols, pad: {top, bottom: rowsRead - top - keptRows, left, right: colsRead - left - keptCols}};
}

function gradConvAttrs(c: backend_util.Conv2DInfo, {pad}: Footprint): NamedAttrMap {
  const cin = c.inChannels;
  const convAttrs: Conv2DAttrs = {
    strides: [1, 1],
    pad: [
      [0, 0],
      [pad.top, pad.bottom],
      [pad.left * cin, pad.right * cin],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations: [c.strideHeight, c.strideWidth * cin],
  };
  return convAttrs as unknown as NamedAttrMap;
}

export const conv2dBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm,
};
