import {LifDims} from '../lif_dims';
import {ResetMode} from '../lif_attrs';
import {WebGLProgram} from './webgl_backend';

/**
 * A fragment shader writes one texel, so a texel at step t cannot take the
 * membrane from the texel at t − 1. Instead the train is cut into blocks of
 * K ≈ √T steps: one launch computes the membrane at every block start (each
 * replays < T steps), and the next lets every texel replay at most K steps
 * from its block's start. Per neuron that is O(T^1.5) work instead of O(T²).
 */
export function blockSize(time: number): number {
  return Math.ceil(Math.sqrt(time));
}

export function blockCount(time: number): number {
  return Math.ceil(time / blockSize(time));
}

/** S = H(U − θ); spelled out for NaN because GLSL leaves NaN comparisons undefined. */
export const FIRES_GLSL = 'bool fires(float u) { return !isnan(u) && u > threshold; }';

const RESET_GLSL: Record<ResetMode, string> = {
  subtract: 'fires(u) ? u - threshold : u',
  zero: 'fires(u) ? 0.0 : u',
  none: 'u',
};

/** `leak` and `threshold` are uniforms: new values reuse the compiled shader. */
const SCAN_UNIFORMS = [
  {name: 'leak', type: 'float' as const},
  {name: 'threshold', type: 'float' as const},
];

/** The membrane V before the first step of each block: [batch, blocks, features]. */
export class LifCheckpointProgram implements WebGLProgram {
  variableNames = ['currents', 'initialMembrane'];
  outputShape: number[];
  userCode: string;
  customUniforms = SCAN_UNIFORMS;

  constructor({batch, time, features}: LifDims, resetMode: ResetMode) {
    this.outputShape = [batch, blockCount(time), features];
    this.userCode = `
      ${FIRES_GLSL}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int start = c.y * ${blockSize(time)}; int n = c.z;
        float v = getInitialMembrane(b, n);
        for (int k = 0; k < ${time}; k++) {
          if (k >= start) break;
          float u = leak * v + getCurrents(b, k, n);
          v = ${RESET_GLSL[resetMode]};
        }
        setOutput(v);
      }`;
  }
}

export type ScanOutput = 'spikes'|'trace'|'finalMembrane';

/**
 * Spikes, the membrane trace U (before reset) or the final membrane, each
 * texel replaying at most K steps from its block's checkpoint.
 */
export class LifBlockScanProgram implements WebGLProgram {
  variableNames = ['currents', 'checkpoints'];
  outputShape: number[];
  userCode: string;
  customUniforms = SCAN_UNIFORMS;

  constructor({batch, time, features}: LifDims, resetMode: ResetMode, output: ScanOutput) {
    const final = output === 'finalMembrane';
    const K = blockSize(time);
    this.outputShape = final ? [batch, features] : [batch, time, features];
    const coords = final ?
        `ivec2 c = getOutputCoords(); int b = c.x; int t = ${time - 1}; int n = c.y;` :
        'ivec3 c = getOutputCoords(); int b = c.x; int t = c.y; int n = c.z;';
    const result = {spikes: 'fires(u) ? 1.0 : 0.0', trace: 'u', finalMembrane: 'v'}[output];
    this.userCode = `
      ${FIRES_GLSL}

      void main() {
        ${coords}
        int block = t / ${K};
        float v = getCheckpoints(b, block, n);
        float u = 0.0;
        for (int i = 0; i < ${K}; i++) {
          int k = block * ${K} + i;
          if (k > t) break;
          u = leak * v + getCurrents(b, k, n);
          v = ${RESET_GLSL[resetMode]};
        }
        setOutput(${result});
      }`;
  }
}
