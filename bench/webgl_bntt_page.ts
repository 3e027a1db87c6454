/**
 * Page side of bench/webgl_bntt.mjs: times BNTT training on webgl with tfjs-snn's fused
 * kernels (SnnBnttTrain, SnnBnttTrainGrad) and without them (the layer's composite path:
 * tf.moments and elementwise ops), swapped in and out in this page: the small model's BNTT
 * layers alone, one training step of that model, and where the step's kernel time goes.
 */
import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../kernels/bntt_attrs';
import {layers} from '../src/index';

import {profileStep, smallModel, startWebGL, StepProfile, Timing, variantBench} from './browser_bench_page_utils';

const VARIANTS = ['composite', 'tfjs-snn'] as const;
type Variant = (typeof VARIANTS)[number];

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
async function profileTrainStep(batch: number, timeSteps: number): Promise<Record<Variant, StepProfile>> {
  const {step, dispose} = smallModel(batch, timeSteps);
  const profiles = {} as Record<Variant, StepProfile>;
  for (const variant of VARIANTS) {
    use(variant);
    await step(); // warm-up: shaders compiled
    profiles[variant] = await profileStep(step);
  }
  use('tfjs-snn');
  dispose();
  return profiles;
}

(window as unknown as {benchApi: unknown}).benchApi = {
  init,
  timeLayer,
  timeTrainStep: bench.timeTrainStep,
  profileTrainStep,
};
