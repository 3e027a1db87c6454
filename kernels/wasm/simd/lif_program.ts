/**
 * The LIF forward and BPTT loops as WebAssembly SIMD code, four neurons per instruction, one module per attribute
 * set. They compute what kernels/cpu/lif_scan.ts and lif_grad.ts compute (same equations, docs/lif.md), with
 * branch-free lanes: a spike is a lane mask, a reset a masked subtract or select. The forward rounds as the
 * scalar loops do (float32 multiply, then add); the gradient runs in float32 (the scalar loops use float64 for
 * the adjoint and the parameter sums), as the webgl and webgpu kernels do.
 *
 * Layout (byte addresses into the imported memory): currents, spikes, dSpikes, dCurrents `[batch, time, features]`;
 * initial and final membrane, dMembrane, dInitial `[batch, features]`; leak, threshold, dLeak, dThreshold
 * `[features]`. Each neuron's state stays in a register through its time loop; features that do not fill a
 * vector run the same code one lane at a time.
 */
import {env} from '@tensorflow/tfjs-core';

import {LifAttrs, needsParameterGradients, SurrogateName} from '../../lif_attrs';
import {LifDims} from '../../lif_dims';
import {rowRanges} from './program_workers';
import {
  Code,
  f32x4,
  get,
  i32,
  i32x4,
  ifThen,
  load,
  loadLane0,
  loadSplat,
  set,
  store,
  storeLane0,
  v128,
  V128,
  I32,
  f32x4Constant,
  i32x4Constant,
  WasmFunction,
  whileLoop,
  encodeModule,
  countUp,
  increment,
} from './wasm_emit';
import {CompiledProgram, compiledProgram, SimdFunction, simdFunction} from './simd_runtime';

/** The exported functions' parameters, in order (all i32: byte addresses, then sizes). */
export const LIF_FORWARD_PARAMS = [
  'currents',
  'initial',
  'leak',
  'threshold',
  'spikes',
  'membrane',
  'batch',
  'time',
  'features',
] as const;
export const LIF_GRAD_PARAMS = [
  'currents',
  'initial',
  'dSpikes',
  'dMembrane',
  'leak',
  'threshold',
  'dCurrents',
  'dInitial',
  'dLeak',
  'dThreshold',
  'batch',
  'time',
  'features',
] as const;

type Params<Names extends readonly string[]> = Record<Names[number], number>;

function params<Names extends readonly string[]>(names: Names): Params<Names> {
  return Object.fromEntries(names.map((n, i) => [n, i])) as Params<Names>;
}

/**
 * How one group of neurons is read and written: `vectors` vectors of four side by side, or lane 0 alone. Vector j
 * of a group holds the neurons 4j … 4j + 3 after the group's first, so it is at byte offset 16·j.
 */
interface Access {
  load(address: Code, j: number): Code;
  store(address: Code, value: Code, j: number): Code;
  /** Vectors processed together. */
  vectors: number;
  /** Neurons per pass. */
  width: number;
}
const vectorsOf = (count: number): Access => ({
  load: (address, j) => load(address, 16 * j),
  store: (address, value, j) => store(address, value, 16 * j),
  vectors: count,
  width: 4 * count,
});
const LANE: Access = {load: address => loadLane0(address), store: (a, v) => storeLane0(a, v), vectors: 1, width: 1};

/** The two programs, for the size budgets and the cache keys. */
type LifProgramKind = 'forward' | 'gradient';

/**
 * Vectors side by side in each program's widest pass. A group walks its neurons' T steps, each a row of the
 * [batch, time, features] arrays apart, so every step is a separate stream through memory.
 * - forward: four, one 64-byte cache line per time step: about a fifth faster on tfjs-backend-wasm's heap than one
 *   vector at a time (two, half a line, are slower than one); three are 2-5 % slower than four.
 * - gradient: three. In small's training step on tfjs-backend-wasm's heap (four runs each, taking turns) the first
 *   LIF layer's gradient took 4.49-4.61 ms with three against 4.80-4.96 with four, the second 2.28-2.38 against
 *   2.55-2.75; VGG9's three layers together 7.85-7.97 against 7.60-7.97. On a memory of its own
 *   (bench/wasm_lif_placement.ts) four are faster at small's layers (3.7 against 4.0 ms) at every placement tried:
 *   what favours three in the step is the heap it runs on, not reproduced there (docs/benchmarks.md).
 */
export const LIF_VECTORS: Readonly<Record<LifProgramKind, number>> = {forward: 4, gradient: 3};
let vectorsPerGroup: Readonly<Record<LifProgramKind, number>> = LIF_VECTORS;

/**
 * Bench hook (bench/wasm_lif_placement.ts): the vectors of each program's widest pass; null restores
 * {@link LIF_VECTORS}. Returns the previous setting. Program keys name the count, so both stay cached apart.
 */
export function setLifVectors(
  vectors: Readonly<Record<LifProgramKind, number>> | null
): Readonly<Record<LifProgramKind, number>> {
  const previous = vectorsPerGroup;
  vectorsPerGroup = vectors ?? LIF_VECTORS;
  return previous;
}

/**
 * How a program built for its T walks through time: chunk by chunk, each chunk's steps unrolled. Every batch row
 * runs the first chunk (`first` steps) over all its neurons, then `count` chunks of `size` steps, each over all its
 * neurons; a neuron's state waits between chunks in a [batch, features] output. Unrolled, each load and store of a
 * chunk is its own instruction and meets memory at a fixed 64-byte stride from one group of neurons to the next,
 * which the processor's prefetchers follow; in a loop over time the one load jumps a row of features per step and
 * back at the next group.
 */
