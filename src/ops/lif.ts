import {add, engine, fill, getBackend, getKernel, reshape, Tensor, tidy, zeros} from '@tensorflow/tfjs-core';

import {ensureCompositeKernels} from '../../kernels/register';
import {FUSED_LIF_BACKENDS, LIF, LIF_COMPOSITE} from '../../kernels/lif_attrs';
import {describeValue} from '../errors';
import {checkParameterShape, LIF_OPTION_NAMES, LifOptions, resolveLifOptions, ResolvedLifOptions} from './lif_options';

export type {LifOptions};

/** Spikes and the membrane after the last step, for streaming. */
export interface LifResult {
  spikes: Tensor;
  membrane: Tensor;
}

function checkCurrents(currents: unknown, fn: string): asserts currents is Tensor {
  if (!(currents instanceof Tensor)) {
    throw new Error(
      `${fn}: argument 'currents' must be a tf.Tensor of shape [batch, time, ...features]; ` +
        `got ${describeValue(currents)}`
    );
  }
  if (currents.rank < 3 || currents.rank > 6) {
    throw new Error(
      `${fn}: argument 'currents' must have rank 3 to 6 ([batch, time, ...features]); ` +
        `got rank ${currents.rank} (shape [${currents.shape}])`
    );
  }
  if (currents.dtype !== 'float32') {
    throw new Error(`${fn}: argument 'currents' must be float32; got ${currents.dtype}`);
  }
  if (currents.size === 0) {
    throw new Error(
      `${fn}: argument 'currents' must not be empty (every dimension >= 1); ` + `got shape [${currents.shape}]`
    );
  }
}

function checkInitialMembrane(membrane: unknown, currents: Tensor, fn: string): asserts membrane is Tensor {
  const expected = [currents.shape[0], ...currents.shape.slice(2)];
  const ok =
    membrane instanceof Tensor &&
    membrane.dtype === 'float32' &&
    membrane.rank === expected.length &&
    membrane.shape.every((d: number, i: number) => d === expected[i]);
  if (!ok) {
    throw new Error(
      `${fn}: option 'initialMembrane' must be a float32 tensor of shape ` +
        `[${expected}] ([batch, ...features] of currents); got ${describeValue(membrane)}`
    );
  }
}

function kernelFor(resolved: ResolvedLifOptions, fn: string): string {
  const backend = getBackend();
  const hasFused = getKernel(LIF, backend) != null;
  const {implementation, attrs} = resolved;
  if (implementation === 'kernel' && !hasFused) {
    throw new Error(
      `${fn}: option 'implementation' is 'kernel' but backend '${backend}' has no ` +
        `fused LIF kernel (fused: ${FUSED_LIF_BACKENDS.join(', ')}); use 'auto' or 'composite'`
    );
  }
  if (implementation === 'kernel' || (implementation === 'auto' && hasFused && attrs.surrogateFn == null)) {
    return LIF;
  }
  ensureCompositeKernels(backend);
  return LIF_COMPOSITE;
}

/**
 * A parameter (number, or tensor broadcasting to `featureShape`) as the kernels take it: one value per feature.
 * Broadcast by adding to zeros, not with broadcastTo: broadcastTo is tfjs's Tile, whose gradient is one Slice and
 * one Add per repetition (a scalar leak over [28, 28, 16] features: 12,544 of each per training step); Add's
 * gradient is one Sum over the broadcast axes.
 */
function perFeature(value: number | Tensor, featureShape: number[]): Tensor {
  const features = featureShape.reduce((a, b) => a * b, 1);
  if (!(value instanceof Tensor)) return fill([features], value, 'float32');
  const full = value.rank === featureShape.length && value.shape.every((d, i) => d === featureShape[i]);
  return reshape(full ? value : add(zeros(featureShape), value), [features]);
}

/**
 * Runs the LIF kernels (fused or composite) over `currents`: the body of ops.lif, lifWithState, ifNeuron and
 * ifNeuronWithState. `names`: the options `fn` takes (ifNeuron: all but leak, which is then 1). `finalMembrane`:
 * 'unused' where the caller needs the spikes only; the membrane is then not returned (null), and the kernels may
 * skip it (LifAttrs.finalMembraneUnused).
 */
