import {optionNames} from '../errors';
import {argError, checkKnownArgs, commonScheduleArgs, EpochSchedule, isFiniteNumber} from './epoch_schedule';

const FN = 'cosineDecay';

/** The options of `cosineDecay`. */
export interface CosineDecayArgs {
  /** Total epochs of the training run the schedule is laid over (integer >= 1). */
  epochs: number;
  /** Rate at epoch 0, finite and > 0. Default: the optimizer's rate when training begins. */
  initialRate?: number;
  /** The rate the curve falls towards (reached at epoch `epochs`, one past the last), >= 0. Default 0. */
  minRate?: number;
  /** Log each change of the rate with `console.log`. Default false. */
  verbose?: boolean;
}

const KNOWN_ARGS = optionNames<CosineDecayArgs>({epochs: true, initialRate: true, minRate: true, verbose: true});

/**
 * Cosine annealing per epoch: epoch `e` (0-based) trains with
 * `minRate + (initialRate − minRate) · (1 + cos(π·e / epochs)) / 2`.
 */
export class CosineDecay extends EpochSchedule {
  readonly minRate: number;

  constructor(args: CosineDecayArgs) {
    checkKnownArgs(FN, args, KNOWN_ARGS, '{epochs: 30}');
    const {epochs, initialRate, verbose} = commonScheduleArgs(FN, args);
    const minRate = args.minRate ?? 0;
    if (!isFiniteNumber(minRate) || minRate < 0 || (initialRate != null && minRate >= initialRate)) {
      throw argError(FN, 'minRate', minRate, `a finite number >= 0${initialRate != null ? ' and < initialRate' : ''}`);
    }
    super(FN, epochs, verbose, initialRate);
    this.minRate = minRate;
  }

  /** The rate of `epoch` (0-based) for a schedule starting from `initialRate`. */
  rateAt(epoch: number, initialRate = 1): number {
    return this.minRate + ((initialRate - this.minRate) * (1 + Math.cos((Math.PI * epoch) / this.epochs))) / 2;
  }
}

/**
 * Cosine annealing of the learning rate, once per epoch, from the optimizer's rate down towards
 * `minRate` (default 0): the schedule `tfjs-snn train` uses by default. Works with every tfjs-core
 * optimizer. Page: docs/callbacks.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [8, 8, 1], numClasses: 3});
 * model.compile({optimizer: tf.train.adam(1e-3), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
 * const x = tf.randomUniform([4, 8, 8, 1]), y = tf.oneHot([0, 1, 2, 0], 3);
 * const history = await model.fit(x, y, {epochs: 4, callbacks: [snn.callbacks.cosineDecay({epochs: 4})]});
 * console.log(history.history.lr);  // [0.001, 0.000854, 0.0005, 0.000146]
 * ```
 */
export function cosineDecay(args: CosineDecayArgs): CosineDecay {
  return new CosineDecay(args);
}
