/**
 * One backend's half of `npm run bench:train`: builds one of the ready-made networks, trains it with
 * SGD (momentum) and softmax cross-entropy on random data, and times model.trainOnBatch and
 * model.predict. scripts/bench-train.mjs bundles this file and runs it once per case and backend, each
 * in a fresh Node process, with the RunSpec as JSON:
 *
 *   node --expose-gc build/bench-train/train_step.cjs '<RunSpec JSON>'
 *
 * Prints one JSON line per result (bench/train/spec.ts) on stdout; progress goes to stderr.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import {sparseConvCalls, sparseConvLimits} from '../kernels/wasm/conv2d';
import {sparseFilterGradCalls} from '../kernels/wasm/conv2d_backprop_filter';
import {winogradCalls} from '../kernels/wasm/winograd';
import * as snn from '../src/index';

import type {KernelTime, OutputLine, RunSpec, TrainCase} from './train/spec';
import {kernelTotals, median, snnKernelMs, timeOnce, timeSteps, wasmPeakBytes} from './train/timing';

const SEED = 1;
const TOP_KERNELS = 10;

const log = (message: string) => process.stderr.write(`${message}\n`);
const emit = (line: OutputLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

function buildModel(c: TrainCase, weightDecay: number): tfl.Sequential {
  const options = {
    inputShape: c.inputShape,
    numClasses: c.numClasses,
    timeSteps: c.timeSteps,
    seed: SEED,
    weightDecay,
    encoder: 'direct' as const,
    ...(c.neuron != null ? {neuron: c.neuron} : {}),
  };
  return c.model === 'small' ? snn.models.small(options) : snn.models.vgg9(options);
}

function compile(model: tfl.Sequential, spec: RunSpec): void {
  model.compile({
    optimizer: tf.train.momentum(spec.optimizer.lr, spec.optimizer.momentum),
    loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p),
  });
}

/** A random batch of the dataset's shape: images uniform in [-1, 1), one-hot labels. */
function randomBatch(c: TrainCase): {x: tf.Tensor; y: tf.Tensor} {
  return tf.tidy(() => {
    const x = tf.randomUniform([c.batch, ...c.inputShape], -1, 1, 'float32', SEED);
    const labels = tf.randomUniform([c.batch], 0, c.numClasses, 'int32', SEED + 1);
    return {x, y: tf.cast(tf.oneHot(labels, c.numClasses), 'float32')};
  });
}

const weightCount = (weights: tfl.LayerVariable[]) =>
  weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);

async function predictOnce(model: tfl.Sequential, x: tf.Tensor, batch: number): Promise<void> {
  const logits = model.predict(x, {batchSize: batch}) as tf.Tensor;
  await logits.data();
  logits.dispose();
}

const lossOf = (result: number | number[]) => (Array.isArray(result) ? result[0] : result);

/**
 * The kernel time of the network's encoder layers (snn.layers.isEncoder) on the batch, profiled on their own: a
 * step's profile names kernels, not layers, and a direct encoder runs core kernels (Concat) that other layers
 * run too. Training does not differentiate the encoder (the input is not a variable), so its forward is all of it.
 */
async function encoderKernelMs(model: tfl.Sequential, x: tf.Tensor): Promise<number> {
  const info = await tf.profile(() => {
    tf.tidy(() => {
      let input = x;
      for (const layer of model.layers) {
        if (!snn.layers.isEncoder(layer)) break;
        input = layer.apply(input) as tf.Tensor;
      }
    });
  });
  return kernelTotals(info.kernels).reduce((sum, k) => sum + k.ms, 0);
}

/** Profiled steps per run: the step reported is the one whose SNN share is the median (one step is noisy). */
const PROFILED_STEPS = 3;

