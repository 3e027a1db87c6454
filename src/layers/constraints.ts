/**
 * Range constraints for neuron parameters held as weights (a learnable leak in [0, 1], a learnable threshold
 * kept positive), and the guard that makes them hold: tfjs-layers applies a weight's constraint only in
 * `LayerVariable.write` (setWeights, loading), never after an optimizer step, so `guardWeight` also clips
 * every optimizer update, and rejects a value out of range that is set or loaded.
 */
import {clipByValue, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {constraints as layerConstraints, LayerVariable} from '@tensorflow/tfjs-layers';
import type {Constraint} from '@tensorflow/tfjs-layers/dist/constraints';

import {describeValue} from '../errors';

// tfjs-layers exports its Constraint base class only under dist/ (not in the UMD global `tf`); every built-in
// constraint is one, so its prototype chain gives the class on every bundle.
const ConstraintBase = Object.getPrototypeOf(Object.getPrototypeOf(layerConstraints.nonNeg())).constructor as {
  new (): Constraint;
};

/** The arguments of {@link Clip}: the closed range `[min, max]` a weight is clipped to (either bound may be omitted). */
export interface ClipArgs {
  /** The smallest value kept; default −∞ (no lower bound). */
  min?: number;
  /** The largest value kept; default +∞ (no upper bound). */
  max?: number;
}

/**
 * A weight constraint clipping every element to `[min, max]` (class name `'SnnClip'`, registered for
 * serialization, so a model using it as any layer's `kernelConstraint` saves and loads). The lif layer's
 * learnable `leak` uses `[0, 1]` and its learnable `threshold` `[1e-3, ∞)`.
 */
export class Clip extends ConstraintBase {
  static className = 'SnnClip';
  readonly min: number;
  readonly max: number;

  constructor(args: ClipArgs = {}) {
    super();
    const min = args.min ?? -Infinity;
    const max = args.max ?? Infinity;
    if (typeof min !== 'number' || Number.isNaN(min) || typeof max !== 'number' || Number.isNaN(max) || min > max) {
      throw new Error(
        `clip: arguments 'min' and 'max' must be numbers with min <= max; got min ${describeValue(args.min)}, ` +
          `max ${describeValue(args.max)}`
      );
    }
    this.min = min;
    this.max = max;
  }

  /** The weight `w` clipped elementwise to `[min, max]`. */
  apply(w: Tensor): Tensor {
    return clipByValue(w, this.min, this.max);
  }

  /** `{min, max}`, an open bound as null. */
  getConfig(): serialization.ConfigDict {
    // JSON has no infinities: an open bound is saved as null.
    const bound = (x: number) => (Number.isFinite(x) ? x : null);
    return {min: bound(this.min), max: bound(this.max)};
  }
}
serialization.registerClass(Clip as unknown as serialization.SerializableConstructor<serialization.Serializable>);

/**
 * A constraint clipping a weight to `[min, max]` (see {@link Clip}); usable as any tf.layers constraint.
 *
 * @example
 * ```js
 * const layer = tf.layers.dense({units: 4, kernelConstraint: snn.layers.clip({min: -1, max: 1})});
 * const clipped = snn.layers.clip({min: 0, max: 1}).apply(tf.tensor([-0.5, 0.3, 2]));
 * clipped.print(); // [0, 0.3, 1]
 * ```
 */
export function clip(args?: ClipArgs): Clip {
  return new Clip(args);
}

/** What a neuron parameter weight may hold when it is set or loaded, and the constraint keeping it there in training. */
export interface ParameterRange {
  /** Whether a value is allowed. */
  ok(x: number): boolean;
  /** The rule, as an error states it ('in [0, 1]'). */
  expected: string;
  /** The clip applied after every update. */
  clip: ClipArgs;
}

/** A leak-like parameter (leak, synaptic leak, adaptation leak): in [0, 1], kept there by clipping. */
export const LEAK_RANGE: Readonly<ParameterRange> = Object.freeze({
  ok: (x: number) => x >= 0 && x <= 1,
  expected: 'in [0, 1]',
  clip: {min: 0, max: 1},
});

/** The smallest value training leaves a learnable threshold at. */
export const THRESHOLD_FLOOR = 1e-3;

/** A threshold: > 0 when set or loaded; training clips it to >= THRESHOLD_FLOOR. */
export const THRESHOLD_RANGE: Readonly<ParameterRange> = Object.freeze({
  ok: (x: number) => x > 0,
  expected: '> 0',
  clip: {min: THRESHOLD_FLOOR},
});

/** A non-negative parameter (adaptation): >= 0, kept there by clipping. */
export const NON_NEGATIVE_RANGE: Readonly<ParameterRange> = Object.freeze({
  ok: (x: number) => x >= 0,
  expected: '>= 0',
  clip: {min: 0},
});

/**
 * Makes `weight` (a layer's parameter weight named `weightName`) keep to `range`:
 * - every value written through the layer (`setWeights`, `tf.loadLayersModel`, `loadWeights`) is checked: one
 *   out of range (or not finite) throws an Error naming the layer, the weight, the value and the rule;
 * - every optimizer update (model.fit, optimizer.minimize: they assign the variable directly, bypassing
 *   tfjs-layers' constraints) is clipped into range.
 * The weight should have been made with `constraint: clip(range.clip)` so that its config says so.
 */
export function guardWeight(weight: LayerVariable, layer: string, weightName: string, range: ParameterRange): void {
  const variable = weight.read() as unknown as {assign(value: Tensor): void};
  const assign = variable.assign.bind(variable);
  const {min, max} = {min: -Infinity, max: Infinity, ...range.clip};
  variable.assign = (value: Tensor) => {
    const clipped = tidy(() => clipByValue(value, min, max));
    try {
      assign(clipped);
    } finally {
      clipped.dispose();
    }
  };
  const write = weight.write.bind(weight);
  weight.write = (value: Tensor) => {
    checkValues(value, layer, weightName, range);
    return write(value);
  };
}

function checkValues(value: Tensor, layer: string, weightName: string, range: ParameterRange): void {
  if (!(value instanceof Tensor) || value.dtype !== 'float32') {
    throw new Error(`${layer}: weight '${weightName}' must be a float32 tensor; got ${describeValue(value)}`);
  }
  const values = value.dataSync();
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x) || !range.ok(x)) {
      const where = values.length > 1 ? ` (element ${i} of shape [${value.shape}])` : '';
      throw new Error(`${layer}: weight '${weightName}' must hold values ${range.expected}; got ${x}${where}`);
    }
  }
}
