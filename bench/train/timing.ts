/** Timing loops and tf.profile summaries for bench/train_step.ts. */
import type {KernelTime} from './spec';

/** The fields of tf.profile's kernel records used here (kernelTimeMs is a number once tf.profile resolves). */
export interface ProfiledKernel {
  name: string;
  kernelTimeMs: unknown;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
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
