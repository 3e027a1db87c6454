import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {lifCases} from '../reference/lif_cases';
import {checkLifCase} from '../shared/lif_check';

// A backend this package has never heard of (as tfjs-node's 'tensorflow' or a
// future backend would be): it has every core kernel, but no fused LIF.
const NAME = 'snn-test-unknown';

describe('ops.lif on a backend without fused kernels', () => {
  beforeAll(async () => {
    for (const kernel of tf.getKernelsForBackend('cpu')) {
      if (kernel.kernelName.startsWith('Snn')) continue;
      tf.registerKernel({...kernel, backendName: NAME});
    }
    tf.registerBackend(NAME, () => new MathBackendCPU());
    expect(await tf.setBackend(NAME)).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
    tf.removeBackend(NAME);
  });

  it('registers the composite kernels on first use and matches the reference', async () => {
    expect(tf.getKernel('SnnLif', NAME)).toBeUndefined();
    const c = lifCases().find(k => k.time === 25 && !k.options.detachReset)!;
    const x = tf.zeros([1, 2, 3]);
    ops.lif(x).dispose();
    x.dispose();
    expect(tf.getKernel('SnnLifComposite', NAME)).toBeDefined();
    expect(tf.getKernel('SnnLif', NAME)).toBeUndefined();
    const e = await checkLifCase({...c}, 'composite');
    expect(e.spikeMismatches).toBe(0);
    expect(e.currentGradError).toBeLessThan(1e-4);
    expect(e.initialGradError).toBeLessThan(1e-4);
  });

  it('trains weights through it with optimizer.minimize', () => {
    const w = tf.variable(tf.randomNormal([4, 3], 0.2, 0.1, 'float32', 3));
    const x = tf.randomUniform([2, 6, 4], 0, 1, 'float32', 4);
    const optimizer = tf.train.sgd(1);
    const loss = () =>
      tf.tidy(() => {
        const currents = tf.reshape(tf.matMul(tf.reshape(x, [12, 4]), w), [2, 6, 3]);
        return tf.mean(tf.square(tf.sub(tf.mean(ops.lif(currents, {leak: 0.9}), 1), 0.5))) as tf.Scalar;
      });
    const before = loss().dataSync()[0];
    for (let i = 0; i < 20; i++) optimizer.minimize(loss);
    expect(loss().dataSync()[0]).toBeLessThan(before);
    tf.dispose([w, x]);
    optimizer.dispose();
  });
});
