/**
 * Page side of bench/webgl_conv_grad.mjs: times webgl's Conv2DBackpropFilter (tfjs-snn's
 * split-K kernel and the built-in it replaced, swapped in and out in this page) on the small
 * model's conv shapes, and one training step of that model with each.
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-layers';  // the core ops' gradients

import * as tf from '@tensorflow/tfjs-core';

import {replacedKernel} from '../kernels/replace_kernel';
import {models} from '../src/index';

type Shape4 = [number, number, number, number];
type Variant = 'built-in'|'tfjs-snn';

export interface ConvCase {
  name: string;
  xShape: Shape4;
  outChannels: number;
}

export interface Timing {
  name: string;
  ms: Record<Variant, number>;
  /** Largest |ours − built-in| over the built-in's largest |value| (null for the training step). */
  relativeError: number|null;
}

let kernels: Record<Variant, tf.KernelConfig>;

async function init(): Promise<string> {
  tf.env().set('WEBGL_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgl'))) throw new Error('the webgl backend failed to initialise');
  models.small({inputShape: [8, 8, 1], numClasses: 2, timeSteps: 1});  // builds a layer: registers our kernels
  const ours = tf.getKernel('Conv2DBackpropFilter', 'webgl');
  const builtIn = ours == null ? null : replacedKernel(ours);
  if (ours == null || builtIn == null) throw new Error('tfjs-snn has not replaced webgl\'s Conv2DBackpropFilter');
  kernels = {'built-in': builtIn, 'tfjs-snn': ours};
  return `tfjs ${tf.version_core}, WEBGL_VERSION ${tf.env().getNumber('WEBGL_VERSION')}, ` +
      `WEBGL_PACK ${tf.env().getBool('WEBGL_PACK')}`;
}

function use(variant: Variant): void {
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgl');
  tf.registerKernel(kernels[variant]);
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Best time of `repeats` runs per variant, the variants alternating (after one warm-up run each). */
async function bestOf(repeats: number, run: () => Promise<void>): Promise<Record<Variant, number>> {
  const best: Record<Variant, number> = {'built-in': Infinity, 'tfjs-snn': Infinity};
  const variants = Object.keys(best) as Variant[];
  for (let i = 0; i <= repeats; i++) {
    for (const variant of variants) {
      use(variant);
      const ms = await timed(run);
      if (i > 0) best[variant] = Math.min(best[variant], ms);
    }
  }
  use('tfjs-snn');
  return best;
}

function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4): tf.Tensor {
  const attrs = {strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape};
  return tf.engine().runKernel('Conv2DBackpropFilter', {x, dy}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

async function valuesWith(variant: Variant, compute: () => tf.Tensor): Promise<Float32Array> {
  use(variant);
  const t = compute();
  const values = await t.data() as Float32Array;
  t.dispose();
  return values;
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  expected.forEach((e, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - e));
    maxRef = Math.max(maxRef, Math.abs(e));
  });
  return maxDiff / maxRef;
}

/** A 'same' 3×3 conv's filter gradient, x and dy the outputs of packed ops as in a model. */
async function timeConv(c: ConvCase, repeats: number): Promise<Timing> {
  const filterShape: Shape4 = [3, 3, c.xShape[3], c.outChannels];
  const x = tf.tidy(() => tf.add(tf.randomNormal(c.xShape), 0) as tf.Tensor4D);
  const dy = tf.tidy(() => tf.add(tf.randomNormal([...c.xShape.slice(0, 3), c.outChannels]), 0) as tf.Tensor4D);
  const compute = () => filterGrad(x, dy, filterShape);
  const best = await bestOf(repeats, async () => {
    const t = compute();
    await t.data();
    t.dispose();
  });
  const error = relativeError(await valuesWith('tfjs-snn', compute), await valuesWith('built-in', compute));
  use('tfjs-snn');
  tf.dispose([x, dy]);
  return {name: c.name, ms: best, relativeError: error};
}

/** One model.trainOnBatch of snn.models.small on 28×28×1 images. */
async function timeTrainStep(batch: number, timeSteps: number, repeats: number): Promise<Timing> {
  const model = models.small({inputShape: [28, 28, 1], numClasses: 10, timeSteps, seed: 1});
  model.compile({optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy'});
  const x = tf.randomUniform([batch, 28, 28, 1]);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32'));
  const best = await bestOf(repeats, async () => {
    await model.trainOnBatch(x, y);
  });
  tf.dispose([x, y]);
  model.dispose();
  return {name: `small model trainOnBatch, batch ${batch}, ${timeSteps} steps`, ms: best, relativeError: null};
}

(window as unknown as {benchApi: unknown}).benchApi = {init, timeConv, timeTrainStep};
