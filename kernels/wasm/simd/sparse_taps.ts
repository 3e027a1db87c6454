/**
 * What the two programs over a listing of non-zeros share (sparse_conv_program.ts: the convolution,
 * sparse_filter_grad_program.ts: its filter gradient): the convolution's geometry as parameters, the walk over an
 * output pixel's filter taps and the listed entries of the input pixel each reads, and the loop over blocks of
 * output channels (32, then 4 at a time).
 */
import type {backend_util} from '@tensorflow/tfjs-core';

import {CompiledProgram, compiledProgram, SimdFunction, simdFunction} from './simd_runtime';
import {Code, countUp, floatBytes, get, I32, i32, ifThen, increment, set, WasmFunction, whileLoop} from './wasm_emit';

/** The geometry parameters, in this order, after each program's own. */
export const GEOMETRY_PARAMS = [
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

/** The geometry parameters' indices when they start at parameter `first`. */
export type Geometry = Record<(typeof GEOMETRY_PARAMS)[number], number>;

export function geometryAt(first: number): Geometry {
  return Object.fromEntries(GEOMETRY_PARAMS.map((name, i) => [name, first + i])) as Geometry;
}

/** The values of the geometry parameters for a convolution (tapBytes: one filter tap, Cin·Cout·4 bytes). */
export function geometryArgs(c: backend_util.Conv2DInfo): number[] {
  return [
    c.inHeight,
    c.inWidth,
    c.outHeight,
    c.outWidth,
    c.outChannels,
    c.strideHeight,
    c.strideWidth,
    c.padInfo.top,
    c.padInfo.left,
    c.filterHeight,
    c.filterWidth,
    c.dilationHeight,
    c.dilationWidth,
    c.inChannels * c.outChannels * 4,
  ];
}

/** Output channels in registers at once in a full block (8 vectors of 4). */
export const BLOCK = 8;

/**
 * `set(block, first)`, then `body(BLOCK)` for blocks of 32 channels and `body(1)` for blocks of 4 while they fit
 * before `end`.
 */
export function overChannelBlocks(block: number, first: Code, end: Code, body: (vectors: number) => Code[]): Code[] {
  return [
    set(block, first),
    whileLoop(
      i32.geS(end, i32.add(get(block), i32.const(4 * BLOCK))),
      ...body(BLOCK),
      increment(block, i32.const(4 * BLOCK))
    ),
    whileLoop(i32.geS(end, i32.add(get(block), i32.const(4))), ...body(1), increment(block, i32.const(4))),
  ];
}

/** The locals the tap walk leaves for its body: the entry's index and its row's byte address. */
export interface Entry {
  entry: number;
  row: number;
}

/**
 * For output pixel (n, oy, ox): every filter tap (ky, kx) whose input pixel (iy, ix) = (oy·sh − top + ky·dh,
 * ox·sw − left + kx·dw) lies inside the image, and every listed entry of that pixel, `body` with `row` = `base` +
 * the tap's offset (ky·kw + kx)·tapBytes + the entry's channel offset + block·4 (a filter row, or a dW row).
 */
export function overTapEntries(
  f: WasmFunction,
  g: Geometry,
  lists: {starts: number; channels: number},
  at: {n: number; oy: number; ox: number; block: number},
  base: number,
  body: (e: Entry) => Code[]
): Code {
  const [ky, kx, iy, ix, pixelRow, tap, end, entry, row] = Array.from({length: 9}, () => f.local(I32));
  /** The input row (column) that output row `out` reads through filter tap `t`: out·stride − pad + t·dilation. */
  const inputAt = (out: number, stride: number, pad: number, t: number, dilation: number): Code =>
    i32.add(i32.sub(i32.mul(get(out), get(stride)), get(pad)), i32.mul(get(t), get(dilation)));
  const startAt = (offset: number): Code =>
    i32.load(i32.add(get(lists.starts), floatBytes(i32.add(get(pixelRow), get(ix)))), offset);
  return countUp(
    ky,
    get(g.filterHeight),
    set(iy, inputAt(at.oy, g.strideHeight, g.padTop, ky, g.dilationHeight)),
    ifThen(
      i32.ltU(get(iy), get(g.height)),
      set(pixelRow, i32.mul(i32.add(i32.mul(get(at.n), get(g.height)), get(iy)), get(g.width))),
      countUp(
        kx,
        get(g.filterWidth),
        set(ix, inputAt(at.ox, g.strideWidth, g.padLeft, kx, g.dilationWidth)),
        ifThen(
          i32.ltU(get(ix), get(g.width)),
          // entry … end: this input pixel's non-zeros; tap: the row of (ky, kx) at this block's channels.
          set(entry, startAt(0)),
          set(end, startAt(4)),
          set(
            tap,
            i32.add(
              i32.add(get(base), i32.mul(i32.add(i32.mul(get(ky), get(g.filterWidth)), get(kx)), get(g.tapBytes))),
              floatBytes(get(at.block))
            )
          ),
          whileLoop(
            i32.ltS(get(entry), get(end)),
            set(row, i32.add(get(tap), i32.load(i32.add(get(lists.channels), floatBytes(get(entry)))))),
            ...body({entry, row}),
            increment(entry)
          )
        )
      )
    )
  );
}

/** `body` for every output pixel (oy, ox) of an image, in rows. */
export function overOutputPixels(g: Geometry, at: {oy: number; ox: number}, ...body: Code[]): Code {
  return countUp(at.oy, get(g.outHeight), countUp(at.ox, get(g.outWidth), ...body));
}

/** The byte address of (n, oy, ox, 0) in an [N, outHeight, outWidth, outChannels] array at `base`. */
export function outputPixel(g: Geometry, base: number, at: {n: number; oy: number; ox: number}): Code {
  return i32.add(
    get(base),
    floatBytes(
      i32.mul(
        i32.add(i32.mul(i32.add(i32.mul(get(at.n), get(g.outHeight)), get(at.oy)), get(g.outWidth)), get(at.ox)),
        get(g.outChannels)
      )
    )
  );
}

/**
 * A program with two variants, for spikes (`binary`: every listed value is 1, so the values are not read and rows
 * are added as they are: 1 × w is w) and for other values: `on` instantiates it on a memory, `program` gives the
 * compiled module for workers to run parts of (program_workers.ts).
 */
export function binaryAndValued(
  name: string,
  build: (binary: boolean) => WasmFunction
): {
  on: (memory: WebAssembly.Memory, binary: boolean) => SimdFunction;
  program: (memory: WebAssembly.Memory, binary: boolean) => CompiledProgram;
} {
  const key = (binary: boolean) => `${name}|${binary ? 'binary' : 'valued'}`;
  return {
    on: (memory, binary) => simdFunction(memory, key(binary), () => build(binary)),
    program: (memory, binary) => compiledProgram(memory, key(binary), () => build(binary)),
  };
}
