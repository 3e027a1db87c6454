/**
 * The passes of the BNTT training kernels (kernels/bntt_loops.ts) as WebAssembly SIMD programs, one module per
 * pass, for the cpu and wasm backends. x (and dy) are viewed as [outer, rows, inner, channels] (bntt_attrs.ts),
 * k = r·C + c indexes a parameter.
 *
 * Each computes what the loops compute, so the results are the loops' to the bit. Every operation is a float32
 * instruction on float32 values and coefficients, except the sums' totals: a sum pass adds its float32 terms
 * (x, (x − μ)², or dy and dy·(x − μ)) into float32 partial sums over SUM_BLOCK consecutive inner
 * positions, then adds each partial sum, promoted, into the k's float64 total (one promotion per block instead of
 * one per value: the promotions were most of a sum pass's instructions). Each k's values are added in the loops'
 * order (outer, then inner).
 *
 * - Every pass walks x (and dy) in memory order, 16 channels (four vectors, one 64-byte cache line) at a time, then
 *   4, then one lane at a time for C not a multiple of 4. (Sums that walked one group of channels at a time over
 *   all of its values, their sums in registers, read x in strided sweeps, C/16 of them, and were up to twice as
 *   slow at 64 channels.)
 * - A sum pass keeps its float32 partial sums, C floats per sum, right after its float64 totals at `out`.
 *
 * The per-k coefficients (computed between passes by bntt_loops' drivers) are planar arrays of R·C floats at
 * `coefficients`: coefficient m of k at `coefficients + (m·R·C + k)·4`; a sum pass adds its totals to the doubles
 * at `out`, sum m of k at `out + (m·R·C + k)·8` (so that x can be walked in chunks of `outer`).
 */
import {BnttDims} from '../../bntt_attrs';
import {BnttBackwardPasses, BnttForwardPasses, SUM_BLOCK} from '../../bntt_loops';
import {layout, rowsPerScratch, scratchMemory, SimdFunction, simdFunction} from './simd_runtime';
import {
  Code,
  f32x4,
  f32x4Constant,
  f64x2,
  get,
  i32,
  I32,
  load,
  load64Lane0,
  loadLane0,
  set,
  shuffle,
  store,
  store64Lane0,
  storeLane0,
  V128,
  WasmFunction,
  whileLoop,
} from './wasm_emit';

/** Every pass's parameters, in order (all i32: byte addresses, then sizes); a pass ignores those it does not use. */
export const BNTT_PASS_PARAMS = ['x', 'dy', 'coefficients', 'out', 'outer', 'rows', 'inner', 'channels'] as const;

/** The passes: Σx; Σ(x − center)²; y = (x − center)·scale + offset; Σdy and Σdy·(x − μ); dx. */
export const BNTT_PASSES = ['sum', 'squares', 'normalize', 'gradSums', 'dx'] as const;
export type BnttPass = (typeof BNTT_PASSES)[number];

/** Channel groups, widest first: one cache line of floats, one vector, one lane. */
const GROUPS = [16, 4, 1];

/** Byte lanes of `i8x16.shuffle` moving floats 2 and 3 to lanes 0 and 1 (to promote the high half). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

/**
 * What a pass computes for one f32 vector: `values` are the sums' terms (a sum pass) or the output (an elementwise
 * pass), after the statements `pre`; `stream` reads x or dy, `coefficient` a per-k coefficient.
 */
interface Element {
  pre: Code[];
  values: Code[];
}
type ElementOf = (stream: (name: 'x' | 'dy') => Code, coefficient: (m: number) => Code) => Element;

interface PassSpec {
  streams: Array<'x' | 'dy'>;
  /** Number of per-k sums (a sum pass) or 0 (an elementwise pass writing float32 at `out`). */
  sums: number;
  element: (f: WasmFunction) => ElementOf;
}

const SPECS: Record<BnttPass, PassSpec> = {
  sum: {streams: ['x'], sums: 1, element: () => v => ({pre: [], values: [v('x')]})},
  // coefficients: center
  squares: {
    streams: ['x'],
    sums: 1,
    element: f => {
      const d = f.local(V128);
      return (v, c) => ({pre: [set(d, f32x4.sub(v('x'), c(0)))], values: [f32x4.mul(get(d), get(d))]});
    },
  },
  // coefficients: center, scale, offset
  normalize: {
    streams: ['x'],
    sums: 0,
    element: () => (v, c) => ({pre: [], values: [f32x4.add(f32x4.mul(f32x4.sub(v('x'), c(0)), c(1)), c(2))]}),
  },
  // coefficients: mean
  gradSums: {
    streams: ['dy', 'x'],
    sums: 2,
    element: () => (v, c) => ({pre: [], values: [v('dy'), f32x4.mul(v('dy'), f32x4.sub(v('x'), c(0)))]}),
  },
  // coefficients: dyScale, centeredScale, mean, dyShift
  dx: {
    streams: ['dy', 'x'],
    sums: 0,
    element: () => (v, c) => ({
      pre: [],
      values: [f32x4.add(f32x4.add(f32x4.mul(c(0), v('dy')), f32x4.mul(c(1), f32x4.sub(v('x'), c(2)))), c(3))],
    }),
  },
};

