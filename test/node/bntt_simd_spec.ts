import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD, bnttDims} from '../../kernels/bntt_attrs';
import {BNTT_PASSES, bnttPassFunction, bnttWorkDoubles} from '../../kernels/wasm/simd/bntt_program';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import {encodeModule} from '../../kernels/wasm/simd/wasm_emit';
import {relativeMaxError} from '../reference/lif_reference';
import {checkForwardBackward, checkSgdStep, FIXTURE_TOLERANCE} from '../shared/bntt_conformance';
import {
  caseData,
  KERNEL_EPSILON,
  KernelCase,
  NODE_KERNEL_CASES,
  OUTPUT_NAMES,
  referenceOutputs,
  runKernels,
} from '../shared/bntt_kernel_check';

// The cpu and wasm BNTT training kernels run WebAssembly SIMD programs (kernels/wasm/simd/bntt_program.ts) where
// the engine has SIMD, else the loops of kernels/bntt_loops.ts. bntt_kernels_spec and bntt_conformance_spec check
// the SIMD path (what runs by default); this spec checks that the programs run, that they give the loops' outputs
// bit for bit at every channel grouping (16, 4 and single lanes), the loops themselves, the cpu backend's chunks
// for an x larger than its scratch memory, and that the wasm backend's heap keeps no data behind.

/**
 * Channel counts that take each grouping: lanes only (1, 3), one vector (4), vector + lane (5), 16 + 4 + 4 + 4
 * + 3 lanes (15 and 47: 12 to 15 channels past a full 16-group), 16, 16 + 4, 16 + 16 + 1, 16 + 16 + 4 + 3.
 */
const CHANNELS = [1, 3, 4, 5, 15, 16, 20, 33, 39, 47];
const T = 4;
/** Per C: spatial (inner 15) and dense (inner 1) layouts, each with R = T and R = 1. */
const SIMD_CASES: KernelCase[] = CHANNELS.flatMap(C =>
  [
    [3, T, 5, 3, C],
    [6, T, C],
  ].flatMap(shape => [T, 1].map(rows => ({shape, rows})))
);

const passKeys = BNTT_PASSES.map(pass => `bntt|${pass}`);
const caseName = (c: KernelCase) => `x [${c.shape}], R = ${c.rows}`;

/** The kernels' six outputs on the current backend, with the SIMD programs turned on or off. */
async function runWith(simd: boolean, c: KernelCase, seed: number): Promise<Float32Array[]> {
  const previous = runtime.setSimdKernelsEnabled(simd);
  try {
    return await runKernels(c, caseData(c, seed));
  } finally {
    runtime.setSimdKernelsEnabled(previous);
  }
}

function expectMatchesReference(actual: Float32Array[], c: KernelCase, seed: number): void {
  const expected = referenceOutputs(c, caseData(c, seed));
  OUTPUT_NAMES.forEach((name, i) => {
    expect(relativeMaxError(actual[i], expected[i])).withContext(name).toBeLessThan(1e-5);
  });
}