async function profileStep(
  spec: RunSpec,
  step: () => Promise<unknown>,
  encoderMs: () => Promise<number>
): Promise<void> {
  const runs: Array<{stepMs: number; totals: KernelTime[]; peakBytes: number; encoder: number; snn: number}> = [];
  for (let i = 0; i < PROFILED_STEPS; i++) {
    const start = performance.now();
    const info = await tf.profile(async () => {
      await step();
    });
    const stepMs = performance.now() - start;
    const totals = kernelTotals(info.kernels);
    const peakBytes = info.peakBytes;
    // After reading info: tf.profile reuses its record, so the encoder's profile overwrites it.
    const encoder = await encoderMs();
    runs.push({stepMs, totals, peakBytes, encoder, snn: snnKernelMs(totals) + encoder});
  }
  const shares = runs.map(r => r.snn / r.stepMs);
  const median = runs[shares.indexOf([...shares].sort((a, b) => a - b)[runs.length >> 1])];
  // A further step (unprofiled) for the buffer count: tf.profile's peakBytes counts shared buffers twice.
  const buffers = await wasmPeakBytes(tf.backend(), step);
  const {stepMs, totals, peakBytes, encoder, snn} = median;
  emit({
    type: 'profile',
    side: 'tfjs',
    name: spec.name,
    backend: spec.backend,
    stepMs,
    kernelMs: totals.reduce((sum, k) => sum + k.ms, 0),
    snnKernelMs: snn,
    encoderKernelMs: encoder,
    snnShares: shares,
    peakBytes,
    ...(buffers == null ? {} : {peakBufferBytes: buffers.peakBytes, heapBytes: buffers.heapBytes}),
    top: totals.slice(0, TOP_KERNELS),
  });
}

async function wasmFeatures(
  backend: string,
  threads: number
): Promise<{wasmSimd?: boolean; wasmThreads?: boolean; wasmThreadCount?: number}> {
  if (tf.getBackend() !== 'wasm') return {};
  return {
    wasmSimd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean,
    wasmThreads: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean,
    wasmThreadCount: backend === 'wasm-threads' ? threads : 1,
  };
}

type Mode = 'train' | 'predict';

/**
 * One more (untimed) step of a mode that reads the input of every Conv2D the network runs (the forward
 * convolutions; the gradients' inner convolutions are not counted) and reports their non-zero share, weighted by
 * each conv's multiply-adds, and how many of those convolutions took the sparse path (cpu and wasm, whose data
 * reads are synchronous).
 */
async function measureActivity(spec: RunSpec, mode: Mode, step: () => Promise<unknown>): Promise<void> {
  if (tf.getBackend() !== 'wasm' && tf.getBackend() !== 'cpu') return;
  const engine = tf.engine() as unknown as {runKernelFunc: (p: KernelCall) => unknown};
  const runKernelFunc = engine.runKernelFunc;
  let work = 0;
  let nonZeroWork = 0;
  let convCalls = 0;
  let sparseCalls = 0;
  let depth = 0;
  const sparseBefore = sparseConvCalls();
  const filterGradsBefore = sparseFilterGradCalls();
  const winogradBefore = winogradCalls();
  engine.runKernelFunc = (call: KernelCall) => {
    const counted = depth === 0 && call.kernelName === 'Conv2D';
    if (counted) {
      const {x, filter} = call.inputs as {x: tf.Tensor; filter: tf.Tensor};
      const values = tf.backend().readSync(x.dataId) as Float32Array;
      let nonZeros = 0;
      for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonZeros++;
      // Multiply-adds: x's size × the filter's taps × output channels (stride 1, as in the ready-made nets).
      const macs = values.length * filter.shape[0]! * filter.shape[1]! * filter.shape[3]!;
      work += macs;
      nonZeroWork += macs * (nonZeros / Math.max(1, values.length));
      convCalls++;
    }
    const sparseAtCall = sparseConvCalls();
    depth++;
    try {
      return runKernelFunc.call(engine, call);
    } finally {
      depth--;
      if (counted) sparseCalls += sparseConvCalls() - sparseAtCall;
    }
  };
  try {
    await step();
  } finally {
    engine.runKernelFunc = runKernelFunc;
  }
  emit({
    type: 'activity',
    side: 'tfjs',
    name: spec.name,
    backend: spec.backend,
    mode,
    nonZeroShare: work === 0 ? 0 : nonZeroWork / work,
    convCalls,
    sparseCalls,
    sparseGradientCalls: sparseConvCalls() - sparseBefore - sparseCalls,
    sparseFilterGradCalls: sparseFilterGradCalls() - filterGradsBefore,
    sparseLimits: tf.getBackend() === 'wasm' ? sparseConvLimits(tf.backend()) : undefined,
    winogradLimits: tf.getBackend() === 'wasm' ? sparseConvLimits(tf.backend(), true) : undefined,
    winogradCalls: winogradCalls() - winogradBefore,
  });
}

