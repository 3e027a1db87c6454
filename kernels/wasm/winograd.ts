/**
 * A 3×3, stride-1 convolution on the wasm backend as Winograd F(4×4, 3×3) (simd/winograd_program.ts): the filter
 * and the input are transformed by SIMD programs, the 36 products [tiles, C] × [C, K] run in XNNPACK (the built-in
 * BatchMatMul's fully-connected path, called on views of one work tensor each, no copies), and a third program
 * turns the products into the output. That is 36 multiply-adds per 4×4 output pixels, input channel and output
 * channel where the direct convolution does 144: on VGG9's shapes 2.0-3.3× faster than XNNPACK's direct
 * convolution on one thread (`bench/wasm_winograd.ts`, docs/benchmarks.md).
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

import {programWorkerCount, runParts, rowRanges} from './simd/program_workers';
import {
  WINOGRAD_PRODUCTS,
  WINOGRAD_TILE,
  winogradFilterGradProgram,
  winogradFilterProgram,
  winogradGradientProgram,
  winogradInputProgram,
  winogradOutputProgram,
  WinogradProgram,
  planeBytes,
} from './simd/winograd_program';
import {disposeHeapData, heapView, releaseView, WasmHeapBackend} from './wasm_backend';

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
 * The share of non-zero inputs above which Winograd beats the program over non-zeros on one thread, where Winograd
 * takes the convolution (`node build/bench-wasm-sparse-conv.cjs [--filter-grad] --rates=0.15,0.2,0.25,0.3`,
 * docs/benchmarks.md). The convolution: at 20 % spikes on VGG9's 3×3 layers (0.94-1.08× there), 15 % other values
 * (pooled spikes). The filter gradient, whose products run slower the fewer its output channels (XNNPACK packs
 * each chunk's transformed input afresh, rows K): 30 % at K = 64, 22 % at 128, 17 % at 256, so 0.3·(64/K)^0.4.
 * On threads the program over non-zeros splits and the products do not: null there, and the callers keep their own
 * limits.
 */
export function winogradDensity(
  kind: 'conv' | 'filterGrad',
  outChannels: number
): {binary: number; valued: number} | null {
  if (programWorkerCount() > 0) return null;
  if (kind === 'conv') return {binary: 0.2, valued: 0.15};
  const share = 0.3 * Math.pow(64 / outChannels, 0.4);
  return {binary: share, valued: share};
}

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

type BatchMatMulCall = (a: TensorInfo, b: TensorInfo, out: TensorInfo) => void;
const batchMatMuls = new WeakMap<object, BatchMatMulCall>();

/**
 * tfjs-backend-wasm's exported BatchMatMul (the C function behind its kernel): for untransposed operands with a
 * batch of 1, XNNPACK's fully-connected operator, created for b and cached until b's id is released.
 */
function batchMatMulOf(backend: WasmHeapBackend): BatchMatMulCall {
  let call = batchMatMuls.get(backend);
  if (call == null) {
    const run = backend.wasm.cwrap('BatchMatMul', null, [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ]);
    const idOf = (info: TensorInfo) => backend.dataIdMap.get(info.dataId)!.id;
    const shapeBytes = (info: TensorInfo) => new Uint8Array(new Int32Array(info.shape).buffer);
    call = (a, b, out) => run(idOf(a), shapeBytes(a), 3, idOf(b), shapeBytes(b), 3, false, false, idOf(out));
    batchMatMuls.set(backend, call);
  }
  return call;
}

