import {
  abs,
  cast,
  customGrad,
  expandDims,
  lessEqual,
  mul,
  randomUniform,
  relu,
  serialization,
  sign,
  Tensor,
  tidy,
  zerosLike,
} from '@tensorflow/tfjs-core';

import {EncoderLayer} from './encoder_layer';
import {SpikeRecorder, SpikingOutputLayer} from './spike_recorder';
import {optionNames} from '../errors';
import {argError, booleanArg, layerArgs, numberIn, OwnArgs, sizeArg} from './layer_utils';
import {Kwargs, LayerArgs} from './spiking_layer';

/** The options of `poissonEncoder`. */
export interface PoissonEncoderArgs extends LayerArgs {
  /** Number of time steps T. */
  timeSteps: number;
  /** |x| = scale spikes at every step; the spike probability is min(1, |x|/scale). Default 2. */
  scale?: number;
  /** Spikes carry the sign of x (−1, 0, 1); when false, only x > 0 spikes (0 or 1). Default true. */
  signed?: boolean;
  /** Makes the draws reproducible: the n-th call of a layer with this seed draws the same numbers. */
  seed?: number;
}

const POISSON_ARG_NAMES = optionNames<OwnArgs<PoissonEncoderArgs>>({
  timeSteps: true,
  scale: true,
  signed: true,
  seed: true,
});

/**
 * Rate (Poisson) coding, exactly the BNTT reference's `PoissonGen`:
 * `[batch, ...features] → [batch, timeSteps, ...features]` with
 * `spike = (u·scale <= |x|) · sign(x)`, u ~ U[0, 1) drawn afresh for every
 * element, step and call. No gradient flows back to the input.
 *
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.poissonEncoder({timeSteps: 25, inputShape: [28, 28, 1]}));
 * ```
 */
export class PoissonEncoder extends EncoderLayer implements SpikingOutputLayer {
  static className = 'SnnPoissonEncoder';
  readonly timeSteps: number;
  readonly scale: number;
  readonly signed: boolean;
  readonly seed?: number;
  spikeRecorder: SpikeRecorder | null = null;
  private calls = 0;

  get emitsSpikes(): boolean {
    return true;
  }

  constructor(args: PoissonEncoderArgs) {
    const name = 'poissonEncoder';
    super(layerArgs(name, args, POISSON_ARG_NAMES));
    this.timeSteps = sizeArg(name, 'timeSteps', args?.timeSteps);
    this.scale = numberIn(name, 'scale', args.scale ?? 2, 'a finite number > 0', x => x > 0);
    this.signed = booleanArg(name, 'signed', args.signed ?? true);
    if (args.seed != null && (typeof args.seed !== 'number' || !Number.isFinite(args.seed))) {
      throw argError(name, 'seed', args.seed, 'a finite number');
    }
    this.seed = args.seed;
  }

  call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    return tidy(() => {
      const input = this.analogInput(inputs);
      // A string seed per (seed, call): layers seeded s and s + 1 must not replay each other's draws.
      const seed = this.seed == null ? undefined : `${this.seed}:${this.calls}`;
      this.calls++;
      const encode = customGrad(analogInput => {
        const x = analogInput as Tensor;
        const [batch, ...features] = x.shape;
        const uniform = randomUniform([batch, this.timeSteps, ...features], 0, 1, 'float32', seed);
        const analog = expandDims(x, 1);
        const level = this.signed ? abs(analog) : analog;
        const fires = cast(lessEqual(mul(uniform, this.scale), level), 'float32');
        // Unsigned: u·scale <= x can hold for x <= 0 only when u = 0; sign() rules that out too.
        const value = this.signed ? mul(fires, sign(analog)) : mul(fires, relu(sign(analog)));
        return {value, gradFunc: () => zerosLike(x)};
      });
      const spikes = encode(input) as Tensor;
      if (this.spikeRecorder != null && kwargs['training'] === true) this.spikeRecorder.record(spikes);
      return spikes;
    });
  }

  getConfig(): serialization.ConfigDict {
    const config: serialization.ConfigDict = {
      ...super.getConfig(),
      timeSteps: this.timeSteps,
      scale: this.scale,
      signed: this.signed,
    };
    if (this.seed != null) config.seed = this.seed;
    return config;
  }
}
serialization.registerClass(PoissonEncoder);

/**
 * Rate (Poisson) input coding ({@link PoissonEncoder}), the BNTT reference's `PoissonGen`:
 * `[batch, ...features] → [batch, timeSteps, ...features]` random spikes with probability
 * `min(1, |x|/scale)`, carrying the sign of x. Page: docs/layers/poisson_encoder.md.
 *
 * @example
 * ```js
 * const model = tf.sequential();
 * model.add(snn.layers.poissonEncoder({timeSteps: 25, inputShape: [28, 28, 1]}));
 * model.add(snn.layers.spikingConv2d({filters: 32, kernelSize: 3}));
 * ```
 */
export function poissonEncoder(args: PoissonEncoderArgs): PoissonEncoder {
  return new PoissonEncoder(args);
}
