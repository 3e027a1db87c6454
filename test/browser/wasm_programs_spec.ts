/**
 * tfjs-backend-wasm in Chromium: tfjs-snn's WebAssembly SIMD programs on its heap in a page, where Node's specs
 * cannot reach (the module compiled on the page's main thread, the heap of the browser build, cwrap into
 * XNNPACK). The LIF programs in their unrolled chunks, the BNTT training kernels, Winograd F(4×4, 3×3) for the three
 * convolution kernels, a dense layer's products and the convolution over a sparse input's non-zeros, each against
 * float64 references.
 *
 * tfjs-backend-wasm is imported when this suite starts and removed when it ends, so the other suites keep the
 * backends they expect; its .wasm files are served by karma from node_modules.
 */
import * as tf from '@tensorflow/tfjs-core';

import {registerAll} from '../../kernels/register';
import {productsMatMulCalls} from '../../kernels/wasm/batch_mat_mul';
import {sparseConvCalls} from '../../kernels/wasm/conv2d';
import {setSparseFilterGradDensity} from '../../kernels/wasm/conv2d_backprop_filter';
import {lifForwardFunctions, lifGradFunctions} from '../../kernels/wasm/simd/lif_program';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import {encodeModule} from '../../kernels/wasm/simd/wasm_emit';
import {winogradCalls} from '../../kernels/wasm/winograd';
import {ops} from '../../src/index';
import {lifCases, MODEL_LIF_ATTRS} from '../reference/lif_cases';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {referenceMatMul} from '../reference/mat_mul_reference';
import {
  caseName,
  dyShapeOf,
  GradCase,
  referenceConv,
  referenceFilterGrad,
  referenceInputGrad,
  sizeOf,
} from '../shared/conv_reference';
import {
  caseData,
  KernelCase,
  NODE_KERNEL_CASES,
  OUTPUT_NAMES,
  referenceOutputs,
  runKernels,
} from '../shared/bntt_kernel_check';
import {checkLifCase, expectMatchesReference} from '../shared/lif_check';
import {filterGradKernel, sparseInput} from '../shared/sparse_inputs';

const WASM_FILES = '/base/node_modules/@tensorflow/tfjs-backend-wasm/dist/';
/** What the Node specs hold Winograd and the sparse path to against float64 (wasm_winograd_spec, …). */
const WINOGRAD_TOLERANCE = 1e-5;
const SPARSE_TOLERANCE = 1e-6;
const BNTT_TOLERANCE = 1e-5;

