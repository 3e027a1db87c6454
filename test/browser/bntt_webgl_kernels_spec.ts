/**
 * The WebGL BNTT training kernels (kernels/webgl/bntt_train*.ts) against the cpu kernels on
 * the same inputs, directly and through the layers' gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../../kernels/bntt_attrs';
import {registerAll} from '../../kernels/register';
import {bnttTrainWebGLConfig} from '../../kernels/webgl/bntt_train';
import {bnttTrainGradWebGLConfig} from '../../kernels/webgl/bntt_train_grad';
import {bnttView, chunkPlan} from '../../kernels/webgl/bntt_train_gpu';
import {layers} from '../../src/index';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {caseData, KERNEL_EPSILON, KernelCase, OUTPUT_NAMES, runKernels, sizeOf} from '../shared/bntt_kernel_check';
import {expectBnttStepsLeakNoTensors} from '../shared/bntt_memory_check';
import {countKernelCalls, useWebGL} from './setup';

const EPSILON = KERNEL_EPSILON;
/** float32 rounding: max |webgl − cpu| over max |cpu| (the cpu kernel sums in float64). */
const TOLERANCE = 1e-5;

const CASES: KernelCase[] = [
  {shape: [2, 3, 5], rows: 3}, // rank 3, R = T: the row is the packed column
  {shape: [3, 5, 7], rows: 1},
  {shape: [1, 3, 4], rows: 3}, // N = 1: variance 0
  {shape: [32, 4, 256], rows: 4}, // the small model's dense BNTT at batch 32: 32 values, one chunk
  {shape: [3, 5, 7, 3], rows: 5},
  {shape: [4, 2, 7, 3], rows: 1},
  {shape: [2, 3, 5, 7, 3], rows: 3},
  {shape: [2, 3, 5, 7, 3], rows: 1},
  {shape: [3, 1, 2, 2, 5], rows: 1}, // T = 1
  {shape: [2, 2, 3, 2, 5, 3], rows: 2}, // rank 6
];

/** Many chunks: the small model's BNTTs at batch 32 (T 4), and odd sizes. */
const LARGE_CASES: KernelCase[] = [
  {shape: [32, 4, 28, 28, 32], rows: 4},
  {shape: [17, 3, 9, 13, 5], rows: 1},
  {shape: [15, 3, 11, 9, 7], rows: 3},
  {shape: [1001, 3, 5], rows: 3},
  {shape: [999, 3, 5], rows: 1},
];

const chunksOf = (c: KernelCase) => chunkPlan(bnttView(c.shape, c.rows)).chunks;
const caseName = (c: KernelCase) => `x [${c.shape}], R = ${c.rows} (${chunksOf(c)} chunk(s))`;

async function onBackend<T>(backend: string, body: () => Promise<T>): Promise<T> {
  expect(await tf.setBackend(backend)).toBe(true);
  return body();
}

async function expectKernelsMatchCpu(c: KernelCase, seed: number): Promise<void> {
  const data = caseData(c, seed);
  const expected = await onBackend('cpu', () => runKernels(c, data));
  let actual: Float32Array[] = [];
  const calls = await onBackend('webgl', () =>
    countKernelCalls(BNTT_TRAIN, 'webgl', async () => {
      actual = await runKernels(c, data);
    })
  );
  expect(calls).toBe(1);
  OUTPUT_NAMES.forEach((name, i) => {
    expect(relativeMaxError(actual[i], expected[i])).withContext(name).toBeLessThanOrEqual(TOLERANCE);
  });
}

function kernelSpecs(seedBase: number): void {
  CASES.forEach((c, i) => {
    it(`match the cpu kernels: ${caseName(c)}`, async () => {
      await expectKernelsMatchCpu(c, seedBase + 10 * i);
    });
  });
}

/** One training forward + backward of L = Σ dy·y through a layer from fixed weights: [y, dL/dx, dL/dweights…]. */
async function layerStep(make: () => tfl.layers.Layer, shape: number[], seed: number): Promise<Float32Array[]> {
  const layer = make();
  layer.build(shape);
  const initial = layer.weights.map((w, i) =>
    tf.tensor(randomArray(sizeOf(w.shape as number[]), seed + i, 0.5, 1.5), w.shape as number[])
  );
  layer.setWeights(initial);
  const x = tf.tensor(
    randomArray(sizeOf(shape), seed + 10).map(v => 2 * v + 0.5),
    shape
  );
  const dy = tf.tensor(randomArray(sizeOf(shape), seed + 11), shape);
  const trainables = layer.trainableWeights.map(w => w.read() as tf.Variable);
  const loss = (xs: tf.Tensor) => tf.sum(tf.mul(layer.apply(xs, {training: true}) as tf.Tensor, dy)) as tf.Scalar;
  const y = tf.tidy(() => layer.apply(x, {training: true}) as tf.Tensor);
  const dx = tf.grad(loss)(x);
  const {value, grads} = tf.variableGrads(() => loss(x), trainables);
  const results = await Promise.all(
    [y, dx, ...trainables.map(v => grads[v.name])].map(t => t.data() as Promise<Float32Array>)
  );
  tf.dispose([...initial, x, dy, y, dx, value, ...Object.values(grads)]);
  for (const weight of layer.weights) weight.dispose();
  return results;
}

