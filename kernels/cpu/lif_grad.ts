import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF_GRAD, LifAttrs, surrogateScalar} from '../lif_attrs';
import {LifDims, lifDims} from '../lif_dims';
import {cpuIO} from './cpu_backend';
import {scanRow} from './lif_scan';

/**
 * BPTT through the whole train. The membrane trace U_t is recomputed per
 * batch row from the currents, so no trace tensor outlives the forward pass.
 *
 * With a_t = dL/dV_t (a_T = dMembrane) and going backwards:
 *   b_t = dS_t·σ'(U_t) + a_t·(∂V/∂U + ∂V/∂S·σ'(U_t)),  dI_t = b_t,  a_{t-1} = leak·b_t
 * and dV_0 = a_0.
 */
/** The inputs of the LIF gradient, as float32 arrays. */
export interface LifGradInputs {
  currents: Float32Array;
  initialMembrane: Float32Array;
  dSpikes: Float32Array;
  dMembrane: Float32Array;
}

/** The arrays the LIF gradient writes: dL/dI for every current, dL/dV_0 per row. */
export interface LifGradOutputs {
  dCurrents: Float32Array;
  dInitialMembrane: Float32Array;
}

export function lifGradInto(inputs: LifGradInputs, dims: LifDims, lifAttrs: LifAttrs, out: LifGradOutputs): void {
  const {batch, time, features} = dims;
  const {currents, dSpikes} = inputs;
  const {dCurrents} = out;
  const membrane = Float32Array.from(inputs.initialMembrane);
  const adjoint = Float64Array.from(inputs.dMembrane);
  const trace = new Float32Array(time * features);

  const leak = lifAttrs.leak;
  const threshold = Math.fround(lifAttrs.threshold);
  const surrogate = surrogateScalar(lifAttrs.surrogate, lifAttrs.alpha, lifAttrs.threshold);
  const mode = lifAttrs.resetMode;
  const resetGrad = !lifAttrs.detachReset && mode !== 'none';

  for (let b = 0; b < batch; b++) {
    const row = membrane.subarray(b * features, (b + 1) * features);
    const rowOffset = b * time * features;
    scanRow(currents, rowOffset, time, row, lifAttrs, trace, null);
    for (let t = time - 1; t >= 0; t--) {
      const stepOffset = rowOffset + t * features;
      for (let n = 0; n < features; n++) {
        const u = trace[t * features + n];
        const slope = surrogate(u);
        const spiked = u > threshold;
        // ∂V/∂U is 0 only for a zero reset that fired; ∂V/∂S is −θ (subtract) or −U (zero).
        const dVdU = mode === 'zero' && spiked ? 0 : 1;
        const dVdS = resetGrad ? (mode === 'subtract' ? -threshold : -u) : 0;
        const a = adjoint[b * features + n];
        const bt = dSpikes[stepOffset + n] * slope + a * (dVdU + dVdS * slope);
        dCurrents[stepOffset + n] = bt;
        adjoint[b * features + n] = leak * bt;
      }
    }
  }
  out.dInitialMembrane.set(adjoint);
}

export const lifGradCpu: KernelFunc = ({inputs, backend, attrs}) => {
  const io = cpuIO(backend);
  const {dSpikes, dMembrane, currents, initialMembrane} = inputs as {[name: string]: TensorInfo};
  const arrays = {
    currents: io.read(currents),
    initialMembrane: io.read(initialMembrane),
    dSpikes: io.read(dSpikes),
    dMembrane: io.read(dMembrane),
  };
  const out = {
    dCurrents: new Float32Array(arrays.currents.length),
    dInitialMembrane: new Float32Array(arrays.initialMembrane.length),
  };
  lifGradInto(arrays, lifDims(currents.shape), attrs as unknown as LifAttrs, out);
  return [
    io.output(currents.shape.slice(), out.dCurrents),
    io.output(initialMembrane.shape.slice(), out.dInitialMembrane),
  ];
};
export const lifGradCpuConfig: KernelConfig = {kernelName: LIF_GRAD, backendName: 'cpu', kernelFunc: lifGradCpu};
