import {serialization, Tensor} from '@tensorflow/tfjs-core';
import type {Shape} from '@tensorflow/tfjs-layers';

import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology';

import {describeValue, optionNames, quotedList} from '../errors';

/** The arguments every tfjs layer accepts (tfjs-layers' `LayerArgs`: the compiler checks the list against it). */
const BASE_LAYER_ARGS = optionNames<LayerArgs>({
  inputShape: true,
  batchInputShape: true,
  batchSize: true,
  dtype: true,
  name: true,
  trainable: true,
  weights: true,
  inputDType: true,
});
/** Added by tf.loadLayersModel when it rebuilds a layer from its config. */
const DESERIALIZATION_ARGS = ['customObjects'];

/** Error for a layer argument: names the layer, the argument, the value and what was expected. */
export function argError(layer: string, name: string, value: unknown, expected: string): Error {
  return new Error(`${layer}: argument '${name}' must be ${expected}; got ${describeValue(value)}`);
}

/** Rejects misspelt argument names (a typo would otherwise silently fall back to a default). */
export function checkArgNames(layer: string, args: object | undefined, own: readonly string[]): void {
  if (args == null) return;
  if (typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`${layer}: arguments must be an object; got ${describeValue(args)}`);
  }
  const known = new Set([...BASE_LAYER_ARGS, ...DESERIALIZATION_ARGS, ...own]);
  for (const key of Object.keys(args)) {
    if (!known.has(key)) {
      const ownList = own.length > 0 ? `one of ${own.join(', ')} or ` : '';
      throw new Error(
        `${layer}: unknown argument '${key}'; expected ${ownList}a tf.layers base argument ` +
          `(${BASE_LAYER_ARGS.join(', ')})`
      );
    }
  }
}

const defaultNameCounts = new Map<string, number>();

/** A layer's own options: its arguments without the tf.layers base arguments (for `optionNames`). */
export type OwnArgs<T> = Omit<T, keyof LayerArgs>;

/**
 * Checks the argument names and gives an unnamed layer a short default name
 * after its factory (`lif_1`, `spiking_conv2d_2`), which is what log keys and
 * model.summary() show.
 */
export function layerArgs<T extends object>(factory: string, args: T | undefined, own: readonly string[]): T {
  checkArgNames(factory, args, own);
  const given = (args ?? {}) as T & {name?: string};
  if (given.name != null) return given;
  const prefix = factory.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const count = (defaultNameCounts.get(prefix) ?? 0) + 1;
  defaultNameCounts.set(prefix, count);
  return {...given, name: `${prefix}_${count}`};
}

/**
 * The most elements one tensor may hold: 2^31 - 1, the largest 32-bit signed integer, which tfjs's WebGL
 * shaders and wasm kernels use to address elements (a float32 tensor that large is 8 GiB). Sizes computed from
 * user numbers (timeSteps, units, filters, kernel sizes) are checked against it before anything is allocated, so
 * an oversized argument fails at once with its name instead of allocating gigabytes first.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;
const LIMIT = `the limit of ${MAX_TENSOR_ELEMENTS} (2^31 - 1) elements per tensor`;

/** What a count over the limit is told it must be. */
export const SIZE_RULE = `an integer <= ${MAX_TENSOR_ELEMENTS} (a tensor holds at most 2^31 - 1 elements)`;

/** A count that sizes a tensor's dimension (timeSteps, units, filters): an integer in [1, MAX_TENSOR_ELEMENTS]. */
export function sizeArg(layer: string, name: string, value: unknown): number {
  const count = positiveInteger(layer, name, value);
  if (count > MAX_TENSOR_ELEMENTS) throw argError(layer, name, value, SIZE_RULE);
  return count;
}

/**
 * Throws before allocating a tensor of `shape` (`what`: 'the kernel', 'the output') with more than
 * MAX_TENSOR_ELEMENTS elements, naming the arguments that size it (`culprit`). A null (batch) dimension counts
 * as one example.
 */
export function checkTensorSize(layer: string, what: string, shape: Array<number | null>, culprit: string): void {
  const elements = shape.reduce((n: number, d) => n * (d ?? 1), 1);
  if (elements > MAX_TENSOR_ELEMENTS) {
    const perExample = shape.includes(null) ? ' for one example' : '';
    throw new Error(
      `${layer}: ${what} of shape ${formatShape(shape)} would hold ${elements} elements${perExample}, ` +
        `more than ${LIMIT}; ${culprit} is too large`
    );
  }
}

export function positiveInteger(layer: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw argError(layer, name, value, 'an integer >= 1');
  }
  return value;
}

export function optionalSizeArg(layer: string, name: string, value: unknown): number | undefined {
  return value == null ? undefined : sizeArg(layer, name, value);
}

export function numberIn(
  layer: string,
  name: string,
  value: unknown,
  expected: string,
  ok: (x: number) => boolean
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw argError(layer, name, value, expected);
  }
  return value;
}

export function booleanArg(layer: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw argError(layer, name, value, 'true or false');
  return value;
}

