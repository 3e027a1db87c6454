/**
 * The learnable LIF rows of `npm run bench` (cpu): per-channel leak and threshold tensors, gradients of the
 * currents, the leak and the threshold. The fused `ops.lif` (one forward kernel, one BPTT kernel that sums the
 * parameter gradients inside its loops) against the per-step loop a user would write without tfjs-snn, both
 * checked against each other first.
 */
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../src/index';
import {relativeMaxError} from '../test/reference/lif_reference';
import type {Log} from './measure';
import {settle} from './tensors';

/** The targets the issue set at T=25 on cpu (fwd+bwd). */
export const LEARNABLE_TARGETS = {time: 25, minSpeedup: 5, maxPeakRatio: 0.5};
const ALPHA = 0.3;

export interface LearnableRow {
  impl: 'fused' | 'naive';
  time: number;
  shape: number[];
  runs: number[];
  fwdBwdMs?: number;
  peakMB?: number;
  check?: string;
  error?: string;
}

type Params = {leak: tf.Tensor; threshold: tf.Tensor};
/** dL/d(currents, leak, threshold) for L = Σ spikes·w. */
type Grads = (x: tf.Tensor, p: Params, w: tf.Tensor) => tf.Tensor[];

/** Sums `x` ([batch, ...features]) over every axis but the last: the gradient of a per-channel parameter. */
function perChannel(x: tf.Tensor): tf.Tensor {
  return tf.sum(
    x,
    x.shape.slice(0, -1).map((_, i) => i)
  );
}

/** S = H(U − θ) with the triangle surrogate; dS/dθ = −σ'(U), summed to the channel. */
function spike(u: tf.Tensor, threshold: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, th, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, th]);
    return {
      value: tf.cast(tf.greater(x, th), 'float32'),
      gradFunc: (dy: tf.Tensor, [sx, sth]: tf.Tensor[]) => {
        const slope = tf.mul(tf.div(ALPHA, sth), tf.maximum(0, tf.sub(1, tf.abs(tf.sub(tf.div(sx, sth), 1)))));
        const du = tf.mul(dy, slope);
        return [du, tf.neg(perChannel(du))];
      },
    };
  }) as (x: tf.Tensor, th: tf.Tensor) => tf.Tensor;
  return f(u, threshold);
}

/** Identity forward, zero gradient (the detached reset). */
const stopGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

function swapBatchAndTime(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[0], perm[1]] = [1, 0];
  return tf.transpose(x, perm);
}

/** The per-step loop: U_t = β·V_{t−1} + I_t, S_t, V_t = U_t − θ·stopGradient(S_t) (θ not detached). */
function naiveLearnableLif(currents: tf.Tensor, {leak, threshold}: Params): tf.Tensor {
  return tf.tidy(() => {
    const steps = tf.unstack(swapBatchAndTime(currents));
    let membrane = tf.zerosLike(steps[0]);
    const spikes = steps.map(current => {
      const u = tf.add(tf.mul(membrane, leak), current);
      const s = spike(u, threshold);
      membrane = tf.sub(u, tf.mul(stopGradient(s), threshold));
      return s;
    });
    return swapBatchAndTime(tf.stack(spikes));
  });
}

const IMPLS: Record<LearnableRow['impl'], (x: tf.Tensor, p: Params) => tf.Tensor> = {
  fused: (x, p) => ops.lif(x, {leak: p.leak, threshold: p.threshold, implementation: 'kernel'}),
  naive: naiveLearnableLif,
};

/**
 * dL/d(currents, leak, threshold) of L = Σ spikes·w as tf.grads with w as the upstream gradient (the bench's
 * default 'vjp' form, bench/tensors.ts: the loss ops themselves, whose cpu gradient costs as much for every
 * implementation, are not run).
 */
function gradsOf(impl: LearnableRow['impl']): Grads {
  const lif = IMPLS[impl];
  return (x, p, w) =>
    tf.grads((xs: tf.Tensor, l: tf.Tensor, th: tf.Tensor) => lif(xs, {leak: l, threshold: th}))(
      [x, p.leak, p.threshold],
      w
    );
}

function inputs(shape: number[], seed: number) {
  const channels = shape[shape.length - 1];
  return {
    x: tf.randomUniform(shape, -0.3, 0.9, 'float32', seed),
    w: tf.randomUniform(shape, -1, 1, 'float32', seed + 1),
    p: {
      leak: tf.randomUniform([channels], 0.8, 1, 'float32', seed + 2),
      threshold: tf.randomUniform([channels], 0.7, 1.2, 'float32', seed + 3),
    },
  };
}

type Inputs = ReturnType<typeof inputs>;
const disposeInputs = (i: Inputs) => tf.dispose([i.x, i.w, i.p.leak, i.p.threshold]);

/** Fused vs naive on a small input: spikes equal, the three gradients within 1e-4 (max |Δ| / max |naive|). */
async function check(time: number): Promise<string> {
  const data = inputs([2, time, 8, 16, 16], 4242);
  const results = [];
  for (const impl of ['fused', 'naive'] as const) {
    const spikes = IMPLS[impl](data.x, data.p);
    const grads = gradsOf(impl)(data.x, data.p, data.w);
    results.push(await Promise.all([spikes, ...grads].map(t => t.data())));
    tf.dispose([spikes, ...grads]);
  }
  disposeInputs(data);
  const [fused, naive] = results;
  let mismatches = 0;
  for (let i = 0; i < naive[0].length; i++) if (fused[0][i] !== naive[0][i]) mismatches++;
  const errors = [1, 2, 3].map(k => relativeMaxError(fused[k], naive[k]));
  const ok = mismatches === 0 && errors.every(e => e <= 1e-4);
  return (
    `${ok ? 'ok' : 'MISMATCH'}: ${mismatches} spike mismatches, rel. error of dI ${errors[0].toExponential(1)}, ` +
    `dβ ${errors[1].toExponential(1)}, dθ ${errors[2].toExponential(1)}`
  );
}

