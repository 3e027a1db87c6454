/**
 * Trains a small BNTT spiking network with model.fit on a task it can learn
 * (which quadrant of a noisy image is bright) and reports the loss before and
 * after and the accuracy: shared by the Node (cpu, wasm) and browser (webgl) suites.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {callbacks, layers} from '../../src/index';

export function quadrantData(n: number, size = 8, seed = 1): {x: tf.Tensor; y: tf.Tensor} {
  return tf.tidy(() => {
    const labels = Array.from({length: n}, (_, i) => i % 4);
    const half = size / 2;
    const masks = labels.map(label => {
      const [top, left] = [Math.floor(label / 2) * half, (label % 2) * half];
      return Array.from({length: size * size}, (_, p) => {
        const [r, c] = [Math.floor(p / size), p % size];
        return r >= top && r < top + half && c >= left && c < left + half ? 1 : 0;
      });
    });
    const noise = tf.randomUniform([n, size, size, 1], 0, 0.5, 'float32', seed);
    const x = tf.add(tf.tensor4d(masks.flat(), [n, size, size, 1]), noise);
    return {x, y: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 4), 'float32')};
  });
}

/** A conv model, or a dense-only one (for backends that cannot differentiate a convolution, e.g. wasm). */
export function smallSnn(kind: 'conv' | 'dense', T = 4, implementation: 'auto' | 'composite' = 'auto'): tfl.Sequential {
  const model = tfl.sequential();
  const init = (seed: number) => tfl.initializers.glorotUniform({seed});
  model.add(layers.directEncoder({timeSteps: T, inputShape: [8, 8, 1]}));
  if (kind === 'conv') {
    model.add(layers.spikingConv2d({filters: 4, kernelSize: 3, kernelInitializer: init(1)}));
    model.add(layers.bntt());
    model.add(layers.lif({implementation}));
    model.add(layers.spikingAvgPool2d());
  }
  model.add(layers.spikingFlatten());
  model.add(layers.spikingDense({units: 16, kernelInitializer: init(2)}));
  model.add(layers.bntt());
  model.add(layers.lif({implementation}));
  model.add(layers.spikingDense({units: 4, kernelInitializer: init(3)}));
  model.add(layers.timeAverage());
  return model;
}

export interface LearningResult {
  lossBefore: number;
  lossAfter: number;
  accuracy: number;
  rates: number[];
  leakedTensors: number;
}

export async function trainSmallSnn(
  kind: 'conv' | 'dense',
  epochs = 6,
  implementation: 'auto' | 'composite' = 'auto'
): Promise<LearningResult> {
  const {x, y} = quadrantData(64);
  const model = smallSnn(kind, 4, implementation);
  model.compile({
    optimizer: tf.train.adam(0.02),
    loss: (t, p) => tf.losses.softmaxCrossEntropy(t, p),
    metrics: ['accuracy'],
  });
  const evaluate = async () => {
    const [loss, accuracy] = model.evaluate(x, y, {batchSize: 32}) as tf.Scalar[];
    const values = [(await loss.data())[0], (await accuracy.data())[0]];
    tf.dispose([loss, accuracy]);
    return values;
  };
  const [lossBefore] = await evaluate();
  const history = await model.fit(x, y, {
    epochs: 1,
    batchSize: 16,
    verbose: 0,
    callbacks: [callbacks.spikeRateMonitor()],
  });
  const afterFirstEpoch = tf.memory().numTensors;
  await model.fit(x, y, {epochs: epochs - 1, batchSize: 16, verbose: 0, shuffle: true});
  const leakedTensors = tf.memory().numTensors - afterFirstEpoch;
  const [lossAfter, accuracy] = await evaluate();
  const rates = Object.keys(history.history)
    .filter(k => k.startsWith('spikeRate/'))
    .map(k => history.history[k][0] as number);
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  return {lossBefore, lossAfter, accuracy, rates, leakedTensors};
}
