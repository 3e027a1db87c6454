/**
 * `npm run bench [-- --quick] [--no-browser] [--sum-loss]`: fused LIF vs naive per-step ops on
 * Node cpu, Node wasm and webgl in headless Chromium, and the learnable LIF (per-channel leak and threshold
 * tensors) on cpu (`--only=learnable` runs just those rows). scripts/bench.mjs bundles this
 * file and bench/browser_page.ts with esbuild and calls main().
 */
import {execSync} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import {cpus, loadavg, totalmem} from 'node:os';
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';

import * as tf from '@tensorflow/tfjs-core';

import {BrowserResult, runBrowserPlan} from './browser_run';
import {runHugePagesPlan} from './huge_pages';
import {BROWSER_BACKENDS} from './types';
import {LearnableRow, learnableMarkdown, runLearnableLif} from './learnable_lif';
import {runNodePlan, wasmInfo} from './node_backends';
import {browserPlan, hugePagesPlan, nodePlan, PlanOptions} from './plan';
import {markdownReport} from './report';
import type {Row} from './types';

export interface MainPaths {
  /** The esbuild bundle of bench/browser_page.ts. */
  pageBundle: string;
  /** Where lif.md and lif.json go. */
  outDir: string;
}

interface Options extends PlanOptions {
  /** The backends to run: cpu, wasm, webgl (in headless Chromium). */
  backends: Set<string>;
}

export {hugePagesChild} from './huge_pages';

/**
 * The backends; `cpu-huge-pages`: the cpu rows at T 25 again with malloc on transparent huge pages
 * (bench/huge_pages.ts); `learnable`: the learnable-LIF rows (cpu).
 */
const BACKENDS = ['cpu', 'cpu-huge-pages', 'wasm', ...BROWSER_BACKENDS, 'learnable'];
const USAGE = `npm run bench [-- --quick] [--no-browser] [--only=${BACKENDS.join(',')}] [--sum-loss]`;

function parseBackends(argv: string[]): Set<string> {
  const only = argv.find(arg => arg.startsWith('--only='));
  const backends = only == null ? BACKENDS : only.slice('--only='.length).split(',');
  const bad = backends.filter(b => !BACKENDS.includes(b));
  if (bad.length > 0) throw new Error(`--only: unknown backend(s) ${bad.join(', ')}; usage: ${USAGE}`);
  const browser = BROWSER_BACKENDS as readonly string[];
  return new Set(backends.filter(b => !browser.includes(b) || !argv.includes('--no-browser')));
}

