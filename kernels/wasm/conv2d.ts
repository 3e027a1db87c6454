/**
 * Conv2D for the wasm backend that skips the input's zeros when there are few non-zeros: a spiking layer's
 * convolution reads spikes (or their average pool), mostly zeros, and XNNPACK's dense convolution does the same
 * work for a zero as for any value. Where few of x's values are non-zero (a count over x, cheap beside the
 * convolution; the limits are below), the non-zeros are listed per pixel and a SIMD program adds only their
 * contributions (simd/sparse_conv_program.ts). Denser inputs of a 3×3, stride-1 convolution of at least 16
 * channels go to Winograd F(4×4, 3×3) (winograd.ts); other denser inputs, NCHW, output channels not a multiple of
 * 4 and engines without SIMD go to the built-in kernel (XNNPACK). Zero terms add nothing, so only the order of each
 * sum can differ from XNNPACK's; on every shape measured the results were equal bit for bit.
 */
import {backend_util, Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {replacementOf} from '../replace_kernel';
import {programWorkerCount, rowRanges, runParts, xnnpackThreadsPerProgramThread} from './simd/program_workers';
import {sparseConvOn, sparseConvProgram} from './simd/sparse_conv_program';
import {geometryArgs} from './simd/sparse_taps';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {Listing, listNonZerosIf} from './sparse_listing';
import {disposeHeapData, heapMemory, WasmHeapBackend} from './wasm_backend';
import {WINOGRAD_DENSITY, winogradConv, winogradOfConv} from './winograd';

/**
 * The largest non-zero shares for which the sparse path runs, for spikes (every non-zero is 1) and for other
 * values (e.g. pooled spikes), below where it stops being faster than XNNPACK (`bench/wasm_sparse_conv.ts`,
 * docs/benchmarks.md): when both run on one thread (since the listing is a SIMD program, spikes at 50 % 1.35-1.72×
 * and other values at 40 % 1.25-1.95× on the small and VGG9 shapes), and on snn.useThreadedWasm's 2 threads, where
 * the program's images are shared with its worker (program_workers.ts) but the listing stays on one thread
 * (measured with the JavaScript listing; not measured again). A threaded build without program workers divides the
 * one-thread limits by XNNPACK's threads.
 */
const DEFAULT_DENSITY = {binary: 0.5, valued: 0.4};
const WORKERS_DENSITY = {binary: 0.3, valued: 0.25};
let maxDensity: {binary: number; valued: number} | null = null;

/**
 * The largest share of non-zero inputs for which the wasm Conv2D visits non-zeros only, for spikes and other
 * values alike and whatever the threads (0 turns it off, leaving the dense paths, 1 always takes it; null restores
 * the defaults). Exported for tests and benches.
 */
export function setSparseConvDensity(density: number | null): void {
  if (density != null && !(density >= 0 && density <= 1)) {
    throw new Error(`setSparseConvDensity: density must be a number in [0, 1] or null; got ${density}`);
  }
  maxDensity = density == null ? null : {binary: density, valued: density};
}

let sparseCalls = 0;

/** How many convolutions took the sparse path since the package loaded (for tests and benches). */
export function sparseConvCalls(): number {
  return sparseCalls;
}

export function conv2dWasmConfig(builtIn: KernelConfig): KernelConfig {
  return replacementOf(builtIn, builtInFunc => {
    const conv2d: KernelFunc = args => {
      const {x, filter} = args.inputs as {x: TensorInfo; filter: TensorInfo};
      const attrs = args.attrs as unknown as Conv2DAttrs;
      if (
        !simdKernelsAvailable() ||
        x.dtype !== 'float32' ||
        filter.dtype !== 'float32' ||
        attrs.dataFormat === 'NCHW'
      ) {
        return builtInFunc(args);
      }
      const c = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        attrs.strides,
        attrs.dilations ?? 1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast'
      );
      if (c.outChannels % 4 !== 0 || c.outChannels === 0) {
        return builtInFunc(args);
      }
      const backend = args.backend as unknown as WasmHeapBackend;
      const xs = backend.typedArrayFromHeap(x) as Float32Array;
      // The programs import the heap; a build that does not expose it runs the built-in.
      const memory = heapMemory(backend, xs);
      if (memory == null) return builtInFunc(args);
      if (xs.length === 0) return builtInFunc(args);
      const winograd = winogradOfConv(c);
      const dense = () =>
        winograd == null ? builtInFunc(args) : winogradConv(backend, memory, x, filter, winograd, false);
      if (maxDensity?.binary === 0) return dense();
      const limits = sparseConvLimits(backend, winograd != null);
      // At most this many non-zeros for spikes, and for other values; the count stops once past the larger.
      const most = Math.floor(limits.binary * xs.length);
      const mostValued = Math.floor(limits.valued * xs.length);
      const pixels = c.batchSize * c.inHeight * c.inWidth;
      const listing = listNonZerosIf(
        backend,
        memory,
        xs.byteOffset,
        pixels,
        c.inChannels,
        c.outChannels * 4,
        Math.max(most, mostValued),
        (nonZeros, binary) => nonZeros <= (binary ? most : mostValued)
      );
      return listing == null ? dense() : sparseConv(backend, memory, listing, filter, c);
    };
    return conv2d;
  });
}

