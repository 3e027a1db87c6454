/**
 * What the learning-rate schedules (stepDecay, cosineDecay) share: setting the rate of any
 * tfjs-core optimizer at the start of every epoch, logging it as `lr`, and continuing a schedule
 * across fits resumed with `initialEpoch`.
 */
import type {Optimizer} from '@tensorflow/tfjs-core';
import {Callback} from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';

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
 * Adadelta read the plain number `learningRate` on every `applyGradients`. `fn` names the
 * schedule in errors.
 */
export function rateHandleFor(optimizer: Optimizer | null | undefined, fn: string): RateHandle {
  const fields = (optimizer ?? {}) as RateFields;
  if (optimizer == null || typeof fields.learningRate !== 'number') {
    const className = optimizer == null ? String(optimizer) : optimizer.constructor.name;
    throw new Error(
      `${fn}: cannot set the learning rate of the model's optimizer (class ${className}); ` +
        'expected a tfjs-core optimizer with a numeric `learningRate` field that `applyGradients` ' +
        'reads (Adam, Adamax, RMSProp, Adagrad, Adadelta) or a `setLearningRate(rate)` method ' +
        '(SGD, Momentum). Compile the model with such an optimizer.'
    );
  }
  const read = () => fields.learningRate as number;
  if (typeof fields.setLearningRate === 'function') {
    const setLearningRate = fields.setLearningRate as (rate: number) => void;
    return {optimizer, read, write: rate => setLearningRate.call(optimizer, rate)};
  }
  return {
    optimizer,
    read,
    write: rate => {
      fields.learningRate = rate;
    },
  };
}

/**
 * Per optimizer, the undecayed rate a schedule started from and the last rate it wrote. A later
 * schedule (e.g. a new instance for a fit resumed with `initialEpoch`) that finds the optimizer
 * still at that last rate continues the same schedule instead of decaying the already-decayed
 * rate again.
 */
const scheduleStarts = new WeakMap<object, {initialRate: number; lastWrittenRate: number}>();

function scheduleStartOf(handle: RateHandle): number {
  const earlier = scheduleStarts.get(handle.optimizer);
  const currentRate = handle.read();
  return earlier != null && earlier.lastWrittenRate === currentRate ? earlier.initialRate : currentRate;
}

type EpochLogs = Parameters<Callback['onEpochEnd']>[1];

/**
 * A rate as logged (console and the `lr` epoch log): to 15 significant digits, so the float64 noise of the
 * reference's repeated `lr /= 10` (1e-3 / 10 / 10 / 10 = 1.0000000000000002e-6) reads 1e-6. The optimizer
 * still gets the unrounded rate.
 */
export function loggedRate(rate: number): number {
  return Number.isFinite(rate) ? Number(rate.toPrecision(15)) : rate;
}

export function argError(fn: string, name: string, value: unknown, expected: string): Error {
  return new Error(`${fn}: argument '${name}' must be ${expected}; got ${describeValue(value)}`);
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Throws unless `args` is an object whose keys are all in `known`; `example` shows a valid one. */
export function checkKnownArgs(fn: string, args: unknown, known: readonly string[], example: string): void {
  if (args == null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`${fn}: expects an object like ${example}; got ${describeValue(args)}`);
  }
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) {
      throw new Error(`${fn}: unknown argument '${key}'; expected one of ${known.join(', ')}`);
    }
  }
}

/** The arguments every schedule takes, checked. */
export function commonScheduleArgs(
  fn: string,
  args: {epochs: unknown; initialRate?: unknown; verbose?: unknown}
): {epochs: number; initialRate: number | null; verbose: boolean} {
  const {epochs} = args;
  if (!Number.isInteger(epochs) || (epochs as number) < 1) throw argError(fn, 'epochs', epochs, 'an integer >= 1');
  const initialRate = args.initialRate ?? null;
  if (initialRate != null && (!isFiniteNumber(initialRate) || initialRate <= 0)) {
    throw argError(fn, 'initialRate', initialRate, 'a finite number > 0');
  }
  const verbose = args.verbose ?? false;
  if (typeof verbose !== 'boolean') throw argError(fn, 'verbose', verbose, 'a boolean');
  return {epochs: epochs as number, initialRate, verbose};
}

/**
 * Sets the optimizer's learning rate to `rateAt(epoch, initialRate)` at the start of every epoch
 * and records it in the epoch logs as `lr`. `initialRate`: as given, else the optimizer's rate when
 * training begins (or, for a resumed schedule, the rate the earlier one started from).
 */
export abstract class EpochSchedule extends Callback {
  private initialRate = NaN;
  private rateHandle: RateHandle | null = null;
  private currentRate = NaN;

  protected constructor(
    private readonly fn: string,
    readonly epochs: number,
    readonly verbose: boolean,
    private readonly requestedInitialRate: number | null
  ) {
    super();
  }

  /** The rate of `epoch` (0-based) for a schedule starting from `initialRate`. */
  abstract rateAt(epoch: number, initialRate?: number): number;

  /** Called by `model.fit`: finds the optimizer's learning rate and the schedule's initial rate. */
  override async onTrainBegin(): Promise<void> {
    const handle = rateHandleFor(this.model?.optimizer, this.fn);
    this.rateHandle = handle;
    this.initialRate = this.requestedInitialRate ?? scheduleStartOf(handle);
    scheduleStarts.set(handle.optimizer, {initialRate: this.initialRate, lastWrittenRate: handle.read()});
  }

  /** Called by `model.fit`: sets the learning rate of `epoch`. */
  override async onEpochBegin(epoch: number): Promise<void> {
    const handle = this.rateHandle;
    if (handle == null) throw new Error(`${this.fn}: onEpochBegin called before onTrainBegin`);
    const rate = this.rateAt(epoch, this.initialRate);
    const previousRate = handle.read();
    if (rate !== previousRate) {
      handle.write(rate);
      if (this.verbose) {
        console.log(`${this.fn}: epoch ${epoch}: learning rate ${loggedRate(previousRate)} -> ${loggedRate(rate)}`);
      }
    }
    this.currentRate = rate;
    scheduleStarts.set(handle.optimizer, {initialRate: this.initialRate, lastWrittenRate: rate});
  }

  /** Called by `model.fit`: records the epoch's rate in its logs as `lr`. */
  override async onEpochEnd(_epoch: number, logs?: EpochLogs): Promise<void> {
    if (logs != null) logs.lr = loggedRate(this.currentRate);
  }
}
