import {dispose, keep, serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';

import {lifWithState} from '../ops/lif';
import {LifOptions, resolveLifOptions} from '../ops/lif_options';
import {booleanArg, formatShape, layerArgs} from './layer_utils';
import {SpikeRecorder, SpikingOutputLayer} from './spike_recorder';
import {Kwargs, LayerArgs, SpikingLayer} from './spiking_layer';

/** The options of the `lif` layer: those of `ops.lif` (but `initialMembrane`) and `stateful`. */
export interface LifLayerArgs extends LayerArgs, Omit<LifOptions, 'initialMembrane'> {
  /**
   * Keep the membrane after each call as the next call's starting membrane
   * (streaming a long train in chunks); `resetStates()` zeroes it. Default false.
   */
  stateful?: boolean;
}

const LIF_ARG_NAMES = [
  'leak',
  'threshold',
  'resetMode',
  'detachReset',
  'surrogate',
  'alpha',
  'implementation',
  'stateful',
] as const;

/**
 * Leaky integrate-and-fire neurons over the whole train (the fused `ops.lif`):
 * `U_t = leak·V_{t−1} + I_t`, spike `S_t = U_t > threshold`, then reset
 * (subtract by default, without gradient); the backward pass uses a surrogate
 * derivative (triangle, 0.3, by default). Input currents and output spikes
 * are `[batch, time, ...features]`. No weights.
 *
 * ```js
 * model.add(snn.layers.bntt());
 * model.add(snn.layers.lif({leak: 0.95, threshold: 1}));
 * ```
 */
export class Lif extends SpikingLayer implements SpikingOutputLayer {
  static className = 'SnnLif';
  protected readonly minRank = 3;
  protected readonly maxRank = 6;
  protected readonly layout = '[batch, time, ...features]';
  readonly options: Omit<LifOptions, 'initialMembrane'>;
  spikeRecorder: SpikeRecorder | null = null;
  private membrane: Tensor | null = null;

  constructor(args: LifLayerArgs = {}) {
    super(layerArgs('lif', args, LIF_ARG_NAMES));
    const {leak, threshold, resetMode, detachReset, surrogate, alpha, implementation} = args;
    this.options = {leak, threshold, resetMode, detachReset, surrogate, alpha, implementation};
    const options = this.options as {[key: string]: unknown};
    for (const key of Object.keys(options)) {
      if (options[key] === undefined) delete options[key];
    }
    resolveLifOptions(this.options, 'lif');
    this._stateful = booleanArg('lif', 'stateful', args.stateful ?? false);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.timeInputShape(inputShape);
  }

  call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    return tidy(() => {
      const input = this.timeInput(inputs);
      const initialMembrane = this.stateful ? this.stateFor(input) : undefined;
      const {spikes, membrane} = this.runLif(input, initialMembrane);
      if (this.stateful) {
        dispose(this.membrane as Tensor); // the gradient keeps its own copy of what it needs
        this.membrane = keep(membrane);
      }
      if (this.spikeRecorder != null && kwargs['training'] === true) this.spikeRecorder.record(spikes);
      return spikes;
    });
  }

  /**
   * Runs the neurons from `membrane` (null: at rest) and returns the spikes and the membrane after the
   * last step, whatever `stateful` says: for callers that stream a train themselves (earlyExitWrapper).
   */
  runFrom(input: Tensor, membrane: Tensor | null): {spikes: Tensor; membrane: Tensor} {
    return this.runLif(this.timeInput(input), membrane ?? undefined);
  }

  private runLif(input: Tensor, initialMembrane: Tensor | undefined) {
    try {
      return lifWithState(input, {...this.options, initialMembrane});
    } catch (e) {
      throw new Error(`${this.label}: ${(e as Error).message}`, {cause: e});
    }
  }

  private stateFor(input: Tensor): Tensor | undefined {
    const expected = [input.shape[0], ...input.shape.slice(2)];
    if (this.membrane != null && !this.membrane.shape.every((d, i) => d === expected[i])) {
      throw new Error(
        `${this.label}: stateful layer holds a membrane of shape ${formatShape(this.membrane.shape)} ` +
          `but the input of shape ${formatShape(input.shape)} needs ${formatShape(expected)}; ` +
          `call resetStates() before changing the batch size`
      );
    }
    return this.membrane ?? undefined;
  }

  /** Zeroes the membrane of a stateful layer (the next call starts from rest). */
  resetStates(): void {
    dispose(this.membrane as Tensor);
    this.membrane = null;
  }

  /** The membrane a stateful layer carries into its next call (null at rest). */
  get state(): Tensor | null {
    return this.membrane;
  }

  dispose() {
    this.resetStates();
    this.spikeRecorder?.clear();
    return super.dispose();
  }

  getConfig(): serialization.ConfigDict {
    if (typeof this.options.surrogate === 'function') {
      throw new Error(
        `${this.label}: a custom surrogate function cannot be saved in a model's config; ` +
          `use a built-in surrogate name ('triangle', 'fastSigmoid', 'sigmoid', 'arctan') to save the model`
      );
    }
    return {...super.getConfig(), ...this.options, stateful: this.stateful} as serialization.ConfigDict;
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
 * ```
 */
export function lif(args?: LifLayerArgs): Lif {
  return new Lif(args);
}