/**
 * The largest non-zero shares of x for which the Conv2D on this wasm backend takes the sparse path, for spikes and
 * for other values: the limits above divided by XNNPACK's threads over the program's, and no more than where
 * Winograd wins when it takes the convolution (`winograd`; winograd.ts). Exported for benches.
 */
export function sparseConvLimits(backend: unknown, winograd = false): {binary: number; valued: number} {
  const {limits, threads} = densityLimits(backend);
  const own = {binary: limits.binary / threads, valued: limits.valued / threads};
  // Against Winograd rather than XNNPACK's direct convolution (winograd.ts).
  const against = winograd && maxDensity == null ? WINOGRAD_DENSITY.conv : null;
  return against == null
    ? own
    : {binary: Math.min(own.binary, against.binary), valued: Math.min(own.valued, against.valued)};
}

function densityLimits(backend: unknown): {limits: typeof DEFAULT_DENSITY; threads: number} {
  if (maxDensity != null) return {limits: maxDensity, threads: 1};
  const threads = xnnpackThreadsPerProgramThread(backend);
  return {limits: programWorkerCount() > 0 ? WORKERS_DENSITY : DEFAULT_DENSITY, threads};
}

/** The convolution over x's non-zeros (listed), on `memory`, the heap; frees the listing. */
function sparseConv(
  backend: WasmHeapBackend,
  memory: WebAssembly.Memory,
  listing: Listing,
  filter: TensorInfo,
  c: backend_util.Conv2DInfo
): TensorInfo {
  let y: TensorInfo | null = null;
  try {
    y = backend.makeOutput(c.outShape.slice(), 'float32');
    sparseCalls++;
    const args = (firstImage: number, endImage: number) => [
      listing.starts,
      listing.channels,
      listing.values,
      backend.typedArrayFromHeap(filter).byteOffset,
      backend.typedArrayFromHeap(y!).byteOffset,
      firstImage,
      endImage,
      ...geometryArgs(c),
    ];
    // On a shared heap with program workers (snn.useThreadedWasm), each thread takes a range of images.
    const ranges = rowRanges(memory, c.batchSize).map(([first, end]) => args(first, end));
    runParts(memory, sparseConvProgram(memory, listing.binary), sparseConvOn(memory, listing.binary), ranges);
    return y;
  } catch (error) {
    if (y != null) disposeHeapData(backend, [y]);
    throw error;
  } finally {
    disposeHeapData(backend, listing.infos);
  }
}
