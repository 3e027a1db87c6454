/**
 * The fused BNTT training kernels (cpu, wasm) against an independent float64
 * loop, and the layer's kernel path against its composite (tf.moments) path.
 */
import '@tensorflow/tfjs-backend-wasm';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {layers} from '../../src/index';
import {registerAll} from '../../kernels/register';
import {bnttTrainCpuConfig} from '../../kernels/cpu/bntt_train';
import {bnttTrainGradCpuConfig} from '../../kernels/cpu/bntt_train_grad';
import {bnttTrainWasmConfig} from '../../kernels/wasm/bntt_train';
import {bnttTrainGradWasmConfig} from '../../kernels/wasm/bntt_train_grad';
import {refBackward as refBackwardWith, refForward as refForwardWith} from '../reference/bntt_reference';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {caseData, KernelCase, NODE_KERNEL_CASES, sizeOf} from '../shared/bntt_kernel_check';
import {expectBnttStepsLeakNoTensors} from '../shared/bntt_memory_check';

const BNTT_TRAIN = 'SnnBnttTrain';
const EPSILON = 1e-3;
/** The fused kernels per backend (training step, its gradient), to check what is registered. */
const FUSED: {[backend: string]: [tf.KernelConfig, tf.KernelConfig]} = {
  cpu: [bnttTrainCpuConfig, bnttTrainGradCpuConfig],
  wasm: [bnttTrainWasmConfig, bnttTrainGradWasmConfig],
};
/** The kernel function registered for a name on a backend; undefined when none is (tf.getKernel's answer). */
const registeredFunc = (name: string, backend: string) => tf.getKernel(name, backend)?.kernelFunc;
/** The float64 reference (test/reference/bntt_reference.ts) at this suite's ε. */
const refForward = (x: ArrayLike<number>, shape: number[], gamma: ArrayLike<number>, beta: ArrayLike<number>) =>
  refForwardWith(x, shape, gamma, beta, EPSILON);
const refBackward = (x: ArrayLike<number>, dy: ArrayLike<number>, shape: number[], gamma: ArrayLike<number>) =>
  refBackwardWith(x, dy, shape, gamma, EPSILON);

// ---- cases -------------------------------------------------------------------------------------------------

const KERNEL_CASES: KernelCase[] = NODE_KERNEL_CASES.flatMap(({shape, rows}) =>
  [true, false].map(affine => ({shape, rows, affine}))
);

