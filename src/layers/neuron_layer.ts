import {dispose, keep, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';
import {isStateOf} from '../ops/neuron_scan';
import {booleanArg, formatShape} from './layer_utils';
import type {NeuronRole, NeuronState, NeuronStep} from './roles';
import {SpikeRecorder} from './spike_recorder';
import {Kwargs, LayerArgs, SpikingLayer} from './spiking_layer';

/** The arguments every neuron layer takes (besides its own). */
export interface NeuronLayerArgs extends LayerArgs {
  /**
   * Keep the state after each call as the next call's starting state (streaming a long train in chunks);
   * `resetStates()` returns the neurons to rest. Default false.
   */
  stateful?: boolean;
}

/**
 * The base of every neuron layer: `[batch, time, ...features]` currents in, the same shape out (spikes, or the
 * membrane for a leaky integrator). A subclass says what its state is (`stateNames`) and how it runs over a
 * train (`runNeurons`); the base carries the state of a `stateful` layer between calls, streams for the early
 * exit (`runFrom`), records spikes for `callbacks.spikeRateMonitor`, and checks what it is given.
 *
 * Every state tensor is `[batch, ...features]`, like one step of the input.
 *
 * ```js
 * class Doubler extends snn.layers.NeuronLayer {      // a (silly) neuron: spikes where 2·I_t + V_{t−1} > 1
 *   static className = 'Doubler';
 *   get stateNames() { return ['membrane']; }
 *   runNeurons(input, state) { ... return {output, state: [membrane]}; }
 * }
 * ```
 */
export abstract class NeuronLayer extends SpikingLayer implements NeuronRole {
  readonly snnRole = 'neuron' as const;
  protected readonly minRank: number = 3;
  protected readonly maxRank: number = 6;
  protected readonly layout: string = '[batch, time, ...features]';
  spikeRecorder: SpikeRecorder | null = null;
  private carried: NeuronState | null = null;

  /** True when the output is spikes (the default); false for a leaky integrator, whose output is the membrane. */
  get emitsSpikes(): boolean {
    return true;
  }

  /** The names of the state tensors, in the order `runNeurons` and `runFrom` take and return them. */
  abstract get stateNames(): readonly string[];

  /**
   * Runs the neurons over the whole train `input` (`[batch, time, ...features]`, float32, checked) from
   * `state` (one `[batch, ...features]` tensor per state name, checked; null: at rest) and returns the output
   * train and the state after the last step. Called inside a tidy; may throw (the base names the layer).
   * `keepState`: whether the caller uses the state returned (a stateful layer, `runFrom`); where false, a layer
   * may return none (an empty array) and leave it uncomputed.
   */
  protected abstract runNeurons(
    input: Tensor,
    state: NeuronState | null,
    training: boolean,
    keepState: boolean
  ): NeuronStep;

  constructor(args: NeuronLayerArgs, fn: string) {
    super(args);
    this._stateful = booleanArg(fn, 'stateful', args.stateful ?? false);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.timeInputShape(inputShape);
  }

  call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    return tidy(() => {
      const input = this.timeInput(inputs);
      const training = kwargs['training'] === true;
      const carried = this.stateful ? this.carriedFor(input) : null;
      const {output, state} = this.runChecked(input, carried, training, this.stateful);
      if (this.stateful) {
        dispose(this.carried ?? []); // a gradient keeps its own copy of what it needs
        this.carried = state.map(s => keep(s));
      }
      if (this.spikeRecorder != null && training && this.emitsSpikes) this.spikeRecorder.record(output);
      return output;
    });
  }

  /**
   * Runs the neurons on `input` from `state` (null: at rest) and returns the output and the state after the
   * last step, whatever `stateful` says: for callers that stream a train themselves (earlyExitWrapper).
   * The caller owns the returned tensors.
   */
  runFrom(input: Tensor, state: NeuronState | null): NeuronStep {
    const train = this.timeInput(input);
    if (state != null) this.checkState(train, state, "argument 'state'");
    const [output, ...next] = tidy(() => {
      const step = this.runChecked(train, state, false, true);
      return [step.output, ...step.state];
    });
    return {output, state: next};
  }

  private runChecked(input: Tensor, state: NeuronState | null, training: boolean, keepState: boolean): NeuronStep {
    let step: NeuronStep;
    try {
      step = this.runNeurons(input, state, training, keepState);
    } catch (e) {
      if ((e as Error).message?.startsWith(this.label)) throw e;
      throw new Error(`${this.label}: ${(e as Error).message}`, {cause: e});
    }
    return step;
  }

  /** The shape every state tensor has for `input`: `[batch, ...features]`. */
  protected stateShape(input: Tensor | Shape): number[] {
    const shape = (input instanceof Tensor ? input.shape : input) as number[];
    return [shape[0], ...shape.slice(2)];
  }

  private checkState(input: Tensor, state: unknown, what: string): void {
    const expected = this.stateShape(input);
    const names = this.stateNames;
    if (!isStateOf(state, names.length, expected)) {
      throw new Error(
        `${this.label}: ${what} must be ${names.length} float32 tensor(s) [${names.join(', ')}] of shape ` +
          `${formatShape(expected)} ([batch, ...features] of the input ${formatShape(input.shape)}); ` +
          `got ${describeValue(state)}`
      );
    }
  }

  private carriedFor(input: Tensor): NeuronState | null {
    if (this.carried == null) return null;
    const expected = this.stateShape(input);
    const held = this.carried[0].shape;
    if (!held.every((d, i) => d === expected[i]) || held.length !== expected.length) {
      throw new Error(
        `${this.label}: stateful layer holds a ${this.stateNames[0]} of shape ${formatShape(held)} ` +
          `but the input of shape ${formatShape(input.shape)} needs ${formatShape(expected)}; ` +
          `call resetStates() before changing the batch size`
      );
    }
    return this.carried;
  }

  /** Returns a stateful layer's neurons to rest (the next call starts from rest). */
  resetStates(): void {
    dispose(this.carried ?? []);
    this.carried = null;
  }

  /** The state a stateful layer carries into its next call, one tensor per state name (null at rest). */
  get states(): NeuronState | null {
    return this.carried;
  }

  dispose() {
    this.resetStates();
    this.spikeRecorder?.clear();
    return super.dispose();
  }

  getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), stateful: this.stateful};
  }
}
