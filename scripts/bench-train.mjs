// npm run bench:train [-- --quick] [--only=small|vgg9] [--backends=wasm,wasm-threads,cpu] [--cpu-budget=SECONDS]
//   [--no-torch] [--profile]: training speed (one SGD step, images/s) of snn.models.small and vgg9 with tfjs on
// wasm and cpu, each run in a fresh Node process, against the same networks in PyTorch
// (tools/reference/bench_torch.py) on 1 and all threads. wasm-threads is the wasm backend on all cores
// (snn.useThreadedWasm); it runs only when named in --backends. Bundles bench/train_step.ts with esbuild (npm packages stay external), prints one markdown
// table and writes it to .bench/train.md, the raw lines to .bench/train.json.
import {build} from 'esbuild';
import {execSync, spawnSync} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {cpus, loadavg, totalmem} from 'node:os';

import {markdownReport} from '../bench/train/report.mjs';
import {runLines} from './json_lines.mjs';

const BUNDLE = 'build/bench-train/train_step.cjs';
const OUT_DIR = '.bench';
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = 'tools/reference/bench_torch.py';
const BACKENDS = ['wasm', 'wasm-threads', 'cpu'];
/** What runs without --backends (wasm-threads is named to run). */
const DEFAULT_BACKENDS = ['wasm', 'cpu'];
const USAGE =
  `npm run bench:train [-- --quick] [--only=small|vgg9] [--backends=${BACKENDS.join(',')}] ` +
  '[--cpu-budget=SECONDS] [--no-torch] [--profile]';
/** tfjs-backend-cpu's Conv2DBackpropFilter is a scalar loop (~95% of a small-model step): cap its process. */
const CPU_BUDGET_S = {full: 600, quick: 60};
/** A wasm process gets this long before it is reported as failed. */
const WASM_TIMEOUT_S = 1200;
/** No more timed steps of a mode once they took this long (at least one runs). */
const STEP_BUDGET_MS = 60000;

const log = message => process.stderr.write(`${message}\n`);

function option(args, name) {
  const arg = args.find(a => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3);
}

function parseArgs(args) {
  const known = ['--quick', '--no-torch', '--profile'];
  const valued = ['only', 'backends', 'cpu-budget'];
  const unknown = args.filter(a => !known.includes(a) && !valued.some(v => a.startsWith(`--${v}=`)));
  if (unknown.length > 0) throw new Error(`unknown option(s) ${unknown.join(' ')}; usage: ${USAGE}`);
  const quick = args.includes('--quick');
  const backends = (option(args, 'backends') ?? DEFAULT_BACKENDS.join(',')).split(',');
  const bad = backends.filter(b => !BACKENDS.includes(b));
  if (bad.length > 0) throw new Error(`--backends: unknown backend(s) ${bad.join(', ')}; usage: ${USAGE}`);
  const cpuBudgetS = Number(option(args, 'cpu-budget') ?? CPU_BUDGET_S[quick ? 'quick' : 'full']);
  if (!(cpuBudgetS > 0)) throw new Error(`--cpu-budget: expected a number of seconds > 0; usage: ${USAGE}`);
  return {
    quick,
    only: option(args, 'only'),
    backends,
    cpuBudgetS,
    torch: !args.includes('--no-torch'),
    profile: args.includes('--profile'),
  };
}

function selectedCases(config, only) {
  const names = only == null ? Object.keys(config.cases) : only.split(',');
  const unknown = names.filter(n => config.cases[n] == null);
  if (unknown.length > 0) {
    throw new Error(`--only: unknown case(s) ${unknown.join(', ')}; expected ${Object.keys(config.cases).join('|')}`);
  }
  return names;
}

function stepsOf(config, c, quick) {
  const kind = quick ? 'quick' : 'full';
  return {...config.steps[kind], ...c.steps?.[kind]};
}

/** cpu: no warm-up and one timed step of each mode, since one training step takes minutes there. */
function runSpec(config, name, backend, options) {
  const c = config.cases[name];
  const steps = stepsOf(config, c, options.quick);
  const cpu = backend === 'cpu';
  return {
    name,
    backend,
    case: c,
    optimizer: config.optimizer,
    profile: options.profile,
    trainSteps: cpu ? 1 : steps.train,
    predictSteps: cpu ? 1 : steps.predict,
    budgetMs: cpu ? 0 : STEP_BUDGET_MS,
    warmup: !cpu,
  };
}

