/**
 * `tfjs-snn train`: loads a dataset, builds a BNTT model, trains it with
 * model.fitDataset (progress bar, step schedule, spike rates, validation), and
 * writes a checkpoint and the reports after every epoch and the model at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {mkdirSync, readFileSync} from 'node:fs';
import {join, resolve} from 'node:path';

import {modelTimeSteps} from '../analysis/model_chain';
import {neuronParameters} from '../analysis/neuron_parameters';
import {SpikeRateMonitor} from '../callbacks/spike_rate_monitor';
import {CosineDecay} from '../callbacks/cosine_decay';
import type {EpochSchedule} from '../callbacks/epoch_schedule';
import {StepDecay} from '../callbacks/step_decay';
import {isCifar} from '../data/dataset';
import {batchCount} from '../data/pipeline';
import {fileSystem} from '../io/file_system';
import {emitsSpikes, isEncoder, isNeuron} from '../layers/roles';
import {MODEL_BUILDERS, TrainArgs} from './args';
import {useBackend} from './backend';
import {EpochRecord, loadCheckpoint, RunState, saveCheckpoint} from './checkpoint';
import {CommandData, EpochOptions, isEventDataset, loadSplit} from './datasets';
import {checkBatchSize, largestBatch} from './limits';
import {ProgressBar} from './progress';
import {RunSummary, writeReports} from './report';

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Where `TrainHooks.afterStage` runs at the end of a run: after the last epoch's checkpoint, model/, the reports. */
export type TrainStage = 'checkpoint' | 'model' | 'reports';

/** For tests: stop after an epoch as an interrupted run would; inject a fault (throw) at the end of a run. */
export interface TrainHooks {
  stopAfterEpoch?: number;
  afterStage?: (stage: TrainStage) => void;
}

/** The settings of a run, its epoch count known. */
type Settings = TrainArgs & {epochs: number};

const RATE_PREFIX = 'spikeRate/';
const softmaxCrossEntropy = (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits);

export async function loadData(args: TrainArgs): Promise<{train: CommandData; test: CommandData}> {
  const [train, test] = await Promise.all([
    loadSplit(args, 'train', args.limitTrain),
    loadSplit(args, 'test', args.limitTest),
  ]);
  return {train, test};
}

function buildModel(args: TrainArgs, data: CommandData): tfl.Sequential {
  const options = {
    inputShape: data.inputShape,
    numClasses: data.classes,
    normalization: args.normalization,
    neuron: args.neuron,
    weightDecay: args.weightDecay,
    seed: args.seed,
    ...(args.timeSteps != null ? {timeSteps: args.timeSteps} : {}),
    ...(args.encoder != null ? {encoder: args.encoder} : {}),
    ...(args.leak != null ? {leak: args.leak} : {}),
  };
  return MODEL_BUILDERS[args.model](options);
}

function makeOptimizer(args: TrainArgs): tf.Optimizer {
  const lr = initialRate(args);
  return args.optimizer === 'adam' ? tf.train.adam(lr) : tf.train.momentum(lr, 0.9);
}

const initialRate = (args: TrainArgs) => args.lr ?? (args.optimizer === 'adam' ? 1e-3 : 0.1);

/** A fitDataset source over the data's batches, one fresh shuffle (and augmentation) per epoch. */
function epochSource(
  data: CommandData,
  options: Omit<EpochOptions, 'epoch'>,
  timeSteps: number,
  currentEpoch: () => number
) {
  return {
    async iterator() {
      let generator: Iterator<{x: tf.Tensor; y: tf.Tensor}> | null = null;
      return {
        async next() {
          generator ??= data.batches({...options, epoch: currentEpoch()}, timeSteps);
          const step = generator.next();
          return step.done ? {done: true, value: null} : {done: false, value: {xs: step.value.x, ys: step.value.y}};
        },
      };
    },
  };
}

function makeSchedule(args: Settings): EpochSchedule | null {
  if (args.schedule === 'step') return new StepDecay({epochs: args.epochs, initialRate: initialRate(args)});
  if (args.schedule === 'cosine') return new CosineDecay({epochs: args.epochs, initialRate: initialRate(args)});
  return null;
}

/** fit logs hold numbers or, before tfjs resolves them, scalar tensors. */
function logValue(value: unknown): number {
  if (value instanceof tf.Tensor) return value.dataSync()[0];
  return typeof value === 'number' ? value : NaN;
}

class EpochReporter extends tfl.Callback {
  epoch = 0;
  private started = 0;
  private seen = 0;
  private lossSum = 0;
  private accuracySum = 0;

  constructor(
    private readonly run: {
      args: Settings;
      state: RunState;
      optimizer: tf.Optimizer;
      summary: RunSummary;
      batchesPerEpoch: number;
      bar: ProgressBar;
      schedule: EpochSchedule | null;
      hooks: TrainHooks;
    }
  ) {
    super();
  }

