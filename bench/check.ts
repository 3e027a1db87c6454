/**
 * Before timing a configuration, the bench checks on a small input with the same
 * number of steps that every tfjs-snn implementation gives the naive version's
 * spikes exactly and its gradient to CHECK_TOLERANCE (max |difference| / max |naive|).
 */
import * as tf from '@tensorflow/tfjs-core';

import {relativeMaxError} from '../test/reference/lif_reference';

import {lifFor} from './lif_impls';
import {LossForm, lossGradient, makeInputs} from './tensors';
import type {CheckResult, ConfigSpec, ImplId} from './types';

export const CHECK_TOLERANCE = 1e-4;
/** [2, T, 8, 16, 16]: 4096 neurons, rank 5 like the benchmark input. */
const CHECK_BATCH = 2;
const CHECK_FEATURES = [8, 16, 16];

interface Outputs {
  spikes: Float32Array;
  grad: Float32Array;
}

async function outputsOf(impl: ImplId, shape: number[], seed: number, loss: LossForm): Promise<Outputs> {
  const lif = lifFor(impl);
  const inputs = makeInputs(shape, seed);
  const spikes = lif(inputs.currents);
  const grad = lossGradient(lif, inputs, loss);
  const [s, g] = await Promise.all([spikes.data(), grad.data()]);
  tf.dispose([spikes, grad, inputs.currents, inputs.weights]);
  return {spikes: s as Float32Array, grad: g as Float32Array};
}

function compare(shape: number[], actual: Outputs, naive: Outputs): CheckResult {
  let spikeMismatches = 0;
  for (let i = 0; i < naive.spikes.length; i++) {
    if (actual.spikes[i] !== naive.spikes[i]) spikeMismatches++;
  }
  const gradRelError = relativeMaxError(actual.grad, naive.grad);
  return {shape, spikeMismatches, gradRelError, ok: spikeMismatches === 0 && gradRelError <= CHECK_TOLERANCE};
}

/** Compares each of `impls` but naive against the naive implementation, for the steps and loss of `spec`. */
export async function checkAgainstNaive(spec: ConfigSpec, impls: ImplId[]): Promise<Map<ImplId, CheckResult>> {
  const shape = [CHECK_BATCH, spec.time, ...CHECK_FEATURES];
  const seed = spec.seed + 100;
  const naive = await outputsOf('naive', shape, seed, spec.loss);
  const results = new Map<ImplId, CheckResult>();
  for (const impl of impls.filter(i => i !== 'naive')) {
    results.set(impl, compare(shape, await outputsOf(impl, shape, seed, spec.loss), naive));
  }
  return results;
}

export function describeCheck(c: CheckResult): string {
  return (
    `${c.ok ? 'ok' : 'MISMATCH'}: ${c.spikeMismatches} spike mismatches, ` +
    `grad rel. error ${c.gradRelError.toExponential(1)} on [${c.shape}]`
  );
}
