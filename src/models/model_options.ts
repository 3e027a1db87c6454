import {MAX_TENSOR_ELEMENTS, SIZE_RULE} from '../layers/layer_utils';
import {describeValue, optionNames, quotedList} from '../errors';
import {LEAK_RANGE, THRESHOLD_RANGE} from '../ops/parameter_ranges';
import {NeuronKind, NEURONS} from './neurons';

/** The values of the models' `encoder` option. */
export const ENCODERS = ['poisson', 'direct', 'none'] as const;
/** The values of the models' `normalization` option. */
export const NORMALIZATIONS = ['bntt', 'batchnorm', 'none'] as const;
/**
 * `'poisson'`: rate-coded spikes (the reference's); `'direct'`: the analog input at every step; `'none'`: no
 * encoder, the model takes spike trains `[batch, timeSteps, ...inputShape]` (event frames, docs/events.md).
 */
export type EncoderKind = (typeof ENCODERS)[number];
/** `'bntt'`: statistics and scale per time step; `'batchnorm'`: one set shared over time; `'none'`. */
export type NormalizationKind = (typeof NORMALIZATIONS)[number];

/** The options of `small`, `vgg9` and `vgg11`; each model has its own defaults. */
export interface SnnModelOptions {
  /** One input image, `[height, width, channels]` (with `encoder: 'none'`, one frame of the input train). */
  inputShape: [number, number, number];
  numClasses: number;
  /** T, the number of time steps. */
  timeSteps?: number;
  /** The neuron after each normalisation: `'lif'` (default), `'plif'`, `'if'`, `'alif'` or `'cubaLif'` (docs/neurons.md). */
  neuron?: NeuronKind;
  /** Membrane leak per step (the initial leak of `'plif'`; `'if'` has none). */
  leak?: number;
  /** Firing threshold. Default 1. */
  threshold?: number;
  /**
   * Input coding: `'poisson'` (rate-coded spikes, the reference's), `'direct'` (analog input at every step) or
   * `'none'` (the input is already a spike train `[batch, timeSteps, ...inputShape]`: event frames).
   */
  encoder?: EncoderKind;
  /** Normalization after every conv and the hidden dense layer. Default `'bntt'`. */
  normalization?: NormalizationKind;
  /** SGD-style weight decay on every kernel and gamma, as the reference's `weight_decay`. Default 1e-4; 0 for none. */
  weightDecay?: number;
  /** Seeds the weight initialisation (and a Poisson encoder's draws); random when omitted. */
  seed?: number;
}

export type ResolvedModelOptions = Required<Omit<SnnModelOptions, 'seed'>> & {seed?: number};

const KNOWN: readonly string[] = optionNames<SnnModelOptions>({
  inputShape: true,
  numClasses: true,
  timeSteps: true,
  neuron: true,
  leak: true,
  threshold: true,
  encoder: true,
  normalization: true,
  weightDecay: true,
  seed: true,
});

function fail(model: string, name: string, value: unknown, expected: string): never {
  throw new Error(`${model}: option '${name}' must be ${expected}; got ${describeValue(value)}`);
}

/** A count that sizes the model's tensors (timeSteps, numClasses): at most the layers' per-tensor limit. */
function sizeOption(model: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(model, name, value, 'an integer >= 1');
  if (value > MAX_TENSOR_ELEMENTS) fail(model, name, value, SIZE_RULE);
  return value;
}

function finite(model: string, name: string, value: unknown, expected: string, ok: (x: number) => boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) fail(model, name, value, expected);
  return value;
}

function oneOf<T extends string>(model: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    fail(model, name, value, `one of ${quotedList(allowed)}`);
  }
  return value as T;
}

/** Checks a model's options and fills the model's own defaults. */
export function resolveModelOptions(
  model: string,
  options: SnnModelOptions,
  defaults: Omit<ResolvedModelOptions, 'inputShape' | 'numClasses'>
): ResolvedModelOptions {
  if (options == null || typeof options !== 'object') {
    throw new Error(
      `${model}: expects options like {inputShape: [32, 32, 3], numClasses: 10}; ` + `got ${describeValue(options)}`
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new Error(`${model}: unknown option '${key}'; expected one of ${KNOWN.join(', ')}`);
  }
  const shape = options.inputShape;
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every(d => typeof d === 'number' && Number.isInteger(d) && d >= 1)
  ) {
    fail(model, 'inputShape', shape, '[height, width, channels] with integers >= 1');
  }
  if (options.seed != null) finite(model, 'seed', options.seed, 'a finite number', () => true);
  return {
    inputShape: shape,
    numClasses: sizeOption(model, 'numClasses', options.numClasses),
    timeSteps: sizeOption(model, 'timeSteps', options.timeSteps ?? defaults.timeSteps),
    neuron: oneOf(model, 'neuron', options.neuron ?? defaults.neuron, NEURONS),
    leak: finite(model, 'leak', options.leak ?? defaults.leak, `a number ${LEAK_RANGE.expected}`, LEAK_RANGE.ok),
    threshold: finite(
      model,
      'threshold',
      options.threshold ?? defaults.threshold,
      `a number ${THRESHOLD_RANGE.expected}`,
      THRESHOLD_RANGE.ok
    ),
    encoder: oneOf(model, 'encoder', options.encoder ?? defaults.encoder, ENCODERS),
    normalization: oneOf(model, 'normalization', options.normalization ?? defaults.normalization, NORMALIZATIONS),
    weightDecay: finite(
      model,
      'weightDecay',
      options.weightDecay ?? defaults.weightDecay,
      'a number >= 0',
      x => x >= 0
    ),
    seed: options.seed,
  };
}
