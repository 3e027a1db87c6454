import {LifDims} from '../lif_dims';
import {LifAttrs, SurrogateName} from '../lif_attrs';
import {FIRES_GLSL} from './lif_gpu';
import {WebGLProgram} from './webgl_backend';

/** dS/dU of each built-in surrogate in GLSL; NaN membranes give NaN slopes. */
const SURROGATE_GLSL: Record<SurrogateName, string> = {
  triangle: 'alpha * max(0.0, 1.0 - abs(u / threshold - 1.0)) / threshold',
  fastSigmoid: '1.0 / ((1.0 + alpha * abs(u - threshold)) * (1.0 + alpha * abs(u - threshold)))',
  sigmoid: 'alpha * sigmoidOf(alpha * (u - threshold)) * (1.0 - sigmoidOf(alpha * (u - threshold)))',
  arctan: '(alpha / 2.0) / (1.0 + (1.5707963267948966 * alpha * (u - threshold)) * (1.5707963267948966 * alpha * (u - threshold)))',
};

/**
 * dL/dI for every (b, t, n): walks the neuron's adjoint back from step T−1
 * to t inside the shader, reading the membrane trace U (before reset).
 * See cpu/lif_grad.ts for the recurrence.
 */
export class LifGradProgram implements WebGLProgram {
  variableNames = ['trace', 'dSpikes', 'dMembrane'];
  outputShape: number[];
  userCode: string;
  customUniforms = [
    {name: 'leak', type: 'float' as const},
    {name: 'threshold', type: 'float' as const},
    {name: 'alpha', type: 'float' as const},
  ];

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    this.outputShape = [batch, time, features];
    const resetGrad = !attrs.detachReset && attrs.resetMode !== 'none';
    const dVdU = attrs.resetMode === 'zero' ? '(fires(u) ? 0.0 : 1.0)' : '1.0';
    const dVdS = !resetGrad ? '0.0' : attrs.resetMode === 'subtract' ? '-threshold' : '-u';
    this.userCode = `
      ${FIRES_GLSL}
      float sigmoidOf(float x) { return 1.0 / (1.0 + exp(-x)); }

      float slopeAt(float u) {
        if (isnan(u)) return NAN;
        return ${SURROGATE_GLSL[attrs.surrogate]};
      }

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int t = c.y; int n = c.z;
        float adjoint = getDMembrane(b, n);
        float grad = 0.0;
        for (int j = 0; j < ${time}; j++) {
          int k = ${time - 1} - j;
          if (k < t) break;
          float u = getTrace(b, k, n);
          float slope = slopeAt(u);
          grad = getDSpikes(b, k, n) * slope + adjoint * (${dVdU} + ${dVdS} * slope);
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
