// Gradients a backward kernel may write over (kernels/writable_gradients.ts): BNTT's backward on wasm writes dx over
// the dy a LIF layer's gradient made for it. The gradients are the same to the bit as with a new buffer, it happens
// only where nothing else reads dy (no second consumer of BNTT's output, no recording backpropagation, the same
// tape), the kernel's dx over dy matches its dx into a new buffer in both walks and in the loops, and nothing leaks.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD} from '../../kernels/bntt_attrs';
import {setBnttBlockWalkChannels} from '../../kernels/wasm/simd/bntt_program';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import {setWritableGradientsEnabled} from '../../kernels/writable_gradients';
import * as snn from '../../src/index';
import {caseData, KERNEL_EPSILON, KernelCase} from '../shared/bntt_kernel_check';
import {kernelCalls, kernelCallsAsync} from './kernel_calls';

/** Whether each BNTT backward kernel call `run` makes was told it may write over dy. */
const bnttGradCalls = (run: () => void): boolean[] =>
  kernelCalls([BNTT_TRAIN_GRAD], run).map(call => call.attrs.dyWritable === true);

/** bnttGradCalls for an async run (model.trainOnBatch). */
const bnttGradCallsAsync = async (run: () => Promise<void>): Promise<boolean[]> =>
  (await kernelCallsAsync([BNTT_TRAIN_GRAD], run)).map(call => call.attrs.dyWritable === true);

/** With the marks on and off: the values `run` returns (all read), and the BNTT backward calls' dyWritable. */
function bothWays(run: () => tf.Tensor[]): {on: Float32Array[]; off: Float32Array[]; writable: boolean[]} {
  const values = (on: boolean) => {
    const previous = setWritableGradientsEnabled(on);
    try {
      let result: Float32Array[] = [];
      const writable = bnttGradCalls(() => {
        const tensors = run();
        result = tensors.map(t => t.dataSync() as Float32Array);
        tf.dispose(tensors);
      });
      return {result, writable};
    } finally {
      setWritableGradientsEnabled(previous);
    }
  };
  const off = values(false);
  expect(off.writable.every(w => !w))
    .withContext('marks off')
    .toBe(true);
  const on = values(true);
  return {on: on.result, off: off.result, writable: on.writable};
}

const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