describe('tfjs-backend-wasm in Chromium: tfjs-snn SIMD programs on its heap', () => {
  let previousBackend = '';

  beforeAll(async () => {
    previousBackend = tf.getBackend();
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(WASM_FILES);
    expect(await tf.setBackend('wasm')).toBe(true);
    // The wasm backend came after the package: the kernels that replace its own (Conv2D, Conv2DBackpropInput,
    // BatchMatMul) are registered now, as building a synaptic layer would.
    registerAll();
  });

  afterAll(async () => {
    if (previousBackend) await tf.setBackend(previousBackend);
    tf.removeBackend('wasm');
  });

  it('runs the SIMD build of tfjs-backend-wasm and tfjs-snn programs', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(runtime.simdKernelsAvailable()).toBe(true);
  });

  it("compiles the unrolled LIF programs (over 4 KB) synchronously on the page's main thread", () => {
    const attrs = MODEL_LIF_ATTRS;
    for (const builds of [lifForwardFunctions(attrs, 25), lifGradFunctions(attrs, 25)]) {
      const [chunked] = builds;
      const bytes = encodeModule([chunked], false);
      expect(bytes.length).toBeGreaterThan(runtime.SYNC_COMPILE_BYTES);
      expect(() => new WebAssembly.Module(bytes)).not.toThrow();
    }
  });

  describe('the LIF kernels against the float64 reference', () => {
    // Every third case: each reset, surrogate and T (1, 2, 25: two chunks, 64: three to five) still occurs.
    for (const c of lifCases().filter((_, i) => i % 3 === 0)) {
      it(c.name, async () => {
        expect(tf.getBackend()).toBe('wasm');
        expectMatchesReference(await checkLifCase(c, 'kernel'));
      });
    }
  });

  describe('the BNTT training kernels against the float64 reference', () => {
    // Spatial and dense layouts, channel counts that fill vectors and leave lanes over, R = T and R = 1.
    const cases: KernelCase[] = [
      ...NODE_KERNEL_CASES,
      {shape: [3, 4, 5, 3, 20], rows: 4},
      {shape: [6, 4, 33], rows: 1},
    ];
    cases.forEach((c, index) => {
      it(`x [${c.shape}], R = ${c.rows}`, async () => {
        const data = caseData(c, 60 + index);
        const actual = await runKernels(c, data);
        const expected = referenceOutputs(c, data);
        OUTPUT_NAMES.forEach((name, i) => {
          expect(relativeMaxError(actual[i], expected[i])).withContext(name).toBeLessThan(BNTT_TOLERANCE);
        });
      });
    });
  });

  describe('Winograd F(4×4, 3×3) against float64', () => {
    const cases: GradCase[] = [
      {xShape: [2, 9, 11, 16], kernel: [3, 3], outChannels: 20, strides: 1, pad: 'same'},
      {xShape: [1, 14, 14, 32], kernel: [3, 3], outChannels: 16, strides: 1, pad: 'valid'},
    ];
    beforeAll(() => setSparseFilterGradDensity(0));
    afterAll(() => setSparseFilterGradDensity(null));
    cases.forEach((c, index) => {
      it(caseName(c), async () => {
        // Dense inputs (normal values): above every sparse limit, so Winograd takes all three kernels.
        const x = randomArray(sizeOf(c.xShape), 30 + index, -1, 1);
        const w = randomArray(9 * c.xShape[3] * c.outChannels, 40 + index, -0.5, 0.5);
        const dy = randomArray(sizeOf(dyShapeOf(c)), 50 + index, -1, 1);
        const [xs, ws, dys] = [
          tf.tensor4d(x, c.xShape),
          tf.tensor4d(w, [3, 3, c.xShape[3], c.outChannels]),
          tf.tensor4d(dy, dyShapeOf(c)),
        ];
        const before = winogradCalls();
        const y = tf.conv2d(xs, ws, 1, c.pad as 'same' | 'valid');
        const dx = tf.conv2dTranspose(dys, ws, c.xShape, 1, c.pad as 'same' | 'valid');
        const dwv = filterGradKernel(c, x, dy);
        const [yv, dxv] = await Promise.all([y.data(), dx.data()]);
        expect(winogradCalls() - before).toBe(3);
        expect(relativeMaxError(yv, referenceConv(c, x, w))).toBeLessThanOrEqual(WINOGRAD_TOLERANCE);
        expect(relativeMaxError(dxv, referenceInputGrad(c, dy, w))).toBeLessThanOrEqual(WINOGRAD_TOLERANCE);
        expect(relativeMaxError(dwv, referenceFilterGrad(c, x, dy))).toBeLessThanOrEqual(WINOGRAD_TOLERANCE);
        tf.dispose([xs, ws, dys, y, dx]);
      });
    });
  });

  it("runs a dense layer's three products (x·W, xᵀ·dy, dy·Wᵀ) in the products program, as float64 does", async () => {
    const [n, k, m] = [8, 300, 268];
    const [x, w, dy] = [randomArray(n * k, 60, -1, 1), randomArray(k * m, 61, -1, 1), randomArray(n * m, 62, -1, 1)];
    const reference =
      (aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean) =>
      ({a, b}: {a: Float32Array; b: Float32Array}) =>
        referenceMatMul({aShape, bShape, transposeA, transposeB}, a, b).values;
    const [xs, ws, dys] = [tf.tensor2d(x, [n, k]), tf.tensor2d(w, [k, m]), tf.tensor2d(dy, [n, m])];
    const before = productsMatMulCalls();
    const outputs = [tf.matMul(xs, ws), tf.matMul(xs, dys, true, false), tf.matMul(dys, ws, false, true)];
    const [y, dw, dx] = await Promise.all(outputs.map(t => t.data()));
    expect(productsMatMulCalls() - before).toBe(3);
    const expected = [
      reference([n, k], [k, m], false, false)({a: x, b: w}),
      reference([n, k], [n, m], true, false)({a: x, b: dy}),
      reference([n, m], [k, m], false, true)({a: dy, b: w}),
    ];
    [y, dw, dx].forEach((values, i) => expect(relativeMaxError(values, expected[i])).toBeLessThanOrEqual(1e-5));
    tf.dispose([xs, ws, dys, ...outputs]);
  });

  it('convolves a sparse spike input over its non-zeros, as float64 does', async () => {
    const c: GradCase = {xShape: [2, 12, 10, 8], kernel: [3, 3], outChannels: 12, strides: 1, pad: 'same'};
    const x = sparseInput(sizeOf(c.xShape), 0.1, 7);
    const w = randomArray(9 * 8 * 12, 8, -0.5, 0.5);
    const [xs, ws] = [tf.tensor4d(x, c.xShape), tf.tensor4d(w, [3, 3, 8, 12])];
    const before = sparseConvCalls();
    const y = tf.conv2d(xs, ws, 1, 'same');
    const values = await y.data();
    expect(sparseConvCalls() - before).toBe(1);
    expect(relativeMaxError(values, referenceConv(c, x, w))).toBeLessThanOrEqual(SPARSE_TOLERANCE);
    tf.dispose([xs, ws, y]);
  });

  it('keeps numTensors flat across the programs', async () => {
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([2, 6, 48], 0, 1, 'float32', 9);
    const dx = tf.grad(v => tf.sum(ops.lif(v, {leak: 0.9})))(x);
    await dx.data();
    tf.dispose([x, dx]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