export interface LifChunks {
  first: number;
  size: number;
  count: number;
}

/**
 * The largest module of one chunk's code: a chunk runs once per group of neurons, so past the instruction cache its
 * unrolled steps lose. `bench/wasm_lif_unroll.ts` (docs/benchmarks.md), triangle surrogate, one thread, whole T as one
 * chunk against the loop: the gradient took 0.5–0.85× the loop's time up to 12 steps (15 KB; the sigmoid's, 17 KB
 * at 8 steps: 0.75×) and 1.2–2.1× from 16 (19.5 KB); the forward 0.5–1.0× up to 20 steps (8 KB) and 1.1–2× from
 * 25 (10 KB). A longer T runs in chunks of at most the steps that fit.
 */
export const LIF_UNROLLED_BYTES: Readonly<Record<LifProgramKind, number>> = {forward: 9000, gradient: 17000};
/** The most steps a chunk is tried with (more never fit the budgets: a step takes at least 370 bytes). */
const CHUNK_STEPS_MAX = 32;

let unrolledBytes: Record<LifProgramKind, number> = {...LIF_UNROLLED_BYTES};
/** Per program key and budget: the most steps one chunk fits the budget with (0: none; the loop). */
const chunkSteps = new Map<string, number>();

/**
 * Test hook: the largest module of one chunk's code for each program (0: always the loop over time); null restores
 * {@link LIF_UNROLLED_BYTES}. Returns the previous budgets.
 */
export function setLifUnrolledBytes(bytes: Record<LifProgramKind, number> | null): Record<LifProgramKind, number> {
  const previous = unrolledBytes;
  unrolledBytes = {...(bytes ?? LIF_UNROLLED_BYTES)};
  return previous;
}

/** `time` steps in chunks of at most `steps`, as even as they go: the first chunk takes the remainder. */
export function chunksOf(time: number, steps: number): LifChunks {
  const chunks = Math.ceil(time / steps);
  const size = Math.ceil(time / chunks);
  return {first: time - (chunks - 1) * size, size, count: chunks - 1};
}

/**
 * The chunks a `kind` program (attribute key `key`) for `time` steps walks through time in: at most the steps whose
 * one-chunk module fits the budget (found once per key), or null where not even one step fits (the loop).
 */
function chunkingFor(
  kind: LifProgramKind,
  key: string,
  time: number,
  bytesOf: (steps: number) => number
): LifChunks | null {
  if (!(Number.isInteger(time) && time >= 1)) return null;
  const stepsKey = `${key}|${unrolledBytes[kind]}`;
  let most = chunkSteps.get(stepsKey);
  if (most === undefined) {
    const fits = (steps: number) => bytesOf(steps) <= unrolledBytes[kind];
    // Modules grow with their steps: the last that fits lies in (low, high].
    let [low, high] = [0, CHUNK_STEPS_MAX];
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (fits(middle)) low = middle;
      else high = middle - 1;
    }
    most = low;
    chunkSteps.set(stepsKey, most);
  }
  return most > 0 ? chunksOf(time, Math.min(most, time)) : null;
}

/**
 * The bytes of a `kind` program's module of one chunk of `steps` steps, the widest pass: what the chunk budget
 * ({@link LIF_UNROLLED_BYTES}) bounds. The gradient's is measured with its trace through memory, as the budget was.
 */
export function lifChunkBytes(kind: LifProgramKind, programAttrs: LifProgramAttrs, steps: number): number {
  const chunk = {first: steps, size: steps, count: 0};
  const attrs = {...programAttrs, uniformParameters: false};
  const fn =
    kind === 'forward'
      ? lifForwardWith(attrs, vectorsPerGroup.forward, chunk)
      : lifGradWith(attrs, vectorsPerGroup.gradient, chunk, false);
  return encodeModule([fn], false).length;
}

/** The part of a program key that says how it walks through time: its chunks, or `loop`. */
const walkKey = (chunks: LifChunks | null): string =>
  chunks == null ? 'loop' : `${chunks.first}+${chunks.count}x${chunks.size}`;

/** The passes over the neurons of a batch row, widest first: `vectors` vectors, one vector, one lane. */
const passesOf = (vectors: number): Access[] => [...(vectors > 1 ? [vectorsOf(vectors)] : []), vectorsOf(1), LANE];

/** One local per vector of the widest pass. */
const vectorLocals = (f: WasmFunction, vectors: number): number[] => Array.from({length: vectors}, () => f.local(V128));

/**
 * A program's builds, preferred first (simd_runtime compiles the first the engine takes synchronously): the widest
 * pass in `chunks` where given; then the loop over time, widest and one vector at a time, whose modules stay
 * under the 4 KB that Chrome before version 114 compiled synchronously on its main thread (the sigmoid
 * surrogate's gradient only one vector at a time).
 */
function* buildsOf(
  kind: LifProgramKind,
  chunks: LifChunks | null,
  build: (vectors: number, chunks: LifChunks | null) => WasmFunction
): Generator<WasmFunction> {
  if (chunks != null) yield build(vectorsPerGroup[kind], chunks);
  yield build(vectorsPerGroup[kind], null);
  yield build(1, null);
}

/** `steps` copies of `step` followed by `advance`: a chunk's walk through time, unrolled. */
const unrolled = (steps: number, step: Code[], advance: Code): Code[] =>
  Array.from({length: steps}, () => [...step, advance]).flat();

