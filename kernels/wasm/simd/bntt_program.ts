/**
 * The passes of the BNTT training kernels (kernels/bntt_loops.ts) as WebAssembly SIMD programs, one module per
 * pass, for the cpu and wasm backends. x (and dy) are viewed as [outer, rows, inner, channels] (bntt_attrs.ts),
 * k = r·C + c indexes a parameter.
 *
 * Each computes what the loops compute, so the results are the loops' to the bit. Every operation is a float32
 * instruction on float32 values and coefficients, except the sums' totals: a sum pass adds its float32 terms
 * (x and (x − c)², (x − μ)², or dy and dy·(x − μ)) into float32 partial sums over SUM_BLOCK consecutive inner
 * positions, then adds each partial sum, promoted, into the k's float64 total (one promotion per block instead of
 * one per value: the promotions were most of a sum pass's instructions). Each k's values are added in the loops'
 * order (outer, then inner).
 *
 * - A pass walks x (and dy) in one of two ways ({@link BnttWalk}), with the same results: linear, in memory order,
 *   16 channels (four vectors, one 64-byte cache line) at a time, then 4, then one lane at a time for C not a
 *   multiple of 4, a sum's float32 partials kept in memory right after its float64 totals at `out`; or block by block
 *   of SUM_BLOCK positions, each group of channels through the block with its partials and coefficients in
 *   registers. Blocks are faster at few channels (up to 32, BNTT_BLOCK_WALK_CHANNELS; dx only over dy) and
 *   slower past, where a block spans kilobytes: the per-group sweeps then meet memory in strides the processor does
 *   not prefetch. (Sums that swept all of a group's values at once were twice as slow at 64 channels.)
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
  countUp,
  f32x4,
  f32x4Constant,
  f64x2,
  get,
  i32,
  ifThen,
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

/**
 * The passes: Σx and Σ(x − center)²; Σ(x − center)² (where the first's center was far from the mean); y = (x −
 * center)·scale + offset; Σdy and Σdy·(x − μ); dx.
 */
export const BNTT_PASSES = ['moments', 'squares', 'normalize', 'gradSums', 'dx'] as const;
export type BnttPass = (typeof BNTT_PASSES)[number];

/** Channel groups of the linear walk, widest first: one cache line of floats, one vector, one lane. */
const LINEAR_GROUPS = [16, 4, 1];

/**
 * Channel groups of the block walk per pass, widest first, then one vector, then one lane: a group's sums and
 * coefficients stay in registers through a block, four vectors of each where the registers hold them all.
 */
const BLOCK_GROUPS: Record<BnttPass, number[]> = {
  moments: [8, 4, 1],
  squares: [16, 4, 1],
  normalize: [16, 4, 1],
  gradSums: [8, 4, 1],
  dx: [8, 4, 1],
};

/**
 * What picks a walk: a pass, or `dxInPlace`, the dx pass writing over dy (the backward kernel given a dy it may
 * overwrite, BnttTrainGradAttrs.dyWritable): its output lines are then in cache when written.
 */
export type BnttWalkKey = BnttPass | 'dxInPlace';
export const BNTT_WALK_KEYS: readonly BnttWalkKey[] = [...BNTT_PASSES, 'dxInPlace'];

/**
 * The most channels each pass walks x in blocks with (see {@link bnttWalk}), from bench/wasm_bntt.ts with x in
 * memory (not in cache), over runs on a shared machine: at 32 channels blocks took 0.69–0.74× the linear walk's time
 * on the moments, 0.78–1.06× on the gradient sums and 0.88–0.98× on the normalisation; past 32 they were slower in
 * some runs (up to 1.2× on the moments at 64 channels, 1.25–2.6× on the others). dx into a fresh output is no faster
 * in blocks at any count (each block writes its output lines in pieces, every piece a line not in cache); dx over dy
 * is faster in blocks up to 32 channels (docs/benchmarks.md).
 */
export const BNTT_BLOCK_WALK_CHANNELS: Readonly<Record<BnttWalkKey, number>> = {
  moments: 32,
  squares: 32,
  normalize: 32,
  gradSums: 32,
  dx: 0,
  dxInPlace: 32,
};
let blockWalkChannels: Readonly<Record<BnttWalkKey, number>> = BNTT_BLOCK_WALK_CHANNELS;

