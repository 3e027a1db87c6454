import {serialization, Tensor} from '@tensorflow/tfjs-core';
import {LayerVariable, Shape} from '@tensorflow/tfjs-layers';
import type {Constraint} from '@tensorflow/tfjs-layers/dist/constraints';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {Regularizer} from '@tensorflow/tfjs-layers/dist/regularizers';

import type {NeuronSpec} from '../ops/neuron_scan';
import {RLIF_SPEC} from '../ops/recurrent';
import {checkTensorSize, deserializeObject, formatShape, layerArgs, serializeObject} from './layer_utils';
import {neuronArgNames, ParameterValue, ParametricNeuronLayer, SpikingNeuronLayerArgs} from './parametric_neuron_layer';
import type {ConstraintIdentifier, InitializerIdentifier, RegularizerIdentifier} from './weight_args';

/** The recurrent weight's arguments (named as tf.layers' recurrent layers name them). */
export interface RecurrentWeightArgs {
  /** Initializer of `recurrentKernel` [units, units]. Default `'glorotUniform'`. */
  recurrentInitializer?: InitializerIdentifier;
  /** Regularizer of `recurrentKernel`. */
  recurrentRegularizer?: RegularizerIdentifier;
  /** Constraint of `recurrentKernel`. */
  recurrentConstraint?: ConstraintIdentifier;
}

const RECURRENT_ARG_NAMES = ['recurrentInitializer', 'recurrentRegularizer', 'recurrentConstraint'];

/** The names a recurrent layer of `spec` takes. */
export function recurrentArgNames(spec: NeuronSpec): string[] {
  return [...neuronArgNames(spec), ...RECURRENT_ARG_NAMES];
}

/**
 * A neuron layer with a learned recurrent weight `recurrentKernel` [units, units] feeding the previous step's
 * spikes back: the input at step t is I_t + S_{t−1}·W. Input `[batch, time, units]` only; runs step by step.
 */
export abstract class RecurrentNeuronLayer extends ParametricNeuronLayer {
  protected readonly maxRank: number = 3;
  protected readonly layout: string = '[batch, time, units]';
  private readonly recurrentInitializer: Initializer;
  private readonly recurrentRegularizer?: Regularizer;
  private readonly recurrentConstraint?: Constraint;
  private recurrentKernel?: LayerVariable;

  constructor(args: SpikingNeuronLayerArgs & RecurrentWeightArgs, factory: string, spec: NeuronSpec) {
    super(args, factory, spec);
    this.recurrentInitializer = deserializeObject<Initializer>(
      factory,
      'recurrentInitializer',
      'initializers',
      args.recurrentInitializer ?? 'glorotUniform'
    )!;
    this.recurrentRegularizer = deserializeObject(
      factory,
      'recurrentRegularizer',
      'regularizers',
      args.recurrentRegularizer
    );
    this.recurrentConstraint = deserializeObject(
      factory,
      'recurrentConstraint',
      'constraints',
      args.recurrentConstraint
    );
  }

  protected buildExtra(shape: Shape): void {
    const units = shape[2];
    if (units == null) {
      throw new Error(`${this.label}: the feature dimension (axis 2) must be known; got shape ${formatShape(shape)}`);
    }
    checkTensorSize(this.label, 'the recurrent kernel', [units, units], `the input's ${units} features`);
    this.recurrentKernel = this.addWeight(
      'recurrentKernel',
      [units, units],
      'float32',
      this.recurrentInitializer,
      this.recurrentRegularizer,
      true,
      this.recurrentConstraint
    );
  }

  protected extraOptions(): {[name: string]: Tensor} {
    return {recurrentKernel: this.recurrentKernel!.read()};
  }

  /** The neuron's config and the recurrent weight's initializer, regularizer and constraint. */
  getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      recurrentInitializer: serializeObject(this.recurrentInitializer),
      recurrentRegularizer: serializeObject(this.recurrentRegularizer),
      recurrentConstraint: serializeObject(this.recurrentConstraint),
    };
  }
}

/** The arguments of the `rlif` layer. */
export interface RLifLayerArgs extends SpikingNeuronLayerArgs, RecurrentWeightArgs {
  /** Membrane decay β in [0, 1]: a number or one per unit. Default 0.95. */
  leak?: ParameterValue;
  /** Threshold θ > 0. Default 1. */
  threshold?: ParameterValue;
  /** Make `leak` a weight named 'leak' (kept in [0, 1]). Default false. */
  learnLeak?: boolean;
  /** Make `threshold` a weight named 'threshold' (kept >= 1e-3). Default false. */
  learnThreshold?: boolean;
}

/** Recurrent LIF neurons ({@link rlif}). State `[membrane, spikes]`. */
export class RLif extends RecurrentNeuronLayer {
  static className = 'SnnRLif';

  constructor(args: RLifLayerArgs = {}) {
    super(layerArgs('rlif', args, recurrentArgNames(RLIF_SPEC)), 'rlif', RLIF_SPEC);
  }
}
serialization.registerClass(RLif);

/**
 * Recurrent leaky integrate-and-fire neurons (snnTorch RLeaky, NIR recurrent graphs): the lif with the previous
 * step's spikes fed back through a learned weight `recurrentKernel` [units, units]:
 * `U_t = β·V_{t−1} + I_t + S_{t−1}·W`. Input `[batch, time, units]`; a layer only (no op: it needs the weight).
 * Page: docs/layers/rlif.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [16]}));
 * model.add(snn.layers.spikingDense({units: 32}));
 * model.add(snn.layers.rlif({leak: 0.9, recurrentInitializer: 'glorotNormal'}));
 * model.add(snn.layers.timeAverage());
 * model.predict(tf.ones([2, 16])).print();
 * ```
 */
export function rlif(args?: RLifLayerArgs): RLif {
  return new RLif(args);
}
