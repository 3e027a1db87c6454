import {
  add,
  concat,
  engine,
  getBackend,
  getKernel,
  moments,
  mul,
  ones,
  reshape,
  rsqrt,
  serialization,
  slice,
  sub,
  Tensor,
  tidy,
  tile,
  zeros,
} from '@tensorflow/tfjs-core';
import {LayerVariable, Shape} from '@tensorflow/tfjs-layers';

import {BNTT_TRAIN, BnttTrainAttrs} from '../../kernels/bntt_attrs';

import {
  booleanArg,
  checkTensorSize,
  deserializeObject,
  formatShape,
  layerArgs,
  numberIn,
  oneOfArg,
  optionalSizeArg,
  serializeObject,
  OwnArgs,
} from './layer_utils';
import {optionNames} from '../errors';
import type {NormalizationRole} from './roles';
import {Kwargs, LayerArgs, SpikingLayer} from './spiking_layer';
import {ConstraintIdentifier, InitializerIdentifier, RegularizerIdentifier} from './weight_args';

const EXTRA_STEPS = ['error', 'repeatLast'] as const;
/** What inference does with more steps than the layer was built for. */
export type ExtraStepsPolicy = (typeof EXTRA_STEPS)[number];

/** The options of `bntt` (all optional), besides tf.layers' own (`name`, `inputShape`, …). */
export interface BnttArgs extends LayerArgs {
  /** Added to the variance. Default 1e-4 (the reference's). */
  epsilon?: number;
  /** Keras convention: `moving = momentum·moving + (1 − momentum)·batch`. Default 0.9 (PyTorch's 0.1). */
  momentum?: number;
  /** Learn a shift beta[t] per step and channel. Default false (the reference has none). */
  center?: boolean;
  /** Learn a scale gamma[t] per step and channel. Default true. */
  scale?: boolean;
  /**
   * T, the rows of every weight. Default: the input's time axis. Needed when that axis is `null`; an input with
   * fewer steps then uses the first rows (early exit).
   */
  timeSteps?: number;
  /** Inference on more steps than T: `'error'` (default) or `'repeatLast'` (steps ≥ T use step T−1's parameters). */
  extraSteps?: ExtraStepsPolicy;
  gammaInitializer?: InitializerIdentifier;
  betaInitializer?: InitializerIdentifier;
  movingMeanInitializer?: InitializerIdentifier;
  movingVarianceInitializer?: InitializerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
  betaRegularizer?: RegularizerIdentifier;
  gammaConstraint?: ConstraintIdentifier;
  betaConstraint?: ConstraintIdentifier;
}

const BNTT_ARG_NAMES = optionNames<OwnArgs<BnttArgs>>({
  epsilon: true,
  momentum: true,
  center: true,
  scale: true,
  timeSteps: true,
  extraSteps: true,
  gammaInitializer: true,
  betaInitializer: true,
  movingMeanInitializer: true,
  movingVarianceInitializer: true,
  gammaRegularizer: true,
  betaRegularizer: true,
  gammaConstraint: true,
  betaConstraint: true,
});

/**
 * Batch normalization through time (Kim & Panda, 2021): separate statistics
 * and a separate scale for every time step t,
 *
 *   y[b, t, ..., c] = gamma[t, c] · (x[b, t, ..., c] − μ[t, c]) / sqrt(σ²[t, c] + ε) (+ beta[t, c])
 *
 * In training μ and σ² are the current batch's mean and (biased) variance at
 * step t over batch and spatial axes, and the moving statistics are updated
 * with the unbiased variance; in inference the moving statistics of step t are
 * used. Input `[batch, time, ...spatial, channels]`; T and C come from the input
 * shape at build. Weights, in order: `gamma [T, C]`, `beta [T, C]` (when
 * `center`), `moving_mean [T, C]`, `moving_variance [T, C]`.
 * Fewer steps than T at inference use the first steps (early exit).
 *
 * ```js
 * model.add(snn.layers.spikingConv2d({filters: 64, kernelSize: 3}));
 * model.add(snn.layers.bntt());              // epsilon 1e-4, momentum 0.9
 * model.add(snn.layers.lif({leak: 0.95}));
 * ```
 */
export class Bntt extends SpikingLayer implements NormalizationRole {
  static className = 'SnnBntt';
  readonly snnRole = 'normalization' as const;
  protected readonly minRank = 3;
  protected readonly maxRank = Infinity;
  protected readonly layout = '[batch, time, ...spatial, channels]';
  readonly epsilon: number;
  readonly momentum: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly extraSteps: ExtraStepsPolicy;
  /** T, known once built. */
  timeSteps?: number;
  private readonly initializers: {[name: string]: ReturnType<typeof deserializeObject>};
  private gamma?: LayerVariable;
  private beta?: LayerVariable;
  private movingMean?: LayerVariable;
  private movingVariance?: LayerVariable;

