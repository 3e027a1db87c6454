// The work test/node/wasm_threads_spec.ts runs twice, on the single-threaded wasm backend in the spec's process and
// on the threaded one (snn.useThreadedWasm) in a child process: a convolution, a small model's prediction and one
// training step, which runs tfjs-backend-wasm's XNNPACK kernels and this package's wasm kernels (LIF, BNTT,
// Conv2DBackpropFilter, …) with their gradients.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';

import * as snn from '../../src/index';
import {sparseFilterGradCalls} from '../../kernels/wasm/conv2d_backprop_filter';
import {programWorkerRuns} from '../../kernels/wasm/simd/program_workers';
import {setWinogradChunkTiles, winogradCalls} from '../../kernels/wasm/winograd';
import {GradCase} from '../shared/conv_reference';
import {filterGradKernel} from '../shared/sparse_inputs';

export interface ThreadCaseOutputs {
  conv2d: number[];
  /** A convolution of spikes (10 % non-zero), which takes the sparse path (kernels/wasm/conv2d.ts). */
  sparseConv2d: number[];
  /**
   * The filter gradient of spikes (10 % non-zero) with 72 output channels, which takes its program over non-zeros
   * (kernels/wasm/conv2d_backprop_filter.ts); on the threaded build channels 0-31 and 32-71 go to two threads.
   */
  sparseFilterGrad: number[];
  /** How many filter gradients went over non-zeros, and how many parts of them ran on a program worker. */
  sparseFilterGradCalls: number;
  sparseFilterGradWorkerParts: number;
  /**
   * ops.lifWithState forward and backward on [4, 4, 4096] (leak and threshold numbers, so no parameter sums): its
   * spikes, final membrane and the gradients of the currents and V_0, flattened; on the threaded build batch rows
   * 0-1 and 2-3 go to two threads, forward and backward.
   */
  lif: number[];
  lifWorkerParts: number;
  /**
   * A dense 3×3 convolution of 16 channels and its two gradients (tf.grads), which take the Winograd path
   * (kernels/wasm/winograd.ts): its output, dx and dW flattened; on the threaded build the convolutions give half of
   * their tiles to the program worker whole, the filter gradient half of each transform's tiles and of its products.
   */
  winograd: number[];
  /** A Winograd convolution in chunks of 5 tiles, several per thread. */
  winogradChunked: number[];
  /** A Winograd filter gradient in chunks of its own sizes, which differ with the threads. */
  winogradFilterGradChunked: number[];
  winogradCalls: number;
  winogradWorkerParts: number;
  predict: number[];
  loss: number;
  /** Every trainable weight after the step, flattened in model order. */
  weights: number[];
}

/** Runs the case on the current backend. */
/** The Conv2DBackpropFilter kernel of a 3×3, stride-1, 'same' convolution of x to dy's channels, flattened. */
function filterGradOf(x: tf.Tensor4D, dy: tf.Tensor4D): number[] {
  const c: GradCase = {xShape: x.shape, kernel: [3, 3], outChannels: dy.shape[3], strides: 1, pad: 'same'};
  return Array.from(filterGradKernel(c, x.dataSync() as Float32Array, dy.dataSync() as Float32Array));
}