/**
 * Test and bench hook: the most channels every pass walks in blocks with (0: always linear; Infinity: always in
 * blocks); null restores {@link BNTT_BLOCK_WALK_CHANNELS}. Returns the previous setting.
 */
export function setBnttBlockWalkChannels(
  channels: number | Readonly<Record<BnttWalkKey, number>> | null
): Readonly<Record<BnttWalkKey, number>> {
  const previous = blockWalkChannels;
  blockWalkChannels =
    channels == null
      ? BNTT_BLOCK_WALK_CHANNELS
      : typeof channels === 'number'
        ? (Object.fromEntries(BNTT_WALK_KEYS.map(key => [key, channels])) as Record<BnttWalkKey, number>)
        : channels;
  return previous;
}

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
  /** Number of per-k coefficients it reads. */
  coefficients: number;
  element: (f: WasmFunction) => ElementOf;
}

const SPECS: Record<BnttPass, PassSpec> = {
  // coefficients: center
  moments: {
    coefficients: 1,
    streams: ['x'],
    sums: 2,
    element: f => {
      const d = f.local(V128);
      return (v, c) => ({pre: [set(d, f32x4.sub(v('x'), c(0)))], values: [v('x'), f32x4.mul(get(d), get(d))]});
    },
  },
  // coefficients: center
  squares: {
    coefficients: 1,
    streams: ['x'],
    sums: 1,
    element: f => {
      const d = f.local(V128);
      return (v, c) => ({pre: [set(d, f32x4.sub(v('x'), c(0)))], values: [f32x4.mul(get(d), get(d))]});
    },
  },
  // coefficients: center, scale, offset
  normalize: {
    coefficients: 3,
    streams: ['x'],
    sums: 0,
    element: () => (v, c) => ({pre: [], values: [f32x4.add(f32x4.mul(f32x4.sub(v('x'), c(0)), c(1)), c(2))]}),
  },
  // coefficients: mean
  gradSums: {
    coefficients: 1,
    streams: ['dy', 'x'],
    sums: 2,
    element: () => (v, c) => ({pre: [], values: [v('dy'), f32x4.mul(v('dy'), f32x4.sub(v('x'), c(0)))]}),
  },
  // coefficients: dyScale, centeredScale, mean, dyShift
  dx: {
    coefficients: 4,
    streams: ['dy', 'x'],
    sums: 0,
    element: () => (v, c) => ({
      pre: [],
      values: [f32x4.add(f32x4.add(f32x4.mul(c(0), v('dy')), f32x4.mul(c(1), f32x4.sub(v('x'), c(2)))), c(3))],
    }),
  },
};

/**
 * How a pass walks x; both give the same results to the bit (each k's terms in the same order).
 * - `'linear'`: position by position in memory order, every channel group of a position in turn; a sum's float32
 *   partials wait in memory (C floats per sum after the totals at `out`, in L1 cache) between positions, and each
 *   vector reads its coefficients.
 * - `'blocks'`: block by block of SUM_BLOCK positions, each channel group through the whole block with its sums
 *   and coefficients in registers. Where a block spans more than a kilobyte (C above 32) it loses: each group then
 *   meets memory in strides the processor does not prefetch ({@link bnttWalk} picks).
 */
export type BnttWalk = 'linear' | 'blocks';

/** The passes' shared locals and helpers. */
interface PassFrame {
  f: WasmFunction;
  spec: PassSpec;
  p: Record<(typeof BNTT_PASS_PARAMS)[number], number>;
  element: ElementOf;
  /** Byte address of coefficient m's array. */
  coefficientAt: number[];
  /** R·C·4: the bytes of one per-k float array. */
  bytesK: number;
  /** Byte offset of k = r·C + c's float (kept in step with the walk). */
  kAt: number;
}

/** Vector v of a group of width G at `address` (+ 16·v): lane 0 alone for G = 1. */
const vectorAt = (G: number, v: number, address: Code): Code => (G === 1 ? loadLane0(address) : load(address, 16 * v));
const storeAt = (G: number, v: number, address: Code, value: Code): Code =>
  G === 1 ? storeLane0(address, value) : store(address, value, 16 * v);
/** The byte address of sum m's float64 total of k (`kAt`) at `out`. */
const totalOf = ({p, bytesK, kAt}: PassFrame, m: number): Code =>
  i32.add(get(p.out), i32.add(i32.mul(get(bytesK), i32.const(2 * m)), i32.mul(get(kAt), i32.const(2))));
