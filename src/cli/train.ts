/**
 * `tfjs-snn train`: loads a dataset, builds a BNTT model, trains it with
 * model.fitDataset (progress bar, step schedule, spike rates, validation), and
 * writes a checkpoint and the reports after every epoch and the model at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {mkdirSync} from 'node:fs';
import {join, resolve} from 'node:path';

import {SpikeRateMonitor} from '../callbacks/spike_rate_monitor';
import {CosineDecay} from '../callbacks/cosine_decay';
import type {EpochSchedule} from '../callbacks/epoch_schedule';
import {StepDecay} from '../callbacks/step_decay';
import {ImageDataset} from '../data/dataset';
import {batchCount, batches} from '../data/pipeline';
import {fileSystem} from '../io/file_system';
import {small} from '../models/small';
import {vgg11, vgg9} from '../models/vgg';
import {TrainArgs} from './args';
import {useBackend} from './backend';
import {EpochRecord, loadCheckpoint, RunState, saveCheckpoint} from './checkpoint';
import {firstImages, loadSplit} from './datasets';
import {ProgressBar} from './progress';
import {RunSummary, writeReports} from './report';

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** For tests: stop after an epoch as an interrupted run would. */
export interface TrainHooks {
  stopAfterEpoch?: number;
}

const RATE_PREFIX = 'spikeRate/';
const softmaxCrossEntropy = (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits);

export async function loadData(args: TrainArgs): Promise<{train: ImageDataset, test: ImageDataset}> {
  const [train, test] = await Promise.all([loadSplit(args, 'train'), loadSplit(args, 'test')]);
  return {train: firstImages(train, args.limitTrain), test: firstImages(test, args.limitTest)};
}

function buildModel(args: TrainArgs, data: ImageDataset): tfl.Sequential {
  const options = {
    inputShape: [data.height, data.width, data.channels] as [number, number, number],
    numClasses: data.classes,
    normalization: args.normalization,
    weightDecay: args.weightDecay,
    seed: args.seed,
    ...(args.timeSteps != null ? {timeSteps: args.timeSteps} : {}),
    ...(args.encoder != null ? {encoder: args.encoder} : {}),
    ...(args.leak != null ? {leak: args.leak} : {}),
  };
  return args.model === 'vgg9' ? vgg9(options) : args.model === 'vgg11' ? vgg11(options) : small(options);
}

function makeOptimizer(args: TrainArgs): tf.Optimizer {
  const lr = initialRate(args);
  return args.optimizer === 'adam' ? tf.train.adam(lr) : tf.train.momentum(lr, 0.9);
}

const initialRate = (args: TrainArgs) => args.lr ?? (args.optimizer === 'adam' ? 1e-3 : 0.1);

/** A fitDataset source over `batches`, one fresh shuffle (and augmentation) per epoch. */
function epochSource(data: ImageDataset, options: {batchSize: number, shuffle: boolean, seed: number,
                                                   augment: boolean, dropLast: boolean},
                     currentEpoch: () => number) {
  return {
    async iterator() {
      let generator: ReturnType<typeof batches>|null = null;
      return {
        async next() {
          generator ??= batches(data, {...options, epoch: currentEpoch()});
          const step = generator.next();
          return step.done ? {done: true, value: null} : {done: false, value: {xs: step.value.x, ys: step.value.y}};
        },
      };
    },
  };
}

function makeSchedule(args: TrainArgs): EpochSchedule|null {
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

  constructor(private readonly run: {args: TrainArgs, state: RunState, optimizer: tf.Optimizer, summary: RunSummary,
                                     batchesPerEpoch: number, bar: ProgressBar, schedule: EpochSchedule|null,
                                     hooks: TrainHooks}) {
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
    this.run.bar.update({epoch: this.epoch + 1, epochs: this.run.args.epochs, done: batch + 1,
                         total: this.run.batchesPerEpoch, loss: this.lossSum / this.seen,
                         accuracy: this.accuracySum / this.seen, elapsedSeconds: elapsed,
                         imagesPerSecond: this.seen / Math.max(elapsed, 1e-9)});
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
    this.run.bar.finish(`epoch ${epoch + 1}/${args.epochs}: loss ${record.trainLoss.toFixed(4)}, train acc ` +
                        `${(100 * record.trainAccuracy).toFixed(2)} %, test acc ${(100 * record.testAccuracy).toFixed(2)} %, ` +
                        `${seconds.toFixed(1)} s, spike rates ${Object.values(spikeRates).map(r => r.toFixed(3)).join(' ')}`);
    await saveCheckpoint(args.out, this.model as tfl.LayersModel, this.run.optimizer, state);
    writeReports(args.out, state, this.run.summary);
    if (this.run.hooks.stopAfterEpoch === epoch + 1) (this.model as tfl.LayersModel).stopTraining = true;
  }
}

