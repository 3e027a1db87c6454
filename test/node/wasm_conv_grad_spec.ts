import '@tensorflow/tfjs-backend-wasm';
import '../../src/index'; // registers the wasm Conv2DBackpropFilter

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {registerAll} from '../../kernels/register';
import {replacedKernel} from '../../kernels/replace_kernel';
import {setFilterGradChunkBytes, setSparseFilterGradDensity} from '../../kernels/wasm/conv2d_backprop_filter';
import {layers as snnLayers} from '../../src/index';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {
  caseName,
  dyShapeOf,
  GradCase,
  Pad,
  referenceFilterGrad,
  referenceInputGrad,
  Shape4,
} from '../shared/conv_reference';

const KERNELS: Array<[number, number]> = [
  [1, 1],
  [3, 3],
  [5, 5],
  [3, 1],
];
const STRIDES: Array<number | [number, number]> = [1, 2, [2, 1]];
const PADS: Pad[] = [
  'same',
  'valid',
  1,
  2,
  [
    [0, 0],
    [1, 2],
    [0, 1],
    [0, 0],
  ],
];
const CHANNELS: Array<[number, number]> = [
  [1, 3],
  [3, 1],
  [3, 16],
  [16, 3],
  [1, 1],
  [16, 16],
  [3, 3],
];

/** Every kernel × stride × padding, batch and sizes and channels rotating through the rest. */
function gradCases(): GradCase[] {
  const cases: GradCase[] = [];
  for (const kernel of KERNELS) {
    for (const strides of STRIDES) {
      for (const pad of PADS) {
        const i = cases.length;
        const [inChannels, outChannels] = CHANNELS[i % CHANNELS.length];
        const [h, w] = i % 3 === 0 ? [8, 8] : [7, 9];
        cases.push({xShape: [i % 2 === 0 ? 1 : 5, h, w, inChannels], kernel, outChannels, strides, pad});
      }
    }
  }
  return cases;
}

/** The random x and dy of case number `index`. */
function caseData(c: GradCase, index: number): {x: Float32Array; dy: Float32Array} {
  return {
    x: randomArray(
      c.xShape.reduce((a, b) => a * b),
      100 + index
    ),
    dy: randomArray(
      dyShapeOf(c).reduce((a, b) => a * b),
      200 + index
    ),
  };
}

async function filterGradOn(backend: string, c: GradCase, x: Float32Array, dy: Float32Array): Promise<Float32Array> {
  await tf.setBackend(backend);
  const xt = tf.tensor4d(x, c.xShape);
  const dyt = tf.tensor4d(dy, dyShapeOf(c));
  const filterShape: Shape4 = [...c.kernel, c.xShape[3], c.outChannels];
  const attrs = {strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape};
  const dW = tf.engine().runKernel('Conv2DBackpropFilter', {x: xt, dy: dyt}, attrs as unknown as tf.NamedAttrMap);
  const values = (await (dW as tf.Tensor).data()) as Float32Array;
  tf.dispose([xt, dyt, dW as tf.Tensor]);
  return values;
}

/** wasm's result equals the float64 reference and the cpu backend's to 1e-5 of the largest value. */
function expectWasmMatches(onWasm: Float32Array, onCpu: Float32Array, expected: Float64Array): void {
  expect(onWasm.length).toBe(expected.length);
  expect(relativeMaxError(onWasm, expected)).toBeLessThanOrEqual(1e-5);
  expect(relativeMaxError(onWasm, onCpu)).toBeLessThanOrEqual(1e-5);
}

