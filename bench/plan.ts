/** Which configurations `npm run bench` runs, per backend. */
import type {ConfigSpec, ImplId} from './types';

export const STEPS = [8, 25, 64];
const SEED = 20240611;

export interface PlanOptions {
  quick: boolean;
}

interface Size {
  batch: number;
  features: number[];
  note?: string;
}

/** 16 × [32, 32, 64] = 2^20 neurons (a conv-layer-sized feature map); --quick: 2 × [8, 8, 16]. */
function sizeFor(options: PlanOptions): Size {
  return options.quick ? {batch: 2, features: [8, 8, 16]} : {batch: 16, features: [32, 32, 64]};
}

/** Median of this many timed runs; fewer at T=64 to keep the bench to a few minutes. */
function repsFor(time: number, options: PlanOptions): number {
  if (options.quick) return 1;
  return time >= 64 ? 2 : 3;
}

function specs(backend: string, impls: ImplId[], size: Size, options: PlanOptions): ConfigSpec[] {
  return STEPS.map(time => ({
    backend, time, impls, seed: SEED + time, reps: repsFor(time, options), ...size,
  }));
}

export function nodePlan(options: PlanOptions): ConfigSpec[] {
  const size = sizeFor(options);
  return [
    ...specs('cpu', ['fused', 'naive', 'composite'], size, options),
    ...specs('wasm', ['auto', 'naive'], size, options),
  ];
}

export function browserPlan(options: PlanOptions): ConfigSpec[] {
  return specs('webgl', ['fused', 'naive'], sizeFor(options), options);
}
