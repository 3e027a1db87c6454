import {Callback, Logs} from '@tensorflow/tfjs-layers';

import {describeValue} from '../ops/lif_options';
import {isSpikingOutputLayer, SpikeRecorder, SpikingOutputLayer} from '../layers/spike_recorder';

export interface SpikeRateMonitorArgs {
  /** Prefix of the log keys: `${prefix}${layer.name}`. Default `'spikeRate/'`. */
  prefix?: string;
  /** Print the rates at the end of each epoch. Default false. */
  verbose?: boolean;
}

interface LayerContainer {
  layers?: unknown[];
}

/** Every spike-emitting layer (lif, poissonEncoder), including those inside nested models. */
function spikingLayersOf(container: LayerContainer): SpikingOutputLayer[] {
  const found: SpikingOutputLayer[] = [];
  for (const layer of container.layers ?? []) {
    if (isSpikingOutputLayer(layer)) found.push(layer);
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
  private monitored: SpikingOutputLayer[] = [];

  constructor(args: SpikeRateMonitorArgs = {}) {
    super();
    if (typeof args !== 'object' || args == null || Array.isArray(args)) {
      throw new Error(`spikeRateMonitor: arguments must be an object like {prefix: 'rate/'}; got ${describeValue(args)}`);
    }
    for (const key of Object.keys(args)) {
      if (key !== 'prefix' && key !== 'verbose') {
        throw new Error(`spikeRateMonitor: unknown argument '${key}'; expected prefix or verbose`);
      }
    }
    if (args.prefix != null && typeof args.prefix !== 'string') {
      throw new Error(`spikeRateMonitor: argument 'prefix' must be a string; got ${describeValue(args.prefix)}`);
    }
    if (args.verbose != null && typeof args.verbose !== 'boolean') {
      throw new Error(`spikeRateMonitor: argument 'verbose' must be true or false; got ${describeValue(args.verbose)}`);
    }
    this.prefix = args.prefix ?? 'spikeRate/';
    this.verbose = args.verbose ?? false;
  }

  async onTrainBegin(): Promise<void> {
    this.monitored = spikingLayersOf(this.model as unknown as LayerContainer);
    for (const layer of this.monitored) layer.spikeRecorder = new SpikeRecorder();
  }

  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    const rates: string[] = [];
    for (const layer of this.monitored) {
      const rate = layer.spikeRecorder?.take();
      if (rate == null) continue;
      if (logs != null) logs[`${this.prefix}${layer.name}`] = rate;
      rates.push(`${layer.name} ${rate.toFixed(4)}`);
    }
    if (this.verbose && rates.length > 0) console.log(`epoch ${epoch + 1} spike rates: ${rates.join(', ')}`);
  }

  async onTrainEnd(): Promise<void> {
    for (const layer of this.monitored) {
      layer.spikeRecorder?.clear();
      layer.spikeRecorder = null;
    }
    this.monitored = [];
  }
}

export function spikeRateMonitor(args?: SpikeRateMonitorArgs): SpikeRateMonitor {
  return new SpikeRateMonitor(args);
}
