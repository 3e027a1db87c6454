import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {lifCases} from '../reference/lif_cases';
import {randomArray} from '../reference/lif_reference';
import {
  checkLifCase,
  expectLargePerChannelTrainMatchesReference,
  expectLifLeavesNoTensors,
  expectMatchesReference,
} from '../shared/lif_check';
import {expectKernelMatches, kernelErrors} from '../shared/lif_kernel_check';
import {expectNaNIsolatedToItsNeuron, expectNaNKeptFromOtherParameterGradients} from '../shared/lif_nan_check';
import {
  BAD_SURROGATES,
  expectBadSurrogateRejected,
  expectFailingFusedGradientFreesTape,
} from '../shared/lif_surrogate_check';
import {useWebGL} from './setup';

const cases = lifCases();

// Every other case (each reset, surrogate, detachReset and T still occurs): where a case gives the op numbers,
// the op-level suites below check no parameter gradient, but the kernel gets [N] tensors here and is checked.
for (const pack of [true, false]) {
  describe(`SnnLif/SnnLifGrad webgl kernels with per-neuron leak and threshold (WEBGL_PACK=${pack})`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
    });
    for (const c of cases.filter((_, i) => i % 2 === 0)) {
      it(c.name, async () => {
        expectKernelMatches(await kernelErrors(c));
      });
    }
  });
}

// Every case: numbers and tensors (scalar, per channel, per neuron) for the leak and the threshold, vReset for
// the zero reset, every surrogate, detachReset both ways; the tensor parameters' gradients are checked too.
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

// Currents that are already a packed texture (the result of an op): trains of rank 4 or more are packed over their
// channels, and the kernel converts them to its own layout (kernels/webgl/lif_layout.ts) where the channels are even.
describe('ops.lif webgl kernel on currents an op computed on the GPU (WEBGL_PACK=true)', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
  });
  const ranksAbove3 = cases.filter(c => c.featureShape.length >= 2 && c.time > 1);
  for (const c of ranksAbove3.filter((_, i) => i % 4 === 0)) {
    it(c.name, async () => {
      expectMatchesReference(await checkLifCase(c, 'kernel', 'lif', true));
    });
  }
});

// Wider channels than the shared cases' (2 or 3): an odd number of rows (3 × 4), an even second-to-last axis at rank 5
// and an odd one at rank 6 (tfjs's reshape then), odd and even T, from fresh values and from an op.
const WIDE_FEATURES = [
  [3, 4],
  [2, 2, 6],
  [2, 1, 3, 4],
];
const wideCases = cases
  .filter(c => typeof c.leak === 'number' && typeof c.threshold === 'number' && c.time > 1)
  .map((c, i) => {
    const featureShape = WIDE_FEATURES[i % WIDE_FEATURES.length];
    const time = [2, 7, 25][Math.floor(i / WIDE_FEATURES.length) % 3];
    const name = c.name.replace(/T=\d+\/features=\[[^\]]*\]/, `T=${time}/features=[${featureShape}]`);
    return {...c, featureShape, time, name};
  });
for (const computed of [false, true]) {
  describe(`ops.lif webgl kernel on trains with wider channels (${computed ? 'computed' : 'fresh'} currents)`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: true});
    });
    for (const c of wideCases) {
      it(c.name, async () => {
        expectMatchesReference(await checkLifCase(c, 'kernel', 'lif', computed));
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

// The cases with a leak of 1 given as a number are integrate-and-fire neurons: the same kernels with leak 1.
describe('ops.ifNeuron webgl kernel against the float64 reference', () => {
  beforeAll(async () => {
    await useWebGL({WEBGL_PACK: true});
  });
  for (const c of cases.filter(k => k.leak === 1)) {
    it(c.name, async () => {
      expectMatchesReference(await checkLifCase(c, 'kernel', 'ifNeuron'));
    });
  }
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

  it('reuses compiled shaders when leak, threshold (numbers or tensors), alpha and vReset change', async () => {
    const x = tf.tensor(randomArray(2 * 9 * 4, 3, -0.2, 0.9), [2, 9, 4]);
    const options = (alpha: number, vReset: number) => ({
      alpha,
      vReset,
      resetMode: 'zero' as const,
      detachReset: false,
    });
    const runNumbers = (leak: number, threshold: number, alpha: number, vReset: number) =>
      tf.tidy(() => {
        tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs, {...options(alpha, vReset), leak, threshold})))(x).dataSync();
      });
    // Gradients with respect to the currents, the leak and the threshold.
    const runTensors = (leak: number[], threshold: number[], alpha: number, vReset: number) =>
      tf.tidy(() => {
        const loss = (xs: tf.Tensor, l: tf.Tensor, th: tf.Tensor) =>
          tf.sum(ops.lif(xs, {...options(alpha, vReset), leak: l, threshold: th}));
        for (const g of tf.grads(loss)([x, tf.tensor(leak), tf.tensor(threshold)])) g.dataSync();
      });
    // tfjs-backend-webgl keeps compiled programs in binaryCache, keyed by shader source.
    const cacheSize = () => Object.keys((tf.backend() as unknown as {binaryCache: object}).binaryCache).length;
    runNumbers(0.9, 1, 0.3, 0);
    runTensors([0.9, 0.8, 1, 0.5], [1, 0.7, 1.2, 0.9], 0.3, 0);
    const compiled = cacheSize();
    runNumbers(0.5, 0.7, 0.1, -0.2);
    runNumbers(1, 2, 1, 0.3);
    runTensors([0.2, 0.4, 0.6, 0.8], [0.5, 0.6, 0.7, 0.8], 2, -1);
    expect(cacheSize()).toBe(compiled);
    x.dispose();
  });

  it('keeps tf.memory().numTensors flat over forward+backward, with tensor leak and threshold', () =>
    expectLifLeavesNoTensors());

  it('handles NaN like the cpu kernel: no spikes, NaN membrane and gradient for that neuron only', () =>
    expectNaNIsolatedToItsNeuron());

  it('keeps a NaN current to its own neuron in the leak and threshold gradients', () =>
    expectNaNKeptFromOtherParameterGradients());

  it('matches the float64 reference on a larger train (batch 16, T 30, per-channel leak and threshold)', () =>
    expectLargePerChannelTrainMatchesReference());

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
    const leak = tf.tensor([0.9, 0.8, 1]);
    const options = {leak, threshold: 0.9, resetMode: 'zero' as const, vReset: -0.2};
    const gl = ops.lifWithState(x, options);
    const leakValues = await leak.data();
    const glSpikes = await gl.spikes.data();
    const xs = await x.data();
    await tf.setBackend('cpu');
    const cpuX = tf.tensor(xs, shape);
    const cpuLeak = tf.tensor(leakValues);
    const cpu = ops.lifWithState(cpuX, {...options, leak: cpuLeak});
    let mismatches = 0;
    const cpuSpikes = cpu.spikes.dataSync();
    for (let i = 0; i < cpuSpikes.length; i++) if (cpuSpikes[i] !== glSpikes[i]) mismatches++;
    // Unconstrained input can sit within float32 rounding of the threshold: allow 1 in 10^4.
    expect(mismatches).toBeLessThanOrEqual(cpuSpikes.length * 1e-4);
    tf.dispose([cpuX, cpuLeak, cpu.spikes, cpu.membrane]);
    await tf.setBackend('webgl');
    tf.dispose([x, leak, gl.spikes, gl.membrane]);
  });
});
