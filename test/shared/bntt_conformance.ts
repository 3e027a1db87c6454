/**
 * Runs the network of the committed BNTT reference fixture
 * (tools/reference/bntt_reference.py, float64 PyTorch) through tfjs-snn and
 * measures every quantity against it; shared by the Node and browser suites.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {layers, regularizers} from '../../src/index';
import fixture from '../fixtures/bntt_reference.json';
import {relativeMaxError} from '../reference/lif_reference';

type Nested = number | Nested[];
const flat = (value: Nested): number[] => (Array.isArray(value) ? value.flatMap(flat) : [value]);

const cfg = fixture.config;
const WEIGHTED = ['conv1', 'bntt1', 'conv2', 'bntt2', 'fc1', 'bntt3', 'fc2'] as const;
const isBntt = (name: string) => name.startsWith('bntt');

/** The fixture network as a user writes it; `weightDecay` adds the reference's SGD weight decay. */
export function buildFixtureModel(weightDecay = 0, implementation: 'auto' | 'composite' = 'auto'): tfl.Sequential {
  const decay = weightDecay > 0 ? regularizers.weightDecay(weightDecay) : undefined;
  const lifArgs = {
    leak: cfg.leak,
    threshold: cfg.threshold,
    resetMode: 'subtract' as const,
    surrogate: 'triangle' as const,
    alpha: cfg.surrogateAlpha,
    implementation,
  };
  const bnttArgs = {epsilon: cfg.epsilon, momentum: 1 - cfg.momentum_pytorch, gammaRegularizer: decay};
  const model = tfl.sequential();
  const inputShape = [cfg.timeSteps, cfg.height, cfg.width, cfg.channels];
  model.add(
    layers.spikingConv2d({
      name: 'conv1',
      filters: cfg.conv1Filters,
      kernelSize: 3,
      inputShape,
      kernelRegularizer: decay,
    })
  );
  model.add(layers.bntt({name: 'bntt1', ...bnttArgs}));
  model.add(layers.lif({name: 'lif1', ...lifArgs}));
  model.add(layers.spikingAvgPool2d({poolSize: 2}));
  model.add(layers.spikingConv2d({name: 'conv2', filters: cfg.conv2Filters, kernelSize: 3, kernelRegularizer: decay}));
  model.add(layers.bntt({name: 'bntt2', ...bnttArgs}));
  model.add(layers.lif({name: 'lif2', ...lifArgs}));
  model.add(layers.spikingAvgPool2d({poolSize: 2}));
  model.add(layers.spikingFlatten());
  model.add(layers.spikingDense({name: 'fc1', units: cfg.fc1Units, kernelRegularizer: decay}));
  model.add(layers.bntt({name: 'bntt3', ...bnttArgs}));
  model.add(layers.lif({name: 'lif3', ...lifArgs}));
  model.add(layers.spikingDense({name: 'fc2', units: cfg.classes, kernelRegularizer: decay}));
  model.add(layers.timeAverage());
  for (const name of WEIGHTED) {
    const initial = fixture.initial[name] as {[k: string]: Nested};
    const values = isBntt(name) ? [initial.gamma, initial.movingMean, initial.movingVariance] : [initial.kernel];
    const layer = model.getLayer(name);
    const tensors = values.map((v, i) => tf.tensor(flat(v), layer.weights[i].shape as number[]));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return model;
}

export function fixtureInputs(): {spikes: tf.Tensor; oneHot: tf.Tensor} {
  const spikes = tf.tensor(flat(fixture.inputSpikes as Nested), [
    cfg.batch,
    cfg.timeSteps,
    cfg.height,
    cfg.width,
    cfg.channels,
  ]);
  const oneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(fixture.labels, 'int32'), cfg.classes), 'float32'));
  return {spikes, oneHot};
}

const softmaxLoss = (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits);

/** Relative max error (max |diff| / max |ref|) of each compared quantity, keyed by what it is. */
export type ConformanceErrors = {[quantity: string]: number};

async function compare(errors: ConformanceErrors, key: string, actual: tf.Tensor, expected: Nested) {
  errors[key] = relativeMaxError(await actual.data(), flat(expected));
}

/** Training-mode forward and backward, the moving statistics it leaves, then inference. */
export async function checkForwardBackward(implementation: 'auto' | 'composite' = 'auto'): Promise<ConformanceErrors> {
  const errors: ConformanceErrors = {};
  const model = buildFixtureModel(0, implementation);
  const {spikes, oneHot} = fixtureInputs();
  let logits: tf.Tensor | null = null;
  const {value: loss, grads} = tf.variableGrads(() => {
    const output = model.apply(spikes, {training: true}) as tf.Tensor;
    logits = tf.keep(output);
    return softmaxLoss(oneHot, output) as tf.Scalar;
  });
  await compare(errors, 'train logits', logits!, fixture.train.logits);
  await compare(errors, 'loss', loss, fixture.train.loss);
  for (const name of WEIGHTED) {
    const layer = model.getLayer(name);
    const weight = layer.trainableWeights[0];
    const expected = fixture.train.grads[name] as {[k: string]: Nested};
    await compare(
      errors,
      `grad ${name}/${weight.originalName.split('/').pop()}`,
      grads[weight.name],
      isBntt(name) ? expected.gamma : expected.kernel
    );
    if (isBntt(name)) {
      const [, movingMean, movingVariance] = layer.getWeights();
      const after = fixture.train.movingAfter[name as 'bntt1'];
      await compare(errors, `${name} movingMean`, movingMean, after.movingMean);
      await compare(errors, `${name} movingVariance`, movingVariance, after.movingVariance);
    }
  }
  const evalLogits = model.predict(spikes) as tf.Tensor;
  await compare(errors, 'eval logits', evalLogits, fixture.eval.logits);
  tf.dispose([spikes, oneHot, loss, logits!, evalLogits, ...Object.values(grads)]);
  model.dispose();
  return errors;
}

/** One `trainOnBatch` with SGD momentum and the reference's weight decay, through compile/fit's own path. */
export async function checkSgdStep(): Promise<ConformanceErrors> {
  const errors: ConformanceErrors = {};
  const {lr, momentum, weightDecay} = cfg.sgd;
  const model = buildFixtureModel(weightDecay);
  model.compile({optimizer: tf.train.momentum(lr, momentum), loss: softmaxLoss});
  const {spikes, oneHot} = fixtureInputs();
  await model.trainOnBatch(spikes, oneHot);
  for (const name of WEIGHTED) {
    const after = fixture.afterSgdStep[name] as {[k: string]: Nested};
    const [weight] = model.getLayer(name).getWeights();
    await compare(errors, `${name} after step`, weight, isBntt(name) ? after.gamma : after.kernel);
  }
  tf.dispose([spikes, oneHot]);
  model.optimizer.dispose();
  model.dispose();
  return errors;
}

export const FIXTURE_TOLERANCE = 1e-4;
