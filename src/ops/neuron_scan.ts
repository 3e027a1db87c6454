/**
 * The step-by-step machinery every composite neuron op shares (alif, cubaLif, li, rlif, rCubaLif): option checks
 * in the house's style, the scan over time (one tidy per step, like SpikingJelly's charge → fire → reset
 * template), and fire-and-reset built on `ops.spike`, so every surrogate works and tfjs autodiff gives BPTT,
 * including the gradients of tensor parameters.
 */
import {
  add,
  clone,
  customGrad,
  mul,
  reshape,
  stack,
  sub,
  Tensor,
  tidy,
  transpose,
  unstack,
  zeros,
  zerosLike,
} from '@tensorflow/tfjs-core';

import {RESET_MODES, ResetMode, SURROGATE_DEFAULT_ALPHA, SURROGATE_NAMES} from '../../kernels/lif_attrs';
import type {SurrogateFunction, SurrogateName} from '../../kernels/lif_attrs';
import type {ParameterRange} from './parameter_ranges';
import {describeValue} from '../errors';
import {spike} from './spike';

/** A neuron parameter: a number, or a float32 tensor broadcasting to the features shape (it gets a gradient). */
export type NeuronParameter = number | Tensor;

/** The options every spiking neuron op of the family takes (all optional). */
export interface SpikingNeuronOptions {
  /** What a spike does to the membrane: `'subtract'` (V = U − θ, default), `'zero'` (V = vReset) or `'none'`. */
  resetMode?: ResetMode;
  /** When true (default) the spike inside the reset carries no gradient (the threshold in it still does). */
  detachReset?: boolean;
  /** The membrane a `'zero'` reset sets; a finite number, default 0. */
  vReset?: number;
  /** Surrogate for dS/dU: a built-in name or a function `(u, threshold) => dS/dU`. Default `'triangle'`. */
  surrogate?: SurrogateName | SurrogateFunction;
  /** Sharpness of the built-in surrogate; defaults per surrogate (triangle 0.3). */
  alpha?: number;
  /** `'auto'` (default) or `'composite'`: both run the step-by-step core ops (no fused kernel; `'kernel'` throws). */
  implementation?: NeuronImplementation;
}

/** The option names of {@link SpikingNeuronOptions}. */
export const SPIKING_OPTION_NAMES = ['resetMode', 'detachReset', 'vReset', 'surrogate', 'alpha'] as const;

/** The spiking options after checks and defaults. */
export interface ResolvedSpiking {
  resetMode: ResetMode;
  detachReset: boolean;
  vReset: number;
  surrogate: SurrogateName | SurrogateFunction;
  alpha: number;
}

function optionError(fn: string, name: string, value: unknown, expected: string): Error {
  return new Error(`${fn}: option '${name}' must be ${expected}; got ${describeValue(value)}`);
}

/** Checks that `options` is an object (or absent) with only `known` keys; returns it (or `{}`). */
export function checkOptionNames<T extends object>(fn: string, options: T | undefined, known: readonly string[]): T {
  if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new Error(`${fn}: options must be an object; got ${describeValue(options)}`);
  }
  const o = (options ?? {}) as T;
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new Error(`${fn}: unknown option '${key}'; expected one of ${known.join(', ')}`);
  }
  return o;
}

/** Checks the options every spiking neuron takes and fills their defaults. */
export function resolveSpiking(fn: string, o: SpikingNeuronOptions): ResolvedSpiking {
  const resetMode = o.resetMode ?? 'subtract';
  if (!(RESET_MODES as readonly unknown[]).includes(resetMode)) {
    throw optionError(fn, 'resetMode', resetMode, `one of ${RESET_MODES.map(m => `'${m}'`).join(', ')}`);
  }
  const detachReset = o.detachReset ?? true;
  if (typeof detachReset !== 'boolean') throw optionError(fn, 'detachReset', detachReset, 'a boolean');
  const vReset = o.vReset ?? 0;
  if (typeof vReset !== 'number' || !Number.isFinite(vReset)) {
    throw optionError(fn, 'vReset', vReset, 'a finite number');
  }
  const surrogate = o.surrogate ?? 'triangle';
  if (typeof surrogate !== 'function' && !(SURROGATE_NAMES as readonly unknown[]).includes(surrogate)) {
    throw optionError(
      fn,
      'surrogate',
      surrogate,
      `a function or one of ${SURROGATE_NAMES.map(n => `'${n}'`).join(', ')}`
    );
  }
  const alpha = o.alpha ?? SURROGATE_DEFAULT_ALPHA[typeof surrogate === 'function' ? 'triangle' : surrogate];
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) {
    throw optionError(fn, 'alpha', alpha, 'a finite number > 0');
  }
  return {resetMode, detachReset, vReset, surrogate, alpha};
}

/**
 * Checks a parameter option: a number within `rule`, or a float32 tensor broadcasting to `features`
 * (trailing-aligned: `[]`, `[C]`, …, the full features shape; 1s broadcast). Tensors are not read (no sync).
 */