async function values(t: tf.Tensor): Promise<Float32Array> {
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

describe('Conv2DBackpropFilter on wasm (XNNPACK conv)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is registered for wasm, once', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    const warn = spyOn(console, 'warn');
    registerAll();
    expect(warn).not.toHaveBeenCalled();
  });

  it('leaves a Conv2DBackpropFilter that already exists for wasm in place', () => {
    const ours = tf.getKernel('Conv2DBackpropFilter', 'wasm')!;
    const builtIn: tf.KernelConfig = {...ours, kernelFunc: ours.kernelFunc.bind(null)};
    tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
    tf.registerKernel(builtIn);
    registerAll();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')!.kernelFunc).toBe(builtIn.kernelFunc);
    tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
    tf.registerKernel(ours);
  });

  const cases = gradCases();
  cases.forEach((c, index) => {
    it(`dW equals cpu and float64: ${caseName(c)}`, async () => {
      const {x, dy} = caseData(c, index);
      const expected = referenceFilterGrad(c, x, dy);
      expectWasmMatches(await filterGradOn('wasm', c, x, dy), await filterGradOn('cpu', c, x, dy), expected);
    });
  });

  describe('with the batch cut into chunks (setFilterGradChunkBytes)', () => {
    afterEach(() => {
      setFilterGradChunkBytes(null);
      setSparseFilterGradDensity(null);
    });

    // Batch-5 cases: chunks of one image, of two (5 = 2 + 2 + 1: a short last chunk) and of three.
    const batched = cases.map((c, index) => ({c, index})).filter(({c}) => c.xShape[0] > 1);
    for (const images of [1, 2, 3]) {
      batched.forEach(({c, index}) => {
        it(`dW equals float64 in chunks of ${images} image(s): ${caseName(c)}`, async () => {
          const {x, dy} = caseData(c, index);
          const dyImageBytes = (dy.length / c.xShape[0]) * 4;
          setFilterGradChunkBytes(images * dyImageBytes + dyImageBytes - 1);
          const expected = referenceFilterGrad(c, x, dy);
          expectWasmMatches(await filterGradOn('wasm', c, x, dy), await filterGradOn('cpu', c, x, dy), expected);
        });
      });
    }

    it("allocates one chunk's transposed dy, not dy's, and leaves no heap data behind", async () => {
      await tf.setBackend('wasm');
      // The convolution path: x's 2 channels would take the program over non-zeros (wasm_sparse_filter_grad_spec).
      setSparseFilterGradDensity(0);
      const c: GradCase = {xShape: [16, 12, 12, 2], kernel: [3, 3], outChannels: 8, strides: 1, pad: 'same'};
      const x = tf.tensor4d(randomArray(16 * 12 * 12 * 2, 31), c.xShape);
      const dy = tf.tensor4d(randomArray(16 * 12 * 12 * 8, 32), [16, 12, 12, 8]);
      const dyImageBytes = 12 * 12 * 8 * 4;
      const attrs = {strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 8]};
      const run = () => tf.engine().runKernel('Conv2DBackpropFilter', {x, dy}, attrs as unknown as tf.NamedAttrMap);
      const backend = tf.backend() as unknown as {
        wasm: {_malloc(n: number): number};
        dataIdMap: {numDataIds(): number};
      };
      const largest = (chunk: number | null): number => {
        setFilterGradChunkBytes(chunk);
        const malloc = backend.wasm._malloc;
        let most = 0;
        backend.wasm._malloc = (n: number) => {
          most = Math.max(most, n);
          return malloc(n);
        };
        try {
          tf.dispose(run() as tf.Tensor);
        } finally {
          backend.wasm._malloc = malloc;
        }
        return most;
      };
      const entries = () => backend.dataIdMap.numDataIds();
      const before = entries();
      expect(largest(4 * dyImageBytes)).toBe(4 * dyImageBytes);
      expect(largest(null)).toBe(16 * dyImageBytes);
      expect(entries()).toBe(before);
      tf.dispose([x, dy]);
    });

    it('names a bad chunk size', () => {
      expect(() => setFilterGradChunkBytes(0)).toThrowError(/bytes must be a positive integer or null; got 0/);
      expect(() => setFilterGradChunkBytes(1.5)).toThrowError(/got 1\.5/);
    });
  });

  it('gives zeros when no window reads x (all in the padding)', async () => {
    const pad: Pad = [
      [0, 0],
      [1, 0],
      [1, 0],
      [0, 0],
    ];
    const c: GradCase = {xShape: [2, 1, 1, 2], kernel: [1, 1], outChannels: 3, strides: 3, pad};
    const x = randomArray(4, 7);
    const dy = randomArray(
      dyShapeOf(c).reduce((a, b) => a * b),
      8
    );
    expect(Array.from(await filterGradOn('wasm', c, x, dy))).toEqual(Array.from(await filterGradOn('cpu', c, x, dy)));
  });

  const GRAD_CONFIGS: Array<{strides: number | [number, number]; pad: Pad; kernel: [number, number]}> = [
    {strides: 1, pad: 'same', kernel: [3, 3]},
    {strides: 2, pad: 'valid', kernel: [5, 5]},
    {
      strides: [2, 1],
      pad: [
        [0, 0],
        [2, 1],
        [0, 2],
        [0, 0],
      ],
      kernel: [3, 1],
    },
  ];
  for (const g of GRAD_CONFIGS) {
    const name = `${g.kernel.join('×')}, strides ${JSON.stringify(g.strides)}, pad ${JSON.stringify(g.pad)}`;
    it(`tf.grad of tf.conv2d gives dx and dW equal to cpu: ${name}`, async () => {
      const xData = randomArray(3 * 9 * 7 * 4, 11);
      const wData = randomArray(g.kernel[0] * g.kernel[1] * 4 * 5, 12);
      const gradsOn = async (backend: string) => {
        await tf.setBackend(backend);
        const x = tf.tensor4d(xData, [3, 9, 7, 4]);
        const w = tf.tensor4d(wData, [...g.kernel, 4, 5]);
        const y = tf.conv2d(x, w, g.strides, g.pad);
        const r = tf.tensor(randomArray(y.size, 13), y.shape);
        const [dx, dW] = tf.grads((xs: tf.Tensor, ws: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, g.strides, g.pad), r))
        )([x, w]);
        tf.dispose([x, w, y, r]);
        return {dx: await values(dx), dW: await values(dW)};
      };
      const onWasm = await gradsOn('wasm');
      const onCpu = await gradsOn('cpu');
      expect(relativeMaxError(onWasm.dx, onCpu.dx)).toBeLessThanOrEqual(1e-5);
      expect(relativeMaxError(onWasm.dW, onCpu.dW)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('keeps tf.memory().numTensors flat over forward+backward', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomUniform([4, 10, 10, 3]);
    const w = tf.randomUniform([3, 3, 3, 8]);
    const step = () =>
      tf.dispose(
        tf.grads((xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 2, 'valid')))(
          [x, w]
        )
      );
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });

  it('model.fit of a conv model changes the weights on wasm as on cpu', async () => {
    const xData = randomArray(6 * 8 * 8 * 2, 21);
    const yData = randomArray(6 * 3, 22);
    const initial = initialWeights();
    const changeOn = async (backend: string) => {
      await tf.setBackend(backend);
      const model = tinyConvModel();
      model.setWeights(initial.map(([data, shape]) => tf.tensor(data, shape)));
      const x = tf.tensor4d(xData, [6, 8, 8, 2]);
      const y = tf.tensor2d(yData, [6, 3]);
      await model.fit(x, y, {epochs: 2, batchSize: 6, shuffle: false, verbose: 0});
      const after = await Promise.all(model.getWeights().map(t => t.data()));
      tf.dispose([x, y]);
      model.dispose();
      return after.map((a, i) => Float32Array.from(a, (v, k) => v - initial[i][0][k]));
    };
    const onWasm = await changeOn('wasm');
    const onCpu = await changeOn('cpu');
    expect(onWasm.length).toBe(4);
    for (let i = 0; i < onCpu.length; i++) {
      expect(onCpu[i].some(v => v !== 0)).toBeTrue();
      const maxDiff = onCpu[i].reduce((m, v, k) => Math.max(m, Math.abs(v - onWasm[i][k])), 0);
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
    }
  });
});

