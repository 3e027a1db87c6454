/** Training the small BNTT model in the page with tfjs's fit loop: live batch events, pause, resume, stop. */
import {PageDataset} from './dataset.js';

export interface TrainSettings {
  timeSteps: number;
  encoder: 'direct' | 'poisson';
  neuron: snn.models.NeuronKind;
  batchSize: number;
  epochs: number;
  learningRate: number;
  trainImages: number;
}

export interface BatchReport {
  epoch: number;
  /** Batch within the epoch, from 0. */
  batch: number;
  batchesPerEpoch: number;
  /** Batches done in the whole run. */
  done: number;
  loss: number;
  accuracy: number;
  /** The optimizer's rate in this epoch (cosine decay). */
  learningRate: number;
  /** Firing rate of each spiking layer in this batch. */
  rates: Array<{layer: string; rate: number}>;
  secondsPerBatch: number;
}

export interface TrainListener {
  onBatch(report: BatchReport): Promise<void> | void;
  onEpoch(epoch: number): Promise<void> | void;
}

const RATE_PREFIX = 'spikeRate/';

/** The small network for `dataset`: its frame shape and classes, no encoder when the data are spike trains. */
export function buildModel(settings: TrainSettings, dataset: PageDataset): tf.Sequential {
  return snn.models.small({
    inputShape: [...dataset.frameShape],
    numClasses: dataset.classNames.length,
    timeSteps: settings.timeSteps,
    encoder: dataset.encoder ?? settings.encoder,
    neuron: settings.neuron,
    seed: 1,
  });
}

export class TrainingRun {
  private paused = false;
  private stopped = false;
  private resumeWaiting: (() => void) | null = null;
  private done = 0;
  private epoch = 0;
  private started = 0;

  constructor(
    readonly model: tf.LayersModel,
    private readonly settings: TrainSettings,
    private readonly listener: TrainListener
  ) {}

  get isPaused(): boolean {
    return this.paused;
  }

  get wasStopped(): boolean {
    return this.stopped;
  }

  /** True while training waits, paused, between two batches. */
  get isHeld(): boolean {
    return this.resumeWaiting != null;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.resumeWaiting?.();
    this.resumeWaiting = null;
  }

  /** Ends training after the batch in progress. */
  stop(): void {
    this.stopped = true;
    this.resume();
  }

  /** Trains on the first settings.trainImages training examples of `dataset`. */
  async run(dataset: PageDataset): Promise<void> {
    const {batchSize, epochs, learningRate} = this.settings;
    // Adam's epsilon given explicitly: its default is the backend's epsilon, which tfjs 4.22's webgl reports
    // as 1e-4 (floatPrecision 16) even with float32 textures, against 1e-7 on cpu and wasm.
    const optimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-7);
    this.model.compile({
      optimizer,
      metrics: ['accuracy'],
      loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits),
    });
    const count = Math.min(this.settings.trainImages, dataset.trainCount);
    const batchesPerEpoch = Math.ceil(count / batchSize);
    this.started = performance.now();
    const progress = new tf.CustomCallback({
      onEpochBegin: async epoch => {
        this.epoch = epoch;
      },
      onBatchEnd: async (batch, logs) => this.afterBatch(batch, batchesPerEpoch, logs ?? {}),
      onEpochEnd: async epoch => this.listener.onEpoch(epoch),
    });
    // The monitor first: it puts the batch's firing rates into the logs the progress callback reads.
    const rates = snn.callbacks.spikeRateMonitor({prefix: RATE_PREFIX, updateFreq: 'batch'});
    // The recipe of `tfjs-snn train`: Adam with the learning rate annealed per epoch on a cosine.
    const schedule = snn.callbacks.cosineDecay({epochs});
    const timeSteps = this.settings.timeSteps;
    await dataset.fit(this.model, {count, batchSize, epochs, timeSteps}, [schedule, rates, progress]);
  }

  private async afterBatch(batch: number, batchesPerEpoch: number, logs: tf.Logs): Promise<void> {
    this.done++;
    const rates = Object.keys(logs)
      .filter(k => k.startsWith(RATE_PREFIX))
      .map(k => ({layer: k.slice(RATE_PREFIX.length), rate: logs[k]}));
    await this.listener.onBatch({
      epoch: this.epoch,
      batch,
      batchesPerEpoch,
      done: this.done,
      loss: logs.loss,
      accuracy: logs.acc,
      learningRate: (this.model.optimizer as unknown as {learningRate: number}).learningRate,
      rates,
      secondsPerBatch: (performance.now() - this.started) / 1000 / this.done,
    });
    if (this.paused && !this.stopped) {
      const pausedAt = performance.now();
      await new Promise<void>(resolve => (this.resumeWaiting = resolve));
      this.started += performance.now() - pausedAt; // seconds per batch leave out the pause
    }
    if (this.stopped) this.model.stopTraining = true;
  }
}
