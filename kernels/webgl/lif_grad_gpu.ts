import {LifDims} from '../lif_dims';
import {LifAttrs, SurrogateName} from '../lif_attrs';
import {blockCount, blockSize, FIRES_GLSL} from './lif_gpu';
import {WebGLProgram} from './webgl_backend';

/** dS/dU of each built-in surrogate in GLSL; NaN membranes give NaN slopes. */
const SURROGATE_GLSL: Record<SurrogateName, string> = {
  triangle: 'alpha * max(0.0, 1.0 - abs(u / threshold - 1.0)) / threshold',
  fastSigmoid: '1.0 / ((1.0 + alpha * abs(u - threshold)) * (1.0 + alpha * abs(u - threshold)))',
  sigmoid: 'alpha * sigmoidOf(alpha * (u - threshold)) * (1.0 - sigmoidOf(alpha * (u - threshold)))',
  arctan: '(alpha / 2.0) / (1.0 + (1.5707963267948966 * alpha * (u - threshold)) * (1.5707963267948966 * alpha * (u - threshold)))',
};

const GRAD_UNIFORMS = [
  {name: 'leak', type: 'float' as const},
  {name: 'threshold', type: 'float' as const},
  {name: 'alpha', type: 'float' as const},
];

/**
 * GLSL for one backward step k of neuron (b, n): dL/dI_k from the adjoint
 * dL/dV_k arriving from step k + 1 (see cpu/lif_grad.ts for the recurrence),
 * and the last step of a block (blocks as in lif_gpu.ts).
 */
function stepGradGlsl(attrs: LifAttrs, time: number): string {
  const resetGrad = !attrs.detachReset && attrs.resetMode !== 'none';
  const dVdU = attrs.resetMode === 'zero' ? '(fires(u) ? 0.0 : 1.0)' : '1.0';
  const dVdS = !resetGrad ? '0.0' : attrs.resetMode === 'subtract' ? '-threshold' : '-u';
  return `
      ${FIRES_GLSL}
      float sigmoidOf(float x) { return 1.0 / (1.0 + exp(-x)); }

      float slopeAt(float u) {
        if (isnan(u)) return NAN;
        return ${SURROGATE_GLSL[attrs.surrogate]};
      }

      float stepGrad(int b, int k, int n, float adjoint) {
        float u = getTrace(b, k, n);
        float slope = slopeAt(u);
        return getDSpikes(b, k, n) * slope + adjoint * (${dVdU} + ${dVdS} * slope);
      }

      int blockEnd(int block) { return min((block + 1) * ${blockSize(time)}, ${time}) - 1; }`;
}

/** The adjoint dL/dV after the last step of each block: [batch, blocks, features]. */
export class AdjointCheckpointProgram implements WebGLProgram {
  variableNames = ['trace', 'dSpikes', 'dMembrane'];
  outputShape: number[];
  userCode: string;
  customUniforms = GRAD_UNIFORMS;

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    this.outputShape = [batch, blockCount(time), features];
    this.userCode = `
      ${stepGradGlsl(attrs, time)}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int end = blockEnd(c.y); int n = c.z;
        float adjoint = getDMembrane(b, n);
        for (int i = 0; i < ${time}; i++) {
          int k = ${time - 1} - i;
          if (k <= end) break;
          adjoint = leak * stepGrad(b, k, n, adjoint);
        }
        setOutput(adjoint);
      }`;
  }
}

/** dL/dI for every (b, t, n), walking back at most K steps from its block's end. */
export class LifGradProgram implements WebGLProgram {
  variableNames = ['trace', 'dSpikes', 'adjoints'];
  outputShape: number[];
  userCode: string;
  customUniforms = GRAD_UNIFORMS;

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    this.outputShape = [batch, time, features];
    const K = blockSize(time);
    this.userCode = `
      ${stepGradGlsl(attrs, time)}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int t = c.y; int n = c.z;
        int block = t / ${K};
        float adjoint = getAdjoints(b, block, n);
        float grad = 0.0;
        for (int i = 0; i < ${K}; i++) {
          int k = blockEnd(block) - i;
          if (k < t) break;
          grad = stepGrad(b, k, n, adjoint);
          adjoint = leak * grad;
        }
        setOutput(grad);
      }`;
  }
}

/** dL/dV_0 = leak · dL/dI_0. */
export class InitialMembraneGradProgram implements WebGLProgram {
  variableNames = ['dCurrents'];
  outputShape: number[];
  userCode = `
    void main() {
      ivec2 c = getOutputCoords();
      setOutput(leak * getDCurrents(c.x, 0, c.y));
    }`;
  customUniforms = [{name: 'leak', type: 'float' as const}];

  constructor({batch, features}: LifDims) {
    this.outputShape = [batch, features];
  }
}