/** `args` with the defaults it left open (learning rate, augmentation, the model's T, encoder and leak) filled in. */
function resolvedSettings(args: TrainArgs, model: tfl.LayersModel): TrainArgs {
  const encoder = model.layers[0];
  const lif = model.layers.find(layer => layer.getClassName() === 'SnnLif');
  const className = encoder.getClassName();
  return {
    ...args,
    lr: initialRate(args),
    augment: args.augment ?? (args.dataset === 'cifar10' || args.dataset === 'cifar100'),
    timeSteps: args.timeSteps ?? (encoder.getConfig().timeSteps as number),
    encoder: args.encoder ?? (className === 'SnnPoissonEncoder' ? 'poisson' : 'direct'),
    leak: args.leak ?? (lif?.getConfig().leak as number),
  };
}

function countParameters(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/** Runs `tfjs-snn train`; resolves with the final state (the model is in <out>/model). */
export async function train(requested: TrainArgs, out: Output, hooks: TrainHooks = {}): Promise<RunState> {
  const backend = await useBackend(requested.backend);
  const checkpoint = requested.resume ? await loadCheckpoint(requested.out) : null;
  if (requested.resume && checkpoint == null) out.write(`no checkpoint in ${requested.out}; starting from epoch 1\n`);
  // A resumed run keeps its settings; only the epoch count, output and backend come from this command.
  const requestedArgs: TrainArgs = checkpoint == null ? requested :
      {...checkpoint.state.args, epochs: requested.epochs, out: requested.out, backend: requested.backend, resume: true};
  const {train: trainSet, test: testSet} = await loadData(requestedArgs);
  mkdirSync(requestedArgs.out, {recursive: true});

  const model = checkpoint?.model as tfl.Sequential ?? buildModel(requestedArgs, trainSet);
  // The report and checkpoint hold every setting as used, the defaults filled in.
  const args = resolvedSettings(requestedArgs, model);
  const optimizer = makeOptimizer(args);
  model.compile({optimizer, loss: softmaxCrossEntropy, metrics: ['accuracy']});
  if (checkpoint != null) await optimizer.setWeights(checkpoint.optimizerWeights);
  const state: RunState = checkpoint?.state ?? {version: 1, args, backend, epochsDone: 0, history: []};
  state.args = args;
  state.backend = backend;
  if (state.epochsDone >= args.epochs) {
    out.write(`the checkpoint already has ${state.epochsDone} epochs; raise --epochs to train more\n`);
    return state;
  }

  const summary: RunSummary = {modelName: args.model, parameters: countParameters(model), trainImages: trainSet.count,
                               testImages: testSet.count, finished: false};
  const augment = args.augment!;
  const batchesPerEpoch = batchCount(trainSet.count, args.batchSize, true);
  if (batchesPerEpoch === 0) {
    throw new Error(`--batch-size ${args.batchSize} is larger than the ${trainSet.count} training images`);
  }
  const schedule = makeSchedule(args);
  const reporter = new EpochReporter({args, state, optimizer, summary, batchesPerEpoch, schedule, hooks,
                                      bar: new ProgressBar(out)});
  out.write(`training ${args.model} (${summary.parameters} parameters) on ${args.dataset}: ${trainSet.count} train / ` +
            `${testSet.count} test images, backend ${backend}, ${args.epochs} epochs from epoch ${state.epochsDone + 1}\n`);
  const source = (data: ImageDataset, training: boolean) => epochSource(
      data, {batchSize: training ? args.batchSize : 256, shuffle: training, seed: args.seed, augment: training && augment,
             dropLast: training},
      () => reporter.epoch);
  await model.fitDataset(source(trainSet, true) as never, {
    epochs: args.epochs,
    initialEpoch: state.epochsDone,
    validationData: source(testSet, false) as never,
    verbose: 0,
    callbacks: [...(schedule ? [schedule] : []), new SpikeRateMonitor({prefix: RATE_PREFIX}), reporter],
  });

  if (state.epochsDone < args.epochs) {  // stopped by a hook
    optimizer.dispose();
    model.dispose();
    return state;
  }
  await model.save(fileSystem(join(args.out, 'model')));
  summary.finished = true;
  writeReports(args.out, state, summary);
  out.write(`saved the model to ${resolve(args.out, 'model')} and the reports to ${join(args.out, 'report.md')}\n`);
  optimizer.dispose();
  model.dispose();
  return state;
}
