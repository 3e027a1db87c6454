/**
 * What each layer does in a spiking network, declared by the layer itself. The early exit, the analyses, the
 * spike-rate monitor, the CLI and the playground ask a layer for its role through these predicates and never
 * compare class names, so a layer defined outside the package (a user's neuron) takes part like a built-in one.
 *
 * The predicates are duck-typed (a second copy of the package, or of tfjs, would fail `instanceof`).
 */
import type {Tensor} from '@tensorflow/tfjs-core';

import type {SpikeRecorder} from './spike_recorder';

/** The roles a layer of a spiking network can declare in its `snnRole` member. */
export const LAYER_ROLES = ['encoder', 'synaptic', 'normalization', 'neuron', 'stepwise', 'readout'] as const;
/**
 * - `'encoder'`: adds the time axis (`[batch, ...] → [batch, T, ...]`); has `timeSteps`.
 * - `'synaptic'`: weighted sums applied to each step alike (conv, dense); has `fanIn()`.
 * - `'normalization'`: per-step normalisation (`bntt`, `spikingBatchNorm`); takes kwarg `firstStep` in inference.
 * - `'neuron'`: carries state from step to step (`lif`, `ifNeuron`, …); streams through `runFrom`.
 * - `'stepwise'`: any other layer that treats each step alike and keeps no state (pooling, flatten).
 * - `'readout'`: removes the time axis (`timeAverage`): its input per step is the running prediction.
 */
export type LayerRole = (typeof LAYER_ROLES)[number];

/** A layer that declares its role. */
export interface RoleLayer {
  readonly snnRole: LayerRole;
}

/** An encoder: `[batch, ...features] → [batch, timeSteps, ...features]`. */
export interface EncoderRole extends RoleLayer {
  readonly snnRole: 'encoder';
  readonly timeSteps: number;
  /** True when its output is spikes (Poisson), false when analog (direct). */
  readonly emitsSpikes: boolean;
}

/** A synaptic layer: each output sums `fanIn()` weighted inputs (what `analysis.energy` counts). */
export interface SynapticRole extends RoleLayer {
  readonly snnRole: 'synaptic';
  /** Inputs per output neuron: the weights each output sums. */
  fanIn(): number;
}

/** Per-step normalisation; `apply(x, {training: false, firstStep: t})` treats x's first step as step t. */
export interface NormalizationRole extends RoleLayer {
  readonly snnRole: 'normalization';
  /** The learnt scales per step, `[T, channels]` (a view of the weight, not to be disposed), or null when none. */
  stepScales(): Tensor | null;
}

/** The state a neuron carries from one step to the next: one tensor per name in `stateNames`. */
export type NeuronState = Tensor[];

/** What a neuron layer's streaming run returns: its output train and the state after the last step. */
export interface NeuronStep {
  output: Tensor;
  state: NeuronState;
}

/** A layer of neurons: carries state over time; streams a train in pieces through `runFrom`. */
export interface NeuronRole extends RoleLayer {
  readonly snnRole: 'neuron';
  readonly name: string;
  /** True when the output is spikes; false for the leaky integrator (`li`), whose output is the membrane. */
  readonly emitsSpikes: boolean;
  /** The names of the state tensors, in the order `runFrom` takes and returns them (e.g. `['membrane']`). */
  readonly stateNames: readonly string[];
  /**
   * Runs the neurons on `input` (`[batch, time, ...features]`) from `state` (null: at rest) and returns the
   * output and the state after the last step, whatever `stateful` says. Running a train in pieces, each from
   * the state the previous one returned, gives what one run over the whole train gives.
   */
  runFrom(input: Tensor, state: NeuronState | null): NeuronStep;
  /** Returns a stateful layer's neurons to rest. */
  resetStates(): void;
  /** Set by `callbacks.spikeRateMonitor` while it counts this layer's spikes. */
  spikeRecorder: SpikeRecorder | null;
}

/** The readout: `[batch, time, ...] → [batch, ...]`, the mean over the steps. */
export interface ReadoutRole extends RoleLayer {
  readonly snnRole: 'readout';
}

/**
 * The role `layer` declares (`'encoder'`, `'synaptic'`, `'normalization'`, `'neuron'`, `'stepwise'`,
 * `'readout'`), or null when it declares none (a plain tf.layers layer, an InputLayer).
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * console.log(model.layers.map(l => `${l.name}: ${snn.layers.roleOf(l)}`));   // encoder: encoder, conv1: synaptic, …
 * ```
 */
export function roleOf(layer: unknown): LayerRole | null {
  const role = typeof layer === 'object' && layer != null ? (layer as {snnRole?: unknown}).snnRole : undefined;
  return (LAYER_ROLES as readonly unknown[]).includes(role) ? (role as LayerRole) : null;
}

/**
 * True for an encoder (`directEncoder`, `poissonEncoder`, or any layer declaring `snnRole: 'encoder'`).
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * const encoder = model.layers[0];
 * if (snn.layers.isEncoder(encoder)) console.log(encoder.timeSteps, 'steps');
 * ```
 */
export function isEncoder(layer: unknown): layer is EncoderRole {
  return roleOf(layer) === 'encoder';
}

/**
 * True for a synaptic layer (`spikingConv2d`, `spikingDense`): what `analysis.energy` counts operations of.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * for (const l of model.layers.filter(snn.layers.isSynaptic)) console.log(l.name, 'fan-in', l.fanIn());
 * ```
 */
export function isSynaptic(layer: unknown): layer is SynapticRole {
  return roleOf(layer) === 'synaptic';
}

/**
 * True for per-step normalisation (`bntt`, `spikingBatchNorm`), which takes kwarg `firstStep` in inference.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * const bntt = model.layers.filter(snn.layers.isNormalization);
 * console.log(bntt.map(l => l.stepScales()?.shape));   // [[6, 32], [6, 64], [6, 256]]
 * ```
 */
export function isNormalization(layer: unknown): layer is NormalizationRole {
  return roleOf(layer) === 'normalization';
}

/**
 * True for a layer of neurons (`lif` and the other neuron layers, or a subclass of `snn.layers.NeuronLayer`).
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * console.log(model.layers.filter(snn.layers.isNeuron).map(l => l.stateNames));   // [['membrane'], …]
 * ```
 */
export function isNeuron(layer: unknown): layer is NeuronRole {
  return roleOf(layer) === 'neuron';
}

/**
 * True for the readout (`timeAverage`), which removes the time axis.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * console.log(snn.layers.isReadout(model.layers[model.layers.length - 1]));   // true
 * ```
 */
export function isReadout(layer: unknown): layer is ReadoutRole {
  return roleOf(layer) === 'readout';
}

/**
 * True for a layer whose output is spikes: a spiking neuron layer, or an encoder that emits spikes (Poisson).
 * The layers `analysis.spikeRates` and `callbacks.spikeRateMonitor` report.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * console.log(model.layers.filter(snn.layers.emitsSpikes).map(l => l.name));   // ['lif1', 'lif2', 'lif3']
 * ```
 */
export function emitsSpikes(layer: unknown): boolean {
  return (isNeuron(layer) || isEncoder(layer)) && layer.emitsSpikes === true;
}