/** The statements of every vector of a pass, interleaved statement by statement (vector 0's, vector 1's, ...). */
function interleaved(access: Access, statements: (j: number) => Code[]): Code[] {
  const lists = Array.from({length: access.vectors}, (_, j) => statements(j));
  return lists[0].flatMap((_, i) => lists.map(list => list[i]));
}

/** The membrane after a step: U where no spike, U − θ (subtract) or v_r (zero) where one fired. */
function reset(f: WasmFunction, attrs: LifAttrs, u: Code, th: Code, spiked: Code): Code {
  switch (attrs.resetMode) {
    case 'subtract':
      return f32x4.sub(u, v128.and(spiked, th));
    case 'zero':
      return v128.select(f32x4Constant(f, attrs.vReset), u, spiked);
    case 'none':
      return u;
  }
}

/** e^x for x ≤ 0 (lanes), to ~1e-6 relative: 2^k · 2^f with k = ⌊x·log2 e⌋ and a degree-7 series for 2^f. */
function expNonPositive(f: WasmFunction, x: Code): Code[] {
  const y = f.local(V128);
  const k = f.local(V128);
  const frac = f.local(V128);
  const LN2 = Math.LN2;
  // Below 2^−126 the scale would leave the normal range; e^x is then under 1.2e-38 and taken as that.
  let poly = f32x4Constant(f, LN2 ** 7 / 5040);
  for (let n = 6; n >= 0; n--) {
    let factorial = 1;
    for (let j = 2; j <= n; j++) factorial *= j;
    poly = f32x4.add(f32x4.mul(poly, get(frac)), f32x4Constant(f, LN2 ** n / factorial));
  }
  const scale = i32x4.shl(i32x4.add(f32x4.truncToI32(get(k)), i32x4Constant(f, 127)), 23);
  return [
    set(y, f32x4.pmax(f32x4.mul(x, f32x4Constant(f, Math.LOG2E)), f32x4Constant(f, -126))),
    set(k, f32x4.floor(get(y))),
    set(frac, f32x4.sub(get(y), get(k))),
    f32x4.mul(poly, scale),
  ];
}

/** A surrogate as emitted code: `setup` once per group of neurons (after θ is loaded), `step` at every step. */
interface SurrogateCode {
  setup: Code[];
  step: Code[];
}

/**
 * Emits the surrogate dS/dU of every lane into local `out` (see SURROGATE_SCALARS in lif_attrs.ts for the
 * scalar formulas these follow). The triangle's two divisions by θ become multiplies by 1/θ and α/θ, set once
 * per group of neurons: a division is the slowest vector instruction of the step, and the slope differs from
 * the scalar formula's by a rounding of 1/θ only (spikes do not depend on it).
 */
function surrogate(
  f: WasmFunction,
  name: SurrogateName,
  alpha: number,
  u: number,
  th: number,
  out: number
): SurrogateCode {
  const one = f32x4Constant(f, 1);
  const x = f32x4.sub(get(u), get(th));
  switch (name) {
    case 'triangle': {
      const inverse = f.local(V128); // 1/θ
      const scale = f.local(V128); // α/θ
      return {
        setup: [set(inverse, f32x4.div(one, get(th))), set(scale, f32x4.mul(f32x4Constant(f, alpha), get(inverse)))],
        step: [
          set(
            out,
            f32x4.mul(
              // 1 − |…| is never −0, so pmax (one instruction) is max here, NaN included.
              f32x4.pmax(
                f32x4.sub(one, f32x4.abs(f32x4.sub(f32x4.mul(get(u), get(inverse)), one))),
                f32x4Constant(f, 0)
              ),
              get(scale)
            )
          ),
        ],
      };
    }
    case 'fastSigmoid': {
      const d = f.local(V128);
      return {
        setup: [],
        step: [
          set(d, f32x4.add(one, f32x4.mul(f32x4Constant(f, alpha), f32x4.abs(x)))),
          set(out, f32x4.div(one, f32x4.mul(get(d), get(d)))),
        ],
      };
    }
    case 'sigmoid': {
      // σ(z)(1 − σ(z)) is even in z: with e = e^(−α|x|), it is e / (1 + e)².
      const e = f.local(V128);
      const [...steps] = expNonPositive(f, f32x4.neg(f32x4.mul(f32x4Constant(f, alpha), f32x4.abs(x))));
      const value = steps.pop() as Code;
      const d = f32x4.add(one, get(e));
      return {
        setup: [],
        step: [
          ...steps,
          set(e, value),
          set(out, f32x4.mul(f32x4Constant(f, alpha), f32x4.div(get(e), f32x4.mul(d, d)))),
        ],
      };
    }
    case 'arctan': {
      const s = f.local(V128);
      return {
        setup: [],
        step: [
          set(s, f32x4.mul(f32x4Constant(f, (Math.PI / 2) * alpha), x)),
          set(out, f32x4.div(f32x4Constant(f, alpha / 2), f32x4.add(one, f32x4.mul(get(s), get(s))))),
        ],
      };
    }
  }
}

/** The loop over batch rows of both programs: `body` for every b, with row = b·T·F (the index of (b, 0, 0)). */
function overBatchRows(
  locals: {b: number; row: number},
  sizes: {batch: number; time: number; features: number},
  ...body: Code[]
): Code {
  const {b, row} = locals;
  return countUp(
    b,
    get(sizes.batch),
    set(row, i32.mul(get(b), i32.mul(get(sizes.time), get(sizes.features)))),
    ...body
  );
}

/**
 * A pass over a batch row's neurons from n = 0: in groups of `vectors` vectors while they last, then in vectors of
 * four, then one lane at a time.
 */
