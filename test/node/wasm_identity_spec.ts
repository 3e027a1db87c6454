import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import '../../src/index'; // replaces wasm's Identity
import {replacedKernel} from '../../kernels/replace_kernel';

interface WasmBackendLike {
  numDataIds(): number;
}

// tfjs saves every tensor a gradient needs through the Identity kernel (engine.clone); tfjs-backend-wasm's copies
// the buffer, tfjs-snn's shares it (kernels/wasm/identity.ts).
describe('Identity on wasm (no copy)', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("replaces wasm's own kernel once", () => {
    const ours = tf.getKernel('Identity', 'wasm')!;
    expect(replacedKernel(ours)).not.toBeNull();
    expect(replacedKernel(replacedKernel(ours)!)).toBeNull();
  });

  it('shares the buffer: no new heap data, the same values, and each tensor outlives the other', async () => {
    const backend = tf.backend() as unknown as WasmBackendLike;
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const buffers = backend.numDataIds();
    const y = tf.clone(x);
    expect(backend.numDataIds()).toBe(buffers);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    const z = tf.clone(y);
    y.dispose();
    expect(Array.from(await z.data())).toEqual([1, 2, 3, 4]);
    z.dispose();
    expect(backend.numDataIds()).toBe(buffers - 1);
  });

  it('copies string tensors through the built-in kernel', async () => {
    const s = tf.tensor(['a', 'bc']);
    const t = tf.clone(s);
    s.dispose();
    expect(await t.data()).toEqual(['a', 'bc'] as never);
    t.dispose();
  });

  it('keeps gradients right where a saved tensor is cloned (matches cpu)', async () => {
    const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.exp(a), tf.sin(a))) as tf.Scalar;
    const values = [0.3, -1.2, 2.5, 0.7];
    const onWasm = tf.tidy(() => tf.grad(f)(tf.tensor(values)).dataSync());
    await tf.setBackend('cpu');
    const onCpu = tf.tidy(() => tf.grad(f)(tf.tensor(values)).dataSync());
    await tf.setBackend('wasm');
    for (let i = 0; i < values.length; i++) expect(onWasm[i]).toBeCloseTo(onCpu[i], 5);
  });

  it('keeps the heap flat over training steps', () => {
    const backend = tf.backend() as unknown as WasmBackendLike;
    const w = tf.variable(tf.randomNormal([8, 4]));
    const x = tf.randomNormal([16, 8]);
    const optimizer = tf.train.sgd(0.1);
    const step = () => optimizer.minimize(() => tf.sum(tf.square(tf.matMul(x, w))) as tf.Scalar);
    step();
    const [tensors, buffers] = [tf.memory().numTensors, backend.numDataIds()];
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
    tf.dispose([w, x]);
    optimizer.dispose();
  });
});
