/**
 * The listing of an NHWC tensor's non-zero values per pixel that the wasm convolution over non-zeros
 * (conv2d.ts, simd/sparse_conv_program.ts) and its filter gradient (conv2d_backprop_filter.ts,
 * simd/sparse_filter_grad_program.ts) read: `starts[p] … starts[p + 1] − 1` are pixel p's entries, and each
 * entry holds its channel's byte offset in a filter tap (c·Cout·4) and its value. Made on the heap by two SIMD
 * programs (simd/listing_program.ts): a count per pixel, which also decides whether the input is sparse enough
 * (countNonZeros, where a kernel decides before it lists), then the entries.
 */
import {TensorInfo} from '@tensorflow/tfjs-core';

import {countNonZerosOn, listNonZerosOn} from './simd/listing_program';
import {disposeHeapData, WasmHeapBackend} from './wasm_backend';

/** A listing on the heap: the byte addresses of its parts, and the heap tensors to free (disposeHeapData). */
export interface Listing {
  starts: number;
  channels: number;
  values: number;
  infos: TensorInfo[];
  nonZeros: number;
  /** Every non-zero is 1 (spikes). */
  binary: boolean;
}

/** What a count found: the non-zeros (more than `stop` where it stopped early), and whether every one is 1. */
export interface NonZeroCount {
  nonZeros: number;
  binary: boolean;
}

/** Runs the count program on x, writing each pixel's start at byte address `starts` (pixels + 2 int32 slots). */
function countInto(
  memory: WebAssembly.Memory,
  xAddress: number,
  starts: number,
  pixels: number,
  inChannels: number,
  stop: number
): NonZeroCount {
  countNonZerosOn(memory)(xAddress, starts, pixels, inChannels, stop);
  const [nonZeros, notOnes] = new Int32Array(memory.buffer, starts + pixels * 4, 2);
  return {nonZeros, binary: notOnes === 0};
}

/**
 * Counts the non-zeros of `pixels` pixels of `inChannels` values from x's byte address `xAddress`, stopping once
 * past `stop` (a dense x costs a part of one pass): whether to take a path over the non-zeros, before listing them.
 */
export function countNonZeros(
  backend: WasmHeapBackend,
  memory: WebAssembly.Memory,
  xAddress: number,
  pixels: number,
  inChannels: number,
  stop: number
): NonZeroCount {
  const starts = backend.makeOutput([pixels + 2], 'int32');
  try {
    return countInto(memory, xAddress, backend.typedArrayFromHeap(starts).byteOffset, pixels, inChannels, stop);
  } finally {
    disposeHeapData(backend, [starts]);
  }
}

/**
 * Lists the non-zeros of `pixels` pixels of `inChannels` values from x's byte address `xAddress` (rowBytes: the
 * byte size of a filter row, Cout·4), if `accept(nonZeros, binary)` says so; null otherwise. The count stops once
 * past `stop` non-zeros (it then reports more than `stop`), so a dense x costs a part of one pass.
 */
export function listNonZerosIf(
  backend: WasmHeapBackend,
  memory: WebAssembly.Memory,
  xAddress: number,
  pixels: number,
  inChannels: number,
  rowBytes: number,
  stop: number,
  accept: (nonZeros: number, binary: boolean) => boolean
): Listing | null {
  const infos = [backend.makeOutput([pixels + 2], 'int32')];
  try {
    // Byte addresses stay valid when the heap grows (views of it do not).
    const starts = backend.typedArrayFromHeap(infos[0]).byteOffset;
    const {nonZeros, binary} = countInto(memory, xAddress, starts, pixels, inChannels, stop);
    if (!accept(nonZeros, binary)) {
      disposeHeapData(backend, infos);
      return null;
    }
    // One entry more than the non-zeros: the listing program writes one past the last.
    infos.push(backend.makeOutput([nonZeros + 1], 'int32'), backend.makeOutput([nonZeros + 1], 'float32'));
    const [channels, values] = [infos[1], infos[2]].map(info => backend.typedArrayFromHeap(info).byteOffset);
    listNonZerosOn(memory)(xAddress, channels, values, pixels, inChannels, rowBytes);
    return {starts, channels, values, infos, nonZeros, binary};
  } catch (error) {
    disposeHeapData(backend, infos);
    throw error;
  }
}
