/**
 * The passes of the BNTT training kernels (kernels/bntt_loops.ts) as WebAssembly SIMD programs, one module per
 * pass, for the cpu and wasm backends. x (and dy) are viewed as [outer, rows, inner, channels] (bntt_attrs.ts),
 * k = r·C + c indexes a parameter.
 *
 * Each computes what the loops compute, so the results are the loops' to the bit: sums per k promote every value
 * to float64 (two f64 lanes per half of an f32 vector) and add each k's values in the loops' order (outer, then
 * inner); elementwise outputs are float32 operations on float32 coefficients, as the loops round them.
 *
 * - Sums (Σd and Σd² with d = x − shift, Σdy and Σdy·(x − μ)) walk one group of channels at a time over all of
 *   its values, with the group's sums in registers: 16 channels (four vectors, one 64-byte cache line) while they
 *   last, then 4, then one lane at a time for C not a multiple of 4.
 * - Elementwise outputs (y, dx) walk x in memory order, 16, 4 or 1 channels per step.
 *
 * The per-k coefficients (computed between passes by bntt_loops' drivers) are planar arrays of R·C values at
 * `coefficients`, doubles for a sum pass (coefficient m of k at `coefficients + (m·R·C + k)·8`), floats for an
 * elementwise pass (at `coefficients + (m·R·C + k)·4`); a sum pass adds its sums to those at `out`, doubles laid
 * out as its coefficients (so that x can be walked in chunks of `outer`).
 */
import {BnttDims} from '../../bntt_attrs';
import {BnttBackwardPasses, BnttForwardPasses} from '../../bntt_loops';
import {layout, rowsPerScratch, scratchMemory, SimdFunction, simdFunction} from './simd_runtime';
import {
  Code,
  f32x4,
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

/** The passes: Σd and Σd² (d = x − shift); y = (x − center)·scale + offset; Σdy and Σdy·(x − μ); dx. */
export const BNTT_PASSES = ['moments', 'normalize', 'gradSums', 'dx'] as const;
export type BnttPass = (typeof BNTT_PASSES)[number];

/** Channel groups, widest first: one cache line of floats, one vector, one lane. */
const GROUPS = [16, 4, 1];

/** Byte lanes of `i8x16.shuffle` moving floats 2 and 3 to lanes 0 and 1 (to promote the high half). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

/**
 * What a pass computes for one pair of f64 lanes (j: the pair's index in its group): `values` are the sums' terms
 * (a sum pass) or the output (an elementwise pass), after the statements `pre` (sum passes only: an elementwise
 * pass runs both halves' `pre` before either value).
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
  /** A sum pass's terms for one pair of f64 lanes. */
  element?: (f: WasmFunction) => ElementOf;
  /** An elementwise pass's output for one f32 vector, from its streams and float32 coefficients. */
  output?: ElementOf32;
}
type ElementOf32 = (stream: (name: 'x' | 'dy') => Code, coefficient: (m: number) => Code) => Code;