function expectSameBits(actual: Float32Array[], expected: Float32Array[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((values, i) => expect(bits(values)).withContext(`result ${i}`).toEqual(bits(expected[i])));
}

describe('writable gradients: BNTT backward over the dy of a LIF gradient (wasm)', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const T = 4;
  const bnttLayer = () => snn.layers.bntt({timeSteps: T, name: 'bn'});
  /** x [3, T, 5, 3, 8]: BNTT, then LIF; the gradients of x and BNTT's weights. */
  function chainGrads(
    layer: tfl.layers.Layer,
    extra?: (y: tf.Tensor) => tf.Tensor,
    lifOptions: snn.ops.LifOptions = {}
  ): () => tf.Tensor[] {
    const x = tf.randomNormal([3, T, 5, 3, 8], 0.3, 1, 'float32', 7);
    layer.apply(x, {training: true});
    return () => {
      const {value, grads} = tf.variableGrads(() => {
        const y = layer.apply(x, {training: true}) as tf.Tensor;
        const spikes = snn.ops.lif(y, {leak: 0.9, threshold: 0.5, ...lifOptions});
        const loss = tf.sum(tf.mul(spikes, tf.linspace(0.1, 1, 8)));
        return (extra != null ? tf.add(loss, tf.sum(extra(y))) : loss) as tf.Scalar;
      });
      return [
        value,
        ...Object.keys(grads)
          .sort()
          .map(name => grads[name]),
      ];
    };
  }

  it('writes dx over dy where a LIF gradient made dy: the gradients are the same to the bit', () => {
    const layer = bnttLayer();
    const run = chainGrads(layer);
    const {on, off, writable} = bothWays(run);
    expect(writable).toEqual([true]);
    expectSameBits(on, off);
    layer.dispose();
  });

  it('does not where BNTT output has a second consumer (the engine adds the two gradients into a new tensor)', () => {
    const layer = bnttLayer();
    const {on, off, writable} = bothWays(chainGrads(layer, y => tf.mul(y, y)));
    expect(writable).toEqual([false]);
    expectSameBits(on, off);
    layer.dispose();
  });

  it('does not where the LIF gradient is the composite of core ops (a custom surrogate), whose dCurrents promises nothing', () => {
    const layer = bnttLayer();
    const surrogate = (u: tf.Tensor, th: number | tf.Tensor) => tf.relu(tf.sub(1, tf.abs(tf.sub(u, th))));
    const {on, off, writable} = bothWays(chainGrads(layer, undefined, {surrogate}));
    expect(writable).toEqual([false]);
    expectSameBits(on, off);
    layer.dispose();
  });

  it('does not while backpropagation is recorded (a gradient inside a gradient: the outer tape may keep dy)', () => {
    const layer = bnttLayer();
    const inner = chainGrads(layer);
    const w = tf.variable(tf.scalar(2));
    let innerValues: Float32Array[] = [];
    const writable = bnttGradCalls(() => {
      const {grads} = tf.variableGrads(() => {
        // The inner gradients are taken while the outer tape records; their values do not lead to the outer loss.
        const tensors = inner();
        innerValues = tensors.map(t => t.dataSync() as Float32Array);
        tf.dispose(tensors);
        return tf.mul(w, w) as tf.Scalar;
      }, [w]);
      tf.dispose(grads);
    });
    expect(writable).toEqual([false]);
    const {off} = bothWays(inner);
    expectSameBits(innerValues, off);
    w.dispose();
    layer.dispose();
  });

  it('gives the same training to the bit in snn.models.small (every BNTT layer writes over dy), and leaks no tensor', async () => {
    const train = async (on: boolean) => {
      const previous = setWritableGradientsEnabled(on);
      try {
        const model = snn.models.small({inputShape: [12, 12, 1], numClasses: 3, timeSteps: 3, seed: 5});
        model.compile({optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy'});
        const x = tf.randomUniform([4, 12, 12, 1], -1, 1, 'float32', 3);
        const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
        const losses: number[] = [];
        let writable: boolean[] = [];
        let tensors = 0;
        for (let step = 0; step < 3; step++) {
          // From the third step: the optimizer has made its state.
          if (step === 2) tensors = tf.memory().numTensors;
          let result: number | number[] = 0;
          writable = await bnttGradCallsAsync(async () => {
            result = await model.trainOnBatch(x, y);
          });
          losses.push(Array.isArray(result) ? result[0] : result);
        }
        expect(tf.memory().numTensors).withContext('after a step').toBe(tensors);
        const weights = model.getWeights().map(w => w.dataSync() as Float32Array);
        tf.dispose([x, y]);
        model.dispose();
        return {losses, weights, writable};
      } finally {
        setWritableGradientsEnabled(previous);
      }
    };
    const off = await train(false);
    const on = await train(true);
    expect(off.writable).toEqual([false, false, false]);
    expect(on.writable).toEqual([true, true, true]);
    expect(on.losses).toEqual(off.losses);
    expectSameBits(on.weights, off.weights);
  });
});

describe('the wasm BNTT backward kernel with dyWritable', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    setBnttBlockWalkChannels(null);
    await tf.setBackend('cpu');
  });

  const CASES: KernelCase[] = [
    {shape: [3, 4, 5, 3, 8], rows: 4},
    {shape: [2, 4, 15, 20], rows: 4},
    {shape: [2, 3, 6, 33], rows: 1},
    {shape: [6, 4, 47], rows: 4},
  ];
  const attrs = {epsilon: KERNEL_EPSILON};

  /** dx, dgamma, dbeta into new buffers, then over a copy of dy; checks dx shares the copy's data. */
  function bothOutputs(c: KernelCase, seed: number): {fresh: Float32Array[]; over: Float32Array[]} {
    const data = caseData(c, seed);
    const C = c.shape[c.shape.length - 1];
    const [x, dy] = [tf.tensor(data.x, c.shape), tf.tensor(data.dy, c.shape)];
    const [gamma, beta] = [tf.tensor(data.gamma, [c.rows, C]), tf.tensor(data.beta, [c.rows, C])];
    const [y, mean, variance] = tf.engine().runKernel(BNTT_TRAIN, {x, gamma, beta}, attrs as never) as tf.Tensor[];
    const grad = (dyIn: tf.Tensor, dyWritable: boolean) =>
      tf.engine().runKernel(BNTT_TRAIN_GRAD, {dy: dyIn, x, gamma, mean, variance}, {
        ...attrs,
        dyWritable,
      } as never) as tf.Tensor[];
    const freshTensors = grad(dy, false);
    const fresh = freshTensors.map(t => t.dataSync() as Float32Array);
    const copy = tf.mul(dy, 1);
    const overTensors = grad(copy, true);
    const over = overTensors.map(t => t.dataSync() as Float32Array);
    // dx lies in dy's buffer: dy now reads as dx.
    expect(bits(copy.dataSync() as Float32Array))
      .withContext('dy holds dx')
      .toEqual(bits(over[0]));
    tf.dispose([x, dy, gamma, beta, y, mean, variance, copy, ...freshTensors, ...overTensors]);
    return {fresh, over};
  }

  for (const [name, channels, simd] of [
    ['default walks', null, true],
    ['linear', 0, true],
    ['in blocks', Infinity, true],
    ['loops', null, false],
  ] as const) {
    it(`gives dx over dy as into a new buffer, to the bit (${name})`, () => {
      const previousWalk = setBnttBlockWalkChannels(channels);
      const previousSimd = runtime.setSimdKernelsEnabled(simd);
      try {
        CASES.forEach((c, i) => {
          const {fresh, over} = bothOutputs(c, 40 + i);
          expectSameBits(over, fresh);
        });
      } finally {
        setBnttBlockWalkChannels(previousWalk);
        runtime.setSimdKernelsEnabled(previousSimd);
      }
    });
  }

  it('walks dx over dy in blocks up to 32 channels, linear past', () => {
    const spy = spyOn(runtime, 'simdFunction').and.callThrough();
    bothOutputs(CASES[1], 3);
    bothOutputs(CASES[2], 4);
    const dxKeys = spy.calls
      .allArgs()
      .map(args => String(args[1]))
      .filter(key => key.startsWith('bntt|dx'));
    // C 20: into a new buffer (linear), over dy (blocks); C 33: both linear.
    expect(dxKeys).toEqual(['bntt|dx|linear', 'bntt|dx|blocks', 'bntt|dx|linear', 'bntt|dx|linear']);
  });

  it('leaves no tensors and no heap data behind, and refuses a dy not shaped as x', () => {
    const wasm = tf.backend() as unknown as {numDataIds(): number};
    const counts = () => ({tensors: tf.memory().numTensors, heapData: wasm.numDataIds()});
    bothOutputs(CASES[0], 1);
    const before = counts();
    bothOutputs(CASES[0], 2);
    expect(counts()).toEqual(before);
    const c = CASES[0];
    const x = tf.zeros(c.shape);
    const [gamma, mean, variance] = [tf.ones([4, 8]), tf.zeros([4, 8]), tf.ones([4, 8])];
    const dy = tf.zeros([3, 4, 5, 3, 7]);
    expect(() =>
      tf.engine().runKernel(BNTT_TRAIN_GRAD, {dy, x, gamma, mean, variance}, {...attrs, dyWritable: true} as never)
    ).toThrowError(/dy \[3,4,5,3,7\] must have x's shape \[3,4,5,3,8\]/);
    tf.dispose([x, gamma, mean, variance, dy]);
    expect(counts()).toEqual(before);
  });
});
