// The LIF kernels' hints (LifAttrs.initialAtRest, finalMembraneUnused): ops.lif without an initial membrane lets the
// SIMD programs (wasm, and cpu on its scratch memory) take V_{−1} and dL/dV_T as zeros without reading them and
// leave V_T and dL/dV_{−1} unwritten. The spikes and every gradient the caller can reach are the same to the bit as
// with the membranes read and written (lifWithState from explicit zeros), in every walk through time (one chunk
// with the trace in locals, several chunks, the loop); the hints reach the kernels only where they hold, and not
// under tfjs's DEBUG flag.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import {LIF, LIF_GRAD, RESET_MODES, SURROGATE_NAMES} from '../../kernels/lif_attrs';
import {setLifUnrolledBytes} from '../../kernels/wasm/simd/lif_program';
import * as runtime from '../../kernels/wasm/simd/simd_runtime';
import * as snn from '../../src/index';
import {kernelCalls} from './kernel_calls';

/** The LIF kernel calls `run` makes. */
const lifCalls = (run: () => void) => kernelCalls([LIF, LIF_GRAD], run);

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

/**
 * Spikes and the gradients of currents, leak and threshold of a weighted sum of the spikes: `hinted` through ops.lif
 * (no initial membrane, the final one unused), else through lifWithState from explicit zeros.
 */
function run(
  x: tf.Tensor,
  options: {resetMode: (typeof RESET_MODES)[number]; surrogate: (typeof SURROGATE_NAMES)[number]},
  hinted: boolean
): number[][] {
  const features = x.shape.slice(2);
  const leak = tf.fill(features, 0.85);
  const threshold = tf.fill(features, 0.6);
  const weights = tf.reshape(tf.linspace(-1, 1, x.size), x.shape);
  const spikesOf = (c: tf.Tensor, l: tf.Tensor, th: tf.Tensor) =>
    hinted
      ? snn.ops.lif(c, {...options, leak: l, threshold: th})
      : snn.ops.lifWithState(c, {
          ...options,
          leak: l,
          threshold: th,
          initialMembrane: tf.zeros([x.shape[0], ...features]),
        }).spikes;
  const spikes = spikesOf(x, leak, threshold);
  const grads = tf.grads((c: tf.Tensor, l: tf.Tensor, th: tf.Tensor) => tf.sum(tf.mul(spikesOf(c, l, th), weights)))([
    x,
    leak,
    threshold,
  ]);
  const result = [spikes, ...grads].map(bits);
  tf.dispose([leak, threshold, weights, spikes, ...grads]);
  return result;
}

