import {serialization, Tensor, tensor} from '@tensorflow/tfjs-core';
import {initializers, LayerVariable, Shape} from '@tensorflow/tfjs-layers';

import {SURROGATE_NAMES} from '../../kernels/lif_attrs';
import {describeValue} from '../errors';
import {
  NeuronParameter,
  NeuronSpec,
  NON_NEGATIVE_RULE,
  ParameterRule,
  POSITIVE_RULE,
  resolveSpiking,
  ResolvedSpiking,
  runNeuron,
  SPIKING_OPTION_NAMES,
  SpikingNeuronOptions,
  UNIT_RULE,
} from '../ops/neuron_scan';
import {clip, guardWeight, LEAK_RANGE, NON_NEGATIVE_RANGE, ParameterRange, THRESHOLD_RANGE} from './constraints';
import {argError, booleanArg, formatShape} from './layer_utils';
import {NeuronLayer, NeuronLayerArgs} from './neuron_layer';
import type {NeuronState, NeuronStep} from './roles';

/** A neuron parameter as a layer takes it: a number (one shared value) or a nested array broadcasting to the features. */
export type ParameterValue = number | ParameterArray;
/** A nested array of numbers (`[C]` per channel, or up to the full features shape). */
export type ParameterArray = Array<number | ParameterArray>;

/** The arguments every neuron layer of the family takes: the spiking options (for those that fire) and `stateful`. */
export interface SpikingNeuronLayerArgs extends NeuronLayerArgs, SpikingNeuronOptions {}

/** The range a learnable weight is kept in, by the rule its op checks numbers with. */
function rangeOf(rule: ParameterRule): ParameterRange {
  if (rule === UNIT_RULE) return LEAK_RANGE;
  if (rule === POSITIVE_RULE) return THRESHOLD_RANGE;
  if (rule === NON_NEGATIVE_RULE) return NON_NEGATIVE_RANGE;
  throw new Error(`no weight range for the rule '${rule.expected}'`);
}

/** `learnLeak` for `leak`. */
export function learnArgName(parameter: string): string {
  return `learn${parameter.charAt(0).toUpperCase()}${parameter.slice(1)}`;
}

/** The argument names a layer of `spec` takes (besides its own extras and `stateful`). */
export function neuronArgNames(spec: NeuronSpec): string[] {
  const parameters = Object.keys(spec.parameters);
  return [...parameters, ...parameters.map(learnArgName), ...(spec.spiking ? SPIKING_OPTION_NAMES : []), 'stateful'];
}

/** Checks a parameter value (a number, or a rectangular nested array of numbers, all within `rule`); its shape. */
function parameterShape(layer: string, name: string, value: unknown, rule: ParameterRule): number[] {
  const expected = `${rule.expected}, or a nested array of them (e.g. one per channel)`;
  const shapeOf = (v: unknown): number[] | null => {
    if (typeof v === 'number') return Number.isFinite(v) && rule.ok(v) ? [] : null;
    if (!Array.isArray(v) || v.length === 0) return null;
    const inner = v.map(shapeOf);
    const first = inner[0];
    if (first == null || inner.some(s => s == null || s.length !== first.length || s.some((d, i) => d !== first[i]))) {
      return null;
    }
    return [v.length, ...first];
  };
  const shape = shapeOf(value);
  if (shape == null) throw argError(layer, name, value, expected);
  return shape;
}

/**
 * The base of the neuron layers built on the shared step scan (alif, cubaLif, li, rlif, rCubaLif): their
 * parameters (`leak`, `threshold`, …: a number or a nested array) and, with `learnLeak`, `learnThreshold`, …,
 * weights named like the parameter, initialised from the value, kept in range by a registered constraint
 * (`SnnClip`) and checked when set or loaded; the spiking options; and `runNeurons` through the op.
 */
export abstract class ParametricNeuronLayer extends NeuronLayer {
  private readonly spec: NeuronSpec;
  private readonly factory: string;
  /** The parameters as given (or their defaults). */
  protected readonly parameterValues: {[name: string]: ParameterValue} = {};
  /** Which parameters are weights. */
  protected readonly learned: {[name: string]: boolean} = {};
  private readonly shapes: {[name: string]: number[]} = {};
  private readonly parameterWeights: {[name: string]: LayerVariable} = {};
  private readonly spiking: ResolvedSpiking | null;

