import type {Optimizer} from '@tensorflow/tfjs-core';
import {Callback} from '@tensorflow/tfjs-layers';

import {describeValue} from '../ops/lif_options';

const FN = 'stepDecay';

export interface StepDecayArgs {
  /** Total epochs of the training run the schedule is laid over (integer >= 1). */
  epochs: number;
  /**
   * Fractions of `epochs`, each in (0, 1] and strictly increasing; milestone epoch =
   * `Math.floor(f * epochs)`. Default `[0.5, 0.7, 0.9]` (the BNTT reference).
   */
  milestones?: number[];
  /** Multiplies the rate at each milestone, in (0, 1]. Default 0.1. */
  factor?: number;
  /** Rate at epoch 0, finite and > 0. Default: the optimizer's rate when training begins. */
  initialRate?: number;
  /** Log each change of the rate with `console.log`. Default false. */
  verbose?: boolean;
}

const STEP_DECAY_DEFAULTS = {milestones: Object.freeze([0.5, 0.7, 0.9]), factor: 0.1, verbose: false};

const KNOWN_ARGS = new Set(['epochs', 'milestones', 'factor', 'initialRate', 'verbose']);

function argError(name: string, value: unknown, expected: string): Error {
  return new Error(`${FN}: argument '${name}' must be ${expected}; got ${describeValue(value)}`);
}

function checkKnownArgs(args: unknown): asserts args is StepDecayArgs {
  if (args == null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`${FN}: expects an object like {epochs: 30}; got ${describeValue(args)}`);
  }
  for (const key of Object.keys(args)) {
    if (!KNOWN_ARGS.has(key)) {
      throw new Error(`${FN}: unknown argument '${key}'; expected one of ${[...KNOWN_ARGS].join(', ')}`);
    }
  }
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function checkMilestones(value: unknown): number[] {
  const expected = 'an array of strictly increasing numbers, each in (0, 1]';
  if (!Array.isArray(value)) throw argError('milestones', value, expected);
  let previous = 0;
  value.forEach((f: unknown, i) => {
    if (!isFiniteNumber(f) || f <= previous || f > 1) {
      throw argError('milestones', value, `${expected} (entry ${i} is ${describeValue(f)})`);
    }
    previous = f;
  });
  return [...value] as number[];
}

interface ResolvedStepDecayArgs {
  epochs: number;
  milestoneEpochs: number[];
  factor: number;
  initialRate: number|null;
  verbose: boolean;
}

function resolveArgs(args: unknown): ResolvedStepDecayArgs {
  checkKnownArgs(args);
  const {epochs} = args;
  if (!Number.isInteger(epochs) || epochs < 1) throw argError('epochs', epochs, 'an integer >= 1');
  const milestones = checkMilestones(args.milestones ?? STEP_DECAY_DEFAULTS.milestones);
  const factor = args.factor ?? STEP_DECAY_DEFAULTS.factor;
  if (!isFiniteNumber(factor) || factor <= 0 || factor > 1) {
    throw argError('factor', factor, 'a number in (0, 1]');
  }
  const initialRate = args.initialRate ?? null;
  if (initialRate != null && (!isFiniteNumber(initialRate) || initialRate <= 0)) {
    throw argError('initialRate', initialRate, 'a finite number > 0');
  }
  const verbose = args.verbose ?? STEP_DECAY_DEFAULTS.verbose;
  if (typeof verbose !== 'boolean') throw argError('verbose', verbose, 'a boolean');
  const milestoneEpochs = milestones.map(f => Math.floor(f * epochs));
  return {epochs, milestoneEpochs, factor, initialRate, verbose};
}

/** How the rate of one optimizer is read and written. */
interface RateHandle {
  optimizer: object;
  read(): number;
  write(rate: number): void;
}

interface RateFields {
  learningRate?: unknown;
  setLearningRate?: unknown;
}

/**
 * tfjs-core 4.22: SGD and Momentum multiply by a cached scalar `c = -rate`, which only
 * `setLearningRate` rebuilds (disposing the old one); Adam, Adamax, RMSProp, Adagrad and
 * Adadelta read the plain number `learningRate` on every `applyGradients`.
 */
