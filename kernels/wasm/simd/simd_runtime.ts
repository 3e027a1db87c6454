/**
 * Compiles and runs the SIMD programs of this folder: on tfjs-backend-wasm's own heap (in place, no copies), or
 * for the cpu backend on a scratch memory the inputs are copied into. Modules are compiled once per attribute
 * set and kept; an instance is made per memory it runs on.
 */
import {moduleOf, WasmFunction} from './wasm_emit';

/** A function of a compiled program: byte addresses and sizes in, outputs written to memory. */
export type SimdFunction = (...args: number[]) => void;

let simdState: boolean | null = null;
let simdDisabled = false;

/** A module with one `f32x4.splat` (0xfd 0x13): whether this engine runs WebAssembly SIMD. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 11, 1, 9, 0, 67, 0, 0, 0, 0, 253, 19, 11,
]);

/** Whether WebAssembly with 128-bit SIMD is available (and not turned off by {@link setSimdKernelsEnabled}). */
export function simdKernelsAvailable(): boolean {
  if (simdDisabled) return false;
  if (simdState == null) {
    // Compiled, not just validated: a page whose Content-Security-Policy forbids compiling WebAssembly
    // ('wasm-unsafe-eval') throws here, and the kernels then run their loops.
    try {
      simdState =
        typeof WebAssembly === 'object' && WebAssembly.Module.exports(new WebAssembly.Module(SIMD_PROBE)) != null;
    } catch {
      simdState = false;
    }
  }
  return simdState;
}

/**
 * Test hook: `false` makes the cpu and wasm kernels run their JavaScript loops, as on an engine without
 * WebAssembly SIMD. Returns the previous setting.
 */
export function setSimdKernelsEnabled(enabled: boolean): boolean {
  const previous = !simdDisabled;
  simdDisabled = !enabled;
  return previous;
}

const programs = new Map<string, CompiledProgram>();
let instances = new WeakMap<WebAssembly.Memory, Map<string, SimdFunction>>();

export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

function moduleKeyOf(memory: WebAssembly.Memory, key: string): string {
  return `${key}|${isShared(memory) ? 'shared' : 'own'}`;
}

/** A program's compiled module and its one export's name: what a worker instantiates on a shared memory. */
export interface CompiledProgram {
  /** The cache key: the program's key and whether its memory is shared. */
  key: string;
  module: WebAssembly.Module;
  name: string;
}

/**
 * What a program builds: its function, or its builds in order of preference, of which the first that the engine
 * compiles synchronously runs (made one at a time, as they are tried).
 */
export type ProgramBuild = () => WasmFunction | Iterable<WasmFunction>;

/** The compiled module of the program `key` for `memory` (shared or not), compiled once. */
export function compiledProgram(memory: WebAssembly.Memory, key: string, build: ProgramBuild): CompiledProgram {
  const moduleKey = moduleKeyOf(memory, key);
  let program = programs.get(moduleKey);
  if (program == null) {
    const built = build();
    const {module, name} = firstCompiled(built instanceof WasmFunction ? [built] : built, isShared(memory));
    program = {key: moduleKey, module, name};
    programs.set(moduleKey, program);
  }
  return program;
}

/**
 * The first of `builds` that compiles synchronously. An engine that refuses a module for its size throws a
 * RangeError (Chrome before version 114, for modules of {@link SYNC_COMPILE_BYTES} or more on its main thread):
 * the next build is tried. Any other error, or a refusal of the last build, is thrown.
 */
function firstCompiled(builds: Iterable<WasmFunction>, shared: boolean): {module: WebAssembly.Module; name: string} {
  let refusal: unknown = new Error('compiledProgram: the program has no builds');
  for (const fn of builds) {
    const bytes = moduleOf(fn, shared);
    try {
      if (syncCompileLimit != null && bytes.length >= syncCompileLimit) {
        throw new RangeError(
          `WebAssembly.Module(): a module of ${bytes.length} bytes is over the test limit of ${syncCompileLimit}`
        );
      }
      return {module: new WebAssembly.Module(bytes), name: fn.name};
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      refusal = error;
    }
  }
  throw refusal;
}

/**
 * The module size from which Chrome before version 114 refused to compile synchronously on its main thread (a
 * RangeError; the limit was removed in 114). Every program has a build under it, which runs there.
 */
export const SYNC_COMPILE_BYTES = 4096;

let syncCompileLimit: number | null = null;

/**
 * Test hook: compile as an engine that refuses modules of `bytes` or more (a RangeError, as such an engine throws),
 * or as this engine does (null). Forgets the modules compiled so far, so that programs are built again under the
 * new limit; program workers keep theirs, so use it on one thread. Returns the previous limit.
 */
export function setSyncCompileLimit(bytes: number | null): number | null {
  const previous = syncCompileLimit;
  syncCompileLimit = bytes;
  programs.clear();
  instances = new WeakMap();
  return previous;
}

/**
 * The function a program builds, instantiated on `memory`. `key` names the program and its attributes (the
 * cache key); `build` makes the function, or its builds, when the key is new.
 */