export function oneOfArg<T extends string>(layer: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw argError(layer, name, value, `one of ${quotedList(allowed)}`);
  }
  return value as T;
}

/** An integer or a pair of integers >= 1, as conv and pool sizes are given. */
export function pairArg(layer: string, name: string, value: unknown): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  const ok =
    Array.isArray(pair) && pair.length === 2 && pair.every(v => typeof v === 'number' && Number.isInteger(v) && v >= 1);
  if (!ok) throw argError(layer, name, value, 'an integer >= 1 or a pair of them');
  return [pair[0], pair[1]];
}

/** `[d0, d1, ...]` with null for unknown dimensions. */
export function formatShape(shape: Shape | number[]): string {
  return `[${shape.map(d => (d == null ? 'null' : String(d))).join(', ')}]`;
}

/** The single input shape of a layer (spiking layers take one input). */
export function singleShape(layer: string, inputShape: Shape | Shape[]): Shape {
  if (inputShape.length > 0 && Array.isArray(inputShape[0])) {
    if (inputShape.length !== 1) {
      throw new Error(`${layer}: expects exactly one input; got ${inputShape.length}`);
    }
    return (inputShape as Shape[])[0];
  }
  return inputShape as Shape;
}

/**
 * Checks that a layer's input has a time axis: `[batch, time, ...]` with a rank
 * in [minRank, maxRank]. The hint tells the user what usually fixes it.
 */
export function checkTimeInputRank(
  layer: string,
  shape: Shape,
  minRank: number,
  maxRank: number,
  layout: string
): void {
  if (shape.length < minRank || shape.length > maxRank) {
    const ranks =
      minRank === maxRank
        ? `rank ${minRank}`
        : maxRank === Infinity
          ? `rank >= ${minRank}`
          : `rank ${minRank} to ${maxRank}`;
    const hint =
      shape.length < minRank
        ? ' — the input has no time axis; put an encoder (poissonEncoder or directEncoder) before the spiking layers'
        : '';
    throw new Error(`${layer}: expects input ${layout} (${ranks}); got shape ${formatShape(shape)}${hint}`);
  }
}

/** Spiking layers compute in float32; an int or bool tensor is a user error, not something to cast silently. */
export function checkFloatInput(layer: string, input: Tensor): void {
  if (input.dtype !== 'float32') {
    const shape = formatShape(input.shape);
    const article = input.dtype === 'int32' ? 'an' : 'a';
    throw new Error(
      `${layer}: expects a float32 input; got ${article} ${input.dtype} tensor of shape ${shape} ` +
        `(use tf.cast(x, 'float32'))`
    );
  }
}

export function onlyTensor(layer: string, inputs: Tensor | Tensor[]): Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`${layer}: expects exactly one input; got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

// Initializers, regularizers and constraints are given the way tf.layers takes
// them: a string identifier, an instance, or a serialized {className, config}.
type SerializableObject = serialization.Serializable;
type Identifier = string | SerializableObject | serialization.ConfigDict;

const SPECIAL_CLASS_NAMES: {[id: string]: string} = {l1l2: 'L1L2'};

function classNameOf(identifier: string): string {
  return SPECIAL_CLASS_NAMES[identifier] ?? identifier.charAt(0).toUpperCase() + identifier.slice(1);
}

// Duck-typed rather than instanceof: a second copy of tfjs-core would fail instanceof.
function isSerializableInstance(value: unknown): value is SerializableObject {
  const candidate = value as SerializableObject;
  return (
    typeof candidate === 'object' &&
    typeof candidate.getClassName === 'function' &&
    typeof candidate.getConfig === 'function'
  );
}

/**
 * Turns an identifier into an instance using tfjs's serialization registry, so
 * every initializer/regularizer/constraint tf.layers knows (and custom
 * registered ones) works, and saved configs load back.
 */
export function deserializeObject<T extends SerializableObject>(
  layer: string,
  argName: string,
  kind: string,
  identifier: Identifier | null | undefined
): T | undefined {
  if (identifier == null) return undefined;
  if (isSerializableInstance(identifier)) return identifier as T;
  const isConfig = typeof identifier === 'object' && typeof identifier.className === 'string';
  const className =
    typeof identifier === 'string'
      ? classNameOf(identifier)
      : isConfig
        ? ((identifier as serialization.ConfigDict).className as string)
        : undefined;
  const entry = className != null ? serialization.SerializationMap.getMap().classNameMap[className] : undefined;
  if (entry == null) {
    throw argError(
      layer,
      argName,
      identifier,
      `a tf.${kind} instance, its name (e.g. as tf.layers accepts it) or a serialized ` +
        `{className, config} of a registered class`
    );
  }
  const [cls, fromConfig] = entry;
  const config = isConfig ? ((identifier as serialization.ConfigDict).config ?? {}) : {};
  return fromConfig(cls, config as serialization.ConfigDict) as T;
}

export function serializeObject(instance: SerializableObject | undefined): serialization.ConfigDict | null {
  if (instance == null) return null;
  return {className: instance.getClassName(), config: instance.getConfig()};
}
