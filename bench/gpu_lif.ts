/**
 * The LIF half of `npm run bench:gpu` (scripts/bench-gpu.mjs runs it in a child process preloaded with
 * scripts/dawn-preload.mjs): fused vs composite vs the per-step loop on tfjs-backend-webgpu in Node, on the adapter
 * Dawn found, at T 8/25/64 and 2^20 neurons (the cpu rows' size). Prints one JSON line {markdown, rows} on stdout.
 *
 *   node --expose-gc --import ./scripts/dawn-preload.mjs build/bench-gpu/gpu_lif.cjs '{"quick": false}'
 */
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-layers'; // registers the gradients of the core ops the per-step loop uses

import * as tf from '@tensorflow/tfjs-core';

import {runConfig} from './measure';
import {gpuPlan} from './plan';
import {markdownReport} from './report';
import type {Row} from './types';

const log = (message: string) => process.stderr.write(`${message}\n`);

async function run(options: {quick: boolean; adapter: string}): Promise<void> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu failed to initialise on the adapter');
  const plan = {quick: options.quick, loss: 'vjp' as const};
  const rows: Row[] = [];
  for (const spec of gpuPlan(plan)) rows.push(...(await runConfig(spec, log)));
  const info = [
    `WebGPU in Node.js through Dawn (npm webgpu), adapter: ${options.adapter}`,
    `tfjs-core ${tf.version_core}`,
  ];
  process.stdout.write(`${JSON.stringify({markdown: markdownReport(info, rows, plan), rows})}\n`);
}

run(JSON.parse(process.argv[2] ?? '{}')).catch(e => {
  log(`bench:gpu LIF failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
