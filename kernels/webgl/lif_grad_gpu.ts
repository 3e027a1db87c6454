import {LifDims} from '../lif_dims';
import {LifAttrs, SurrogateName} from '../lif_attrs';
import {blockCount, blockSize, PARAMETER_INPUTS, scanGlsl} from './lif_gpu';
import {PackedProgram} from './webgl_backend';

/**
 * dS/dU of each built-in surrogate in GLSL, at the membrane `u`, the neuron's threshold `th` and its inverse
 * `inverseTh` (1/θ, taken once per thread: a division is among the slowest instructions under SwiftShader). Typed
 * by SurrogateName: a surrogate added to lif_attrs.ts does not compile until it has a formula here.
 */
const SURROGATE_GLSL: Readonly<Record<SurrogateName, string>> = {
  triangle: 'alpha * max(0.0, 1.0 - abs(u * inverseTh - 1.0)) * inverseTh',
  fastSigmoid: '1.0 / ((1.0 + alpha * abs(u - th)) * (1.0 + alpha * abs(u - th)))',
  sigmoid: 'alpha * sigmoidOf(alpha * (u - th)) * (1.0 - sigmoidOf(alpha * (u - th)))',
  arctan: '(alpha / 2.0) / (1.0 + (1.5707963267948966 * alpha * (u - th)) * (1.5707963267948966 * alpha * (u - th)))',
};

/** `alpha` and `vReset` are uniforms: new values reuse the compiled shaders. */
const GRAD_UNIFORMS = [
  {name: 'alpha', type: 'float' as const},
  {name: 'vReset', type: 'float' as const},
];

/**
 * GLSL for one backward step of one neuron (two with the …2 forms), from the membrane U, the
 * neuron's threshold, the spike gradient dS and the adjoint a = dL/dV arriving from the next step
 * (docs/lif.md: g = dS + a·∂V/∂S, b = g·σ'(U) + a·∂V/∂U). NaN membranes give NaN slopes.
 */
function stepGradGlsl(attrs: LifAttrs): string {
  const resetGrad = !attrs.detachReset && attrs.resetMode !== 'none';
  const dVdU = attrs.resetMode === 'zero' ? '(fires(u, th) ? 0.0 : 1.0)' : '1.0';
  const dVdS = !resetGrad ? '0.0' : attrs.resetMode === 'subtract' ? '-th' : '(vReset - u)';
  // θ in the subtract reset is never detached: ∂V/∂θ = −S.
  const explicitThreshold = attrs.resetMode === 'subtract' ? ' - adjoint * spikeOf(u, th)' : '';
  return `
      ${scanGlsl(attrs.resetMode)}
      float sigmoidOf(float x) { return 1.0 / (1.0 + exp(-x)); }

      // 1/θ of the texel's two neurons, set with β and θ by loadGradNeurons.
      vec2 inverseThreshold2;
      void loadGradNeurons(int n) {
        loadNeurons(n);
        inverseThreshold2 = 1.0 / threshold2;
      }

      float slopeAt(float u, float th, float inverseTh) {
        if (isnan(u)) return NAN;
        return ${SURROGATE_GLSL[attrs.surrogate]};
      }

      // dL/dS_t in all: the direct gradient plus the reset's (0 when detached).
      float spikeGrad(float u, float th, float dSpike, float adjoint) { return dSpike + adjoint * ${dVdS}; }

      // b_t = dL/dU_t = dL/dI_t.
      float stepGrad(float u, float th, float inverseTh, float dSpike, float adjoint) {
        return spikeGrad(u, th, dSpike, adjoint) * slopeAt(u, th, inverseTh) + adjoint * ${dVdU};
      }

      // Step t's term of dL/dθ from b_t: the spike's part g_t·σ'(U_t) is b_t − a·∂V/∂U, so no surrogate again.
      float thresholdGrad(float u, float th, float grad, float adjoint) {
        return -(grad - adjoint * ${dVdU})${explicitThreshold};
      }

      vec2 stepGrad2(vec2 u, vec2 dSpike, vec2 adjoint) {
        return vec2(
          stepGrad(u.x, threshold2.x, inverseThreshold2.x, dSpike.x, adjoint.x),
          stepGrad(u.y, threshold2.y, inverseThreshold2.y, dSpike.y, adjoint.y));
      }

      vec2 thresholdGrad2(vec2 u, vec2 grad, vec2 adjoint) {
        return vec2(
          thresholdGrad(u.x, threshold2.x, grad.x, adjoint.x),
          thresholdGrad(u.y, threshold2.y, grad.y, adjoint.y));
      }`;
}

