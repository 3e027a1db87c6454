import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {LIF, LIF_GRAD} from '../../kernels/lif_attrs';
import {LifCase, lifCases} from '../reference/lif_cases';
import {
  makeInputs,
  paramAt,
  randomArray,
  RefParam,
  refBackward,
  refForward,
  relativeMaxError,
} from '../reference/lif_reference';
import {checkLifCase, expectMatchesReference} from '../shared/lif_check';
import {expectNaNIsolatedToItsNeuron} from '../shared/lif_nan_check';
import {
  BAD_SURROGATES,
  expectBadSurrogateRejected,
  expectFailingFusedGradientFreesTape,
} from '../shared/lif_surrogate_check';
import {useWebGL} from './setup';

const cases = lifCases();

/**
 * The kernel contract itself, without the op: SnnLif and SnnLifGrad called through engine().runKernel with
 * one leak and one threshold per neuron ([N]), every output (dLeak, dThreshold per neuron, summed over batch
 * and time) against the float64 reference.
 */
async function kernelErrors(c: LifCase): Promise<number[]> {
  const {batch: B, time: T, featureShape} = c;
  const N = featureShape.reduce((a, b) => a * b, 1);
  const o = c.options;
  const perNeuron = (p: RefParam) => Float32Array.from({length: N}, (_, n) => paramAt(p, n));
  const {currents, initial} = makeInputs(o, B, T, N, c.seed);
  const spikeWeights = randomArray(B * T * N, c.seed + 1);
  const membraneWeights = randomArray(B * N, c.seed + 2);
  const fwd = refForward(o, currents, initial, B, T, N);
  const ref = refBackward(o, fwd, spikeWeights, membraneWeights, B, T, N);
  const forwardInputs = {
    currents: tf.tensor(currents, [B, T, ...featureShape]),
    initialMembrane: tf.tensor(initial, [B, ...featureShape]),
    leak: tf.tensor(perNeuron(o.leak), [N]),
    threshold: tf.tensor(perNeuron(o.threshold), [N]),
  };
  const attrs = {
    resetMode: o.resetMode,
    detachReset: o.detachReset,
    surrogate: o.surrogate,
    alpha: o.alpha,
    vReset: o.vReset ?? 0,
  };
  const outputs = tf.engine().runKernel(LIF, forwardInputs, attrs) as tf.Tensor[];
  const dSpikes = tf.tensor(spikeWeights, forwardInputs.currents.shape);
  const dMembrane = tf.tensor(membraneWeights, forwardInputs.initialMembrane.shape);
  const grads = tf.engine().runKernel(LIF_GRAD, {dSpikes, dMembrane, ...forwardInputs}, attrs) as tf.Tensor[];
  expect(grads.map(g => g.shape)).toEqual([
    forwardInputs.currents.shape,
    forwardInputs.initialMembrane.shape,
    [N],
    [N],
  ]);
  const [spikes, membrane, dCurrents, dInitial, dLeak, dThreshold] = await Promise.all(
    [...outputs, ...grads].map(t => t.data())
  );
  tf.dispose([...Object.values(forwardInputs), dSpikes, dMembrane, ...outputs, ...grads]);
  let spikeMismatches = 0;
  for (let i = 0; i < fwd.spikes.length; i++) if (spikes[i] !== fwd.spikes[i]) spikeMismatches++;
  return [
    spikeMismatches,
    relativeMaxError(membrane, fwd.finalMembrane),
    relativeMaxError(dCurrents, ref.dCurrents),
    relativeMaxError(dInitial, ref.dInitial),
    relativeMaxError(dLeak, ref.dLeak),
    relativeMaxError(dThreshold, ref.dThreshold),
  ];
}

function expectKernelMatches(errors: number[]): void {
  const [spikeMismatches, membrane, ...gradients] = errors;
  expect(spikeMismatches).toBe(0);
  expect(membrane).toBeLessThan(1e-5);
  // dCurrents, dInitialMembrane, dLeak, dThreshold
  for (const error of gradients) expect(error).toBeLessThan(1e-4);
}

for (const pack of [true, false]) {
  describe(`SnnLif/SnnLifGrad webgl kernels with per-neuron leak and threshold (WEBGL_PACK=${pack})`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
    });
    for (const c of cases) {
      it(c.name, async () => {
        expectKernelMatches(await kernelErrors(c));
      });
    }
  });
}

