import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD, bnttDims} from '../../kernels/bntt_attrs';
import {provisionalCenters} from '../../kernels/bntt_loops';
import {
  BNTT_PASSES,
  bnttPassFunction,
  bnttWalk,
  bnttWorkDoubles,
  setBnttBlockWalkChannels,
} from '../../kernels/wasm/simd/bntt_program';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import {encodeModule} from '../../kernels/wasm/simd/wasm_emit';
import {relativeMaxError} from '../reference/lif_reference';
import {checkForwardBackward, checkSgdStep, FIXTURE_TOLERANCE} from '../shared/bntt_conformance';
import {
  CaseData,
  caseData,
  KERNEL_EPSILON,
  KernelCase,
  NODE_KERNEL_CASES,
  OUTPUT_NAMES,
  referenceOutputs,
  runKernels,
  sizeOf,
} from '../shared/bntt_kernel_check';

// The cpu and wasm BNTT training kernels run WebAssembly SIMD programs (kernels/wasm/simd/bntt_program.ts) where
// the engine has SIMD, else the loops of kernels/bntt_loops.ts. bntt_kernels_spec and bntt_conformance_spec check
// the SIMD path (what runs by default); this spec checks that the programs run, that they give the loops' outputs
// bit for bit in both walks of x (linear and in blocks, bnttWalk) at every channel grouping (16, 8, 4 and single
// lanes) and block (whole, and a row's last, shorter one), the loops themselves, the cpu backend's chunks for an x
// larger than its scratch memory, and that the wasm backend's heap keeps no data behind.

/**
 * Channel counts that take each grouping: lanes only (1, 3), one vector (4), vector + lane (5), 16 + 4 + 4 + 4
 * + 3 lanes (15 and 47: 12 to 15 channels past a full 16-group; 15 is 8 + 4 + 3 for the 8-groups), 16, 16 + 4,
 * 16 + 16 + 1, 16 + 16 + 4 + 3. The default walk is in blocks up to 32 channels (dx linear), linear past.
 */
const CHANNELS = [1, 3, 4, 5, 15, 16, 20, 33, 39, 47];
const T = 4;
/**
 * Per C: spatial layouts (inner 15: a whole block of SUM_BLOCK 8 positions and a shorter one; inner 24: three whole
 * blocks) and dense (inner 1), with R = T and R = 1.
 */
const SIMD_CASES: KernelCase[] = CHANNELS.flatMap(C =>
  [
    [3, T, 5, 3, C],
    [2, T, 4, 6, C],
    [6, T, C],
  ].flatMap(shape => [T, 1].map(rows => ({shape, rows})))
);

/**
 * The programs a case runs, each pass in the walk bnttWalk picks for its channel count: the squared deviations
 * only where a provisional center was far from its mean (`far`).
 */
const passKeys = (channels: number, far = false) =>
  BNTT_PASSES.filter(pass => far || pass !== 'squares').map(pass => `bntt|${pass}|${bnttWalk(pass, channels)}`);
const channelsOf = (c: KernelCase) => c.shape[c.shape.length - 1];
/** Walks to force (the most channels walked in blocks), or the default. */
const WALKS: Array<{name: string; channels: number | null}> = [
  {name: 'the default walks', channels: null},
  {name: 'every pass linear', channels: 0},
  {name: 'every pass in blocks', channels: Infinity},
];

/**
 * x whose values at positions 4, 12, …, 60 of 64 (the provisional centers' sampled positions, see
 * provisionalCenters) sit 10 above all the others, with noise: the centers are then farther from the means than
 * the standard deviations (by √7: an eighth of the values are high), and the forward kernel takes its second pass.
 */
function farCenterData(c: KernelCase, seed: number): CaseData {
  const data = caseData(c, seed);
  const [outer, inner, channels] = [c.shape[0] * c.shape[1], sizeOf(c.shape.slice(2, -1)), channelsOf(c)];
  for (let o = 0; o < outer; o++) {
    for (let s = 4; s < inner; s += 8) {
      for (let ch = 0; ch < channels; ch++) data.x[(o * inner + s) * channels + ch] += 10;
    }
  }
  return data;
}
const caseName = (c: KernelCase) => `x [${c.shape}], R = ${c.rows}`;

/** The kernels' six outputs on the current backend, with the SIMD programs turned on or off. */
async function runWith(simd: boolean, c: KernelCase, seed: number | CaseData): Promise<Float32Array[]> {
  const previous = runtime.setSimdKernelsEnabled(simd);
  try {
    return await runKernels(c, typeof seed === 'number' ? caseData(c, seed) : seed);
  } finally {
    runtime.setSimdKernelsEnabled(previous);
  }
}