export function resolveParameter(
  fn: string,
  name: string,
  value: unknown,
  fallback: number,
  rule: ParameterRange,
  features: readonly number[]
): NeuronParameter {
  const given = value ?? fallback;
  if (given instanceof Tensor) {
    const lead = features.length - given.rank;
    const broadcasts =
      given.dtype === 'float32' &&
      lead >= 0 &&
      given.shape.every((d: number, i: number) => d === 1 || d === features[lead + i]);
    if (!broadcasts) {
      throw optionError(
        fn,
        name,
        given,
        `${rule.option} or a float32 tensor broadcasting to the features shape [${features}] ` +
          `(e.g. [] or [${features[features.length - 1]}])`
      );
    }
    return given;
  }
  if (typeof given !== 'number' || !Number.isFinite(given) || !rule.ok(given)) {
    throw optionError(fn, name, given, `${rule.option} or a float32 tensor`);
  }
  return given;
}

/**
 * Which implementation runs a composite neuron: `'auto'` (default) and `'composite'` both run the step-by-step
 * core ops; these neurons have no fused kernel, so `'kernel'` is an error (the option is lif's, accepted here so
 * that options carry over between neurons).
 */
export type NeuronImplementation = 'auto' | 'composite';

/** Checks the `implementation` option of a composite neuron and returns it (default `'auto'`). */
export function resolveImplementation(fn: string, value: unknown): NeuronImplementation {
  const implementation = value ?? 'auto';
  if (implementation === 'kernel') {
    throw optionError(
      fn,
      'implementation',
      implementation,
      `'auto' or 'composite' (${fn.replace(/WithState$/, '')} has no fused kernel; it runs step by step on core ops)`
    );
  }
  if (implementation !== 'auto' && implementation !== 'composite') {
    throw optionError(fn, 'implementation', implementation, "'auto' or 'composite'");
  }
  return implementation;
}

/** Checks the input train: a non-empty float32 tensor `[batch, time, ...features]` of rank 3..maxRank. */
export function checkTrain(fn: string, input: unknown, maxRank = 6): asserts input is Tensor {
  const minRank = 3;
  const layout = maxRank === 3 ? '[batch, time, features]' : '[batch, time, ...features]';
  const ok =
    input instanceof Tensor &&
    input.dtype === 'float32' &&
    input.rank >= minRank &&
    input.rank <= maxRank &&
    input.size > 0;
  if (!ok) {
    const ranks = minRank === maxRank ? `rank ${minRank}` : `rank ${minRank} to ${maxRank}`;
    throw new Error(
      `${fn}: argument 'currents' must be a non-empty float32 tf.Tensor ${layout} (${ranks}); got ${describeValue(input)}`
    );
  }
}

/** True when `state` is `count` float32 tensors, each of `shape` (a neuron's state: `[batch, ...features]`). */
export function isStateOf(state: unknown, count: number, shape: readonly number[]): state is Tensor[] {
  return (
    Array.isArray(state) &&
    state.length === count &&
    state.every(
      s =>
        s instanceof Tensor &&
        s.dtype === 'float32' &&
        s.rank === shape.length &&
        s.shape.every((d: number, i: number) => d === shape[i])
    )
  );
}

/**
 * The initial state: `initialState` (one float32 `[batch, ...features]` tensor per name, checked) or zeros.
 * Zeros are made in the caller's tidy.
 */
export function initialStateOf(fn: string, input: Tensor, given: unknown, names: readonly string[]): Tensor[] {
  const shape = [input.shape[0], ...input.shape.slice(2)];
  if (given == null) return names.map(() => zeros(shape));
  if (!isStateOf(given, names.length, shape)) {
    throw optionError(
      fn,
      'initialState',
      given,
      `an array of ${names.length} float32 tensor(s) [${names.join(', ')}] of shape [${shape}] ` +
        `([batch, ...features] of the input)`
    );
  }
  return given as Tensor[];
}

/** What one step of a neuron returns: this step's output and the state after it. */
export interface StepResult {
  output: Tensor;
  state: Tensor[];
}

/**
 * Runs `step` over the time axis of `input` (`[batch, time, ...features]`) from `state`: unstack over time →
 * one step per time slice, each in its own tidy (only the step's output and new state survive it) → stack.
 * Every op is a core op with a gradient, so tf.grad gives BPTT. Returns the output train and the last state.
 * Call inside a tidy.
 */
export function scanSteps(
  input: Tensor,
  state: Tensor[],
  step: (current: Tensor, state: Tensor[], t: number) => StepResult
): StepResult {
  const [batch, time] = input.shape;
  const stepShape = [batch, ...input.shape.slice(2)];
  // Time-major first, through rank 3: cpu and wasm slice a leading axis much faster than a non-leading one, and
  // transpose [B, T, F] far faster than [B, T, ...features] of rank 4–6 (wasm: 35 against 208 ms for
  // [64, 4, 28, 28, 16]); the reshapes are free.
  const steps = unstack(transpose(reshape(input, [batch, time, -1]), [1, 0, 2]));
  const outputs: Tensor[] = [];
  let current = state;
  steps.forEach((x, t) => {
    const [output, ...next] = tidy(() => {
      const r = step(reshape(x, stepShape), current, t);
      return [r.output, ...r.state];
    });
    outputs.push(output);
    current = next;
  });
  const outputShape = outputs[0].shape;
  const flat = stack(outputs.map(o => reshape(o, [batch, -1])));
  return {output: reshape(transpose(flat, [1, 0, 2]), [batch, time, ...outputShape.slice(1)]), state: current};
}

