import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {lifCases} from '../reference/lif_cases';
import {randomArray} from '../reference/lif_reference';
import {checkLifCase, expectMatchesReference} from '../shared/lif_check';
import {expectNaNIsolatedToItsNeuron} from '../shared/lif_nan_check';
import {
  BAD_SURROGATES,
  expectBadSurrogateRejected,
  expectFailingFusedGradientFreesTape,
} from '../shared/lif_surrogate_check';
import {useWebGL} from './setup';

const cases = lifCases();

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