const overNeurons = (n: number, vectors: number, pass: (access: Access) => Code): Code[] => [
  set(n, i32.const(0)),
  ...passesOf(vectors).map(pass),
];

/** Byte address `base + index·4`. */
const at = (base: number, index: number): Code => i32.add(get(base), i32.mul(get(index), i32.const(4)));

/** The locals and parameters a group of neurons starts from (both programs have them). */
interface GroupLocals {
  p: {leak: number; threshold: number; features: number};
  b: number;
  n: number;
  row: number;
  /** Set: the byte offset of (b, n) in the [batch, features] arrays. */
  state: number;
  /** Set: the byte offset of (b, 0, n) in the [batch, time, features] arrays, plus `offset` bytes. */
  o: number;
  /** Set per vector: β and θ (one local for every vector, set once per call, where they are uniform). */
  leak: number[];
  th: number[];
  uniform: boolean;
}

/** The start of a group of neurons in both programs: its state offset, β and θ, and o at `offset` bytes. */
function groupStart(access: Access, {p, b, n, row, state, o, leak, th, uniform}: GroupLocals, offset: Code): Code[] {
  return [
    set(state, i32.mul(i32.add(i32.mul(get(b), get(p.features)), get(n)), i32.const(4))),
    ...(uniform
      ? []
      : interleaved(access, j => [
          set(leak[j], access.load(at(p.leak, n), j)),
          set(th[j], access.load(at(p.threshold, n), j)),
        ])),
    set(o, i32.add(i32.mul(i32.add(get(row), get(n)), i32.const(4)), offset)),
  ];
}

/**
 * The attributes a program is built for: the kernel's, and whether leak and threshold hold one value for every
 * feature (ops.lif given numbers, a per-layer parameter): the program then reads each once per call into one
 * register for every vector, not per group of neurons into one per vector (fewer registers spilled: 0.85-0.95×
 * the BPTT program's time on the models' LIF layers, bench/wasm_lif_unroll.ts).
 */
export interface LifProgramAttrs extends LifAttrs {
  uniformParameters?: boolean;
}

const uniformOf = (attrs: LifProgramAttrs): boolean => attrs.uniformParameters === true;

/**
 * What a program may skip (LifAttrs): `atRest`, reading V_{−1} (zeros) and writing its gradient; `finalUnused`,
 * writing V_T and reading its gradient (zeros).
 */
const hintsOf = (attrs: LifAttrs): {atRest: boolean; finalUnused: boolean} => ({
  atRest: attrs.initialAtRest === true,
  finalUnused: attrs.finalMembraneUnused === true,
});

/**
 * Vector j of the group at byte offset `state` in a [batch, features] state array at `from`; null `from`: zeros, not
 * read (a state the hints say is zero).
 */
const stateVector = (f: WasmFunction, access: Access, from: Code | null, state: number, j: number): Code =>
  from == null ? f32x4Constant(f, 0) : access.load(i32.add(from, get(state)), j);

/**
 * Whether leak and threshold each hold one value for every feature, to the bit (what
 * {@link LifProgramAttrs.uniformParameters} asks for).
 */
export function uniformParameters(leak: Float32Array, threshold: Float32Array): boolean {
  for (const values of [leak, threshold]) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 1; i < bits.length; i++) if (bits[i] !== bits[0]) return false;
  }
  return true;
}

/**
 * The program attributes for a kernel call with these leak and threshold values. Under tfjs's DEBUG flag, which
 * reads every kernel output for NaNs, the programs write the outputs the hints would let them skip.
 */
export function lifProgramAttrs(attrs: LifAttrs, leak: Float32Array, threshold: Float32Array): LifProgramAttrs {
  const hints = env().getBool('DEBUG') ? {initialAtRest: false, finalMembraneUnused: false} : {};
  return {...attrs, ...hints, uniformParameters: uniformParameters(leak, threshold)};
}

/** β and θ: a local per vector, or (uniform) one for all. */
function parameterLocals(f: WasmFunction, vectors: number, uniform: boolean): {leak: number[]; th: number[]} {
  if (!uniform) return {leak: vectorLocals(f, vectors), th: vectorLocals(f, vectors)};
  const [leak, th] = [f.local(V128), f.local(V128)];
  return {leak: Array(vectors).fill(leak), th: Array(vectors).fill(th)};
}

/** A program's start: uniform β and θ into their locals, once. */
const parametersOnce = ({p, leak, th, uniform}: GroupLocals): Code[] =>
  uniform ? [set(leak[0], loadSplat(get(p.leak))), set(th[0], loadSplat(get(p.threshold)))] : [];

/** The forward program's builds for `time` steps, preferred first: spikes and the final membrane. */
export function lifForwardFunctions(attrs: LifProgramAttrs, time: number): Iterable<WasmFunction> {
  return buildsOf('forward', forwardChunks(attrs, time), (vectors, chunks) => lifForwardWith(attrs, vectors, chunks));
}

/** The chunks of the forward program for `time` steps, or null (the loop). */
const forwardChunks = (attrs: LifProgramAttrs, time: number): LifChunks | null =>
  chunkingFor('forward', forwardAttrsKey(attrs), time, steps => lifChunkBytes('forward', attrs, steps));