/** `x` with no gradient: the value passes, dL/dx is 0. */
export function detach(x: Tensor): Tensor {
  const op = customGrad(((t: Tensor) => ({
    value: clone(t),
    gradFunc: (dy: Tensor) => zerosLike(dy),
  })) as never) as unknown as (t: Tensor) => Tensor;
  return op(x);
}

/**
 * Fire and reset: `S = H(U − θ)` through `ops.spike` (θ a number or a tensor broadcasting to U; a tensor gets
 * dS/dθ = −σ'(U)), then the reset `V = U − θ·S` ('subtract'), `S ? vReset : U` ('zero') or `U` ('none'),
 * with the S inside it detached when `detachReset` (θ in the subtract reset is not detached).
 */
export function fireAndReset(
  u: Tensor,
  threshold: NeuronParameter,
  o: ResolvedSpiking
): {spikes: Tensor; membrane: Tensor} {
  const spikes = spike(u, {threshold, surrogate: o.surrogate, alpha: o.alpha});
  const s = o.detachReset ? detach(spikes) : spikes;
  let membrane: Tensor;
  if (o.resetMode === 'subtract') {
    membrane = sub(u, mul(s, threshold));
  } else if (o.resetMode === 'zero') {
    const kept = mul(u, sub(1, s));
    membrane = o.vReset === 0 ? kept : add(kept, mul(s, o.vReset));
  } else {
    membrane = u;
  }
  return {spikes, membrane};
}

/** `β·V + I` (β a number or a tensor parameter). */
export function leaky(leak: NeuronParameter, previous: Tensor, input: Tensor): Tensor {
  return add(mul(previous, leak), input);
}

/** A parameter of a neuron: its default and its range. */
export interface ParameterSpec {
  fallback: number;
  rule: ParameterRange;
}

/** What a neuron op is: its state, its parameters, and one step. */
export interface NeuronSpec {
  /** The state tensors, in `initialState` order. */
  stateNames: readonly string[];
  /** The parameter options (leak, threshold, …) with their defaults and ranges. */
  parameters: Readonly<Record<string, ParameterSpec>>;
  /** Whether the neuron fires (takes {@link SpikingNeuronOptions}). */
  spiking: boolean;
  /** Other options the neuron takes (checked by `resolveExtra`). */
  extraOptions?: readonly string[];
  /** The largest input rank (default 6). */
  maxRank?: number;
  /** Checks the extra options and returns what `step` gets as `extra`. */
  resolveExtra?(fn: string, options: Record<string, unknown>, currents: Tensor): Record<string, Tensor>;
  /** One step from `state` with input `current` (`[batch, ...features]`). */
  step(
    current: Tensor,
    state: Tensor[],
    parameters: Record<string, NeuronParameter>,
    spiking: ResolvedSpiking,
    extra: Record<string, Tensor>
  ): StepResult;
}

/**
 * Checks everything (before allocating), then runs the neuron over the train in one tidy: the output train and
 * the state after the last step, which the caller owns.
 */
export function runNeuron(fn: string, currents: unknown, options: object | undefined, spec: NeuronSpec): StepResult {
  checkTrain(fn, currents, spec.maxRank ?? 6);
  const parameterNames = Object.keys(spec.parameters);
  const known = [
    ...parameterNames,
    ...(spec.spiking ? SPIKING_OPTION_NAMES : []),
    ...(spec.extraOptions ?? []),
    'implementation',
    'initialState',
  ];
  const o = checkOptionNames(fn, options, known) as Record<string, unknown>;
  resolveImplementation(fn, o.implementation);
  const features = currents.shape.slice(2);
  const parameters: Record<string, NeuronParameter> = {};
  for (const name of parameterNames) {
    const {fallback, rule} = spec.parameters[name];
    parameters[name] = resolveParameter(fn, name, o[name], fallback, rule, features);
  }
  const spiking = spec.spiking ? resolveSpiking(fn, o as SpikingNeuronOptions) : ({} as ResolvedSpiking);
  const extra = spec.resolveExtra?.(fn, o, currents) ?? {};
  if (o.initialState != null) initialStateOf(fn, currents, o.initialState, spec.stateNames);
  const [output, ...state] = tidy(() => {
    const initial = initialStateOf(fn, currents, o.initialState, spec.stateNames);
    const r = scanSteps(currents, initial, (x, s) => spec.step(x, s, parameters, spiking, extra));
    return [r.output, ...r.state];
  });
  return {output, state};
}
