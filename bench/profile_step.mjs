// Where the kernel time of one training step of snn.models.small goes in headless Chromium (SwiftShader),
// by kernel name: tf.profile's kernelTimeMs of one warm trainOnBatch. On webgpu with the adapter's
// timestamp-query (SwiftShader's has it) that is each kernel's compute-pass time; on webgl each kernel's wall
// time with its outputs read back.
//
//   node bench/profile_step.mjs [--backend webgl|webgpu] [--batch B] [--time-steps T] [--top N]
//
// Defaults: webgl, batch 32, T 4, the 12 largest kernels (the rest summed in one row).
import {backendOption, runBenchPage} from './browser_bench_runner.mjs';

function numberOption(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!(Number.isInteger(value) && value >= 1))
    throw new Error(`${name} wants an integer >= 1, got ${process.argv[at + 1]}`);
  return value;
}

const BACKEND = backendOption();
const BATCH = numberOption('--batch', 32);
const TIME_STEPS = numberOption('--time-steps', 4);
const TOP = numberOption('--top', 12);

await runBenchPage(
  'bench/profile_step_page.ts',
  async (page, backendInfo) => {
    const profile = await page.evaluate(([b, t]) => window.benchApi.profileTrainStep(b, t), [BATCH, TIME_STEPS]);
    console.log(
      `\nOne trainOnBatch of snn.models.small, batch ${BATCH}, T ${TIME_STEPS}, under tf.profile on ${BACKEND} ` +
        `(${backendInfo}); kernel time by kernel\n`
    );
    console.log('| kernel | calls | ms | share |');
    console.log('|---|---:|---:|---:|');
    const share = ms => `${((100 * ms) / profile.kernelMs).toFixed(1)} %`;
    for (const {name, calls, ms} of profile.byKernel.slice(0, TOP)) {
      console.log(`| ${name} | ${calls} | ${ms.toFixed(1)} | ${share(ms)} |`);
    }
    const rest = profile.byKernel.slice(TOP);
    if (rest.length > 0) {
      const ms = rest.reduce((sum, k) => sum + k.ms, 0);
      const calls = rest.reduce((sum, k) => sum + k.calls, 0);
      console.log(`| ${rest.length} other kernels | ${calls} | ${ms.toFixed(1)} | ${share(ms)} |`);
    }
    const calls = profile.byKernel.reduce((sum, k) => sum + k.calls, 0);
    console.log(`| all kernels | ${calls} | ${profile.kernelMs.toFixed(1)} | 100 % |`);
    console.log(`| step wall time under tf.profile | | ${profile.wallMs.toFixed(0)} | |`);
  },
  [BACKEND]
);
