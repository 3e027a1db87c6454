/** Running a model on the test images in chunks, yielding to the page between chunks. */
import type {ImageDataset} from '../../../dist/types/src/data/index';

import {tensorsOf} from './data.js';
import {nextFrame} from './ui.js';

export const CHUNK = 64;

export interface Evaluation {
  accuracy: number;
  count: number;
  /** logits[i]: the model's output for test image i. */
  logits: number[][];
}

/** The model's logits on test images start … start + count − 1, read back without blocking the page. */
export async function predictLogits(
  model: tf.LayersModel,
  test: ImageDataset,
  start: number,
  count: number
): Promise<number[][]> {
  const {x, y} = tensorsOf(test, start, count);
  const output = model.predict(x) as tf.Tensor2D;
  tf.dispose([x, y]);
  const rows = await output.array();
  output.dispose();
  return rows;
}

/** The model's logits and accuracy on test images 0 … count − 1. */
export async function evaluate(model: tf.LayersModel, test: ImageDataset, count: number): Promise<Evaluation> {
  const logits: number[][] = [];
  for (let start = 0; start < count; start += CHUNK) {
    logits.push(...(await predictLogits(model, test, start, Math.min(CHUNK, count - start))));
    await nextFrame();
  }
  const correct = logits.filter((row, i) => argMax(row) === test.labels[i]).length;
  return {accuracy: correct / count, count, logits};
}

/** Calls `work` on each chunk of test images 0 … count − 1, yielding to the page between chunks. */
export async function forEachChunk(
  test: ImageDataset,
  count: number,
  work: (x: tf.Tensor4D, labels: Uint8Array, start: number) => void
): Promise<void> {
  for (let start = 0; start < count; start += CHUNK) {
    const size = Math.min(CHUNK, count - start);
    const {x, y} = tensorsOf(test, start, size);
    try {
      work(x, test.labels.subarray(start, start + size), start);
    } finally {
      tf.dispose([x, y]);
    }
    await nextFrame();
  }
}

export function argMax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}
