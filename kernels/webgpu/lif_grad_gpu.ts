import {LifDims} from '../lif_dims';
import {LifAttrs, SurrogateName} from '../lif_attrs';
import {INVOCATION_WGSL, LIF_UNIFORMS, scanWgsl} from './lif_gpu';
import {FlatProgram} from './webgpu_backend';

/**
 * dS/dU of each built-in surrogate in WGSL, at the membrane `u` and the neuron's threshold `th` (`alpha` a
 * uniform). Typed by SurrogateName: a surrogate added to lif_attrs.ts does not compile until it has a formula here.
 */
const SURROGATE_WGSL: Readonly<Record<SurrogateName, string>> = {
  triangle: 'alpha * max(0.0, 1.0 - abs(u / th - 1.0)) / th',
  fastSigmoid: '1.0 / ((1.0 + alpha * abs(u - th)) * (1.0 + alpha * abs(u - th)))',
  sigmoid: 'alpha * sigmoidOf(alpha * (u - th)) * (1.0 - sigmoidOf(alpha * (u - th)))',
  arctan: '(alpha / 2.0) / (1.0 + (1.5707963267948966 * alpha * (u - th)) * (1.5707963267948966 * alpha * (u - th)))',
};

/**
 * WGSL for one backward step of one neuron, from the membrane U, the threshold, the spike gradient dS and the
 * adjoint a = dL/dV arriving from the next step (docs/lif.md: g = dS + a·∂V/∂S, b = g·σ'(U) + a·∂V/∂U,
 * dθ term −g·σ'(U) − [subtract]·a·S). NaN membranes give NaN slopes.
 */
function stepGradWgsl(attrs: LifAttrs): string {
  const resetGrad = !attrs.detachReset && attrs.resetMode !== 'none';
  const dVdU = attrs.resetMode === 'zero' ? 'select(1.0, 0.0, fires(u, th))' : '1.0';
  const dVdS = !resetGrad ? '0.0' : attrs.resetMode === 'subtract' ? '-th' : '(uniforms.vReset - u)';
  // θ in the subtract reset is never detached: ∂V/∂θ = −S.
  const explicitThreshold = attrs.resetMode === 'subtract' ? ' - adjoint * spikeOf(u, th)' : '';
  return `
      ${scanWgsl(attrs.resetMode)}
      fn sigmoidOf(x : f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

      fn slopeAt(u : f32, th : f32) -> f32 {
        if (isnan(u)) { return uniforms.NAN; }
        let alpha = uniforms.alpha;
        return ${SURROGATE_WGSL[attrs.surrogate]};
      }

      // dL/dS_t in all: the direct gradient plus the reset's (0 when detached).
      fn spikeGrad(u : f32, th : f32, dSpike : f32, adjoint : f32) -> f32 { return dSpike + adjoint * ${dVdS}; }

      // b_t = dL/dU_t = dL/dI_t.
      fn stepGrad(u : f32, th : f32, dSpike : f32, adjoint : f32) -> f32 {
        return spikeGrad(u, th, dSpike, adjoint) * slopeAt(u, th) + adjoint * ${dVdU};
      }

      // Step t's term of dL/dθ.
      fn thresholdGrad(u : f32, th : f32, dSpike : f32, adjoint : f32) -> f32 {
        return -spikeGrad(u, th, dSpike, adjoint) * slopeAt(u, th)${explicitThreshold};
      }`;
}

/** Rows after the T rows of dL/dI in {@link LifGradProgram}'s output: dL/dV_0, then each sample's dβ and dθ. */
export const EXTRA_ROWS = {initialMembrane: 0, leak: 1, threshold: 2} as const;
export type ExtraRow = keyof typeof EXTRA_ROWS;

/**
 * BPTT of one neuron of one sample, in one invocation: the forward loop writes U_t into the output's rows, the
 * reverse loop reads each back and overwrites it with dL/dI_t, the adjoint and the parameter sums in registers.
 * Output [batch, time + 3, features]: rows 0..T−1 dL/dI, row T dL/dV_0, rows T+1 and T+2 the sample's dL/dβ and
 * dL/dθ summed over time (dβ += b_t·V_{t−1}, with V_{t−1} the reset of U_{t−1}, V_0 the initial membrane).
 * Inputs {currents, dSpikes [B, T, N], initialMembrane, dMembrane [B, N], leak, threshold [N]}.
 */
export class LifGradProgram extends FlatProgram {
  variableNames = ['currents', 'dSpikes', 'initialMembrane', 'dMembrane', 'leak', 'threshold'];
  shaderKey: string;
  uniforms = LIF_UNIFORMS;
  private readonly attrs: LifAttrs;

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    super([batch, time + 3, features], batch * features);
    this.attrs = attrs;
    this.shaderKey = `snnLifGrad_${attrs.resetMode}_${attrs.surrogate}_${attrs.detachReset}`;
  }

  getUserCode(): string {
    return `
      ${stepGradWgsl(this.attrs)}

      fn main(index : i32) {
        ${INVOCATION_WGSL}
        let T = uniforms.time;
        // The output's rows for this (b, n) are (b, 0..T+2, n): base' = b·(T+3)·N + n.
        let out = base + b * 3 * N;
        let v0 = initialMembrane[index];
        var v = v0;
        for (var t = 0; t < T; t++) {
          let i = base + t * N;
          let u = beta * v + currents[i];
          result[out + t * N] = u;
          v = resetOf(u, th);
        }
        var adjoint = dMembrane[index];
        var dBeta = 0.0;
        var dTheta = 0.0;
        for (var t = T - 1; t >= 0; t--) {
          let o = out + t * N;
          let u = result[o];
          let dSpike = dSpikes[base + t * N];
          let grad = stepGrad(u, th, dSpike, adjoint);
          dTheta += thresholdGrad(u, th, dSpike, adjoint);
          // V_{t−1}: row t − 1 still holds U_{t−1}.
          var previous = v0;
          if (t > 0) { previous = resetOf(result[o - N], th); }
          dBeta += grad * previous;
          result[o] = grad;
          adjoint = beta * grad;
        }
        result[out + T * N] = adjoint;
        result[out + (T + 1) * N] = dBeta;
        result[out + (T + 2) * N] = dTheta;
      }`;
  }
}

/** One row of {@link LifGradProgram}'s extra rows summed over the batch: [features] (dL/dβ or dL/dθ). */
export class ParameterGradSumProgram extends FlatProgram {
  variableNames = ['grads'];
  shaderKey: string;
  uniforms = LIF_UNIFORMS;
  private readonly row: ExtraRow;

  constructor({features}: LifDims, row: ExtraRow) {
    super([features], features);
    this.row = row;
    this.shaderKey = `snnLifGradSum_${row}`;
  }

  getUserCode(): string {
    return `
      fn main(n : i32) {
        let N = uniforms.features;
        if (n >= N) { return; }
        let stride = (uniforms.time + 3) * N;
        var i = (uniforms.time + ${EXTRA_ROWS[this.row]}) * N + n;
        var sum = 0.0;
        for (var b = 0; b < uniforms.batch; b++) {
          sum += grads[i];
          i += stride;
        }
        result[n] = sum;
      }`;
  }
}
