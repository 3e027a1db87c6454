/**
 * A convolution's filter gradient (NHWC, any strides, padding and dilations) that visits only the input's non-zero
 * values, as a WebAssembly SIMD program: the gradient of a spiking layer's weights, whose input is mostly zeros.
 *
 *   dW[i, j, c, o] += Σ_{n, oy, ox: x[n, iy, ix, c] ≠ 0} x[n, iy, ix, c] · dy[n, oy, ox, o],
 *                     iy = oy·sh − top + i·dh,   ix = ox·sw − left + j·dw
 *
 * It reads the same listing of each input pixel's non-zeros as the convolution (sparse_conv_program.ts: `starts`,
 * and per entry the channel's byte offset in a filter tap, c·Cout·4, and the value), and walks the same loop
 * nest, with the roles swapped: there the output pixel's channels stay in registers and filter rows are read;
 * here one block of dy's channels (32, then 4 at a time) stays in eight f32x4 registers, and for every tap inside
 * the image and every listed entry it is added (times the value, unless every value is 1) into that entry's row of
 * dW. The channel blocks are the outer loop, so that the part of dW written stays small (cache-resident), and a
 * thread can take a range of channels (no two write the same element). dW is accumulated into, not cleared.
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
export const SPARSE_FILTER_GRAD_PARAMS = [
  'starts',
  'channels',
  'values',
  'dy',
  'dw',
  'images',
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
  'firstChannel',
  'endChannel',
] as const;

/** dy channels kept in registers at once (8 vectors of 4). */
const BLOCK = 8;

function sparseFilterGradFunction(binary: boolean): WasmFunction {
  const f = new WasmFunction('sparseFilterGrad', SPARSE_FILTER_GRAD_PARAMS.length);
  const [starts, channels, values, dy, dw, images, height, width, outHeight, outWidth, outChannels] =
    SPARSE_FILTER_GRAD_PARAMS.map((_, i) => i);
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
    firstChannel,
    endChannel,
  ] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
  const [n, oy, ox, block, ky, kx, iy, ix, entry, end, tap, row, grad, pixelRow] = Array.from({length: 14}, () =>
    f.local(I32)
  );
  const value = f.local(V128);
  const acc = Array.from({length: BLOCK}, () => f.local(V128));
  /** The input row (column) that output row `out` reads through filter tap `tap`: out·stride − pad + tap·dilation. */
  const inputAt = (out: number, stride: number, pad: number, t: number, dilation: number): Code =>
    i32.add(i32.sub(i32.mul(get(out), get(stride)), get(pad)), i32.mul(get(t), get(dilation)));
  /** For channels block … block + 4·vectors: every output pixel's dy into every tap's listed rows of dW. */
  const scatter = (vectors: number): Code =>
    countUp(
      n,
      get(images),
      countUp(
        oy,
        get(outHeight),
        countUp(
          ox,
          get(outWidth),
          // grad: dy[n, oy, ox, block]
          set(
            grad,
            i32.add(
              get(dy),
              floatBytes(
                i32.add(
                  i32.mul(
                    i32.add(i32.mul(i32.add(i32.mul(get(n), get(outHeight)), get(oy)), get(outWidth)), get(ox)),
                    get(outChannels)
                  ),
                  get(block)
                )
              )
            )
          ),
          ...acc.slice(0, vectors).map((a, r) => set(a, load(get(grad), 16 * r))),
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
                  // entry … end: this input pixel's non-zeros; tap: dW's row of (ky, kx) at this block's channels.
                  set(entry, i32.load(i32.add(get(starts), floatBytes(i32.add(get(pixelRow), get(ix)))))),
                  set(end, i32.load(i32.add(get(starts), floatBytes(i32.add(get(pixelRow), get(ix)))), 4)),
                  set(
                    tap,
                    i32.add(
                      i32.add(get(dw), i32.mul(i32.add(i32.mul(get(ky), get(filterWidth)), get(kx)), get(tapBytes))),
                      floatBytes(get(block))
                    )
                  ),
                  whileLoop(
                    i32.ltS(get(entry), get(end)),
                    ...(binary ? [] : [set(value, loadSplat(i32.add(get(values), floatBytes(get(entry)))))]),
                    set(row, i32.add(get(tap), i32.load(i32.add(get(channels), floatBytes(get(entry)))))),
                    ...acc
                      .slice(0, vectors)
                      .map((a, r) =>
                        store(
                          get(row),
                          f32x4.add(load(get(row), 16 * r), binary ? get(a) : f32x4.mul(get(value), get(a))),
                          16 * r
                        )
                      ),
                    increment(entry)
                  )
                )
              )
            )
          )
        )
      )
    );
  f.emit(
    set(block, get(firstChannel)),
    whileLoop(
      i32.geS(get(endChannel), i32.add(get(block), i32.const(4 * BLOCK))),
      scatter(BLOCK),
      increment(block, i32.const(4 * BLOCK))
    ),
    whileLoop(i32.geS(get(endChannel), i32.add(get(block), i32.const(4))), scatter(1), increment(block, i32.const(4)))
  );
  return f;
}

/**
 * The program on `memory`: called with the byte addresses and sizes of SPARSE_FILTER_GRAD_PARAMS. `binary`: every
 * listed value is 1 (spikes), so the values are not read and dy is added as it is (the same sums: 1 × dy is dy).
 */
export function sparseFilterGradOn(memory: WebAssembly.Memory, binary: boolean): SimdFunction {
  return simdFunction(memory, sparseFilterGradKey(binary), () => sparseFilterGradFunction(binary));
}

/** The compiled program, for workers to run parts of (program_workers.ts). */
export function sparseFilterGradProgram(memory: WebAssembly.Memory, binary: boolean): CompiledProgram {
  return compiledProgram(memory, sparseFilterGradKey(binary), () => sparseFilterGradFunction(binary));
}

function sparseFilterGradKey(binary: boolean): string {
  return `sparseFilterGrad|${binary ? 'binary' : 'valued'}`;
}
