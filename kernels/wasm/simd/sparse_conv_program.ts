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
import {CompiledProgram, compiledProgram, SimdFunction, simdFunction} from './simd_runtime';
import {
  Code,
  countUp,
  f32x4,
  floatBytes,
  get,
  I32,
  i32,
  ifThen,
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
  'height',
  'width',
  'outHeight',
  'outWidth',
  'outChannels',
  'strideHeight',
  'strideWidth',
  'padTop',
  'padLeft',
  'filterHeight',
  'filterWidth',
  'dilationHeight',
  'dilationWidth',
  'tapBytes',
] as const;

/** Output channels kept in registers at once (8 vectors of 4). */
const BLOCK = 8;

function sparseConvFunction(binary: boolean): WasmFunction {
  const f = new WasmFunction('sparseConv', SPARSE_CONV_PARAMS.length);
  const [starts, channels, values, filter, y, firstImage, endImage, height, width, outHeight, outWidth, outChannels] =
    SPARSE_CONV_PARAMS.map((_, i) => i);
  const [
    strideHeight,
    strideWidth,
    padTop,
    padLeft,
    filterHeight,
    filterWidth,
    dilationHeight,
    dilationWidth,
    tapBytes,
  ] = [12, 13, 14, 15, 16, 17, 18, 19, 20];
  const [n, oy, ox, block, ky, kx, iy, ix, entry, end, tap, row, out, pixelRow] = Array.from({length: 14}, () =>
    f.local(I32)
  );
  const value = f.local(V128);
  const acc = Array.from({length: BLOCK}, () => f.local(V128));
  /** The input row (column) that output row `out` reads through filter tap `tap`: out·stride − pad + tap·dilation. */
  const inputAt = (out: number, stride: number, pad: number, tap: number, dilation: number): Code =>
    i32.add(i32.sub(i32.mul(get(out), get(stride)), get(pad)), i32.mul(get(tap), get(dilation)));
  /** Adds every tap's listed entries into the first `vectors` accumulators, for channels block … block + 4·vectors. */
  const accumulate = (vectors: number): Code[] => [
    ...acc.slice(0, vectors).map(a => set(a, f32x4.splat(0))),
    countUp(
      ky,
      get(filterHeight),
      set(iy, inputAt(oy, strideHeight, padTop, ky, dilationHeight)),
      ifThen(
        i32.ltU(get(iy), get(height)),
        set(pixelRow, i32.mul(i32.add(i32.mul(get(n), get(height)), get(iy)), get(width))),
        countUp(
          kx,
          get(filterWidth),
          set(ix, inputAt(ox, strideWidth, padLeft, kx, dilationWidth)),
          ifThen(
            i32.ltU(get(ix), get(width)),
            // entry … end: this input pixel's non-zeros; tap: the filter row of (ky, kx) at this block's channels.
            set(entry, i32.load(i32.add(get(starts), floatBytes(i32.add(get(pixelRow), get(ix)))))),
            set(end, i32.load(i32.add(get(starts), floatBytes(i32.add(get(pixelRow), get(ix)))), 4)),
            set(
              tap,
              i32.add(
                i32.add(get(filter), i32.mul(i32.add(i32.mul(get(ky), get(filterWidth)), get(kx)), get(tapBytes))),
                floatBytes(get(block))
              )
            ),
            whileLoop(
              i32.ltS(get(entry), get(end)),
              ...(binary ? [] : [set(value, loadSplat(i32.add(get(values), floatBytes(get(entry)))))]),
              set(row, i32.add(get(tap), i32.load(i32.add(get(channels), floatBytes(get(entry)))))),
              ...acc.slice(0, vectors).map((a, r) => {
                const weights = load(get(row), 16 * r);
                return set(a, f32x4.add(get(a), binary ? weights : f32x4.mul(get(value), weights)));
              }),
              increment(entry)
            )
          )
        )
      )
    ),
    ...acc.slice(0, vectors).map((a, r) => store(i32.add(get(out), floatBytes(get(block))), get(a), 16 * r)),
  ];
  // Images firstImage … endImage − 1: a worker can take a range (program_workers.ts).
  f.emit(
    set(n, get(firstImage)),
    whileLoop(
      i32.ltS(get(n), get(endImage)),
      countUp(
        oy,
        get(outHeight),
        countUp(
          ox,
          get(outWidth),
          set(
            out,
            i32.add(
              get(y),
              floatBytes(
                i32.mul(
                  i32.add(i32.mul(i32.add(i32.mul(get(n), get(outHeight)), get(oy)), get(outWidth)), get(ox)),
                  get(outChannels)
                )
              )
            )
          ),
          set(block, i32.const(0)),
          whileLoop(
            i32.geS(get(outChannels), i32.add(get(block), i32.const(4 * BLOCK))),
            ...accumulate(BLOCK),
            increment(block, i32.const(4 * BLOCK))
          ),
          whileLoop(
            i32.geS(get(outChannels), i32.add(get(block), i32.const(4))),
            ...accumulate(1),
            increment(block, i32.const(4))
          )
        )
      ),
      increment(n)
    )
  );
  return f;
}

/**
 * The program on `memory`: called with the byte addresses and sizes of SPARSE_CONV_PARAMS. `binary`: every listed
 * value is 1 (spikes), so the values are not read and the filter rows are added as they are (the same sums:
 * 1 × w is w).
 */
export function sparseConvOn(memory: WebAssembly.Memory, binary: boolean): SimdFunction {
  return simdFunction(memory, sparseConvKey(binary), () => sparseConvFunction(binary));
}

/** The compiled program, for workers to run parts of (program_workers.ts). */
export function sparseConvProgram(memory: WebAssembly.Memory, binary: boolean): CompiledProgram {
  return compiledProgram(memory, sparseConvKey(binary), () => sparseConvFunction(binary));
}

function sparseConvKey(binary: boolean): string {
  return `sparseConv|${binary ? 'binary' : 'valued'}`;
}
