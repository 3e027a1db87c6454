import {serialization, Tensor} from '@tensorflow/tfjs-core';
import type {LayerVariable, Shape} from '@tensorflow/tfjs-layers';

import {lif as lifOp, lifWithState} from '../ops/lif';
import {LIF_OPTION_NAMES, LifOptions, resolveLifOptions} from '../ops/lif_options';
import {SURROGATE_NAMES} from '../../kernels/lif_attrs';
import {LEAK_RANGE, THRESHOLD_RANGE} from './constraints';
import {argError, booleanArg, layerArgs} from './layer_utils';
import {NeuronLayer, NeuronLayerArgs} from './neuron_layer';
import {
  addParameterWeight,
  checkParameterBroadcast,
  NestedNumbers,
  parameterArg,
  parameterConfig,
  parameterTensor,
  ParameterValue,
} from './neuron_parameters';
import type {NeuronState, NeuronStep} from './roles';

/** The options of ops.lif a layer takes as they are (all but the parameters and `initialMembrane`). */
export type LifLayerOptions = Omit<LifOptions, 'initialMembrane' | 'leak' | 'threshold'>;

/**
 * The options of the `lif` layer: those of `ops.lif` (but `initialMembrane`), with `leak` and `threshold` given as
 * numbers or nested arrays (per channel, per neuron) and optionally learnt, and `stateful`.
 */
export interface LifLayerArgs extends NeuronLayerArgs, LifLayerOptions {
  /**
   * Membrane decay β in [0, 1]: a number (one value for every neuron) or a nested array broadcasting to the
   * features shape (`[C]`: one per channel, …, the features shape: one per neuron). Default 0.95.
   */
  leak?: NestedNumbers;
  /** Firing threshold θ > 0: a number or a nested array broadcasting to the features shape. Default 1. */
  threshold?: NestedNumbers;
  /**
   * Learn the leak: the layer holds a weight `leak` shaped like the given value (a number: one shared value),
   * initialised from it and kept in [0, 1] by a clip constraint. Default false.
   */
  learnLeak?: boolean;
  /** Learn the threshold: a weight `threshold` shaped like the given value, kept >= 1e-3. Default false. */
  learnThreshold?: boolean;
}

/** The argument names of the lif layer. */
const LIF_ARG_NAMES = [
  ...LIF_OPTION_NAMES.filter(n => n !== 'initialMembrane'),
  'learnLeak',
  'learnThreshold',
  'stateful',
];
/** The ifNeuron layer's: those of lif but `leak` and `learnLeak`. */
const IF_NEURON_ARG_NAMES = LIF_ARG_NAMES.filter(n => n !== 'leak' && n !== 'learnLeak');

/**
 * Leaky integrate-and-fire neurons over the whole train (the fused `ops.lif`):
 * `U_t = leak·V_{t−1} + I_t`, spike `S_t = U_t > threshold`, then reset
 * (subtract by default, without gradient); the backward pass uses a surrogate
 * derivative (triangle, 0.3, by default). Input currents and output spikes
 * are `[batch, time, ...features]`. The leak and the threshold are numbers or per-channel/per-neuron arrays;
 * with `learnLeak` / `learnThreshold` they are weights named `leak` / `threshold` (PLIF: `plif`).
 *
 * ```js
 * model.add(snn.layers.bntt());
 * model.add(snn.layers.lif({leak: 0.95, threshold: 1}));
 * ```
 */
export class Lif extends NeuronLayer {
  static className = 'SnnLif';
  /** The ops.lif options besides the leak and the threshold. */
  readonly options: LifLayerOptions;
  readonly leak: ParameterValue;
  readonly threshold: ParameterValue;
  readonly learnLeak: boolean;
  readonly learnThreshold: boolean;
  /** The weights `leak` and `threshold` once built, where learnt. */
  leakWeight: LayerVariable | null = null;
  thresholdWeight: LayerVariable | null = null;
  private readonly hasLeak: boolean;

  /** `fn` and `argNames`: the factory and arguments of a subclass (ifNeuron takes no leak). */
  constructor(args: LifLayerArgs = {}, fn = 'lif', argNames: readonly string[] = LIF_ARG_NAMES) {
    super(layerArgs(fn, args, argNames), fn);
    this.hasLeak = argNames.includes('leak');
    const {resetMode, detachReset, surrogate, alpha, implementation, vReset} = args;
    this.options = {vReset, resetMode, detachReset, surrogate, alpha, implementation};
    const options = this.options as {[key: string]: unknown};
    for (const key of Object.keys(options)) {
      if (options[key] === undefined) delete options[key];
    }
    resolveLifOptions(this.options, fn);
    this.leak = this.hasLeak ? parameterArg(fn, 'leak', args.leak ?? 0.95, LEAK_RANGE) : {shape: [], values: [1]};
    this.threshold = parameterArg(fn, 'threshold', args.threshold ?? 1, THRESHOLD_RANGE);
    this.learnLeak = this.hasLeak && booleanArg(fn, 'learnLeak', args.learnLeak ?? false);
    this.learnThreshold = booleanArg(fn, 'learnThreshold', args.learnThreshold ?? false);
  }

