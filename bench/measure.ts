/**
 * Runs one configuration on the current backend: the equivalence check, then for
 * each implementation a warm-up, the median forward and forward+backward times and
 * the peak tensor memory of forward+backward. Used in Node (cpu, wasm) and in the page (webgl).
 */
import * as tf from '@tensorflow/tfjs-core';

import {checkAgainstNaive, describeCheck} from './check';
import {IMPL_LABELS, lifFor, LifFn} from './lif_impls';
import {BenchInputs, lossGradient, makeInputs, meanOf, settle} from './tensors';
import type {ConfigSpec, Row} from './types';

type Run = () => tf.Tensor;
export type Log = (message: string) => void;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].slice(0, 160);
}

/** Wall time of `run` until its result is computed; the result is then disposed. */
async function timeOnce(run: Run): Promise<number> {
  const start = performance.now();
  const out = run();
  await settle(out);
  const ms = performance.now() - start;
  out.dispose();
  return ms;
}

/** Peak tensor bytes during `run` above what was alive before, in MiB (tf.profile). */
async function peakMB(run: Run): Promise<number> {
  const before = tf.memory().numBytes;
  const profile = await tf.profile(async () => {
    const out = run();
    await settle(out);
    out.dispose();
  });
  return (profile.peakBytes - before) / 2 ** 20;
}

interface Timed {
  row: Row;
  forward: Run;
  forwardBackward: Run;
}

function timedRuns(row: Row, lif: LifFn, inputs: BenchInputs): Timed {
  return {
    row,
    forward: () => lif(inputs.currents),
    forwardBackward: () => lossGradient(lif, inputs),
  };
}

/** One untimed forward (which also gives the firing rate) and forward+backward. */
async function warmUp(t: Timed): Promise<void> {
  const spikes = t.forward();
  t.row.firingRate = await meanOf(spikes);
  spikes.dispose();
  await timeOnce(t.forwardBackward);
}

async function timeForward(t: Timed): Promise<void> {
  t.row.fwdRuns!.push(await timeOnce(t.forward));
}

async function timeForwardBackward(t: Timed): Promise<void> {
  t.row.fwdBwdRuns!.push(await timeOnce(t.forwardBackward));
}

async function measurePeak(t: Timed): Promise<void> {
  t.row.peakMB = await peakMB(t.forwardBackward);
}

/** Calls `step` for every row still without an error; an exception becomes that row's error. */
async function forEachOk(timed: Timed[], step: (t: Timed) => Promise<void>): Promise<void> {
  for (const t of timed) {
    if (t.row.error != null) continue;
    try {
      await step(t);
    } catch (e) {
      t.row.error = errorText(e);
    }
  }
}

function emptyRows(spec: ConfigSpec): Row[] {
  const shape = [spec.batch, spec.time, ...spec.features];
  const neurons = spec.batch * spec.features.reduce((a, b) => a * b, 1);
  return spec.impls.map(impl => ({
    backend: spec.backend, impl, label: IMPL_LABELS[impl], time: spec.time, neurons, shape,
    fwdRuns: [], fwdBwdRuns: [], note: spec.note,
  }));
}

/** Runs the check; false (with every row marked failed) when an implementation disagrees with naive. */
async function checkRows(spec: ConfigSpec, rows: Row[], log: Log): Promise<boolean> {
  const checks = await checkAgainstNaive(spec);
  for (const row of rows) row.check = checks.get(row.impl);
  const bad = [...checks.entries()].filter(([, c]) => !c.ok);
  for (const [impl, c] of checks) log(`  check ${impl} vs naive: ${describeCheck(c)}`);
  if (bad.length === 0) return true;
  const reason = bad.map(([impl, c]) => `${impl} ≠ naive (${describeCheck(c)})`).join('; ');
  for (const row of rows) row.error = `check failed: ${reason}`;
  return false;
}

async function measureAll(spec: ConfigSpec, rows: Row[], log: Log): Promise<void> {
  const tensorsBefore = tf.memory().numTensors;
  const inputs = makeInputs(rows[0].shape, spec.seed);
  const timed = rows.map(row => timedRuns(row, lifFor(row.impl), inputs));
  await forEachOk(timed, warmUp);
  for (let rep = 0; rep < spec.reps; rep++) {
    await forEachOk(timed, timeForward);
    await forEachOk(timed, timeForwardBackward);
  }
  await forEachOk(timed, measurePeak);
  tf.dispose([inputs.currents, inputs.weights]);
  const leaked = tf.memory().numTensors - tensorsBefore;
  for (const row of rows) {
    row.leakedTensors = leaked;
    if (row.fwdRuns!.length > 0) row.fwdMs = median(row.fwdRuns!);
    if (row.fwdBwdRuns!.length > 0) row.fwdBwdMs = median(row.fwdBwdRuns!);
    log(`  ${row.impl}: ${row.error ?? `fwd ${row.fwdMs?.toFixed(1)} ms, fwd+bwd ${
        row.fwdBwdMs?.toFixed(1)} ms, peak ${row.peakMB?.toFixed(1)} MB`}`);
  }
}

/** Check, then measure, one configuration on the current backend. */
export async function runConfig(spec: ConfigSpec, log: Log = console.log): Promise<Row[]> {
  const rows = emptyRows(spec);
  log(`${spec.backend} T=${spec.time} shape [${rows[0].shape}] (${rows[0].neurons} neurons)`);
  try {
    if (await checkRows(spec, rows, log)) await measureAll(spec, rows, log);
  } catch (e) {
    for (const row of rows) row.error ??= errorText(e);
    log(`  failed: ${errorText(e)}`);
  }
  return rows;
}
