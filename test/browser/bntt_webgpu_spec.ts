/**
 * The WebGPU BNTT training kernels (kernels/webgpu/bntt_train*.ts) against the float64 reference
 * (test/reference/bntt_reference.ts), through the layers, and the BNTT network against the PyTorch fixture on
 * webgpu. Where WebGPU cannot be created every spec is pending with the reason (setup.ts onWebGPU). Reads are
 * asynchronous (data(), never dataSync(): see lif_webgpu_spec.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../../kernels/bntt_attrs';
import {registerAll} from '../../kernels/register';
import {bnttTrainWebGPUConfig} from '../../kernels/webgpu/bntt_train';
import {reductionLanes} from '../../kernels/webgpu/bntt_train_gpu';
import {bnttTrainGradWebGPUConfig} from '../../kernels/webgpu/bntt_train_grad';
import {layers} from '../../src/index';
import {refBackward, refForward} from '../reference/bntt_reference';
import {relativeMaxError} from '../reference/lif_reference';
import {checkForwardBackward, checkSgdStep, ConformanceErrors, FIXTURE_TOLERANCE} from '../shared/bntt_conformance';
import {
  CaseData,
  caseData,
  KERNEL_EPSILON,
  KernelCase,
  OUTPUT_NAMES,
  referenceOutputs,
  runKernels,
  sizeOf,
} from '../shared/bntt_kernel_check';
import {expectBnttStepsLeakNoTensors} from '../shared/bntt_memory_check';
import {countKernelCalls, onWebGPU} from './setup';

const EPSILON = KERNEL_EPSILON;
/** float32 sums against float64 ones: max |webgpu − reference| over max |reference|. */
const TOLERANCE = 1e-5;

const CASES: KernelCase[] = [
  {shape: [2, 3, 5], rows: 3}, // rank 3, R = T: N = 2, most lanes idle
  {shape: [3, 5, 7], rows: 1},
  {shape: [1, 3, 4], rows: 3}, // N = 1: variance 0
  {shape: [32, 4, 256], rows: 4}, // the small model's dense BNTT at batch 32
  {shape: [3, 5, 7, 3], rows: 5},
  {shape: [4, 2, 7, 3], rows: 1},
  {shape: [2, 3, 5, 7, 3], rows: 3},
  {shape: [2, 3, 5, 7, 3], rows: 1},
  {shape: [3, 1, 2, 2, 5], rows: 1}, // T = 1
  {shape: [2, 2, 3, 2, 5, 3], rows: 2}, // rank 6
  {shape: [65, 2, 3], rows: 2}, // N = 65: one lane sums two values
  {shape: [32, 4, 28, 28, 32], rows: 4}, // the small model's first BNTT at batch 32: N = 25088, 256 lanes
  {shape: [17, 3, 9, 13, 5], rows: 1}, // N = 5967, 256 lanes, odd sizes
  {shape: [15, 3, 11, 9, 7], rows: 3},
  {shape: [1001, 3, 5], rows: 3},
  {shape: [4095, 2, 3], rows: 1}, // N = 8190
  {shape: [4095, 1, 3], rows: 1}, // N = 4095, the last with 64 lanes
  {shape: [4096, 1, 3], rows: 1}, // N = 4096, the first with 256
  // 65537 statistics: more workgroups than a dispatch dimension takes, so tfjs splits the dispatch over x and y
  // (257 × 257), and 512 workgroups have no statistic.
  {shape: [2, 1, 65537], rows: 1},
];

const statisticCount = (c: KernelCase) => sizeOf(c.shape) / (c.rows * c.shape[c.shape.length - 1]);
const caseName = (c: KernelCase) =>
  `x [${c.shape}], R = ${c.rows}, N = ${statisticCount(c)} (${reductionLanes(statisticCount(c))} lanes)`;

/** Every output's error against the reference, with both kernels counted (each must run once, on webgpu). */
async function kernelErrors(c: KernelCase, data: CaseData): Promise<{[output: string]: number}> {
  let actual: Float32Array[] = [];
  let gradCalls = 0;
  const calls = await countKernelCalls(BNTT_TRAIN, 'webgpu', async () => {
    gradCalls = await countKernelCalls(BNTT_TRAIN_GRAD, 'webgpu', async () => {
      actual = await runKernels(c, data);
    });
  });
  expect([calls, gradCalls]).toEqual([1, 1]);
  const expected = referenceOutputs(c, data, EPSILON);
  return Object.fromEntries(OUTPUT_NAMES.map((name, i) => [name, relativeMaxError(actual[i], expected[i])]));
}

function expectWithin(errors: {[quantity: string]: number}, tolerance: number): void {
  expect(Object.keys(errors).length).toBeGreaterThan(0);
  for (const [quantity, error] of Object.entries(errors)) {
    expect(error).withContext(quantity).toBeLessThanOrEqual(tolerance);
  }
}

