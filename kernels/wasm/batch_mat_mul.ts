/**
 * BatchMatMul for the wasm backend. A dense layer's three products (the forward x·W, the filter gradient xᵀ·dy and
 * the input gradient dy·Wᵀ) are matrices (rank 2, or a batch of 1):
 *
 * - a·b and aᵀ·b run in tfjs-snn's SIMD products program (simd/plane_products_program.ts: 'rows' with b packed
 *   block by block, and 'sums' into a zeroed output, which needs no transposed copy of a) where b's columns are a
 *   multiple of 4; on snn.useThreadedWasm's threads a·b splits its rows between this thread and the program
 *   workers.
 * - a·bᵀ with b the larger operand (dy·Wᵀ) runs as (b·aᵀ)ᵀ, its product as above: the two small transposes (dy
 *   and the result) cost far less than W's (36 ms for VGG9's [4096, 1024] on one thread).
 * - Other transposed operands are transposed in memory (one copy each) first: wasm's own kernel runs XNNPACK only
 *   for untransposed operands, and a plain loop otherwise, 12-20× slower (bench/wasm_conv_grad.ts).
 *
 * Everything else (batches, int32, columns not a multiple of 4, engines without SIMD) goes to wasm's own kernel
 * (XNNPACK's fully-connected operator).
 */
import {
  BatchMatMul,
  BatchMatMulAttrs,
  engine,
  KernelConfig,
  NamedAttrMap,
  Tensor,
  TensorInfo,
  tidy,
  transpose,
} from '@tensorflow/tfjs-core';

import {replacementOf} from '../replace_kernel';
import {planeProductsProgram, PRODUCTS_BLOCK} from './simd/plane_products_program';
import {rowRanges, runParts} from './simd/program_workers';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {disposeHeapData, heapMemoryOf, WasmHeapBackend} from './wasm_backend';

/** Swaps the last two axes. */
function transposed(t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return transpose(t, perm);
}

/** The product of the axes before the last two. */
const batchOf = (t: TensorInfo) => t.shape.slice(0, -2).reduce((n, side) => n * side, 1);

/** Addresses this many bytes apart share an L1 cache set (4 KiB: 64 sets of 64-byte lines). */
const CACHE_SET_BYTES = 4096;

let enabled = true;
let calls = 0;

/** How many products ran in tfjs-snn's program since the package loaded (tests, benches). */
export function productsMatMulCalls(): number {
  return calls;
}

/** Turns the products program off (false: XNNPACK, as before) or on (the default); returns the previous setting. */
export function setProductsMatMulEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/**
 * a·b ('rows') or aᵀ·b ('sums', into zeros) in the products program, or null where it does not apply: both
 * float32 matrices of one rank with a batch of 1, b's columns a multiple of 4, SIMD, a heap the program can import.
 * The output is [rows, cols] behind a's leading axes (of 1).
 */
function productsMatMul(backend: unknown, a: TensorInfo, b: TensorInfo, transposeA: boolean): TensorInfo | null {
  if (!enabled || !simdKernelsAvailable() || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  if (a.shape.length < 2 || a.shape.length !== b.shape.length || batchOf(a) !== 1 || batchOf(b) !== 1) return null;
  const [aRows, aCols] = a.shape.slice(-2);
  const [depth, cols] = b.shape.slice(-2);
  const rows = transposeA ? aCols : aRows;
  if ((transposeA ? aRows : aCols) !== depth || cols % 4 !== 0 || rows * cols * depth === 0) return null;
  // aᵀ·b steps down a's and b's rows: rows a multiple of 4 KiB apart put a tile's loads in one L1 set (VGG9's
  // xᵀ·dy, x [64, 4096] and dy [64, 1024]: 18.8-21.0 ms, against 12.2 for a transposed copy of x and XNNPACK).
  // Those take the transposed copy of a (the caller) and a·b, which packs b.
  if (transposeA && [rows, cols].some(floats => (floats * 4) % CACHE_SET_BYTES === 0)) return null;
  const heap = backend as WasmHeapBackend;
  const memory = heapMemoryOf(backend, a);
  if (memory == null) return null;
  const out = heap.makeOutput([...a.shape.slice(0, -2), rows, cols], 'float32');
  const ranges = transposeA ? [] : rowRanges(memory, rows);
  // a·b: a block of b packed per part (plane_products_program.ts), at most PRODUCTS_BLOCK's floats.
  const packFloats = Math.min(depth, PRODUCTS_BLOCK.depth) * Math.min(cols, PRODUCTS_BLOCK.cols);
  let pack: TensorInfo | null = null;
  try {
    if (ranges.length > 0) pack = heap.makeOutput([ranges.length * packFloats], 'float32');
    // Addresses after the allocations, which may grow the heap (byte offsets stay valid, views do not).
    const [aAt, bAt] = [a, b].map(info => heap.typedArrayFromHeap(info).byteOffset);
    const outView = heap.typedArrayFromHeap(out) as Float32Array;
    const outAt = outView.byteOffset;
    if (pack == null) {
      outView.fill(0);
      planeProductsProgram('sums').on(memory)(aAt, bAt, outAt, rows, cols, depth, 0, 1, 0, 0, 0, 0);
    } else {
      const packAt = heap.typedArrayFromHeap(pack).byteOffset;
      const program = planeProductsProgram('rows', {packed: true});
      const parts = ranges.map(([from, to], part) => [
        aAt + from * depth * 4,
        bAt,
        outAt + from * cols * 4,
        to - from,
        cols,
        depth,
        0,
        1,
        0,
        0,
        0,
        packAt + part * packFloats * 4,
      ]);
      runParts(memory, program.program(memory), program.on(memory), parts);
    }
    calls++;
    return out;
  } catch (error) {
    disposeHeapData(backend, [out]);
    throw error;
  } finally {
    if (pack != null) disposeHeapData(backend, [pack]);
  }
}

export function batchMatMulWasmConfig(builtIn: KernelConfig): KernelConfig {
  return replacementOf(builtIn, wasmOwn => args => {
    const {transposeA, transposeB} = args.attrs as unknown as BatchMatMulAttrs;
    const {a, b} = args.inputs as {a: Tensor; b: Tensor};
    if (!transposeB) {
      const out = productsMatMul(args.backend, a, b, transposeA);
      if (out != null) return out;
    }
    if (!transposeA && !transposeB) return wasmOwn(args);
    if (!transposeA && transposeB && batchOf(a) === 1 && batchOf(b) === 1 && b.size > a.size) {
      // a·bᵀ = (b·aᵀ)ᵀ: for a dense layer's input gradient dy·Wᵀ, W is large and dy small, and the two small
      // transposes (dy and the result) cost far less than W's (36 ms for VGG9's [4096, 1024] on one thread).
      return tidy(() =>
        transposed(
          engine().runKernel(BatchMatMul, {a: b, b: transposed(a)}, {
            transposeA: false,
            transposeB: false,
          } as unknown as NamedAttrMap) as Tensor
        )
      );
    }
    return tidy(
      () =>
        engine().runKernel(BatchMatMul, {a: transposeA ? transposed(a) : a, b: transposeB ? transposed(b) : b}, {
          transposeA: false,
          transposeB: false,
        } as unknown as NamedAttrMap) as Tensor
    );
  });
}
