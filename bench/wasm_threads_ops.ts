/**
 * The threaded wasm build (snn.useThreadedWasm) against tfjs-backend-wasm's own single-threaded build, op by op:
 * a VGG9 convolution forward, its filter and input gradients (tfjs-snn's XNNPACK kernels), a dense layer's matrix
 * product, an elementwise op and the fused LIF forward. Each variant runs in its own process (the threaded build
 * replaces the process's 'wasm' backend), the variants alternating for --rounds rounds, so that both sides of each
 * ratio are measured in the same minutes; a variant's time is the best over its rounds (other processes only ever
 * slow a run down).
 *
 *   npx esbuild bench/wasm_threads_ops.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-threads.cjs && node build/bench-wasm-threads.cjs [--rounds=3]
 */
import '@tensorflow/tfjs-backend-wasm';

import * as tf from '@tensorflow/tfjs-core';
import {spawnSync} from 'node:child_process';
import {loadavg} from 'node:os';

import * as snn from '../src/index';

const VARIANTS = [
  {label: 'wasm (single-threaded build)', threads: 0},
  {label: 'threaded build, 1 thread', threads: 1},
  {label: 'threaded build, 2 threads', threads: 2},
];
const REPEATS = 5;

const filterGrad = (x: tf.Tensor4D, dy: tf.Tensor4D) =>
  tf
    .engine()
    .runKernel(
      'Conv2DBackpropFilter',
      {x, dy},
      {strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 128, 128]}
    ) as tf.Tensor;

/** The ops, each a function run REPEATS times after a warm-up; its result is read back. */
function ops(): Array<{name: string; run: () => tf.Tensor}> {
  const x = tf.randomNormal([32, 16, 16, 128], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 128, 128], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomNormal([32, 16, 16, 128], 0, 1, 'float32', 3) as tf.Tensor4D;
  const a = tf.randomNormal([384, 3136], 0, 1, 'float32', 4) as tf.Tensor2D;
  const b = tf.randomNormal([3136, 256], 0, 1, 'float32', 5) as tf.Tensor2D;
  const currents = tf.randomUniform([4, 25, 16384], 0, 0.4, 'float32', 6);
  return [
    {name: 'conv2d 32×16×16×128, 3×3→128', run: () => tf.conv2d(x, w, 1, 'same')},
    {name: 'its filter gradient', run: () => filterGrad(x, dy)},
    {
      name: 'its input gradient',
      run: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            {dy, filter: w},
            {strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape}
          ) as tf.Tensor,
    },
    {name: 'matMul 384×3136 · 3136×256', run: () => tf.matMul(a, b)},
    {name: 'add, 2^20 elements', run: () => tf.add(x, dy)},
    {name: 'ops.lif, T 25, 2^16 neurons', run: () => snn.ops.lif(currents) as tf.Tensor},
  ];
}

async function child(threads: number): Promise<void> {
  if (threads > 0) await snn.useThreadedWasm({threads});
  else await tf.setBackend('wasm');
  const times: Record<string, number> = {};
  for (const op of ops()) {
    tf.tidy(() => {
      op.run().dataSync();
    });
    const start = performance.now();
    for (let i = 0; i < REPEATS; i++)
      tf.tidy(() => {
        op.run().dataSync();
      });
    times[op.name] = (performance.now() - start) / REPEATS;
  }
  process.stdout.write(`${JSON.stringify(times)}\n`);
}

function parent(rounds: number): void {
  const load = () =>
    loadavg()
      .map(l => l.toFixed(2))
      .join(' ');
  const before = load();
  const best: Array<Record<string, number>> = VARIANTS.map(() => ({}));
  for (let round = 0; round < rounds; round++) {
    VARIANTS.forEach((v, i) => {
      const run = spawnSync(process.execPath, [process.argv[1], `--child=${v.threads}`], {encoding: 'utf8'});
      if (run.status !== 0) throw new Error(`${v.label}: ${run.stderr}`);
      const times = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>;
      for (const [name, ms] of Object.entries(times)) best[i][name] = Math.min(best[i][name] ?? Infinity, ms);
    });
  }
  const names = Object.keys(best[0]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(`load average (1, 5, 15 min) ${before} before, ${load()} after; ${rounds} rounds, best of each\n`);
  console.log(line(['op', ...VARIANTS.map(v => `${v.label}, ms`), '2 threads vs single-threaded build']));
  console.log(line(['---', ...VARIANTS.map(() => '---'), '---']));
  for (const name of names) {
    const ms = best.map(b => b[name]);
    console.log(line([name, ...ms.map(m => m.toFixed(1)), `${(ms[0] / ms[2]).toFixed(2)}×`]));
  }
}

const childArg = process.argv.find(a => a.startsWith('--child='));
const roundsArg = process.argv.find(a => a.startsWith('--rounds='));
if (childArg != null) {
  child(Number(childArg.slice('--child='.length))).catch(e => {
    process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
    process.exitCode = 1;
  });
} else {
  parent(Number(roundsArg?.slice('--rounds='.length) ?? 3));
}
