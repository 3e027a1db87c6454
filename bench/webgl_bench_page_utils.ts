/**
 * Page side shared by the webgl benches (webgl_bntt_page.ts, webgl_conv_grad_page.ts): timing
 * tfjs-snn's kernels against a baseline variant swapped in and out in the same page.
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-layers'; // the core ops' gradients

import * as tf from '@tensorflow/tfjs-core';

import {models} from '../src/index';

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