export async function threadCaseOutputs(): Promise<ThreadCaseOutputs> {
  const conv2d = tf.tidy(() => {
    const x = tf.randomNormal([2, 9, 9, 5], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 5, 7], 0, 1, 'float32', 2) as tf.Tensor4D;
    return Array.from(tf.conv2d(x, w, 1, 'same').dataSync());
  });
  const sparseConv2d = tf.tidy(() => {
    const x = tf.cast(tf.less(tf.randomUniform([6, 8, 8, 16], 0, 1, 'float32', 4), 0.1), 'float32') as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 16, 8], 0, 1, 'float32', 5) as tf.Tensor4D;
    return Array.from(tf.conv2d(x, w, 1, 'same').dataSync());
  });
  const [gradCalls, workerRuns] = [sparseFilterGradCalls(), programWorkerRuns()];
  const sparseFilterGrad = tf.tidy(() => {
    const x = tf.cast(tf.less(tf.randomUniform([6, 8, 8, 16], 0, 1, 'float32', 6), 0.05), 'float32') as tf.Tensor4D;
    const dy = tf.randomNormal([6, 8, 8, 72], 0, 1, 'float32', 7) as tf.Tensor4D;
    return filterGradOf(x, dy);
  });
  const [filterGradCalls, filterGradWorkerParts] = [
    sparseFilterGradCalls() - gradCalls,
    programWorkerRuns() - workerRuns,
  ];
  const lifRuns = programWorkerRuns();
  const lif = tf.tidy(() => {
    const x = tf.randomUniform([4, 4, 4096], -0.3, 1.2, 'float32', 8);
    const v0 = tf.randomUniform([4, 4096], -0.5, 0.9, 'float32', 9);
    const w = tf.randomNormal([4, 4, 4096], 0, 1, 'float32', 10);
    const options = {leak: 0.9, threshold: 0.8, detachReset: false};
    const forward = snn.ops.lifWithState(x, {...options, initialMembrane: v0});
    const grads = tf.grads((xs: tf.Tensor, vs: tf.Tensor) => {
      const r = snn.ops.lifWithState(xs, {...options, initialMembrane: vs});
      return tf.add(tf.sum(tf.mul(r.spikes, w)), tf.sum(r.membrane));
    })([x, v0]);
    return [forward.spikes, forward.membrane, ...grads].flatMap(t => Array.from(t.dataSync()));
  });
  const lifWorkerParts = programWorkerRuns() - lifRuns;
  const [winogradBefore, winogradRuns] = [winogradCalls(), programWorkerRuns()];
  const winograd = tf.tidy(() => {
    const x = tf.randomNormal([3, 8, 8, 16], 0, 1, 'float32', 11) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 16, 20], 0, 1, 'float32', 12) as tf.Tensor4D;
    const r = tf.randomNormal([3, 8, 8, 20], 0, 1, 'float32', 13);
    const y = tf.conv2d(x, w, 1, 'same');
    const grads = tf.grads((xs: tf.Tensor, ws: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, 'same'), r))
    )([x, w]);
    return [y, ...grads].flatMap(t => Array.from(t.dataSync()));
  });
  const [winogradRan, winogradWorkerParts] = [winogradCalls() - winogradBefore, programWorkerRuns() - winogradRuns];
  // Several chunks per thread, the last one short: 18 tiles, 9 a thread on 2, in chunks of 5.
  setWinogradChunkTiles(5);
  const chunked = tf.tidy(() => {
    const x = tf.randomNormal([2, 12, 12, 24], 0, 1, 'float32', 14) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 24, 28], 0, 1, 'float32', 15) as tf.Tensor4D;
    return Array.from(tf.conv2d(x, w, 1, 'same').dataSync());
  });
  setWinogradChunkTiles(null);
  // A filter gradient of 640 tiles: chunks of 32 on one thread, of 512 (256 a thread) on two.
  const filterGradChunked = tf.tidy(() => {
    const x = tf.randomNormal([10, 32, 32, 16], 0, 1, 'float32', 16) as tf.Tensor4D;
    const dy = tf.randomNormal([10, 32, 32, 16], 0, 1, 'float32', 17) as tf.Tensor4D;
    return filterGradOf(x, dy);
  });
  const model = snn.models.small({inputShape: [8, 8, 1], numClasses: 3, timeSteps: 3, seed: 1});
  model.compile({optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy'});
  const x = tf.randomUniform([4, 8, 8, 1], -1, 1, 'float32', 3);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
  const logits = model.predict(x) as tf.Tensor;
  const predict = Array.from(await logits.data());
  const loss = (await model.trainOnBatch(x, y)) as number;
  const weights = model.trainableWeights.flatMap(w => Array.from(w.read().dataSync()));
  tf.dispose([x, y, logits]);
  model.dispose();
  return {
    conv2d,
    sparseConv2d,
    sparseFilterGrad,
    sparseFilterGradCalls: filterGradCalls,
    sparseFilterGradWorkerParts: filterGradWorkerParts,
    lif,
    lifWorkerParts,
    winograd,
    winogradChunked: chunked,
    winogradFilterGradChunked: filterGradChunked,
    winogradCalls: winogradRan,
    winogradWorkerParts,
    predict,
    loss,
    weights,
  };
}