function lifForwardWith(attrs: LifProgramAttrs, vectors: number, chunks: LifChunks | null): WasmFunction {
  const p = params(LIF_FORWARD_PARAMS);
  const f = new WasmFunction('lif', LIF_FORWARD_PARAMS.length);
  const b = f.local(I32);
  const n = f.local(I32);
  const t = f.local(I32);
  const c = f.local(I32); // chunk
  const row = f.local(I32); // index of (b, 0, 0)
  const o = f.local(I32); // byte offset of (b, t, n)
  const first = f.local(I32); // byte offset of the chunk's first step: t·4F
  const state = f.local(I32); // byte offset of (b, n) in the [batch, features] arrays
  const stepBytes = f.local(I32); // 4·F
  const m = vectorLocals(f, vectors);
  const uniform = uniformOf(attrs);
  const {leak, th} = parameterLocals(f, vectors, uniform);
  const u = vectorLocals(f, vectors);
  const spiked = vectorLocals(f, vectors);
  const group = {p, b, n, row, state, o, leak, th, uniform};

  const step = (access: Access): Code[] =>
    interleaved(access, j => [
      set(u[j], f32x4.add(f32x4.mul(get(leak[j]), get(m[j])), access.load(i32.add(get(p.currents), get(o)), j))),
      set(spiked[j], f32x4.gt(get(u[j]), get(th[j]))),
      access.store(i32.add(get(p.spikes), get(o)), v128.and(get(spiked[j]), f32x4Constant(f, 1)), j),
      set(m[j], reset(f, attrs, get(u[j]), get(th[j]), get(spiked[j]))),
    ]);
  const advance = set(o, i32.add(get(o), get(stepBytes)));
  const {atRest, finalUnused} = hintsOf(attrs);
  /** The initial membrane's address, or null where it is zeros (at rest). */
  const initialFrom: Code | null = atRest ? null : get(p.initial);
  /**
   * Every group's walk from its membrane in `from` ([batch, features]), `walk` (o at the walk's first step); `last`:
   * the walk ends at the last step (where the membrane after it may go unwritten).
   */
  const pass =
    (from: number, offset: Code, last: boolean, walk: (access: Access) => Code[]) =>
    (access: Access): Code =>
      whileLoop(
        i32.geS(get(p.features), i32.add(get(n), i32.const(access.width))),
        ...groupStart(access, group, offset),
        ...interleaved(access, j => [
          set(m[j], stateVector(f, access, from === p.initial ? initialFrom : get(from), state, j)),
        ]),
        ...walk(access),
        ...(finalUnused && last
          ? []
          : interleaved(access, j => [access.store(i32.add(get(p.membrane), get(state)), get(m[j]), j)])),
        set(n, i32.add(get(n), i32.const(access.width)))
      );

  const rowCode: Code[] =
    chunks == null
      ? overNeurons(
          n,
          vectors,
          pass(p.initial, i32.const(0), true, access => [
            set(t, i32.const(0)),
            whileLoop(i32.ltS(get(t), get(p.time)), ...step(access), advance, increment(t)),
          ])
        )
      : [
          ...overNeurons(
            n,
            vectors,
            pass(p.initial, i32.const(0), chunks.count === 0, access => unrolled(chunks.first, step(access), advance))
          ),
          // The later chunks start from the membrane the chunk before left in the output.
          ...(chunks.count === 0
            ? []
            : [
                set(first, i32.mul(get(stepBytes), i32.const(chunks.first))),
                countUp(
                  c,
                  i32.const(chunks.count),
                  ...overNeurons(
                    n,
                    vectors,
                    pass(p.membrane, get(first), false, access => unrolled(chunks.size, step(access), advance))
                  ),
                  increment(first, i32.mul(get(stepBytes), i32.const(chunks.size)))
                ),
              ]),
        ];

  f.emit(
    set(stepBytes, i32.mul(get(p.features), i32.const(4))),
    ...parametersOnce(group),
    overBatchRows({b, row}, p, ...rowCode)
  );
  return f;
}

/**
 * The BPTT program's builds for `time` steps, preferred first. Per batch row and group of neurons it runs the forward
 * again, keeping U_t in dCurrents' slots, then walks back in time overwriting them with dL/dI_t; in chunks, the
 * membrane and then dL/dV wait between chunks in dInitial's slots. dLeak and dThreshold (zeroed by the caller) get
 * each group's sums added.
 */
export function lifGradFunctions(attrs: LifProgramAttrs, time: number): Iterable<WasmFunction> {
  return buildsOf('gradient', gradChunks(attrs, time), (vectors, chunks) => lifGradWith(attrs, vectors, chunks));
}

/** The chunks of the BPTT program for `time` steps, or null (the loop). */
const gradChunks = (attrs: LifProgramAttrs, time: number): LifChunks | null =>
  chunkingFor('gradient', gradAttrsKey(attrs), time, steps => lifChunkBytes('gradient', attrs, steps));

/**
 * `traceInLocals`: a program of one chunk keeps U_t in locals between its forward and its walk back, both in one
 * pass over the neurons (0.82-0.88× the time of the trace through dCurrents' slots at T 6 and 8, about even at
 * T 4; bench/wasm_lif_unroll.ts). The chunk budget is measured without it (lifChunkBytes).
 */
