/**
 * tfjs-snn's wasm Conv2D over the non-zeros of a sparse input (kernels/wasm/conv2d.ts) against its dense path
 * (Winograd F(4×4, 3×3) on these 3×3 shapes, kernels/wasm/winograd.ts; before it XNNPACK, wasm's own), on the
 * spiking convolutions of the small model on 28×28 (T 6, batch 64) and of VGG9 on CIFAR (T 4, batch 16): the
 * inputs are spikes (0 or 1) at a given share of non-zeros, and pooled spikes (0.25 … 1), 3×3 filters, 'same'
 * padding. Prints one markdown table: best-of-3 ms of each, the ratio, and the largest
 * difference between the two results relative to the largest output.
 *
 *   npx esbuild bench/wasm_sparse_conv.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-sparse-conv.cjs && node build/bench-wasm-sparse-conv.cjs [--quick] [--threads=2]
 *     [--rates=0.15,0.25] [--filter-grad]
 *
 * --quick runs one density and divides the batches by 8; --rates=0.1,0.3 runs those shares of non-zeros;
 * --filter-grad times Conv2DBackpropFilter (its program over non-zeros against its convolution path) on these
 * shapes and on the networks' first convolutions; --threads=N runs tfjs-backend-wasm's threaded build
 * (snn.useThreadedWasm), whose XNNPACK convolutions use N threads. Every ratio compares numbers measured in this run.
 */
import '@tensorflow/tfjs-backend-wasm';
import '../kernels/register';

import * as tf from '@tensorflow/tfjs-core';
import {cpus, loadavg} from 'node:os';

import {setSparseConvDensity, sparseConvCalls} from '../kernels/wasm/conv2d';
import {setSparseFilterGradDensity, sparseFilterGradCalls} from '../kernels/wasm/conv2d_backprop_filter';
import {useThreadedWasm} from '../src/wasm_threads';

type Shape4 = [number, number, number, number];

const SHAPES: Array<{name: string; xShape: Shape4; outChannels: number}> = [
  {name: 'small conv2 (pooled)', xShape: [384, 14, 14, 32], outChannels: 64},
  {name: 'vgg9 conv2', xShape: [64, 32, 32, 64], outChannels: 64},
  {name: 'vgg9 conv4', xShape: [64, 16, 16, 128], outChannels: 128},
  {name: 'vgg9 conv6', xShape: [64, 8, 8, 256], outChannels: 256},
];
const RATES = [0.05, 0.1, 0.15, 0.25, 0.35, 0.5];
const RUNS = 3;

function time(run: () => Float32Array<ArrayBufferLike>): {ms: number; values: Float32Array<ArrayBufferLike>} {
  let best = Infinity;
  let values: Float32Array<ArrayBufferLike> = new Float32Array(0);
  for (let i = 0; i <= RUNS; i++) {
    const start = performance.now();
    values = run();
    // The first run warms up (compiles the program, packs XNNPACK's weights).
    if (i > 0) best = Math.min(best, performance.now() - start);
  }
  return {ms: best, values};
}

