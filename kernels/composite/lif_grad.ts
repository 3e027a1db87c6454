import {
  add,
  cast,
  greater,
  KernelFunc,
  logicalNot,
  mul,
  neg,
  reshape,
  sub,
  sum,
  Tensor,
  tidy,
} from '@tensorflow/tfjs-core';

import {LifCompositeAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {resetOf, scanSteps, StepParams} from './lif_step';
import {surrogateOf} from './surrogates';
import {stepsOf, trainOf} from './time_major';

/** V_{t−1} recomputed from U_{t−1} (what the forward scan's reset made of it). */
function previousMembrane(u: Tensor, params: StepParams): Tensor {
  const fired = greater(u, params.threshold);
  return resetOf(u, fired, cast(fired, 'float32'), params);
}

/**
 * BPTT from core ops; the same recurrence as the fused kernels (see cpu/lif_grad.ts and docs/lif.md),
 * with dL/dleak and dL/dthreshold per feature summed over batch and time.
 */
export const lifGradComposite: KernelFunc = ({inputs, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane, leak, threshold} = inputs as {[name: string]: Tensor};
  const lifAttrs = attrs as unknown as LifCompositeAttrs;
  const {resetMode, detachReset, vReset, surrogate, alpha, surrogateFn} = lifAttrs;
  const resetGrad = !detachReset && resetMode !== 'none';
  // A user's surrogate gets the threshold as the op was given it: a number, or a tensor ([features]).
  const surrogateThreshold = lifAttrs.scalarThreshold ?? threshold;
  const {batch, features} = lifDims(currents.shape);
  const state = [batch, features];
  const params: StepParams = {leak, threshold, vReset, mode: resetMode};
  return tidy(() => {
    const initial = reshape(initialMembrane, state);
    // The membrane trace U_1..U_T (before reset), recomputed from the currents.
    const {kept: trace, membrane} = scanSteps(currents, initial, params, 'u');
    membrane.dispose();
    const spikeGrads = stepsOf(dSpikes);
    const currentGrads: Tensor[] = new Array(trace.length);
    const finalGrad = reshape(dMembrane, state);
    let adjoint = finalGrad;
    // Σ_t b_t·V_{t−1} and Σ_t dθ_t, still [batch, features]: summed over the batch once at the end.
    let leakSum: Tensor | null = null;
    let thresholdSum: Tensor | null = null;
    for (let t = trace.length - 1; t >= 0; t--) {
      const previous = adjoint;
      const [bt, next, leakPart, thresholdPart] = tidy(() => {
        const u = trace[t];
        const slope = surrogateOf(u, surrogateThreshold, surrogate, alpha, surrogateFn);
        const fired = greater(u, threshold);
        // g_t = dS_t + [!detach]·a_t·∂V/∂S, with ∂V/∂S = −θ (subtract) or v_r − U_t (zero).
        let g = spikeGrads[t];
        if (resetGrad) g = add(g, mul(previous, resetMode === 'subtract' ? neg(threshold) : sub(vReset, u)));
        const gSlope = mul(g, slope);
        // ∂V/∂U is 0 only for a zero reset that fired.
        const dVdU = resetMode === 'zero' ? mul(previous, cast(logicalNot(fired), 'float32')) : previous;
        const b = add(gSlope, dVdU);
        const before = t === 0 ? initial : previousMembrane(trace[t - 1], params);
        let dTheta = neg(gSlope);
        if (resetMode === 'subtract') dTheta = sub(dTheta, mul(previous, cast(fired, 'float32')));
        const leakStep = mul(b, before);
        return [
          b,
          mul(b, leak),
          leakSum == null ? leakStep : add(leakSum, leakStep),
          thresholdSum == null ? dTheta : add(thresholdSum, dTheta),
        ];
      });
      if (previous !== finalGrad) previous.dispose();
      if (t < trace.length - 1) trace[t + 1].dispose(); // step t needed U_t and U_{t−1}
      spikeGrads[t].dispose();
      leakSum?.dispose();
      thresholdSum?.dispose();
      currentGrads[t] = bt;
      adjoint = next;
      leakSum = leakPart;
      thresholdSum = thresholdPart;
    }
    trace[0]?.dispose();
    return [
      trainOf(currentGrads, currents.shape),
      reshape(adjoint, initialMembrane.shape),
      reshape(sum(leakSum!, 0), leak.shape),
      reshape(sum(thresholdSum!, 0), threshold.shape),
    ];
  }) as Tensor[];
};
