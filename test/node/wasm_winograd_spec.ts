import '@tensorflow/tfjs-backend-wasm';
import '../../src/index'; // replaces wasm's Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter

import * as tf from '@tensorflow/tfjs-core';

import {registerAll} from '../../kernels/register';
import {setSparseConvDensity, sparseConvCalls} from '../../kernels/wasm/conv2d';
import {setSparseFilterGradDensity, sparseFilterGradCalls} from '../../kernels/wasm/conv2d_backprop_filter';
import {planeProducts} from '../../kernels/wasm/simd/plane_products_program';
import {SYNC_COMPILE_BYTES} from '../../kernels/wasm/simd/simd_runtime';
import {encodeModule} from '../../kernels/wasm/simd/wasm_emit';
import {planeBytes, WINOGRAD_FUNCTIONS} from '../../kernels/wasm/simd/winograd_program';
import {
  setWinogradChunkTiles,
  setWinogradEnabled,
  winogradCalls,
  WINOGRAD_DENSITY,
  winogradOfConv,
  winogradOfInputGrad,
} from '../../kernels/wasm/winograd';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {
  caseName,
  dyShapeOf,
  GradCase,
  referenceConv,
  referenceFilterGrad,
  referenceInputGrad,
  Shape4,
  sizeOf,
} from '../shared/conv_reference';

/**
 * 3×3 stride-1 convolutions Winograd takes: partial tiles (sides not multiples of 4), 'same', 'valid', numeric and
 * asymmetric explicit paddings, a 1×1 image, channel counts of 16 and over that are multiples of 4 but not of 16.
 */
