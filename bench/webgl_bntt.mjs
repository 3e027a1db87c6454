// Times BNTT training on webgl in headless Chromium (WebGL2 through SwiftShader): tfjs-snn's
// fused SnnBnttTrain / SnnBnttTrainGrad kernels against the layer's composite path
// (tf.moments and elementwise ops, what runs without them), both in the same page, on the
// small model's BNTT shapes (batch 32 × 4 time steps), one training step of snn.models.small,
// and that step's kernel time by kernel (tf.profile). Every ratio compares times measured in this run.
//
//   node bench/webgl_bntt.mjs [--repeats N] [--no-profile]
//
// N timed runs per variant (default 3), the best kept; --no-profile skips the tf.profile table.
import {printComparison, repeatsOption, runBenchPage} from './browser_bench_runner.mjs';

const REPEATS = repeatsOption();
const PROFILE = !process.argv.includes('--no-profile');

const BATCH = 32;
const TIME_STEPS = 4;
/** The inputs of the small model's three BNTT layers. */
const LAYER_SHAPES = [
  [BATCH, TIME_STEPS, 28, 28, 32],
  [BATCH, TIME_STEPS, 14, 14, 64],
  [BATCH, TIME_STEPS, 256],
];
/** Kernels listed in the profile table besides the largest. */
const WATCHED = ['Sum', 'Mean', 'SnnBnttTrain', 'SnnBnttTrainGrad'];
const COLUMNS = [
  {variant: 'composite', label: 'composite (tf.moments)'},
  {variant: 'tfjs-snn', label: 'tfjs-snn fused'},
];

function printProfile(shares) {
  const variants = ['composite', 'tfjs-snn'];
  const top = new Set(WATCHED);
  for (const variant of variants) shares[variant].byKernel.slice(0, 6).forEach(({name}) => top.add(name));
  console.log(
    `\nOne trainOnBatch under tf.profile (each kernel's outputs read back: per-kernel wall times), ms and share of kernel time\n`
  );
  console.log('| kernel | composite | share | tfjs-snn fused | share |');
  console.log('|---|---:|---:|---:|---:|');
  const cell = (variant, name) => {
    const ms = shares[variant].byKernel.find(k => k.name === name)?.ms ?? 0;
    return `${ms.toFixed(0)} | ${((100 * ms) / shares[variant].kernelMs).toFixed(1)}%`;
  };
  for (const name of top) console.log(`| ${name} | ${cell('composite', name)} | ${cell('tfjs-snn', name)} |`);
  const total = variant => shares[variant].kernelMs.toFixed(0);
  console.log(`| all kernels | ${total('composite')} | 100% | ${total('tfjs-snn')} | 100% |`);
  const wall = variant => shares[variant].wallMs.toFixed(0);
  console.log(`| step wall time under tf.profile | ${wall('composite')} | | ${wall('tfjs-snn')} | |`);
}

await runBenchPage('bench/webgl_bntt_page.ts', async (page, backendInfo) => {
  const rows = [];
  for (const shape of LAYER_SHAPES) {
    rows.push(await page.evaluate(([shape, repeats]) => window.benchApi.timeLayer(shape, repeats), [shape, REPEATS]));
    console.error(`measured ${rows[rows.length - 1].name}: ${JSON.stringify(rows[rows.length - 1].ms)}`);
  }
  rows.push(
    await page.evaluate(([b, t, repeats]) => window.benchApi.timeTrainStep(b, t, repeats), [BATCH, TIME_STEPS, REPEATS])
  );
  printComparison(`BNTT training on webgl (${backendInfo}); best of ${REPEATS} runs, ms`, COLUMNS, rows);
  if (PROFILE)
    printProfile(await page.evaluate(([b, t]) => window.benchApi.profileTrainStep(b, t), [BATCH, TIME_STEPS]));
});
