/**
 * Two WebAssembly SIMD programs that find the non-zero values of an NHWC tensor, four channels at a time, for the
 * convolution over non-zeros and its filter gradient (../sparse_listing.ts has the layout they write).
 *
 * `countNonZeros(x, starts, pixels, channels, stop)`: writes starts[p] = the non-zeros of pixels 0 … p − 1 for
 * every pixel, then starts[pixels] = the non-zeros counted and starts[pixels + 1] = how many of those are not 1.
 * It stops after the first pixel at which the count passes `stop` (starts[pixels] then exceeds `stop`, and only
 * the pixels up to there have their starts).
 *
 * `listNonZeros(x, channels, values, pixels, inChannels, rowBytes)`: for every pixel in order, every non-zero
 * value's channel as the byte offset c·rowBytes and the value itself, from entry 0. It writes one entry past the
 * last non-zero: the arrays need room for the non-zeros plus one.
 *
 * Zero is as in IEEE comparison: −0 is zero, NaN is not.
 */
import {SimdFunction, simdFunction} from './simd_runtime';
import {
  Code,
  F32,
  f32,
  f32x4,
  floatBytes,
  get,
  I32,
  i32,
  i32x4,
  ifThen,
  increment,
  load,
  set,
  V128,
  v128,
  WasmFunction,
  whileLoop,
} from './wasm_emit';

export const COUNT_PARAMS = ['x', 'starts', 'pixels', 'channels', 'stop'] as const;
export const LIST_PARAMS = ['x', 'channels', 'values', 'pixels', 'inChannels', 'rowBytes'] as const;

function countFunction(): WasmFunction {
  const f = new WasmFunction('countNonZeros', COUNT_PARAMS.length);
  const [x, starts, pixels, channels, stop] = COUNT_PARAMS.map((_, i) => i);
  const [pixel, c, total, notOnes, base, scalar] = Array.from({length: 6}, () => f.local(I32));
  const [v, nonZero] = [f.local(V128), f.local(V128)];
  const [zero, one] = [f32x4.splat(0), f32x4.splat(1)];
  f.emit(
    set(base, get(x)),
    whileLoop(
      i32.and(i32.ltS(get(pixel), get(pixels)), i32.eqz(i32.gtS(get(total), get(stop)))),
      i32.store(i32.add(get(starts), floatBytes(get(pixel))), get(total)),
      set(c, i32.const(0)),
      whileLoop(
        i32.geS(get(channels), i32.add(get(c), i32.const(4))),
        set(v, load(i32.add(get(base), floatBytes(get(c))))),
        set(nonZero, f32x4.ne(get(v), zero)),
        increment(total, i32.popcnt(i32x4.bitmask(get(nonZero)))),
        increment(notOnes, i32.popcnt(i32x4.bitmask(v128.and(get(nonZero), f32x4.ne(get(v), one))))),
        increment(c, i32.const(4))
      ),
      whileLoop(
        i32.ltS(get(c), get(channels)),
        set(scalar, f32.ne(f32.load(i32.add(get(base), floatBytes(get(c)))), f32.const(0))),
        increment(total, get(scalar)),
        increment(
          notOnes,
          i32.and(get(scalar), f32.ne(f32.load(i32.add(get(base), floatBytes(get(c)))), f32.const(1)))
        ),
        increment(c)
      ),
      increment(base, floatBytes(get(channels))),
      increment(pixel)
    ),
    i32.store(i32.add(get(starts), floatBytes(get(pixels))), get(total)),
    i32.store(i32.add(get(starts), floatBytes(i32.add(get(pixels), i32.const(1)))), get(notOnes))
  );
  return f;
}

function listFunction(): WasmFunction {
  const f = new WasmFunction('listNonZeros', LIST_PARAMS.length);
  const [x, channels, values, pixels, inChannels, rowBytes] = LIST_PARAMS.map((_, i) => i);
  const [pixel, c, base, channelAt, valueAt, step] = Array.from({length: 6}, () => f.local(I32));
  const value = f.local(F32);
  /**
   * Lists this pixel's `channel` if its value is non-zero, without a branch: the entry is always written, and the
   * write position moves on only for a non-zero (so the arrays need one entry more than the non-zeros).
   */
  const listOne = (channel: Code): Code[] => [
    set(value, f32.load(i32.add(get(base), floatBytes(channel)))),
    i32.store(get(channelAt), i32.mul(channel, get(rowBytes))),
    f32.store(get(valueAt), get(value)),
    set(step, floatBytes(f32.ne(get(value), f32.const(0)))),
    increment(channelAt, get(step)),
    increment(valueAt, get(step)),
  ];
  f.emit(
    set(base, get(x)),
    set(channelAt, get(channels)),
    set(valueAt, get(values)),
    whileLoop(
      i32.ltS(get(pixel), get(pixels)),
      set(c, i32.const(0)),
      whileLoop(
        i32.geS(get(inChannels), i32.add(get(c), i32.const(4))),
        ifThen(
          v128.anyTrue(f32x4.ne(load(i32.add(get(base), floatBytes(get(c)))), f32x4.splat(0))),
          ...[0, 1, 2, 3].flatMap(l => listOne(i32.add(get(c), i32.const(l))))
        ),
        increment(c, i32.const(4))
      ),
      whileLoop(i32.ltS(get(c), get(inChannels)), ...listOne(get(c)), increment(c)),
      increment(base, floatBytes(get(inChannels))),
      increment(pixel)
    )
  );
  return f;
}

export function countNonZerosOn(memory: WebAssembly.Memory): SimdFunction {
  return simdFunction(memory, 'countNonZeros', countFunction);
}

export function listNonZerosOn(memory: WebAssembly.Memory): SimdFunction {
  return simdFunction(memory, 'listNonZeros', listFunction);
}