  /** One set of statistics and scales for every step (plain batch norm, the paper's baseline) instead of per step. */
  protected get sharedOverTime(): boolean {
    return false;
  }

  constructor(args: BnttArgs = {}, name = 'bntt', argNames = BNTT_ARG_NAMES) {
    super(layerArgs(name, args, argNames));
    this.epsilon = numberIn(name, 'epsilon', args.epsilon ?? 1e-4, 'a finite number > 0', x => x > 0);
    this.momentum = numberIn(name, 'momentum', args.momentum ?? 0.9, 'a number in [0, 1]', x => x >= 0 && x <= 1);
    this.center = booleanArg(name, 'center', args.center ?? false);
    this.scale = booleanArg(name, 'scale', args.scale ?? true);
    this.timeSteps = optionalSizeArg(name, 'timeSteps', args.timeSteps);
    this.extraSteps = oneOfArg(name, 'extraSteps', args.extraSteps ?? 'error', EXTRA_STEPS);
    const get = (arg: string, kind: string, fallback?: string) =>
      deserializeObject(name, arg, kind, ((args as {[k: string]: unknown})[arg] as never) ?? fallback);
    this.initializers = {
      gammaInitializer: get('gammaInitializer', 'initializers', 'ones'),
      betaInitializer: get('betaInitializer', 'initializers', 'zeros'),
      movingMeanInitializer: get('movingMeanInitializer', 'initializers', 'zeros'),
      movingVarianceInitializer: get('movingVarianceInitializer', 'initializers', 'ones'),
      gammaRegularizer: get('gammaRegularizer', 'regularizers'),
      betaRegularizer: get('betaRegularizer', 'regularizers'),
      gammaConstraint: get('gammaConstraint', 'constraints'),
      betaConstraint: get('betaConstraint', 'constraints'),
    };
  }

  private stepsAndChannels(inputShape: Shape | Shape[]): [number, number] {
    const shape = this.timeInputShape(inputShape);
    const [inputSteps, channels] = [shape[1], shape[shape.length - 1]];
    if (channels == null) {
      throw new Error(
        `${this.label}: the channel dimension (last axis) must be known; got shape ${formatShape(shape)}`
      );
    }
    if (this.sharedOverTime) return [1, channels];
    const steps = this.timeSteps ?? inputSteps;
    if (steps == null) {
      throw new Error(
        `${this.label}: the time axis of the input is not fixed (shape ${formatShape(shape)}); ` +
          `give the number of steps with argument 'timeSteps'`
      );
    }
    if (inputSteps != null && inputSteps > steps && this.extraSteps === 'error') {
      throw new Error(
        `${this.label}: the input has ${inputSteps} time steps (axis 1, shape ${formatShape(shape)}) ` +
          `but argument 'timeSteps' is ${steps}; give timeSteps >= ${inputSteps} or extraSteps: 'repeatLast'`
      );
    }
    return [steps, channels];
  }

  build(inputShape: Shape | Shape[]): void {
    const [steps, channels] = this.stepsAndChannels(inputShape);
    if (!this.sharedOverTime) this.timeSteps = steps;
    const shape = [steps, channels];
    checkTensorSize(this.label, 'the weights', shape, `the number of steps (${steps}) times channels (${channels})`);
    const init = this.initializers as {[name: string]: never};
    if (this.scale) {
      this.gamma = this.addWeight(
        'gamma',
        shape,
        'float32',
        init.gammaInitializer,
        init.gammaRegularizer,
        true,
        init.gammaConstraint
      );
    }
    if (this.center) {
      this.beta = this.addWeight(
        'beta',
        shape,
        'float32',
        init.betaInitializer,
        init.betaRegularizer,
        true,
        init.betaConstraint
      );
    }
    this.movingMean = this.addWeight('moving_mean', shape, 'float32', init.movingMeanInitializer, undefined, false);
    this.movingVariance = this.addWeight(
      'moving_variance',
      shape,
      'float32',
      init.movingVarianceInitializer,
      undefined,
      false
    );
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.timeInputShape(inputShape);
  }

  /** Rows `first … first + steps − 1` of a [T, C] parameter, the last row repeated past T when the policy allows. */
  /** The learnt scales per step, gamma `[T, channels]` (null for spikingBatchNorm, shared over time, or scale: false). */
  stepScales(): Tensor | null {
    return this.sharedOverTime || this.gamma == null ? null : this.gamma.read();
  }

