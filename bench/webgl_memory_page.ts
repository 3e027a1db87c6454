// Page side of webgl_memory.mjs: peak tensor memory of the small model on webgl.
import * as tf from '@tensorflow/tfjs-core';

import {smallModel, startWebGL} from './browser_bench_page_utils';

export interface MemoryRow {
  timeSteps: number;
  batch: number;
  /** Weights and Adam's state, held between steps. */
  heldMB: number;
  /** tf.profile peakBytes of one warm trainOnBatch / predict. */
  trainPeakMB: number;
  predictPeakMB: number;
}

const MB = 1e6;

async function peakOf(run: () => Promise<void>): Promise<number> {
  return (await tf.profile(run)).peakBytes / MB;
}

async function measure(timeSteps: number, batch: number): Promise<MemoryRow> {
  const {step, predict, dispose} = smallModel(batch, timeSteps);
  await step(); // warm: the optimizer's state exists, the shaders are compiled
  const heldMB = tf.memory().numBytes / MB;
  const row = {timeSteps, batch, heldMB, trainPeakMB: await peakOf(step), predictPeakMB: await peakOf(predict)};
  dispose();
  return row;
}

(window as unknown as {benchApi: unknown}).benchApi = {init: startWebGL, measure};
