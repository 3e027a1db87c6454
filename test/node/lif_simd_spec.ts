import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {DEFAULT_ALPHA, LifCase, lifCases, MODEL_LIF_ATTRS} from '../reference/lif_cases';
import {checkLifCase, expectMatchesReference} from '../shared/lif_check';
import {LifAttrs, RESET_MODES, SURROGATE_NAMES} from '../../kernels/lif_attrs';
import {
  LIF_UNROLLED_BYTES,
  LIF_VECTORS,
  lifChunkBytes,
  lifForwardFunctions,
  lifGradFunctions,
  setLifUnrolledBytes,
} from '../../kernels/wasm/simd/lif_program';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import {encodeModule, WasmFunction} from '../../kernels/wasm/simd/wasm_emit';
import {randomArray} from '../reference/lif_reference';

// The cpu and wasm LIF kernels run a WebAssembly SIMD program (kernels/wasm/simd/lif_program.ts) where the engine
// has SIMD, else the typed-array loops of kernels/cpu. lif_reference_spec and lif_wasm_spec check the SIMD path
// (what runs by default); this spec checks the loops, the cpu backend's chunked scratch copies, and that the
// program really runs.
describe('LIF kernels: the WebAssembly SIMD program and the loops', () => {
  const cases = lifCases();

  it('Node has WebAssembly SIMD, so the default kernels run the program', async () => {
    expect(runtime.simdKernelsAvailable()).toBe(true);
    const spy = spyOn(runtime, 'simdFunction').and.callThrough();
    for (const backend of ['cpu', 'wasm']) {
      expect(await tf.setBackend(backend)).toBe(true);
      const x = tf.randomUniform([2, 3, 6], 0, 1);
      const dx = tf.grad(v => tf.sum(ops.lif(v, {leak: 0.9})))(x);
      await dx.data();
      tf.dispose([x, dx]);
    }
    await tf.setBackend('cpu');
    const keys = spy.calls.allArgs().map(args => String(args[1]).split('|')[0]);
    expect(keys).toEqual(['lif', 'lifGrad', 'lif', 'lifGrad']);
  });

  describe('with SIMD turned off (engines without it) the loops match the float64 reference', () => {
    let previous = true;
    beforeAll(() => {
      previous = runtime.setSimdKernelsEnabled(false);
    });
    afterAll(async () => {
      runtime.setSimdKernelsEnabled(previous);
      await tf.setBackend('cpu');
    });
    for (const backend of ['cpu', 'wasm']) {
      for (const c of cases.filter((_, i) => i % 3 === (backend === 'cpu' ? 0 : 1))) {
        it(`${backend}: ${c.name}`, async () => {
          expect(await tf.setBackend(backend)).toBe(true);
          const spy = spyOn(runtime, 'simdFunction').and.callThrough();
          expectMatchesReference(await checkLifCase(c, 'kernel'));
          expect(spy).not.toHaveBeenCalled();
        });
      }
    }
  });

  describe('cpu, in chunks of batch rows (a scratch memory smaller than the call)', () => {
    let previous = 0;
    beforeAll(async () => {
      expect(await tf.setBackend('cpu')).toBe(true);
      // Room for one row of the larger cases: calls with 2 or 3 rows run in chunks, the parameter sums add up.
      previous = runtime.setKeptScratchBytes(1500);
    });
    afterAll(() => {
      runtime.setKeptScratchBytes(previous);
    });
    for (const c of cases.filter(k => k.batch > 1).filter((_, i) => i % 4 === 0)) {
      it(c.name, async () => {
        expectMatchesReference(await checkLifCase(c, 'kernel'));
      });
    }
  });

  it('gives the loops’ spikes and final membrane bit for bit (cpu, 3 × 7 × 1001 neurons, every reset)', async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    const x = tf.tensor(randomArray(3 * 7 * 1001, 11, -0.3, 1.1), [3, 7, 1001]);
    const v0 = tf.tensor(randomArray(3 * 1001, 12, -0.5, 0.9), [3, 1001]);
    const leak = tf.tensor(randomArray(1001, 13, 0.5, 1));
    for (const resetMode of RESET_MODES) {
      const run = () => {
        const r = ops.lifWithState(x, {leak, threshold: 0.8, resetMode, vReset: -0.2, initialMembrane: v0});
        return [r.spikes.dataSync(), r.membrane.dataSync(), tf.dispose([r.spikes, r.membrane])];
      };
      const [simdSpikes, simdMembrane] = run();
      const previous = runtime.setSimdKernelsEnabled(false);
      const [loopSpikes, loopMembrane] = run();
      runtime.setSimdKernelsEnabled(previous);
      expect(Array.from(simdSpikes as Float32Array)).toEqual(Array.from(loopSpikes as Float32Array));
      expect(Array.from(simdMembrane as Float32Array)).toEqual(Array.from(loopMembrane as Float32Array));
    }
    tf.dispose([x, v0, leak]);
  });

  // The cases above have at most 12 features; each program's widest pass takes LIF_VECTORS[kind] · 4 neurons at a
  // time (the forward 16, the gradient 12).
  describe('the widest pass, one vector and single lanes (4·max(LIF_VECTORS) + 5 features; T 6: one chunk, the gradient trace in locals; T 29: two and three chunks), with per-feature and with uniform leak and threshold (read once per call), against the float64 reference', () => {
    const features = 4 * Math.max(...Object.values(LIF_VECTORS)) + 5;
    for (const [backend, time] of [
      ['cpu', 29],
      ['wasm', 29],
      ['wasm', 6],
    ] as const) {
      for (const surrogate of SURROGATE_NAMES) {
        for (const resetMode of RESET_MODES) {
          for (const uniform of [false, true]) {
            const parameters = uniform ? 'uniform' : 'per-feature';
            it(`${backend}: ${surrogate}, ${resetMode} reset, ${features} features, T ${time}, ${parameters} parameters`, async () => {
              expect(await tf.setBackend(backend)).toBe(true);
              const values = (seed: number, low: number, high: number) =>
                uniform
                  ? new Array<number>(features).fill(randomArray(1, seed, low, high)[0])
                  : Array.from(randomArray(features, seed, low, high));
              const leak = {shape: [features], values: values(31, 0.7, 1).map(Math.fround)};
              const threshold = {shape: [features], values: values(32, 0.6, 1.2).map(Math.fround)};
              const c: LifCase = {
                name: `${surrogate} ${resetMode}`,
                options: {
                  leak: leak.values,
                  threshold: threshold.values,
                  vReset: resetMode === 'zero' ? -0.1 : 0,
                  resetMode,
                  detachReset: false,
                  surrogate,
                  alpha: DEFAULT_ALPHA[surrogate],
                },
                leak,
                threshold,
                batch: 3,
                time,
                featureShape: [features],
                seed: 90,
              };
              const spy = spyOn(runtime, 'simdFunction').and.callThrough();
              expectMatchesReference(await checkLifCase(c, 'kernel'));
              const keys = spy.calls.allArgs().map(args => String(args[1]));
              expect(keys.length).toBeGreaterThan(0);
              for (const key of keys) expect(key).toContain(`|${uniform}|`);
            });
          }
        }
      }
    }
  });

  it('number leak and threshold: the BPTT kernel skips their gradients, and dL/dI and dL/dV0 stay the same', async () => {
    const attrsSeen: boolean[] = [];
    const runKernel = tf.engine().runKernel.bind(tf.engine());
    spyOn(tf.engine(), 'runKernel').and.callFake(((name: string, inputs: never, attrs: never) => {
      if (name === 'SnnLifGrad') attrsSeen.push((attrs as LifAttrs).parameterGradients !== false);
      return runKernel(name, inputs, attrs);
    }) as typeof runKernel);
    for (const backend of ['cpu', 'wasm']) {
      expect(await tf.setBackend(backend)).toBe(true);
      attrsSeen.length = 0;
      const x = tf.tensor(randomArray(2 * 7 * 37, 21, -0.3, 1.1), [2, 7, 37]);
      const v0 = tf.tensor(randomArray(2 * 37, 22, -0.5, 0.9), [2, 37]);
      const gradsWith = (leak: number | tf.Tensor, threshold: number | tf.Tensor) =>
        tf.grads((xs: tf.Tensor, vs: tf.Tensor) => {
          const r = ops.lifWithState(xs, {leak, threshold, initialMembrane: vs, detachReset: false});
          return tf.add(tf.sum(tf.mul(r.spikes, tf.range(0, 37))), tf.sum(r.membrane));
        })([x, v0]);
      const [leak, threshold] = [tf.scalar(0.9), tf.scalar(0.8)];
      const withNumbers = gradsWith(0.9, 0.8);
      const withTensors = gradsWith(leak, threshold);
      expect(attrsSeen).withContext(backend).toEqual([false, true]);
      for (let i = 0; i < 2; i++) {
        expect(Array.from(withNumbers[i].dataSync())).toEqual(Array.from(withTensors[i].dataSync()));
      }
      tf.dispose([x, v0, leak, threshold, ...withNumbers, ...withTensors]);
    }
  });

  it('propagates a NaN current into the gradients where the loops do (the surrogates’ clamps keep NaN)', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const values = randomArray(2 * 5 * 21, 41, -0.3, 1.5);
    values[3 * 21 + 7] = NaN;
    const x = tf.tensor(values, [2, 5, 21]);
    for (const surrogate of SURROGATE_NAMES) {
      const gradient = () => {
        const dx = tf.grad(v => tf.sum(ops.lif(v, {leak: 0.9, threshold: 0.8, surrogate})))(x);
        const out = Array.from(dx.dataSync(), Number.isNaN);
        dx.dispose();
        return out;
      };
      const program = gradient();
      const previous = runtime.setSimdKernelsEnabled(false);
      const loops = gradient();
      runtime.setSimdKernelsEnabled(previous);
      expect(program.some(nan => nan))
        .withContext(surrogate)
        .toBe(true);
      expect(program).withContext(surrogate).toEqual(loops);
    }
    x.dispose();
    await tf.setBackend('cpu');
  });

  it('builds every attribute set in chunks and as loops, one loop under 4 KB (Chrome < 114)', () => {
    const chunkedSizes: number[] = [];
    for (const surrogate of SURROGATE_NAMES) {
      for (const resetMode of RESET_MODES) {
        for (const detachReset of [false, true]) {
          const attrs: LifAttrs = {resetMode, detachReset, surrogate, alpha: 2, vReset: 0.1};
          for (const builds of [lifForwardFunctions, lifGradFunctions]) {
            const [chunked, ...loops] = Array.from(builds(attrs, 6));
            const context = `${chunked.name} ${surrogate} ${resetMode} ${detachReset}`;
            // The loops do not depend on T.
            const [, ...otherLoops] = Array.from(builds(attrs, 100));
            expect(otherLoops.map(fn => encodeModule([fn], false)))
              .withContext(context)
              .toEqual(loops.map(fn => encodeModule([fn], false)));
            for (const fn of [chunked, ...loops]) {
              expect(WebAssembly.validate(encodeModule([fn], false)))
                .withContext(context)
                .toBe(true);
              expect(WebAssembly.validate(encodeModule([fn], true)))
                .withContext(context)
                .toBe(true);
            }
            chunkedSizes.push(encodeModule([chunked], false).length);
            expect(encodeModule([loops[loops.length - 1]], false).length)
              .withContext(context)
              .toBeLessThan(runtime.SYNC_COMPILE_BYTES);
          }
        }
      }
    }
    // The chunked T-6 programs are the large ones, which only an engine without the limit takes.
    expect(Math.max(...chunkedSizes)).toBeGreaterThan(runtime.SYNC_COMPILE_BYTES);
  });

  it('walks time in chunks of the most steps whose one-chunk module fits LIF_UNROLLED_BYTES', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const attrs = MODEL_LIF_ATTRS;
    // The module of one chunk the budget bounds (the gradient's with its trace through memory, as calibrated).
    const bytesOf = (kind: 'forward' | 'gradient', steps: number) => lifChunkBytes(kind, attrs, steps);
    // The most steps one chunk may take, found here by building one-chunk programs step by step.
    const most = {forward: 0, gradient: 0};
    for (const kind of ['forward', 'gradient'] as const) {
      while (most[kind] < 64 && bytesOf(kind, most[kind] + 1) <= LIF_UNROLLED_BYTES[kind]) most[kind]++;
      expect(most[kind]).withContext(kind).toBeGreaterThan(4);
    }
    const spy = spyOn(runtime, 'simdFunction').and.callThrough();
    for (const time of [1, 6, 16, 25, 64, 101]) {
      spy.calls.reset();
      const x = tf.randomUniform([2, time, 40], 0, 1);
      // The op with the attributes `most` was found for (numbers: no parameter gradients, as in MODEL_LIF_ATTRS).
      const {resetMode, detachReset, surrogate, alpha} = attrs;
      const options = {leak: 0.9, threshold: 1, resetMode, detachReset, surrogate, alpha};
      const dx = tf.grad(v => tf.sum(ops.lif(v, options)))(x);
      dx.dataSync();
      tf.dispose([x, dx]);
      const walks = spy.calls.allArgs().map(args => String(args[1]).split('|').pop()!);
      expect(walks.length).toBe(2);
      walks.forEach((walk, i) => {
        const kind = i === 0 ? 'forward' : 'gradient';
        const [, first, count, size] = /^(\d+)\+(\d+)x(\d+)$/.exec(walk)!.map(Number);
        const context = `T ${time} ${kind}: ${walk}`;
        expect(first + count * size)
          .withContext(context)
          .toBe(time);
        expect(first).withContext(context).toBeLessThanOrEqual(size);
        expect(size).withContext(context).toBeLessThanOrEqual(most[kind]);
        // As few chunks as the most steps allow.
        expect(count + 1)
          .withContext(context)
          .toBe(Math.ceil(time / most[kind]));
      });
    }
    await tf.setBackend('cpu');
  });

  it('compiles the first build the engine takes: a size refusal (RangeError) moves on, other errors are thrown', () => {
    const fn = (name: string, nops: number) => {
      const f = new WasmFunction(name, 0);
      f.emit(new Array<number>(nops).fill(0x01)); // nop
      return f;
    };
    const memory = new WebAssembly.Memory({initial: 1});
    const previous = runtime.setSyncCompileLimit(2000);
    try {
      expect(runtime.compiledProgram(memory, 'spec|fits', () => [fn('large', 3000), fn('small', 10)]).name).toBe(
        'small'
      );
      expect(() => runtime.compiledProgram(memory, 'spec|none fits', () => [fn('large', 3000)])).toThrowError(
        RangeError,
        /3\d{3} bytes is over the test limit of 2000/
      );
      runtime.setSyncCompileLimit(null);
      expect(runtime.compiledProgram(memory, 'spec|fits', () => [fn('large', 3000), fn('small', 10)]).name).toBe(
        'large'
      );
      const broken = new WasmFunction('broken', 0);
      broken.emit([0x6a]); // i32.add on an empty stack: invalid, not a size refusal
      expect(() => runtime.compiledProgram(memory, 'spec|broken', () => [broken, fn('small', 10)])).toThrowError(
        WebAssembly.CompileError
      );
    } finally {
      runtime.setSyncCompileLimit(previous);
    }
  });

  describe('the loop programs (unrolled over LIF_UNROLLED_BYTES) match the float64 reference', () => {
    let previous: ReturnType<typeof setLifUnrolledBytes> | null = null;
    beforeAll(() => {
      previous = setLifUnrolledBytes({forward: 0, gradient: 0});
    });
    afterAll(async () => {
      setLifUnrolledBytes(previous);
      await tf.setBackend('cpu');
    });
    for (const backend of ['cpu', 'wasm']) {
      for (const c of cases.filter((_, i) => i % 5 === (backend === 'cpu' ? 0 : 2))) {
        it(`${backend}: ${c.name}`, async () => {
          expect(await tf.setBackend(backend)).toBe(true);
          const spy = spyOn(runtime, 'simdFunction').and.callThrough();
          expectMatchesReference(await checkLifCase(c, 'kernel'));
          expect(spy.calls.allArgs().every(args => String(args[1]).endsWith('|loop'))).toBe(true);
        });
      }
    }
  });

  describe('an engine that refuses modules of 4 KB or more (Chrome < 114) runs the loops, matching the reference', () => {
    let previous: number | null = null;
    beforeAll(() => {
      previous = runtime.setSyncCompileLimit(runtime.SYNC_COMPILE_BYTES);
    });
    afterAll(async () => {
      runtime.setSyncCompileLimit(previous);
      await tf.setBackend('cpu');
    });
    for (const backend of ['cpu', 'wasm']) {
      for (const c of cases.filter((_, i) => i % 7 === (backend === 'cpu' ? 1 : 4))) {
        it(`${backend}: ${c.name}`, async () => {
          expect(await tf.setBackend(backend)).toBe(true);
          expectMatchesReference(await checkLifCase(c, 'kernel'));
        });
      }
    }
  });
});