const SPECS: Record<BnttPass, PassSpec> = {
  // coefficients: shift
  moments: {
    streams: ['x'],
    sums: 2,
    element: f => {
      const d = f.local(V128);
      return (v, coefficient) => ({
        pre: [set(d, f64x2.sub(v('x'), coefficient(0)))],
        values: [get(d), f64x2.mul(get(d), get(d))],
      });
    },
  },
  // coefficients: center, scale, offset
  normalize: {
    streams: ['x'],
    sums: 0,
    output: (v, c) => f32x4.add(f32x4.mul(f32x4.sub(v('x'), c(0)), c(1)), c(2)),
  },
  // coefficients: mean
  gradSums: {
    streams: ['dy', 'x'],
    sums: 2,
    element: () => (v, c) => ({pre: [], values: [v('dy'), f64x2.mul(v('dy'), f64x2.sub(v('x'), c(0)))]}),
  },
  // coefficients: dyScale, centeredScale, mean, dyShift
  dx: {
    streams: ['dy', 'x'],
    sums: 0,
    output: (v, c) => f32x4.add(f32x4.add(f32x4.mul(c(0), v('dy')), f32x4.mul(c(1), f32x4.sub(v('x'), c(2)))), c(3)),
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
  const element: ElementOf = spec.element?.(f) ?? (() => ({pre: [], values: []}));
  const output: ElementOf32 = spec.output ?? (() => []);
  /** Bytes of one coefficient per k: doubles for a sum pass, floats for an elementwise one. */
  const coefficientBytes = spec.sums > 0 ? 8 : 4;
  const [r, c, o, s, kb, ptr, start, end] = Array.from({length: 8}, () => f.local(I32));
  const [bytesK, rowBytes, slab, stride] = Array.from({length: 4}, () => f.local(I32));
  const coefficientAt = [0, 1, 2, 3].map(() => f.local(I32));
  // Per stream: the loaded f32 vector and its two halves promoted.
  const lanes = Object.fromEntries(
    spec.streams.map(name => [name, {vector: f.local(V128), low: f.local(V128), high: f.local(V128)}])
  );
  const sums = Array.from({length: spec.sums}, () => Array.from({length: 8}, () => f.local(V128)));

  /** Statements loading stream vector `v` of a group of width G at byte offset `ptr` + 16·v. */
  const loadVector = (G: number, v: number): Code[] =>
    spec.streams.flatMap(name => {
      const l = lanes[name];
      const address = i32.add(get(p[name]), get(ptr));
      if (G === 1) return [set(l.low, f64x2.promoteLowF32x4(loadLane0(address)))];
      return [
        set(l.vector, load(address, 16 * v)),
        set(l.low, f64x2.promoteLowF32x4(get(l.vector))),
        set(l.high, f64x2.promoteLowF32x4(shuffle(get(l.vector), get(l.vector), HIGH_HALF))),
      ];
    });
  /** The element of pair `j` (0 or 1 within vector v: the low or high half) of a group of width G. */
  const elementOf = (G: number, v: number, half: 0 | 1): Element =>
    element(
      name => get(half === 0 ? lanes[name].low : lanes[name].high),
      m => {
        const address = i32.add(get(coefficientAt[m]), get(kb));
        return G === 1 ? load64Lane0(address) : load(address, 16 * (2 * v + half));
      }
    );

  /** Sum pass: for each group of G channels of row r, its sums over every (outer, inner) in registers. */
  const sumGroups = (G: number): Code => {
    const pairs = G === 1 ? 1 : G / 2;
    const body: Code[] = [];
    for (let v = 0; v < Math.max(1, G / 4); v++) {
      body.push(...loadVector(G, v));
      for (const half of G === 1 ? ([0] as const) : ([0, 1] as const)) {
        const e = elementOf(G, v, half);
        body.push(
          ...e.pre,
          ...e.values.map((term, m) => set(sums[m][2 * v + half], f64x2.add(get(sums[m][2 * v + half]), term)))
        );
      }
    }
    const [loads, stores]: Code[][] = [[], []];
    sums.forEach((sum, m) => {
      const address = i32.add(get(p.out), i32.add(i32.mul(get(bytesK), i32.const(m)), get(kb)));
      for (let j = 0; j < pairs; j++) {
        loads.push(set(sum[j], G === 1 ? load64Lane0(address) : load(address, 16 * j)));
        stores.push(G === 1 ? store64Lane0(address, get(sum[j])) : store(address, get(sum[j]), 16 * j));
      }
    });
    return whileLoop(
      i32.geS(get(p.channels), i32.add(get(c), i32.const(G))),
      set(kb, i32.mul(i32.add(get(rowBytes), i32.mul(get(c), i32.const(4))), i32.const(2))),
      ...loads,
      set(start, i32.add(i32.mul(get(r), get(slab)), i32.mul(get(c), i32.const(4)))),
      set(o, i32.const(0)),
      whileLoop(
        i32.ltS(get(o), get(p.outer)),
        set(ptr, get(start)),
        set(end, i32.add(get(start), get(slab))),
        whileLoop(
          i32.ltU(get(ptr), get(end)),
          ...body,
          set(ptr, i32.add(get(ptr), i32.mul(get(p.channels), i32.const(4))))
        ),
        set(start, i32.add(get(start), get(stride))),
        set(o, i32.add(get(o), i32.const(1)))
      ),
      ...stores,
      set(c, i32.add(get(c), i32.const(G)))
    );
  };

  /** Elementwise pass: the next G channels of the current (outer, r, inner) row, at byte offset `ptr`. */
  const mapGroups = (G: number): Code => {
    const body: Code[] = [];
    for (let v = 0; v < Math.max(1, G / 4); v++) {
      const vector = (address: Code) => (G === 1 ? loadLane0(address) : load(address, 16 * v));
      const value = output(
        name => vector(i32.add(get(p[name]), get(ptr))),
        m => vector(i32.add(get(coefficientAt[m]), get(kb)))
      );
      const address = i32.add(get(p.out), get(ptr));
      body.push(G === 1 ? storeLane0(address, value) : store(address, value, 16 * v));
    }
    return whileLoop(
      i32.geS(get(p.channels), i32.add(get(c), i32.const(G))),
      ...body,
      set(ptr, i32.add(get(ptr), i32.const(4 * G))),
      set(kb, i32.add(get(kb), i32.const(4 * G))),
      set(c, i32.add(get(c), i32.const(G)))
    );
  };

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

  f.emit(
    set(bytesK, i32.mul(i32.mul(get(p.rows), get(p.channels)), i32.const(coefficientBytes))),
    set(slab, i32.mul(i32.mul(get(p.inner), get(p.channels)), i32.const(4))),
    set(stride, i32.mul(get(slab), get(p.rows))),
    ...coefficientAt.map((local, m) => set(local, i32.add(get(p.coefficients), i32.mul(get(bytesK), i32.const(m)))))
  );
  if (spec.sums > 0) {
    f.emit(forEachRow(set(c, i32.const(0)), ...GROUPS.map(sumGroups)));
  } else {
    f.emit(
      set(ptr, i32.const(0)),
      set(o, i32.const(0)),
      whileLoop(
        i32.ltS(get(o), get(p.outer)),
        forEachRow(
          set(s, i32.const(0)),
          whileLoop(
            i32.ltS(get(s), get(p.inner)),
            set(c, i32.const(0)),
            set(kb, get(rowBytes)),
            ...GROUPS.map(mapGroups),
            set(s, i32.add(get(s), i32.const(1)))
          )
        ),
        set(o, i32.add(get(o), i32.const(1)))
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

/** Doubles of the work area the passes need (coefficients and sums): 4 per parameter. */
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
    moments: shift => {
      const w = work();
      w.set(shift);
      w.fill(0, K, 3 * K);
      runner.run('moments', runner.work, runner.work + 8 * K);
      const sums = work();
      return {sum: sums.slice(K, 2 * K), squares: sums.slice(2 * K, 3 * K)};
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
      const w = work();
      w.set(mean);
      w.fill(0, K, 3 * K);
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
