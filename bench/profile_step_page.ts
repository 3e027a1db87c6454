/**
 * Page side of bench/profile_step.mjs: where the kernel time of one training step of snn.models.small goes
 * (tf.profile) on webgl or webgpu.
 */
import {profileStep, smallModel, startBackend, StepProfile} from './browser_bench_page_utils';

/** The profile of one warm trainOnBatch (after one unprofiled step that compiles the shaders). */
async function profileTrainStep(batch: number, timeSteps: number): Promise<StepProfile> {
  const {step, dispose} = smallModel(batch, timeSteps);
  await step();
  const profile = await profileStep(step);
  dispose();
  return profile;
}

(window as unknown as {benchApi: unknown}).benchApi = {init: startBackend, profileTrainStep};