  private rows(variable: LayerVariable, steps: number, first = 0): Tensor {
    const value = variable.read();
    if (this.sharedOverTime) return value;
    const trained = this.timeSteps!;
    const end = first + steps;
    if (first === 0 && steps === trained) return value;
    if (end <= trained) return slice(value, [first, 0], [steps, -1]);
    const last = slice(value, [trained - 1, 0], [1, -1]);
    const past = tile(last, [end - Math.max(first, trained), 1]);
    return first >= trained ? past : concat([slice(value, [first, 0], [trained - first, -1]), past], 0);
  }

  private checkInput(input: Tensor, training: boolean, firstStep: number): void {
    const steps = firstStep + (input.shape[1] as number);
    const channels = this.movingMean!.shape[1];
    if (input.shape[input.rank - 1] !== channels) {
      throw new Error(`${this.label}: expects ${channels} channels (last axis); got shape ${formatShape(input.shape)}`);
    }
    if (!this.sharedOverTime && steps > this.timeSteps! && (training || this.extraSteps === 'error')) {
      const why = training ? 'in training' : "with extraSteps 'error'";
      const given = firstStep === 0 ? `${steps} time steps` : `steps ${firstStep + 1}…${steps}`;
      throw new Error(
        `${this.label}: the input has ${given} (shape ${formatShape(input.shape)}) but ` +
          `the layer was built for ${this.timeSteps}; more steps are not allowed ${why} ` +
          `(inference can opt in with extraSteps: 'repeatLast')`
      );
    }
  }

  /**
   * In inference, kwarg `firstStep` (default 0) says which step of the train the input's first step is,
   * for streaming a train in chunks (`layers.earlyExitWrapper` runs one step at a time).
   */
  call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    return tidy(() => {
      const input = this.timeInput(inputs);
      const training = kwargs['training'] === true;
      const firstStep = this.firstStepOf(kwargs, training);
      this.checkInput(input, training, firstStep);
      if (training && getKernel(BNTT_TRAIN, getBackend()) != null) return this.trainFused(input);
      const shape = input.shape as number[];
      const steps = shape[1];
      const paramRows = this.sharedOverTime ? 1 : steps;
      const broadcast = shape.map((d, axis) => (axis === input.rank - 1 ? d : axis === 1 ? paramRows : 1));
      const param = (variable: LayerVariable) => reshape(this.rows(variable, steps, firstStep), broadcast);
      let mean: Tensor, variance: Tensor;
      if (training) {
        ({mean, variance} = this.batchMoments(input));
      } else {
        [mean, variance] = [param(this.movingMean!), param(this.movingVariance!)];
      }
      let output = mul(sub(input, mean), rsqrt(add(variance, this.epsilon)));
      if (this.gamma != null) output = mul(output, param(this.gamma));
      if (this.beta != null) output = add(output, param(this.beta));
      return output;
    });
  }

  private firstStepOf(kwargs: Kwargs, training: boolean): number {
    const value = kwargs['firstStep'] ?? 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new Error(`${this.label}: kwarg 'firstStep' must be an integer >= 0; got ${String(value)}`);
    }
    if (training && value !== 0) throw new Error(`${this.label}: kwarg 'firstStep' is for inference only`);
    return value;
  }

  /**
   * Training on a backend with the fused kernel (cpu, wasm, webgl, webgpu): y and the batch statistics in one kernel,
   * which reduces over batch and spatial axes without the transposes tf.moments costs there.
   */
  private trainFused(input: Tensor): Tensor {
    const count = this.statisticsCount(input);
    const steps = this.sharedOverTime ? 1 : (input.shape[1] as number);
    const paramShape = [steps, input.shape[input.rank - 1] as number];
    const gamma = this.gamma != null ? this.rows(this.gamma, steps) : ones(paramShape);
    const beta = this.beta != null ? this.rows(this.beta, steps) : zeros(paramShape);
    const attrs: BnttTrainAttrs = {epsilon: this.epsilon};
    const [output, mean, variance] = engine().runKernel(
      BNTT_TRAIN,
      {x: input, gamma, beta},
      attrs as never
    ) as Tensor[];
    this.updateMovingStatistics(mean, variance, count);
    return output;
  }

  /** Per-step batch statistics, and the moving-average update as a side effect (as tf.layers' BatchNormalization does). */
  private batchMoments(input: Tensor): {mean: Tensor; variance: Tensor} {
    const count = this.statisticsCount(input);
    const {mean, variance} = moments(input, this.statisticsAxes(input), true);
    this.updateMovingStatistics(mean, variance, count);
    return {mean, variance};
  }

  /** Batch and spatial axes, and time when shared over time. */
  private statisticsAxes(input: Tensor): number[] {
    const perStepAxis = this.sharedOverTime ? -1 : 1;
    return input.shape.map((_, axis) => axis).filter(axis => axis !== perStepAxis && axis !== input.rank - 1);
  }

  /** How many values each statistic is taken over; at least 2 for a variance. */
  private statisticsCount(input: Tensor): number {
    const count = this.statisticsAxes(input).reduce((n, axis) => n * input.shape[axis], 1);
    if (count < 2) {
      throw new Error(
        `${this.label}: training needs more than one value per ${this.sharedOverTime ? '' : 'step and '}channel to estimate a ` +
          `variance; got input shape ${formatShape(input.shape)} (use a batch size > 1)`
      );
    }
    return count;
  }

  /** The moving averages take the batch's mean and unbiased variance (either shaped [T or 1, C] once reshaped). */
  private updateMovingStatistics(mean: Tensor, variance: Tensor, count: number): void {
    const asRows = (statistic: Tensor) => reshape(statistic, [-1, statistic.shape[statistic.rank - 1]]);
    const unbiased = mul(variance, count / (count - 1));
    this.updateMoving(this.movingMean!, asRows(mean));
    this.updateMoving(this.movingVariance!, asRows(unbiased));
  }

  private updateMoving(variable: LayerVariable, batchValue: Tensor): void {
    tidy(() => {
      const old = variable.read();
      const steps = batchValue.shape[0];
      const updated = add(mul(slice(old, [0, 0], [steps, -1]), this.momentum), mul(batchValue, 1 - this.momentum));
      const untouched = steps < old.shape[0] ? [slice(old, [steps, 0], [-1, -1])] : [];
      variable.write(untouched.length > 0 ? concat([updated, ...untouched], 0) : updated);
    });
  }

  getConfig(): serialization.ConfigDict {
    const init = this.initializers as {[name: string]: never};
    const serialized: serialization.ConfigDict = {};
    for (const key of Object.keys(init)) serialized[key] = serializeObject(init[key]);
    return {
      ...super.getConfig(),
      epsilon: this.epsilon,
      momentum: this.momentum,
      center: this.center,
      scale: this.scale,
      timeSteps: this.timeSteps ?? null,
      extraSteps: this.extraSteps,
      ...serialized,
    };
  }
}
serialization.registerClass(Bntt);

