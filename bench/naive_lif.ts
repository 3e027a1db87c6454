/**
 * The LIF a user would write without tfjs-snn, as the baseline of `npm run bench`.
 *
 * A JavaScript loop over the T time steps of core ops, one small graph per step:
 *   U_t = leak·V_{t−1} + I_t,  S_t = H(U_t − θ),  V_t = U_t − θ·stopGradient(S_t),  V_0 = 0.
 * The Heaviside step is a `tf.customGrad` whose gradient is the triangle surrogate
 * dS/dU = alpha·max(0, 1 − |U/θ − 1|)/θ, and the reset is detached from the gradient by
 * a second `tf.customGrad` (identity forward, zero gradient), since tfjs has no
 * stopGradient op. With the defaults below it gives the same spikes and the same
 * gradient as `ops.lif(currents)` with its defaults (leak 0.95, θ 1, subtract reset,
 * detached reset, triangle surrogate, alpha 0.3); the bench checks that before timing.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface NaiveLifOptions {
  leak: number;
  threshold: number;
  alpha: number;
}

export const NAIVE_DEFAULTS: NaiveLifOptions = {leak: 0.95, threshold: 1, alpha: 0.3};

type UnaryOp = (x: tf.Tensor) => tf.Tensor;

/** dS/dU of the triangle surrogate, as core ops. */
function triangle(u: tf.Tensor, threshold: number, alpha: number): tf.Tensor {
  const distance = tf.abs(tf.sub(tf.div(u, threshold), 1));
  return tf.mul(alpha / threshold, tf.maximum(0, tf.sub(1, distance)));
}

/** S = H(U − θ) forward, the triangle surrogate backward. */
function spikeFunction(threshold: number, alpha: number): UnaryOp {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [u, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([u]);
    return {
      value: tf.cast(tf.greater(u, threshold), 'float32'),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, triangle(saved, threshold, alpha)),
    };
  }) as UnaryOp;
}

/** Identity forward, zero gradient: keeps the reset out of backpropagation. */
const stopGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as UnaryOp;

/** Swaps the batch and time axes: [batch, time, ...features] ↔ [time, batch, ...features]. */
function swapBatchAndTime(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[0], perm[1]] = [1, 0];
  return tf.transpose(x, perm);
}

/**
 * Spikes of the LIF neurons for currents `[batch, time, ...features]`, one step at a time.
 * The loop runs time-major: tfjs-backend-cpu and -wasm copy a slice along a non-leading
 * axis element by element, so `tf.unstack(currents, 1)` (and the `unstack` in the
 * gradient of `tf.stack(spikes, 1)`) cost several times more than two transposes.
 */
export function naiveLif(currents: tf.Tensor, options: NaiveLifOptions = NAIVE_DEFAULTS): tf.Tensor {
  const {leak, threshold, alpha} = options;
  const spike = spikeFunction(threshold, alpha);
  return tf.tidy(() => {
    const steps = tf.unstack(swapBatchAndTime(currents));
    let membrane = tf.zerosLike(steps[0]);
    const spikes = steps.map(current => {
      const u = tf.add(tf.mul(membrane, leak), current);
      const s = spike(u);
      membrane = tf.sub(u, tf.mul(stopGradient(s), threshold));
      return s;
    });
    return swapBatchAndTime(tf.stack(spikes));
  });
}
