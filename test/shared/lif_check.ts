/** Runs one LIF case through tfjs-snn and the float64 reference; shared by the Node and browser suites. */
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {LifCase} from '../reference/lif_cases';
import {makeInputs, randomArray, refBackward, refForward, relativeMaxError} from '../reference/lif_reference';

export interface LifCaseErrors {
  spikeMismatches: number;
  membraneError: number;
  currentGradError: number;
  initialGradError: number;
}

export async function checkLifCase(c: LifCase, implementation: 'kernel' | 'composite'): Promise<LifCaseErrors> {
  const {batch: B, time: T, featureShape} = c;
  const N = featureShape.reduce((a, b) => a * b, 1);
  const {currents, initial} = makeInputs(c.options, B, T, N, c.seed);
  const spikeWeights = randomArray(B * T * N, c.seed + 1);
  const membraneWeights = randomArray(B * N, c.seed + 2);
  const fwd = refForward(c.options, currents, initial, B, T, N);
  const ref = refBackward(c.options, fwd, spikeWeights, membraneWeights, B, T, N);

  const x = tf.tensor(currents, [B, T, ...featureShape]);
  const v0 = tf.tensor(initial, [B, ...featureShape]);
  const w = tf.tensor(spikeWeights, x.shape);
  const r = tf.tensor(membraneWeights, v0.shape);
  const options = {...c.options, implementation};
  const out = ops.lifWithState(x, {...options, initialMembrane: v0});
  const loss = (xs: tf.Tensor, vs: tf.Tensor) => {
    const {spikes, membrane} = ops.lifWithState(xs, {...options, initialMembrane: vs});
    return tf.add(tf.sum(tf.mul(spikes, w)), tf.sum(tf.mul(membrane, r))) as tf.Scalar;
  };
  const {grads} = tf.valueAndGrads(loss)([x, v0]);
  const [spikes, membrane, dx, dv0] = await Promise.all(
    [out.spikes, out.membrane, grads[0], grads[1]].map(t => t.data())
  );
  tf.dispose([x, v0, w, r, out.spikes, out.membrane, ...grads]);

  let spikeMismatches = 0;
  for (let i = 0; i < fwd.spikes.length; i++) if (spikes[i] !== fwd.spikes[i]) spikeMismatches++;
  return {
    spikeMismatches,
    membraneError: relativeMaxError(membrane, fwd.finalMembrane),
    currentGradError: relativeMaxError(dx, ref.dCurrents),
    initialGradError: relativeMaxError(dv0, ref.dInitial),
  };
}

/** The tolerances every backend's LIF must meet against the float64 reference. */
export function expectMatchesReference(e: LifCaseErrors): void {
  expect(e.spikeMismatches).toBe(0);
  expect(e.membraneError).toBeLessThan(1e-5);
  expect(e.currentGradError).toBeLessThan(1e-4);
  expect(e.initialGradError).toBeLessThan(1e-4);
}
