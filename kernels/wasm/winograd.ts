/**
 * A 3×3, stride-1 convolution on the wasm backend as Winograd F(4×4, 3×3) (simd/winograd_program.ts): the filter
 * and the input are transformed by SIMD programs, the 36 products [tiles, C] × [C, K] run in a SIMD program of their
 * own (simd/plane_products_program.ts; 53-64 GFLOP/s on one thread here, where XNNPACK's fully-connected operator,
 * which ran them before, gave 38-44), and a third program turns the products into the output. That is 36
 * multiply-adds per 4×4 output pixels, input channel and output channel where the direct convolution does 144: on
 * VGG9's shapes 3.3-4.5× faster than XNNPACK's direct convolution on one thread (`bench/wasm_winograd.ts`,
 * docs/benchmarks.md). With program workers (snn.useThreadedWasm) the transforms split each chunk's tiles between
 * the threads and the products its 36 planes.
 *
 * It serves the dense Conv2D (conv2d.ts, when the input has too many non-zeros for the sparse path), the input
 * gradient (conv2d_backprop_input.ts), whose filter is the forward's flipped in space with its channel axes
 * swapped (the filter transform reads it so, and no flipped copy is made), and the filter gradient
 * (conv2d_backprop_filter.ts, winogradFilterGrad below).
 *
 * Rounding: the transforms add up to 8 terms of mixed sign before the products and after, so results differ from
 * the direct convolution's by more than reordering does: on the specs' random cases under 1e-5 of the largest
 * value (test/node/wasm_winograd_spec.ts, against float64).
 */
import type {backend_util, TensorInfo} from '@tensorflow/tfjs-core';

import {partCount, runParts, rowRanges} from './simd/program_workers';
import {
  WINOGRAD_PRODUCTS,
  WINOGRAD_TILE,
  winogradConvChunksProgram,
  winogradFilterGradProgram,
  winogradFilterProgram,
  winogradGradientProgram,
  winogradInputProgram,
  winogradOutputProgram,
  WinogradProgram,
  planeBytes,
} from './simd/winograd_program';
import {planeProductsProgram, ProductsForm} from './simd/plane_products_program';
import {disposeHeapData, WasmHeapBackend} from './wasm_backend';

/** A 3×3 stride-1 convolution's sizes: x [batch, inHeight, inWidth, inChannels] → [batch, outHeight, …, outChannels]. */
export interface WinogradConv {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  /** Rows above and columns left of x that the convolution reads as zeros (output pixel (0, 0) reads x from (−top, −left)). */
  top: number;
  left: number;
}

/**
 * The fewest input and output channels Winograd takes: at 16 → 16 it and XNNPACK's direct convolution were about
 * even (0.9-1.4× on 64 images of 16×16 and 28×28, one thread; a probe, not in the bench), and with fewer the
 * transforms cost more than the products save. The callers then keep the direct convolution.
 */
export const WINOGRAD_MIN_CHANNELS = 16;

/** Whether {@link winogradConv} takes this convolution: channel counts multiples of 4 and at least the minimum. */
export function winogradApplies(c: WinogradConv): boolean {
  return (
    c.inChannels % 4 === 0 &&
    c.outChannels % 4 === 0 &&
    c.inChannels >= WINOGRAD_MIN_CHANNELS &&
    c.outChannels >= WINOGRAD_MIN_CHANNELS &&
    c.batch * c.outHeight * c.outWidth > 0 &&
    c.top >= 0 &&
    c.left >= 0
  );
}

/**
 * The share of non-zero inputs above which Winograd beats the program over non-zeros, where Winograd takes the
 * convolution (`node build/bench-wasm-sparse-conv.cjs [--filter-grad] [--threads=2] --rates=…`, docs/benchmarks.md;
 * VGG9's 3×3 layers). The convolution: 12.5-14.5 % spikes, 10.5-11.5 % other values (pooled spikes). The filter
 * gradient: 8-10 % for both, whatever its output channels. On snn.useThreadedWasm's 2 threads, where both paths
 * split between the threads, the crossings were within 2 points of these.
 */
