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
import {LEAK_RANGE, THRESHOLD_RANGE} from './parameter_ranges';

export type {ResetMode, SurrogateFunction, SurrogateName};

export const IMPLEMENTATIONS = ['auto', 'kernel', 'composite'] as const;
/**
 * `'auto'` uses the fused kernel where the backend has one (cpu, webgl, wasm, webgpu: FUSED_LIF_BACKENDS) and
 * the core-op composite elsewhere; `'kernel'` insists on the fused kernel;
 * `'composite'` forces core ops (any backend).
 */
export type LifImplementation = (typeof IMPLEMENTATIONS)[number];

/** The options of `ops.lif` and `ops.lifWithState` (all optional); the `lif` layer takes them too. */
export interface LifOptions {
  /**
   * Membrane decay β per step: a number in [0, 1] (1 gives integrate-and-fire), or a float32 tensor broadcasting
   * to the features shape (`[]`, `[C]` per channel, …, the full `[...features]` per neuron), which gets a
   * gradient. Default 0.95.
   */
  leak?: number | Tensor;
  /** Firing threshold θ: a number > 0, or a float32 tensor broadcasting to the features shape (gets a gradient). Default 1. */
  threshold?: number | Tensor;
  /** The value a `'zero'` reset sets the membrane to (a finite number). Default 0. */
  vReset?: number;
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

/** The defaults of {@link LifOptions}: leak 0.95, threshold 1, vReset 0, subtract reset (detached), triangle surrogate. */
export const LIF_DEFAULTS = {
  leak: 0.95,
  threshold: 1,
  vReset: 0,
  resetMode: 'subtract' as ResetMode,
  detachReset: true,
  surrogate: 'triangle' as SurrogateName,
  implementation: 'auto' as LifImplementation,
};

/** The option names of ops.lif (ops.ifNeuron takes them all but `leak`). */
export const LIF_OPTION_NAMES = Object.freeze([
  'leak',
  'threshold',
  'vReset',
  'resetMode',
  'detachReset',
  'surrogate',
  'alpha',
  'initialMembrane',
  'implementation',
] as const);

/** The options checked and completed; `leak` and `threshold` still numbers or tensors (the op flattens them). */
export interface ResolvedLifOptions {
  attrs: LifCompositeAttrs;
  leak: number | Tensor;
  threshold: number | Tensor;
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

/**
 * A neuron parameter: a finite number satisfying `ok` (`expected` says how), or a float32 tensor (its shape is
 * checked against the input by `checkParameterShape`; its values are not read, so nothing syncs).
 */
export function parameterOption(
  fn: string,
  name: string,
  value: unknown,
  expected: string,
  ok: (x: number) => boolean
): number | Tensor {
  if (value instanceof Tensor) {
    if (value.dtype !== 'float32') throw optionError(fn, name, value, `${expected} or a float32 tensor`);
    return value;
  }
  return finiteNumber(fn, name, value, `${expected} or a float32 tensor`, ok);
}

/** Throws unless a tensor parameter broadcasts to `featureShape` (trailing-aligned: [], [C], …, the full shape). */
export function checkParameterShape(fn: string, name: string, value: number | Tensor, featureShape: number[]): void {
  if (!(value instanceof Tensor)) return;
  const lead = featureShape.length - value.rank;
  const ok = lead >= 0 && value.shape.every((d, i) => d === 1 || d === featureShape[lead + i]);
  if (!ok) {
    throw optionError(
      fn,
      name,
      value,
      `a tensor broadcasting to the features shape [${featureShape}] ([], [${featureShape[featureShape.length - 1]}] ` +
        `per channel, …, [${featureShape}] per neuron)`
    );
  }
}

/**
 * Checks every option, fills defaults, and names the offending option on error. `names` are the options `fn`
 * takes (ops.ifNeuron: all but `leak`, which is then 1).
 */
export function resolveLifOptions(
  options: LifOptions | undefined,
  fn: string,
  names: readonly string[] = LIF_OPTION_NAMES
): ResolvedLifOptions {
  if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new Error(`${fn}: options must be an object; got ${describeValue(options)}`);
  }
  const o = options ?? {};
  for (const key of Object.keys(o)) {
    if (!names.includes(key)) {
      throw new Error(`${fn}: unknown option '${key}'; expected one of ${names.join(', ')}`);
    }
  }
  const leak = names.includes('leak')
    ? parameterOption(fn, 'leak', o.leak ?? LIF_DEFAULTS.leak, LEAK_RANGE.option, LEAK_RANGE.ok)
    : 1;
  const threshold = parameterOption(
    fn,
    'threshold',
    o.threshold ?? LIF_DEFAULTS.threshold,
    THRESHOLD_RANGE.option,
    THRESHOLD_RANGE.ok
  );
  const vReset = finiteNumber(fn, 'vReset', o.vReset ?? LIF_DEFAULTS.vReset, 'a finite number', () => true);
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
  const scalarThreshold = typeof threshold === 'number' ? threshold : null;
  // Numbers become tensors inside the op, out of every gradient's reach.
  const parameterGradients = typeof leak !== 'number' || typeof threshold !== 'number';
  return {
    attrs: {resetMode, detachReset, surrogate, alpha, vReset, surrogateFn, scalarThreshold, parameterGradients},
    leak,
    threshold,
    implementation,
    initialMembrane: o.initialMembrane,
  };
}
