/**
 * Page side of bench/conv_grad.mjs: times Conv2DBackpropFilter on webgl or webgpu (tfjs-snn's
 * split-K kernel and the built-in it replaced, swapped in and out in this page) on the small
 * model's conv shapes, and one training step of that model with each.
 */
import * as tf from '@tensorflow/tfjs-core';

import {replacedKernel} from '../kernels/replace_kernel';
import {models} from '../src/index';

import {startBackend, Timing, variantBench} from './browser_bench_page_utils';

type Shape4 = [number, number, number, number];
const VARIANTS = ['built-in', 'tfjs-snn'] as const;
type Variant = (typeof VARIANTS)[number];

export interface ConvCase {
  name: string;
  xShape: Shape4;
  outChannels: number;
}

let kernels: Record<Variant, tf.KernelConfig>;
let backendName: string;

async function init(backend: string): Promise<string> {
  const backendInfo = await startBackend(backend);
  backendName = backend;
  models.small({inputShape: [8, 8, 1], numClasses: 2, timeSteps: 1}); // builds a layer: registers our kernels
  const ours = tf.getKernel('Conv2DBackpropFilter', backend);
  const builtIn = ours == null ? null : replacedKernel(ours);
  if (ours == null || builtIn == null) throw new Error(`tfjs-snn has not replaced ${backend}'s Conv2DBackpropFilter`);
  kernels = {'built-in': builtIn, 'tfjs-snn': ours};
  return backendInfo;
}

function use(variant: Variant): void {
  tf.unregisterKernel('Conv2DBackpropFilter', backendName);
  tf.registerKernel(kernels[variant]);
}

const bench = variantBench(VARIANTS, use);

function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4): tf.Tensor {
  const attrs = {strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape};
  return tf.engine().runKernel('Conv2DBackpropFilter', {x, dy}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** A 'same' 3×3 conv's filter gradient, x and dy the outputs of packed ops as in a model. */
async function timeConv(c: ConvCase, repeats: number): Promise<Timing<Variant>> {
  const filterShape: Shape4 = [3, 3, c.xShape[3], c.outChannels];
  const x = tf.tidy(() => tf.add(tf.randomNormal(c.xShape), 0) as tf.Tensor4D);
  const dy = tf.tidy(() => tf.add(tf.randomNormal([...c.xShape.slice(0, 3), c.outChannels]), 0) as tf.Tensor4D);
  const timing = await bench.compareTensor(c.name, repeats, () => filterGrad(x, dy, filterShape));
  tf.dispose([x, dy]);
  return timing;
}

(window as unknown as {benchApi: unknown}).benchApi = {init, timeConv, timeTrainStep: bench.timeTrainStep};
