/**
 * Runs one configuration on the current backend: the equivalence check, then for each
 * implementation a warm-up forward+backward under tf.profile (which gives the peak
 * tensor memory), then timed forward and forward+backward runs, interleaved between
 * implementations. Used in Node (cpu, wasm) and in the page (webgl).
 */
import * as tf from '@tensorflow/tfjs-core';

import {checkAgainstNaive, describeCheck} from './check';
import {IMPL_LABELS, lifFor} from './lif_impls';
import {median} from './stats';
import {BenchInputs, lossGradient, makeInputs, meanOf, settle} from './tensors';
import type {ConfigSpec, Row} from './types';

type Run = () => tf.Tensor;
export type Log = (message: string) => void;

interface Timed {
  row: Row;
  forward: Run;
  forwardBackward: Run;
  /** Milliseconds spent in this implementation's timed runs so far. */
  spentMs: number;
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].slice(0, 160);
}

/**
 * Collects the garbage of earlier runs before a timed one, where the runtime exposes
 * gc() (bench/main.ts in Node, --js-flags=--expose-gc in Chromium): the slices and
 * copies of the naive and composite runs leave GBs of it.
 */
function collectGarbage(): void {
  (globalThis as {gc?: () => void}).gc?.();
}

/** Wall time of `run` until its result is computed; `inspect` then sees the result before it is disposed. */
async function timeOnce(run: Run, inspect?: (out: tf.Tensor) => Promise<void>): Promise<number> {
  collectGarbage();
  const start = performance.now();
  const out = run();
  await settle(out);
  const ms = performance.now() - start;
  await inspect?.(out);
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

function timedRuns(row: Row, spec: ConfigSpec, inputs: BenchInputs): Timed {
  const lif = lifFor(row.impl);
  return {
    row,
    forward: () => lif(inputs.currents),
    forwardBackward: () => lossGradient(lif, inputs, spec.loss),
    spentMs: 0,
  };
}

/** The warm-up: one forward+backward, under tf.profile for its peak memory. */
async function warmUp(t: Timed): Promise<void> {
  t.row.peakMB = await peakMB(t.forwardBackward);
}

/** One timed forward and one timed forward+backward; the first forward also gives the firing rate. */
async function timeRep(t: Timed): Promise<void> {
  const row = t.row;
  const firstRun = row.fwdRuns!.length === 0;
  const fwd = await timeOnce(t.forward, async spikes => {
    if (firstRun) row.firingRate = await meanOf(spikes);
  });
  const fwdBwd = await timeOnce(t.forwardBackward);
  row.fwdRuns!.push(fwd);
  row.fwdBwdRuns!.push(fwdBwd);
  t.spentMs += fwd + fwdBwd;
}

function wantsMoreRuns(t: Timed, spec: ConfigSpec): boolean {
  const runs = t.row.fwdRuns!.length;
  return t.row.error == null && runs < spec.maxReps && (runs === 0 || t.spentMs < spec.budgetMs);
}

/** Calls `step` for each of `timed`; an exception becomes that row's error. */
async function forEachRow(timed: Timed[], step: (t: Timed) => Promise<void>): Promise<void> {
  for (const t of timed) {
    try {
      await step(t);
    } catch (e) {
      t.row.error = errorText(e);
    }
  }
}

/** The rows of a configuration, before any measurement. */
export function emptyRows(spec: ConfigSpec): Row[] {
  const shape = [spec.batch, spec.time, ...spec.features];
  const neurons = spec.batch * spec.features.reduce((a, b) => a * b, 1);
  return spec.impls.map(impl => ({
    backend: spec.backend,
    impl,
    label: IMPL_LABELS[impl],
    time: spec.time,
    neurons,
    shape,
    fwdRuns: [],
    fwdBwdRuns: [],
    skipped: spec.skip?.[impl],
    note: spec.note,
  }));
}

/** Runs the check; false (with every row marked failed) when an implementation disagrees with naive. */
async function checkRows(spec: ConfigSpec, rows: Row[], log: Log): Promise<boolean> {
  const checks = await checkAgainstNaive(
    spec,
    rows.filter(r => r.skipped == null).map(r => r.impl)
  );
  for (const row of rows) row.check = checks.get(row.impl);
  for (const [impl, c] of checks) log(`  check ${impl} vs naive: ${describeCheck(c)}`);
  const bad = [...checks.entries()].filter(([, c]) => !c.ok);
  if (bad.length === 0) return true;
  const reason = bad.map(([impl, c]) => `${impl} ≠ naive (${describeCheck(c)})`).join('; ');
  for (const row of rows) row.error = `check failed: ${reason}`;
  return false;
}

function summarise(row: Row, leaked: number, log: Log): void {
  row.leakedTensors = leaked;
  if (row.fwdRuns!.length > 0) row.fwdMs = median(row.fwdRuns!);
  if (row.fwdBwdRuns!.length > 0) row.fwdBwdMs = median(row.fwdBwdRuns!);
  const result =
    row.skipped != null
      ? `skipped: ${row.skipped}`
      : (row.error ??
        `fwd ${row.fwdMs?.toFixed(1)} ms, ` +
          `fwd+bwd ${row.fwdBwdMs?.toFixed(1)} ms (${row.fwdRuns!.length} runs), peak ${row.peakMB?.toFixed(1)} MB`);
  log(`  ${row.impl}: ${result}`);
}

async function measureAll(spec: ConfigSpec, rows: Row[], log: Log): Promise<void> {
  const tensorsBefore = tf.memory().numTensors;
  const inputs = makeInputs(rows[0].shape, spec.seed);
  const timed = rows.filter(row => row.skipped == null).map(row => timedRuns(row, spec, inputs));
  await forEachRow(timed, warmUp);
  for (let pending = timed; pending.length > 0; pending = timed.filter(t => wantsMoreRuns(t, spec))) {
    await forEachRow(
      pending.filter(t => t.row.error == null),
      timeRep
    );
  }
  tf.dispose([inputs.currents, inputs.weights]);
  const leaked = tf.memory().numTensors - tensorsBefore;
  for (const row of rows) summarise(row, leaked, log);
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