/** The row's label; wasm-threads names the threads its process started (its info line). */
function tfjsLabel(backend, lines) {
  const threads = lines.find(l => l.type === 'info')?.wasmThreadCount;
  return backend === 'wasm-threads' ? `tfjs-snn wasm, ${threads ?? '?'} threads` : `tfjs-snn ${backend}`;
}

const CPU_NOTE = budget =>
  'cpu: no warm-up, one timed step of each kind, and the process is ended after ' +
  `${budget} s (--cpu-budget); a bound "> x" is the time the unfinished step had run by then. ` +
  "tfjs-backend-cpu's Conv2DBackpropFilter is a scalar JavaScript loop.";

/** Runs one case on one backend in a fresh Node process; returns its table rows and raw lines. */
async function runTfjs(config, name, backend, options) {
  const spec = runSpec(config, name, backend, options);
  const cpu = backend === 'cpu';
  const lines = [];
  const phaseStarted = {};
  log(`\n== tfjs ${backend}: ${name}`);
  const result = await runLines(
    process.execPath,
    ['--expose-gc', BUNDLE, JSON.stringify(spec)],
    cpu ? options.cpuBudgetS : WASM_TIMEOUT_S,
    (l, at) => {
      lines.push(l);
      if (l.type === 'phase') phaseStarted[l.mode] = at;
    }
  );
  const base = {
    name,
    timeSteps: spec.case.timeSteps,
    batch: spec.case.batch,
    label: tfjsLabel(backend, lines),
    backend,
    note: cpu ? CPU_NOTE(options.cpuBudgetS) : undefined,
  };
  const rows = ['train', 'predict'].map(mode => {
    const timing = lines.find(l => l.type === 'timing' && l.mode === mode);
    if (timing != null) return {...base, mode, ...timing};
    if (result.timedOut && phaseStarted[mode] != null) {
      const lowerBoundMs = result.endedAt - phaseStarted[mode];
      return {...base, mode, lowerBoundMs, imagesPerSecond: spec.case.batch / (lowerBoundMs / 1000)};
    }
    const why = result.timedOut
      ? `not reached within ${cpu ? options.cpuBudgetS : WASM_TIMEOUT_S} s`
      : result.signal != null
        ? `ended by ${result.signal}`
        : `exit code ${result.code}`;
    return {...base, mode, [result.timedOut ? 'skipped' : 'error']: why};
  });
  return {rows, lines};
}

function torchAvailable() {
  return spawnSync(PYTHON, ['-c', 'import torch'], {stdio: 'ignore'}).status === 0;
}

const TORCH_MISSING =
  `PyTorch column missing: ${PYTHON} cannot import torch; install it with ` +
  '`apt-get install -y python3-torch` (Debian), then rerun.';

async function runTorch(name, options) {
  const lines = [];
  log(`\n== PyTorch: ${name}`);
  const args = [TORCH_SCRIPT, `--only=${name}`, '--threads=1,all', ...(options.quick ? ['--quick'] : [])];
  const result = await runLines(PYTHON, args, WASM_TIMEOUT_S, l => lines.push(l));
  if (result.code !== 0)
    log(`PyTorch run for ${name} failed (exit code ${result.code}, timed out: ${result.timedOut})`);
  const allThreads = cpus().length;
  const rows = lines
    .filter(l => l.type === 'timing')
    .map(l => ({
      ...l,
      label: `PyTorch ${l.threads} thread${l.threads > 1 ? 's' : ''}`,
      torchThreads: l.threads === 1 ? '1' : l.threads === allThreads ? 'all' : String(l.threads),
    }));
  return {rows, lines};
}

/** PyTorch rows first, then tfjs; train before predict. */
function sortRows(rows, names) {
  const modeOrder = {train: 0, predict: 1};
  const tfjsOrder = ['wasm', 'wasm-threads', 'cpu'];
  const sideOrder = r =>
    r.torchThreads === '1' ? 0 : r.torchThreads != null ? 1 : 2 + Math.max(0, tfjsOrder.indexOf(r.backend));
  return [...rows].sort(
    (a, b) =>
      names.indexOf(a.name) - names.indexOf(b.name) ||
      modeOrder[a.mode] - modeOrder[b.mode] ||
      sideOrder(a) - sideOrder(b)
  );
}

function paramsOf(lines) {
  const params = {};
  for (const l of lines.filter(l => l.type === 'model')) {
    params[l.name] ??= {};
    params[l.name][l.side === 'torch' ? 'PyTorch' : `tfjs ${l.backend}`] = l.trainableParams;
  }
  return params;
}