/** The program of one pass. */
export function bnttPassFunction(pass: BnttPass): WasmFunction {
  const spec = SPECS[pass];
  const p = Object.fromEntries(BNTT_PASS_PARAMS.map((n, i) => [n, i])) as Record<
    (typeof BNTT_PASS_PARAMS)[number],
    number
  >;
  const f = new WasmFunction(pass, BNTT_PASS_PARAMS.length);
  const element = spec.element(f);
  const [r, c, o, s, kf, ptr] = Array.from({length: 6}, () => f.local(I32));
  const [bytesK, rowBytes] = Array.from({length: 2}, () => f.local(I32));
  const coefficientAt = [0, 1, 2, 3].map(() => f.local(I32));
  /** Vector v of a group of width G at `address` (+ 16·v): lane 0 alone for G = 1. */
  const vectorAt = (G: number, v: number, address: Code): Code =>
    G === 1 ? loadLane0(address) : load(address, 16 * v);
  const elementOf = (G: number, v: number, coefficient: (m: number) => Code): Element =>
    element(name => vectorAt(G, v, i32.add(get(p[name]), get(ptr))), coefficient);

  const forEachRow = (...body: Code[]): Code =>
    cat(
      set(r, i32.const(0)),
      whileLoop(
        i32.ltS(get(r), get(p.rows)),
        set(rowBytes, i32.mul(i32.mul(get(r), get(p.channels)), i32.const(4))),
        ...body,
        set(r, i32.add(get(r), i32.const(1)))
      )
    );
  /**
   * x's positions in memory order, `ptr` from 0: `body` runs while s < inner in each (outer, r) row and moves s on
   * (and ptr, through the channel loops that read x).
   */
  const overPositions = (...body: Code[]): Code[] => [
    set(ptr, i32.const(0)),
    set(o, i32.const(0)),
    whileLoop(
      i32.ltS(get(o), get(p.outer)),
      forEachRow(set(s, i32.const(0)), whileLoop(i32.ltS(get(s), get(p.inner)), ...body)),
      set(o, i32.add(get(o), i32.const(1)))
    ),
  ];

  /**
   * Sum pass, in x's memory order: each position's terms are added into float32 partial sums per channel (C floats
   * per sum after the totals at `out`, in L1 cache), which after SUM_BLOCK positions of an (outer, r) row are
   * added, promoted, into the k's float64 totals and cleared.
   */
  const [partialAt, blockEnd] = [f.local(I32), f.local(I32)];
  const partialOf = (m: number): Code =>
    i32.add(get(partialAt), i32.add(i32.mul(get(p.channels), i32.const(4 * m)), i32.mul(get(c), i32.const(4))));
  const totalOf = (m: number): Code =>
    i32.add(get(p.out), i32.add(i32.mul(get(bytesK), i32.const(2 * m)), i32.mul(get(kf), i32.const(2))));
  /** The channel groups of a position (at `ptr`, which moves on with them where `reading`). */
  const overChannels = (G: number, reading: boolean, step: (v: number) => Code[]): Code => {
    const body: Code[] = [];
    for (let v = 0; v < Math.max(1, G / 4); v++) body.push(...step(v));
    return whileLoop(
      i32.geS(get(p.channels), i32.add(get(c), i32.const(G))),
      ...body,
      ...(reading ? [set(ptr, i32.add(get(ptr), i32.const(4 * G)))] : []),
      set(kf, i32.add(get(kf), i32.const(4 * G))),
      set(c, i32.add(get(c), i32.const(G)))
    );
  };
  const storeAt = (G: number, v: number, address: Code, value: Code): Code =>
    G === 1 ? storeLane0(address, value) : store(address, value, 16 * v);
  const channelLoop = (reading: boolean, step: (G: number, v: number) => Code[]): Code[] => [
    set(c, i32.const(0)),
    set(kf, get(rowBytes)),
    ...GROUPS.map(G => overChannels(G, reading, v => step(G, v))),
  ];
  const clearPartials = (G: number, v: number): Code[] =>
    Array.from({length: spec.sums}, (_, m) => storeAt(G, v, partialOf(m), f32x4Constant(f, 0)));
  const accumulate = (G: number, v: number): Code[] => {
    const e = elementOf(G, v, m => vectorAt(G, v, i32.add(get(coefficientAt[m]), get(kf))));
    return [
      ...e.pre,
      ...e.values.map((term, m) => storeAt(G, v, partialOf(m), f32x4.add(vectorAt(G, v, partialOf(m)), term))),
    ];
  };
  const flushPartials = (G: number, v: number): Code[] =>
    Array.from({length: spec.sums}, (_, m) => {
      const partial = vectorAt(G, v, partialOf(m));
      const halves = G === 1 ? [partial] : [partial, shuffle(partial, partial, HIGH_HALF)];
      return [
        ...halves.map((half, h) =>
          (G === 1 ? store64Lane0 : (address: Code, value: Code) => store(address, value, 32 * v + 16 * h))(
            totalOf(m),
            f64x2.add(
              G === 1 ? load64Lane0(totalOf(m)) : load(totalOf(m), 32 * v + 16 * h),
              f64x2.promoteLowF32x4(half)
            )
          )
        ),
        storeAt(G, v, partialOf(m), f32x4Constant(f, 0)),
      ];
    }).flat();
  const sumPass = (): Code[] => [
    set(partialAt, i32.add(get(p.out), i32.mul(get(bytesK), i32.const(2 * spec.sums)))),
    set(rowBytes, i32.const(0)),
    ...channelLoop(false, clearPartials),
    ...overPositions(
      set(blockEnd, i32.add(get(s), i32.const(SUM_BLOCK))),
      set(blockEnd, i32.select(get(blockEnd), get(p.inner), i32.ltS(get(blockEnd), get(p.inner)))),
      whileLoop(
        i32.ltS(get(s), get(blockEnd)),
        ...channelLoop(true, accumulate),
        set(s, i32.add(get(s), i32.const(1)))
      ),
      ...channelLoop(false, flushPartials)
    ),
  ];

  /** Elementwise pass: the next G channels of the current (outer, r, inner) row, at byte offset `ptr`. */
  const mapGroups = (G: number): Code => {
    const body: Code[] = [];
    for (let v = 0; v < Math.max(1, G / 4); v++) {
      const e = elementOf(G, v, m => vectorAt(G, v, i32.add(get(coefficientAt[m]), get(kf))));
      const address = i32.add(get(p.out), get(ptr));
      body.push(...e.pre, G === 1 ? storeLane0(address, e.values[0]) : store(address, e.values[0], 16 * v));
    }
    return whileLoop(
      i32.geS(get(p.channels), i32.add(get(c), i32.const(G))),
      ...body,
      set(ptr, i32.add(get(ptr), i32.const(4 * G))),
      set(kf, i32.add(get(kf), i32.const(4 * G))),
      set(c, i32.add(get(c), i32.const(G)))
    );
  };

  f.emit(
    set(bytesK, i32.mul(i32.mul(get(p.rows), get(p.channels)), i32.const(4))),
    ...coefficientAt.map((local, m) => set(local, i32.add(get(p.coefficients), i32.mul(get(bytesK), i32.const(m)))))
  );
  if (spec.sums > 0) {
    f.emit(...sumPass());
  } else {
    f.emit(
      ...overPositions(
        set(c, i32.const(0)),
        set(kf, get(rowBytes)),
        ...GROUPS.map(mapGroups),
        set(s, i32.add(get(s), i32.const(1)))
      )
    );
  }
  return f;
}

