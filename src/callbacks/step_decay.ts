import {describeValue, optionNames} from '../errors';

import {argError, checkKnownArgs, commonScheduleArgs, EpochSchedule, isFiniteNumber} from './epoch_schedule';

const FN = 'stepDecay';

/** The options of `stepDecay`. */
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

const STEP_DECAY_DEFAULTS = {milestones: Object.freeze([0.5, 0.7, 0.9]), factor: 0.1};

const KNOWN_ARGS = optionNames<StepDecayArgs>({
  epochs: true,
  milestones: true,
  factor: true,
  initialRate: true,
  verbose: true,
});

function checkMilestones(value: unknown): number[] {
  const expected = 'an array of strictly increasing numbers, each in (0, 1]';
  if (!Array.isArray(value)) throw argError(FN, 'milestones', value, expected);
  let previous = 0;
  value.forEach((f: unknown, i) => {
    if (!isFiniteNumber(f) || f <= previous || f > 1) {
      throw argError(FN, 'milestones', value, `${expected} (entry ${i} is ${describeValue(f)})`);
    }
    previous = f;
  });
  return [...value] as number[];
}

interface ResolvedStepDecayArgs {
  epochs: number;
  milestoneEpochs: number[];
  factor: number;
  initialRate: number | null;
  verbose: boolean;
}

function resolveArgs(args: unknown): ResolvedStepDecayArgs {
  checkKnownArgs(FN, args, KNOWN_ARGS, '{epochs: 30}');
  const {epochs, initialRate, verbose} = commonScheduleArgs(FN, args as StepDecayArgs);
  const {milestones: requested, factor = STEP_DECAY_DEFAULTS.factor} = args as StepDecayArgs;
  const milestones = checkMilestones(requested ?? STEP_DECAY_DEFAULTS.milestones);
  if (!isFiniteNumber(factor) || factor <= 0 || factor > 1) {
    throw argError(FN, 'factor', factor, 'a number in (0, 1]');
  }
  const milestoneEpochs = milestones.map(f => Math.floor(f * epochs));
  return {epochs, milestoneEpochs, factor, initialRate, verbose};
}

/**
 * Multiplies the optimizer's learning rate by `factor` at each milestone epoch: epoch `e`
 * (0-based) trains with `initialRate · factor^(number of milestone epochs <= e)`.
 */
export class StepDecay extends EpochSchedule {
  /** The epochs (0-based) at whose start the rate is multiplied by `factor`, one per milestone. */
  readonly milestoneEpochs: readonly number[];
  readonly factor: number;

  constructor(args: StepDecayArgs) {
    const resolved = resolveArgs(args);
    super(FN, resolved.epochs, resolved.verbose, resolved.initialRate);
    this.milestoneEpochs = resolved.milestoneEpochs;
    this.factor = resolved.factor;
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
}

/**
 * The BNTT reference's step schedule (Kim & Panda 2021): the learning rate is divided by 10 at
 * 50 %, 70 % and 90 % of the epochs (`milestones`, `factor` change that). Works with every tfjs-core
 * optimizer. Page: docs/callbacks.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [8, 8, 1], numClasses: 3});
 * model.compile({optimizer: tf.train.momentum(0.1, 0.9), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
 * const x = tf.randomUniform([4, 8, 8, 1]), y = tf.oneHot([0, 1, 2, 0], 3);
 * const history = await model.fit(x, y, {epochs: 10, callbacks: [snn.callbacks.stepDecay({epochs: 10})]});
 * console.log(history.history.lr);  // [0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001]
 * ```
 */
export function stepDecay(args: StepDecayArgs): StepDecay {
  return new StepDecay(args);
}