export const WINOGRAD_DENSITY: Record<'conv' | 'filterGrad', {binary: number; valued: number}> = {
  conv: {binary: 0.13, valued: 0.11},
  filterGrad: {binary: 0.09, valued: 0.09},
};

let enabled = true;
let calls = 0;

/** How many convolutions and filter gradients took the Winograd path since the package loaded (tests, benches). */
export function winogradCalls(): number {
  return calls;
}

/**
 * Turns the Winograd path of the wasm Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter off (false: XNNPACK's
 * direct convolution, as before) or on (the default). Returns the previous setting. For tests and benches.
 */
export function setWinogradEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/**
 * The Winograd sizes of a Conv2D (computeConv2DInfo), or null unless {@link winogradConv} takes it: a 3×3 filter,
 * stride 1, no dilation, NHWC, and {@link winogradApplies}.
 */
export function winogradOfConv(c: backend_util.Conv2DInfo): WinogradConv | null {
  const square3 = c.filterHeight === 3 && c.filterWidth === 3;
  const unit = c.strideHeight === 1 && c.strideWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1;
  if (!enabled || !square3 || !unit || c.dataFormat !== 'channelsLast') return null;
  const w: WinogradConv = {
    batch: c.batchSize,
    inHeight: c.inHeight,
    inWidth: c.inWidth,
    inChannels: c.inChannels,
    outHeight: c.outHeight,
    outWidth: c.outWidth,
    outChannels: c.outChannels,
    top: c.padInfo.top,
    left: c.padInfo.left,
  };
  return winogradApplies(w) ? w : null;
}

/**
 * The Winograd sizes of the input gradient of a Conv2D (computeConv2DInfo of the forward), a convolution of dy with
 * the flipped filter, or null unless {@link winogradConv} takes it (as {@link winogradOfConv}).
 */
export function winogradOfInputGrad(c: backend_util.Conv2DInfo): WinogradConv | null {
  const forward = winogradOfConv(c);
  if (forward == null) return null;
  // dx[r] = Σ_i dy[r + i − (2 − top)] · W[2 − i]: the flipped convolution reads dy from row −(2 − top).
  const w: WinogradConv = {
    batch: c.batchSize,
    inHeight: c.outHeight,
    inWidth: c.outWidth,
    inChannels: c.outChannels,
    outHeight: c.inHeight,
    outWidth: c.inWidth,
    outChannels: c.inChannels,
    top: 2 - c.padInfo.top,
    left: 2 - c.padInfo.left,
  };
  return winogradApplies(w) ? w : null;
}

