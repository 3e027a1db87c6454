/**
 * Page side of bench/profile_step.mjs: where the kernel time of one training step of snn.models.small goes
 * (tf.profile) on webgl or webgpu, optionally with the backend's own kernels in place of tfjs-snn's replacements.
 */
import * as tf from '@tensorflow/tfjs-core';

import {replacedKernel} from '../kernels/replace_kernel';

import {profileStep, smallModel, startBackend, StepProfile} from './browser_bench_page_utils';

/** tfjs-snn's replacement kernels by name, kept while the backend's own are registered. */
const ours = new Map<string, tf.KernelConfig>();

/** Registers the backend's own kernel (`builtIn` true) or tfjs-snn's replacement of it for each name. */
function useBuiltIn(names: string[], builtIn: boolean): void {
  const backend = tf.getBackend();
  for (const name of names) {
    if (!ours.has(name)) {
      const current = tf.getKernel(name, backend);
      if (current == null || replacedKernel(current) == null)
        throw new Error(`tfjs-snn does not replace ${name} on ${backend}`);
      ours.set(name, current);
    }
    const replacement = ours.get(name)!;
    tf.unregisterKernel(name, backend);
    tf.registerKernel(builtIn ? replacedKernel(replacement)! : replacement);
  }
}

/**
 * The profile of one warm trainOnBatch (after one unprofiled step that compiles the shaders), with the backend's
 * own kernels for `builtIn` (names of kernels tfjs-snn replaces).
 */
async function profileTrainStep(batch: number, timeSteps: number, builtIn: string[]): Promise<StepProfile> {
  const {step, dispose} = smallModel(batch, timeSteps);
  useBuiltIn(builtIn, true);
  try {
    await step();
    return await profileStep(step);
  } finally {
    useBuiltIn(builtIn, false);
    dispose();
  }
}

(window as unknown as {benchApi: unknown}).benchApi = {init: startBackend, profileTrainStep};
