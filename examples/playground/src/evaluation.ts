/** Running a model on the test examples in chunks, yielding to the page between chunks. */
import {PageDataset, timeStepsOf} from './dataset.js';
import {nextFrame} from './ui.js';

export const CHUNK = 64;

export interface Evaluation {
  accuracy: number;
  count: number;
  /** logits[i]: the model's output for test example i. */
  logits: number[][];
}

/** The model's logits on test examples start … start + count − 1, read back without blocking the page. */
export async function predictLogits(
  model: tf.LayersModel,
  test: PageDataset,
  start: number,
  count: number
): Promise<number[][]> {
  const {x, y} = test.testTensors(start, count, timeStepsOf(model));
  const output = model.predict(x) as tf.Tensor2D;
  tf.dispose([x, y]);
  const rows = await output.array();
  output.dispose();
  return rows;
}

/** The model's logits and accuracy on test examples 0 … count − 1. */
export async function evaluate(model: tf.LayersModel, test: PageDataset, count: number): Promise<Evaluation> {
  const logits: number[][] = [];
  for (let start = 0; start < count; start += CHUNK) {
    logits.push(...(await predictLogits(model, test, start, Math.min(CHUNK, count - start))));
    await nextFrame();
  }
  const labels = test.testLabels(0, count);
  const correct = logits.filter((row, i) => argMax(row) === labels[i]).length;
  return {accuracy: correct / count, count, logits};
}

/** Calls `work` on each chunk of test examples 0 … count − 1 (as inputs of T = timeSteps), yielding between chunks. */
export async function forEachChunk(
  test: PageDataset,
  count: number,
  timeSteps: number,
  work: (x: tf.Tensor, labels: ArrayLike<number>, start: number) => void
): Promise<void> {
  for (let start = 0; start < count; start += CHUNK) {
    const size = Math.min(CHUNK, count - start);
    const {x, y} = test.testTensors(start, size, timeSteps);
    try {
      work(x, test.testLabels(start, size), start);
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
