/** The LIF kernel contract (SnnLif, SnnLifGrad) checked directly, without the op; shared by the browser suites. */
import * as tf from '@tensorflow/tfjs-core';

import {LIF, LIF_GRAD} from '../../kernels/lif_attrs';
import {LifCase} from '../reference/lif_cases';
import {
  makeInputs,
  paramAt,
  randomArray,
  RefParam,
  refBackward,
  refForward,
  relativeMaxError,
} from '../reference/lif_reference';

/**
 * The kernel contract itself, without the op: SnnLif and SnnLifGrad called through engine().runKernel with
 * one leak and one threshold per neuron ([N]), every output (dLeak, dThreshold per neuron, summed over batch
 * and time) against the float64 reference.
 */
export async function kernelErrors(c: LifCase): Promise<number[]> {
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
  // A third output (webgl: the membrane trace) goes to the backward kernel as `trace`; it is checked both with
  // it and without it (recomputed).
  expect(outputs.length === 2 || (outputs.length === 3 && outputs[2].size === currents.length)).toBe(true);
  const dSpikes = tf.tensor(spikeWeights, forwardInputs.currents.shape);
  const dMembrane = tf.tensor(membraneWeights, forwardInputs.initialMembrane.shape);
  const gradInputs: Array<{[name: string]: tf.Tensor}> = [{dSpikes, dMembrane, ...forwardInputs}];
  if (outputs.length === 3) gradInputs.push({...gradInputs[0], trace: outputs[2]});
  const gradErrors: number[] = [];
  for (const inputs of gradInputs) {
    const grads = tf.engine().runKernel(LIF_GRAD, inputs, attrs) as tf.Tensor[];
    expect(grads.map(g => g.shape)).toEqual([
      forwardInputs.currents.shape,
      forwardInputs.initialMembrane.shape,
      [N],
      [N],
    ]);
    const [dCurrents, dInitial, dLeak, dThreshold] = await Promise.all(grads.map(t => t.data()));
    tf.dispose(grads);
    gradErrors.push(
      relativeMaxError(dCurrents, ref.dCurrents),
      relativeMaxError(dInitial, ref.dInitial),
      relativeMaxError(dLeak, ref.dLeak),
      relativeMaxError(dThreshold, ref.dThreshold)
    );
  }
  const [spikes, membrane] = await Promise.all(outputs.slice(0, 2).map(t => t.data()));
  tf.dispose([...Object.values(forwardInputs), dSpikes, dMembrane, ...outputs]);
  let spikeMismatches = 0;
  for (let i = 0; i < fwd.spikes.length; i++) if (spikes[i] !== fwd.spikes[i]) spikeMismatches++;
  return [spikeMismatches, relativeMaxError(membrane, fwd.finalMembrane), ...gradErrors];
}

export function expectKernelMatches(errors: number[]): void {
  const [spikeMismatches, membrane, ...gradients] = errors;
  expect(spikeMismatches).toBe(0);
  expect(membrane).toBeLessThan(1e-5);
  // dCurrents, dInitialMembrane, dLeak, dThreshold (twice where the forward kernel returns the trace)
  for (const error of gradients) expect(error).toBeLessThan(1e-4);
}