export function rateHandleFor(optimizer: Optimizer|null|undefined): RateHandle {
  const fields = (optimizer ?? {}) as RateFields;
  if (optimizer == null || typeof fields.learningRate !== 'number') {
    const className = optimizer == null ? String(optimizer) : optimizer.constructor.name;
    throw new Error(
        `${FN}: cannot set the learning rate of the model's optimizer (class ${className}); ` +
        'expected a tfjs-core optimizer with a numeric `learningRate` field that `applyGradients` ' +
        'reads (Adam, Adamax, RMSProp, Adagrad, Adadelta) or a `setLearningRate(rate)` method ' +
        '(SGD, Momentum). Compile the model with such an optimizer.');
  }
  const read = () => fields.learningRate as number;
  if (typeof fields.setLearningRate === 'function') {
    const setLearningRate = fields.setLearningRate as (rate: number) => void;
    return {optimizer, read, write: rate => setLearningRate.call(optimizer, rate)};
  }
  return {optimizer, read, write: rate => { fields.learningRate = rate; }};
}

/**
 * Per optimizer, the undecayed rate a stepDecay schedule started from and the last rate it
 * wrote. A later stepDecay (e.g. a new instance for a fit resumed with `initialEpoch`) that finds
 * the optimizer still at that last rate continues the same schedule instead of decaying the
 * already-decayed rate again.
 */
const scheduleStarts = new WeakMap<object, {initialRate: number, lastWrittenRate: number}>();

function scheduleStartOf(handle: RateHandle): number {
  const earlier = scheduleStarts.get(handle.optimizer);
  const currentRate = handle.read();
  return earlier != null && earlier.lastWrittenRate === currentRate ? earlier.initialRate : currentRate;
}

type EpochLogs = Parameters<Callback['onEpochEnd']>[1];

/**
 * Multiplies the optimizer's learning rate by `factor` at each milestone epoch: epoch `e`
 * (0-based) trains with `initialRate · factor^(number of milestone epochs <= e)`.
 */
export class StepDecay extends Callback {
  readonly epochs: number;
  /** The epochs (0-based) at whose start the rate is multiplied by `factor`, one per milestone. */
  readonly milestoneEpochs: readonly number[];
  readonly factor: number;
  readonly verbose: boolean;
  private readonly requestedInitialRate: number|null;
  private initialRate = NaN;
  private rateHandle: RateHandle|null = null;
  private currentRate = NaN;

  constructor(args: StepDecayArgs) {
    super();
    const resolved = resolveArgs(args);
    this.epochs = resolved.epochs;
    this.milestoneEpochs = resolved.milestoneEpochs;
    this.factor = resolved.factor;
    this.verbose = resolved.verbose;
    this.requestedInitialRate = resolved.initialRate;
  }

  /**
   * The rate the schedule gives `epoch` (0-based) when it starts from `initialRate`:
   * `initialRate · factor^(number of milestone epochs <= epoch)`.
   */
  rateAt(epoch: number, initialRate = 1): number {
    // For factor 1/n (0.1, 0.5, ...) divide by n: bit for bit the reference's `lr /= 10`,
    // and logged rates read 0.01 rather than 0.010000000000000002.
    const divisor = 1 / this.factor;
    const step = Number.isInteger(divisor) ? (rate: number) => rate / divisor : (rate: number) => rate * this.factor;
    return this.milestoneEpochs.reduce((rate, milestone) => (milestone <= epoch ? step(rate) : rate), initialRate);
  }

  override async onTrainBegin(): Promise<void> {
    const handle = rateHandleFor(this.model?.optimizer);
    this.rateHandle = handle;
    this.initialRate = this.requestedInitialRate ?? scheduleStartOf(handle);
    scheduleStarts.set(handle.optimizer, {initialRate: this.initialRate, lastWrittenRate: handle.read()});
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    const handle = this.rateHandle;
    if (handle == null) throw new Error(`${FN}: onEpochBegin called before onTrainBegin`);
    const rate = this.rateAt(epoch, this.initialRate);
    const previousRate = handle.read();
    if (rate !== previousRate) {
      handle.write(rate);
      if (this.verbose) console.log(`${FN}: epoch ${epoch}: learning rate ${previousRate} -> ${rate}`);
    }
    this.currentRate = rate;
    scheduleStarts.set(handle.optimizer, {initialRate: this.initialRate, lastWrittenRate: rate});
  }

  override async onEpochEnd(_epoch: number, logs?: EpochLogs): Promise<void> {
    if (logs != null) logs.lr = this.currentRate;
  }
}

/**
 * The BNTT reference's step schedule (Kim & Panda 2021): the learning rate is divided by 10 at
 * 50 %, 70 % and 90 % of the epochs. Works with every tfjs-core optimizer.
 */
export function stepDecay(args: StepDecayArgs): StepDecay {
  return new StepDecay(args);
}
