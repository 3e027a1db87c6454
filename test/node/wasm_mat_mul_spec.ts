import '@tensorflow/tfjs-backend-wasm';
import '../../src/index'; // replaces wasm's BatchMatMul

import * as tf from '@tensorflow/tfjs-core';

import {registerAll} from '../../kernels/register';
import {productsMatMulCalls} from '../../kernels/wasm/batch_mat_mul';
import {replacedKernel} from '../../kernels/replace_kernel';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {MatMulCase, referenceMatMul} from '../reference/mat_mul_reference';

function cases(): MatMulCase[] {
  const shapes: Array<[number[], number[]]> = [
    [
      [5, 7],
      [7, 3],
    ],
    [
      [1, 9],
      [9, 1],
    ],
    [
      [2, 4, 6],
      [2, 6, 5],
    ],
    [
      [3, 4, 6],
      [1, 6, 5],
    ],
    [
      [64, 300],
      [300, 40],
    ],
    // b larger than a: a·bᵀ runs as (b·aᵀ)ᵀ (a dense layer's input gradient).
    [
      [4, 300],
      [300, 90],
    ],
    [
      [1, 3, 6],
      [1, 6, 40],
    ],
    // tfjs-snn's products program: depth and columns over its blocks of 256, the last columns one vector wide.
    [
      [9, 600],
      [600, 516],
    ],
    // aᵀ of 1024 columns (rows 4 KiB apart): a transposed copy, then a·b.
    [
      [1024, 6],
      [6, 12],
    ],
  ];
  const all: MatMulCase[] = [];
  for (const [aPlain, bPlain] of shapes) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const swapLast = (s: number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
        all.push({
          aShape: transposeA ? swapLast(aPlain) : aPlain,
          bShape: transposeB ? swapLast(bPlain) : bPlain,
          transposeA,
          transposeB,
        });
      }
    }
  }
  return all;
}

async function matMulOn(backend: string, c: MatMulCase, a: Float32Array, b: Float32Array) {
  await tf.setBackend(backend);
  const [at, bt] = [tf.tensor(a, c.aShape), tf.tensor(b, c.bShape)];
  const out = tf.matMul(at, bt, c.transposeA, c.transposeB);
  const result = {values: (await out.data()) as Float32Array, shape: out.shape};
  tf.dispose([at, bt, out]);
  return result;
}

describe('BatchMatMul on wasm (the products program, transposed copies, XNNPACK)', () => {
  // Other specs may have imported tfjs-snn before tfjs-backend-wasm: replace its kernels as a layer build would.
  beforeAll(() => registerAll());

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  cases().forEach((c, index) => {
    const name = `a [${c.aShape}]${c.transposeA ? 'ᵀ' : ''} · b [${c.bShape}]${c.transposeB ? 'ᵀ' : ''}`;
    it(`equals cpu and float64: ${name}`, async () => {
      const a = randomArray(
        c.aShape.reduce((x, y) => x * y),
        500 + index
      );
      const b = randomArray(
        c.bShape.reduce((x, y) => x * y),
        600 + index
      );
      const expected = referenceMatMul(c, a, b);
      const onWasm = await matMulOn('wasm', c, a, b);
      const onCpu = await matMulOn('cpu', c, a, b);
      expect(onWasm.shape).toEqual(expected.shape);
      expect(relativeMaxError(onWasm.values, expected.values)).toBeLessThanOrEqual(1e-5);
      expect(relativeMaxError(onWasm.values, onCpu.values)).toBeLessThanOrEqual(1e-5);
    });
  });

  it('copies only the transposed operands the products program cannot read, and keeps numTensors flat', async () => {
    await tf.setBackend('wasm');
    const [a, b] = [tf.ones([4, 4]), tf.ones([4, 4])];
    const run = async (x: tf.Tensor, y: tf.Tensor, ta: boolean, tb: boolean) => {
      const before = productsMatMulCalls();
      const transposes = (await tf.profile(() => tf.matMul(x, y, ta, tb))).kernels.filter(k => k.name === 'Transpose');
      return {transposes: transposes.length, products: productsMatMulCalls() - before};
    };
    expect(await run(a, b, false, false)).toEqual({transposes: 0, products: 1});
    // aᵀ·b in the program's 'sums' form, no copy; with a's rows 4 KiB apart, a copy and a·b.
    expect(await run(a, b, true, false)).toEqual({transposes: 0, products: 1});
    const wide = tf.ones([4, 1024]);
    expect(await run(wide, b, true, false)).toEqual({transposes: 1, products: 1});
    wide.dispose();
    expect(await run(a, b, true, true)).toEqual({transposes: 2, products: 1});
    // Columns not a multiple of 4: wasm's own kernel.
    const narrow = tf.ones([4, 3]);
    expect(await run(a, narrow, false, false)).toEqual({transposes: 0, products: 0});
    narrow.dispose();
    // a·bᵀ with b the larger: (b·aᵀ)ᵀ transposes a and the product, never b.
    const large = tf.ones([16, 4]);
    const transposed = (await tf.profile(() => tf.matMul(a, large, false, true))).kernels.filter(
      k => k.name === 'Transpose'
    );
    expect(transposed.map(k => k.inputShapes[0])).toEqual([
      [4, 4],
      [16, 4],
    ]);
    large.dispose();
    const before = tf.memory().numTensors;
    tf.dispose(tf.matMul(a, b, true, true));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });

  it("replaces wasm's own kernel once", () => {
    const ours = tf.getKernel('BatchMatMul', 'wasm')!;
    expect(replacedKernel(ours)).not.toBeNull();
    registerAll();
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(ours);
  });
});