/** With --filter-grad, also the first convolution of each network (its input is the image: all non-zero). */
const GRAD_SHAPES: typeof SHAPES = [
  {name: 'small conv1', xShape: [384, 28, 28, 1], outChannels: 32},
  {name: 'vgg9 conv1', xShape: [64, 32, 32, 3], outChannels: 64},
];

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const filterGrad = process.argv.includes('--filter-grad');
  const ratesArg = process.argv.find(a => a.startsWith('--rates='));
  const rates = ratesArg?.slice('--rates='.length).split(',').map(Number);
  if (rates != null && !rates.every(r => r > 0 && r <= 1))
    throw new Error(`--rates: shares in (0, 1]; got ${ratesArg}`);
  const threadsArg = process.argv.find(a => a.startsWith('--threads='));
  const threads = threadsArg == null ? 1 : Number(threadsArg.slice('--threads='.length));
  if (threads > 1) await useThreadedWasm({threads});
  else await tf.setBackend('wasm');
  const rows: string[] = [];
  for (const graded of [false, true]) {
    for (const rate of rates ?? (quick ? [0.15] : RATES)) {
      for (const shape of filterGrad ? [...SHAPES, ...GRAD_SHAPES] : SHAPES) {
        const [n, h, w, c] = shape.xShape;
        const xShape: Shape4 = [quick ? n / 8 : n, h, w, c];
        const x = tf.tidy(() => {
          const spikes = tf.cast(tf.less(tf.randomUniform(xShape, 0, 1, 'float32', 1), rate), 'float32');
          // Pooled spikes take the levels 0.25, 0.5, 0.75 and 1.
          return graded ? tf.mul(spikes, tf.div(tf.ceil(tf.randomUniform(xShape, 0, 4, 'float32', 2)), 4)) : spikes;
        });
        const filter = tf.randomNormal([3, 3, c, shape.outChannels], 0, 1, 'float32', 3) as tf.Tensor4D;
        const dy = filterGrad ? tf.randomNormal([...xShape.slice(0, 3), shape.outChannels], 0, 1, 'float32', 4) : null;
        const conv = () => {
          const y = filterGrad
            ? (tf.engine().runKernel('Conv2DBackpropFilter', {x, dy: dy!}, {
                strides: 1,
                pad: 'same',
                dataFormat: 'NHWC',
                filterShape: filter.shape,
              } as unknown as tf.NamedAttrMap) as tf.Tensor)
            : tf.conv2d(x as tf.Tensor4D, filter, 1, 'same');
          const values = y.dataSync() as Float32Array;
          y.dispose();
          return values;
        };
        // Before: the filter gradient as a convolution, which takes the sparse Conv2D at its default limits.
        setSparseConvDensity(filterGrad ? null : 0);
        setSparseFilterGradDensity(0);
        const dense = time(conv);
        setSparseConvDensity(1);
        setSparseFilterGradDensity(1);
        const calls = () => (filterGrad ? sparseFilterGradCalls() : sparseConvCalls());
        const before = calls();
        const sparse = time(conv);
        if (calls() - before !== RUNS + 1) throw new Error('the sparse path was not taken');
        setSparseConvDensity(null);
        setSparseFilterGradDensity(null);
        let diff = 0;
        let largest = 0;
        for (let i = 0; i < dense.values.length; i++) {
          diff = Math.max(diff, Math.abs(dense.values[i] - sparse.values[i]));
          largest = Math.max(largest, Math.abs(dense.values[i]));
        }
        rows.push(
          `| ${shape.name} | [${xShape}] → ${shape.outChannels} | ${graded ? 'pooled spikes' : 'spikes'} | ` +
            `${(100 * rate).toFixed(0)} % | ${dense.ms.toFixed(1)} | ${sparse.ms.toFixed(1)} | ` +
            `${(dense.ms / sparse.ms).toFixed(2)}× | ${(diff / largest).toExponential(1)} |`
        );
        tf.dispose([x, filter, ...(dy == null ? [] : [dy])]);
      }
    }
  }
  const load = loadavg().map(l => l.toFixed(2));
  process.stdout.write(
    [
      (filterGrad
        ? 'wasm Conv2DBackpropFilter, as a convolution (which goes over non-zeros at its own limits) vs its program ' +
          'over non-zeros; '
        : 'wasm Conv2D, dense (Winograd where it applies, else XNNPACK) vs over non-zeros only; ') +
        `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ` +
        `${threads} thread(s) (XNNPACK's, and the sparse program's with its program workers), ` +
        `load average ${load.join(' ')}`,
      '',
      `| conv | x → Cout | input | non-zero | ${filterGrad ? 'as a convolution' : 'dense'} ms | non-zeros ms | speed-up | max diff / max |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n')
  );
}

main().catch(error => {
  process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});
