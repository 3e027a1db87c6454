// Peak tensor memory of snn.models.small on webgl in headless Chromium (tf.profile peakBytes of
// one warm training step and of one predict, the same batch), for a few T × batch sizes.
//
//   node bench/webgl_memory.mjs
import {runBenchPage} from './browser_bench_runner.mjs';

const SIZES = [
  [2, 16],
  [4, 32],
  [6, 64],
];

await runBenchPage('bench/webgl_memory_page.ts', async (page, backendInfo) => {
  console.log(`\nPeak tensor memory of the small model on webgl (${backendInfo}), MB\n`);
  console.log('| T | batch | held (weights + Adam) | training step peak | predict peak |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const [timeSteps, batch] of SIZES) {
    const row = await page.evaluate(([t, b]) => window.benchApi.measure(t, b), [timeSteps, batch]);
    console.log(
      `| ${timeSteps} | ${batch} | ${row.heldMB.toFixed(1)} | ${row.trainPeakMB.toFixed(1)} | ` +
        `${row.predictPeakMB.toFixed(1)} |`
    );
  }
});
