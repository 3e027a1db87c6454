/** The temporal early-exit panel: BNTT scales, the gamma rule's exit step, accuracy by steps, confidence exits. */
import {LiveChart} from './charts.js';
import {PageDataset, timeStepsOf} from './dataset.js';
import {argMax, forEachChunk} from './evaluation.js';
import {percent, setText} from './ui.js';

export interface ConfidenceSettings {
  /** Softmax margin (highest minus second highest probability) an input must keep. */
  threshold: number;
  /** For this many consecutive steps. */
  patience: number;
}

export interface ExitCharts {
  gamma: LiveChart;
  steps: LiveChart;
  exits: LiveChart;
}

export interface ExitAnalysis {
  /** accuracy[t − 1]: test accuracy when inference stops after t steps. */
  accuracy: number[];
  exitSteps: number[];
  confidenceAccuracy: number;
}

/** Draws the scales and states the step the gamma rule picks at `threshold`; cheap, so run on every change. */
export async function showGammaRule(
  model: tf.LayersModel,
  threshold: number,
  charts: ExitCharts,
  accuracy: number[] | null
): Promise<void> {
  const profiles = snn.analysis.gammaProfile(model);
  await charts.gamma.replace(profiles.flatMap(p => p.mean.map((gamma, t) => ({layer: p.layer, step: t + 1, gamma}))));
  if (profiles.length > 0) await charts.gamma.replace([{gamma: threshold}], 'threshold');
  const wrapper = snn.layers.earlyExitWrapper({layer: model, policy: 'gamma', gammaThreshold: threshold});
  const steps = wrapper.exitStep();
  const total = timeStepsOf(model);
  let text =
    profiles.length === 0
      ? `This model has no BNTT layers, so the γ rule always runs all ${total} steps.`
      : `γ rule at ${threshold.toFixed(2)}: run ${steps} of ${total} steps ` +
        `(${percent(1 - steps / total, 0)} fewer).`;
  if (accuracy != null) {
    text +=
      ` Test accuracy ${percent(accuracy[steps - 1])} after ${steps} steps, ${percent(accuracy[total - 1])} ` +
      `after all ${total}.`;
  }
  setText('exit-step', text);
}

/** Accuracy after every number of steps and the confidence policy's exits, over test examples 0 … count − 1. */
export async function analyseExits(
  model: tf.LayersModel,
  test: PageDataset,
  count: number,
  confidence: ConfidenceSettings,
  charts: ExitCharts
): Promise<ExitAnalysis> {
  const total = timeStepsOf(model);
  const correctAfter = new Float64Array(total);
  const exitSteps: number[] = [];
  let confidentCorrect = 0;
  const wrapper = snn.layers.earlyExitWrapper({
    layer: model,
    policy: 'confidence',
    confidenceThreshold: confidence.threshold,
    patience: confidence.patience,
  });
  await forEachChunk(test, count, total, (x, labels) => {
    const labelTensor = tf.tensor1d(Array.from(labels), 'int32');
    const byStep = snn.analysis.accuracyByTimeSteps(model, x, labelTensor);
    labelTensor.dispose();
    byStep.accuracy.forEach((a, t) => (correctAfter[t] += a * labels.length));
    const {logits, exitSteps: steps} = wrapper.predictWithExits(x);
    const rows = logits.arraySync() as number[][];
    logits.dispose();
    rows.forEach((row, i) => {
      if (argMax(row) === labels[i]) confidentCorrect++;
    });
    exitSteps.push(...steps);
  });
  const accuracy = Array.from(correctAfter, c => c / count);
  await charts.steps.replace(accuracy.map((a, t) => ({step: t + 1, accuracy: a})));
  const histogram = Array.from({length: total}, (_, t) => ({step: t + 1, examples: 0}));
  for (const step of exitSteps) histogram[step - 1].examples++;
  await charts.exits.replace(histogram);
  const confidenceAccuracy = confidentCorrect / count;
  const meanSteps = exitSteps.reduce((a, b) => a + b, 0) / count;
  setText(
    'exit-result',
    `Confidence policy (margin ${confidence.threshold}, patience ${confidence.patience}) on ` +
      `${count} test ${test.items}: ${meanSteps.toFixed(2)} steps on average instead of ${total} ` +
      `(${percent(1 - meanSteps / total, 0)} fewer), accuracy ${percent(confidenceAccuracy)} vs ` +
      `${percent(accuracy[total - 1])} with every step.`
  );
  return {accuracy, exitSteps, confidenceAccuracy};
}

/** The step at which the confidence policy stops this one image, and its prediction there. */
export function confidenceExit(
  model: tf.LayersModel,
  x: tf.Tensor,
  confidence: ConfidenceSettings
): {step: number; prediction: number} {
  const wrapper = snn.layers.earlyExitWrapper({
    layer: model,
    policy: 'confidence',
    confidenceThreshold: confidence.threshold,
    patience: confidence.patience,
  });
  const {logits, exitSteps} = wrapper.predictWithExits(x);
  const prediction = tf.tidy(() => tf.argMax(logits, 1).dataSync()[0]);
  logits.dispose();
  return {step: exitSteps[0], prediction};
}
