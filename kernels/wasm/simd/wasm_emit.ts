/**
 * A small WebAssembly binary writer for tfjs-snn's SIMD loops: the kernels in this folder build their wasm code
 * at run time from these expression helpers (as the webgl and webgpu kernels build shader source), one module
 * per attribute set, so that no toolchain and no `.wasm` file ship with the package.
 *
 * An expression is the byte code that leaves its value on the stack (`Code`, a flat array of bytes); helpers
 * concatenate their operands' code and append their own opcode, so a program reads as nested calls:
 *
 *     set(u, f32x4.add(f32x4.mul(get(leak), get(m)), load(addr)))
 *
 * Only what the kernels need is here: i32 integer arithmetic and control flow, and 128-bit SIMD on f32 and f64
 * lanes (the fixed-width SIMD proposal, in every browser since 2021-2023 and in Node 16.4+). SIMD opcodes are
 * those of the proposal's final binary encoding (prefix 0xfd, then the opcode as unsigned LEB128).
 */

/** A sequence of instructions (their binary encoding). */
export type Code = number[];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** Unsigned LEB128. */
export function uleb(value: number): Code {
  const out: Code = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(value: number): Code {
  const out: Code = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(text: string): Code {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: Code): Code {
  return [id, ...uleb(body.length), ...body];
}

const cat = (...parts: Code[]): Code => parts.flat();

// ---- locals and constants ----

export const get = (local: number): Code => [0x20, ...uleb(local)];
export const set = (local: number, value: Code): Code => [...value, 0x21, ...uleb(local)];

export function f32Bits(value: number): Code {
  return Array.from(new Uint8Array(new Float32Array([value]).buffer));
}

/** The 8 bytes of a float64 constant (`f64.const`'s immediate). */
export function f64Bits(value: number): Code {
  return Array.from(new Uint8Array(new Float64Array([value]).buffer));
}

// ---- i32 ----

export const i32 = {
  const: (value: number): Code => [0x41, ...sleb(value)],
  add: (a: Code, b: Code): Code => cat(a, b, [0x6a]),
  sub: (a: Code, b: Code): Code => cat(a, b, [0x6b]),
  mul: (a: Code, b: Code): Code => cat(a, b, [0x6c]),
  /** Signed a < b (1 or 0). */
  ltS: (a: Code, b: Code): Code => cat(a, b, [0x48]),
  /** Unsigned a / b. */
  divU: (a: Code, b: Code): Code => cat(a, b, [0x6e]),
  /** Signed a >= b. */
  geS: (a: Code, b: Code): Code => cat(a, b, [0x4e]),
  /** Signed a > b. */
  gtS: (a: Code, b: Code): Code => cat(a, b, [0x4a]),
  /** Unsigned a < b (byte addresses). */
  ltU: (a: Code, b: Code): Code => cat(a, b, [0x49]),
  /** `ifSet` where `condition` is not 0, else `ifClear` (`select`: both are evaluated). */
  select: (ifSet: Code, ifClear: Code, condition: Code): Code => cat(ifSet, ifClear, condition, [0x1b]),
  /** The i32 at `address + offset` (`i32.load`, 4-byte aligned). */
  load: (address: Code, offset = 0): Code => cat(address, [0x28], memarg(2, offset)),
  /** Stores an i32 at `address` (`i32.store`, 4-byte aligned). */
  store: (address: Code, value: Code): Code => cat(address, value, [0x36], memarg(2, 0)),
  and: (a: Code, b: Code): Code => cat(a, b, [0x71]),
  /** 1 where a is 0, else 0. */
  eqz: (a: Code): Code => cat(a, [0x45]),
  /** The number of set bits. */
  popcnt: (a: Code): Code => cat(a, [0x69]),
};

// ---- f32 ----

export const f32 = {
  /** The float at `address` (`f32.load`, 4-byte aligned). */
  load: (address: Code): Code => cat(address, [0x2a], memarg(2, 0)),
  /** Stores a float at `address` (`f32.store`). */
  store: (address: Code, value: Code): Code => cat(address, value, [0x38], memarg(2, 0)),
  const: (value: number): Code => cat([0x43], f32Bits(value)),
  /** 1 where a ≠ b (so for NaN), else 0; −0 equals 0. */
  ne: (a: Code, b: Code): Code => cat(a, b, [0x5c]),
};

// ---- control flow ----

/** `while (cond) body`: the condition is tested before every pass. */
export function whileLoop(cond: Code, ...body: Code[]): Code {
  // block { loop { br_if 1 (!cond); body; br 0 } }
  return cat([0x02, 0x40, 0x03, 0x40], cond, [0x45, 0x0d, 1], ...body, [0x0c, 0, 0x0b, 0x0b]);
}

/** `local += by` (1 by default). */
export const increment = (local: number, by: Code = i32.const(1)): Code => set(local, i32.add(get(local), by));

/** `for (local = 0; local < limit; local++) body`, the comparison signed. */
export function countUp(local: number, limit: Code, ...body: Code[]): Code {
  return cat(set(local, i32.const(0)), whileLoop(i32.ltS(get(local), limit), ...body, increment(local)));
}

/** The byte offset of float32 number `index` (index · 4). */
export const floatBytes = (index: Code): Code => i32.mul(index, i32.const(4));

/** Calls function `index` of the module (WasmFunction.uses) with the i32 arguments `args`. */
export const call = (index: number, ...args: Code[]): Code => cat(...args, [0x10], uleb(index));

/** `if (cond) body`. */
export function ifThen(cond: Code, ...body: Code[]): Code {
  return cat(cond, [0x04, 0x40], ...body, [0x0b]);
}

// ---- SIMD (prefix 0xfd) ----

const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
/**
 * Memory argument: the alignment hint 2^align bytes (the kernels' addresses are float- or double-aligned) and a
 * constant byte offset added to the address.
 */
const memarg = (align: number, offset: number): Code => [align, ...uleb(offset)];

/** 16 bytes at `address + offset` (`v128.load`). */
export const load = (address: Code, offset = 0): Code => cat(address, simd(0x00), memarg(2, offset));
/** Stores 16 bytes at `address + offset` (`v128.store`). */
export const store = (address: Code, value: Code, offset = 0): Code =>
  cat(address, value, simd(0x0b), memarg(2, offset));
/** One float at `address + offset` in all four lanes (`v128.load32_splat`). */
export const loadSplat = (address: Code, offset = 0): Code => cat(address, simd(0x09), memarg(2, offset));
/** One float at an address into lane 0, the other lanes zero (`v128.load32_zero`). */
export const loadLane0 = (address: Code): Code => cat(address, simd(0x5c), memarg(2, 0));
/** `vector` with lane `lane` replaced by the float at `address` (`v128.load32_lane`). */
export const loadLane = (address: Code, vector: Code, lane: number): Code =>
  cat(address, vector, simd(0x56), memarg(2, 0), [lane]);
/** Stores float lane `lane` of `value` at `address` (`v128.store32_lane`). */
export const storeLane = (address: Code, value: Code, lane: number): Code =>
  cat(address, value, simd(0x5a), memarg(2, 0), [lane]);
/** Stores lane 0 only (`v128.store32_lane`). */
export const storeLane0 = (address: Code, value: Code): Code => cat(address, value, simd(0x5a), memarg(2, 0), [0]);
/** One double at `address + offset` into f64 lane 0, lane 1 zero (`v128.load64_zero`). */
export const load64Lane0 = (address: Code, offset = 0): Code => cat(address, simd(0x5d), memarg(3, offset));
/** Stores f64 lane 0 only at `address + offset` (`v128.store64_lane`). */
export const store64Lane0 = (address: Code, value: Code, offset = 0): Code =>
  cat(address, value, simd(0x5b), memarg(3, offset), [0]);

/**
 * `i8x16.shuffle`: byte i of the result is byte `lanes[i]` of a (0–15) or of b (16–31); the lanes are immediates.
 */
export function shuffle(a: Code, b: Code, lanes: number[]): Code {
  if (lanes.length !== 16 || lanes.some(l => !(l >= 0 && l < 32))) throw new Error(`shuffle: bad lanes [${lanes}]`);
  return cat(a, b, simd(0x0d), lanes);
}

export const v128 = {
  and: (a: Code, b: Code): Code => cat(a, b, simd(0x4e)),
  /** a & ~b */
  andNot: (a: Code, b: Code): Code => cat(a, b, simd(0x4f)),
  or: (a: Code, b: Code): Code => cat(a, b, simd(0x50)),
  /** 1 if any bit is set, else 0 (`v128.any_true`). */
  anyTrue: (a: Code): Code => cat(a, simd(0x53)),
  /** Lanes of `ifSet` where the mask's bits are set, else of `ifClear`. */
  select: (ifSet: Code, ifClear: Code, mask: Code): Code => cat(ifSet, ifClear, mask, simd(0x52)),
};

export const f32x4 = {
  /** Four copies of a constant (rounded to float32). */
  splat: (value: number): Code => cat([0x43], f32Bits(value), simd(0x13)),
  add: (a: Code, b: Code): Code => cat(a, b, simd(0xe4)),
  sub: (a: Code, b: Code): Code => cat(a, b, simd(0xe5)),
  mul: (a: Code, b: Code): Code => cat(a, b, simd(0xe6)),
  div: (a: Code, b: Code): Code => cat(a, b, simd(0xe7)),
  /** NaN-propagating maximum (as `Math.max`). V8 lowers it to eight x64 instructions; see pmax. */
  max: (a: Code, b: Code): Code => cat(a, b, simd(0xe9)),
  /**
   * `a < b ? b : a` lane by lane (`f32x4.pmax`, one x64 instruction). With `a` the value and `b` a bound, a NaN in
   * `a` comes through (NaN < b is false), as with `max`; only a −0 in `a` against a +0 bound differs from `max`.
   */
  pmax: (a: Code, b: Code): Code => cat(a, b, simd(0xeb)),
  abs: (a: Code): Code => cat(a, simd(0xe0)),
  neg: (a: Code): Code => cat(a, simd(0xe1)),
  floor: (a: Code): Code => cat(a, simd(0x68)),
  /** All-ones lanes where a > b (false for NaN). */
  gt: (a: Code, b: Code): Code => cat(a, b, simd(0x44)),
  /** All-ones lanes where a ≠ b (true for NaN; −0 equals 0). */
  ne: (a: Code, b: Code): Code => cat(a, b, simd(0x42)),
  /** Rounds toward zero to i32 lanes, saturating. */
  truncToI32: (a: Code): Code => cat(a, simd(0xf8)),
  /** The two f64 lanes rounded to float32 (nearest, ties to even) in lanes 0 and 1; lanes 2 and 3 zero. */
  demoteF64x2Zero: (a: Code): Code => cat(a, simd(0x5e)),
};

/** 128-bit SIMD on two float64 lanes. */
export const f64x2 = {
  /** Two copies of a constant. */
  splat: (value: number): Code => cat([0x44], f64Bits(value), simd(0x14)),
  add: (a: Code, b: Code): Code => cat(a, b, simd(0xf0)),
  sub: (a: Code, b: Code): Code => cat(a, b, simd(0xf1)),
  mul: (a: Code, b: Code): Code => cat(a, b, simd(0xf2)),
  /** f32 lanes 0 and 1 of a, exactly, as two f64 lanes (`f64x2.promote_low_f32x4`). */
  promoteLowF32x4: (a: Code): Code => cat(a, simd(0x5f)),
};

export const i32x4 = {
  splat: (value: number): Code => cat(i32.const(value), simd(0x11)),
  add: (a: Code, b: Code): Code => cat(a, b, simd(0xae)),
  shl: (a: Code, bits: number): Code => cat(a, i32.const(bits), simd(0xab)),
  /** An i32 of the four lanes' top bits (lane i → bit i). */
  bitmask: (a: Code): Code => cat(a, simd(0xa4)),
};

// ---- functions and modules ----

/** A function under construction: numbered parameters (all i32) and typed locals. */
export class WasmFunction {
  private readonly localTypes: ValueType[] = [];
  private readonly constants = new Map<string, number>();
  /** Statements that run before the body: the constants' initialisations. */
  private readonly prologue: Code[] = [];
  readonly body: Code[] = [];

  constructor(
    readonly name: string,
    readonly paramCount: number
  ) {}

  /** Functions this one calls, which its module holds after it (see {@link WasmFunction.uses}). */
  readonly helpers: WasmFunction[] = [];

  /**
   * Makes `helper` part of this function's module (once); returns its function index there for {@link call}:
   * this function is index 0, its helpers 1, 2, … in the order first used.
   */
  uses(helper: WasmFunction): number {
    let at = this.helpers.indexOf(helper);
    if (at < 0) at = this.helpers.push(helper) - 1;
    return at + 1;
  }

  /** A new local of this type; returns its index. */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  emit(...code: Code[]): void {
    this.body.push(...code);
  }

  /**
   * The value of `code` (a constant expression of type `type`, named `key`) from a local set once before the body.
   * V8 materialises a vector constant at every use (a move into a general register, then into a vector
   * register and a shuffle), which in an inner loop costs more than the arithmetic around it.
   */
  constant(key: string, type: ValueType, code: Code): Code {
    let local = this.constants.get(key);
    if (local == null) {
      local = this.local(type);
      this.constants.set(key, local);
      this.prologue.push(set(local, code));
    }
    return get(local);
  }

  encode(): Code {
    const groups: Code[] = this.localTypes.map(type => [1, type]);
    const code = cat(vec(groups), ...this.prologue, ...this.body, [0x0b]);
    return [...uleb(code.length), ...code];
  }
}

/** f32x4.splat(value), read from a local of `f` set once (see WasmFunction.constant). */
export function f32x4Constant(f: WasmFunction, value: number): Code {
  return f.constant(`f32x4 ${Object.is(value, -0) ? '-0' : value}`, V128, f32x4.splat(value));
}

/** i32x4.splat(value), read from a local of `f` set once (see WasmFunction.constant). */
export function i32x4Constant(f: WasmFunction, value: number): Code {
  return f.constant(`i32x4 ${value}`, V128, i32x4.splat(value));
}

/**
 * A module that imports its memory as `env.memory` (shared when the heap it runs on is, e.g. a threaded
 * tfjs-backend-wasm) and exports its functions, each `(i32 × paramCount) → ()`. A function's helpers are not
 * added: list them (as {@link moduleOf} does).
 */
export function encodeModule(functions: WasmFunction[], sharedMemory: boolean): Uint8Array<ArrayBuffer> {
  const types = functions.map(f => [0x60, ...vec(Array.from({length: f.paramCount}, () => [I32])), 0]);
  // limits: 0x00 min (unshared, no maximum); 0x03 min max (shared memories must declare a maximum).
  const limits = sharedMemory ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const memoryImport = cat(utf8('env'), utf8('memory'), [0x02], limits);
  const bytes = cat(
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vec(types)),
    section(2, vec([memoryImport])),
    section(3, vec(functions.map((_, i) => uleb(i)))),
    section(7, vec(functions.map((f, i) => cat(utf8(f.name), [0x00], uleb(i))))),
    section(10, vec(functions.map(f => f.encode())))
  );
  return new Uint8Array(bytes);
}

/** The module of `entry`: it, then its helpers (WasmFunction.uses), encoded by {@link encodeModule}. */
export function moduleOf(entry: WasmFunction, sharedMemory: boolean): Uint8Array<ArrayBuffer> {
  return encodeModule([entry, ...entry.helpers], sharedMemory);
}