function runKernel(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor[] {
  return tf.engine().runKernel(BNTT_TRAIN, {x, gamma, beta}, {epsilon: EPSILON} as never) as tf.Tensor[];
}

const name = (c: KernelCase) => `x [${c.shape}], R = ${c.rows}, ${c.affine ? 'random gamma/beta' : 'ones/zeros'}`;

describe('the float64 BNTT reference', () => {
  it('has the gradient of its forward pass (central differences)', () => {
    const c: KernelCase = {shape: [2, 3, 2, 2], rows: 3, affine: true};
    const {x, dy, gamma, beta} = caseData(c, 5);
    const loss = (xs: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>) =>
      refForward(xs, c.shape, g, b).y.reduce((s, v, i) => s + v * dy[i], 0);
    const numeric = (values: ArrayLike<number>, at: (v: Float64Array) => number) =>
      Array.from(values, (_, i) => {
        const h = 1e-6;
        const [plus, minus] = [Float64Array.from(values), Float64Array.from(values)];
        plus[i] += h;
        minus[i] -= h;
        return (at(plus) - at(minus)) / (2 * h);
      });
    const analytic = refBackward(x, dy, c.shape, gamma);
    expect(
      relativeMaxError(
        analytic.dx,
        numeric(x, v => loss(v, gamma, beta))
      )
    ).toBeLessThan(1e-6);
    expect(
      relativeMaxError(
        analytic.dgamma,
        numeric(gamma, v => loss(x, v, beta))
      )
    ).toBeLessThan(1e-6);
    expect(
      relativeMaxError(
        analytic.dbeta,
        numeric(beta, v => loss(x, gamma, v))
      )
    ).toBeLessThan(1e-6);
  });
});

// ---- the kernels on each backend ---------------------------------------------------------------------------

for (const backend of ['cpu', 'wasm']) {
  describe(`${BNTT_TRAIN} and its gradient on ${backend}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
    });
    afterAll(async () => {
      await tf.setBackend('cpu');
    });

    it('is registered', () => {
      expect(registeredFunc(BNTT_TRAIN, backend)).toBe(FUSED[backend][0].kernelFunc);
      expect(registeredFunc('SnnBnttTrainGrad', backend)).toBe(FUSED[backend][1].kernelFunc);
    });

    KERNEL_CASES.forEach((c, i) => {
      it(`matches the float64 reference: ${name(c)}`, () => {
        const data = caseData(c, 100 + 10 * i);
        const paramShape = [c.rows, c.shape[c.shape.length - 1]];
        const [x, gamma, beta, dy] = [
          tf.tensor(data.x, c.shape),
          tf.tensor(data.gamma, paramShape),
          tf.tensor(data.beta, paramShape),
          tf.tensor(data.dy, c.shape),
        ];
        const [y, mean, variance] = runKernel(x, gamma, beta);
        const grads = tf.grads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(runKernel(xs, g, b)[0], dy))
        )([x, gamma, beta]);
        const expected = refForward(data.x, c.shape, data.gamma, data.beta);
        const expectedGrads = refBackward(data.x, data.dy, c.shape, data.gamma);
        expect(y.shape).toEqual(c.shape);
        expect([mean.shape, variance.shape]).toEqual([paramShape, paramShape]);
        expect(relativeMaxError(y.dataSync(), expected.y)).withContext('y').toBeLessThan(1e-5);
        expect(relativeMaxError(mean.dataSync(), expected.mean)).withContext('mean').toBeLessThan(1e-5);
        expect(relativeMaxError(variance.dataSync(), expected.variance)).withContext('variance').toBeLessThan(1e-5);
        expect(relativeMaxError(grads[0].dataSync(), expectedGrads.dx)).withContext('dx').toBeLessThan(1e-5);
        expect(relativeMaxError(grads[1].dataSync(), expectedGrads.dgamma)).withContext('dgamma').toBeLessThan(1e-5);
        expect(relativeMaxError(grads[2].dataSync(), expectedGrads.dbeta)).withContext('dbeta').toBeLessThan(1e-5);
        tf.dispose([x, gamma, beta, dy, y, mean, variance, ...grads]);
      });
    });

    it('is accurate for a large offset (two-pass variance, float64 sums)', () => {
      const shape = [64, 2, 16, 4];
      const values = randomArray(sizeOf(shape), 7).map(v => 1000 + v);
      const [x, gamma, beta] = [tf.tensor(values, shape), tf.ones([2, 4]), tf.zeros([2, 4])];
      const [y, mean, variance] = runKernel(x, gamma, beta);
      const expected = refForward(values, shape, gamma.dataSync(), beta.dataSync());
      expect(relativeMaxError(variance.dataSync(), expected.variance)).toBeLessThan(1e-5);
      expect(relativeMaxError(y.dataSync(), expected.y)).toBeLessThan(1e-4); // x − μ loses float32 digits of x
      tf.dispose([x, gamma, beta, y, mean, variance]);
    });

    it('is right for a large input (on wasm, allocating the outputs grows the heap under the input views)', () => {
      const shape = [8, 4, 128, 128, 8]; // 2²² values, 16 MiB
      const values = randomArray(sizeOf(shape), 11);
      const [x, gamma, beta] = [tf.tensor(values, shape), tf.ones([4, 8]), tf.zeros([4, 8])];
      const [y, mean, variance] = runKernel(x, gamma, beta);
      const expected = refForward(values, shape, gamma.dataSync(), beta.dataSync());
      expect(relativeMaxError(y.dataSync(), expected.y)).toBeLessThan(1e-5);
      expect(relativeMaxError(variance.dataSync(), expected.variance)).toBeLessThan(1e-5);
      tf.dispose([x, gamma, beta, y, mean, variance]);
    });

    it('refuses parameters that are neither [T, C] nor [1, C]', () => {
      const [x, gamma] = [tf.zeros([2, 3, 4]), tf.ones([2, 4])];
      expect(() => runKernel(x, gamma, gamma)).toThrowError(
        /SnnBnttTrain: expects x .* got x \[2,3,4\] and parameters \[2,4\]/
      );
      tf.dispose([x, gamma]);
    });

    it('keeps tf.memory().numTensors flat over forward+backward (kernel and layer)', () => {
      expectBnttStepsLeakNoTensors(EPSILON);
    });
  });
}

// ---- the layer: kernel path against the composite path, cpu against wasm ------------------------------------

interface LayerCase {
  name: string;
  make: () => tfl.layers.Layer;
  buildShape: number[];
  inputShape: number[];
}

const LAYER_CASES: LayerCase[] = [
  {
    name: 'bntt, rank 5',
    make: () => layers.bntt({momentum: 0.8, epsilon: EPSILON}),
    buildShape: [3, 4, 2, 3, 2],
    inputShape: [3, 4, 2, 3, 2],
  },
  {
    name: 'bntt center, no scale, rank 3',
    make: () => layers.bntt({center: true, scale: false}),
    buildShape: [4, 5, 6],
    inputShape: [4, 5, 6],
  },
  {
    name: 'bntt center, fewer steps than T, rank 4',
    make: () => layers.bntt({center: true, timeSteps: 4}),
    buildShape: [2, 4, 3, 5],
    inputShape: [2, 3, 3, 5],
  },
  {
    name: 'spikingBatchNorm center, rank 5',
    make: () => layers.spikingBatchNorm({center: true}),
    buildShape: [2, 3, 4, 4, 3],
    inputShape: [2, 3, 4, 4, 3],
  },
  {
    name: 'spikingBatchNorm, rank 3',
    make: () => layers.spikingBatchNorm(),
    buildShape: [1, 6, 4],
    inputShape: [1, 6, 4],
  },
];

/** Layer.dispose() refuses layers built by hand, so free their variables directly. */
function disposeWeights(layer: tfl.layers.Layer): void {
  for (const weight of layer.weights) weight.dispose();
}

interface TrainStep {
  y: Float32Array;
  grads: Float32Array[]; // x, then the trainable weights
  weights: Float32Array[]; // every weight after the step (moving statistics updated)
}

/** One training forward + backward of L = Σ dy·y from fixed weights, on the current backend. */
function trainStep(c: LayerCase, seed: number): TrainStep {
  const layer = c.make();
  layer.build(c.buildShape);
  const initial = layer.weights.map((w, i) => {
    const [shape, positive] = [w.shape as number[], w.name.includes('moving_variance')];
    return tf.tensor(randomArray(sizeOf(shape), seed + i, positive ? 0.5 : -1, positive ? 2 : 1), shape);
  });
  layer.setWeights(initial);
  tf.dispose(initial);
  const x = tf.tidy(() =>
    tf.variable(
      tf.tensor(
        randomArray(sizeOf(c.inputShape), seed + 20).map(v => 3 * v + 1),
        c.inputShape
      )
    )
  );
  const dy = tf.tensor(randomArray(sizeOf(c.inputShape), seed + 21), c.inputShape);
  const variables = [x, ...layer.trainableWeights.map(w => w.read() as tf.Variable)];
  let y: tf.Tensor | undefined;
  const {value, grads} = tf.variableGrads(() => {
    y = tf.keep(layer.apply(x, {training: true}) as tf.Tensor);
    return tf.sum(tf.mul(y, dy));
  }, variables);
  const step = {
    y: y!.dataSync() as Float32Array,
    grads: variables.map(v => grads[v.name].dataSync() as Float32Array),
    weights: layer.getWeights().map(w => w.dataSync() as Float32Array),
  };
  tf.dispose([x, dy, y!, value, ...Object.values(grads)]);
  disposeWeights(layer);
  return step;
}

/** The step with the fused kernel unregistered from the current backend (the path webgl and tfjs-node take). */
function compositeTrainStep(c: LayerCase, seed: number): TrainStep {
  const backend = tf.getBackend();
  tf.unregisterKernel(BNTT_TRAIN, backend);
  try {
    return trainStep(c, seed);
  } finally {
    registerAll();
  }
}

function expectSameStep(actual: TrainStep, expected: TrainStep, what: string): void {
  expect(relativeMaxError(actual.y, expected.y)).withContext(`${what}: y`).toBeLessThan(1e-5);
  expect(actual.grads.length).toBe(expected.grads.length);
  actual.grads.forEach((g, i) =>
    expect(relativeMaxError(g, expected.grads[i])).withContext(`${what}: gradient ${i}`).toBeLessThan(1e-5)
  );
  actual.weights.forEach((w, i) =>
    expect(relativeMaxError(w, expected.weights[i])).withContext(`${what}: weight ${i}`).toBeLessThan(1e-5)
  );
}

describe('bntt layers in training: fused kernel path', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  LAYER_CASES.forEach((c, i) => {
    it(`equals the composite path and cpu equals wasm: ${c.name}`, async () => {
      const seed = 300 + 50 * i;
      const steps: {[path: string]: TrainStep} = {};
      for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        steps[`${backend} kernel`] = trainStep(c, seed);
        steps[`${backend} composite`] = compositeTrainStep(c, seed);
        expect(registeredFunc(BNTT_TRAIN, backend))
          .withContext('fused kernel restored after the composite step')
          .toBe(FUSED[backend][0].kernelFunc);
      }
      expectSameStep(steps['cpu kernel'], steps['cpu composite'], 'cpu kernel vs composite');
      expectSameStep(steps['wasm kernel'], steps['wasm composite'], 'wasm kernel vs composite');
      expectSameStep(steps['wasm kernel'], steps['cpu kernel'], 'wasm vs cpu');
    });
  });

  it('keeps the layer errors: a single value per step and channel', async () => {
    await tf.setBackend('cpu');
    const [x, layer] = [tf.zeros([1, 3, 4]), layers.bntt({name: 'one'})];
    expect(() => layer.apply(x, {training: true})).toThrowError(
      /SnnBntt 'one': training needs more than one value per step and channel/
    );
    x.dispose();
    disposeWeights(layer);
  });
});
