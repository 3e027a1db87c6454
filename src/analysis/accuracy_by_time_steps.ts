import {argMax, cumsum, reshape, Tensor, tidy} from '@tensorflow/tfjs-core';
import type {LayersModel} from '@tensorflow/tfjs-layers';

import {
  ChainLayer,
  checkBatchSize,
  checkEndsWithTimeAverage,
  checkImages,
  classLabels,
  collect,
  Collector,
  layerChain,
} from './model_chain';
import {AnalysisOptions} from './spike_rates';

/** What `accuracyByTimeSteps` returns: the accuracy after each number of steps. */
export interface AccuracyByTimeSteps {
  /** 1 … T. */
  timeSteps: number[];
  /** Accuracy when inference stops after each number of steps. */
  accuracy: number[];
}

/**
 * Accuracy of `model` on `x`, `y` when inference stops after 1, 2, …, T steps: the logits after t
 * steps are the mean of the readout over the first t steps, exactly what a run of t steps computes
 * (every layer is causal: step t depends only on steps ≤ t). The model must end with
 * `timeAverage`. One full run of T steps gives every row.
 *
 * Page: docs/analysis.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});   // a trained model, in practice
 * const images = tf.randomUniform([4, 28, 28, 1]);
 * const labels = tf.oneHot(tf.randomUniform([4], 0, 10, 'int32'), 10);   // or class indices [4]
 * const {accuracy} = snn.analysis.accuracyByTimeSteps(model, images, labels);
 * accuracy.forEach((a, t) => console.log(`${t + 1} steps: ${(100 * a).toFixed(1)} %`));
 * ```
 */
export function accuracyByTimeSteps(
  model: LayersModel,
  x: Tensor,
  y: Tensor,
  options: AnalysisOptions = {}
): AccuracyByTimeSteps {
  const fn = 'accuracyByTimeSteps';
  const chain = layerChain(model, fn);
  const images = checkImages(fn, x, model);
  const batchSize = checkBatchSize(fn, options.batchSize ?? 64);
  return collect(chain, images, batchSize, accuracyCollector(chain, model, y, images.shape[0]));
}

/** Correct predictions after every step, from the readout's input, over a run of `examples` examples. */
export function accuracyCollector(
  chain: ChainLayer[],
  model: LayersModel,
  y: Tensor,
  examples: number
): Collector<AccuracyByTimeSteps> {
  const fn = 'accuracyByTimeSteps';
  const last = chain.length - 1;
  checkEndsWithTimeAverage(chain, fn);
  const classes = (model.outputs[0].shape as number[])[1];
  const labels = classLabels(fn, y, examples, classes);
  let correct: Float64Array | null = null;
  let offset = 0;
  const visit = (i: number, input: Tensor) => {
    if (i !== last) return;
    const [batch, steps] = input.shape;
    // Prediction after t steps: argmax of the running sum (the mean's argmax), per example and t.
    const predictions = tidy(() => argMax(cumsum(reshape(input, [batch, steps, -1]), 1), 2)).dataSync();
    correct ??= new Float64Array(steps);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < steps; t++) {
        if (predictions[b * steps + t] === labels[offset + b]) correct[t]++;
      }
    }
    offset += batch;
  };
  const result = (): AccuracyByTimeSteps => {
    const total = correct!;
    return {timeSteps: Array.from(total, (_, t) => t + 1), accuracy: Array.from(total, c => c / examples)};
  };
  return {visit, result};
}