export function runLif(
  currents: Tensor,
  options: LifOptions | undefined,
  fn: string,
  names: readonly string[] = LIF_OPTION_NAMES,
  finalMembrane: 'kept' | 'unused' = 'kept'
): [Tensor, Tensor | null] {
  checkCurrents(currents, fn);
  const resolved = resolveLifOptions(options, fn, names);
  if (resolved.initialMembrane != null) checkInitialMembrane(resolved.initialMembrane, currents, fn);
  const featureShape = currents.shape.slice(2);
  checkParameterShape(fn, 'leak', resolved.leak, featureShape);
  checkParameterShape(fn, 'threshold', resolved.threshold, featureShape);
  const kernelName = kernelFor(resolved, fn);
  // What the kernels may skip: V_{−1} where the op makes it (zeros, no gradient read), V_T where nobody reads it.
  const attrs = {
    ...resolved.attrs,
    ...(resolved.initialMembrane == null && {initialAtRest: true}),
    ...(finalMembrane === 'unused' && {finalMembraneUnused: true}),
  };
  const kept = tidy(() => {
    const initialMembrane = resolved.initialMembrane ?? zeros([currents.shape[0], ...featureShape]);
    const leak = perFeature(resolved.leak, featureShape);
    const threshold = perFeature(resolved.threshold, featureShape);
    // A kernel may return more (webgl: the membrane trace, for its gradient to save); tidy frees it here, and
    // the membrane where unused.
    const [spikes, membrane] = engine().runKernel(
      kernelName,
      {currents, initialMembrane, leak, threshold},
      attrs as never
    ) as Tensor[];
    return finalMembrane === 'kept' ? [spikes, membrane] : [spikes];
  });
  return [kept[0], kept[1] ?? null];
}

/**
 * Leaky integrate-and-fire over a whole spike train, differentiable through a
 * surrogate gradient (BPTT in one fused kernel on cpu, wasm and webgl).
 *
 * For each element and step t (time is axis 1):
 *   U_t = leak·V_{t−1} + I_t,  S_t = 1 if U_t > threshold else 0,
 *   V_t = U_t − threshold·S_t ('subtract'), vReset where S_t = 1 ('zero') or U_t ('none').
 *
 * `leak` and `threshold` are numbers or float32 tensors broadcasting to the features shape (per channel,
 * per neuron); tensors get gradients (summed over batch and time inside the kernels). Page: docs/lif.md.
 *
 * @example
 * ```js
 * const currents = tf.randomUniform([8, 25, 128], 0, 0.6);   // [batch, time, features]
 * const spikes = snn.ops.lif(currents, {leak: 0.95, threshold: 1});
 * // A learnable leak per feature: its gradient comes from the same fused BPTT kernel.
 * const leak = tf.variable(tf.fill([128], 0.9));
 * const dLeak = tf.grad(l => tf.sum(snn.ops.lif(currents, {leak: l})))(leak);
 * console.log(dLeak.shape);                                   // [128]
 * ```
 *
 * @param currents float32 `[batch, time, ...features]`, rank 3 to 6.
 * @returns float32 spikes (0 or 1) of the same shape.
 */
export function lif(currents: Tensor, options?: LifOptions): Tensor {
  return runLif(currents, options, 'lif', LIF_OPTION_NAMES, 'unused')[0];
}

/**
 * `lif` that also returns the membrane V_T after the last step. Passing it as
 * `initialMembrane` of the next call continues the train exactly, so a long
 * train can be fed in chunks; gradients flow through both outputs.
 *
 * @example
 * ```js
 * const currents = tf.randomUniform([2, 100, 16], 0, 0.6);   // [batch, time, features]
 * let membrane;
 * for (let t = 0; t < 100; t += 25) {           // four chunks of 25 steps
 *   const chunk = tf.slice(currents, [0, t, 0], [-1, 25, -1]);
 *   const out = snn.ops.lifWithState(chunk, {initialMembrane: membrane});
 *   membrane?.dispose();
 *   membrane = out.membrane;
 *   console.log(`steps ${t}–${t + 24}:`, tf.sum(out.spikes).dataSync()[0], 'spikes');
 * }
 * ```
 */
export function lifWithState(currents: Tensor, options?: LifOptions): LifResult {
  const [spikes, membrane] = runLif(currents, options, 'lifWithState');
  return {spikes, membrane: membrane!};
}
