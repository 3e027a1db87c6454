/** Which configurations `npm run bench` runs, per backend. */
import type {LossForm} from './tensors';
import type {ConfigSpec, ImplId} from './types';

export const STEPS = [8, 25, 64];
/** The number of steps the speed and memory targets are set at. */
export const TARGET_STEPS = 25;
const SEED = 20240611;

export interface PlanOptions {
  quick: boolean;
  loss: LossForm;
}

interface Size {
  batch: number;
  features: number[];
  note?: string;
}

const QUICK_SIZE: Size = {batch: 2, features: [8, 8, 16]};

/**
 * Feature maps of [32, 32, 64] (a conv layer's output); 2^20 neurons on cpu. The other
 * backends get fewer, so that the whole bench takes minutes rather than an hour.
 */
const FULL_SIZES: Record<string, Size> = {
  cpu: {batch: 16, features: [32, 32, 64]},
  webgl: {
    batch: 4,
    features: [32, 32, 64],
    note: 'webgl runs on SwiftShader (CPU emulation): 2^18 neurons instead of 2^20, which take ~4 times as long',
  },
  webgpu: {
    batch: 4,
    features: [32, 32, 64],
    note: 'webgpu runs on SwiftShader (CPU emulation, Vulkan): 2^18 neurons, as webgl',
  },
  wasm: {
    batch: 1,
    features: [32, 32, 64],
    note:
      "wasm: 2^16 neurons, since tfjs-backend-wasm's Slice copies its whole input out of the wasm heap, " +
      'so unstacking T steps costs O(T²·N) in the composite and the naive loop (the fused kernel runs the ' +
      'cpu loops on the wasm heap)',
  },
};

function sizeFor(backend: string, options: PlanOptions): Size {
  return options.quick ? QUICK_SIZE : FULL_SIZES[backend];
}

/**
 * At most 5 timed runs, fewer once an implementation's timed runs took 20 s (10 s at
 * T=64): the naive runs at 2^20 neurons, which take 10 to 80 s each, get one or two.
 */
function repsFor(time: number, options: PlanOptions): Pick<ConfigSpec, 'maxReps' | 'budgetMs'> {
  if (options.quick) return {maxReps: 1, budgetMs: 0};
  return {maxReps: 5, budgetMs: time >= 64 ? 10000 : 20000};
}

function specs(backend: string, impls: ImplId[], options: PlanOptions): ConfigSpec[] {
  return STEPS.map(time => ({
    backend,
    time,
    impls,
    seed: SEED + time,
    loss: options.loss,
    ...repsFor(time, options),
    ...sizeFor(backend, options),
  }));
}

/** The cpu composite is informational; at 2^20 neurons × 64 steps it would add ~2 minutes. */
function skipSlowComposite(spec: ConfigSpec, options: PlanOptions): ConfigSpec {
  if (options.quick || spec.time < 64) return spec;
  return {...spec, skip: {composite: 'informational row, not run at T=64 to keep the bench within ~10 minutes'}};
}

export function nodePlan(options: PlanOptions): ConfigSpec[] {
  return [
    ...specs('cpu', ['fused', 'naive', 'composite'], options).map(spec => skipSlowComposite(spec, options)),
    ...specs('wasm', ['fused', 'composite', 'naive'], options),
  ];
}

/**
 * The `cpu (huge pages)` rows (bench/huge_pages.ts): the cpu configuration of the targets (T 25), fused against the
 * per-step loop, in a child process whose malloc uses transparent huge pages. The composite is left out.
 */
export function hugePagesPlan(options: PlanOptions): ConfigSpec[] {
  return specs('cpu', ['fused', 'naive'], options).filter(spec => spec.time === TARGET_STEPS);
}

/**
 * `npm run bench:gpu`: webgpu in Node.js on a real GPU (Dawn), at the cpu rows' size (2^20 neurons), fused against
 * the composite and the per-step loop.
 */
export function gpuPlan(options: PlanOptions): ConfigSpec[] {
  return STEPS.map(time => ({
    backend: 'webgpu',
    time,
    impls: ['fused', 'composite', 'naive'] as ImplId[],
    seed: SEED + time,
    loss: options.loss,
    ...repsFor(time, options),
    ...(options.quick ? QUICK_SIZE : {...FULL_SIZES.cpu, note: 'a GPU through Dawn in Node.js: 2^20 neurons, as cpu'}),
  }));
}

/** webgl: fused against the per-step loop; webgpu: also against the composite (its fused path is new). */
export function browserPlan(backend: 'webgl' | 'webgpu', options: PlanOptions): ConfigSpec[] {
  return backend === 'webgl'
    ? specs('webgl', ['fused', 'naive'], options)
    : specs('webgpu', ['fused', 'composite', 'naive'], options);
}