describe('BNTT training kernels: the WebAssembly SIMD programs and the loops', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('Node has WebAssembly SIMD, so the default kernels run the programs (cpu and wasm)', async () => {
    expect(runtime.simdKernelsAvailable()).toBe(true);
    const spy = spyOn(runtime, 'simdFunction').and.callThrough();
    for (const backend of ['cpu', 'wasm']) {
      expect(await tf.setBackend(backend)).toBe(true);
      await runKernels({shape: [2, 3, 4, 5], rows: 3}, caseData({shape: [2, 3, 4, 5], rows: 3}, 1));
    }
    const keys = spy.calls.allArgs().map(args => String(args[1]));
    expect(keys).toEqual([...passKeys, ...passKeys]);
  });

  for (const backend of ['cpu', 'wasm']) {
    describe(`on ${backend}, the programs match the float64 reference and give the loops' outputs bit for bit`, () => {
      beforeAll(async () => {
        expect(await tf.setBackend(backend)).toBe(true);
      });
      SIMD_CASES.forEach((c, i) => {
        it(caseName(c), async () => {
          const seed = 500 + 10 * i;
          const spy = spyOn(runtime, 'simdFunction').and.callThrough();
          const simd = await runWith(true, c, seed);
          expect(spy.calls.allArgs().map(args => String(args[1]))).toEqual(passKeys);
          const loops = await runWith(false, c, seed);
          expect(spy).toHaveBeenCalledTimes(passKeys.length);
          expectMatchesReference(simd, c, seed);
          OUTPUT_NAMES.forEach((name, j) => {
            expect(Array.from(simd[j])).withContext(name).toEqual(Array.from(loops[j]));
          });
        });
      });
    });

    describe(`on ${backend} with SIMD turned off (engines without it), the loops match the float64 reference`, () => {
      let previous = true;
      beforeAll(async () => {
        expect(await tf.setBackend(backend)).toBe(true);
        previous = runtime.setSimdKernelsEnabled(false);
      });
      afterAll(() => {
        runtime.setSimdKernelsEnabled(previous);
      });
      NODE_KERNEL_CASES.flatMap(c => [true, false].map(affine => ({...c, affine}))).forEach((c, i) => {
        it(`${caseName(c)}, ${c.affine ? 'random gamma/beta' : 'ones/zeros'}`, async () => {
          const spy = spyOn(runtime, 'simdFunction').and.callThrough();
          expectMatchesReference(await runKernels(c, caseData(c, 100 + i)), c, 100 + i);
          expect(spy).not.toHaveBeenCalled();
        });
      });
    });
  }

  describe('cpu, x in chunks of outer (a kept scratch memory smaller than x)', () => {
    let previous = 0;
    beforeAll(async () => {
      expect(await tf.setBackend('cpu')).toBe(true);
      previous = runtime.setKeptScratchBytes(0);
    });
    afterAll(() => {
      runtime.setKeptScratchBytes(previous);
    });
    SIMD_CASES.filter((_, i) => i % 3 === 0).forEach((c, i) => {
      it(caseName(c), async () => {
        const dims = bnttDims(c.shape, [c.rows, c.shape[c.shape.length - 1]]);
        // Room for the work area and one slab of x: the forward runs in chunks of one outer (more for tiny slabs)
        // on the kept scratch memory, the backward (dy and x) in chunks too, on a fresh memory where one slab of
        // each does not fit.
        const slabBytes = dims.rows * dims.inner * dims.channels * 4;
        runtime.setKeptScratchBytes(8 * bnttWorkDoubles(dims) + slabBytes + 64);
        // The outer count of every program call, per pass.
        const outers = new Map<string, number[]>();
        const simdFunction = runtime.simdFunction;
        spyOn(runtime, 'simdFunction').and.callFake((memory, key, build) => {
          const run = simdFunction(memory, key, build);
          return (...args: number[]) => {
            outers.set(key, [...(outers.get(key) ?? []), args[4]]);
            run(...args);
          };
        });
        const seed = 700 + i;
        const simd = await runWith(true, c, seed);
        expect([...outers.keys()]).toEqual(passKeys);
        for (const counts of outers.values()) expect(counts.reduce((a, b) => a + b)).toBe(dims.outer);
        expect(outers.get('bntt|sum')?.length).toBeGreaterThan(1);
        expectMatchesReference(simd, c, seed);
        const loops = await runWith(false, c, seed);
        OUTPUT_NAMES.forEach((name, j) => {
          expect(Array.from(simd[j])).withContext(name).toEqual(Array.from(loops[j]));
        });
      });
    });
  });

  describe('the PyTorch fixture with SIMD turned off (cpu)', () => {
    let previous = true;
    beforeAll(async () => {
      expect(await tf.setBackend('cpu')).toBe(true);
      previous = runtime.setSimdKernelsEnabled(false);
    });
    afterAll(() => {
      runtime.setSimdKernelsEnabled(previous);
    });
    it('forward, backward and one SGD step match to the fixture tolerance', async () => {
      const spy = spyOn(runtime, 'simdFunction').and.callThrough();
      for (const errors of [await checkForwardBackward(), await checkSgdStep()]) {
        expect(Object.keys(errors).length).toBeGreaterThan(0);
        for (const [quantity, error] of Object.entries(errors)) {
          expect(error).withContext(quantity).toBeLessThanOrEqual(FIXTURE_TOLERANCE);
        }
      }
      expect(spy.calls.allArgs().filter(args => String(args[1]).startsWith('bntt'))).toEqual([]);
    });
  });

  it('on wasm leaves no tensors and no heap data behind: after steps, a failing program, or int32 x', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const wasm = tf.backend() as unknown as {numDataIds(): number};
    const c: KernelCase = {shape: [3, T, 5, 3, 20], rows: T};
    const data = caseData(c, 9);
    const [x, dy] = [tf.tensor(data.x, c.shape), tf.tensor(data.dy, c.shape)];
    const [gamma, beta] = [tf.tensor(data.gamma, [T, 20]), tf.tensor(data.beta, [T, 20])];
    const attrs = {epsilon: KERNEL_EPSILON} as never;
    const forward = () => tf.engine().runKernel(BNTT_TRAIN, {x, gamma, beta}, attrs) as tf.Tensor[];
    const backward = (mean: tf.Tensor, variance: tf.Tensor) =>
      tf.engine().runKernel(BNTT_TRAIN_GRAD, {dy, x, gamma, mean, variance}, attrs) as tf.Tensor[];
    const step = () => {
      const [y, mean, variance] = forward();
      tf.dispose([y, ...backward(mean, variance), mean, variance]);
    };
    const counts = () => ({tensors: tf.memory().numTensors, heapData: wasm.numDataIds()});
    step();
    const before = counts();
    step();
    step();
    expect(counts()).withContext('steps').toEqual(before);

    const [y, mean, variance] = forward();
    const failing = spyOn(runtime, 'simdFunction').and.throwError(new Error('no program'));
    expect(forward).toThrowError(/no program/);
    expect(() => backward(mean, variance)).toThrowError(/no program/);
    expect(failing).toHaveBeenCalledTimes(2);
    failing.and.callThrough();
    tf.dispose([y, mean, variance]);
    expect(counts()).withContext('a program that throws').toEqual(before);

    const xInt = tf.zeros(c.shape, 'int32');
    expect(() => tf.engine().runKernel(BNTT_TRAIN, {x: xInt, gamma, beta}, attrs)).toThrowError(/float32/);
    xInt.dispose();
    expect(counts()).withContext('int32 x').toEqual(before);
    tf.dispose([x, dy, gamma, beta]);
  });

  it('compiles every pass to a module under 4 KB (what Chrome compiles synchronously on its main thread)', () => {
    for (const pass of BNTT_PASSES) {
      for (const shared of [false, true]) {
        const bytes = encodeModule([bnttPassFunction(pass)], shared);
        expect(WebAssembly.validate(bytes)).withContext(pass).toBe(true);
        expect(bytes.length).withContext(pass).toBeLessThan(4096);
      }
    }
  });
});
