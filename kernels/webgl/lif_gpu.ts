import {LifDims} from '../lif_dims';
import {ResetMode} from '../lif_attrs';
import {WebGLProgram} from './webgl_backend';

export type ScanOutput = 'spikes'|'trace'|'finalMembrane';

/** S = H(U − θ); spelled out for NaN because GLSL leaves NaN comparisons undefined. */
export const FIRES_GLSL = 'bool fires(float u) { return !isnan(u) && u > threshold; }';

const RESET_GLSL: Record<ResetMode, string> = {
  subtract: 'fires(u) ? u - threshold : u',
  zero: 'fires(u) ? 0.0 : u',
  none: 'u',
};

/**
 * Scans the LIF recurrence inside the shader. Each output texel (b, t, n)
 * replays steps 0..t of its neuron, so the whole train is one launch; with
 * `finalMembrane` the output is [batch, features] and every step is replayed.
 * `leak` and `threshold` are uniforms: new values reuse the compiled shader.
 */
export class LifScanProgram implements WebGLProgram {
  variableNames = ['currents', 'initialMembrane'];
  outputShape: number[];
  userCode: string;
  customUniforms = [
    {name: 'leak', type: 'float' as const},
    {name: 'threshold', type: 'float' as const},
  ];

  constructor({batch, time, features}: LifDims, resetMode: ResetMode, output: ScanOutput) {
    const final = output === 'finalMembrane';
    this.outputShape = final ? [batch, features] : [batch, time, features];
    const coords = final ?
        'ivec2 c = getOutputCoords(); int b = c.x; int t = ' + (time - 1) + '; int n = c.y;' :
        'ivec3 c = getOutputCoords(); int b = c.x; int t = c.y; int n = c.z;';
    const result = {
      spikes: 'fires(u) ? 1.0 : 0.0',
      trace: 'u',
      finalMembrane: 'v',
    }[output];
    this.userCode = `
      ${FIRES_GLSL}

      void main() {
        ${coords}
        float v = getInitialMembrane(b, n);
        float u = 0.0;
        for (int k = 0; k < ${time}; k++) {
          if (k > t) break;
          u = leak * v + getCurrents(b, k, n);
          v = ${RESET_GLSL[resetMode]};
        }
        setOutput(${result});
      }`;
  }
}
