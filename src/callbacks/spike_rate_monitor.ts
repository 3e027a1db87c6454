import {Callback, Logs} from '@tensorflow/tfjs-layers';

import {describeValue, optionNames} from '../errors';
import {emitsSpikes} from '../layers/roles';
import {isSpikingOutputLayer, SpikeRecorder, SpikingOutputLayer} from '../layers/spike_recorder';

const UPDATE_FREQS = ['epoch', 'batch'] as const;

/** The options of `spikeRateMonitor` (all optional). */
export interface SpikeRateMonitorArgs {
  /** Prefix of the log keys: `${prefix}${layer.name}`. Default `'spikeRate/'`. */
  prefix?: string;
  /** Print the rates at the end of each epoch. Default false. */
  verbose?: boolean;
  /**
   * `'epoch'` (default): one rate per layer per epoch, read once at its end. `'batch'`: also each
   * batch's rates in the batch logs (for live displays), read asynchronously after every batch.
   */
  updateFreq?: (typeof UPDATE_FREQS)[number];
}

const ARGUMENTS = optionNames<SpikeRateMonitorArgs>({prefix: true, verbose: true, updateFreq: true});

interface LayerContainer {
  layers?: unknown[];
}

/** Every spike-emitting layer (spiking neurons, poissonEncoder), including those inside nested models. */
function spikingLayersOf(container: LayerContainer): SpikingOutputLayer[] {
  const found: SpikingOutputLayer[] = [];
  for (const layer of container.layers ?? []) {
    if (emitsSpikes(layer) && isSpikingOutputLayer(layer)) found.push(layer);
    if (typeof layer === 'object' && layer != null && Array.isArray((layer as LayerContainer).layers)) {
      found.push(...spikingLayersOf(layer as LayerContainer));
    }
  }
  return found;
}

/**
 * Logs each spiking layer's mean firing rate over the epoch's training
 * batches (mean |spike| over batch, time and neurons) into the fit logs, so it
 * appears in `history.history` and in other callbacks' `logs`. The counts
 * accumulate on the device: one read per layer per epoch.
 *
 * ```js
 * const history = await model.fit(x, y, {epochs: 5, callbacks: [snn.callbacks.spikeRateMonitor()]});
 * console.log(history.history['spikeRate/lif1']);     // one rate per epoch
 * ```
 */
export class SpikeRateMonitor extends Callback {
  readonly prefix: string;
  readonly verbose: boolean;
  readonly updateFreq: (typeof UPDATE_FREQS)[number];
  private monitored: SpikingOutputLayer[] = [];
  /** Per monitored layer, the epoch's spikes and values so far ('batch' mode reads the recorders every batch). */
  private epochCounts: Array<{spikes: number; elements: number}> = [];

  constructor(args: SpikeRateMonitorArgs = {}) {
    super();
    if (typeof args !== 'object' || args == null || Array.isArray(args)) {
      throw new Error(
        `spikeRateMonitor: arguments must be an object like {prefix: 'rate/'}; got ${describeValue(args)}`
      );
    }
    for (const key of Object.keys(args)) {
      if (!(ARGUMENTS as readonly string[]).includes(key)) {
        throw new Error(`spikeRateMonitor: unknown argument '${key}'; expected one of ${ARGUMENTS.join(', ')}`);
      }
    }
    if (args.prefix != null && typeof args.prefix !== 'string') {
      throw new Error(`spikeRateMonitor: argument 'prefix' must be a string; got ${describeValue(args.prefix)}`);
    }
    if (args.verbose != null && typeof args.verbose !== 'boolean') {
      throw new Error(`spikeRateMonitor: argument 'verbose' must be true or false; got ${describeValue(args.verbose)}`);
    }
    if (args.updateFreq != null && !UPDATE_FREQS.includes(args.updateFreq)) {
      throw new Error(
        `spikeRateMonitor: argument 'updateFreq' must be ${UPDATE_FREQS.map(f => `'${f}'`).join(' or ')}; got ` +
          `${describeValue(args.updateFreq)}`
      );
    }
    this.prefix = args.prefix ?? 'spikeRate/';
    this.verbose = args.verbose ?? false;
    this.updateFreq = args.updateFreq ?? 'epoch';
  }

  /** Called by `model.fit`: finds the model's spiking layers and starts counting their spikes. */
  async onTrainBegin(): Promise<void> {
    this.monitored = spikingLayersOf(this.model as unknown as LayerContainer);
    for (const layer of this.monitored) layer.spikeRecorder = new SpikeRecorder();
    this.epochCounts = this.monitored.map(() => ({spikes: 0, elements: 0}));
  }

  /** Called by `model.fit`: with `updateFreq: 'batch'`, adds the batch's rates to its logs. */
  async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    if (this.updateFreq !== 'batch') return;
    for (const [i, layer] of this.monitored.entries()) {
      const counts = await layer.spikeRecorder?.takeCounts();
      if (counts == null) continue;
      this.epochCounts[i].spikes += counts.spikes;
      this.epochCounts[i].elements += counts.elements;
      if (logs != null) logs[`${this.prefix}${layer.name}`] = counts.spikes / counts.elements;
    }
  }

  /** The epoch's rate of monitored layer i (null when it recorded nothing), then starts the next epoch. */
  private takeEpochRate(i: number): number | null {
    if (this.updateFreq === 'epoch') return this.monitored[i].spikeRecorder?.take() ?? null;
    const {spikes, elements} = this.epochCounts[i];
    this.epochCounts[i] = {spikes: 0, elements: 0};
    return elements === 0 ? null : spikes / elements;
  }

  /** Called by `model.fit`: adds the epoch's rates to its logs (and prints them when `verbose`). */
  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    const rates: string[] = [];
    for (const [i, layer] of this.monitored.entries()) {
      const rate = this.takeEpochRate(i);
      if (rate == null) continue;
      if (logs != null) logs[`${this.prefix}${layer.name}`] = rate;
      rates.push(`${layer.name} ${rate.toFixed(4)}`);
    }
    if (this.verbose && rates.length > 0) console.log(`epoch ${epoch + 1} spike rates: ${rates.join(', ')}`);
  }

  /** Called by `model.fit`: stops counting and releases the counters. */
  async onTrainEnd(): Promise<void> {
    for (const layer of this.monitored) {
      layer.spikeRecorder?.clear();
      layer.spikeRecorder = null;
    }
    this.monitored = [];
  }
}

/**
 * Logs each spiking layer's mean firing rate per epoch into the fit logs as `spikeRate/<layer name>`
 * ({@link SpikeRateMonitor}), so it appears in `history.history`. Page: docs/callbacks.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [8, 8, 1], numClasses: 3});
 * model.compile({optimizer: tf.train.adam(1e-3), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
 * const x = tf.randomUniform([4, 8, 8, 1]), y = tf.oneHot([0, 1, 2, 0], 3);
 * const history = await model.fit(x, y, {epochs: 2, callbacks: [snn.callbacks.spikeRateMonitor()]});
 * console.log(history.history['spikeRate/lif1']);     // one rate per epoch
 * ```
 */
export function spikeRateMonitor(args?: SpikeRateMonitorArgs): SpikeRateMonitor {
  return new SpikeRateMonitor(args);
}