const address = (backend: WasmHeapBackend, info: TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;

/**
 * Tiles per chunk: the input transform, the 36 products and the output transform (or the dy transform and the sums)
 * of a chunk run before the next chunk's, so that the transformed tiles stay in the cache between them (the whole
 * layer's would go to memory and back). Measured on VGG9's five 3×3 shapes, one thread (a probe over chunk sizes,
 * the same across shapes within noise): the convolution 64 tiles (227 ran 2-15 % slower), the filter gradient 32
 * (256 ran 15-35 % slower, 16 up to 8 %).
 *
 * With program workers the convolution gives each thread its range of tiles whole, in chunks of `conv`
 * (convChunks); the filter gradient splits every chunk between the threads, `threadedFilterGrad` tiles a thread,
 * since each chunk hands its parts to the workers three times (on 2 threads, the small SNN's 14×14×32 gradient
 * took 26-30 ms in chunks of 32 tiles a thread, 13-15 in chunks of 256; VGG9's 32×32×64 23 and 17).
 */
const CHUNK_TILES = {conv: 64, filterGrad: 32, threadedFilterGrad: 256};
let forcedChunk: number | null = null;

/** Test hook: every chunk has this many tiles (the last one fewer); null restores the sizes above. */
export function setWinogradChunkTiles(tiles: number | null): void {
  forcedChunk = tiles;
}

/** The filter gradient's tiles per chunk (or all, where there are fewer): see {@link CHUNK_TILES}. */
function filterGradChunk(memory: WebAssembly.Memory, tiles: number): number {
  const parts = partCount(memory, Infinity);
  const perThread = parts > 1 ? CHUNK_TILES.threadedFilterGrad : CHUNK_TILES.filterGrad;
  return Math.max(1, Math.min(tiles, forcedChunk ?? perThread * parts));
}

/** The tiles of the output (of dy, for the filter gradient): rows and columns of 4×4 tiles, and all images'. */
interface Grid {
  down: number;
  across: number;
  tiles: number;
}

function gridOf(c: WinogradConv): Grid {
  const down = Math.ceil(c.outHeight / WINOGRAD_TILE);
  const across = Math.ceil(c.outWidth / WINOGRAD_TILE);
  return {down, across, tiles: c.batch * down * across};
}

/**
 * Work tensors on the heap, recorded in `work` for the caller to free: for each entry of `planeFloats` one of 36
 * planes (padded, planeBytes) and its plane's bytes, then a zeroed one of `zeros` floats.
 */
function workAreas(
  heap: WasmHeapBackend,
  work: TensorInfo[],
  planeFloats: number[],
  zeros: number
): {areas: TensorInfo[]; planes: number[]; zero: TensorInfo} {
  const make = (floats: number) => {
    const info = heap.makeOutput([floats], 'float32');
    work.push(info);
    return info;
  };
  const planes = planeFloats.map(floats => planeBytes(floats * 4));
  const areas = planes.map(plane => make((WINOGRAD_PRODUCTS * plane) / 4));
  const zero = make(zeros);
  (heap.typedArrayFromHeap(zero) as Float32Array).fill(0);
  return {areas, planes, zero};
}

/** A tile transform's parameters for tiles [from, to) of the chunk that starts at `first`. */
type TileArgs = (first: number, from: number, to: number) => number[];

/**
 * Runs a tile transform over tiles [first, end) of a chunk that starts at `first`, split between this thread and
 * the program workers (on a shared heap).
 */
function overChunk(memory: WebAssembly.Memory, transform: WinogradProgram, first: number, end: number, args: TileArgs) {
  const ranges = rowRanges(memory, end - first).map(([a, b]) => args(first, first + a, first + b));
  runParts(memory, transform.program(memory), transform.on(memory), ranges);
}

/**
 * A tile transform's parameters: its three byte addresses (of `infos`), then TILE_WALK_PARAMS for the image
 * [height, width, channels] over `grid`, then `rest`.
 */
function walkArgs(
  heap: WasmHeapBackend,
  infos: TensorInfo[],
  image: [number, number, number],
  grid: Grid,
  rest: number[]
): TileArgs {
  const addresses = infos.map(info => address(heap, info));
  return (first, from, to) => [...addresses, first, from, to, ...image, grid.down, grid.across, ...rest];
}

/** The input transform's parameters (V's rows p − first; x read from row −top, column −left). */
function inputArgs(heap: WasmHeapBackend, infos: TensorInfo[], vPlane: number, c: WinogradConv, grid: Grid): TileArgs {
  return walkArgs(heap, infos, [c.inHeight, c.inWidth, c.inChannels], grid, [c.top, c.left, vPlane]);
}

/**
 * Runs `body` with a list for the work tensors it makes, and returns `output`. The work is freed either way; on an
 * error `output` is freed too.
 */
function withWork(backend: unknown, output: TensorInfo, body: (work: TensorInfo[]) => void): TensorInfo {
  const work: TensorInfo[] = [];
  try {
    body(work);
    return output;
  } catch (error) {
    disposeHeapData(backend, [output]);
    throw error;
  } finally {
    disposeHeapData(backend, work);
  }
}

/**
 * The 36 products of a chunk (planeProductsProgram), their planes split between this thread and the program
 * workers: `a`, `b` and `out` with their plane distances in bytes, and the product's sizes.
 */
function products(
  memory: WebAssembly.Memory,
  form: ProductsForm,
  operands: {a: number; b: number; out: number; aPlane: number; bPlane: number; outPlane: number},
  sizes: {rows: number; cols: number; depth: number}
): void {
  // 'sums' in blocks of the filter gradient's chunk on one thread: the threads' larger chunks sum in that order too.
  const depthBlock = form === 'sums' ? CHUNK_TILES.filterGrad : undefined;
  const program = planeProductsProgram(form, {depthBlock});
  const {a, b, out, aPlane, bPlane, outPlane} = operands;
  const parts = rowRanges(memory, WINOGRAD_PRODUCTS).map(([from, to]) => [
    a,
    b,
    out,
    sizes.rows,
    sizes.cols,
    sizes.depth,
    from,
    to,
    aPlane,
    bPlane,
    outPlane,
    0,
  ]);
  runParts(memory, program.program(memory), program.on(memory), parts);
}

/**
 * The convolution of x with a 3×3 filter, on `memory` (the backend's heap). `flipped` false: filter is
 * [3, 3, inChannels, outChannels] and y = Σ x·filter (Conv2D). `flipped` true: filter is
 * [3, 3, outChannels, inChannels] and the convolution uses it flipped in space with its channel axes swapped (the
 * input gradient of the Conv2D that filter belongs to). Returns y [batch, outHeight, outWidth, outChannels].
 */
export function winogradConv(
  backend: unknown,
  memory: WebAssembly.Memory,
  x: TensorInfo,
  filter: TensorInfo,
  c: WinogradConv,
  flipped: boolean
): TensorInfo {
  const heap = backend as WasmHeapBackend;
  const [inC, outC] = [c.inChannels, c.outChannels];
  const grid = gridOf(c);
  const tiles = grid.tiles;
  // With program workers each thread takes a range of tiles whole (convChunks), in chunks of its own.
  const ranges = rowRanges(memory, tiles);
  const chunk = Math.max(1, Math.min(tiles, forcedChunk ?? CHUNK_TILES.conv));
  calls++;
  const y = heap.makeOutput([c.batch, c.outHeight, c.outWidth, outC], 'float32');
  return withWork(backend, y, work => {
    // U, then a V and an M for each part, then zeros to read past x's edge.
    const perPart = ranges.flatMap(() => [chunk * inC, chunk * outC]);
    const {areas, planes: bytes, zero} = workAreas(heap, work, [inC * outC, ...perPart], inC);
    const [u, uPlane, vPlane, mPlane] = [areas[0], bytes[0], bytes[1], bytes[2]];
    // Where output pixels past y's edge go, one per part.
    const sinks = ranges.map(() => {
      const sink = heap.makeOutput([outC], 'float32');
      work.push(sink);
      return sink;
    });
    const tap = inC * outC * 4;
    const w = address(heap, filter);
    if (flipped) {
      // U[ξ][k][c] from filter[2 − i][2 − j][k][c]: tap 3i + j of the flipped filter is tap 8 − (3i + j) here.
      winogradFilterProgram(true).on(memory)(w + 8 * tap, address(heap, u), inC, outC, -tap, 4, inC * 4, uPlane);
    } else {
      winogradFilterProgram(false).on(memory)(w, address(heap, u), inC, outC, tap, outC * 4, 4, uPlane);
    }
    const uAt = address(heap, u);
    if (ranges.length > 1) {
      const program = winogradConvChunksProgram;
      const parts = ranges.map(([first, end], part) => [
        address(heap, x),
        address(heap, zero),
        address(heap, areas[1 + 2 * part]),
        address(heap, areas[2 + 2 * part]),
        address(heap, y),
        address(heap, sinks[part]),
        uAt,
        first,
        end,
        chunk,
        c.inHeight,
        c.inWidth,
        inC,
        c.outHeight,
        c.outWidth,
        outC,
        grid.down,
        grid.across,
        c.top,
        c.left,
        vPlane,
        uPlane,
        mPlane,
      ]);
      runParts(memory, program.program(memory), program.on(memory), parts);
      return;
    }
    const [v, m] = [areas[1], areas[2]];
    const [vAt, mAt] = [v, m].map(info => address(heap, info));
    const input = inputArgs(heap, [x, zero, v], vPlane, c, grid);
    const output = walkArgs(heap, [m, y, sinks[0]], [c.outHeight, c.outWidth, outC], grid, [mPlane]);
    for (let first = 0; first < tiles; first += chunk) {
      const end = Math.min(tiles, first + chunk);
      overChunk(memory, winogradInputProgram, first, end, input);
      products(
        memory,
        'rows',
        {a: vAt, b: uAt, out: mAt, aPlane: vPlane, bPlane: uPlane, outPlane: mPlane},
        {rows: end - first, cols: outC, depth: inC}
      );
      overChunk(memory, winogradOutputProgram, first, end, output);
    }
  });
}

/**
 * The filter gradient of the 3×3 Conv2D `c` (x [batch, inHeight, inWidth, inChannels], dy [batch, outHeight,
 * outWidth, outChannels]) by the same transforms, transposed (Lavin & Gray's bilinear form read backwards):
 *
 *   dW = Gᵀ [ Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B) ] G
 *
 * per chunk of tiles: V = Bᵀ d B (the forward's input transform) and D = A dy Aᵀ, both [tiles, channels] per
 * plane, and the 36 sums S[ξ] += D[ξ]ᵀ V[ξ] ([K, C], over the chunk's tiles) by a SIMD program of their own
 * (planeProductsProgram's 'sums' form, in blocks of 32 tiles; XNNPACK packed each chunk's operand afresh), its planes
 * split between this thread and the program workers; after the last chunk dW = Gᵀ S G. Returns dW [3, 3,
 * inChannels, outChannels].
 */
export function winogradFilterGrad(
  backend: unknown,
  memory: WebAssembly.Memory,
  x: TensorInfo,
  dy: TensorInfo,
  c: WinogradConv
): TensorInfo {
  const heap = backend as WasmHeapBackend;
  const [inC, outC] = [c.inChannels, c.outChannels];
  const grid = gridOf(c);
  const tiles = grid.tiles;
  const chunk = filterGradChunk(memory, tiles);
  calls++;
  const dw = heap.makeOutput([3, 3, inC, outC], 'float32');
  return withWork(backend, dw, work => {
    const {
      areas,
      planes: bytes,
      zero,
    } = workAreas(heap, work, [chunk * inC, chunk * outC, outC * inC], Math.max(inC, outC));
    const [[v, d, s], [vPlane, dPlane, sPlane]] = [areas, bytes];
    (heap.typedArrayFromHeap(s) as Float32Array).fill(0);
    (heap.typedArrayFromHeap(dw) as Float32Array).fill(0);
    const input = inputArgs(heap, [x, zero, v], vPlane, c, grid);
    const gradient = walkArgs(heap, [dy, zero, d], [c.outHeight, c.outWidth, outC], grid, [dPlane]);
    const [vAt, dAt, sAt] = [v, d, s].map(info => address(heap, info));
    for (let first = 0; first < tiles; first += chunk) {
      const end = Math.min(tiles, first + chunk);
      overChunk(memory, winogradInputProgram, first, end, input);
      overChunk(memory, winogradGradientProgram, first, end, gradient);
      products(
        memory,
        'sums',
        {a: dAt, b: vAt, out: sAt, aPlane: dPlane, bPlane: vPlane, outPlane: sPlane},
        {rows: outC, cols: inC, depth: end - first}
      );
    }
    winogradFilterGradProgram.on(memory)(sAt, address(heap, dw), inC, outC, sPlane);
  });
}