/**
 * Batch normalization through time ({@link Bntt}): statistics and a scale per time step and
 * channel, for `[batch, time, ...spatial, channels]`. Between a synaptic layer and `lif`.
 * Page: docs/layers/bntt.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [8, 8, 1]}));
 * model.add(snn.layers.spikingConv2d({filters: 16, kernelSize: 3}));
 * model.add(snn.layers.bntt());                 // epsilon 1e-4, momentum 0.9, no beta
 * model.add(snn.layers.lif({leak: 0.95}));
 * ```
 */
export function bntt(args?: BnttArgs): Bntt {
  return new Bntt(args);
}

/** The options of `spikingBatchNorm`: those of `bntt` but `timeSteps` and `extraSteps` (no per-step weights). */
export type SpikingBatchNormArgs = Omit<BnttArgs, 'timeSteps' | 'extraSteps'>;

/**
 * Conventional batch normalization for spike trains: ONE set of statistics,
 * gamma and beta shared by every time step (statistics over batch, time and
 * spatial axes), with bntt's conventions otherwise (epsilon 1e-4, momentum
 * 0.9, no beta by default, unbiased moving variance). It is the baseline the
 * BNTT paper compares against. Weights `[1, C]`, in bntt's order.
 *
 * ```js
 * model.add(snn.layers.spikingConv2d({filters: 64, kernelSize: 3}));
 * model.add(snn.layers.spikingBatchNorm());
 * model.add(snn.layers.lif());
 * ```
 */
export class SpikingBatchNorm extends Bntt {
  static className = 'SnnSpikingBatchNorm';

  protected get sharedOverTime(): boolean {
    return true;
  }

  constructor(args: SpikingBatchNormArgs = {}) {
    super(
      args,
      'spikingBatchNorm',
      BNTT_ARG_NAMES.filter(n => n !== 'timeSteps' && n !== 'extraSteps')
    );
  }

  getConfig(): serialization.ConfigDict {
    const {timeSteps, extraSteps, ...config} = super.getConfig();
    return config;
  }
}
serialization.registerClass(SpikingBatchNorm);

/**
 * Conventional batch normalization for spike trains ({@link SpikingBatchNorm}): one set of
 * statistics, gamma and beta shared by every time step; the baseline BNTT is compared against.
 * Page: docs/layers/bntt.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.directEncoder({timeSteps: 4, inputShape: [8, 8, 1]}));
 * model.add(snn.layers.spikingConv2d({filters: 16, kernelSize: 3}));
 * model.add(snn.layers.spikingBatchNorm());
 * model.add(snn.layers.lif());
 * ```
 */
export function spikingBatchNorm(args?: SpikingBatchNormArgs): SpikingBatchNorm {
  return new SpikingBatchNorm(args);
}
