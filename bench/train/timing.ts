/** Timing loops and tf.profile summaries for bench/train_step.ts. */
import type {KernelTime} from './spec';

export {median} from '../stats';

/** The fields of tf.profile's kernel records used here (kernelTimeMs is a number once tf.profile resolves). */
export interface ProfiledKernel {
  name: string;
  kernelTimeMs: unknown;
}

/** Collects earlier garbage before a timed step, where Node runs with --expose-gc. */
function collectGarbage(): void {
  (globalThis as {gc?: () => void}).gc?.();
}

export async function timeOnce(step: () => Promise<unknown>): Promise<number> {
  collectGarbage();
  const start = performance.now();
  await step();
  return performance.now() - start;
}

/** Times up to `maxSteps` runs of `step`, stopping early once `budgetMs` is spent (at least one run). */
export async function timeSteps(step: () => Promise<unknown>, maxSteps: number, budgetMs: number): Promise<number[]> {
  const runs: number[] = [];
  let spent = 0;
  while (runs.length < Math.max(1, maxSteps) && (runs.length === 0 || spent < budgetMs)) {
    const ms = await timeOnce(step);
    runs.push(ms);
    spent += ms;
  }
  return runs;
}

/** Sum of kernelTimeMs per kernel name over one profiled run, longest first. */
export function kernelTotals(kernels: ProfiledKernel[]): KernelTime[] {
  const totals = new Map<string, KernelTime>();
  for (const k of kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const entry = totals.get(k.name) ?? {kernel: k.name, calls: 0, ms: 0};
    entry.calls++;
    entry.ms += ms;
    totals.set(k.name, entry);
  }
  return [...totals.values()].sort((a, b) => b.ms - a.ms);
}

/**
 * The time of tfjs-snn's own SNN kernels (LIF and BNTT, forward and backward: every kernel named `Snn…`). The
 * encoder runs core kernels, and bench/train_step.ts profiles it on its own and adds it.
 */
export function snnKernelMs(totals: KernelTime[]): number {
  return totals.filter(k => k.kernel.startsWith('Snn')).reduce((sum, k) => sum + k.ms, 0);
}

interface WasmModuleLike {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
}

/**
 * Runs `step` while counting tfjs-backend-wasm's tensor allocations (its `_malloc`/`_free`, which every tensor
 * buffer goes through): the most bytes allocated during the step and alive at once, and the heap's size after.
 * tf.profile's peakBytes counts every tensor, so a reshape (which shares its input's buffer) counts twice; this
 * counts buffers. Returns null off wasm.
 */
export async function wasmPeakBytes(
  backend: unknown,
  step: () => Promise<unknown>
): Promise<{peakBytes: number; heapBytes: number} | null> {
  const wasm = (backend as {wasm?: WasmModuleLike}).wasm;
  if (wasm == null || typeof wasm._malloc !== 'function') {
    await step();
    return null;
  }
  const {_malloc: malloc, _free: free} = wasm;
  const sizes = new Map<number, number>();
  let live = 0;
  let peak = 0;
  wasm._malloc = (bytes: number) => {
    const pointer = malloc(bytes);
    sizes.set(pointer >>> 0, bytes);
    live += bytes;
    peak = Math.max(peak, live);
    return pointer;
  };
  wasm._free = (pointer: number) => {
    live -= sizes.get(pointer >>> 0) ?? 0;
    sizes.delete(pointer >>> 0);
    free(pointer);
  };
  try {
    await step();
  } finally {
    wasm._malloc = malloc;
    wasm._free = free;
  }
  return {peakBytes: peak, heapBytes: wasm.HEAPU8.buffer.byteLength};
}