  async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
    [this.started, this.seen, this.lossSum, this.accuracySum] = [Date.now(), 0, 0, 0];
  }

  async onBatchEnd(batch: number, logs?: tfl.Logs): Promise<void> {
    const size = logValue(logs?.size) || this.run.args.batchSize;
    this.seen += size;
    this.lossSum += logValue(logs?.loss) * size;
    this.accuracySum += logValue(logs?.acc) * size;
    const elapsed = (Date.now() - this.started) / 1000;
    this.run.bar.update({
      epoch: this.epoch + 1,
      epochs: this.run.args.epochs,
      done: batch + 1,
      total: this.run.batchesPerEpoch,
      loss: this.lossSum / this.seen,
      accuracy: this.accuracySum / this.seen,
      elapsedSeconds: elapsed,
      imagesPerSecond: this.seen / Math.max(elapsed, 1e-9),
    });
  }

  async onEpochEnd(epoch: number, logs?: tfl.Logs): Promise<void> {
    const seconds = (Date.now() - this.started) / 1000;
    const spikeRates: {[layer: string]: number} = {};
    for (const [key, value] of Object.entries(logs ?? {})) {
      if (key.startsWith(RATE_PREFIX)) spikeRates[key.slice(RATE_PREFIX.length)] = logValue(value);
    }
    const record: EpochRecord = {
      epoch: epoch + 1,
      learningRate: this.run.schedule?.rateAt(epoch, initialRate(this.run.args)) ?? initialRate(this.run.args),
      trainLoss: this.lossSum / this.seen,
      trainAccuracy: this.accuracySum / this.seen,
      testAccuracy: logValue(logs?.val_acc),
      seconds,
      imagesPerSecond: this.seen / seconds,
      spikeRates,
    };
    const {state, args} = this.run;
    state.history.push(record);
    state.epochsDone = epoch + 1;
    this.run.bar.finish(
      `epoch ${epoch + 1}/${args.epochs}: loss ${record.trainLoss.toFixed(4)}, train acc ` +
        `${(100 * record.trainAccuracy).toFixed(2)} %, test acc ${(100 * record.testAccuracy).toFixed(2)} %, ` +
        `${seconds.toFixed(1)} s, spike rates ${Object.values(spikeRates)
          .map(r => r.toFixed(3))
          .join(' ')}`
    );
    await saveCheckpoint(args.out, this.model as tfl.LayersModel, this.run.optimizer, state);
    if (epoch + 1 === args.epochs) this.run.hooks.afterStage?.('checkpoint');
    this.run.summary.neuronParameters = neuronParameters(this.model as tfl.LayersModel);
    writeReports(args.out, state, this.run.summary);
    if (this.run.hooks.stopAfterEpoch === epoch + 1) (this.model as tfl.LayersModel).stopTraining = true;
  }
}

/** `args` with the defaults it left open (learning rate, augmentation, the model's T, encoder and leak) filled in. */
function resolvedSettings(args: Settings, model: tfl.LayersModel): Settings {
  const first = model.layers[0];
  const lif = model.layers.find(isNeuron);
  if (isEventDataset(args.dataset) && args.augment === true) {
    throw new Error(`--augment: --dataset ${args.dataset} holds event recordings, which are not augmented`);
  }
  return {
    ...args,
    lr: initialRate(args),
    augment: args.augment ?? (!isEventDataset(args.dataset) && isCifar(args.dataset)),
    timeSteps: args.timeSteps ?? (modelTimeSteps(model) as number),
    encoder: args.encoder ?? (!isEncoder(first) ? 'none' : emitsSpikes(first) ? 'poisson' : 'direct'),
    leak: args.leak ?? (lif?.getConfig().leak as number | undefined) ?? null,
  };
}