/** The adjoint dL/dV arriving at the last step of each block: [batch, blocks, features]. */
export class AdjointCheckpointProgram extends PackedProgram {
  variableNames = ['trace', 'dSpikes', 'dMembrane', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = GRAD_UNIFORMS;

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    super();
    const K = blockSize(time);
    const lastPair = time - 1 - ((time - 1) % 2);
    this.outputShape = [batch, blockCount(time), features];
    this.userCode = `
      ${stepGradGlsl(attrs)}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int n = c.z;
        loadGradNeurons(n);
        int firstEnd = min((c.y + 1) * ${K}, ${time}) - 1;
        int secondEnd = min((c.y + 2) * ${K}, ${time}) - 1;
        vec2 adjoint = rowOf(getDMembrane(b, n), b);
        vec2 atFirst = adjoint;
        vec2 atSecond = adjoint;
        for (int i = 0; i <= ${lastPair}; i += 2) {
          int k = ${lastPair} - i;
          vec4 u = getTrace(b, k, n);
          vec4 dS = getDSpikes(b, k, n);
          // The pair's second step (absent only at the end of an odd T), then its first.
          if (k + 1 < ${time}) {
            if (k + 1 == secondEnd) atSecond = adjoint;
            if (k + 1 == firstEnd) { atFirst = adjoint; break; }
            adjoint = leak2 * stepGrad2(u.zw, dS.zw, adjoint);
          }
          if (k == secondEnd) atSecond = adjoint;
          if (k == firstEnd) { atFirst = adjoint; break; }
          adjoint = leak2 * stepGrad2(u.xy, dS.xy, adjoint);
        }
        setOutput(vec4(atFirst, atSecond));
      }`;
  }
}

/** dL/dI for every (b, t, n), walking back at most K steps from its block's end. */
export class LifGradProgram extends PackedProgram {
  variableNames = ['trace', 'dSpikes', 'adjoints', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = GRAD_UNIFORMS;

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    super();
    const K = blockSize(time);
    this.outputShape = [batch, time, features];
    this.userCode = `
      ${stepGradGlsl(attrs)}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int t = c.y; int n = c.z;
        loadGradNeurons(n);
        int block = t / ${K};
        int end = min((block + 1) * ${K}, ${time}) - 1;
        vec2 adjoint = rowOf(getAdjoints(b, block, n), block);
        vec2 grad1 = vec2(0.0);
        // The block's last pair first (t is even and at most end, so never past it): its second step only where
        // the block does not end on the pair's first step; then whole pairs down to t's.
        int last = end - imod(end, 2);
        vec4 u = getTrace(b, last, n);
        vec4 dS = getDSpikes(b, last, n);
        if (last < end) {
          grad1 = stepGrad2(u.zw, dS.zw, adjoint);
          adjoint = leak2 * grad1;
        }
        vec2 grad0 = stepGrad2(u.xy, dS.xy, adjoint);
        adjoint = leak2 * grad0;
        for (int i = 2; i < ${K}; i += 2) {
          int k = last - i;
          if (k < t) break;
          u = getTrace(b, k, n);
          dS = getDSpikes(b, k, n);
          grad1 = stepGrad2(u.zw, dS.zw, adjoint);
          adjoint = leak2 * grad1;
          grad0 = stepGrad2(u.xy, dS.xy, adjoint);
          adjoint = leak2 * grad0;
        }
        setOutput(vec4(grad0, grad1));
      }`;
  }
}