async function timeOnce(run: () => tf.Tensor[]): Promise<number> {
  (globalThis as {gc?: () => void}).gc?.();
  const start = performance.now();
  const out = run();
  for (const t of out) await settle(t);
  const ms = performance.now() - start;
  tf.dispose(out);
  return ms;
}

/** Runs the learnable-LIF rows on the current (cpu) backend. */
export async function runLearnableLif(quick: boolean, log: Log): Promise<LearnableRow[]> {
  const rows: LearnableRow[] = [];
  const shape = quick ? [2, 0, 8, 8, 16] : [4, 0, 32, 32, 64];
  const times = quick ? [LEARNABLE_TARGETS.time] : [8, LEARNABLE_TARGETS.time];
  for (const time of times) {
    shape[1] = time;
    log(`learnable lif, cpu T=${time} shape [${shape}], per-channel leak and threshold`);
    const checked = await check(time);
    log(`  check fused vs naive: ${checked}`);
    const data = inputs(shape, 777 + time);
    for (const impl of ['fused', 'naive'] as const) {
      const row: LearnableRow = {impl, time, shape: shape.slice(), runs: [], check: impl === 'fused' ? checked : ''};
      rows.push(row);
      if (!checked.startsWith('ok')) {
        row.error = 'check failed';
        continue;
      }
      const run = () => gradsOf(impl)(data.x, data.p, data.w);
      try {
        const before = tf.memory().numBytes;
        const profile = await tf.profile(async () => {
          const out = run();
          for (const t of out) await settle(t);
          tf.dispose(out);
        });
        row.peakMB = (profile.peakBytes - before) / 2 ** 20;
        const reps = quick ? 1 : impl === 'fused' ? 5 : 3;
        for (let r = 0; r < reps; r++) row.runs.push(await timeOnce(run));
        row.fwdBwdMs = [...row.runs].sort((a, b) => a - b)[row.runs.length >> 1];
        log(`  ${impl}: fwd+bwd ${row.fwdBwdMs.toFixed(0)} ms (${reps} runs), peak ${row.peakMB.toFixed(1)} MB`);
      } catch (e) {
        row.error = e instanceof Error ? e.message.split('\n')[0] : String(e);
      }
    }
    disposeInputs(data);
  }
  return rows;
}

/** The markdown section of the learnable-LIF rows, with the targets at T=25. */
export function learnableMarkdown(rows: LearnableRow[]): string {
  const lines = [
    '### Learnable LIF (cpu): per-channel leak and threshold tensors, gradients of currents, leak and threshold',
    '',
    'fwd+bwd: tf.grads of the LIF with respect to the currents, the leak and the threshold, with random weights w as ' +
      'the upstream gradient (dL/d· of L = Σ spikes·w). Median of the runs after one warm-up under tf.profile ' +
      '(peak: its peakBytes above what was alive before, MiB). Check: spikes and the three gradients against the ' +
      'loop on [2, T, 8, 16, 16].',
    '',
    '| impl | T | shape | runs | fwd+bwd ms | peak MB | naive/fused time | fused/naive peak | check |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const verdicts: string[] = [];
  for (const row of rows) {
    const naive = rows.find(r => r.impl === 'naive' && r.time === row.time);
    const fused = row.impl === 'fused' && naive != null;
    const speedup = fused && naive.fwdBwdMs && row.fwdBwdMs ? naive.fwdBwdMs / row.fwdBwdMs : undefined;
    const peak = fused && naive.peakMB && row.peakMB != null ? row.peakMB / naive.peakMB : undefined;
    lines.push(
      `| ${row.impl === 'fused' ? 'tfjs-snn fused kernel' : 'naive per-step ops'} | ${row.time} | [${row.shape}] | ` +
        `${row.runs.length} | ${row.fwdBwdMs?.toFixed(0) ?? row.error ?? ''} | ${row.peakMB?.toFixed(1) ?? ''} | ` +
        `${speedup != null ? `${speedup.toFixed(1)}×` : ''} | ${peak != null ? peak.toFixed(2) : ''} | ${row.check ?? ''} |`
    );
    if (fused && row.time === LEARNABLE_TARGETS.time && speedup != null && peak != null) {
      const met = speedup >= LEARNABLE_TARGETS.minSpeedup && peak <= LEARNABLE_TARGETS.maxPeakRatio;
      verdicts.push(
        `Target at T=${row.time} (fwd+bwd ≥ ${LEARNABLE_TARGETS.minSpeedup}× the loop, peak ≤ ` +
          `${LEARNABLE_TARGETS.maxPeakRatio}× its memory): ${speedup.toFixed(1)}×, ${peak.toFixed(2)}× — ` +
          `${met ? 'met' : 'NOT met'}`
      );
    }
  }
  return [...lines, '', ...verdicts].join('\n');
}
