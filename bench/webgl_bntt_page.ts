/**
 * Page side of bench/webgl_bntt.mjs: times BNTT training on webgl with tfjs-snn's fused
 * kernels (SnnBnttTrain, SnnBnttTrainGrad) and without them (the layer's composite path:
 * tf.moments and elementwise ops), swapped in and out in this page: the small model's BNTT
 * layers alone, one training step of that model, and where the step's kernel time goes.
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-layers';  // the core ops' gradients

import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../kernels/bntt_attrs';
import {layers, models} from '../src/index';

type Variant = 'composite'|'tfjs-snn';
const VARIANTS: Variant[] = ['composite', 'tfjs-snn'];

export interface Timing {
  name: string;
  ms: Record<Variant, number>;
  /** Largest |fused − composite| over the composite's largest |value|, of y and dL/dx (null for the model step). */
  relativeError: number|null;
}

export interface KernelShare {
  wallMs: number;
  kernelMs: number;
  /** Kernel time per kernel name, largest first. */
  byKernel: Array<[string, number]>;
}

let fused: tf.KernelConfig[];

async function init(): Promise<string> {
  tf.env().set('WEBGL_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgl'))) throw new Error('the webgl backend failed to initialise');
  layers.bntt();  // building a layer registers our kernels
  fused = [BNTT_TRAIN, BNTT_TRAIN_GRAD].map(name => {
    const config = tf.getKernel(name, 'webgl');
    if (config == null) throw new Error(`tfjs-snn has not registered ${name} for webgl`);
    return config;
  });
  return `tfjs ${tf.version_core}, WEBGL_VERSION ${tf.env().getNumber('WEBGL_VERSION')}, ` +
      `WEBGL_PACK ${tf.env().getBool('WEBGL_PACK')}`;
}

function use(variant: Variant): void {
  for (const config of fused) {
    if (tf.getKernel(config.kernelName, 'webgl') != null) tf.unregisterKernel(config.kernelName, 'webgl');
    if (variant === 'tfjs-snn') tf.registerKernel(config);
  }
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Best time of `repeats` runs per variant, the variants alternating (after one warm-up run each). */
async function bestOf(repeats: number, run: () => Promise<void>): Promise<Record<Variant, number>> {
  const best: Record<Variant, number> = {'composite': Infinity, 'tfjs-snn': Infinity};
  for (let i = 0; i <= repeats; i++) {
    for (const variant of VARIANTS) {
      use(variant);
      const ms = await timed(run);
      if (i > 0) best[variant] = Math.min(best[variant], ms);
    }
  }
  use('tfjs-snn');
  return best;
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

/** A BNTT layer's training forward and dL/dx of L = Σ y·r, x coming out of a packed op as in a model. */
async function timeLayer(shape: number[], repeats: number): Promise<Timing> {
  const layer = layers.bntt();
  layer.build(shape);
  const x = tf.tidy(() => tf.add(tf.randomNormal(shape), 0.5));
  const r = tf.tidy(() => tf.add(tf.randomNormal(shape), 0));
  const step = () => tf.tidy(() => {
    const y = tf.tidy(() => layer.apply(x, {training: true}) as tf.Tensor);
    const dx = tf.grad(xs => tf.sum(tf.mul(layer.apply(xs, {training: true}) as tf.Tensor, r)))(x);
    return tf.concat([tf.reshape(y, [-1]), tf.reshape(dx, [-1])]);
  });
  const best = await bestOf(repeats, async () => {
    const out = step();
    await out.data();
    out.dispose();
  });
  const valuesWith = async (variant: Variant) => {
    use(variant);
    const out = step();
    const values = await out.data() as Float32Array;
    out.dispose();
    return values;
  };
  const error = relativeError(await valuesWith('tfjs-snn'), await valuesWith('composite'));
  use('tfjs-snn');
  tf.dispose([x, r]);
  for (const weight of layer.weights) weight.dispose();
  return {name: `bntt layer fwd + dx, x [${shape}]`, ms: best, relativeError: error};
}

function smallModel(batch: number, timeSteps: number) {
  const model = models.small({inputShape: [28, 28, 1], numClasses: 10, timeSteps, seed: 1});
  model.compile({optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy'});
  const x = tf.randomUniform([batch, 28, 28, 1]);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32'));
  const dispose = () => {
    tf.dispose([x, y]);
    model.dispose();
  };
  return {step: async () => { await model.trainOnBatch(x, y); }, dispose};
}

/** One model.trainOnBatch of snn.models.small on 28×28×1 images. */
async function timeTrainStep(batch: number, timeSteps: number, repeats: number): Promise<Timing> {
  const {step, dispose} = smallModel(batch, timeSteps);
  const best = await bestOf(repeats, step);
  dispose();
  return {name: `small model trainOnBatch, batch ${batch}, ${timeSteps} steps`, ms: best, relativeError: null};
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
    await step();  // warm-up: shaders compiled
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

(window as unknown as {benchApi: unknown}).benchApi = {init, timeLayer, timeTrainStep, profileTrainStep};
