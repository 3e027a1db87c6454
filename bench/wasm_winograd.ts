/**
 * The Winograd F(4×4, 3×3) path of the wasm Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter
 * (kernels/wasm/winograd.ts) against the kernels it replaces for dense inputs (XNNPACK's direct convolution; for
 * the filter gradient tfjs-snn's XNNPACK-based kernel), on one thread, on the 3×3 shapes of VGG9 (batch·time 64, as
 * in `npm run bench:train`) and of the small SNN's second convolution. Dense random inputs, the sparse paths off.
 *
 *   npx esbuild bench/wasm_winograd.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-winograd.cjs && node build/bench-wasm-winograd.cjs [--quick]
 *
 * Times are the best of the timed calls (other processes only ever slow a call down); ratios compare numbers of
 * this run. The last column is the largest difference between the two results relative to the largest value.
 */
import '@tensorflow/tfjs-backend-wasm';
import '../kernels/register';

import * as tf from '@tensorflow/tfjs-core';
import {cpus, loadavg} from 'node:os';

import {setSparseConvDensity} from '../kernels/wasm/conv2d';
import {setSparseFilterGradDensity} from '../kernels/wasm/conv2d_backprop_filter';
import {setWinogradEnabled, winogradCalls} from '../kernels/wasm/winograd';
import {relativeMaxError} from '../test/reference/lif_reference';

type Shape4 = [number, number, number, number];

const QUICK = process.argv.includes('--quick');
const CALLS = QUICK ? 2 : 5;

const SHAPES: Array<{name: string; xShape: Shape4; outChannels: number}> = [
  {name: 'VGG9 32×32×64→64', xShape: [64, 32, 32, 64], outChannels: 64},
  {name: 'VGG9 16×16×64→128', xShape: [64, 16, 16, 64], outChannels: 128},
  {name: 'VGG9 16×16×128→128', xShape: [64, 16, 16, 128], outChannels: 128},
  {name: 'VGG9 8×8×128→256', xShape: [64, 8, 8, 128], outChannels: 256},
  {name: 'VGG9 8×8×256→256', xShape: [64, 8, 8, 256], outChannels: 256},
  {name: 'small SNN 14×14×32→64', xShape: [384, 14, 14, 32], outChannels: 64},
];

const KERNELS = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const;

function call(kernel: (typeof KERNELS)[number], x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor {
  const attrs = {strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1};
  const inputs: tf.NamedTensorMap =
    kernel === 'Conv2D' ? {x, filter: w} : kernel === 'Conv2DBackpropInput' ? {dy, filter: w} : {x, dy};
  const extra = kernel === 'Conv2DBackpropInput' ? {inputShape: x.shape} : {filterShape: w.shape};
  return tf.engine().runKernel(kernel, inputs, {...attrs, ...extra} as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** The best of CALLS timed calls (after one untimed), its values, and whether it took the Winograd path. */
function measure(run: () => tf.Tensor): {ms: number; values: Float32Array; winograd: boolean} {
  const before = winogradCalls();
  const first = run();
  const values = first.dataSync() as Float32Array;
  first.dispose();
  const winograd = winogradCalls() > before;
  let ms = Infinity;
  for (let i = 0; i < CALLS; i++) {
    const start = performance.now();
    const out = run();
    out.dataSync();
    ms = Math.min(ms, performance.now() - start);
    out.dispose();
  }
  return {ms, values, winograd};
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  setSparseConvDensity(0);
  setSparseFilterGradDensity(0);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`## Winograd F(4×4, 3×3) on wasm, one thread\n`);
  console.log(
    `- ${new Date().toISOString()}; ${cpu}, ${cpus().length} cores; load ${loadavg().map(l => l.toFixed(2))}`
  );
  console.log(`- best of ${CALLS} calls; 3×3, stride 1, 'same'; dense random inputs, the sparse paths off\n`);
  console.log('| shape | kernel | XNNPACK (direct) ms | Winograd ms | speed-up | max difference |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const shape of SHAPES) {
    const xShape: Shape4 = QUICK
      ? ([Math.max(1, shape.xShape[0] / 8), ...shape.xShape.slice(1)] as Shape4)
      : shape.xShape;
    const x = tf.randomNormal(xShape, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, xShape[3], shape.outChannels], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const dyShape: Shape4 = [xShape[0], xShape[1], xShape[2], shape.outChannels];
    const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 3) as tf.Tensor4D;
    for (const kernel of KERNELS) {
      setWinogradEnabled(false);
      const direct = measure(() => call(kernel, x, w, dy));
      setWinogradEnabled(true);
      const winograd = measure(() => call(kernel, x, w, dy));
      if (direct.winograd || !winograd.winograd) throw new Error(`${shape.name} ${kernel}: the paths did not switch`);
      console.log(
        `| ${shape.name}, N ${xShape[0]} | ${kernel} | ${direct.ms.toFixed(1)} | ${winograd.ms.toFixed(1)} | ` +
          `${(direct.ms / winograd.ms).toFixed(2)}× | ${relativeMaxError(winograd.values, direct.values).toExponential(1)} |`
      );
    }
    tf.dispose([x, w, dy]);
  }
  setSparseConvDensity(null);
  setSparseFilterGradDensity(null);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
