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
import {LifAttrs, SurrogateName} from '../../lif_attrs';
import {
  Code,
  f32x4,
  get,
  i32,
  i32x4,
  ifThen,
  load,
  loadLane0,
  set,
  store,
  storeLane0,
  v128,
  V128,
  I32,
  WasmFunction,
  whileLoop,
} from './wasm_emit';
import {SimdFunction, simdFunction} from './simd_runtime';

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

/** How one group of neurons is read and written: a whole vector of four, or lane 0 alone. */
interface Access {
  load(address: Code): Code;
  store(address: Code, value: Code): Code;
  /** Neurons per pass. */
  width: number;
}
const VECTOR: Access = {load, store, width: 4};
const LANE: Access = {load: loadLane0, store: storeLane0, width: 1};

/** The membrane after a step: U where no spike, U − θ (subtract) or v_r (zero) where one fired. */
function reset(attrs: LifAttrs, u: Code, th: Code, spiked: Code): Code {
  switch (attrs.resetMode) {
    case 'subtract':
      return f32x4.sub(u, v128.and(spiked, th));
    case 'zero':
      return v128.select(f32x4.splat(attrs.vReset), u, spiked);
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
  let poly = f32x4.splat(LN2 ** 7 / 5040);
  for (let n = 6; n >= 0; n--) {
    let factorial = 1;
    for (let j = 2; j <= n; j++) factorial *= j;
    poly = f32x4.add(f32x4.mul(poly, get(frac)), f32x4.splat(LN2 ** n / factorial));
  }
  const scale = i32x4.shl(i32x4.add(f32x4.truncToI32(get(k)), i32x4.splat(127)), 23);
  return [
    set(y, f32x4.max(f32x4.mul(x, f32x4.splat(Math.LOG2E)), f32x4.splat(-126))),
    set(k, f32x4.floor(get(y))),
    set(frac, f32x4.sub(get(y), get(k))),
    f32x4.mul(poly, scale),
  ];
}

/**
 * Emits the surrogate dS/dU of every lane into local `out` (see SURROGATE_SCALARS in lif_attrs.ts for the
 * scalar formulas these follow).
 */
function surrogate(f: WasmFunction, name: SurrogateName, alpha: number, u: number, th: number, out: number): Code[] {
  const one = f32x4.splat(1);
  const x = f32x4.sub(get(u), get(th));
  switch (name) {
    case 'triangle':
      return [
        set(
          out,
          f32x4.div(
            f32x4.mul(
              f32x4.splat(alpha),
              f32x4.max(f32x4.splat(0), f32x4.sub(one, f32x4.abs(f32x4.sub(f32x4.div(get(u), get(th)), one))))
            ),
            get(th)
          )
        ),
      ];
    case 'fastSigmoid': {
      const d = f.local(V128);
      return [
        set(d, f32x4.add(one, f32x4.mul(f32x4.splat(alpha), f32x4.abs(x)))),
        set(out, f32x4.div(one, f32x4.mul(get(d), get(d)))),
      ];
    }
    case 'sigmoid': {
      // σ(z)(1 − σ(z)) is even in z: with e = e^(−α|x|), it is e / (1 + e)².
      const e = f.local(V128);
      const [...steps] = expNonPositive(f, f32x4.neg(f32x4.mul(f32x4.splat(alpha), f32x4.abs(x))));
      const value = steps.pop() as Code;
      const d = f32x4.add(one, get(e));
      return [...steps, set(e, value), set(out, f32x4.mul(f32x4.splat(alpha), f32x4.div(get(e), f32x4.mul(d, d))))];
    }
    case 'arctan': {
      const s = f.local(V128);
      return [
        set(s, f32x4.mul(f32x4.splat((Math.PI / 2) * alpha), x)),
        set(out, f32x4.div(f32x4.splat(alpha / 2), f32x4.add(one, f32x4.mul(get(s), get(s))))),
      ];
    }
  }
}

/**
 * The outer loops of both programs: for every batch row b (row = b·T·F, the index of (b, 0, 0)), the neurons
 * from n = 0 in vectors of four while they last, then the rest one lane at a time.
 */
function overBatchRows(
  locals: {b: number; row: number; n: number},
  sizes: {batch: number; time: number; features: number},
  pass: (access: Access) => Code
): Code[] {
  const {b, row, n} = locals;
  return [
    set(b, i32.const(0)),
    whileLoop(
      i32.ltS(get(b), get(sizes.batch)),
      set(row, i32.mul(get(b), i32.mul(get(sizes.time), get(sizes.features)))),
      set(n, i32.const(0)),
      pass(VECTOR),
      pass(LANE),
      set(b, i32.add(get(b), i32.const(1)))
    ),
  ];
}

/** Byte address `base + index·4`. */
const at = (base: number, index: number): Code => i32.add(get(base), i32.mul(get(index), i32.const(4)));

/** The forward program: spikes and the final membrane. */
export function lifForwardFunction(attrs: LifAttrs): WasmFunction {
  const p = params(LIF_FORWARD_PARAMS);
  const f = new WasmFunction('lif', LIF_FORWARD_PARAMS.length);
  const b = f.local(I32);
  const n = f.local(I32);
  const t = f.local(I32);
  const row = f.local(I32); // index of (b, 0, 0)
  const o = f.local(I32); // index of (b, t, n)
  const m = f.local(V128);
  const leak = f.local(V128);
  const th = f.local(V128);
  const u = f.local(V128);
  const spiked = f.local(V128);
  const rowState = i32.add(i32.mul(get(b), get(p.features)), get(n)); // index of (b, n)

  const pass = (access: Access): Code =>
    whileLoop(
      i32.geS(get(p.features), i32.add(get(n), i32.const(access.width))),
      set(m, access.load(i32.add(get(p.initial), i32.mul(rowState, i32.const(4))))),
      set(leak, access.load(at(p.leak, n))),
      set(th, access.load(at(p.threshold, n))),
      set(o, i32.add(get(row), get(n))),
      set(t, i32.const(0)),
      whileLoop(
        i32.ltS(get(t), get(p.time)),
        set(u, f32x4.add(f32x4.mul(get(leak), get(m)), access.load(at(p.currents, o)))),
        set(spiked, f32x4.gt(get(u), get(th))),
        access.store(at(p.spikes, o), v128.and(get(spiked), f32x4.splat(1))),
        set(m, reset(attrs, get(u), get(th), get(spiked))),
        set(o, i32.add(get(o), get(p.features))),
        set(t, i32.add(get(t), i32.const(1)))
      ),
      access.store(i32.add(get(p.membrane), i32.mul(rowState, i32.const(4))), get(m)),
      set(n, i32.add(get(n), i32.const(access.width)))
    );

  f.emit(...overBatchRows({b, row, n}, p, pass));
  return f;
}

/**
 * The BPTT program. Per group of neurons and batch row it runs the forward again, keeping U_t in dCurrents' slots,
 * then walks back in time overwriting them with dL/dI_t; dLeak and dThreshold (zeroed by the caller) get this
 * row's sums added.
 */
export function lifGradFunction(attrs: LifAttrs): WasmFunction {
  const p = params(LIF_GRAD_PARAMS);
  const f = new WasmFunction('lifGrad', LIF_GRAD_PARAMS.length);
  const b = f.local(I32);
  const n = f.local(I32);
  const t = f.local(I32);
  const row = f.local(I32);
  const o = f.local(I32);
  const state = f.local(I32); // byte offset of (b, n) in the [batch, features] arrays
  const m = f.local(V128);
  const leak = f.local(V128);
  const th = f.local(V128);
  const u = f.local(V128);
  const spiked = f.local(V128);
  const a = f.local(V128); // dL/dV_t
  const g = f.local(V128);
  const gs = f.local(V128); // g · σ'(U_t)
  const bt = f.local(V128);
  const previous = f.local(V128); // V_{t−1}
  const slope = f.local(V128);
  const sumLeak = f.local(V128);
  const sumThreshold = f.local(V128);
  const subtract = attrs.resetMode === 'subtract';
  const zero = attrs.resetMode === 'zero';
  const resetGrad = !attrs.detachReset && attrs.resetMode !== 'none';
  const slopeCode = surrogate(f, attrs.surrogate, attrs.alpha, u, th, slope);

  /** One step back in time at index o, with V_{t−1} in `previous`. */
  const stepBack = (access: Access): Code[] => {
    // ∂V/∂S: −θ (subtract) or v_r − U (zero); ∂V/∂U is 0 only where a zero reset fired.
    const dVdS = subtract ? f32x4.neg(get(th)) : f32x4.sub(f32x4.splat(attrs.vReset), get(u));
    const aTimesdVdU = zero ? v128.andNot(get(a), get(spiked)) : get(a);
    return [
      set(spiked, f32x4.gt(get(u), get(th))),
      ...slopeCode,
      set(
        g,
        resetGrad ? f32x4.add(access.load(at(p.dSpikes, o)), f32x4.mul(get(a), dVdS)) : access.load(at(p.dSpikes, o))
      ),
      set(gs, f32x4.mul(get(g), get(slope))),
      set(bt, f32x4.add(get(gs), aTimesdVdU)),
      access.store(at(p.dCurrents, o), get(bt)),
      set(sumLeak, f32x4.add(get(sumLeak), f32x4.mul(get(bt), get(previous)))),
      set(
        sumThreshold,
        f32x4.sub(get(sumThreshold), subtract ? f32x4.add(get(gs), v128.and(get(spiked), get(a))) : get(gs))
      ),
      set(a, f32x4.mul(get(leak), get(bt))),
    ];
  };

  const accumulate = (access: Access, base: number, sum: number): Code =>
    access.store(at(base, n), f32x4.add(access.load(at(base, n)), get(sum)));

  const pass = (access: Access): Code =>
    whileLoop(
      i32.geS(get(p.features), i32.add(get(n), i32.const(access.width))),
      set(state, i32.mul(i32.add(i32.mul(get(b), get(p.features)), get(n)), i32.const(4))),
      set(m, access.load(i32.add(get(p.initial), get(state)))),
      set(leak, access.load(at(p.leak, n))),
      set(th, access.load(at(p.threshold, n))),
      // Forward again: U_t into dCurrents' slots.
      set(o, i32.add(get(row), get(n))),
      set(t, i32.const(0)),
      whileLoop(
        i32.ltS(get(t), get(p.time)),
        set(u, f32x4.add(f32x4.mul(get(leak), get(m)), access.load(at(p.currents, o)))),
        access.store(at(p.dCurrents, o), get(u)),
        set(m, reset(attrs, get(u), get(th), f32x4.gt(get(u), get(th)))),
        set(o, i32.add(get(o), get(p.features))),
        set(t, i32.add(get(t), i32.const(1)))
      ),
      // Backward: t = T−1 … 1 take V_{t−1} from the trace, t = 0 from the initial membrane.
      set(a, access.load(i32.add(get(p.dMembrane), get(state)))),
      set(sumLeak, f32x4.splat(0)),
      set(sumThreshold, f32x4.splat(0)),
      set(t, i32.sub(get(p.time), i32.const(1))),
      whileLoop(
        i32.gtS(get(t), i32.const(0)),
        set(o, i32.sub(get(o), get(p.features))),
        set(u, access.load(at(p.dCurrents, o))),
        set(previous, access.load(i32.sub(at(p.dCurrents, o), i32.mul(get(p.features), i32.const(4))))),
        set(previous, reset(attrs, get(previous), get(th), f32x4.gt(get(previous), get(th)))),
        ...stepBack(access),
        set(t, i32.sub(get(t), i32.const(1)))
      ),
      ifThen(
        i32.gtS(get(p.time), i32.const(0)),
        set(o, i32.sub(get(o), get(p.features))),
        set(u, access.load(at(p.dCurrents, o))),
        set(previous, access.load(i32.add(get(p.initial), get(state)))),
        ...stepBack(access)
      ),
      accumulate(access, p.dLeak, sumLeak),
      accumulate(access, p.dThreshold, sumThreshold),
      access.store(i32.add(get(p.dInitial), get(state)), get(a)),
      set(n, i32.add(get(n), i32.const(access.width)))
    );

  f.emit(...overBatchRows({b, row, n}, p, pass));
  return f;
}

const attrsKey = (attrs: LifAttrs): string =>
  [attrs.resetMode, attrs.detachReset, attrs.surrogate, attrs.alpha, attrs.vReset].join('|');

/** The forward program on `memory`: called with the byte addresses and sizes of {@link LIF_FORWARD_PARAMS}. */
export function lifForwardOn(memory: WebAssembly.Memory, attrs: LifAttrs): SimdFunction {
  return simdFunction(memory, `lif|${attrsKey(attrs)}`, () => lifForwardFunction(attrs));
}

/** The BPTT program on `memory`: called with the byte addresses and sizes of {@link LIF_GRAD_PARAMS}. */
export function lifGradOn(memory: WebAssembly.Memory, attrs: LifAttrs): SimdFunction {
  return simdFunction(memory, `lifGrad|${attrsKey(attrs)}`, () => lifGradFunction(attrs));
}
