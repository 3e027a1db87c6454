// The reference the early-exit and analysis specs compare against: a model run whole, layer by layer, here in the
// test tree, and the confidence exit rule applied to that run's outputs in float64.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** The whole run, layer by layer (inference unless `training`): every layer's output by name, as arrays. */
export function wholeRun(model: tfl.LayersModel, x: tf.Tensor, training = false): Map<string, number[][]> {
  const outputs = new Map<string, number[][]>();
  tf.tidy(() => {
    let h = x;
    for (const layer of model.layers) {
      h = layer.apply(h, {training}) as tf.Tensor;
      // [batch, time, ...] → [batch, time, features] flattened per step (the readout: [batch, classes]).
      const flat = h.rank > 2 ? tf.reshape(h, [h.shape[0], h.shape[1]!, -1]) : h;
      outputs.set(layer.name, flat.arraySync() as number[][]);
    }
  });
  return outputs;
}

/** The readout's input of the whole run `[batch][t][class]` → the running mean after t + 1 steps, in float64. */
export function runningMeans(readoutInput: number[][][], classes: number): number[][][] {
  return readoutInput.map(steps => {
    const sum = new Array<number>(classes).fill(0);
    return steps.map((row, t) => row.map((v, c) => (sum[c] += v) / (t + 1)));
  });
}

export function softmaxMargin(row: number[]): number {
  const largest = Math.max(...row);
  const exps = row.map(v => Math.exp(v - largest));
  const total = exps.reduce((a, b) => a + b, 0);
  const [first, second] = exps.map(e => e / total).sort((a, b) => b - a);
  return first - second;
}

/** The confidence rule applied to the whole run's margins: the step each input exits at. */
export function exitStepsOf(margins: number[][], threshold: number, patience: number): number[] {
  return margins.map(row => {
    let streak = 0;
    for (let t = 0; t < row.length; t++) {
      streak = row[t] > threshold ? streak + 1 : 0;
      if (streak >= patience) return t + 1;
    }
    return row.length;
  });
}

export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
