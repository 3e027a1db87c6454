import {LifDims} from '../lif_dims';
import {LifAttrs, SurrogateName} from '../lif_attrs';
import {blockCount, blockSize, scanGlsl} from './lif_gpu';
import {PackedProgram} from './webgl_backend';

/** dS/dU of each built-in surrogate in GLSL. */
const SURROGATE_GLSL: Record<SurrogateName, string> = {
  triangle: 'alpha * max(0.0, 1.0 - abs(u / threshold - 1.0)) / threshold',
  fastSigmoid: '1.0 / ((1.0 + alpha * abs(u - threshold)) * (1.0 + alpha * abs(u - threshold)))',
  sigmoid: 'alpha * sigmoidOf(alpha * (u - threshold)) * (1.0 - sigmoidOf(alpha * (u - threshold)))',
  arctan:
    '(alpha / 2.0) / (1.0 + (1.5707963267948966 * alpha * (u - threshold)) * (1.5707963267948966 * alpha * (u - threshold)))',
};

const GRAD_UNIFORMS = [
  {name: 'leak', type: 'float' as const},
  {name: 'threshold', type: 'float' as const},
  {name: 'alpha', type: 'float' as const},
];

/**
 * GLSL for one backward step of two neurons: dL/dI from the membrane U, the
 * spike gradient and the adjoint dL/dV arriving from the next step (see
 * cpu/lif_grad.ts for the recurrence). NaN membranes give NaN slopes.
 */
function stepGradGlsl(attrs: LifAttrs): string {
  const resetGrad = !attrs.detachReset && attrs.resetMode !== 'none';
  const dVdU = attrs.resetMode === 'zero' ? '(fires(u) ? 0.0 : 1.0)' : '1.0';
  const dVdS = !resetGrad ? '0.0' : attrs.resetMode === 'subtract' ? '-threshold' : '-u';
  return `
      ${scanGlsl(attrs.resetMode)}
      float sigmoidOf(float x) { return 1.0 / (1.0 + exp(-x)); }

      float slopeAt(float u) {
        if (isnan(u)) return NAN;
        return ${SURROGATE_GLSL[attrs.surrogate]};
      }

      float stepGrad(float u, float dSpike, float adjoint) {
        float slope = slopeAt(u);
        return dSpike * slope + adjoint * (${dVdU} + ${dVdS} * slope);
      }

      vec2 stepGrad2(vec2 u, vec2 dSpike, vec2 adjoint) {
        return vec2(stepGrad(u.x, dSpike.x, adjoint.x), stepGrad(u.y, dSpike.y, adjoint.y));
      }`;
}

/** The adjoint dL/dV arriving at the last step of each block: [batch, blocks, features]. */
export class AdjointCheckpointProgram extends PackedProgram {
  variableNames = ['trace', 'dSpikes', 'dMembrane'];
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
        int firstEnd = min((c.y + 1) * ${K}, ${time}) - 1;
        int secondEnd = min((c.y + 2) * ${K}, ${time}) - 1;
        vec2 adjoint = rowOf(getDMembrane(b, n), b);
        vec2 atFirst = adjoint;
        vec2 atSecond = adjoint;
        bool done = false;
        for (int i = 0; i <= ${lastPair}; i += 2) {
          int k = ${lastPair} - i;
          if (done) break;
          vec4 u = getTrace(b, k, n);
          vec4 dS = getDSpikes(b, k, n);
          for (int h = 1; h >= 0; h--) {
            int s = k + h;
            if (s >= ${time}) continue;
            if (s == secondEnd) atSecond = adjoint;
            if (s == firstEnd) { atFirst = adjoint; done = true; break; }
            adjoint = leak * stepGrad2(h == 1 ? u.zw : u.xy, h == 1 ? dS.zw : dS.xy, adjoint);
          }
        }
        setOutput(vec4(atFirst, atSecond));
      }`;
  }
}

/** dL/dI for every (b, t, n), walking back at most K steps from its block's end. */
export class LifGradProgram extends PackedProgram {
  variableNames = ['trace', 'dSpikes', 'adjoints'];
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
        int block = t / ${K};
        int end = min((block + 1) * ${K}, ${time}) - 1;
        vec2 adjoint = rowOf(getAdjoints(b, block, n), block);
        vec2 grad0 = vec2(0.0);
        vec2 grad1 = vec2(0.0);
        for (int i = 0; i < ${K}; i += 2) {
          int k = end - imod(end, 2) - i;
          if (k < t) break;
          vec4 u = getTrace(b, k, n);
          vec4 dS = getDSpikes(b, k, n);
          if (k + 1 <= end) {
            grad1 = stepGrad2(u.zw, dS.zw, adjoint);
            adjoint = leak * grad1;
          }
          grad0 = stepGrad2(u.xy, dS.xy, adjoint);
          adjoint = leak * grad0;
        }
        setOutput(vec4(grad0, grad1));
      }`;
  }
}

/** dL/dV_0 = leak · dL/dI_0: [batch, features], a texel holds 2 samples × 2 neurons. */
export class InitialMembraneGradProgram extends PackedProgram {
  variableNames = ['dCurrents'];
  outputShape: number[];
  userCode: string;
  customUniforms = [{name: 'leak', type: 'float' as const}];

  constructor({batch, features}: LifDims) {
    super();
    this.outputShape = [batch, features];
    this.userCode = `
      void main() {
        ivec2 c = getOutputCoords();
        vec2 first = getDCurrents(c.x, 0, c.y).xy;
        vec2 second = c.x + 1 < ${batch} ? getDCurrents(c.x + 1, 0, c.y).xy : vec2(0.0);
        setOutput(leak * vec4(first, second));
      }`;
  }
}
