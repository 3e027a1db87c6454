/**
 * tf.memory().numTensors over repeated BNTT training steps on the current backend, through the
 * SnnBnttTrain kernel and through a layer; shared by the Node and browser suites.
 */
import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN} from '../../kernels/bntt_attrs';
import {layers} from '../../src/index';

/** Steps forward + backward after a warm-up and expects the tensor count to stay where it was. */
export function expectBnttStepsLeakNoTensors(epsilon: number): void {
  const x = tf.randomUniform([4, 3, 5, 6]);
  const [gamma, beta] = [tf.randomUniform([3, 6], 0.5, 1.5), tf.randomUniform([3, 6])];
  const forward = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    (tf.engine().runKernel(BNTT_TRAIN, {x: xs, gamma: g, beta: b}, {epsilon} as never) as tf.Tensor[])[0];
  const kernelStep = () => tf.dispose(tf.grads((xs, g, b) => tf.sum(forward(xs, g, b)))([x, gamma, beta]));
  const layer = layers.bntt({center: true});
  layer.build(x.shape as number[]);
  const trainables = layer.trainableWeights.map(w => w.read() as tf.Variable);
  const layerStep = () => {
    const {value, grads} = tf.variableGrads(
      () => tf.sum(tf.square(layer.apply(x, {training: true}) as tf.Tensor)) as tf.Scalar,
      trainables
    );
    tf.dispose([value, ...Object.values(grads)]);
  };
  for (const [what, step] of [
    ['kernel', kernelStep],
    ['layer', layerStep],
  ] as const) {
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).withContext(what).toBe(before);
  }
  tf.dispose([x, gamma, beta]);
  for (const weight of layer.weights) weight.dispose();
}
