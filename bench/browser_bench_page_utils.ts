/**
 * Page side shared by the browser benches (webgl_bntt_page.ts, conv_grad_page.ts, ...): starting webgl or webgpu,
 * timing tfjs-snn's kernels against a baseline variant swapped in and out in the same page, and profiling a step.
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-layers'; // the core ops' gradients

import * as tf from '@tensorflow/tfjs-core';

import {models} from '../src/index';
import {adapterName, navigatorGpu} from '../test/shared/webgpu_adapter';

export interface Timing<Variant extends string> {
  name: string;
  ms: Record<Variant, number>;
  /** Largest |tfjs-snn − baseline| over the baseline's largest |value| (null for a training step). */
  relativeError: number | null;
}

/** Sets up the webgl backend; returns the description the tables print. */
export async function startWebGL(): Promise<string> {
  tf.env().set('WEBGL_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgl'))) throw new Error('the webgl backend failed to initialise');
  return (
    `tfjs ${tf.version_core}, WEBGL_VERSION ${tf.env().getNumber('WEBGL_VERSION')}, ` +
    `WEBGL_PACK ${tf.env().getBool('WEBGL_PACK')}`
  );
}

/** Sets up tfjs-backend-webgpu; returns the description the tables print (the adapter, its timer query). */
export async function startWebGPU(): Promise<string> {
  const adapter = await navigatorGpu()?.requestAdapter();
  if (adapter == null) throw new Error('WebGPU is unavailable: navigator.gpu or its adapter is missing');
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to initialise');
  const backend = tf.backend() as unknown as {supportTimestampQuery?: boolean};
  return (
    `tfjs ${tf.version_core}, webgpu adapter ${adapterName(adapter)}, ` +
    `timestamp-query ${backend.supportTimestampQuery ? 'on' : 'off'}`
  );
}

/** Sets up the named backend ('webgl' or 'webgpu'); returns the description the tables print. */
export async function startBackend(name: string): Promise<string> {
  if (name === 'webgl') return startWebGL();
  if (name === 'webgpu') return startWebGPU();
  throw new Error(`startBackend: backend must be 'webgl' or 'webgpu', got ${JSON.stringify(name)}`);
}

/** One kernel name's share of a profiled step. */
export interface KernelTime {
  name: string;
  calls: number;
  ms: number;
}

export interface StepProfile {
  /** The step's wall time under tf.profile. */
  wallMs: number;
  /** The sum of every kernel's time. */
  kernelMs: number;
  /** Kernel time per kernel name, largest first. */
  byKernel: KernelTime[];
}

/**
 * Where `step`'s kernel time goes (tf.profile kernelTimeMs, summed per kernel name). On webgl (no GPU timer query
 * under SwiftShader) and on webgpu without timestamp-query that time is each kernel's wall time with its outputs
 * read back; on webgpu with timestamp-query it is the GPU time of each kernel's compute pass.
 */
export async function profileStep(step: () => Promise<void>): Promise<StepProfile> {
  const start = performance.now();
  const info = await tf.profile(step);
  const wallMs = performance.now() - start;
  const byName = new Map<string, KernelTime>();
  for (const kernel of info.kernels) {
    const ms = await kernel.kernelTimeMs;
    if (typeof ms !== 'number') throw new Error(`tf.profile has no time for ${kernel.name}: ${JSON.stringify(ms)}`);
    const entry = byName.get(kernel.name) ?? {name: kernel.name, calls: 0, ms: 0};
    entry.calls++;
    entry.ms += ms;
    byName.set(kernel.name, entry);
  }
  const byKernel = [...byName.values()].sort((a, b) => b.ms - a.ms);
  return {wallMs, kernelMs: byKernel.reduce((sum, k) => sum + k.ms, 0), byKernel};
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
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

/** snn.models.small on 28×28×1 images, compiled, with one random batch to train on. */
export function smallModel(batch: number, timeSteps: number) {
  const model = models.small({inputShape: [28, 28, 1], numClasses: 10, timeSteps, seed: 1});
  model.compile({optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy'});
  const x = tf.randomUniform([batch, 28, 28, 1]);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32'));
  const dispose = () => {
    tf.dispose([x, y]);
    model.optimizer.dispose(); // model.dispose leaves the optimizer's state
    model.dispose();
  };
  const predict = async () => {
    const logits = model.predict(x) as tf.Tensor;
    await logits.data();
    logits.dispose();
  };
  return {
    step: async () => {
      await model.trainOnBatch(x, y);
    },
    predict,
    dispose,
  };
}

/**
 * Timing helpers for the variants [baseline, 'tfjs-snn'], `use(variant)` registering one of
 * them; each helper leaves 'tfjs-snn' registered.
 */
export function variantBench<Baseline extends string>(
  variants: readonly [Baseline, 'tfjs-snn'],
  use: (variant: Baseline | 'tfjs-snn') => void
) {
  type Variant = Baseline | 'tfjs-snn';
  const [baseline, ours] = variants;

  /** Best time of `repeats` runs per variant, the variants alternating (after one warm-up run each). */
  async function bestOf(repeats: number, run: () => Promise<void>): Promise<Record<Variant, number>> {
    const best = {[baseline]: Infinity, [ours]: Infinity} as Record<Variant, number>;
    for (let i = 0; i <= repeats; i++) {
      for (const variant of variants) {
        use(variant);
        const ms = await timed(run);
        if (i > 0) best[variant] = Math.min(best[variant], ms);
      }
    }
    use(ours);
    return best;
  }

  async function valuesWith(variant: Variant, compute: () => tf.Tensor): Promise<Float32Array> {
    use(variant);
    const t = compute();
    const values = (await t.data()) as Float32Array;
    t.dispose();
    return values;
  }

  /** `compute`'s best time with each variant, and how far tfjs-snn's result is from the baseline's. */
  async function compareTensor(name: string, repeats: number, compute: () => tf.Tensor): Promise<Timing<Variant>> {
    const ms = await bestOf(repeats, async () => {
      const t = compute();
      await t.data();
      t.dispose();
    });
    const error = relativeError(await valuesWith(ours, compute), await valuesWith(baseline, compute));
    use(ours);
    return {name, ms, relativeError: error};
  }

  /** One model.trainOnBatch of snn.models.small on 28×28×1 images. */
  async function timeTrainStep(batch: number, timeSteps: number, repeats: number): Promise<Timing<Variant>> {
    const {step, dispose} = smallModel(batch, timeSteps);
    const ms = await bestOf(repeats, step);
    dispose();
    return {name: `small model trainOnBatch, batch ${batch}, ${timeSteps} steps`, ms, relativeError: null};
  }

  return {compareTensor, timeTrainStep};
}
