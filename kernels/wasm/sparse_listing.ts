/**
 * The listing of an NHWC tensor's non-zero values per pixel that the wasm convolution over non-zeros
 * (conv2d.ts, simd/sparse_conv_program.ts) and its filter gradient (conv2d_backprop_filter.ts,
 * simd/sparse_filter_grad_program.ts) read: `starts[p] … starts[p + 1] − 1` are pixel p's entries, and each
 * entry holds its channel's byte offset in a filter tap (c·Cout·4) and its value.
 */
import {TensorInfo} from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm these helpers use. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}

/** How many of `values` are non-zero, and how many of those are 1; the count stops once past `stop`. */
export function countNonZeros(values: Float32Array, stop: number): {nonZeros: number; ones: number} {
  let nonZeros = 0;
  let ones = 0;
  for (let i = 0; i < values.length && nonZeros <= stop; i++) {
    const v = values[i];
    if (v !== 0) {
      nonZeros++;
      if (v === 1) ones++;
    }
  }
  return {nonZeros, ones};
}

/** Views of a listing on the heap: `starts` [pixels + 1], `channels` and `values` [entries]. */
export interface Listing {
  starts: Int32Array;
  channels: Int32Array;
  values: Float32Array;
}

/** Heap tensors for a listing of `pixels` pixels and at most `entries` non-zeros (free with disposeHeapData). */
export function allocateListing(backend: HeapBackend, pixels: number, entries: number): TensorInfo[] {
  return [
    backend.makeOutput([pixels + 1], 'int32'),
    backend.makeOutput([Math.max(1, entries)], 'int32'),
    backend.makeOutput([Math.max(1, entries)], 'float32'),
  ];
}

/** Views of {@link allocateListing}'s tensors; take them after the last heap allocation, which detaches views. */
export function listingViews(backend: HeapBackend, infos: TensorInfo[]): Listing {
  return {
    starts: backend.typedArrayFromHeap(infos[0]) as Int32Array,
    channels: backend.typedArrayFromHeap(infos[1]) as Int32Array,
    values: backend.typedArrayFromHeap(infos[2]) as Float32Array,
  };
}

/**
 * Lists the non-zeros of pixels `firstPixel` … `firstPixel + pixels − 1` of `x` (`inChannels` values each) into
 * `listing`, from entry 0 and pixel 0; `rowBytes` is the byte size of one filter row (Cout·4). Returns the entries.
 * The views must be current (taken after the last heap allocation).
 */
export function listNonZeros(
  x: Float32Array,
  firstPixel: number,
  pixels: number,
  inChannels: number,
  rowBytes: number,
  listing: Listing
): number {
  const {starts, channels, values} = listing;
  let entry = 0;
  for (let pixel = 0, base = firstPixel * inChannels; pixel < pixels; pixel++, base += inChannels) {
    starts[pixel] = entry;
    for (let ch = 0; ch < inChannels; ch++) {
      const v = x[base + ch];
      if (v !== 0) {
        channels[entry] = ch * rowBytes;
        values[entry] = v;
        entry++;
      }
    }
  }
  starts[pixels] = entry;
  return entry;
}