function lifGradWith(
  attrs: LifProgramAttrs,
  vectors: number,
  chunks: LifChunks | null,
  traceInLocals = true
): WasmFunction {
  const p = params(LIF_GRAD_PARAMS);
  const f = new WasmFunction('lifGrad', LIF_GRAD_PARAMS.length);
  const b = f.local(I32);
  const n = f.local(I32);
  const t = f.local(I32);
  const c = f.local(I32); // chunk
  const row = f.local(I32);
  const o = f.local(I32); // byte offset of (b, t, n)
  const first = f.local(I32); // byte offset of the chunk's first step: t·4F
  const adjointFrom = f.local(I32); // where a chunk's walk back finds dL/dV: dMembrane, or dInitial's slots
  const state = f.local(I32); // byte offset of (b, n) in the [batch, features] arrays
  const stepBytes = f.local(I32); // bytes from one step to the next: 4·F
  const m = vectorLocals(f, vectors);
  const uniform = uniformOf(attrs);
  const {leak, th} = parameterLocals(f, vectors, uniform);
  const u = vectorLocals(f, vectors);
  const spiked = vectorLocals(f, vectors);
  const a = vectorLocals(f, vectors); // dL/dV_t
  const g = vectorLocals(f, vectors);
  const gs = vectorLocals(f, vectors); // g · σ'(U_t)
  const bt = vectorLocals(f, vectors);
  const previous = vectorLocals(f, vectors); // V_{t−1}
  const uPrevious = vectorLocals(f, vectors); // U_{t−1}
  const spikedPrevious = vectorLocals(f, vectors);
  const slope = vectorLocals(f, vectors);
  const sumLeak = vectorLocals(f, vectors);
  const sumThreshold = vectorLocals(f, vectors);
  const group = {p, b, n, row, state, o, leak, th, uniform};
  const subtract = attrs.resetMode === 'subtract';
  const zero = attrs.resetMode === 'zero';
  const {atRest, finalUnused} = hintsOf(attrs);
  /** The initial membrane's address, or null where it is zeros (at rest). */
  const initialFrom: Code | null = atRest ? null : get(p.initial);
  const resetGrad = !attrs.detachReset && attrs.resetMode !== 'none';
  // Without them, dLeak and dThreshold stay as the caller zeroed them.
  const parameterGradients = needsParameterGradients(attrs);
  const slopeCode = u.map((_, j) => surrogate(f, attrs.surrogate, attrs.alpha, u[j], th[j], slope[j]));
  const slot = (base: number): Code => i32.add(get(base), get(o));

  /** Vector j's step back in time at o, with U_t in `u`, its spike mask in `spiked` and V_{t−1} in `previous`. */
  const stepBack = (access: Access, j: number): Code[] => {
    // ∂V/∂S: −θ (subtract) or v_r − U (zero); ∂V/∂U is 0 only where a zero reset fired.
    const dVdS = subtract ? f32x4.neg(get(th[j])) : f32x4.sub(f32x4Constant(f, attrs.vReset), get(u[j]));
    const aTimesdVdU = zero ? v128.andNot(get(a[j]), get(spiked[j])) : get(a[j]);
    const dSpikes = access.load(slot(p.dSpikes), j);
    return [
      ...slopeCode[j].step,
      set(g[j], resetGrad ? f32x4.add(dSpikes, f32x4.mul(get(a[j]), dVdS)) : dSpikes),
      set(gs[j], f32x4.mul(get(g[j]), get(slope[j]))),
      set(bt[j], f32x4.add(get(gs[j]), aTimesdVdU)),
      access.store(slot(p.dCurrents), get(bt[j]), j),
      ...(parameterGradients
        ? [
            set(sumLeak[j], f32x4.add(get(sumLeak[j]), f32x4.mul(get(bt[j]), get(previous[j])))),
            set(
              sumThreshold[j],
              f32x4.sub(
                get(sumThreshold[j]),
                subtract ? f32x4.add(get(gs[j]), v128.and(get(spiked[j]), get(a[j]))) : get(gs[j])
              )
            ),
          ]
        : []),
      set(a[j], f32x4.mul(get(leak[j]), get(bt[j]))),
    ];
  };

  const accumulate = (access: Access, base: number, sum: number[]): Code[] =>
    interleaved(access, j => [access.store(at(base, n), f32x4.add(access.load(at(base, n), j), get(sum[j])), j)]);

  /** One step of the forward again: U_t into dCurrents' slot. */
  const replayStep = (access: Access): Code[] =>
    interleaved(access, j => [
      set(u[j], f32x4.add(f32x4.mul(get(leak[j]), get(m[j])), access.load(slot(p.currents), j))),
      access.store(slot(p.dCurrents), get(u[j]), j),
      set(m[j], reset(f, attrs, get(u[j]), get(th[j]), f32x4.gt(get(u[j]), get(th[j])))),
    ]);
  /**
   * One step back from t > 0: V_{t−1} from U_{t−1} (`previousU`, the trace in dCurrents' slot by default). U_{t−1}
   * and its spike mask are the next step's.
   */
  const backStep = (
    access: Access,
    previousU: (j: number) => Code = j => access.load(i32.sub(slot(p.dCurrents), get(stepBytes)), j)
  ): Code[] =>
    interleaved(access, j => [
      set(uPrevious[j], previousU(j)),
      set(spikedPrevious[j], f32x4.gt(get(uPrevious[j]), get(th[j]))),
      set(previous[j], reset(f, attrs, get(uPrevious[j]), get(th[j]), get(spikedPrevious[j]))),
      ...stepBack(access, j),
      set(u[j], get(uPrevious[j])),
      set(spiked[j], get(spikedPrevious[j])),
    ]);
  /** The step back from t = 0: V_{−1} is the initial membrane. */
  const firstStepBack = (access: Access): Code[] =>
    interleaved(access, j => [set(previous[j], stateVector(f, access, initialFrom, state, j)), ...stepBack(access, j)]);
  /** dL/dV from `from` (null: zeros, dMembrane where V_T is unused), the sums at 0. */
  const adjointStart = (access: Access, from: Code | null): Code[] =>
    interleaved(access, j => [
      ...slopeCode[j].setup,
      set(a[j], stateVector(f, access, from, state, j)),
      set(sumLeak[j], f32x4Constant(f, 0)),
      set(sumThreshold[j], f32x4Constant(f, 0)),
    ]);
  /** U_t and its spike mask at o. */
  const traceStart = (access: Access): Code[] =>
    interleaved(access, j => [
      set(u[j], access.load(slot(p.dCurrents), j)),
      set(spiked[j], f32x4.gt(get(u[j]), get(th[j]))),
    ]);
  /**
   * A group's end: its parameter sums added, dL/dV into dInitial's slot (`atZero`: dL/dV_{−1}, which may go
   * unwritten; else a chunk's, which the next chunk back reads).
   */
  const backEnd = (access: Access, atZero: boolean): Code[] => [
    ...(parameterGradients
      ? [...accumulate(access, p.dLeak, sumLeak), ...accumulate(access, p.dThreshold, sumThreshold)]
      : []),
    ...(atRest && atZero
      ? []
      : interleaved(access, j => [access.store(i32.add(get(p.dInitial), get(state)), get(a[j]), j)])),
  ];
  /** dMembrane's address, or null where it is zeros (V_T unused). */
  const dMembraneFrom: Code | null = finalUnused ? null : get(p.dMembrane);
  const next = (access: Access): Code => set(n, i32.add(get(n), i32.const(access.width)));
  const more = (access: Access): Code => i32.geS(get(p.features), i32.add(get(n), i32.const(access.width)));
  const forward = set(o, i32.add(get(o), get(stepBytes)));
  const back = set(o, i32.sub(get(o), get(stepBytes)));

  /** A group's start at t = 0: its state, β, θ and o, and the initial membrane. */
  const startAtInitial = (access: Access): Code[] => [
    ...groupStart(access, group, i32.const(0)),
    ...interleaved(access, j => [set(m[j], stateVector(f, access, initialFrom, state, j))]),
  ];
  /** The program, every build of it: its start (step size, uniform β and θ), then `body` for every batch row. */
  const program = (...body: Code[]): WasmFunction => {
    f.emit(
      set(stepBytes, i32.mul(get(p.features), i32.const(4))),
      ...parametersOnce(group),
      overBatchRows({b, row}, p, ...body)
    );
    return f;
  };
  /** The program: `pass` over the neurons of every batch row. */
  const overRows = (pass: (access: Access) => Code): WasmFunction => program(...overNeurons(n, vectors, pass));

  if (chunks != null && chunks.count === 0 && traceInLocals) {
    // One chunk: per group the forward again with U_t in locals (no trace through memory), then straight back.
    const steps = chunks.first;
    const trace = Array.from({length: steps}, () => vectorLocals(f, vectors));
    const pass = (access: Access): Code =>
      whileLoop(
        more(access),
        ...startAtInitial(access),
        ...Array.from({length: steps}, (_, t) => [
          ...interleaved(access, j => [
            set(trace[t][j], f32x4.add(f32x4.mul(get(leak[j]), get(m[j])), access.load(slot(p.currents), j))),
            set(m[j], reset(f, attrs, get(trace[t][j]), get(th[j]), f32x4.gt(get(trace[t][j]), get(th[j])))),
          ]),
          ...(t < steps - 1 ? [forward] : []),
        ]).flat(),
        ...adjointStart(access, dMembraneFrom),
        ...interleaved(access, j => [
          set(u[j], get(trace[steps - 1][j])),
          set(spiked[j], f32x4.gt(get(u[j]), get(th[j]))),
        ]),
        ...Array.from({length: steps - 1}, (_, k) => [
          ...backStep(access, j => get(trace[steps - 2 - k][j])),
          back,
        ]).flat(),
        ...firstStepBack(access),
        ...backEnd(access, true),
        next(access)
      );
    return overRows(pass);
  }

  if (chunks == null) {
    // The loop over time: per group the forward again, then back from t = T−1 to 1, and the step at t = 0.
    const pass = (access: Access): Code =>
      whileLoop(
        more(access),
        ...startAtInitial(access),
        set(t, i32.const(0)),
        whileLoop(i32.ltS(get(t), get(p.time)), ...replayStep(access), forward, increment(t)),
        ...adjointStart(access, dMembraneFrom),
        ifThen(
          i32.gtS(get(p.time), i32.const(0)),
          back,
          ...traceStart(access),
          set(t, i32.sub(get(p.time), i32.const(1))),
          whileLoop(i32.gtS(get(t), i32.const(0)), ...backStep(access), back, set(t, i32.sub(get(t), i32.const(1)))),
          ...firstStepBack(access)
        ),
        ...backEnd(access, true),
        next(access)
      );
    return overRows(pass);
  }

  // In chunks: the forward again chunk by chunk, the membrane between chunks in dInitial's slots; then back from
  // the last chunk, dL/dV between chunks in dInitial's slots (dMembrane into the last chunk).
  const replay =
    (from: number, offset: Code, steps: number) =>
    (access: Access): Code =>
      whileLoop(
        more(access),
        ...groupStart(access, group, offset),
        ...interleaved(access, j => [
          set(m[j], stateVector(f, access, from === p.initial ? initialFrom : get(from), state, j)),
        ]),
        ...unrolled(steps, replayStep(access), forward),
        ...interleaved(access, j => [access.store(i32.add(get(p.dInitial), get(state)), get(m[j]), j)]),
        next(access)
      );
  /** A chunk back from its last step (`last` bytes in) through `steps` steps; the first chunk ends at t = 0. */
  const walkBack =
    (from: Code | null, last: Code, steps: number, toZero: boolean) =>
    (access: Access): Code =>
      whileLoop(
        more(access),
        ...groupStart(access, group, last),
        ...adjointStart(access, from),
        ...traceStart(access),
        ...unrolled(toZero ? steps - 1 : steps, backStep(access), back),
        ...(toZero ? firstStepBack(access) : []),
        ...backEnd(access, toZero),
        next(access)
      );
  const lastOf = (steps: number): Code => i32.add(get(first), i32.mul(get(stepBytes), i32.const(steps - 1)));
  return program(
    ...overNeurons(n, vectors, replay(p.initial, i32.const(0), chunks.first)),
    ...(chunks.count === 0
      ? []
      : [
          set(first, i32.mul(get(stepBytes), i32.const(chunks.first))),
          countUp(
            c,
            i32.const(chunks.count),
            ...overNeurons(n, vectors, replay(p.dInitial, get(first), chunks.size)),
            increment(first, i32.mul(get(stepBytes), i32.const(chunks.size)))
          ),
          countUp(
            c,
            i32.const(chunks.count),
            increment(first, i32.mul(get(stepBytes), i32.const(-chunks.size))),
            set(adjointFrom, i32.select(get(p.dMembrane), get(p.dInitial), i32.eqz(get(c)))),
            ...overNeurons(n, vectors, walkBack(get(adjointFrom), lastOf(chunks.size), chunks.size, false))
          ),
        ]),
    set(first, i32.const(0)),
    ...overNeurons(
      n,
      vectors,
      walkBack(chunks.count === 0 ? dMembraneFrom : get(p.dInitial), lastOf(chunks.first), chunks.first, true)
    )
  );
}