const address = (backend: WasmHeapBackend, info: TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;

/**
 * The transformed input and the products of this many bytes at most per chunk of tiles: small enough to stay in
 * the cache between the input transform, the 36 products and the output transform (the whole layer's would go to
 * memory and back twice), but see {@link chunkTiles}'s minimum. Measured in bench/wasm_winograd.ts.
 */
const CHUNK_BYTES = 2 ** 22;
let forcedChunk: number | null = null;

/** Test hook: every chunk has this many tiles (the last one fewer); null restores the sizes below. */
export function setWinogradChunkTiles(tiles: number | null): void {
  forcedChunk = tiles;
}

/**
 * Tiles per chunk: as many as fit {@link CHUNK_BYTES}, but no fewer than `least`, and no more than all of them.
 */
function chunkTiles(tiles: number, inC: number, outC: number, least: number): number {
  const fit = Math.floor(CHUNK_BYTES / (WINOGRAD_PRODUCTS * (inC + outC) * 4));
  return Math.max(1, Math.min(tiles, forcedChunk ?? Math.max(fit, least)));
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

/**
 * Views of `info`'s 36 planes (`plane` bytes apart), each of `shape`, no copies; each is added to `into` as it is
 * made, for the caller to release.
 */
function planeViews(
  backend: unknown,
  info: TensorInfo,
  plane: number,
  shape: number[],
  into: TensorInfo[]
): TensorInfo[] {
  return Array.from({length: WINOGRAD_PRODUCTS}, (_, xi) => {
    const view = heapView(backend, info, xi * plane, shape);
    into.push(view);
    return view;
  });
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
 * Runs `body` with lists for the work tensors it makes and the views it takes, and returns `output`. The views are
 * released and the work freed either way (releasing a filter view's id also deletes the XNNPACK operator cached
 * for it); on an error `output` is freed too.
 */
function withWork(
  backend: unknown,
  output: TensorInfo,
  body: (work: TensorInfo[], views: TensorInfo[]) => void
): TensorInfo {
  const work: TensorInfo[] = [];
  const views: TensorInfo[] = [];
  try {
    body(work, views);
    return output;
  } catch (error) {
    disposeHeapData(backend, [output]);
    throw error;
  } finally {
    for (const view of views) releaseView(backend, view);
    disposeHeapData(backend, work);
  }
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
  // Every chunk reads the 36 packed filters again: below C·K / (2(C + K)) tiles that costs what chunking saves.
  const chunk = chunkTiles(tiles, inC, outC, Math.ceil((inC * outC) / (2 * (inC + outC))));
  calls++;
  const y = heap.makeOutput([c.batch, c.outHeight, c.outWidth, outC], 'float32');
  return withWork(backend, y, (work, views) => {
    const {areas, planes: bytes, zero} = workAreas(heap, work, [inC * outC, chunk * inC, chunk * outC], inC);
    const [[u, v, m], [uPlane, vPlane, mPlane]] = [areas, bytes];
    // Where output pixels past y's edge go.
    const sink = heap.makeOutput([outC], 'float32');
    work.push(sink);
    const tap = inC * outC * 4;
    const w = address(heap, filter);
    if (flipped) {
      // U[ξ][k][c] from filter[2 − i][2 − j][k][c]: tap 3i + j of the flipped filter is tap 8 − (3i + j) here.
      winogradFilterProgram(true).on(memory)(w + 8 * tap, address(heap, u), inC, outC, -tap, 4, inC * 4, uPlane);
    } else {
      winogradFilterProgram(false).on(memory)(w, address(heap, u), inC, outC, tap, outC * 4, 4, uPlane);
    }
    // The filters' views live through all chunks: XNNPACK packs each once, into the operator it caches for the id.
    const filters = planeViews(backend, u, uPlane, [1, inC, outC], views);
    /** The views of V's and M's planes for a chunk of `rows` tiles. */
    const chunkViews = (rows: number) => ({
      inputs: planeViews(backend, v, vPlane, [1, rows, inC], views),
      products: planeViews(backend, m, mPlane, [1, rows, outC], views),
    });
    // chunk ≤ tiles, so the first chunk is whole; only a short last chunk needs views of its own.
    const whole = chunkViews(chunk);
    const product = batchMatMulOf(heap);
    const input = inputArgs(heap, [x, zero, v], vPlane, c, grid);
    const output = walkArgs(heap, [m, y, sink], [c.outHeight, c.outWidth, outC], grid, [mPlane]);
    for (let first = 0; first < tiles; first += chunk) {
      const end = Math.min(tiles, first + chunk);
      overChunk(memory, winogradInputProgram, first, end, input);
      const {inputs, products} = end - first === chunk ? whole : chunkViews(end - first);
      for (let xi = 0; xi < WINOGRAD_PRODUCTS; xi++) product(inputs[xi], filters[xi], products[xi]);
      overChunk(memory, winogradOutputProgram, first, end, output);
    }
  });
}

/** The filter gradient's chunks have at least this many tiles (or all): each chunk adds its 36 products into dW. */
const GRADIENT_CHUNK_TILES = 256;

/**
 * The filter gradient of the 3×3 Conv2D `c` (x [batch, inHeight, inWidth, inChannels], dy [batch, outHeight,
 * outWidth, outChannels]) by the same transforms, transposed (Lavin & Gray's bilinear form read backwards):
 *
 *   dW = Gᵀ [ Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B) ] G
 *
 * per chunk of tiles: V = Bᵀ d B (the forward's input transform), D = A dy Aᵀ (transposed, tiles last), the 36
 * products S[ξ] = D[ξ] V[ξ] ([K, P] × [P, C], the sum over the chunk's tiles), and dW += Gᵀ S G. Returns dW
 * [3, 3, inChannels, outChannels].
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
  const chunk = chunkTiles(tiles, inC, outC, GRADIENT_CHUNK_TILES);
  calls++;
  const dw = heap.makeOutput([3, 3, inC, outC], 'float32');
  return withWork(backend, dw, (work, views) => {
    const {
      areas,
      planes: bytes,
      zero,
    } = workAreas(heap, work, [chunk * inC, outC * chunk, outC * inC], Math.max(inC, outC));
    const [[v, d, s], [vPlane, dPlane, sPlane]] = [areas, bytes];
    (heap.typedArrayFromHeap(dw) as Float32Array).fill(0);
    const products = planeViews(backend, s, sPlane, [1, outC, inC], views);
    const product = batchMatMulOf(heap);
    const input = inputArgs(heap, [x, zero, v], vPlane, c, grid);
    const image: [number, number, number] = [c.outHeight, c.outWidth, outC];
    for (let first = 0; first < tiles; first += chunk) {
      const end = Math.min(tiles, first + chunk);
      const span = end - first;
      overChunk(memory, winogradInputProgram, first, end, input);
      // The span (the rows of D's planes) changes with a short last chunk, so the arguments are made per chunk.
      const gradient = walkArgs(heap, [dy, zero, d], image, grid, [span, dPlane]);
      overChunk(memory, winogradGradientProgram, first, end, gradient);
      // Fresh views of V every chunk: XNNPACK caches the operator it packs b into by b's id.
      const chunkViews: TensorInfo[] = [];
      try {
        const dPlanes = planeViews(backend, d, dPlane, [1, outC, span], chunkViews);
        const vPlanes = planeViews(backend, v, vPlane, [1, span, inC], chunkViews);
        for (let xi = 0; xi < WINOGRAD_PRODUCTS; xi++) product(dPlanes[xi], vPlanes[xi], products[xi]);
      } finally {
        for (const view of chunkViews) releaseView(backend, view);
      }
      winogradFilterGradProgram.on(memory)(address(heap, s), address(heap, dw), inC, outC, sPlane);
    }
  });
}
