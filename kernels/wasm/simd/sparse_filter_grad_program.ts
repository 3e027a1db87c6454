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
import {countUp, f32x4, floatBytes, get, I32, i32, load, loadSplat, set, store, V128, WasmFunction} from './wasm_emit';

/** The exported function's parameters, in order (all i32: byte addresses, then sizes). */
export const SPARSE_FILTER_GRAD_PARAMS = [
  'starts',
  'channels',
  'values',
  'dy',
  'dw',
  'images',
  ...GEOMETRY_PARAMS,
  'firstChannel',
  'endChannel',
] as const;

function sparseFilterGradFunction(binary: boolean): WasmFunction {
  const f = new WasmFunction('sparseFilterGrad', SPARSE_FILTER_GRAD_PARAMS.length);
  const [starts, channels, values, dy, dw, images] = SPARSE_FILTER_GRAD_PARAMS.map((_, i) => i);
  const g = geometryAt(6);
  const [firstChannel, endChannel] = [6 + GEOMETRY_PARAMS.length, 7 + GEOMETRY_PARAMS.length];
  const [n, oy, ox, block, grad] = Array.from({length: 5}, () => f.local(I32));
  const value = f.local(V128);
  const acc = Array.from({length: BLOCK}, () => f.local(V128));
  /** For channels block … block + 4·vectors: every output pixel's dy into every tap's listed rows of dW. */
  const scatter = (vectors: number) => [
    countUp(
      n,
      get(images),
      overOutputPixels(
        g,
        {oy, ox},
        set(grad, i32.add(outputPixel(g, dy, {n, oy, ox}), floatBytes(get(block)))),
        ...acc.slice(0, vectors).map((a, r) => set(a, load(get(grad), 16 * r))),
        overTapEntries(f, g, {starts, channels}, {n, oy, ox, block}, dw, ({entry, row}) => [
          ...(binary ? [] : [set(value, loadSplat(i32.add(get(values), floatBytes(get(entry)))))]),
          ...acc
            .slice(0, vectors)
            .map((a, r) =>
              store(
                get(row),
                f32x4.add(load(get(row), 16 * r), binary ? get(a) : f32x4.mul(get(value), get(a))),
                16 * r
              )
            ),
        ])
      )
    ),
  ];
  f.emit(...overChannelBlocks(block, get(firstChannel), get(endChannel), scatter));
  return f;
}

const variants = binaryAndValued('sparseFilterGrad', sparseFilterGradFunction);

/** The program on `memory`, for spikes (`binary`) or other values: called with the values of SPARSE_FILTER_GRAD_PARAMS. */
export const sparseFilterGradOn = variants.on;

/** The compiled program, for workers to run parts of (program_workers.ts). */
export const sparseFilterGradProgram = variants.program;