/** The attributes a program depends on (the forward's do not include parameterGradients). */
const attrsKey = (attrs: LifProgramAttrs): string =>
  [
    attrs.resetMode,
    attrs.detachReset,
    attrs.surrogate,
    attrs.alpha,
    attrs.vReset,
    uniformOf(attrs),
    attrs.initialAtRest === true,
    attrs.finalMembraneUnused === true,
  ].join('|');

/**
 * Neuron-steps below which a LIF call runs on one thread: handing a part to a program worker costs tens of
 * microseconds, a 4-neuron vector step a few nanoseconds.
 */
export const LIF_PARALLEL_MIN = 2 ** 16;

/** A part of a LIF call: its batch rows, and the byte offsets of its first row in the trains and the states. */
export interface LifRows {
  rows: number;
  /** Into the [batch, time, features] arrays. */
  train: number;
  /** Into the [batch, features] arrays. */
  state: number;
}

/**
 * The parts a LIF call on `memory` cuts its batch rows into: one per thread that can take one where `split` and
 * the call is large enough, else one.
 */
export function lifRows(memory: WebAssembly.Memory, dims: LifDims, split = true): LifRows[] {
  const {batch, time, features} = dims;
  const ranges: Array<[number, number]> =
    split && batch * time * features >= LIF_PARALLEL_MIN ? rowRanges(memory, batch) : [[0, batch]];
  return ranges.map(([first, end]) => ({
    rows: end - first,
    train: first * time * features * 4,
    state: first * features * 4,
  }));
}