/** Adds float32 partial sums (vector v of a group of width G), promoted, into sum m's float64 totals at k. */
const addToTotals = (frame: PassFrame, m: number, G: number, v: number, partial: Code): Code[] => {
  const halves = G === 1 ? [partial] : [partial, shuffle(partial, partial, HIGH_HALF)];
  return halves.map((half, h) =>
    G === 1
      ? store64Lane0(totalOf(frame, m), f64x2.add(load64Lane0(totalOf(frame, m)), f64x2.promoteLowF32x4(half)))
      : store(
          totalOf(frame, m),
          f64x2.add(load(totalOf(frame, m), 32 * v + 16 * h), f64x2.promoteLowF32x4(half)),
          32 * v + 16 * h
        )
  );
};

/** The program of one pass, walking x as `walk` says. */
export function bnttPassFunction(pass: BnttPass, walk: BnttWalk): WasmFunction {
  const spec = SPECS[pass];
  const p = Object.fromEntries(BNTT_PASS_PARAMS.map((n, i) => [n, i])) as PassFrame['p'];
  const f = new WasmFunction(pass, BNTT_PASS_PARAMS.length);
  const frame: PassFrame = {
    f,
    spec,
    p,
    element: spec.element(f),
    coefficientAt: [0, 1, 2, 3].map(() => f.local(I32)),
    bytesK: f.local(I32),
    kAt: f.local(I32),
  };
  f.emit(
    set(frame.bytesK, i32.mul(i32.mul(get(p.rows), get(p.channels)), i32.const(4))),
    ...frame.coefficientAt.map((local, m) =>
      set(local, i32.add(get(p.coefficients), i32.mul(get(frame.bytesK), i32.const(m))))
    ),
    ...(walk === 'blocks' ? blockWalk(frame, pass) : linearWalk(frame))
  );
  return f;
}

/** The `'linear'` walk (see BnttWalk). */
function linearWalk(frame: PassFrame): Code[] {
  const {f, spec, p, element, coefficientAt, bytesK, kAt} = frame;
  const [r, c, o, s, ptr, rowBytes] = Array.from({length: 6}, () => f.local(I32));
  const elementOf = (G: number, v: number): Element =>
    element(
      name => vectorAt(G, v, i32.add(get(p[name]), get(ptr))),
      m => vectorAt(G, v, i32.add(get(coefficientAt[m]), get(kAt)))
    );
  /**
   * x's positions in memory order, `ptr` from 0: `body` runs while s < inner in each (outer, r) row and moves s on
   * (and ptr, through the channel loops that read x).
   */
  const overPositions = (...body: Code[]): Code[] => [
    set(ptr, i32.const(0)),
    countUp(
      o,
      get(p.outer),
      countUp(
        r,
        get(p.rows),
        set(rowBytes, i32.mul(i32.mul(get(r), get(p.channels)), i32.const(4))),
        set(s, i32.const(0)),
        whileLoop(i32.ltS(get(s), get(p.inner)), ...body)
      )
    ),
  ];
  /** The channel groups of a position (at `ptr`, which moves on with them where `reading`). */
  const channelLoop = (reading: boolean, step: (G: number, v: number) => Code[]): Code[] => [
    set(c, i32.const(0)),
    set(kAt, get(rowBytes)),
    ...LINEAR_GROUPS.map(G =>
      whileLoop(
        i32.geS(get(p.channels), i32.add(get(c), i32.const(G))),
        ...Array.from({length: Math.max(1, G / 4)}, (_, v) => step(G, v)).flat(),
        ...(reading ? [set(ptr, i32.add(get(ptr), i32.const(4 * G)))] : []),
        set(kAt, i32.add(get(kAt), i32.const(4 * G))),
        set(c, i32.add(get(c), i32.const(G)))
      )
    ),
  ];

  if (spec.sums === 0) {
    return overPositions(
      ...channelLoop(true, (G, v) => {
        const e = elementOf(G, v);
        return [...e.pre, storeAt(G, v, i32.add(get(p.out), get(ptr)), e.values[0])];
      }),
      set(s, i32.add(get(s), i32.const(1)))
    );
  }
  // Sum pass: each position's terms into the partials, which after SUM_BLOCK positions of an (outer, r) row are
  // added into the totals and cleared.
  const [partialAt, blockEnd] = [f.local(I32), f.local(I32)];
  const partialOf = (m: number): Code =>
    i32.add(get(partialAt), i32.add(i32.mul(get(p.channels), i32.const(4 * m)), i32.mul(get(c), i32.const(4))));
  const clearPartials = (G: number, v: number): Code[] =>
    Array.from({length: spec.sums}, (_, m) => storeAt(G, v, partialOf(m), f32x4Constant(f, 0)));
  return [
    set(partialAt, i32.add(get(p.out), i32.mul(get(bytesK), i32.const(2 * spec.sums)))),
    set(rowBytes, i32.const(0)),
    ...channelLoop(false, clearPartials),
    ...overPositions(
      set(blockEnd, i32.add(get(s), i32.const(SUM_BLOCK))),
      set(blockEnd, i32.select(get(blockEnd), get(p.inner), i32.ltS(get(blockEnd), get(p.inner)))),
      whileLoop(
        i32.ltS(get(s), get(blockEnd)),
        ...channelLoop(true, (G, v) => {
          const e = elementOf(G, v);
          return [
            ...e.pre,
            ...e.values.map((term, m) => storeAt(G, v, partialOf(m), f32x4.add(vectorAt(G, v, partialOf(m)), term))),
          ];
        }),
        set(s, i32.add(get(s), i32.const(1)))
      ),
      ...channelLoop(false, (G, v) => [
        ...Array.from({length: spec.sums}, (_, m) => addToTotals(frame, m, G, v, vectorAt(G, v, partialOf(m)))).flat(),
        ...clearPartials(G, v),
      ])
    ),
  ];
}