function parseArgs(argv: string[]): Options {
  const known = new Set(['--quick', '--no-browser', '--sum-loss']);
  const unknown = argv.filter(arg => !known.has(arg) && !arg.startsWith('--only='));
  if (unknown.length > 0) throw new Error(`unknown option(s) ${unknown.join(' ')}; usage: ${USAGE}`);
  return {
    quick: argv.includes('--quick'),
    backends: parseBackends(argv),
    loss: argv.includes('--sum-loss') ? 'sum' : 'vjp',
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Makes gc() available, so that bench/measure.ts can collect garbage before each timed run. */
function exposeGc(): void {
  setFlagsFromString('--expose-gc');
  const global = globalThis as {gc?: () => void};
  global.gc ??= runInNewContext('gc');
}

/** The commit measured, and the source files that differ from it. */
function sourceRevision(): string {
  try {
    const commit = execSync('git rev-parse --short HEAD', {encoding: 'utf8'}).trim();
    const dirty = execSync('git status --porcelain -- src kernels', {encoding: 'utf8'})
      .split('\n')
      .filter(line => line.trim() !== '')
      .map(line => line.slice(3));
    return `tfjs-snn sources at ${commit}${dirty.length > 0 ? ` + uncommitted changes in ${dirty.join(', ')}` : ''}`;
  } catch {
    return 'tfjs-snn sources: not a git checkout';
  }
}

const loadText = () =>
  loadavg()
    .map(x => x.toFixed(2))
    .join(' ');

async function nodeInfoLines(): Promise<string[]> {
  const wasm = await wasmInfo();
  return [
    `CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `Node ${process.version}, tfjs-core ${tf.version_core}, wasm SIMD ${wasm.simd ? 'on' : 'off'}, ` +
      `wasm threads ${wasm.threads ? 'on' : 'off'}`,
  ];
}

function browserInfoLines(results: BrowserResult[]): string[] {
  if (results.length === 0) return ['Browser: not run (--no-browser or --only)'];
  const lines: string[] = [];
  for (const result of results) {
    const info = result.info;
    if (info == null) {
      lines.push(`Browser: Chromium did not start a page (${result.backend}): ${result.failure ?? 'no reason given'}`);
      continue;
    }
    if (lines.length === 0) {
      lines.push(
        `Chromium ${info.chromium} (headless, ${info.userAgent.includes('Headless') ? 'HeadlessChrome UA' : 'headless'}), ` +
          `tfjs-core ${info.tfjs} in the page`
      );
    }
    lines.push(
      info.backend === 'webgpu'
        ? `WebGPU adapter: ${info.renderer}`
        : `WebGL ${info.webglVersion}: ${info.renderer}; WEBGL_PACK=${info.pack}, WEBGL_CPU_FORWARD=${info.cpuForward}`
    );
  }
  return lines;
}

function save(outDir: string, markdown: string, json: object): void {
  mkdirSync(outDir, {recursive: true});
  writeFileSync(`${outDir}/lif.md`, `${markdown}\n`);
  writeFileSync(`${outDir}/lif.json`, `${JSON.stringify(json, null, 2)}\n`);
}

export async function main(argv: string[], paths: MainPaths): Promise<void> {
  const options = parseArgs(argv);
  exposeGc();
  const revision = sourceRevision();
  const loadBefore = loadText();
  const started = Date.now();
  const rows: Row[] = await runNodePlan(
    nodePlan(options).filter(s => options.backends.has(s.backend)),
    log
  );
  const extraInfo: string[] = [];
  if (options.backends.has('cpu-huge-pages')) {
    // This file is bundled into one CommonJS file (scripts/bench.mjs), which the child process loads again.
    const hugePages = runHugePagesPlan(hugePagesPlan(options), __filename, log);
    rows.push(...hugePages.rows);
    extraInfo.push(hugePages.info);
  }
  const browser: BrowserResult[] = [];
  for (const backend of BROWSER_BACKENDS.filter(b => options.backends.has(b))) {
    const result = await runBrowserPlan(paths.pageBundle, backend, browserPlan(backend, options), log);
    browser.push(result);
    rows.push(...result.rows);
  }
  let learnable: LearnableRow[] = [];
  if (options.backends.has('learnable')) {
    if (tf.getBackend() !== 'cpu' && !(await tf.setBackend('cpu'))) throw new Error("backend 'cpu' failed");
    learnable = await runLearnableLif(options.quick, log);
  }
  const seconds = (Date.now() - started) / 1000;
  const info = [
    ...(await nodeInfoLines()),
    ...extraInfo,
    ...browserInfoLines(browser),
    revision,
    `Options: ${argv.join(' ') || '(full run)'}; bench took ${seconds.toFixed(0)} s; ` +
      `load average (1, 5, 15 min) ${loadBefore} before, ${loadText()} after`,
  ];
  const markdown = [
    rows.length > 0
      ? markdownReport(info, rows, options)
      : `## tfjs-snn LIF benchmark\n\n${info.map(l => `- ${l}`).join('\n')}`,
    ...(learnable.length > 0 ? ['', learnableMarkdown(learnable)] : []),
  ].join('\n');
  process.stdout.write(`\n${markdown}\n`);
  const json = {
    date: new Date().toISOString(),
    options: {...options, backends: [...options.backends]},
    info,
    seconds,
    rows,
    learnable,
  };
  save(paths.outDir, markdown, json);
  log(`\nwrote ${paths.outDir}/lif.md and ${paths.outDir}/lif.json`);
  if (learnable.some(row => row.error === 'check failed')) {
    log('the learnable fused lif and its naive loop disagree: those rows were not timed');
    process.exitCode = 1;
  }
  if (rows.some(row => row.check != null && !row.check.ok)) {
    log('naive and tfjs-snn disagree in at least one configuration: those rows were not timed');
    process.exitCode = 1;
  }
}
