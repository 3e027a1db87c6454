// Times Conv2DBackpropFilter on webgl or webgpu in headless Chromium (SwiftShader): tfjs-snn's
// split-K kernel against the backend's built-in it replaces, both in the same page, on the
// small model's conv shapes (batch 32 × 4 time steps = 128 images) and one training step
// of snn.models.small. Every ratio compares times measured in this run.
//
//   node bench/conv_grad.mjs [--backend webgl|webgpu] [--repeats N] [--convs-only]
//
// Backend webgl by default; N timed runs per variant (default 3), the best kept; --convs-only skips the training
// step.
import {backendOption, printComparison, repeatsOption, runBenchPage} from './browser_bench_runner.mjs';

const BACKEND = backendOption();
const REPEATS = repeatsOption();
const CONVS_ONLY = process.argv.includes('--convs-only');

const CONV_CASES = [
  {name: 'conv1 x [128,28,28,1] → 32, 3×3 same', xShape: [128, 28, 28, 1], outChannels: 32},
  {name: 'conv2 x [128,14,14,32] → 64, 3×3 same', xShape: [128, 14, 14, 32], outChannels: 64},
];
const COLUMNS = [
  {variant: 'built-in', label: 'built-in'},
  {variant: 'tfjs-snn', label: 'tfjs-snn'},
];

await runBenchPage(
  'bench/conv_grad_page.ts',
  async (page, backendInfo) => {
    const rows = [];
    for (const c of CONV_CASES) {
      rows.push(await page.evaluate(([c, repeats]) => window.benchApi.timeConv(c, repeats), [c, REPEATS]));
      console.error(`measured ${c.name}: ${JSON.stringify(rows[rows.length - 1])}`);
    }
    if (!CONVS_ONLY) rows.push(await page.evaluate(repeats => window.benchApi.timeTrainStep(32, 4, repeats), REPEATS));
    printComparison(`Conv2DBackpropFilter on ${BACKEND} (${backendInfo}); best of ${REPEATS} runs, ms`, COLUMNS, rows);
  },
  [BACKEND]
);