for (const pack of [true, false]) {
  describe(`ops.lif webgl kernel against the float64 reference (WEBGL_PACK=${pack}, WEBGL_CPU_FORWARD=false)`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
    });
    for (const c of cases) {
      it(c.name, async () => {
        expect(tf.getBackend()).toBe('webgl');
        expectMatchesReference(await checkLifCase(c, 'kernel'));
      });
    }
  });
}

// Block-boundary cases: T that is not a multiple of the block size ceil(sqrt(T)).
const blockCases = lifCases()
  .filter(c => c.time === 25)
  .slice(0, 24)
  .map((c, i) => {
    const time = [3, 7, 10, 30, 50, 65][i % 6];
    return {...c, time, name: c.name.replace('T=25', `T=${time}`)};
  });

describe('ops.lif webgl kernel at T between block sizes', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
  });
  for (const c of blockCases) {
    it(c.name, async () => {
      expectMatchesReference(await checkLifCase(c, 'kernel'));
    });
  }
});

describe('ops.lif composite path on webgl', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
  });
  for (const c of cases.filter((_, i) => i % 4 === 1)) {
    it(c.name, async () => {
      expectMatchesReference(await checkLifCase(c, 'composite'));
    });
  }
});

describe('ops.lif on webgl: bad custom surrogates and a failing backward kernel', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
  });
  for (const [what, surrogate, message] of BAD_SURROGATES) {
    it(`rejects ${what} naming the surrogate, and leaks nothing`, () =>
      expectBadSurrogateRejected('auto', surrogate, message));
  }
  it('a failing fused backward kernel (webgl) leaks nothing', () => expectFailingFusedGradientFreesTape('webgl'));
});

describe('ops.lif webgl kernel behaviour', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
  });

  it('reuses compiled shaders when leak, threshold and alpha change', async () => {
    const x = tf.tensor(randomArray(2 * 9 * 4, 3, -0.2, 0.9), [2, 9, 4]);
    const run = (leak: number, threshold: number, alpha: number) =>
      tf.tidy(() => {
        const g = tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs, {leak, threshold, alpha})))(x);
        g.dataSync();
      });
    // tfjs-backend-webgl keeps compiled programs in binaryCache, keyed by shader source.
    const cacheSize = () => Object.keys((tf.backend() as unknown as {binaryCache: object}).binaryCache).length;
    run(0.9, 1, 0.3);
    const compiled = cacheSize();
    run(0.5, 0.7, 0.1);
    run(1, 2, 1);
    expect(cacheSize()).toBe(compiled);
    x.dispose();
  });

  it('keeps tf.memory().numTensors flat over forward+backward', async () => {
    const x = tf.tensor(randomArray(2 * 7 * 3 * 2, 4, -0.2, 0.9), [2, 7, 3, 2]);
    const v0 = tf.zeros([2, 3, 2]);
    const step = () => {
      const out = ops.lifWithState(x, {initialMembrane: v0});
      const grads = tf.grads((xs: tf.Tensor, vs: tf.Tensor) => {
        const o = ops.lifWithState(xs, {initialMembrane: vs});
        return tf.add(tf.sum(o.spikes), tf.sum(o.membrane));
      })([x, v0]);
      tf.dispose([out.spikes, out.membrane, ...grads]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, v0]);
  });

  it('handles NaN like the cpu kernel: no spikes, NaN membrane and gradient for that neuron only', () =>
    expectNaNIsolatedToItsNeuron());

  it('matches the cpu kernel on a large random train', async () => {
    const shape = [4, 30, 8, 8, 3];
    const x = tf.tensor(
      randomArray(
        shape.reduce((a, b) => a * b),
        5,
        -0.3,
        0.9
      ),
      shape
    );
    const options = {leak: 0.9, resetMode: 'zero' as const};
    const gl = ops.lifWithState(x, options);
    const glSpikes = await gl.spikes.data();
    const xs = await x.data();
    await tf.setBackend('cpu');
    const cpuX = tf.tensor(xs, shape);
    const cpu = ops.lifWithState(cpuX, options);
    let mismatches = 0;
    const cpuSpikes = cpu.spikes.dataSync();
    for (let i = 0; i < cpuSpikes.length; i++) if (cpuSpikes[i] !== glSpikes[i]) mismatches++;
    // Unconstrained input can sit within float32 rounding of the threshold: allow 1 in 10^4.
    expect(mismatches).toBeLessThanOrEqual(cpuSpikes.length * 1e-4);
    tf.dispose([cpuX, cpu.spikes, cpu.membrane]);
    await tf.setBackend('webgl');
    tf.dispose([x, gl.spikes, gl.membrane]);
  });
});
