/** Runs one LIF case through tfjs-snn and the float64 reference; shared by the Node and browser suites. */
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {CaseParam, LifCase} from '../reference/lif_cases';
import {
  broadcastParam,
  makeInputs,
  randomArray,
  reduceParam,
  refBackward,
  refForward,
  relativeMaxError,
} from '../reference/lif_reference';

export interface LifCaseErrors {
  spikeMismatches: number;
  membraneError: number;
  currentGradError: number;
  initialGradError: number;
  /** Of the leak's gradient; null where the case passes the leak as a number (no gradient). */
  leakGradError: number | null;
  /** Of the threshold's gradient; null where the case passes it as a number. */
  thresholdGradError: number | null;
}

/** The op's form of a case parameter: the number, or a float32 tensor. */
function paramTensor(p: CaseParam): number | tf.Tensor {
  return typeof p === 'number' ? p : tf.tensor(p.values, p.shape, 'float32');
}

/**
 * Runs case `c` on the current backend through `implementation` and returns its errors against the float64
 * reference: spikes, V_T, and the gradients of L = Σ w·S + Σ r·V_T with respect to the currents, V_0, and
 * the leak and threshold where the case passes them as tensors. `op` picks ops.lifWithState (default) or,
 * for cases with a leak of 1 given as a number, ops.ifNeuronWithState. `computedCurrents` gives the op the
 * currents as the result of a tfjs op (× 1, exact) rather than as fresh values, so that a GPU backend holds them
 * as a texture in its own layout (webgl: packed over the last two axes).
 */
export async function checkLifCase(
  c: LifCase,
  implementation: 'kernel' | 'composite',
  op: 'lif' | 'ifNeuron' = 'lif',
  computedCurrents = false
): Promise<LifCaseErrors> {
  const {batch: B, time: T, featureShape} = c;
  const N = featureShape.reduce((a, b) => a * b, 1);
  const {currents, initial} = makeInputs(c.options, B, T, N, c.seed);
  const spikeWeights = randomArray(B * T * N, c.seed + 1);
  const membraneWeights = randomArray(B * N, c.seed + 2);
  const fwd = refForward(c.options, currents, initial, B, T, N);
  const ref = refBackward(c.options, fwd, spikeWeights, membraneWeights, B, T, N);

  const uploaded = tf.tensor(currents, [B, T, ...featureShape]);
  const x = computedCurrents ? tf.mul(uploaded, 1) : uploaded;
  if (computedCurrents) uploaded.dispose();
  const v0 = tf.tensor(initial, [B, ...featureShape]);
  const w = tf.tensor(spikeWeights, x.shape);
  const r = tf.tensor(membraneWeights, v0.shape);
  const leak = paramTensor(c.leak);
  const threshold = paramTensor(c.threshold);
  const {resetMode, detachReset, surrogate, alpha, vReset} = c.options;
  const common = {threshold, resetMode, detachReset, surrogate, alpha, vReset, implementation};
  if (op === 'ifNeuron' && c.leak !== 1) throw new Error(`checkLifCase: case ${c.name} has a leak; ifNeuron has none`);
  const run = (xs: tf.Tensor, vs: tf.Tensor, l: number | tf.Tensor, th: number | tf.Tensor) =>
    op === 'lif'
      ? ops.lifWithState(xs, {...common, leak: l, threshold: th, initialMembrane: vs})
      : ops.ifNeuronWithState(xs, {...common, threshold: th, initialMembrane: vs});
  const out = run(x, v0, leak, threshold);
  // Differentiate with respect to the currents, V_0 and every tensor parameter.
  const variables: tf.Tensor[] = [x, v0];
  if (leak instanceof tf.Tensor) variables.push(leak);
  if (threshold instanceof tf.Tensor) variables.push(threshold);
  const loss = (...args: tf.Tensor[]) => {
    const l = leak instanceof tf.Tensor ? args[2] : leak;
    const th = threshold instanceof tf.Tensor ? args[leak instanceof tf.Tensor ? 3 : 2] : threshold;
    const {spikes, membrane} = run(args[0], args[1], l, th);
    return tf.add(tf.sum(tf.mul(spikes, w)), tf.sum(tf.mul(membrane, r))) as tf.Scalar;
  };
  const {value, grads} = tf.valueAndGrads(loss)(variables);
  const [spikes, membrane, ...gradData] = await Promise.all([out.spikes, out.membrane, ...grads].map(t => t.data()));
  tf.dispose([x, v0, w, r, out.spikes, out.membrane, value, ...grads]);
  if (leak instanceof tf.Tensor) leak.dispose();
  if (threshold instanceof tf.Tensor) threshold.dispose();

  let spikeMismatches = 0;
  for (let i = 0; i < fwd.spikes.length; i++) if (spikes[i] !== fwd.spikes[i]) spikeMismatches++;
  let next = 2;
  const paramError = (p: CaseParam, perFeature: Float64Array) =>
    typeof p === 'number' ? null : relativeMaxError(gradData[next++], reduceParam(perFeature, p.shape, featureShape));
  const leakGradError = paramError(c.leak, ref.dLeak);
  const thresholdGradError = paramError(c.threshold, ref.dThreshold);
  return {
    spikeMismatches,
    membraneError: relativeMaxError(membrane, fwd.finalMembrane),
    currentGradError: relativeMaxError(gradData[0], ref.dCurrents),
    initialGradError: relativeMaxError(gradData[1], ref.dInitial),
    leakGradError,
    thresholdGradError,
  };
}

