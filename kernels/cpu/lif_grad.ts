import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {LIF_GRAD, LifAttrs, SURROGATE_SCALARS} from '../lif_attrs';
import {LifDims, lifDims} from '../lif_dims';
import {cpuIO} from './cpu_backend';
import {LifParams, scanRow} from './lif_scan';
import {lifGradOn, lifProgramAttrs} from '../wasm/simd/lif_program';
import {runOnScratch, simdKernelsAvailable} from '../wasm/simd/simd_runtime';

/**
 * BPTT through the whole train. The membrane trace U_t is recomputed per
 * batch row from the currents, so no trace tensor outlives the forward pass.
 *
 * With a_t = dL/dV_t (a_T = dMembrane), going backwards (docs/lif.md):
 *   g_t = dS_t + [!detach]·a_t·∂V/∂S,  b_t = g_t·σ'(U_t) + a_t·∂V/∂U,  dI_t = b_t,  a_{t−1} = β·b_t,
 *   dβ += b_t·V_{t−1},  dθ += −g_t·σ'(U_t) − [subtract]·a_t·S_t
 * and dV_0 = a_0; dβ and dθ per feature, summed over batch and time.
 */
/** The inputs of the LIF gradient, as float32 arrays. */
export interface LifGradInputs extends LifParams {
  currents: Float32Array;
  initialMembrane: Float32Array;
  dSpikes: Float32Array;
  dMembrane: Float32Array;
}

/** The arrays the LIF gradient writes: dL/dI for every current, dL/dV_0 per row, dL/dβ and dL/dθ per feature. */
export interface LifGradOutputs {
  dCurrents: Float32Array;
  dInitialMembrane: Float32Array;
  dLeak: Float32Array;
  dThreshold: Float32Array;
}

export function lifGradInto(inputs: LifGradInputs, dims: LifDims, lifAttrs: LifAttrs, out: LifGradOutputs): void {
  const {batch, time, features} = dims;
  const {currents, dSpikes, leak, threshold, initialMembrane} = inputs;
  const {dCurrents} = out;
  const membrane = Float32Array.from(initialMembrane);
  const adjoint = Float64Array.from(inputs.dMembrane);
  const dLeak = new Float64Array(features);
  const dThreshold = new Float64Array(features);
  const trace = new Float32Array(time * features);

  const surrogate = SURROGATE_SCALARS[lifAttrs.surrogate];
  const alpha = lifAttrs.alpha;
  const mode = lifAttrs.resetMode;
  const subtract = mode === 'subtract';
  const zero = mode === 'zero';
  const resetGrad = !lifAttrs.detachReset && mode !== 'none';
  const vReset = Math.fround(lifAttrs.vReset);

  for (let b = 0; b < batch; b++) {
    const row = membrane.subarray(b * features, (b + 1) * features);
    const rowOffset = b * time * features;
    scanRow(currents, rowOffset, time, row, inputs, lifAttrs, trace, null);
    for (let t = time - 1; t >= 0; t--) {
      const stepOffset = rowOffset + t * features;
      for (let n = 0; n < features; n++) {
        const th = threshold[n];
        const u = trace[t * features + n];
        const slope = surrogate(u, th, alpha);
        const spiked = u > th;
        // V_{t−1}: V_0, or the previous step's U after its reset (as the forward scan stored it).
        let previous: number;
        if (t === 0) {
          previous = initialMembrane[b * features + n];
        } else {
          const p = trace[(t - 1) * features + n];
          previous = mode !== 'none' && p > th ? (subtract ? Math.fround(p - th) : vReset) : p;
        }
        // ∂V/∂U is 0 only for a zero reset that fired; ∂V/∂S is −θ (subtract) or v_r − U (zero).
        const dVdU = zero && spiked ? 0 : 1;
        const a = adjoint[b * features + n];
        const g = resetGrad ? dSpikes[stepOffset + n] + a * (subtract ? -th : vReset - u) : dSpikes[stepOffset + n];
        const bt = g * slope + a * dVdU;
        dCurrents[stepOffset + n] = bt;
        adjoint[b * features + n] = leak[n] * bt;
        dLeak[n] += bt * previous;
        dThreshold[n] -= subtract && spiked ? g * slope + a : g * slope;
      }
    }
  }
  out.dInitialMembrane.set(adjoint);
  out.dLeak.set(dLeak);
  out.dThreshold.set(dThreshold);
}

export const lifGradCpu: KernelFunc = ({inputs, backend, attrs}) => {
  const io = cpuIO(backend);
  const {dSpikes, dMembrane, currents, initialMembrane, leak, threshold} = inputs as {[name: string]: TensorInfo};
  const arrays = {
    currents: io.read(currents),
    initialMembrane: io.read(initialMembrane),
    dSpikes: io.read(dSpikes),
    dMembrane: io.read(dMembrane),
    leak: io.read(leak),
    threshold: io.read(threshold),
  };
  const dims = lifDims(currents.shape);
  if (simdKernelsAvailable()) {
    // The wasm backend's SIMD program, on a scratch copy.
    const {currents: c, initialMembrane: v0, dSpikes: dS, dMembrane: dV, leak: l, threshold: th} = arrays;
    const programAttrs = lifProgramAttrs(attrs as unknown as LifAttrs, l, th);
    const row = (values: Float32Array) => ({values, length: values.length, perRow: true});
    const param = (values: Float32Array) => ({values, length: values.length, perRow: false});
    const grads = runOnScratch(
      dims.batch,
      [
        row(c),
        row(v0),
        row(dS),
        row(dV),
        param(l),
        param(th),
        {length: c.length, perRow: true},
        {length: v0.length, perRow: true},
        {length: l.length, perRow: false},
        {length: th.length, perRow: false},
      ],
      (memory, addresses, rows) =>
        lifGradOn(memory, programAttrs, dims.time)(...addresses, rows, dims.time, dims.features)
    );
    const shapes = [currents.shape, initialMembrane.shape, leak.shape, threshold.shape];
    return grads.map((values, i) => io.output(shapes[i].slice(), values));
  }
  const out = {
    dCurrents: new Float32Array(arrays.currents.length),
    dInitialMembrane: new Float32Array(arrays.initialMembrane.length),
    dLeak: new Float32Array(arrays.leak.length),
    dThreshold: new Float32Array(arrays.threshold.length),
  };
  lifGradInto(arrays, dims, attrs as unknown as LifAttrs, out);
  return [
    io.output(currents.shape.slice(), out.dCurrents),
    io.output(initialMembrane.shape.slice(), out.dInitialMembrane),
    io.output(leak.shape.slice(), out.dLeak),
    io.output(threshold.shape.slice(), out.dThreshold),
  ];
};
export const lifGradCpuConfig: KernelConfig = {kernelName: LIF_GRAD, backendName: 'cpu', kernelFunc: lifGradCpu};
