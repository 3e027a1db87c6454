/**
 * Page side of bench/webgl_bntt.mjs: times BNTT training on webgl with tfjs-snn's fused
 * kernels (SnnBnttTrain, SnnBnttTrainGrad) and without them (the layer's composite path:
 * tf.moments and elementwise ops), swapped in and out in this page: the small model's BNTT
 * layers alone, one training step of that model, and where the step's kernel time goes.
 */
import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../kernels/bntt_attrs';
import {layers} from '../src/index';

import {smallModel, startWebGL, Timing, variantBench} from './webgl_bench_page_utils';

const VARIANTS = ['composite', 'tfjs-snn'] as const;
type Variant = (typeof VARIANTS)[number];

export interface KernelShare {
  wallMs: number;
  kernelMs: number;
  /** Kernel time per kernel name, largest first. */
  byKernel: Array<[string, number]>;
}

let fused: tf.KernelConfig[];

async function init(): Promise<string> {
  const backendInfo = await startWebGL();
  layers.bntt(); // building a layer registers our kernels
  fused = [BNTT_TRAIN, BNTT_TRAIN_GRAD].map(name => {
    const config = tf.getKernel(name, 'webgl');
    if (config == null) throw new Error(`tfjs-snn has not registered ${name} for webgl`);
    return config;
  });
  return backendInfo;
}

function use(variant: Variant): void {
  for (const config of fused) {
    if (tf.getKernel(config.kernelName, 'webgl') != null) tf.unregisterKernel(config.kernelName, 'webgl');
    if (variant === 'tfjs-snn') tf.registerKernel(config);
  }
}

const bench = variantBench(VARIANTS, use);

/** A BNTT layer's training forward and dL/dx of L = Σ y·r, x coming out of a packed op as in a model. */
async function timeLayer(shape: number[], repeats: number): Promise<Timing<Variant>> {
  const layer = layers.bntt();
  layer.build(shape);
  const x = tf.tidy(() => tf.add(tf.randomNormal(shape), 0.5));
  const r = tf.tidy(() => tf.add(tf.randomNormal(shape), 0));
  const step = () =>
    tf.tidy(() => {
      const y = tf.tidy(() => layer.apply(x, {training: true}) as tf.Tensor);
      const dx = tf.grad(xs => tf.sum(tf.mul(layer.apply(xs, {training: true}) as tf.Tensor, r)))(x);
      return tf.concat([tf.reshape(y, [-1]), tf.reshape(dx, [-1])]);
    });
  const timing = await bench.compareTensor(`bntt layer fwd + dx, x [${shape}]`, repeats, step);
  tf.dispose([x, r]);
  for (const weight of layer.weights) weight.dispose();
  return timing;
}

/**
 * Where one training step's kernel time goes with each variant (tf.profile; without a GPU timer query it
 * reads every kernel's outputs back, so its times are per-kernel wall times and add up to more than a step).
 */
async function profileTrainStep(batch: number, timeSteps: number): Promise<Record<Variant, KernelShare>> {
  const {step, dispose} = smallModel(batch, timeSteps);
  const shares = {} as Record<Variant, KernelShare>;
  for (const variant of VARIANTS) {
    use(variant);
    await step(); // warm-up: shaders compiled
    const start = performance.now();
    const info = await tf.profile(step);
    const wallMs = performance.now() - start;
    const byName = new Map<string, number>();
    for (const kernel of info.kernels) {
      const ms = await kernel.kernelTimeMs;
      if (typeof ms !== 'number') throw new Error(`tf.profile has no time for ${kernel.name}: ${JSON.stringify(ms)}`);
      byName.set(kernel.name, (byName.get(kernel.name) ?? 0) + ms);
    }
    const byKernel = [...byName.entries()].sort((a, b) => b[1] - a[1]);
    shares[variant] = {wallMs, kernelMs: byKernel.reduce((sum, [, ms]) => sum + ms, 0), byKernel};
  }
  use('tfjs-snn');
  dispose();
  return shares;
}

(window as unknown as {benchApi: unknown}).benchApi = {
  init,
  timeLayer,
  timeTrainStep: bench.timeTrainStep,
  profileTrainStep,
};