/** The tolerances every backend's LIF must meet against the float64 reference. */
export function expectMatchesReference(e: LifCaseErrors): void {
  expect(e.spikeMismatches).toBe(0);
  expect(e.membraneError).toBeLessThan(1e-5);
  expect(e.currentGradError).toBeLessThan(1e-4);
  expect(e.initialGradError).toBeLessThan(1e-4);
  if (e.leakGradError != null) expect(e.leakGradError).toBeLessThan(1e-4);
  if (e.thresholdGradError != null) expect(e.thresholdGradError).toBeLessThan(1e-4);
}

/** The fused kernel on a larger train (batch 16, T 30, per-channel leak and threshold), both resets. */
export async function expectLargePerChannelTrainMatchesReference(): Promise<void> {
  const featureShape = [8, 8, 3];
  const leak = {shape: [3], values: [0.9, 0.75, 1].map(Math.fround)};
  const threshold = {shape: [3], values: [1, 0.6, 1.3].map(Math.fround)};
  for (const resetMode of ['subtract', 'zero'] as const) {
    const c: LifCase = {
      name: `large ${resetMode}`,
      options: {
        leak: broadcastParam(leak.values, leak.shape, featureShape),
        threshold: broadcastParam(threshold.values, threshold.shape, featureShape),
        vReset: resetMode === 'zero' ? -0.1 : 0,
        resetMode,
        detachReset: false,
        surrogate: 'fastSigmoid',
        alpha: 5,
      },
      leak,
      threshold,
      batch: 16,
      time: 30,
      featureShape,
      seed: 77,
    };
    expectMatchesReference(await checkLifCase(c, 'kernel'));
  }
}

/** Forward + backward with tensor leak and threshold, five times: tf.memory().numTensors stays flat. */
export async function expectLifLeavesNoTensors(): Promise<void> {
  const x = tf.tensor(randomArray(2 * 7 * 3 * 2, 4, -0.2, 0.9), [2, 7, 3, 2]);
  const v0 = tf.zeros([2, 3, 2]);
  const leak = tf.tensor([0.9, 0.8]);
  const threshold = tf.scalar(0.9);
  const step = async () => {
    const out = ops.lifWithState(x, {initialMembrane: v0, leak, threshold});
    const grads = tf.grads((xs: tf.Tensor, vs: tf.Tensor, l: tf.Tensor, th: tf.Tensor) => {
      const o = ops.lifWithState(xs, {initialMembrane: vs, leak: l, threshold: th, resetMode: 'zero', vReset: 0.1});
      return tf.add(tf.sum(o.spikes), tf.sum(o.membrane));
    })([x, v0, leak, threshold]);
    await Promise.all(grads.map(g => g.data())); // asynchronous reads: webgpu must not read synchronously
    tf.dispose([out.spikes, out.membrane, ...grads]);
  };
  await step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) await step();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, v0, leak, threshold]);
}
