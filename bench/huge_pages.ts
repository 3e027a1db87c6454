/**
 * The `cpu (huge pages)` rows of `npm run bench`: the cpu rows at T 25 again, in a child Node process whose glibc
 * malloc backs large blocks with transparent huge pages (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, glibc ≥ 2.35).
 *
 * Why: tfjs-backend-cpu gives every output a new typed array. glibc serves a block over 32 MiB (the fused LIF's
 * [T, N] outputs: 105 MB at T 25, 2^20 neurons) with a fresh mmap, and its first write faults in every 4 KiB page;
 * on this project's VM that costs ~400 ms per 105 MB, more than the kernel. The per-step loop's 4 MB arrays come
 * from the reused heap instead. The tunable is a process setting (an environment variable read at start-up), which
 * a library cannot set; docs/benchmarks.md tells users of Node's cpu backend about it.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import {IMPL_LABELS} from './lif_impls';
import type {Log} from './measure';
import {runNodePlan} from './node_backends';
import {ConfigSpec, HUGE_PAGES_BACKEND, Row} from './types';

/** The tunable the child process starts with. */
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';
const THP_MODE_FILE = '/sys/kernel/mm/transparent_hugepage/enabled';

/** glibc's version in this process ("2.36"), or undefined where Node is not linked against glibc. */
function glibcVersion(): string | undefined {
  const report = process.report?.getReport() as {header?: {glibcVersionRuntime?: string}} | undefined;
  return report?.header?.glibcVersionRuntime;
}

/** The kernel's transparent huge page mode: the bracketed word of `always [madvise] never`. */
function thpMode(): string | undefined {
  if (!existsSync(THP_MODE_FILE)) return undefined;
  return /\[(\w+)\]/.exec(readFileSync(THP_MODE_FILE, 'utf8'))?.[1];
}

/** Why the huge-page rows cannot run here, or undefined when they can. */
export function hugePagesUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  const glibc = glibcVersion();
  if (glibc == null) return 'needs glibc (Node here is not linked against it)';
  const [major, minor] = glibc.split('.').map(Number);
  if (major < 2 || (major === 2 && minor < 35))
    return `needs glibc ≥ 2.35 for ${HUGE_PAGES_TUNABLE} (this is ${glibc})`;
  const mode = thpMode();
  if (mode !== 'always' && mode !== 'madvise')
    return `transparent huge pages are ${mode ?? 'absent'} in ${THP_MODE_FILE}`;
  return undefined;
}

/** MiB of anonymous memory this process holds in huge pages (/proc/self/smaps_rollup). */
function anonHugeMiB(): number {
  const match = /^AnonHugePages:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  return match == null ? 0 : Number(match[1]) / 1024;
}

/**
 * Whether malloc hands this process huge pages: a 64 MiB array, written once, and the huge-page memory before and
 * after. Printed with the rows, so that a table never claims huge pages that the kernel did not give.
 */
function probeHugePages(): string {
  const before = anonHugeMiB();
  const probe = new Float32Array(2 ** 24).fill(1);
  const grew = anonHugeMiB() - before;
  return `${grew.toFixed(0)} MiB of a fresh ${(probe.byteLength / 2 ** 20).toFixed(0)} MiB array in huge pages`;
}

interface ChildResult {
  rows: Row[];
  probe: string;
}

/** In the child: runs `specs` on cpu and writes the rows to `outFile`. */
export async function hugePagesChild(specsJson: string, outFile: string): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error("backend 'cpu' failed to initialise");
  const log: Log = message => process.stderr.write(`${message}\n`);
  const specs = JSON.parse(specsJson) as ConfigSpec[];
  const probe = probeHugePages();
  log(`cpu with ${HUGE_PAGES_TUNABLE}: ${probe}`);
  const result: ChildResult = {rows: await runNodePlan(specs, log), probe};
  writeFileSync(outFile, JSON.stringify(result));
}

/** Rows of `reason` for every implementation of `specs`, not run. */
function skippedRows(specs: ConfigSpec[], reason: string): Row[] {
  return specs.flatMap(spec =>
    spec.impls.map(impl => ({
      backend: HUGE_PAGES_BACKEND,
      impl,
      label: IMPL_LABELS[impl],
      time: spec.time,
      neurons: spec.batch * spec.features.reduce((a, b) => a * b, 1),
      shape: [spec.batch, spec.time, ...spec.features],
      skipped: reason,
    }))
  );
}

/**
 * Runs `specs` (cpu configurations) in a child Node process started with GLIBC_TUNABLES=glibc.malloc.hugetlb=1
 * (the bundle is this file's own, `bundlePath`), and returns their rows labelled HUGE_PAGES_BACKEND, with a line
 * saying whether huge pages were handed out.
 */
export function runHugePagesPlan(specs: ConfigSpec[], bundlePath: string, log: Log): {rows: Row[]; info: string} {
  const unavailable = hugePagesUnavailable();
  if (unavailable != null) return {rows: skippedRows(specs, unavailable), info: `Huge pages: not run, ${unavailable}`};
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-snn-bench-'));
  const outFile = join(dir, 'rows.json');
  try {
    const tunables = [process.env.GLIBC_TUNABLES, HUGE_PAGES_TUNABLE].filter(t => t != null && t !== '').join(':');
    const script = `require(${JSON.stringify(bundlePath)}).hugePagesChild(${JSON.stringify(JSON.stringify(specs))}, ${JSON.stringify(outFile)}).catch(e => { console.error(e); process.exitCode = 1; });`;
    log(
      `\n${HUGE_PAGES_BACKEND}: the cpu rows at T ${specs.map(s => s.time).join(', ')} in a child process, GLIBC_TUNABLES=${tunables}`
    );
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], {
      env: {...process.env, GLIBC_TUNABLES: tunables},
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (child.status !== 0 || !existsSync(outFile)) {
      const why = `the child process failed (${child.error?.message ?? `exit ${child.status ?? child.signal}`})`;
      return {rows: skippedRows(specs, why), info: `Huge pages: ${why}`};
    }
    const result = JSON.parse(readFileSync(outFile, 'utf8')) as ChildResult;
    return {
      rows: result.rows.map(row => ({...row, backend: HUGE_PAGES_BACKEND})),
      info: `Huge pages (${HUGE_PAGES_BACKEND} rows): a child process with GLIBC_TUNABLES=${tunables}, ${thpMode()} THP; ${result.probe}`,
    };
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}
