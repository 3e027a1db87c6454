import {abs, add, dispose, keep, scalar, sum, Tensor, tidy} from '@tensorflow/tfjs-core';

/**
 * Accumulates a layer's spike count on the device while training, so a
 * monitor can read one number per epoch without a sync per batch.
 */
export class SpikeRecorder {
  private total: Tensor | null = null;
  private elements = 0;

  record(spikes: Tensor): void {
    const previous = this.total;
    this.total = tidy(() => keep(add(previous ?? scalar(0), sum(abs(spikes)))));
    this.elements += spikes.size;
    dispose(previous as Tensor);
  }

  /** Mean |spike| over everything recorded since the last take (null when nothing was), then starts afresh. */
  take(): number | null {
    const rate = this.total == null ? null : this.total.dataSync()[0] / this.elements;
    this.clear();
    return rate;
  }

  /** The spike count and number of values recorded since the last take, read without blocking; then starts afresh. */
  async takeCounts(): Promise<{spikes: number; elements: number} | null> {
    if (this.total == null) return null;
    const total = this.total;
    const elements = this.elements;
    this.total = null;
    this.elements = 0;
    const spikes = (await total.data())[0];
    dispose(total);
    return {spikes, elements};
  }

  clear(): void {
    if (this.total != null) dispose(this.total);
    this.total = null;
    this.elements = 0;
  }
}

/** A layer whose output is spikes; a spike-rate monitor attaches a recorder to it during fit. */
export interface SpikingOutputLayer {
  name: string;
  spikeRecorder: SpikeRecorder | null;
}

export function isSpikingOutputLayer(layer: unknown): layer is SpikingOutputLayer {
  return typeof layer === 'object' && layer != null && 'spikeRecorder' in layer;
}
