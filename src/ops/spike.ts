import {
  cast,
  customGrad,
  GradSaveFunc,
  greater,
  mul,
  neg,
  reshape,
  scalar,
  sum,
  Tensor,
  tidy,
} from '@tensorflow/tfjs-core';

import {SURROGATE_DEFAULT_ALPHA, SURROGATE_NAMES, SurrogateFunction, SurrogateName} from '../../kernels/lif_attrs';
import {surrogateOf} from '../../kernels/composite/surrogates';
import {releaseTape} from '../../kernels/lif_gradient';
import {describeValue, optionNames, quotedList} from '../errors';

/** The options of `ops.spike` (all optional). */
export interface SpikeOptions {
  /** Firing threshold θ: a number > 0, or a float32 tensor broadcasting to `u` (learnable: it gets a gradient). Default 1. */
  threshold?: number | Tensor;
  /** Surrogate for dS/dU: a built-in name or a function `(u, threshold) => dS/dU`. Default `'triangle'`. */
  surrogate?: SurrogateName | SurrogateFunction;
  /** Sharpness of the built-in surrogate; defaults per surrogate (`SURROGATE_DEFAULT_ALPHA`, triangle 0.3). */
  alpha?: number;
}

const KNOWN = optionNames<SpikeOptions>({threshold: true, surrogate: true, alpha: true});

function fail(name: string, value: unknown, expected: string): never {
  throw new Error(`spike: ${name} must be ${expected}; got ${describeValue(value)}`);
}

/**
 * The differentiable threshold of every spiking neuron: `S = 1 where u > threshold, else 0`, with the
 * surrogate derivative `dS/du = σ'(u)` in the backward pass (and `dS/dθ = −σ'(u)` for a tensor threshold,
 * summed over the axes it was broadcast along). A building block for neurons of your own
 * (docs/neurons.md shows one in thirty lines).
 *
 * @example
 * ```js
 * const u = tf.tensor([0.2, 0.9, 1.1, 1.6]);
 * snn.ops.spike(u).print();                                       // [0, 0, 1, 1]
 * const slope = tf.grad(x => tf.sum(snn.ops.spike(x, {surrogate: 'arctan'})))(u);
 * slope.print();                                                   // the arctan surrogate at u − 1
 * ```
 *
 * @param u the membrane potential, any float32 tensor.
 * @returns float32 spikes (0 or 1) of `u`'s shape.
 */
export function spike(u: Tensor, options: SpikeOptions = {}): Tensor {
  if (!(u instanceof Tensor) || u.dtype !== 'float32') fail("argument 'u'", u, 'a float32 tf.Tensor');
  if (options == null || typeof options !== 'object' || Array.isArray(options)) {
    fail('options', options, 'an object like {threshold: 1, surrogate: "triangle"}');
  }
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key))
      throw new Error(`spike: unknown option '${key}'; expected one of ${KNOWN.join(', ')}`);
  }
  const threshold = options.threshold ?? 1;
  if (threshold instanceof Tensor) {
    if (threshold.dtype !== 'float32') fail("option 'threshold'", threshold, 'a number > 0 or a float32 tensor');
    const broadcasts =
      threshold.rank <= u.rank &&
      threshold.shape.every((d, i) => d === 1 || d === u.shape[u.rank - threshold.rank + i]);
    if (!broadcasts) fail("option 'threshold'", threshold, `a tensor broadcasting to u's shape [${u.shape}]`);
  } else if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold <= 0) {
    fail("option 'threshold'", threshold, 'a finite number > 0 or a float32 tensor');
  }
  const surrogateOption = options.surrogate ?? 'triangle';
  const surrogateFn = typeof surrogateOption === 'function' ? surrogateOption : null;
  if (surrogateFn == null && !(SURROGATE_NAMES as readonly unknown[]).includes(surrogateOption)) {
    fail("option 'surrogate'", surrogateOption, `a function or one of ${quotedList(SURROGATE_NAMES)}`);
  }
  const surrogate = surrogateFn == null ? (surrogateOption as SurrogateName) : 'triangle';
  const alpha = options.alpha ?? SURROGATE_DEFAULT_ALPHA[surrogate];
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) {
    fail("option 'alpha'", alpha, 'a finite number > 0');
  }

  return tidy(() => {
    const theta = threshold instanceof Tensor ? threshold : scalar(threshold);
    const op = customGrad(((x: Tensor, th: Tensor, save: GradSaveFunc) => {
      save([x, th]);
      return {
        value: cast(greater(x, th), 'float32'),
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [savedU, savedTheta] = saved;
          const given = threshold instanceof Tensor ? savedTheta : (threshold as number);
          let slope: Tensor;
          try {
            slope = surrogateOf(savedU, given, surrogate, alpha, surrogateFn, 'spike');
          } catch (error) {
            releaseTape(); // a user's surrogate that throws: free what the gradient tape saved
            throw error;
          }
          const du = mul(dy, slope);
          return [du, reduceTo(neg(du), savedTheta.shape)];
        },
      };
    }) as never) as unknown as (x: Tensor, th: Tensor) => Tensor;
    return op(u, theta);
  });
}

/** Sums `x` over the axes along which a tensor of `shape` was broadcast to x's shape. */
function reduceTo(x: Tensor, shape: number[]): Tensor {
  const lead = x.rank - shape.length;
  const axes: number[] = [];
  for (let axis = 0; axis < x.rank; axis++) {
    if (axis < lead || shape[axis - lead] === 1) axes.push(axis);
  }
  const summed = axes.length > 0 ? sum(x, axes, true) : x;
  return reshape(summed, shape);
}