function expectMatchesReference(actual: Float32Array[], c: KernelCase, seed: number | CaseData): void {
  const expected = referenceOutputs(c, typeof seed === 'number' ? caseData(c, seed) : seed);
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
    expect(keys).toEqual([...passKeys(5), ...passKeys(5)]);
    expect(passKeys(5)).toEqual(
      ['moments', 'normalize', 'gradSums'].map(p => `bntt|${p}|blocks`).concat('bntt|dx|linear')
    );
    expect(passKeys(32)).toEqual(passKeys(5));
    expect(passKeys(33).every(key => key.endsWith('|linear'))).toBe(true);
  });

  for (const backend of ['cpu', 'wasm']) {
    for (const walks of WALKS) {
      describe(`on ${backend}, ${walks.name}: the programs match the float64 reference and give the loops' outputs bit for bit`, () => {
        let previous: ReturnType<typeof setBnttBlockWalkChannels> | null = null;
        beforeAll(async () => {
          expect(await tf.setBackend(backend)).toBe(true);
          previous = setBnttBlockWalkChannels(walks.channels);
        });
        afterAll(() => {
          setBnttBlockWalkChannels(previous);
        });
        SIMD_CASES.forEach((c, i) => {
          it(caseName(c), async () => {
            const seed = 500 + 10 * i;
            const spy = spyOn(runtime, 'simdFunction').and.callThrough();
            const simd = await runWith(true, c, seed);
            const keys = passKeys(channelsOf(c));
            if (walks.channels === 0) expect(keys.every(key => key.endsWith('|linear'))).toBe(true);
            if (walks.channels === Infinity) expect(keys.every(key => key.endsWith('|blocks'))).toBe(true);
            expect(spy.calls.allArgs().map(args => String(args[1]))).toEqual(keys);
            const loops = await runWith(false, c, seed);
            expect(spy).toHaveBeenCalledTimes(keys.length);
            expectMatchesReference(simd, c, seed);
            OUTPUT_NAMES.forEach((name, j) => {
              expect(Array.from(simd[j])).withContext(name).toEqual(Array.from(loops[j]));
            });
          });
        });
      });
    }

    describe(`on ${backend}, centers far from the means: the second pass, in both walks`, () => {
      const FAR_CASES: KernelCase[] = [5, 20].map(C => ({shape: [8, 1, 8, 8, C], rows: 1}));
      FAR_CASES.forEach((c, i) => {
        for (const walks of WALKS) {
          it(`${caseName(c)}, ${walks.name}`, async () => {
            expect(await tf.setBackend(backend)).toBe(true);
            const previous = setBnttBlockWalkChannels(walks.channels);
            try {
              const data = farCenterData(c, 900 + i);
              const spy = spyOn(runtime, 'simdFunction').and.callThrough();
              const simd = await runWith(true, c, data);
              expect(spy.calls.allArgs().map(args => String(args[1]))).toEqual(passKeys(channelsOf(c), true));
              expectMatchesReference(simd, c, data);
              const loops = await runWith(false, c, data);
              OUTPUT_NAMES.forEach((name, j) => {
                expect(Array.from(simd[j])).withContext(name).toEqual(Array.from(loops[j]));
              });
            } finally {
              setBnttBlockWalkChannels(previous);
            }
          });
        }
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
        expect([...outers.keys()]).toEqual(passKeys(channelsOf(c)));
        for (const counts of outers.values()) expect(counts.reduce((a, b) => a + b)).toBe(dims.outer);
        expect(outers.get(passKeys(channelsOf(c))[0])?.length).toBeGreaterThan(1);
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

  it('takes each provisional center as the mean of a grid of up to 32 values: 8 positions by 4 outer indices, or 32 outer indices', () => {
    // x [outer 10, R 2, S 20, C 3] = 100·o + 10·s + r + c/10: the grid's mean follows from its indices.
    const dims = {outer: 10, rows: 2, inner: 20, channels: 3};
    const x = new Float32Array(10 * 2 * 20 * 3);
    for (let o = 0; o < 10; o++) {
      for (let r = 0; r < 2; r++) {
        for (let s = 0; s < 20; s++) {
          for (let c = 0; c < 3; c++) x[((o * 2 + r) * 20 + s) * 3 + c] = 100 * o + 10 * s + r + c / 10;
        }
      }
    }
    const outers = [0, 2, 5, 7]; // ⌊i·10/4⌋
    const positions = [1, 3, 6, 8, 11, 13, 16, 18]; // ⌊(2j + 1)·20/16⌋
    const mean = (values: number[]) => values.reduce((a, b) => a + b) / values.length;
    const expected = [0, 1].flatMap(r => [0, 1, 2].map(c => 100 * mean(outers) + 10 * mean(positions) + r + c / 10));
    const centers = provisionalCenters(x, dims);
    expected.forEach((value, k) => expect(centers[k]).withContext(`k ${k}`).toBeCloseTo(value, 3));
    // Fewer values than the grid: all of them (dense, inner 1; outer 3); a dense layer's first 32 of 64 rows.
    const dense = provisionalCenters(Float32Array.from([1, 2, 3, 4, 5, 6]), {outer: 3, rows: 1, inner: 1, channels: 2});
    expect(Array.from(dense)).toEqual([3, 4]);
    const rows64 = Float32Array.from({length: 64}, (_, o) => o);
    expect(Array.from(provisionalCenters(rows64, {outer: 64, rows: 1, inner: 1, channels: 1}))).toEqual([31]);
  });

  it('compiles every pass in both walks to a module under 4 KB (what Chrome compiles synchronously on its main thread)', () => {
    for (const pass of BNTT_PASSES) {
      for (const walk of ['linear', 'blocks'] as const) {
        for (const shared of [false, true]) {
          const bytes = encodeModule([bnttPassFunction(pass, walk)], shared);
          expect(WebAssembly.validate(bytes)).withContext(`${pass} ${walk}`).toBe(true);
          expect(bytes.length).withContext(`${pass} ${walk}`).toBeLessThan(4096);
        }
      }
    }
  });
});
