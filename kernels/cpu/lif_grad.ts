import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF_GRAD, LifAttrs, surrogateScalar} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {cpuIO, TypedArrayIO} from './cpu_backend';
import {scanRow} from './lif_scan';

/**
 * BPTT through the whole train. The membrane trace U_t is recomputed per
 * batch row from the currents, so no trace tensor outlives the forward pass.
 *
 * With a_t = dL/dV_t (a_T = dMembrane) and going backwards:
 *   b_t = dS_t·σ'(U_t) + a_t·(∂V/∂U + ∂V/∂S·σ'(U_t)),  dI_t = b_t,  a_{t-1} = leak·b_t
 * and dV_0 = a_0.
 */
export function lifGradLoops(io: TypedArrayIO, inputs: {[name: string]: TensorInfo}, lifAttrs: LifAttrs):
    TensorInfo[] {
  const {dSpikes, dMembrane, currents, initialMembrane} = inputs;
  const {batch, time, features} = lifDims(currents.shape);
  const input = io.read(currents);
  const gradSpikes = io.read(dSpikes);
  const membrane = Float32Array.from(io.read(initialMembrane));
  const adjoint = Float64Array.from(io.read(dMembrane));
  const gradCurrents = new Float32Array(input.length);
  const trace = new Float32Array(time * features);

  const leak = lifAttrs.leak;
  const threshold = Math.fround(lifAttrs.threshold);
  const surrogate = surrogateScalar(lifAttrs.surrogate, lifAttrs.alpha, lifAttrs.threshold);
  const mode = lifAttrs.resetMode;
  const resetGrad = !lifAttrs.detachReset && mode !== 'none';

  for (let b = 0; b < batch; b++) {
    const row = membrane.subarray(b * features, (b + 1) * features);
    const rowOffset = b * time * features;
    scanRow(input, rowOffset, time, row, lifAttrs, trace, null);
    for (let t = time - 1; t >= 0; t--) {
      const stepOffset = rowOffset + t * features;
      for (let n = 0; n < features; n++) {
        const u = trace[t * features + n];
        const slope = surrogate(u);
        const spiked = u > threshold;
        // ∂V/∂U is 0 only for a zero reset that fired; ∂V/∂S is −θ (subtract) or −U (zero).
        const dVdU = (mode === 'zero' && spiked) ? 0 : 1;
        const dVdS = resetGrad ? (mode === 'subtract' ? -threshold : -u) : 0;
        const a = adjoint[b * features + n];
        const bt = gradSpikes[stepOffset + n] * slope + a * (dVdU + dVdS * slope);
        gradCurrents[stepOffset + n] = bt;
        adjoint[b * features + n] = leak * bt;
      }
    }
  }
  return [io.output(currents.shape.slice(), gradCurrents),
          io.output(initialMembrane.shape.slice(), Float32Array.from(adjoint))];
}

export const lifGradCpu: KernelFunc = ({inputs, backend, attrs}) =>
    lifGradLoops(cpuIO(backend), inputs as {[name: string]: TensorInfo}, attrs as unknown as LifAttrs);

export const lifGradCpuConfig: KernelConfig =
    {kernelName: LIF_GRAD, backendName: 'cpu', kernelFunc: lifGradCpu};