function tinyConvModel(): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 2],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.flatten(),
      tfl.layers.dense({units: 3}),
    ],
  });
  model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
  return model;
}

/** [values, shape] of the conv kernel, conv bias, dense kernel and dense bias. */
function initialWeights(): Array<[Float32Array, number[]]> {
  const shapes = [[3, 3, 2, 4], [4], [64, 3], [3]];
  return shapes.map((shape, i) => [
    randomArray(
      shape.reduce((a, b) => a * b),
      30 + i,
      -0.3,
      0.3
    ),
    shape,
  ]);
}

async function inputGradOn(
  backend: string,
  c: GradCase,
  dy: Float32Array,
  filter: Float32Array
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const dyt = tf.tensor4d(dy, dyShapeOf(c));
  const filterShape: Shape4 = [...c.kernel, c.xShape[3], c.outChannels];
  const ft = tf.tensor4d(filter, filterShape);
  const attrs = {strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.xShape};
  const dx = tf.engine().runKernel('Conv2DBackpropInput', {dy: dyt, filter: ft}, attrs as unknown as tf.NamedAttrMap);
  const result = (await (dx as tf.Tensor).data()) as Float32Array;
  tf.dispose([dyt, ft, dx as tf.Tensor]);
  return result;
}

/** The kernel names one Conv2DBackpropInput call runs on wasm. */
async function kernelsOfInputGrad(c: GradCase): Promise<string[]> {
  await tf.setBackend('wasm');
  const info = await tf.profile(() =>
    tf.tidy(() =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          {dy: tf.zeros(dyShapeOf(c)), filter: tf.zeros([...c.kernel, c.xShape[3], c.outChannels])},
          {strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.xShape} as unknown as tf.NamedAttrMap
        )
    )
  );
  return info.kernelNames;
}