function sourceRevision() {
  try {
    const commit = execSync('git rev-parse --short HEAD', {encoding: 'utf8'}).trim();
    const dirty = execSync('git status --porcelain -- src kernels', {encoding: 'utf8'})
      .split('\n')
      .filter(l => l.trim() !== '')
      .map(l => l.slice(3));
    return `tfjs-snn sources at ${commit}${dirty.length > 0 ? ` + uncommitted changes in ${dirty.join(', ')}` : ''}`;
  } catch {
    return 'tfjs-snn sources: not a git checkout';
  }
}

const loadText = () =>
  loadavg()
    .map(x => x.toFixed(2))
    .join(' ');

function infoLines(lines, options, args, seconds, loadBefore, torchNote) {
  const tfjs = lines.find(l => l.type === 'info' && l.backend === 'wasm') ?? lines.find(l => l.type === 'info');
  const torch = lines.find(l => l.type === 'model' && l.side === 'torch');
  const threaded = lines.find(l => l.type === 'info' && l.backend === 'wasm-threads');
  const wasm =
    tfjs?.wasmSimd == null
      ? ''
      : `, wasm SIMD ${tfjs.wasmSimd ? 'on' : 'off'}, ` +
        (threaded != null
          ? `wasm threads: 1 (tfjs-backend-wasm's own choice in Node) and ${threaded.wasmThreadCount} ` +
            '(wasm-threads, snn.useThreadedWasm)'
          : `threads ${tfjs.wasmThreads ? 'on' : 'off'}`);
  return [
    `${new Date().toISOString()}; CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `Node ${process.version}, tfjs-core ${tfjs?.tfjs ?? '?'}${wasm}; ` +
      (torch != null ? `PyTorch ${torch.torch} (CPU, float32)` : (torchNote ?? 'PyTorch not run')),
    sourceRevision(),
    'Random images (uniform in [-1, 1)) and labels, direct input, SGD lr 0.1 momentum 0.9 weight decay 1e-4, ' +
      'softmax cross-entropy; train = one trainOnBatch / zero_grad+forward+backward+step; ' +
      'predict = inference forward (moving statistics). ms/step is the median of the timed steps after a warm-up.',
    `Options: ${args.join(' ') || '(full run)'}; bench took ${seconds.toFixed(0)} s; load average (1, 5, 15 min) ` +
      `${loadBefore} before, ${loadText()} after`,
  ];
}

function save(markdown, json) {
  mkdirSync(OUT_DIR, {recursive: true});
  writeFileSync(`${OUT_DIR}/train.md`, `${markdown}\n`);
  writeFileSync(`${OUT_DIR}/train.json`, `${JSON.stringify(json, null, 2)}\n`);
}

async function main(args) {
  const options = parseArgs(args);
  const config = JSON.parse(readFileSync('bench/train/cases.json', 'utf8'));
  const names = selectedCases(config, options.only);
  await build({
    entryPoints: ['bench/train_step.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    target: 'es2020',
    sourcemap: 'inline',
    logLevel: 'warning',
    outfile: BUNDLE,
  });
  const withTorch = options.torch && torchAvailable();
  const torchNote = options.torch && !withTorch ? TORCH_MISSING : undefined;
  if (torchNote != null) log(torchNote);
  const started = Date.now();
  const loadBefore = loadText();
  const rows = [];
  const lines = [];
  // Per case, PyTorch and the tfjs backends back to back, so that they run under similar machine load.
  for (const name of names) {
    const runs = [];
    // A case with a neuron other than the LIF has no PyTorch twin and runs on wasm only (cpu takes minutes a step).
    const neuronCase = config.cases[name].neuron != null;
    if (withTorch && !neuronCase) runs.push(await runTorch(name, options));
    for (const backend of options.backends.filter(b => !neuronCase || b !== 'cpu')) {
      runs.push(await runTfjs(config, name, backend, options));
    }
    for (const run of runs) {
      rows.push(...run.rows);
      lines.push(...run.lines);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const report = {
    info: infoLines(lines, options, args, seconds, loadBefore, torchNote),
    rows: sortRows(rows, names),
    params: paramsOf(lines),
    profiles: lines.filter(l => l.type === 'profile'),
    activity: lines.filter(l => l.type === 'activity'),
  };
  const markdown = markdownReport(report) + (torchNote != null ? `\n\n${torchNote}` : '');
  process.stdout.write(`\n${markdown}\n`);
  save(markdown, {date: new Date().toISOString(), options, config, seconds, ...report, lines});
  log(`\nwrote ${OUT_DIR}/train.md and ${OUT_DIR}/train.json`);
}

main(process.argv.slice(2)).catch(e => {
  console.error(`bench:train: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
});