/** dL/dV_0 = leak · dL/dI_0: [batch, features], a texel holds 2 samples × 2 neurons. */
export class InitialMembraneGradProgram extends PackedProgram {
  variableNames = ['dCurrents', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = [];

  constructor({batch, features}: LifDims) {
    super();
    this.outputShape = [batch, features];
    this.userCode = `
      void main() {
        ivec2 c = getOutputCoords();
        vec2 leak2 = getNeurons(0, c.y).xy;
        vec2 first = getDCurrents(c.x, 0, c.y).xy;
        vec2 second = c.x + 1 < ${batch} ? getDCurrents(c.x + 1, 0, c.y).xy : vec2(0.0);
        setOutput(vec4(leak2 * first, leak2 * second));
      }`;
  }
}

/**
 * Each sample's share of dL/dβ and dL/dθ, summed over time: [batch, 2, features], a texel holds
 * (dβ, dθ) × 2 neurons of one sample. Every step's terms are local once dL/dI is known:
 * a_t = β·b_{t+1} (a_T = dMembrane), dβ += b_t·V_{t−1}, dθ += −g_t·σ'(U_t) − [subtract]·a_t·S_t,
 * with V_{t−1} the reset of U_{t−1} (V_0 the initial membrane) and g_t·σ'(U_t) = b_t − a_t·∂V/∂U.
 */
export class ParameterGradPartialsProgram extends PackedProgram {
  variableNames = ['trace', 'dCurrents', 'dMembrane', 'initialMembrane', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = GRAD_UNIFORMS;

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    super();
    this.outputShape = [batch, 2, features];
    this.userCode = `
      ${stepGradGlsl(attrs)}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int n = c.z;
        loadNeurons(n);
        vec2 lastAdjoint = rowOf(getDMembrane(b, n), b);
        vec2 previous = rowOf(getInitialMembrane(b, n), b);
        vec2 leakGrad = vec2(0.0);
        vec2 thresholdGrad = vec2(0.0);
        vec4 dI = getDCurrents(b, 0, n);
        for (int k = 0; k < ${time}; k += 2) {
          vec4 u = getTrace(b, k, n);
          vec4 dINext = k + 2 < ${time} ? getDCurrents(b, k + 2, n) : vec4(0.0);
          vec2 adjoint = k + 1 < ${time} ? leak2 * dI.zw : lastAdjoint;
          leakGrad += dI.xy * previous;
          thresholdGrad += thresholdGrad2(u.xy, dI.xy, adjoint);
          previous = reset2(u.xy);
          if (k + 1 < ${time}) {
            adjoint = k + 2 < ${time} ? leak2 * dINext.xy : lastAdjoint;
            leakGrad += dI.zw * previous;
            thresholdGrad += thresholdGrad2(u.zw, dI.zw, adjoint);
            previous = reset2(u.zw);
          }
          dI = dINext;
        }
        setOutput(vec4(leakGrad, thresholdGrad));
      }`;
  }
}

export type ParameterName = 'leak' | 'threshold';

/** One parameter's gradient [features]: the partials of ParameterGradPartialsProgram summed over the batch. */
export class ParameterGradSumProgram extends PackedProgram {
  variableNames = ['partials'];
  outputShape: number[];
  userCode: string;
  customUniforms = [];

  constructor({batch, features}: LifDims, parameter: ParameterName) {
    super();
    this.outputShape = [features];
    const half = parameter === 'leak' ? 'xy' : 'zw';
    this.userCode = `
      void main() {
        int n = getOutputCoords();
        vec2 sum = vec2(0.0);
        for (int b = 0; b < ${batch}; b++) sum += getPartials(b, 0, n).${half};
        setOutput(vec4(sum, 0.0, 0.0));
      }`;
  }
}