/** `body` with webgpu's SnnBnttTrain unregistered: the layers take their composite path (tf.moments, broadcasting). */
async function withoutFusedKernel<T>(body: () => Promise<T>): Promise<T> {
  tf.unregisterKernel(BNTT_TRAIN, 'webgpu');
  try {
    return await body();
  } finally {
    registerAll();
  }
}

/** The layer's pipelines tfjs-backend-webgpu has compiled (its pipelineCache, keyed by shaderKey first). */
const compiledBnttPipelines = () =>
  Object.keys((tf.backend() as unknown as {pipelineCache: object}).pipelineCache).filter(k => k.startsWith('snnBntt'))
    .length;

describe('the BNTT training kernels on webgpu', () => {
  onWebGPU();
  beforeAll(() => registerAll());

  it('are registered', () => {
    expect(tf.getBackend()).toBe('webgpu');
    // tf.getKernel answers undefined (not null) when none is registered: compare the kernel functions.
    expect(tf.getKernel(BNTT_TRAIN, 'webgpu')?.kernelFunc).toBe(bnttTrainWebGPUConfig.kernelFunc);
    expect(tf.getKernel(BNTT_TRAIN_GRAD, 'webgpu')?.kernelFunc).toBe(bnttTrainGradWebGPUConfig.kernelFunc);
  });

  CASES.forEach((c, i) => {
    it(`match the float64 reference: ${caseName(c)}`, async () => {
      expectWithin(await kernelErrors(c, caseData(c, 100 + 10 * i)), TOLERANCE);
    });
  });

  it('take the variance of the deviations: x around 1000 (E[x²] − E[x]² would lose it in float32)', async () => {
    const c = {shape: [64, 2, 16, 4], rows: 2};
    const errors = await kernelErrors(c, caseData(c, 7, 1000));
    expect(errors.variance).toBeLessThanOrEqual(TOLERANCE);
    // x − μ keeps only the digits float32 has below 1000's.
    expectWithin(errors, 1e-4);
  });

  it('reuse their compiled pipelines for new shapes, ranks and ε (two lane counts)', async () => {
    const run = async (c: KernelCase, epsilon: number) => {
      const data = caseData(c, 3);
      const paramShape = [c.rows, c.shape[c.shape.length - 1]];
      const outputs = tf.tidy(() => {
        const [x, dy] = [tf.tensor(data.x, c.shape), tf.tensor(data.dy, c.shape)];
        const [gamma, beta] = [tf.tensor(data.gamma, paramShape), tf.tensor(data.beta, paramShape)];
        const forward = tf.engine().runKernel(BNTT_TRAIN, {x, gamma, beta}, {epsilon} as never) as tf.Tensor[];
        const [, mean, variance] = forward;
        const grads = tf
          .engine()
          .runKernel(BNTT_TRAIN_GRAD, {dy, x, gamma, mean, variance}, {epsilon} as never) as tf.Tensor[];
        return [...forward, ...grads];
      });
      await Promise.all(outputs.map(t => t.data()));
      tf.dispose(outputs);
    };
    await run({shape: [3, 4, 5], rows: 4}, 1e-3);
    await run({shape: [4096, 1, 2], rows: 1}, 1e-3);
    const compiled = compiledBnttPipelines();
    await run({shape: [5, 2, 3, 7], rows: 1}, 1e-4);
    await run({shape: [2, 3, 4, 5, 6], rows: 3}, 0.1);
    await run({shape: [2, 3, 64, 64, 2], rows: 3}, 1e-5);
    expect(compiledBnttPipelines()).toBe(compiled);
  });

  for (const [name, make, shape] of [
    ['bntt, rank 3', () => layers.bntt({epsilon: EPSILON}), [5, 4, 6]],
    ['spikingBatchNorm, rank 5', () => layers.spikingBatchNorm({epsilon: EPSILON}), [3, 2, 5, 7, 3]],
  ] as const) {
    it(`run under the layer in training, forward and both gradients: ${name}`, async () => {
      const layer = make();
      layer.build(shape.slice());
      const c = {shape: shape.slice(), rows: name.startsWith('bntt') ? shape[1] : 1};
      const data = caseData(c, 40);
      const [x, dy] = [tf.tensor(data.x, c.shape), tf.tensor(data.dy, c.shape)];
      const loss = (xs: tf.Tensor) => tf.sum(tf.mul(layer.apply(xs, {training: true}) as tf.Tensor, dy)) as tf.Scalar;
      let y: tf.Tensor | null = null;
      let dx: tf.Tensor | null = null;
      let gradCalls = 0;
      const calls = await countKernelCalls(BNTT_TRAIN, 'webgpu', async () => {
        gradCalls = await countKernelCalls(BNTT_TRAIN_GRAD, 'webgpu', async () => {
          y = tf.tidy(() => layer.apply(x, {training: true}) as tf.Tensor);
          dx = tf.grad(loss)(x);
        });
      });
      expect([calls, gradCalls]).toEqual([2, 1]);
      // The layer's gamma starts at ones and it has no beta.
      const ones = new Float32Array(c.rows * shape[shape.length - 1]).fill(1);
      const expected = refForward(data.x, c.shape, ones, new Float32Array(ones.length), EPSILON);
      const expectedDx = refBackward(data.x, data.dy, c.shape, ones, EPSILON).dx;
      expect(relativeMaxError(await y!.data(), expected.y))
        .withContext('y')
        .toBeLessThanOrEqual(TOLERANCE);
      expect(relativeMaxError(await dx!.data(), expectedDx))
        .withContext('dx')
        .toBeLessThanOrEqual(TOLERANCE);
      tf.dispose([x, dy, y!, dx!]);
      for (const weight of layer.weights) weight.dispose();
    });
  }

  it('keep tf.memory().numTensors flat over forward + backward (kernel and layer)', () => {
    expectBnttStepsLeakNoTensors(EPSILON);
  });

  it('refuse an empty x and a dy of another shape, and leak nothing', () => {
    const [gamma, beta] = [tf.ones([2, 3]), tf.zeros([2, 3])];
    const [empty, x, dy] = [tf.zeros([0, 2, 3]), tf.ones([2, 2, 3]), tf.ones([2, 2, 4])];
    const before = tf.memory().numTensors;
    expect(() => tf.engine().runKernel(BNTT_TRAIN, {x: empty, gamma, beta}, {epsilon: EPSILON} as never)).toThrowError(
      /SnnBnttTrain on webgpu: x \[0,2,3\] is empty/
    );
    expect(() =>
      tf.engine().runKernel(BNTT_TRAIN_GRAD, {dy, x, gamma, mean: beta, variance: gamma}, {epsilon: EPSILON} as never)
    ).toThrowError(/SnnBnttTrainGrad: dy \[2,2,4\] must have x's shape \[2,2,3\]/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([gamma, beta, empty, x, dy]);
  });

  it('time a bntt layer forward + input gradient, fused and composite (printed, not asserted)', async () => {
    const lines: string[] = [];
    for (const shape of [
      [32, 4, 28, 28, 32],
      [32, 4, 14, 14, 64],
      [32, 4, 256],
    ]) {
      const layer = layers.bntt();
      layer.build(shape);
      const x = tf.randomUniform(shape, 0, 2);
      const step = async () => {
        const dx = tf.grad((xs: tf.Tensor) => tf.sum(tf.square(layer.apply(xs, {training: true}) as tf.Tensor)))(x);
        await dx.data();
        dx.dispose();
      };
      const time = async () => {
        await step(); // compiles
        const runs = 3;
        const start = performance.now();
        for (let i = 0; i < runs; i++) await step();
        return (performance.now() - start) / runs;
      };
      const fused = await time();
      const composite = await withoutFusedKernel(time);
      lines.push(
        `[${shape}]: fused ${fused.toFixed(1)} ms, composite ${composite.toFixed(1)} ms ` +
          `(${(composite / fused).toFixed(1)}×)`
      );
      x.dispose();
      for (const weight of layer.weights) weight.dispose();
    }
    expect(tf.getKernel(BNTT_TRAIN, 'webgpu')?.kernelFunc).toBe(bnttTrainWebGPUConfig.kernelFunc);
    console.log(`bntt_webgpu_spec: a bntt layer's forward + input gradient on webgpu:\n  ${lines.join('\n  ')}`);
  }, 600000);
});

describe('BNTT network vs the float64 PyTorch reference fixture (webgpu)', () => {
  onWebGPU();

  it('training logits, loss, gradients, moving statistics and inference logits', async () => {
    expect(tf.getBackend()).toBe('webgpu');
    let errors: ConformanceErrors = {};
    let forwardCalls = 0;
    const gradCalls = await countKernelCalls(BNTT_TRAIN_GRAD, 'webgpu', async () => {
      forwardCalls = await countKernelCalls(BNTT_TRAIN, 'webgpu', async () => {
        errors = await checkForwardBackward();
      });
    });
    // The fixture network's three BNTT layers, through webgpu's kernels.
    expect([forwardCalls, gradCalls]).toEqual([3, 3]);
    expect(Object.keys(errors).length).toBe(16);
    expectWithin(errors, FIXTURE_TOLERANCE);
  });

  it('one trainOnBatch step with SGD momentum and weight decay', async () => {
    let calls = 0;
    const gradCalls = await countKernelCalls(BNTT_TRAIN_GRAD, 'webgpu', async () => {
      calls = await countKernelCalls(BNTT_TRAIN, 'webgpu', async () => {
        expectWithin(await checkSgdStep(), FIXTURE_TOLERANCE);
      });
    });
    expect([calls, gradCalls]).toEqual([3, 3]);
  });

  it('the composite LIF path', async () => {
    expectWithin(await checkForwardBackward('composite'), FIXTURE_TOLERANCE);
  });
});