describe('LIF kernel hints: V_{−1} and V_T skipped where ops.lif makes and drops them', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['wasm', 'cpu']) {
    for (const [walk, budget] of [
      ['T 6, one chunk', null],
      ['T 29, chunks', null],
      ['T 6, the loop over time', {forward: 0, gradient: 0}],
    ] as const) {
      it(`on ${backend}, ${walk}: the same spikes and gradients to the bit as with the membranes read and written`, async () => {
        expect(await tf.setBackend(backend)).toBe(true);
        expect(runtime.simdKernelsAvailable()).toBe(true);
        const previous = setLifUnrolledBytes(budget);
        try {
          const time = walk.startsWith('T 29') ? 29 : 6;
          // 2 batch rows of 21 features: the widest pass, single vectors and lanes in both programs.
          const x = tf.randomUniform([2, time, 21], -0.2, 0.9, 'float32', 11);
          for (const resetMode of RESET_MODES) {
            for (const surrogate of SURROGATE_NAMES) {
              const options = {resetMode, surrogate};
              const hinted = run(x, options, true);
              const plain = run(x, options, false);
              ['spikes', 'dCurrents', 'dLeak', 'dThreshold'].forEach((name, i) => {
                expect(hinted[i]).withContext(`${resetMode} ${surrogate} ${name}`).toEqual(plain[i]);
              });
            }
          }
          x.dispose();
        } finally {
          setLifUnrolledBytes(previous);
        }
      });
    }
  }

  it('reach the kernels only where they hold: ops.lif, lifWithState, an initial membrane, a layer with and without state', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const x = tf.randomUniform([2, 4, 8], 0, 1, 'float32', 3);
    const v0 = tf.fill([2, 8], 0.2);
    const forward = (run: () => tf.TensorContainer) => {
      const calls = lifCalls(() => tf.dispose(run()));
      expect(calls.length).toBe(1);
      return [calls[0].attrs.initialAtRest === true, calls[0].attrs.finalMembraneUnused === true];
    };
    expect(forward(() => snn.ops.lif(x))).toEqual([true, true]);
    expect(forward(() => snn.ops.lif(x, {initialMembrane: v0}))).toEqual([false, true]);
    expect(forward(() => Object.values(snn.ops.lifWithState(x))))
      .withContext('lifWithState')
      .toEqual([true, false]);
    expect(forward(() => Object.values(snn.ops.lifWithState(x, {initialMembrane: v0})))).toEqual([false, false]);
    expect(forward(() => snn.ops.ifNeuron(x)))
      .withContext('ifNeuron')
      .toEqual([true, true]);

    const layer = snn.layers.lif({leak: 0.9});
    const stateful = snn.layers.lif({leak: 0.9, stateful: true});
    expect(forward(() => layer.apply(x, {training: true}) as tf.Tensor)).toEqual([true, true]);
    // A stateful layer keeps V_T; from its second call on it starts from it.
    expect(forward(() => stateful.apply(x) as tf.Tensor)).toEqual([true, false]);
    expect(forward(() => stateful.apply(x) as tf.Tensor)).toEqual([false, false]);
    // runFrom returns the state.
    expect(forward(() => Object.values(layer.runFrom(x, null)) as tf.TensorContainer)).toEqual([true, false]);
    stateful.resetStates();

    // The gradient kernel gets the forward's attributes.
    const calls = lifCalls(() => tf.dispose(tf.grad((c: tf.Tensor) => tf.sum(snn.ops.lif(c)))(x)));
    expect(calls.map(c => [c.name, c.attrs.initialAtRest, c.attrs.finalMembraneUnused])).toEqual([
      [LIF, true, true],
      [LIF_GRAD, true, true],
    ]);
    tf.dispose([x, v0]);
    layer.dispose();
    stateful.dispose();
  });

  it("are not taken under tfjs's DEBUG flag (which reads every output): the skipped outputs are written", async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const x = tf.randomUniform([2, 6, 21], -0.2, 0.9, 'float32', 5);
    const inputs = {
      currents: x,
      initialMembrane: tf.zeros([2, 21]),
      leak: tf.fill([21], 0.8),
      threshold: tf.fill([21], 0.5),
    };
    const outputsOf = () => {
      const [spikes, membrane] = tf.engine().runKernel(LIF, inputs, {...HINTED_ATTRS} as never) as tf.Tensor[];
      return {spikes, membrane};
    };
    const expected = snn.ops.lifWithState(x, {leak: 0.8, threshold: 0.5});
    const debug = tf.env().getBool('DEBUG');
    // DEBUG announces itself and logs each kernel's time (after the kernel's timer resolves): silence both.
    spyOn(console, 'warn');
    spyOn(console, 'log');
    tf.env().set('DEBUG', true);
    try {
      const {spikes, membrane} = outputsOf();
      expect(bits(spikes)).toEqual(bits(expected.spikes));
      expect(bits(membrane)).toEqual(bits(expected.membrane));
      tf.dispose([spikes, membrane]);
      await new Promise(resolve => setTimeout(resolve, 50));
    } finally {
      tf.env().set('DEBUG', debug);
    }
    tf.dispose([...Object.values(inputs), expected.spikes, expected.membrane]);
  });
});

const HINTED_ATTRS = {
  resetMode: 'subtract',
  detachReset: true,
  surrogate: 'triangle',
  alpha: 0.3,
  vReset: 0,
  parameterGradients: false,
  initialAtRest: true,
  finalMembraneUnused: true,
};
