import {serialization} from '@tensorflow/tfjs-core';
import type {Constraint} from '@tensorflow/tfjs-layers/dist/constraints';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {Regularizer} from '@tensorflow/tfjs-layers/dist/regularizers';

import {optionNames} from '../errors';
import {booleanArg, deserializeObject, serializeObject} from './layer_utils';

/** How a weight is given to tf.layers: a name (`'glorotUniform'`), an instance or a serialized config. */
export type InitializerIdentifier = string | Initializer | serialization.ConfigDict;
export type RegularizerIdentifier = string | Regularizer | serialization.ConfigDict;
export type ConstraintIdentifier = string | Constraint | serialization.ConfigDict;

/** The kernel/bias arguments shared by spikingConv2d and spikingDense, as tf.layers names them. */
export interface WeightArgs {
  /** Add a bias per output channel. Default false (the BNTT reference has none). */
  useBias?: boolean;
  /** Default `'glorotUniform'`. */
  kernelInitializer?: InitializerIdentifier;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerIdentifier;
  /** E.g. `snn.regularizers.weightDecay(1e-4)` for the reference's SGD weight decay. */
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  kernelConstraint?: ConstraintIdentifier;
  biasConstraint?: ConstraintIdentifier;
}

export const WEIGHT_ARG_NAMES = optionNames<WeightArgs>({
  useBias: true,
  kernelInitializer: true,
  biasInitializer: true,
  kernelRegularizer: true,
  biasRegularizer: true,
  kernelConstraint: true,
  biasConstraint: true,
});

export interface ResolvedWeightArgs {
  useBias: boolean;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
  kernelRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
  kernelConstraint?: Constraint;
  biasConstraint?: Constraint;
}

export function resolveWeightArgs(layer: string, args: WeightArgs): ResolvedWeightArgs {
  const initializer = (name: string, value: unknown, fallback: string) =>
    deserializeObject<Initializer>(layer, name, 'initializers', (value ?? fallback) as InitializerIdentifier)!;
  return {
    useBias: booleanArg(layer, 'useBias', args.useBias ?? false),
    kernelInitializer: initializer('kernelInitializer', args.kernelInitializer, 'glorotUniform'),
    biasInitializer: initializer('biasInitializer', args.biasInitializer, 'zeros'),
    kernelRegularizer: deserializeObject(layer, 'kernelRegularizer', 'regularizers', args.kernelRegularizer),
    biasRegularizer: deserializeObject(layer, 'biasRegularizer', 'regularizers', args.biasRegularizer),
    kernelConstraint: deserializeObject(layer, 'kernelConstraint', 'constraints', args.kernelConstraint),
    biasConstraint: deserializeObject(layer, 'biasConstraint', 'constraints', args.biasConstraint),
  };
}

export function weightArgsConfig(resolved: ResolvedWeightArgs): serialization.ConfigDict {
  return {
    useBias: resolved.useBias,
    kernelInitializer: serializeObject(resolved.kernelInitializer),
    biasInitializer: serializeObject(resolved.biasInitializer),
    kernelRegularizer: serializeObject(resolved.kernelRegularizer),
    biasRegularizer: serializeObject(resolved.biasRegularizer),
    kernelConstraint: serializeObject(resolved.kernelConstraint),
    biasConstraint: serializeObject(resolved.biasConstraint),
  };
}