const cat = (...parts: Code[]): Code => parts.flat();

/** The program of a pass on `memory`: called with the byte addresses and sizes of {@link BNTT_PASS_PARAMS}. */
export function bnttPassOn(memory: WebAssembly.Memory, pass: BnttPass): SimdFunction {
  return simdFunction(memory, `bntt|${pass}`, () => bnttPassFunction(pass));
}

/**
 * Doubles of the work area the passes need, 4 per parameter k (K = R·C of them): an elementwise pass's (at most 4)
 * float coefficients per k; a sum pass's one float coefficient per k in the first K doubles' room, then its float64
 * totals (at most 2 per k), then its float32 partial sums (at most 2·C floats ≤ 2·K).
 */
export function bnttWorkDoubles(dims: BnttDims): number {
  return 4 * dims.rows * dims.channels;
}

/** Runs the passes over the whole of x (and dy) on one memory. */
export interface BnttPassRunner {
  memory: WebAssembly.Memory;
  /** Byte address of the work area: {@link bnttWorkDoubles} doubles. */
  work: number;
  /**
   * Runs a pass with its coefficients at byte address `coefficients`; a sum pass adds its sums to those at `sums`,
   * an elementwise pass writes the kernel's output (y or dx).
   */
  run(pass: BnttPass, coefficients: number, sums: number): void;
}

const sizes = (dims: BnttDims, outer: number) => [outer, dims.rows, dims.inner, dims.channels];