  get stateNames(): readonly string[] {
    return ['membrane'];
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = this.timeInputShape(inputShape);
    if (this.hasLeak) checkParameterBroadcast(this.label, 'leak', this.leak, shape);
    checkParameterBroadcast(this.label, 'threshold', this.threshold, shape);
    const addWeight = this.addWeight.bind(this) as never;
    if (this.learnLeak && this.leakWeight == null) {
      this.leakWeight = addParameterWeight(addWeight, this.label, 'leak', this.leak, LEAK_RANGE);
    }
    if (this.learnThreshold && this.thresholdWeight == null) {
      this.thresholdWeight = addParameterWeight(addWeight, this.label, 'threshold', this.threshold, THRESHOLD_RANGE);
    }
    this.built = true;
  }

  /** A parameter as ops.lif takes it: the weight where learnt, a number where one value, else a tensor. */
  private parameter(weight: LayerVariable | null, value: ParameterValue): number | Tensor {
    if (weight != null) return weight.read();
    return value.shape.length === 0 ? value.values[0] : parameterTensor(value);
  }

  protected runNeurons(input: Tensor, state: NeuronState | null, _training: boolean, keepState: boolean): NeuronStep {
    const options = {
      ...this.options,
      leak: this.parameter(this.leakWeight, this.leak),
      threshold: this.parameter(this.thresholdWeight, this.threshold),
      initialMembrane: state?.[0],
    };
    // Without the state, the kernels may skip the membrane after the last step (LifAttrs.finalMembraneUnused).
    if (!keepState) return {output: lifOp(input, options), state: []};
    const {spikes, membrane} = lifWithState(input, options);
    return {output: spikes, state: [membrane]};
  }

  getConfig(): serialization.ConfigDict {
    if (typeof this.options.surrogate === 'function') {
      throw new Error(
        `${this.label}: a custom surrogate function cannot be saved in a model's config; ` +
          `use a built-in surrogate name (${SURROGATE_NAMES.map(n => `'${n}'`).join(', ')}) to save the model`
      );
    }
    const leak = this.hasLeak ? {leak: parameterConfig(this.leak), learnLeak: this.learnLeak} : {};
    return {
      ...super.getConfig(),
      ...leak,
      threshold: parameterConfig(this.threshold),
      learnThreshold: this.learnThreshold,
      ...this.options,
    } as serialization.ConfigDict;
  }
}
serialization.registerClass(Lif);

/**
 * Leaky integrate-and-fire neurons ({@link Lif}, the layer form of `ops.lif`): input currents
 * `[batch, time, ...features]` in, spikes (0 or 1) of the same shape out, trained through a
 * surrogate gradient. Page: docs/layers/lif.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 32}));
 * model.add(snn.layers.lif({leak: 0.95, threshold: 1, surrogate: 'triangle'}));
 * // one learnt leak per neuron, and a learnt threshold shared by all
 * model.add(snn.layers.spikingDense({units: 8}));
 * model.add(snn.layers.lif({leak: new Array(8).fill(0.9), learnLeak: true, learnThreshold: true}));
 * ```
 */
export function lif(args?: LifLayerArgs): Lif {
  return new Lif(args);
}

/**
 * Parametric LIF (PLIF, Fang et al. 2021; snnTorch's `learn_beta`): the {@link Lif} layer with `learnLeak: true`,
 * the leak a weight `leak` (one shared value by default; give an array for one per channel or neuron) kept in
 * [0, 1]. Every other argument as `lif`. Page: docs/layers/lif.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 32}));
 * model.add(snn.layers.plif({leak: 0.9}));   // a learnt leak, initialised at 0.9
 * ```
 */
export function plif(args: Omit<LifLayerArgs, 'learnLeak'> & {learnLeak?: true} = {}): Lif {
  if (args != null && typeof args === 'object' && 'learnLeak' in args && args.learnLeak !== true) {
    throw argError(
      'plif',
      'learnLeak',
      args.learnLeak,
      'true or omitted (plif learns its leak; use lif for a fixed one)'
    );
  }
  return new Lif({...layerArgs('plif', args, LIF_ARG_NAMES), learnLeak: true});
}

/** The options of the `ifNeuron` layer: those of `lif` but `leak` and `learnLeak` (the leak is 1). */
export type IfNeuronLayerArgs = Omit<LifLayerArgs, 'leak' | 'learnLeak'>;

/**
 * Integrate-and-fire neurons (the layer form of `ops.ifNeuron`): a {@link Lif} whose leak is fixed at 1,
 * `U_t = V_{t−1} + I_t`; the threshold may be per channel/neuron and learnt (`learnThreshold`).
 */
export class IfNeuron extends Lif {
  static className = 'SnnIfNeuron';

  constructor(args: IfNeuronLayerArgs = {}) {
    super(args, 'ifNeuron', IF_NEURON_ARG_NAMES);
  }
}
serialization.registerClass(IfNeuron);

/**
 * Integrate-and-fire neurons ({@link IfNeuron}): `lif` without a leak (U_t = V_{t−1} + I_t), spikes above the
 * threshold, subtract reset by default. Page: docs/layers/if_neuron.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 32}));
 * model.add(snn.layers.ifNeuron({threshold: 1, learnThreshold: true}));
 * ```
 */
export function ifNeuron(args?: IfNeuronLayerArgs): IfNeuron {
  return new IfNeuron(args);
}
