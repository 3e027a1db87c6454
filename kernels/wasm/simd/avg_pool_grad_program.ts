/**
 * The gradient of a 2-D average pool whose windows tile the input (strides equal to the window, no padding) as a
 * WebAssembly SIMD program: every dx pixel is its window's dy pixel times 1/(ph·pw), channels four at a time.
 * dy is [batch, outHeight, outWidth, channels], dx [batch, height, width, channels]; rows and columns past the
 * last whole window (a 'valid' pool of a side that the window does not divide) are left to the caller to zero.
 */
import {SimdFunction, simdFunction} from './simd_runtime';
import {
  Code,
  countUp,
  f32x4,
  floatBytes,
  get,
  I32,
  i32,
  load,
  loadLane0,
  set,
  store,
  storeLane0,
  V128,
  WasmFunction,
  whileLoop,
} from './wasm_emit';

/** The exported function's parameters, in order (all i32: byte addresses, then sizes). */
export const AVG_POOL_GRAD_PARAMS = [
  'dy',
  'dx',
  'batch',
  'outHeight',
  'outWidth',
  'height',
  'width',
  'channels',
] as const;

function avgPoolGradFunction(poolHeight: number, poolWidth: number): WasmFunction {
  const f = new WasmFunction('avgPoolGrad', AVG_POOL_GRAD_PARAMS.length);
  const [dy, dx, batch, outHeight, outWidth, height, width, channels] = AVG_POOL_GRAD_PARAMS.map((_, i) => i);
  const [n, p, a, q, b, k, from, to] = Array.from({length: 8}, () => f.local(I32));
  const scaled = f.local(V128);
  const scale = f32x4.splat(1 / (poolHeight * poolWidth));
  // One pixel's channels: dx[from + k] = dy[to-be-read + k] · scale, a vector of four while they last, then lanes.
  const copy = (width: 4 | 1, read: (address: Code) => Code, write: (address: Code, value: Code) => Code): Code =>
    whileLoop(
      i32.geS(get(channels), i32.add(get(k), i32.const(width))),
      set(scaled, f32x4.mul(read(i32.add(get(dy), floatBytes(i32.add(get(from), get(k))))), scale)),
      write(i32.add(get(dx), floatBytes(i32.add(get(to), get(k)))), get(scaled)),
      set(k, i32.add(get(k), i32.const(width)))
    );
  // from: index of dy[n, p, q, 0]; to: index of dx[n, p·ph + a, q·pw + b, 0].
  const rowOf = (image: number, rows: number, cols: number, row: Code, col: Code): Code =>
    i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(image), get(rows)), row), get(cols)), col), get(channels));
  f.emit(
    countUp(
      n,
      get(batch),
      countUp(
        p,
        get(outHeight),
        countUp(
          a,
          i32.const(poolHeight),
          countUp(
            q,
            get(outWidth),
            set(from, rowOf(n, outHeight, outWidth, get(p), get(q))),
            countUp(
              b,
              i32.const(poolWidth),
              set(
                to,
                rowOf(
                  n,
                  height,
                  width,
                  i32.add(i32.mul(get(p), i32.const(poolHeight)), get(a)),
                  i32.add(i32.mul(get(q), i32.const(poolWidth)), get(b))
                )
              ),
              set(k, i32.const(0)),
              copy(4, load, store),
              copy(1, loadLane0, storeLane0)
            )
          )
        )
      )
    )
  );
  return f;
}

/** The program for windows of ph × pw on `memory`: called with the byte addresses and sizes of AVG_POOL_GRAD_PARAMS. */
export function avgPoolGradOn(memory: WebAssembly.Memory, poolHeight: number, poolWidth: number): SimdFunction {
  return simdFunction(memory, `avgPoolGrad|${poolHeight}|${poolWidth}`, () =>
    avgPoolGradFunction(poolHeight, poolWidth)
  );
}