const CASES: GradCase[] = [
  {xShape: [2, 8, 8, 16], kernel: [3, 3], outChannels: 16, strides: 1, pad: 'same'},
  {xShape: [1, 7, 9, 16], kernel: [3, 3], outChannels: 20, strides: 1, pad: 'same'},
  {xShape: [3, 6, 5, 24], kernel: [3, 3], outChannels: 16, strides: 1, pad: 'valid'},
  {xShape: [2, 5, 6, 20], kernel: [3, 3], outChannels: 28, strides: 1, pad: 2},
  {
    xShape: [2, 9, 7, 16],
    kernel: [3, 3],
    outChannels: 16,
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {xShape: [3, 1, 1, 16], kernel: [3, 3], outChannels: 32, strides: 1, pad: 'same'},
  {xShape: [5, 12, 10, 32], kernel: [3, 3], outChannels: 48, strides: 1, pad: 'same'},
];

/** Winograd's rounding (transforms of up to 8 terms of mixed sign) against float64, relative to the largest value. */
const TOLERANCE = 1e-5;

function filterShapeOf(c: GradCase): Shape4 {
  return [...c.kernel, c.xShape[3], c.outChannels];
}

function attrsOf(c: GradCase, extra: object): tf.NamedAttrMap {
  return {strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1, ...extra} as unknown as tf.NamedAttrMap;
}

/** Runs `kernel` on wasm with the case's tensors; returns its values and how many Winograd calls it made. */
async function run(
  kernel: string,
  inputs: Record<string, {values: Float32Array; shape: Shape4}>,
  attrs: tf.NamedAttrMap
): Promise<{values: Float32Array; winograd: number}> {
  const tensors = Object.fromEntries(
    Object.entries(inputs).map(([name, {values, shape}]) => [name, tf.tensor4d(values, shape)])
  );
  const before = winogradCalls();
  const out = tf.engine().runKernel(kernel, tensors, attrs) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  tf.dispose([out, ...Object.values(tensors)]);
  return {values, winograd: winogradCalls() - before};
}

interface Data {
  x: Float32Array;
  w: Float32Array;
  dy: Float32Array;
}

function dataOf(c: GradCase, index: number): Data {
  return {
    x: randomArray(sizeOf(c.xShape), 500 + index),
    w: randomArray(sizeOf(filterShapeOf(c)), 600 + index),
    dy: randomArray(sizeOf(dyShapeOf(c)), 700 + index),
  };
}

const conv = (c: GradCase, d: Data) =>
  run('Conv2D', {x: {values: d.x, shape: c.xShape}, filter: {values: d.w, shape: filterShapeOf(c)}}, attrsOf(c, {}));
const inputGrad = (c: GradCase, d: Data) =>
  run(
    'Conv2DBackpropInput',
    {dy: {values: d.dy, shape: dyShapeOf(c)}, filter: {values: d.w, shape: filterShapeOf(c)}},
    attrsOf(c, {inputShape: c.xShape})
  );
const filterGrad = (c: GradCase, d: Data) =>
  run(
    'Conv2DBackpropFilter',
    {x: {values: d.x, shape: c.xShape}, dy: {values: d.dy, shape: dyShapeOf(c)}},
    attrsOf(c, {filterShape: filterShapeOf(c)})
  );

/** The wasm backend's count of data ids (tensors, and the views the kernels register and release). */
const dataIds = () => tf.engine().backend.numDataIds();

describe('Winograd F(4×4, 3×3) convolutions on wasm', () => {
  beforeAll(async () => {
    registerAll();
    await tf.setBackend('wasm');
    // Dense random inputs: the sparse paths would decline them anyway; off, so that no limit decides.
    setSparseConvDensity(0);
    setSparseFilterGradDensity(0);
  });

  afterAll(async () => {
    setSparseConvDensity(null);
    setSparseFilterGradDensity(null);
    setWinogradChunkTiles(null);
    await tf.setBackend('cpu');
  });

  afterEach(() => setWinogradChunkTiles(null));

  it('encodes every program under the size Chrome compiles synchronously', () => {
    const functions = [
      WINOGRAD_FUNCTIONS.filterTransform(false),
      WINOGRAD_FUNCTIONS.filterTransform(true),
      WINOGRAD_FUNCTIONS.inputTransform(),
      WINOGRAD_FUNCTIONS.outputTransform(),
      WINOGRAD_FUNCTIONS.gradientTransform(),
      WINOGRAD_FUNCTIONS.filterGradTransform(),
      planeProducts('rows'),
      planeProducts('sums'),
    ];
    for (const f of functions) expect(encodeModule([f], false).length).toBeLessThan(SYNC_COMPILE_BYTES);
  });

  it('pads planes to an odd number of cache lines', () => {
    for (const bytes of [4, 64, 4096, 65536, 1000, 36 * 256 * 4]) {
      const plane = planeBytes(bytes);
      expect(plane).toBeGreaterThanOrEqual(bytes);
      expect(plane % 64).toBe(0);
      expect((plane / 64) % 2).toBe(1);
    }
  });

  // Each case whole and in chunks of 3 tiles (a short last chunk where the tiles are not a multiple of 3).
  for (const chunk of [null, 3]) {
    const how = chunk == null ? 'whole' : 'in chunks of 3 tiles';
    CASES.forEach((c, index) => {
      it(`Conv2D equals float64 (${how}): ${caseName(c)}`, async () => {
        setWinogradChunkTiles(chunk);
        const d = dataOf(c, index);
        const {values, winograd} = await conv(c, d);
        expect(winograd).toBe(1);
        expect(relativeMaxError(values, referenceConv(c, d.x, d.w))).toBeLessThanOrEqual(TOLERANCE);
      });

      it(`Conv2DBackpropInput equals float64 (${how}): ${caseName(c)}`, async () => {
        setWinogradChunkTiles(chunk);
        const d = dataOf(c, index);
        const {values, winograd} = await inputGrad(c, d);
        expect(winograd).toBe(1);
        expect(relativeMaxError(values, referenceInputGrad(c, d.dy, d.w))).toBeLessThanOrEqual(TOLERANCE);
      });

      it(`Conv2DBackpropFilter equals float64 (${how}): ${caseName(c)}`, async () => {
        setWinogradChunkTiles(chunk);
        const d = dataOf(c, index);
        const {values, winograd} = await filterGrad(c, d);
        expect(winograd).toBe(1);
        expect(relativeMaxError(values, referenceFilterGrad(c, d.x, d.dy))).toBeLessThanOrEqual(TOLERANCE);
      });
    });
  }

  it('leaves no tensor and no heap data id behind', async () => {
    const c = CASES[1];
    const d = dataOf(c, 1);
    setWinogradChunkTiles(2);
    const [tensors, ids] = [tf.memory().numTensors, dataIds()];
    await conv(c, d);
    await inputGrad(c, d);
    await filterGrad(c, d);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(dataIds()).toBe(ids);
  });

  it('takes only 3×3, stride-1, undilated convolutions of at least 16 channels, multiples of 4', () => {
    const info = (
      xShape: Shape4,
      filter: Shape4,
      strides = 1,
      pad: 'same' | 'valid' | number = 'same',
      dilations = 1
    ) => tf.backend_util.computeConv2DInfo(xShape, filter, strides, dilations, pad);
    expect(winogradOfConv(info([1, 8, 8, 16], [3, 3, 16, 16]))).not.toBeNull();
    expect(winogradOfConv(info([1, 8, 8, 16], [3, 3, 16, 16], 2))).toBeNull();
    expect(winogradOfConv(info([1, 8, 8, 16], [3, 3, 16, 16], 1, 'same', 2))).toBeNull();
    expect(winogradOfConv(info([1, 8, 8, 16], [5, 5, 16, 16]))).toBeNull();
    expect(winogradOfConv(info([1, 8, 8, 12], [3, 3, 12, 16]))).toBeNull();
    expect(winogradOfConv(info([1, 8, 8, 16], [3, 3, 16, 18]))).toBeNull();
    // The input gradient reads dy from −(2 − top): a padding of 3 would need a negative one.
    expect(winogradOfInputGrad(info([1, 8, 8, 16], [3, 3, 16, 16], 1, 2))).not.toBeNull();
    expect(winogradOfInputGrad(info([1, 8, 8, 16], [3, 3, 16, 16], 1, 3))).toBeNull();
  });

  it('hands the rest to the kernels it would otherwise run (XNNPACK), also when turned off', async () => {
    const c: GradCase = {xShape: [2, 6, 6, 12], kernel: [3, 3], outChannels: 16, strides: 1, pad: 'same'};
    const d = dataOf(c, 9);
    const narrow = await conv(c, d);
    expect(narrow.winograd).toBe(0);
    expect(relativeMaxError(narrow.values, referenceConv(c, d.x, d.w))).toBeLessThanOrEqual(1e-6);
    const wide: GradCase = {...c, xShape: [2, 6, 6, 16]};
    const dw = dataOf(wide, 10);
    const previous = setWinogradEnabled(false);
    try {
      for (const result of [await conv(wide, dw), await inputGrad(wide, dw), await filterGrad(wide, dw)]) {
        expect(result.winograd).toBe(0);
      }
      expect(relativeMaxError((await conv(wide, dw)).values, referenceConv(wide, dw.x, dw.w))).toBeLessThanOrEqual(
        1e-6
      );
    } finally {
      setWinogradEnabled(previous);
    }
  });
});

describe('the sparse paths against Winograd on one thread', () => {
  beforeAll(async () => {
    registerAll();
    await tf.setBackend('wasm');
    setSparseConvDensity(null);
    setSparseFilterGradDensity(null);
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  /** Spikes: 1 at about `share` of the positions (a fixed pseudo-random pattern), else 0. */
  const spikes = (shape: Shape4, share: number, seed: number) =>
    randomArray(sizeOf(shape), seed, 0, 1).map(v => (v < share ? 1 : 0));

  async function paths(kernel: 'Conv2D' | 'Conv2DBackpropFilter', c: GradCase, share: number) {
    const x = spikes(c.xShape, share, 800);
    const d = {x, w: randomArray(sizeOf(filterShapeOf(c)), 801), dy: randomArray(sizeOf(dyShapeOf(c)), 802)};
    const before = {sparse: sparseConvCalls() + sparseFilterGradCalls()};
    const {values, winograd} = await (kernel === 'Conv2D' ? conv(c, d) : filterGrad(c, d));
    const expected = kernel === 'Conv2D' ? referenceConv(c, d.x, d.w) : referenceFilterGrad(c, d.x, d.dy);
    expect(relativeMaxError(values, expected)).toBeLessThanOrEqual(TOLERANCE);
    return {winograd, sparse: sparseConvCalls() + sparseFilterGradCalls() - before.sparse};
  }

  it('gives the convolution to Winograd above 13 % spikes, to the program over non-zeros below', async () => {
    const c: GradCase = {xShape: [4, 8, 8, 32], kernel: [3, 3], outChannels: 32, strides: 1, pad: 'same'};
    expect(WINOGRAD_DENSITY.conv).toEqual({binary: 0.13, valued: 0.11});
    expect(await paths('Conv2D', c, 0.08)).toEqual({winograd: 0, sparse: 1});
    expect(await paths('Conv2D', c, 0.25)).toEqual({winograd: 1, sparse: 0});
  });

  it('gives the filter gradient to Winograd above 9 % spikes, whatever its output channels', async () => {
    expect(WINOGRAD_DENSITY.filterGrad).toEqual({binary: 0.09, valued: 0.09});
    const narrow: GradCase = {xShape: [4, 8, 8, 32], kernel: [3, 3], outChannels: 64, strides: 1, pad: 'same'};
    const wide: GradCase = {...narrow, outChannels: 256};
    for (const c of [narrow, wide]) {
      expect(await paths('Conv2DBackpropFilter', c, 0.05)).toEqual({winograd: 0, sparse: 1});
      expect(await paths('Conv2DBackpropFilter', c, 0.2)).toEqual({winograd: 1, sparse: 0});
    }
  });
});