/** The `'blocks'` walk (see BnttWalk). */
function blockWalk(frame: PassFrame, pass: BnttPass): Code[] {
  const {f, spec, p, element, coefficientAt, kAt} = frame;
  const [o, r, first, n, j, c] = Array.from({length: 6}, () => f.local(I32));
  /** Byte offsets into x: the (outer, r) row, the block, the position; k's float offset at c = 0; C·4. */
  const [rowAt, blockAt, at, kRow, stride] = Array.from({length: 5}, () => f.local(I32));

  /** One group of G channels through the block's n positions, `stride` apart from `at`. */
  const group = (G: number): Code => {
    const vectors = Math.max(1, G / 4);
    const perVector = (count: number) =>
      Array.from({length: count}, () => Array.from({length: vectors}, () => f.local(V128)));
    const coefficients = perVector(spec.coefficients);
    const sums = perVector(spec.sums);
    const position: Code[] = [];
    for (let v = 0; v < vectors; v++) {
      const e = element(
        name => vectorAt(G, v, i32.add(get(p[name]), get(at))),
        m => get(coefficients[m][v])
      );
      position.push(...e.pre);
      if (spec.sums > 0) {
        e.values.forEach((term, m) => position.push(set(sums[m][v], f32x4.add(get(sums[m][v]), term))));
      } else {
        position.push(storeAt(G, v, i32.add(get(p.out), get(at)), e.values[0]));
      }
    }
    position.push(set(at, i32.add(get(at), get(stride))));
    return whileLoop(
      i32.geS(get(p.channels), i32.add(get(c), i32.const(G))),
      ...coefficients.flatMap((vs, m) =>
        vs.map((local, v) => set(local, vectorAt(G, v, i32.add(get(coefficientAt[m]), get(kAt)))))
      ),
      ...sums.flat().map(local => set(local, f32x4Constant(f, 0))),
      set(at, i32.add(get(blockAt), i32.mul(get(c), i32.const(4)))),
      // A whole block unrolled; a shorter one (a row's last) in a loop.
      ifThen(i32.eqz(i32.sub(get(n), i32.const(SUM_BLOCK))), ...Array.from({length: SUM_BLOCK}, () => position).flat()),
      ifThen(i32.ltS(get(n), i32.const(SUM_BLOCK)), countUp(j, get(n), ...position)),
      ...sums.flatMap((sum, m) => sum.flatMap((partial, v) => addToTotals(frame, m, G, v, get(partial)))),
      set(kAt, i32.add(get(kAt), i32.const(4 * G))),
      set(c, i32.add(get(c), i32.const(G)))
    );
  };

  return [
    set(stride, i32.mul(get(p.channels), i32.const(4))),
    set(rowAt, i32.const(0)),
    countUp(
      o,
      get(p.outer),
      countUp(
        r,
        get(p.rows),
        set(kRow, i32.mul(get(r), get(stride))),
        set(first, i32.const(0)),
        whileLoop(
          i32.ltS(get(first), get(p.inner)),
          set(n, i32.sub(get(p.inner), get(first))),
          set(n, i32.select(get(n), i32.const(SUM_BLOCK), i32.ltS(get(n), i32.const(SUM_BLOCK)))),
          set(blockAt, i32.add(get(rowAt), i32.mul(get(first), get(stride)))),
          set(c, i32.const(0)),
          set(kAt, get(kRow)),
          ...BLOCK_GROUPS[pass].map(group),
          set(first, i32.add(get(first), i32.const(SUM_BLOCK)))
        ),
        set(rowAt, i32.add(get(rowAt), i32.mul(get(p.inner), get(stride))))
      )
    ),
  ];
}

