/**
 * A 2-D convolution (NHWC, any strides, padding and dilations) that visits only the input's non-zero values, as
 * a WebAssembly SIMD program: the event-driven form of a spiking layer's convolution, whose input (spikes, or
 * their average pool) is mostly zeros.
 *
 *   y[n, oy, ox, o] = Σ_{i, j, c: x[n, iy, ix, c] ≠ 0} x[n, iy, ix, c] · w[i, j, c, o],   iy = oy·sh − top + i·dh,
 *                                                                                        ix = ox·sw − left + j·dw
 *
 * The caller lists each input pixel's non-zeros (`starts`: [pixels + 1] entry indices; per entry the channel's
 * byte offset in a filter tap, c·Cout·4, and the value). Each output pixel keeps 32 output channels in eight
 * f32x4 registers (then 4 at a time for the rest), and for every tap inside the image adds value × filter row
 * for every listed entry (the row itself where every value is 1). Cout must be a multiple of 4. Work is proportional to the non-zeros, not to the input.
 */
import {
  binaryAndValued,
  BLOCK,
  GEOMETRY_PARAMS,
  geometryAt,
  outputPixel,
  overChannelBlocks,
  overOutputPixels,
  overTapEntries,
} from './sparse_taps';
import {
  f32x4,
  floatBytes,
  get,
  I32,
  i32,
  increment,
  load,
  loadSplat,
  set,
  store,
  V128,
  WasmFunction,
  whileLoop,
} from './wasm_emit';

/** The exported function's parameters, in order (all i32: byte addresses, then sizes). */
export const SPARSE_CONV_PARAMS = [
  'starts',
  'channels',
  'values',
  'filter',
  'y',
  'firstImage',
  'endImage',
  ...GEOMETRY_PARAMS,
] as const;

function sparseConvFunction(binary: boolean): WasmFunction {
  const f = new WasmFunction('sparseConv', SPARSE_CONV_PARAMS.length);
  const [starts, channels, values, filter, y, firstImage, endImage] = SPARSE_CONV_PARAMS.map((_, i) => i);
  const g = geometryAt(7);
  const [n, oy, ox, block, out] = Array.from({length: 5}, () => f.local(I32));
  const value = f.local(V128);
  const acc = Array.from({length: BLOCK}, () => f.local(V128));
  /** Adds every tap's listed entries into the first `vectors` accumulators, for channels block … block + 4·vectors. */
  const accumulate = (vectors: number) => [
    ...acc.slice(0, vectors).map(a => set(a, f32x4.splat(0))),
    overTapEntries(f, g, {starts, channels}, {n, oy, ox, block}, filter, ({entry, row}) => [
      ...(binary ? [] : [set(value, loadSplat(i32.add(get(values), floatBytes(get(entry)))))]),
      ...acc.slice(0, vectors).map((a, r) => {
        const weights = load(get(row), 16 * r);
        return set(a, f32x4.add(get(a), binary ? weights : f32x4.mul(get(value), weights)));
      }),
    ]),
    ...acc.slice(0, vectors).map((a, r) => store(i32.add(get(out), floatBytes(get(block))), get(a), 16 * r)),
  ];
  // Images firstImage … endImage − 1: a worker can take a range (program_workers.ts).
  f.emit(
    set(n, get(firstImage)),
    whileLoop(
      i32.ltS(get(n), get(endImage)),
      overOutputPixels(
        g,
        {oy, ox},
        set(out, outputPixel(g, y, {n, oy, ox})),
        ...overChannelBlocks(block, i32.const(0), get(g.outChannels), accumulate)
      ),
      increment(n)
    )
  );
  return f;
}

const variants = binaryAndValued('sparseConv', sparseConvFunction);

/** The program on `memory`, for spikes (`binary`) or other values: called with the values of SPARSE_CONV_PARAMS. */
export const sparseConvOn = variants.on;

/** The compiled program, for workers to run parts of (program_workers.ts). */
export const sparseConvProgram = variants.program;