const LAYER_CASES: Array<{name: string; make: () => tfl.layers.Layer; shape: number[]}> = [
  {name: 'bntt center, rank 5', make: () => layers.bntt({center: true, epsilon: EPSILON}), shape: [3, 4, 5, 7, 3]},
  {name: 'bntt, rank 3', make: () => layers.bntt({epsilon: EPSILON}), shape: [5, 4, 6]},
  {
    name: 'spikingBatchNorm center, rank 5',
    make: () => layers.spikingBatchNorm({center: true}),
    shape: [3, 2, 5, 7, 3],
  },
  {name: 'spikingBatchNorm, rank 3', make: () => layers.spikingBatchNorm(), shape: [7, 3, 5]},
];

for (const pack of [true, false]) {
  describe(`the BNTT training kernels on webgl (WEBGL_PACK=${pack})`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
      registerAll();
    });

    it('are registered', () => {
      // tf.getKernel answers undefined (not null) when none is registered: compare the kernel functions.
      expect(tf.getKernel(BNTT_TRAIN, 'webgl')?.kernelFunc).toBe(bnttTrainWebGLConfig.kernelFunc);
      expect(tf.getKernel(BNTT_TRAIN_GRAD, 'webgl')?.kernelFunc).toBe(bnttTrainGradWebGLConfig.kernelFunc);
    });

    kernelSpecs(100);

    if (pack) {
      LARGE_CASES.forEach((c, i) => {
        it(`match the cpu kernels: ${caseName(c)}`, async () => {
          expect(chunksOf(c)).toBeGreaterThan(1);
          await expectKernelsMatchCpu(c, 500 + 10 * i);
        });
      });
    }

    LAYER_CASES.forEach(({name, make, shape}, i) => {
      it(`give the layer's gradients the cpu kernels give: ${name}`, async () => {
        const expected = await onBackend('cpu', () => layerStep(make, shape, 700 + 20 * i));
        let actual: Float32Array[] = [];
        const gradCalls = await onBackend('webgl', () =>
          countKernelCalls(BNTT_TRAIN_GRAD, 'webgl', async () => {
            actual = await layerStep(make, shape, 700 + 20 * i);
          })
        );
        expect(gradCalls).toBe(2); // tf.grad, then tf.variableGrads
        expect(actual.length).toBe(expected.length);
        actual.forEach((values, k) => {
          expect(relativeMaxError(values, expected[k])).withContext(`output ${k}`).toBeLessThanOrEqual(TOLERANCE);
        });
      });
    });

    it('keep tf.memory().numTensors flat over forward + backward (kernel and layer)', () => {
      expectBnttStepsLeakNoTensors(EPSILON);
    });

    it('refuse an empty x and a dy of another shape', () => {
      const [gamma, beta] = [tf.ones([2, 3]), tf.zeros([2, 3])];
      const empty = tf.zeros([0, 2, 3]);
      expect(() =>
        tf.engine().runKernel(BNTT_TRAIN, {x: empty, gamma, beta}, {epsilon: EPSILON} as never)
      ).toThrowError(/SnnBnttTrain on webgl: x \[0,2,3\] is empty/);
      const [x, dy] = [tf.ones([2, 2, 3]), tf.ones([2, 2, 4])];
      expect(() =>
        tf.engine().runKernel(BNTT_TRAIN_GRAD, {dy, x, gamma, mean: beta, variance: gamma}, {epsilon: EPSILON} as never)
      ).toThrowError(/SnnBnttTrainGrad: dy \[2,2,4\] must have x's shape \[2,2,3\]/);
      tf.dispose([gamma, beta, empty, x, dy]);
    });
  });
}

/** tfjs-backend-webgl's flags evaluated for one WebGL version (float textures, downloads, limits). */
const VERSION_DEPENDENT_FLAGS = [
  'WEBGL_BUFFER_SUPPORTED',
  'WEBGL_MAX_TEXTURE_SIZE',
  'WEBGL_MAX_TEXTURES_IN_SHADER',
  'WEBGL_DISJOINT_QUERY_TIMER_EXTENSION_VERSION',
  'WEBGL_DISJOINT_QUERY_TIMER_EXTENSION_RELIABLE',
  'WEBGL_RENDER_FLOAT32_CAPABLE',
  'WEBGL_RENDER_FLOAT32_ENABLED',
  'WEBGL_DOWNLOAD_FLOAT_ENABLED',
  'WEBGL_FENCE_API_ENABLED',
  'WEBGL_SIZE_UPLOAD_UNIFORM',
];

/** A fresh webgl backend on a context of the given version, its flags evaluated anew. */
async function useWebGLVersion(version: number): Promise<void> {
  tf.env().set('WEBGL_VERSION', version);
  const flags = tf.env().getFlags(); // the environment's own cache of evaluated flags
  for (const flag of VERSION_DEPENDENT_FLAGS) delete flags[flag];
  await useWebGL({WEBGL_PACK: true});
}

describe('the BNTT training kernels on a WebGL 1 context (loop bounds fixed at compile time)', () => {
  beforeAll(async () => {
    await useWebGLVersion(1);
    registerAll();
  });
  afterAll(async () => {
    await useWebGLVersion(2);
  });

  it('runs on WebGL 1', () => {
    expect(tf.env().getNumber('WEBGL_VERSION')).toBe(1);
    const gl = (tf.backend() as unknown as {gpgpu: {gl: WebGLRenderingContext}}).gpgpu.gl;
    expect(gl instanceof WebGL2RenderingContext).toBe(false);
  });

  kernelSpecs(300);

  it(`match the cpu kernels with many chunks: ${caseName(LARGE_CASES[3])}`, async () => {
    await expectKernelsMatchCpu(LARGE_CASES[3], 900);
  });
});
