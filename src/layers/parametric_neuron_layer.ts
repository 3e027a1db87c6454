import {serialization, Tensor} from '@tensorflow/tfjs-core';
import {LayerVariable, Shape} from '@tensorflow/tfjs-layers';

import {SURROGATE_NAMES} from '../../kernels/lif_attrs';
import {
  NeuronImplementation,
  NeuronParameter,
  NeuronSpec,
  resolveImplementation,
  resolveSpiking,
  ResolvedSpiking,
  runNeuron,
  SPIKING_OPTION_NAMES,
  SpikingNeuronOptions,
} from '../ops/neuron_scan';
import {booleanArg} from './layer_utils';
import {NeuronLayer, NeuronLayerArgs} from './neuron_layer';
import {
  addParameterWeight,
  checkParameterBroadcast,
  parameterArg,
  parameterConfig,
  parameterTensor,
  ParameterValue,
} from './neuron_parameters';
import type {NeuronState, NeuronStep} from './roles';

/** The arguments every neuron layer of the family takes: the spiking options (for those that fire) and `stateful`. */
export interface SpikingNeuronLayerArgs extends NeuronLayerArgs, SpikingNeuronOptions {}

/** `learnLeak` for `leak`. */
export function learnArgName(parameter: string): string {
  return `learn${parameter.charAt(0).toUpperCase()}${parameter.slice(1)}`;
}

/** The argument names a layer of `spec` takes (besides its own extras and `stateful`). */
export function neuronArgNames(spec: NeuronSpec): string[] {
  const parameters = Object.keys(spec.parameters);
  return [
    ...parameters,
    ...parameters.map(learnArgName),
    ...(spec.spiking ? SPIKING_OPTION_NAMES : []),
    'implementation',
    'stateful',
  ];
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
  /** The parameters as given (or their defaults), checked. */
  protected readonly parameterValues: {[name: string]: ParameterValue} = {};
  /** Which parameters are weights. */
  protected readonly learned: {[name: string]: boolean} = {};
  private readonly parameterWeights: {[name: string]: LayerVariable} = {};
  private readonly spiking: ResolvedSpiking | null;
  private readonly implementation: NeuronImplementation;

  constructor(args: SpikingNeuronLayerArgs, factory: string, spec: NeuronSpec) {
    super(args, factory);
    const given = args as {[key: string]: unknown};
    this.spec = spec;
    this.factory = factory;
    for (const [name, {fallback, rule}] of Object.entries(spec.parameters)) {
      this.parameterValues[name] = parameterArg(factory, name, given[name] ?? fallback, rule);
      this.learned[name] = booleanArg(factory, learnArgName(name), given[learnArgName(name)] ?? false);
    }
    this.spiking = spec.spiking ? resolveSpiking(factory, args) : null;
    this.implementation = resolveImplementation(factory, given.implementation);
  }

  get stateNames(): readonly string[] {
    return this.spec.stateNames;
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = this.timeInputShape(inputShape);
    const addWeight = this.addWeight.bind(this) as unknown as Parameters<typeof addParameterWeight>[0];
    for (const [name, {rule}] of Object.entries(this.spec.parameters)) {
      checkParameterBroadcast(this.label, name, this.parameterValues[name], shape);
      if (!this.learned[name]) continue;
      this.parameterWeights[name] = addParameterWeight(addWeight, this.label, name, this.parameterValues[name], rule);
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
      options[name] =
        weight != null ? weight.read() : value.shape.length === 0 ? value.values[0] : parameterTensor(value);
    }
    return options;
  }

  protected runNeurons(input: Tensor, state: NeuronState | null): NeuronStep {
    const options = {
      ...this.parameterOptions(),
      ...(this.spiking ?? {}),
      ...this.extraOptions(),
      implementation: this.implementation,
      initialState: state ?? undefined,
    };
    return runNeuron(this.factory, input, options, this.spec);
  }

  /** The layer's config: its parameters as given, the learn flags, the spiking options and `stateful`. */
  getConfig(): serialization.ConfigDict {
    const config: serialization.ConfigDict = {...super.getConfig(), implementation: this.implementation};
    for (const name of Object.keys(this.spec.parameters)) {
      config[name] = parameterConfig(this.parameterValues[name]) as serialization.ConfigDictValue;
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