/** The passes in place on the memory holding x, dy and the output (tfjs-backend-wasm's heap): one call each. */
export function inPlaceRunner(
  memory: WebAssembly.Memory,
  at: {x: number; dy?: number; out: number; work: number},
  dims: BnttDims
): BnttPassRunner {
  return {
    memory,
    work: at.work,
    run: (pass, coefficients, sums) =>
      bnttPassOn(memory, pass)(
        at.x,
        at.dy ?? 0,
        coefficients,
        SPECS[pass].sums > 0 ? sums : at.out,
        ...sizes(dims, dims.outer)
      ),
  };
}

/**
 * The passes on a scratch copy (the cpu backend): x and dy are copied in once when they fit the kept scratch
 * memory, else each pass runs over chunks of `outer` copied in turn (the sums carry over from chunk to chunk, so
 * they are the same to the bit). The elementwise pass (the last) writes over its first input's copy (y over x,
 * dx over dy: each output element depends on the inputs at its own index) and is copied into `output`.
 */
export function scratchRunner(
  x: Float32Array,
  dy: Float32Array | null,
  output: Float32Array,
  dims: BnttDims
): BnttPassRunner {
  const slab = dims.rows * dims.inner * dims.channels;
  const workDoubles = bnttWorkDoubles(dims);
  const perChunk = rowsPerScratch((dy == null ? 1 : 2) * slab * 4, workDoubles * 8, dims.outer);
  const chunk = perChunk * slab;
  const {
    addresses: [work, xAt, dyAt],
    bytes,
  } = layout([2 * workDoubles, chunk, dy == null ? 0 : chunk]);
  const outAt = dy == null ? xAt : dyAt;
  const memory = scratchMemory(bytes);
  const floats = (address: number, length: number) => new Float32Array(memory.buffer, address, length);
  const whole = perChunk >= dims.outer;
  const copyIn = (start: number, end: number) => {
    floats(xAt, end - start).set(x.subarray(start, end));
    if (dy != null) floats(dyAt, end - start).set(dy.subarray(start, end));
  };
  if (whole) copyIn(0, x.length);
  return {
    memory,
    work,
    run: (pass, coefficients, sums) => {
      const elementwise = SPECS[pass].sums === 0;
      const program = bnttPassOn(memory, pass);
      for (let first = 0; first < Math.max(dims.outer, 1); first += perChunk) {
        const count = Math.min(perChunk, dims.outer - first);
        const [start, end] = [first * slab, (first + count) * slab];
        if (!whole) copyIn(start, end);
        program(xAt, dyAt, coefficients, elementwise ? outAt : sums, ...sizes(dims, count));
        if (elementwise) output.set(floats(outAt, end - start), start);
      }
    },
  };
}

/** The forward kernel's passes as SIMD programs (y written by `runner`). */
export function simdForwardPasses(runner: BnttPassRunner, dims: BnttDims): BnttForwardPasses {
  const K = dims.rows * dims.channels;
  const work = () => new Float64Array(runner.memory.buffer, runner.work, 4 * K);
  return {
    sum: () => {
      work().fill(0, K, 2 * K);
      runner.run('sum', runner.work, runner.work + 8 * K);
      return work().slice(K, 2 * K);
    },
    squaredDeviations: center => {
      new Float32Array(runner.memory.buffer, runner.work, K).set(center);
      work().fill(0, K, 2 * K);
      runner.run('squares', runner.work, runner.work + 8 * K);
      return work().slice(K, 2 * K);
    },
    normalize: (center, scale, offset) => {
      const w = new Float32Array(runner.memory.buffer, runner.work, 3 * K);
      [center, scale, offset].forEach((values, m) => w.set(values, m * K));
      runner.run('normalize', runner.work, 0);
    },
  };
}

/** The backward kernel's passes as SIMD programs (dx written by `runner`). */
export function simdBackwardPasses(runner: BnttPassRunner, dims: BnttDims): BnttBackwardPasses {
  const K = dims.rows * dims.channels;
  const work = () => new Float64Array(runner.memory.buffer, runner.work, 4 * K);
  return {
    sums: mean => {
      new Float32Array(runner.memory.buffer, runner.work, K).set(mean);
      work().fill(0, K, 3 * K);
      runner.run('gradSums', runner.work, runner.work + 8 * K);
      const sums = work();
      return {sumDy: sums.slice(K, 2 * K), sumDyCentered: sums.slice(2 * K, 3 * K)};
    },
    dx: (dyScale, centeredScale, mean, dyShift) => {
      const w = new Float32Array(runner.memory.buffer, runner.work, 4 * K);
      [dyScale, centeredScale, mean, dyShift].forEach((values, m) => w.set(values, m * K));
      runner.run('dx', runner.work, 0);
    },
  };
}
