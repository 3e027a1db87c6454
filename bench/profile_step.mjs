// Where the kernel time of one training step of snn.models.small goes in headless Chromium (SwiftShader),
// by kernel name: tf.profile's kernelTimeMs of one warm trainOnBatch. On webgpu with the adapter's
// timestamp-query (SwiftShader's has it) that is each kernel's compute-pass time; on webgl each kernel's wall
// time with its outputs read back.
//
//   node bench/profile_step.mjs [--backend webgl|webgpu] [--batch B] [--time-steps T] [--top N] [--built-in NAME]
//
// Defaults: webgl, batch 32, T 4, the 12 largest kernels (the rest summed in one row). --built-in NAME (a kernel
// tfjs-snn replaces, e.g. Conv2DBackpropFilter) profiles the step twice in the same page, first with the backend's
// own NAME, then with tfjs-snn's, and prints both.
import {backendOption, runBenchPage} from './browser_bench_runner.mjs';

function option(name) {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

function numberOption(name, fallback) {
  const text = option(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= 1)) throw new Error(`${name} wants an integer >= 1, got ${text}`);
  return value;
}

const BACKEND = backendOption();
const BATCH = numberOption('--batch', 32);
const TIME_STEPS = numberOption('--time-steps', 4);
const TOP = numberOption('--top', 12);
const BUILT_IN = option('--built-in');

/** Rows {name, calls: [...], ms: [...]} over the profiles' kernels: the TOP largest of any, then the rest summed. */
function tableRows(profiles) {
  const names = new Set();
  for (const p of profiles) p.byKernel.slice(0, TOP).forEach(k => names.add(k.name));
  const entry = (p, name) => p.byKernel.find(k => k.name === name) ?? {calls: 0, ms: 0};
  const rows = [...names].map(name => ({
    name,
    calls: profiles.map(p => entry(p, name).calls),
    ms: profiles.map(p => entry(p, name).ms),
  }));
  rows.sort((a, b) => Math.max(...b.ms) - Math.max(...a.ms));
  const rest = profiles.map(p => p.byKernel.filter(k => !names.has(k.name)));
  if (rest.some(r => r.length > 0)) {
    rows.push({
      name: `the other ${Math.max(...rest.map(r => r.length))} kernels`,
      calls: rest.map(r => r.reduce((sum, k) => sum + k.calls, 0)),
      ms: rest.map(r => r.reduce((sum, k) => sum + k.ms, 0)),
    });
  }
  rows.push({
    name: 'all kernels',
    calls: profiles.map(p => p.byKernel.reduce((sum, k) => sum + k.calls, 0)),
    ms: profiles.map(p => p.kernelMs),
  });
  return rows;
}

function printTable(labels, profiles) {
  console.log(`| kernel | ${labels.map(l => `${l}: calls | ms | share`).join(' | ')} |`);
  console.log(`|---|${labels.map(() => '---:|---:|---:').join('|')}|`);
  for (const {name, calls, ms} of tableRows(profiles)) {
    const cells = profiles.map(
      (p, i) => `${calls[i]} | ${ms[i].toFixed(1)} | ${((100 * ms[i]) / p.kernelMs).toFixed(1)} %`
    );
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  const wall = profiles.map(p => ['', p.wallMs.toFixed(0), ''].join(' | '));
  console.log(`| step wall time under tf.profile | ${wall.join(' | ')} |`);
}

await runBenchPage(
  'bench/profile_step_page.ts',
  async (page, backendInfo) => {
    const profile = builtIn =>
      page.evaluate(([b, t, names]) => window.benchApi.profileTrainStep(b, t, names), [BATCH, TIME_STEPS, builtIn]);
    const runs =
      BUILT_IN === undefined
        ? [['tfjs-snn', []]]
        : [
            [`built-in ${BUILT_IN}`, [BUILT_IN]],
            ['tfjs-snn', []],
          ];
    const profiles = [];
    for (const [, builtIn] of runs) profiles.push(await profile(builtIn));
    console.log(
      `\nOne trainOnBatch of snn.models.small, batch ${BATCH}, T ${TIME_STEPS}, under tf.profile on ${BACKEND} ` +
        `(${backendInfo}); kernel time by kernel\n`
    );
    printTable(
      runs.map(([label]) => label),
      profiles
    );
  },
  [BACKEND]
);
