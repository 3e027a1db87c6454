/**
 * Neuron parameters of layers (leak, threshold, …): a number or a nested number array broadcasting to the
 * features shape, checked at construction and at build, held as a fixed value or as a learnable weight kept in
 * range (src/layers/constraints.ts).
 */
import {Tensor, tensor} from '@tensorflow/tfjs-core';
import type {LayerVariable, Shape} from '@tensorflow/tfjs-layers';

import {argError, formatShape} from './layer_utils';
import {Clip, guardWeight, ParameterRange} from './constraints';

/** A number, or a (nested) array of numbers: one per channel (`[C]`), …, one per neuron (the features shape). */
export type NestedNumbers = number | NestedNumbers[];

/** A parameter as a layer holds it: its shape (`[]` for a number) and its values, row-major. */
export interface ParameterValue {
  shape: number[];
  values: number[];
}

/**
 * Checks a parameter argument: a number satisfying `range`, or a rectangular nested array of such numbers.
 * Errors name the layer, the argument and the offending value.
 */
export function parameterArg(layer: string, name: string, value: unknown, range: ParameterRange): ParameterValue {
  const expected = `a number ${range.expected} or a nested array of such numbers (one per channel, or per neuron)`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !range.ok(value)) throw argError(layer, name, value, expected);
    return {shape: [], values: [value]};
  }
  if (!Array.isArray(value) || value.length === 0) throw argError(layer, name, value, expected);
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) {
    if (level.length === 0) throw argError(layer, name, value, expected);
    shape.push(level.length);
  }
  const values: number[] = [];
  const walk = (item: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof item !== 'number' || !Number.isFinite(item) || !range.ok(item)) {
        throw argError(layer, name, value, `${expected}; ${JSON.stringify(item)} is not`);
      }
      values.push(item);
      return;
    }
    if (!Array.isArray(item) || item.length !== shape[depth]) {
      throw argError(layer, name, value, `${expected}, rectangular (shape ${formatShape(shape)})`);
    }
    for (const x of item) walk(x, depth + 1);
  };
  walk(value, 0);
  return {shape, values};
}

/** The argument as it was given (a number, or the nested array), for getConfig. */
export function parameterConfig(p: ParameterValue): NestedNumbers {
  if (p.shape.length === 0) return p.values[0];
  const build = (depth: number, offset: number): NestedNumbers[] => {
    const stride = p.shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({length: p.shape[depth]}, (_, i) =>
      depth === p.shape.length - 1 ? p.values[offset + i] : build(depth + 1, offset + i * stride)
    );
  };
  return build(0, 0);
}

/**
 * Throws unless the parameter broadcasts to the features shape of `inputShape` (`[batch, time, ...features]`;
 * trailing-aligned: `[]`, `[C]`, …, the full features shape).
 */
export function checkParameterBroadcast(layer: string, name: string, p: ParameterValue, inputShape: Shape): void {
  const features = inputShape.slice(2);
  const lead = features.length - p.shape.length;
  const ok = lead >= 0 && p.shape.every((d, i) => d === 1 || d === features[lead + i]);
  if (!ok) {
    const channels = features[features.length - 1];
    throw new Error(
      `${layer}: argument '${name}' has shape ${formatShape(p.shape)}, which does not broadcast to the features ` +
        `shape ${formatShape(features)} of the input ${formatShape(inputShape)}; give a number, an array of ` +
        `${channels} (one per channel) or an array shaped like the features`
    );
  }
}

/** The parameter as a float32 tensor of its own shape. */
export function parameterTensor(p: ParameterValue): Tensor {
  return p.shape.length === 0 ? tensor(p.values[0], [], 'float32') : tensor(p.values, p.shape, 'float32');
}

/** What a neuron layer needs of tfjs-layers' protected `addWeight`. */
type AddWeight = (
  name: string,
  shape: number[],
  dtype: 'float32',
  initializer: {apply(shape: Shape, dtype?: string): Tensor},
  regularizer: undefined,
  trainable: boolean,
  constraint: Clip
) => LayerVariable;

/**
 * Adds the learnable weight `name` to a layer (pass `this.addWeight.bind(this)`), shaped like `p` and initialised
 * from it, with the constraint `clip(range.clip)`, and guards it (`guardWeight`): values set or loaded out of
 * `range` are an error naming `layer`, and every optimizer update is clipped into range.
 */
export function addParameterWeight(
  addWeight: AddWeight,
  layer: string,
  name: string,
  p: ParameterValue,
  range: ParameterRange
): LayerVariable {
  const initializer = {apply: () => parameterTensor(p)};
  const weight = addWeight(name, p.shape.slice(), 'float32', initializer, undefined, true, new Clip(range.clip));
  guardWeight(weight, layer, name, range);
  return weight;
}