function countParameters(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/** Saves model/ and the final reports of a run whose epochs are all done. */
async function finishRun(
  model: tfl.LayersModel,
  state: RunState,
  summary: RunSummary,
  out: Output,
  hooks: TrainHooks
): Promise<void> {
  const dir = state.args.out;
  await model.save(fileSystem(join(dir, 'model')));
  hooks.afterStage?.('model');
  summary.finished = true;
  summary.neuronParameters = neuronParameters(model);
  writeReports(dir, state, summary);
  hooks.afterStage?.('reports');
  out.write(`saved the model to ${resolve(dir, 'model')} and the reports to ${join(dir, 'report.md')}\n`);
}

/** Whether report.json in `dir` says that the run finished with `epochs` epochs. */
function reportedFinished(dir: string, epochs: number): boolean {
  try {
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    return report.finished === true && report.epochsDone === epochs;
  } catch {
    return false;
  }
}

/**
 * Runs `tfjs-snn train`; resolves with the final state (the model is in <out>/model). With --resume, a checkpoint
 * that has all the epochs (a run stopped after its last checkpoint, or a finished one) is finished: model/ and the
 * reports are written from it.
 */
export async function train(requested: TrainArgs, out: Output, hooks: TrainHooks = {}): Promise<RunState> {
  const backend = await useBackend(requested.backend, requested.threads);
  const checkpoint = requested.resume ? await loadCheckpoint(requested.out) : null;
  let model = checkpoint?.model as tfl.Sequential | undefined;
  let optimizer: tf.Optimizer | null = null;
  try {
    if (requested.resume && checkpoint == null) out.write(`no checkpoint in ${requested.out}; starting from epoch 1\n`);
    const done = checkpoint?.state.epochsDone ?? 0;
    if (requested.epochs != null && requested.epochs < done) {
      throw new Error(
        `--epochs ${requested.epochs}: the checkpoint in ${requested.out} already has ${done} epochs; ` +
          `give --epochs ${done} or more, or leave it out`
      );
    }
    // A resumed run keeps its settings; only the epoch count (when given), output, backend and threads come from this
    // command.
    const requestedArgs: Settings =
      checkpoint == null
        ? {...requested, epochs: requested.epochs ?? 3}
        : {
            ...checkpoint.state.args,
            epochs: requested.epochs ?? checkpoint.state.args.epochs ?? 3,
            out: requested.out,
            backend: requested.backend,
            threads: requested.threads,
            resume: true,
          };
    const {train: trainSet, test: testSet} = await loadData(requestedArgs);
    if (requestedArgs.batchSize > trainSet.count) {
      throw new Error(`--batch-size ${requestedArgs.batchSize} is larger than the ${trainSet.count} training images`);
    }

    model ??= buildModel(requestedArgs, trainSet);
    // The report and checkpoint hold every setting as used, the defaults filled in.
    const args = resolvedSettings(requestedArgs, model);
    const state: RunState = checkpoint?.state ?? {version: 1, args, backend, epochsDone: 0, history: []};
    state.args = args;
    state.backend = backend;
    const summary: RunSummary = {
      modelName: args.model,
      parameters: countParameters(model),
      trainImages: trainSet.count,
      testImages: testSet.count,
      finished: false,
    };
    if (state.epochsDone === args.epochs) {
      out.write(
        reportedFinished(args.out, state.epochsDone)
          ? `the run in ${args.out} had already finished its ${state.epochsDone} epochs (raise --epochs to ` +
              'train more); writing its model and reports again from the checkpoint\n'
          : `the checkpoint in ${args.out} has all ${state.epochsDone} epochs; finishing the run\n`
      );
      await finishRun(model, state, summary, out, hooks);
      return state;
    }
    const largest = largestBatch(model, backend, {
      subject: `--time-steps ${args.timeSteps}`,
      advice: 'lower --time-steps',
    });
    checkBatchSize(model, backend, '--batch-size', args.batchSize, largest, args.timeSteps!);
    mkdirSync(args.out, {recursive: true});

    optimizer = makeOptimizer(args);
    model.compile({optimizer, loss: softmaxCrossEntropy, metrics: ['accuracy']});
    if (checkpoint != null) await optimizer.setWeights(checkpoint.optimizerWeights);
    const augment = args.augment!;
    const batchesPerEpoch = batchCount(trainSet.count, args.batchSize, true);
    const schedule = makeSchedule(args);
    const reporter = new EpochReporter({
      args,
      state,
      optimizer,
      summary,
      batchesPerEpoch,
      schedule,
      hooks,
      bar: new ProgressBar(out),
    });
    // Evaluation runs up to 256 images at a time, fewer when a batch of 256 would not fit.
    const evaluationBatch = Math.min(256, largest);
    out.write(
      `training ${args.model} (${summary.parameters} parameters) on ${args.dataset}: ${trainSet.count} ` +
        `train / ${testSet.count} test ${trainSet.kind === 'events' ? `recordings (${args.timeSteps} frames each)` : 'images'}, batches of ${args.batchSize} (evaluation ${evaluationBatch}), ` +
        `backend ${backend}${(args.threads ?? 1) > 1 ? ` (${args.threads} threads)` : ''}, ${args.epochs} epochs from epoch ${state.epochsDone + 1}\n`
    );
    const source = (data: CommandData, training: boolean) =>
      epochSource(
        data,
        {
          batchSize: training ? args.batchSize : evaluationBatch,
          shuffle: training,
          seed: args.seed,
          augment: training && augment,
          dropLast: training,
        },
        args.timeSteps!,
        () => reporter.epoch
      );
    await model.fitDataset(source(trainSet, true) as never, {
      epochs: args.epochs,
      initialEpoch: state.epochsDone,
      validationData: source(testSet, false) as never,
      verbose: 0,
      callbacks: [...(schedule ? [schedule] : []), new SpikeRateMonitor({prefix: RATE_PREFIX}), reporter],
    });
    if (state.epochsDone === args.epochs) await finishRun(model, state, summary, out, hooks);
    return state; // or stopped by a hook
  } finally {
    // setWeights made the optimizer's variables from these tensors (sharing their data).
    if (checkpoint != null) tf.dispose(checkpoint.optimizerWeights.map(w => w.tensor));
    optimizer?.dispose();
    model?.dispose();
  }
}