interface KernelCall {
  kernelName?: string;
  inputs?: unknown;
}

/** Times one mode: an optional untimed warm-up, then the timed steps; announces the phase first. */
async function measureMode(spec: RunSpec, mode: Mode, step: () => Promise<unknown>, maxSteps: number): Promise<void> {
  const c = spec.case;
  emit({type: 'phase', side: 'tfjs', name: spec.name, backend: spec.backend, mode});
  const warmupMs = spec.warmup ? await timeOnce(step) : undefined;
  const stepsMs = await timeSteps(step, maxSteps, spec.budgetMs);
  log(
    `${spec.name} on ${spec.backend}: ${mode} ${warmupMs == null ? '' : `warm-up ${warmupMs.toFixed(0)} ms, `}` +
      `steps ${stepsMs.map(ms => ms.toFixed(0)).join(', ')} ms`
  );
  const msPerStep = median(stepsMs);
  emit({
    type: 'timing',
    side: 'tfjs',
    name: spec.name,
    backend: spec.backend,
    mode,
    batch: c.batch,
    timeSteps: c.timeSteps,
    stepsMs,
    msPerStep,
    imagesPerSecond: c.batch / (msPerStep / 1000),
    warmupMs,
  });
}

/**
 * Prediction first: it is the cheap part, so a backend that runs out of its time budget in training
 * (scripts/bench-train.mjs ends the process) still reports it. Returns the last training loss.
 */
async function measure(spec: RunSpec, model: tfl.Sequential, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  let lastLoss = NaN;
  const train = async () => {
    lastLoss = lossOf(await model.trainOnBatch(x, y));
  };
  const predict = () => predictOnce(model, x, spec.case.batch);
  await measureMode(spec, 'predict', predict, spec.predictSteps);
  await measureActivity(spec, 'predict', predict);
  await measureMode(spec, 'train', train, spec.trainSteps);
  await measureActivity(spec, 'train', train);
  if (spec.profile) await profileStep(spec, train, () => encoderKernelMs(model, x));
  return lastLoss;
}

async function run(spec: RunSpec): Promise<void> {
  // npm run bench:gpu preloads Dawn's navigator.gpu (scripts/dawn-preload.mjs); the backend registers on import.
  if (spec.backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  // wasm-threads: tfjs-backend-wasm's threaded build, started as the 'wasm' backend, one thread per core.
  const threads = spec.backend === 'wasm-threads' ? await snn.useThreadedWasm() : 1;
  if (spec.backend !== 'wasm-threads' && !(await tf.setBackend(spec.backend))) {
    throw new Error(`backend '${spec.backend}' failed to initialise`);
  }
  emit({
    type: 'info',
    side: 'tfjs',
    backend: spec.backend,
    tfjs: tf.version_core,
    ...(await wasmFeatures(spec.backend, threads)),
  });
  const buildStart = performance.now();
  const model = buildModel(spec.case, spec.optimizer.weightDecay);
  compile(model, spec);
  emit({
    type: 'model',
    side: 'tfjs',
    name: spec.name,
    backend: spec.backend,
    trainableParams: weightCount(model.trainableWeights),
    nonTrainableParams: weightCount(model.nonTrainableWeights),
    buildMs: performance.now() - buildStart,
  });
  const {x, y} = randomBatch(spec.case);
  const tensorsBefore = tf.memory().numTensors;
  const finalLoss = await measure(spec, model, x, y);
  // tf.train.momentum keeps one accumulator per trainable weight.
  const leakedTensors = tf.memory().numTensors - tensorsBefore - model.trainableWeights.length;
  emit({type: 'end', side: 'tfjs', name: spec.name, backend: spec.backend, finalLoss, leakedTensors});
  tf.dispose([x, y]);
  model.dispose();
}

run(JSON.parse(process.argv[2] ?? '{}') as RunSpec).catch(e => {
  log(`train_step: ${e instanceof Error ? e.stack : e}`);
  process.exitCode = 1;
});