/**
 * The walk a pass takes over x with `channels` channels: in blocks up to {@link BNTT_BLOCK_WALK_CHANNELS}; `inPlace`:
 * the dx pass writes over dy.
 */
export function bnttWalk(pass: BnttPass, channels: number, inPlace = false): BnttWalk {
  return channels <= blockWalkChannels[inPlace && pass === 'dx' ? 'dxInPlace' : pass] ? 'blocks' : 'linear';
}

/** The program of a pass on `memory`: called with the byte addresses and sizes of {@link BNTT_PASS_PARAMS}. */
export function bnttPassOn(memory: WebAssembly.Memory, pass: BnttPass, walk: BnttWalk): SimdFunction {
  return simdFunction(memory, `bntt|${pass}|${walk}`, () => bnttPassFunction(pass, walk));
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

/**
 * The passes in place on the memory holding x, dy and the output (tfjs-backend-wasm's heap): one call each. `at.out`
 * may be `at.dy`: dx then overwrites dy, each element read before it is written.
 */
export function inPlaceRunner(
  memory: WebAssembly.Memory,
  at: {x: number; dy?: number; out: number; work: number},
  dims: BnttDims
): BnttPassRunner {
  return {
    memory,
    work: at.work,
    run: (pass, coefficients, sums) =>
      bnttPassOn(memory, pass, bnttWalk(pass, dims.channels, at.out === at.dy))(
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
      const program = bnttPassOn(memory, pass, bnttWalk(pass, dims.channels));
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

/**
 * Runs a sum pass with `center` as its coefficient (the totals zeroed first): its `count` sums per k (of K), each
 * summed over x.
 */
function runSums(runner: BnttPassRunner, pass: BnttPass, center: Float32Array, count: number): Float64Array[] {
  const K = center.length;
  new Float32Array(runner.memory.buffer, runner.work, K).set(center);
  const totals = new Float64Array(runner.memory.buffer, runner.work + 8 * K, count * K);
  totals.fill(0);
  runner.run(pass, runner.work, runner.work + 8 * K);
  return Array.from({length: count}, (_, m) => totals.slice(m * K, (m + 1) * K));
}

/** Runs an elementwise pass with these per-k coefficients (each K floats), writing the kernel's output. */
function runElementwise(runner: BnttPassRunner, pass: BnttPass, coefficients: Float32Array[]): void {
  const K = coefficients[0].length;
  const work = new Float32Array(runner.memory.buffer, runner.work, coefficients.length * K);
  coefficients.forEach((values, m) => work.set(values, m * K));
  runner.run(pass, runner.work, 0);
}

/** The forward kernel's passes as SIMD programs (y written by `runner`). */
export function simdForwardPasses(runner: BnttPassRunner): BnttForwardPasses {
  return {
    moments: center => {
      const [sum, squares] = runSums(runner, 'moments', center, 2);
      return {sum, squares};
    },
    squaredDeviations: center => runSums(runner, 'squares', center, 1)[0],
    normalize: (center, scale, offset) => runElementwise(runner, 'normalize', [center, scale, offset]),
  };
}

/** The backward kernel's passes as SIMD programs (dx written by `runner`). */
export function simdBackwardPasses(runner: BnttPassRunner): BnttBackwardPasses {
  return {
    sums: mean => {
      const [sumDy, sumDyCentered] = runSums(runner, 'gradSums', mean, 2);
      return {sumDy, sumDyCentered};
    },
    dx: (dyScale, centeredScale, mean, dyShift) =>
      runElementwise(runner, 'dx', [dyScale, centeredScale, mean, dyShift]),
  };
}
