/**
 * The ranges of neuron parameters, in one place for the ops (which check numbers against them), the layers
 * (which check their arguments, and the values set or loaded into learnable weights) and the constraints that
 * keep learnable weights there in training (src/layers/constraints.ts).
 */

/** What a neuron parameter may hold, how errors state it, and the clip that keeps a learnt one there. */
export interface ParameterRange {
  /** Whether a value is allowed. */
  ok(x: number): boolean;
  /** The rule after "a number", as layer errors state it ('in [0, 1]'). */
  expected: string;
  /** The rule as op errors state it ('a number in [0, 1]'). */
  option: string;
  /** The clip applied after every update of a learnt parameter. */
  clip: {min?: number; max?: number};
}

/** A leak-like parameter (leak, synaptic leak, adaptation leak): in [0, 1], kept there by clipping. */
export const LEAK_RANGE: Readonly<ParameterRange> = Object.freeze({
  ok: (x: number) => x >= 0 && x <= 1,
  expected: 'in [0, 1]',
  option: 'a number in [0, 1]',
  clip: {min: 0, max: 1},
});

/** The smallest value training leaves a learnable threshold at. */
export const THRESHOLD_FLOOR = 1e-3;

/** A threshold: > 0 when set or loaded; training clips it to >= THRESHOLD_FLOOR. */
export const THRESHOLD_RANGE: Readonly<ParameterRange> = Object.freeze({
  ok: (x: number) => x > 0,
  expected: '> 0',
  option: 'a finite number > 0',
  clip: {min: THRESHOLD_FLOOR},
});

/** A non-negative parameter (adaptation): >= 0, kept there by clipping. */
export const NON_NEGATIVE_RANGE: Readonly<ParameterRange> = Object.freeze({
  ok: (x: number) => x >= 0,
  expected: '>= 0',
  option: 'a finite number >= 0',
  clip: {min: 0},
});