export function simdFunction(memory: WebAssembly.Memory, key: string, build: ProgramBuild): SimdFunction {
  let perMemory = instances.get(memory);
  if (perMemory == null) {
    perMemory = new Map();
    instances.set(memory, perMemory);
  }
  const known = perMemory.get(moduleKeyOf(memory, key));
  if (known != null) return known;
  const compiled = compiledProgram(memory, key, build);
  const instance = new WebAssembly.Instance(compiled.module, {env: {memory}});
  const run = instance.exports[compiled.name] as SimdFunction;
  perMemory.set(compiled.key, run);
  return run;
}

const PAGE = 65536;
/** The cpu backend's scratch memory is kept between calls up to this size; a larger call gets its own. */
let keptScratchBytes = 64 * 2 ** 20;
let scratch: WebAssembly.Memory | null = null;

/**
 * A memory of at least `bytes` for the cpu backend's calls: the kept scratch memory (grown as needed) when the
 * call fits {@link keptScratchBytes}, else a new one for this call only.
 */
export function scratchMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  if (bytes > keptScratchBytes) return new WebAssembly.Memory({initial: pages});
  if (scratch == null) {
    scratch = new WebAssembly.Memory({initial: pages});
  } else if (scratch.buffer.byteLength < bytes) {
    scratch.grow(pages - scratch.buffer.byteLength / PAGE);
  }
  return scratch;
}

/**
 * Lays out float32 arrays of these lengths one after another (16-byte aligned) from address 0; returns each
 * one's byte address and the total.
 */
export function layout(lengths: number[]): {addresses: number[]; bytes: number} {
  const addresses: number[] = [];
  let next = 0;
  for (const length of lengths) {
    addresses.push(next);
    next += Math.ceil((length * 4) / 16) * 16;
  }
  return {addresses, bytes: next};
}

/**
 * How many rows of `rowBytes` each fit the kept scratch memory beside `sharedBytes`: at least 1 (a row that does
 * not fit gets a fresh memory from {@link scratchMemory}), at most `rows`.
 */
export function rowsPerScratch(rowBytes: number, sharedBytes: number, rows: number): number {
  return Math.max(1, Math.min(rows, Math.floor((keptScratchBytes - sharedBytes) / Math.max(rowBytes, 1))));
}

/** One array a program reads or writes, for {@link runOnScratch}. */
export interface ScratchArray {
  /** An input's values; absent for an output. */
  values?: Float32Array;
  /** Its length in floats. */
  length: number;
  /**
   * Whether it holds one part per batch row (split into chunks of rows); otherwise it is whole in every call: a
   * parameter input, or an output the program adds to (zeroed once, summed over the chunks).
   */
  perRow: boolean;
}

/**
 * Runs a program for the cpu backend on scratch memory, in chunks of batch rows small enough for the kept scratch
 * memory (a fresh one only when a single row does not fit): copies each chunk's inputs in, calls `run` with the
 * memory, every array's byte address (in the order given) and the chunk's row count, and copies outputs out.
 * Returns the outputs (the arrays without values), whole.
 */
export function runOnScratch(
  batch: number,
  arrays: ScratchArray[],
  run: (memory: WebAssembly.Memory, addresses: number[], rows: number) => void
): Float32Array[] {
  const rowFloats = arrays.map(a => (a.perRow ? (batch === 0 ? 0 : a.length / batch) : a.length));
  const sharedBytes = layout(arrays.map((a, i) => (a.perRow ? 0 : rowFloats[i]))).bytes;
  const rowBytes = layout(arrays.map((a, i) => (a.perRow ? rowFloats[i] : 0))).bytes;
  const rowsPerChunk = rowsPerScratch(rowBytes, sharedBytes, batch);
  const {addresses, bytes} = layout(arrays.map((a, i) => (a.perRow ? rowFloats[i] * rowsPerChunk : a.length)));
  const memory = scratchMemory(bytes);
  const heap = new Float32Array(memory.buffer);
  const outputs = arrays.map(a => (a.values == null ? new Float32Array(a.length) : null));
  arrays.forEach((a, i) => {
    if (a.perRow) return;
    if (a.values != null) heap.set(a.values, addresses[i] / 4);
    else heap.fill(0, addresses[i] / 4, addresses[i] / 4 + a.length);
  });
  for (let first = 0; first < Math.max(batch, 1); first += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, batch - first);
    arrays.forEach((a, i) => {
      if (a.perRow && a.values != null) {
        heap.set(a.values.subarray(first * rowFloats[i], (first + rows) * rowFloats[i]), addresses[i] / 4);
      }
    });
    run(memory, addresses, rows);
    arrays.forEach((a, i) => {
      const out = outputs[i];
      if (a.perRow && out != null) {
        const start = addresses[i] / 4;
        out.set(heap.subarray(start, start + rows * rowFloats[i]), first * rowFloats[i]);
      }
    });
  }
  arrays.forEach((a, i) => {
    const out = outputs[i];
    if (!a.perRow && out != null) out.set(heap.subarray(addresses[i] / 4, addresses[i] / 4 + a.length));
  });
  return outputs.filter((o): o is Float32Array<ArrayBuffer> => o != null);
}

/** Test hook: the scratch size kept between cpu calls (so that a spec can make calls run in chunks). */
export function setKeptScratchBytes(bytes: number): number {
  const previous = keptScratchBytes;
  keptScratchBytes = bytes;
  return previous;
}