/** The key of a program for `time` steps: its attributes, and the T it is unrolled for or `loop`. */
const forwardKey = (attrs: LifProgramAttrs, time: number): string =>
  `${forwardAttrsKey(attrs)}|${walkKey(forwardChunks(attrs, time))}`;
const forwardAttrsKey = (attrs: LifProgramAttrs): string => `lif|${attrsKey(attrs)}|${vectorsPerGroup.forward}`;
const gradAttrsKey = (attrs: LifProgramAttrs): string =>
  `lifGrad|${attrsKey(attrs)}|${needsParameterGradients(attrs)}|${vectorsPerGroup.gradient}`;
const gradKey = (attrs: LifProgramAttrs, time: number): string =>
  `${gradAttrsKey(attrs)}|${walkKey(gradChunks(attrs, time))}`;

/** The forward program's module for `time` steps on `memory`, for program workers. */
export function lifForwardProgram(memory: WebAssembly.Memory, attrs: LifProgramAttrs, time: number): CompiledProgram {
  return compiledProgram(memory, forwardKey(attrs, time), () => lifForwardFunctions(attrs, time));
}

/** The BPTT program's module for `time` steps on `memory`, for program workers. */
export function lifGradProgram(memory: WebAssembly.Memory, attrs: LifProgramAttrs, time: number): CompiledProgram {
  return compiledProgram(memory, gradKey(attrs, time), () => lifGradFunctions(attrs, time));
}

/**
 * The forward program for `time` steps on `memory`: called with the byte addresses and sizes of
 * {@link LIF_FORWARD_PARAMS}, `time` among them.
 */
export function lifForwardOn(memory: WebAssembly.Memory, attrs: LifProgramAttrs, time: number): SimdFunction {
  return simdFunction(memory, forwardKey(attrs, time), () => lifForwardFunctions(attrs, time));
}

/**
 * The BPTT program for `time` steps on `memory`: called with the byte addresses and sizes of
 * {@link LIF_GRAD_PARAMS}, `time` among them.
 */
export function lifGradOn(memory: WebAssembly.Memory, attrs: LifProgramAttrs, time: number): SimdFunction {
  return simdFunction(memory, gradKey(attrs, time), () => lifGradFunctions(attrs, time));
}