  constructor(args: SpikingNeuronLayerArgs, factory: string, spec: NeuronSpec) {
    super(args, factory);
    const given = args as {[key: string]: unknown};
    this.spec = spec;
    this.factory = factory;
    for (const [name, {fallback, rule}] of Object.entries(spec.parameters)) {
      const value = (given[name] ?? fallback) as ParameterValue;
      this.shapes[name] = parameterShape(factory, name, value, rule);
      this.parameterValues[name] = value;
      this.learned[name] = booleanArg(factory, learnArgName(name), given[learnArgName(name)] ?? false);
    }
    this.spiking = spec.spiking ? resolveSpiking(factory, args) : null;
  }

  get stateNames(): readonly string[] {
    return this.spec.stateNames;
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = this.timeInputShape(inputShape);
    this.computeOutputShape(inputShape);
    const features = shape.slice(2);
    for (const name of Object.keys(this.spec.parameters)) {
      const own = this.shapes[name];
      const lead = features.length - own.length;
      if (own.length > 0 && (lead < 0 || own.some((d, i) => d !== 1 && d !== features[lead + i]))) {
        throw new Error(
          `${this.label}: argument '${name}' of shape ${formatShape(own)} must broadcast to the features shape ` +
            `${formatShape(features)} (trailing axes: one value, one per channel, …); got ${describeValue(this.parameterValues[name])}`
        );
      }
      if (!this.learned[name]) continue;
      const range = rangeOf(this.spec.parameters[name].rule);
      const value = this.parameterValues[name];
      const weight = this.addWeight(
        name,
        own,
        'float32',
        initializers.constant({value: typeof value === 'number' ? value : 0}),
        undefined,
        true,
        clip(range.clip)
      );
      guardWeight(weight, this.label, name, range);
      if (typeof value !== 'number') {
        const initial = tensor(value as number[]);
        try {
          weight.write(initial);
        } finally {
          initial.dispose();
        }
      }
      this.parameterWeights[name] = weight;
    }
    this.buildExtra(shape);
    this.built = true;
  }

  /** Adds the layer's other weights (the recurrent kernel). */
  protected buildExtra(shape: Shape): void {
    void shape;
  }

  /** The other options the op takes (the recurrent kernel), read inside the call's tidy. */
  protected extraOptions(): {[name: string]: Tensor} {
    return {};
  }

  /** Each parameter as the op takes it: the weight, a tensor of the given array, or the number. */
  protected parameterOptions(): {[name: string]: NeuronParameter} {
    const options: {[name: string]: NeuronParameter} = {};
    for (const [name, value] of Object.entries(this.parameterValues)) {
      const weight = this.parameterWeights[name];
      options[name] = weight != null ? weight.read() : typeof value === 'number' ? value : tensor(value as number[]);
    }
    return options;
  }

  protected runNeurons(input: Tensor, state: NeuronState | null): NeuronStep {
    const options = {
      ...this.parameterOptions(),
      ...(this.spiking ?? {}),
      ...this.extraOptions(),
      initialState: state ?? undefined,
    };
    return runNeuron(this.factory, input, options, this.spec);
  }

  /** The layer's config: its parameters as given, the learn flags, the spiking options and `stateful`. */
  getConfig(): serialization.ConfigDict {
    const config: serialization.ConfigDict = {...super.getConfig()};
    for (const name of Object.keys(this.spec.parameters)) {
      config[name] = this.parameterValues[name] as serialization.ConfigDictValue;
      config[learnArgName(name)] = this.learned[name];
    }
    if (this.spiking != null) {
      if (typeof this.spiking.surrogate === 'function') {
        throw new Error(
          `${this.label}: a custom surrogate function cannot be saved in a model's config; ` +
            `use a built-in surrogate name (${SURROGATE_NAMES.map(n => `'${n}'`).join(', ')}) to save the model`
        );
      }
      Object.assign(config, this.spiking);
    }
    return config;
  }
}
