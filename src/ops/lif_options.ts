import {Tensor} from '@tensorflow/tfjs-core';

import {
  LifCompositeAttrs,
  RESET_MODES,
  ResetMode,
  SURROGATE_DEFAULT_ALPHA,
  SURROGATE_NAMES,
  SurrogateFunction,
  SurrogateName,
} from '../../kernels/lif_attrs';
import {describeValue} from '../errors';

export type {ResetMode, SurrogateFunction, SurrogateName};

export const IMPLEMENTATIONS = ['auto', 'kernel', 'composite'] as const;
/**
 * `'auto'` uses the fused kernel where the backend has one (cpu, webgl, wasm: FUSED_LIF_BACKENDS) and
 * the core-op composite elsewhere; `'kernel'` insists on the fused kernel;
 * `'composite'` forces core ops (any backend).
 */
export type LifImplementation = (typeof IMPLEMENTATIONS)[number];

/** The options of `ops.lif` and `ops.lifWithState` (all optional); the `lif` layer takes them too. */
export interface LifOptions {
  /** Membrane decay per step, in [0, 1]; 1 gives integrate-and-fire. Default 0.95. */
  leak?: number;
  /** Firing threshold θ > 0. Default 1. */
  threshold?: number;
  /** What a spike does to the membrane. Default `'subtract'` (U −= θ). */
  resetMode?: ResetMode;
  /** When true (default) the reset carries no gradient. */
  detachReset?: boolean;
  /** Surrogate for dS/dU: a built-in name or a function (composite path). Default `'triangle'`. */
  surrogate?: SurrogateName | SurrogateFunction;
  /** Sharpness of the built-in surrogate; defaults per surrogate (triangle 0.3). */
  alpha?: number;
  /** Membrane V_0, shape `[batch, ...features]`; zeros when omitted. */
  initialMembrane?: Tensor;
  /** Which implementation runs; default `'auto'`. */
  implementation?: LifImplementation;
}

/** The defaults of {@link LifOptions}: leak 0.95, threshold 1, subtract reset (detached), triangle surrogate. */
export const LIF_DEFAULTS = {
  leak: 0.95,
  threshold: 1,
  resetMode: 'subtract' as ResetMode,
  detachReset: true,
  surrogate: 'triangle' as SurrogateName,
  implementation: 'auto' as LifImplementation,
};

const KNOWN_OPTIONS = new Set([
  'leak',
  'threshold',
  'resetMode',
  'detachReset',
  'surrogate',
  'alpha',
  'initialMembrane',
  'implementation',
]);

export interface ResolvedLifOptions {
  attrs: LifCompositeAttrs;
  implementation: LifImplementation;
  initialMembrane?: Tensor;
}

function optionError(fn: string, name: string, value: unknown, expected: string): Error {
  return new Error(`${fn}: option '${name}' must be ${expected}; got ${describeValue(value)}`);
}

function oneOf<T extends string>(fn: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw optionError(fn, name, value, `one of ${allowed.map(a => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

function finiteNumber(fn: string, name: string, value: unknown, expected: string, ok: (x: number) => boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw optionError(fn, name, value, expected);
  }
  return value;
}

/** Checks every option, fills defaults, and names the offending option on error. */
export function resolveLifOptions(options: LifOptions | undefined, fn: string): ResolvedLifOptions {
  if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new Error(`${fn}: options must be an object; got ${describeValue(options)}`);
  }
  const o = options ?? {};
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new Error(`${fn}: unknown option '${key}'; expected one of ${[...KNOWN_OPTIONS].join(', ')}`);
    }
  }
  const leak = finiteNumber(fn, 'leak', o.leak ?? LIF_DEFAULTS.leak, 'a number in [0, 1]', x => x >= 0 && x <= 1);
  const threshold = finiteNumber(
    fn,
    'threshold',
    o.threshold ?? LIF_DEFAULTS.threshold,
    'a finite number > 0',
    x => x > 0
  );
  const resetMode = oneOf(fn, 'resetMode', o.resetMode ?? LIF_DEFAULTS.resetMode, RESET_MODES);
  const detachReset = o.detachReset ?? LIF_DEFAULTS.detachReset;
  if (typeof detachReset !== 'boolean') throw optionError(fn, 'detachReset', detachReset, 'a boolean');
  const implementation = oneOf(fn, 'implementation', o.implementation ?? LIF_DEFAULTS.implementation, IMPLEMENTATIONS);

  const surrogateOption = o.surrogate ?? LIF_DEFAULTS.surrogate;
  const surrogateFn = typeof surrogateOption === 'function' ? surrogateOption : null;
  const surrogate =
    surrogateFn != null ? LIF_DEFAULTS.surrogate : oneOf(fn, 'surrogate', surrogateOption, SURROGATE_NAMES);
  if (surrogateFn != null && implementation === 'kernel') {
    throw optionError(
      fn,
      'implementation',
      implementation,
      "'auto' or 'composite' when 'surrogate' is a function (fused kernels take built-in surrogates only)"
    );
  }
  const alpha = finiteNumber(
    fn,
    'alpha',
    o.alpha ?? SURROGATE_DEFAULT_ALPHA[surrogate],
    'a finite number > 0',
    x => x > 0
  );
  return {
    attrs: {leak, threshold, resetMode, detachReset, surrogate, alpha, surrogateFn},
    implementation,
    initialMembrane: o.initialMembrane,
  };
}