describe("Conv2DBackpropInput on wasm (XNNPACK conv for stride 1, wasm's own otherwise)", () => {
  // Other specs may have imported tfjs-snn before tfjs-backend-wasm: replace its kernels as a layer build would.
  beforeAll(() => registerAll());

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const cases = gradCases();
  cases.forEach((c, index) => {
    it(`dx equals cpu and float64: ${caseName(c)}`, async () => {
      const dy = randomArray(
        dyShapeOf(c).reduce((a, b) => a * b),
        300 + index
      );
      const filter = randomArray(c.kernel[0] * c.kernel[1] * c.xShape[3] * c.outChannels, 400 + index);
      const expected = referenceInputGrad(c, dy, filter);
      expectWasmMatches(await inputGradOn('wasm', c, dy, filter), await inputGradOn('cpu', c, dy, filter), expected);
    });
  });

  it("runs stride 1 as a conv and hands strides 2 and over-wide paddings to wasm's own kernel", async () => {
    const base: GradCase = {xShape: [2, 6, 6, 3], kernel: [3, 3], outChannels: 4, strides: 1, pad: 'same'};
    expect(await kernelsOfInputGrad(base)).toContain('Conv2D');
    expect(await kernelsOfInputGrad({...base, strides: 2})).not.toContain('Conv2D');
    expect(await kernelsOfInputGrad({...base, pad: 3})).not.toContain('Conv2D');
  });

  it("replaces wasm's own kernel once, also when wasm registers after this package", () => {
    const ours = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
    expect(replacedKernel(ours)).not.toBeNull();
    registerAll();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(ours);
    // As if tfjs-backend-wasm were imported after tfjs-snn: its own kernel is registered again.
    const builtIn = replacedKernel(ours)!;
    expect(builtIn.setupFunc).toBeDefined();
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel(builtIn);
    snnLayers.spikingConv2d({filters: 2, kernelSize: 3}).apply(tfl.input({shape: [2, 6, 6, 1]}));
    const now = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
    expect(replacedKernel(now)).toBe(builtIn);
    expect(now.setupFunc).toBe(builtIn.setupFunc);
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel(ours);
  });
});
