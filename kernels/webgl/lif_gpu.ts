import {TensorInfo} from '@tensorflow/tfjs-core';

import {LifDims} from '../lif_dims';
import {ResetMode} from '../lif_attrs';
import {PackedProgram, WebGLBackendLike, WebGLProgram} from './webgl_backend';

/**
 * How the WebGL kernels cut the work.
 *
 * A fragment shader writes one texel and cannot read what a neighbouring
 * texel computes, so a texel at step t must replay its neuron's recurrence
 * from somewhere earlier. The train is cut into blocks of K ≈ √T steps: one
 * launch stores the membrane at every block start (checkpoints), the next lets
 * every texel replay at most K steps from its block's checkpoint — O(T^1.5)
 * per neuron instead of O(T²).
 *
 * All programs are packed: a texel holds 2 time steps × 2 neurons (tfjs packs
 * the last two axes of [batch, time, features] in 2×2 blocks), so one fetch
 * serves 4 element-steps and no pack/unpack passes are needed when
 * WEBGL_PACK is on. K is even so blocks start on texel boundaries.
 *
 * The leak and threshold of each neuron (inputs of shape [features]) are
 * copied into one packed [2, features] texture (NeuronsProgram), read in one
 * fetch per thread;
 * `vReset` and `alpha` are uniforms, so new values reuse the compiled shader.
 */
export function blockSize(time: number): number {
  return 2 * Math.ceil(Math.sqrt(time) / 2);
}

export function blockCount(time: number): number {
  return Math.ceil(time / blockSize(time));
}

/** The input that holds the neurons' parameters: NeuronsProgram's output. */
export const PARAMETER_INPUTS = ['neurons'];

/**
 * Each neuron's leak and threshold in one packed texture `[2, features]`: a texel holds (β_n, β_n+1, θ_n, θ_n+1),
 * so every LIF program reads both parameters of its two neurons in one fetch (inputs leak and threshold [features]).
 */
export class NeuronsProgram implements WebGLProgram {
  variableNames = ['leak', 'threshold'];
  packedInputs = false;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [];

  constructor(features: number) {
    this.outputShape = [2, features];
    this.userCode = `
      void main() {
        int n = getOutputCoords().y;
        bool second = n + 1 < ${features};
        setOutput(vec4(
          getLeak(n), second ? getLeak(n + 1) : 0.0, getThreshold(n), second ? getThreshold(n + 1) : 0.0));
      }`;
  }
}

/** The spike test S = H(U − θ), spelled out for NaN: GLSL leaves NaN comparisons undefined. */
export const SPIKE_GLSL = `
      bool fires(float u, float th) { return !isnan(u) && u > th; }
      float spikeOf(float u, float th) { return fires(u, th) ? 1.0 : 0.0; }`;

/** NeuronsProgram's `[2, features]` from the kernel's inputs leak and threshold (owned by the caller). */
export function neuronParameters(gl: WebGLBackendLike, inputs: {[name: string]: unknown}): TensorInfo {
  const {leak, threshold} = inputs as {[name: string]: TensorInfo};
  return gl.runWebGLProgram(new NeuronsProgram(leak.shape[0]), [leak, threshold], 'float32');
}

/**
 * GLSL shared by every LIF program: the two neurons' parameters, the spike test
 * and the reset, on one and on two neurons.
 */
export function scanGlsl(resetMode: ResetMode): string {
  const reset = {subtract: 'fires(u, th) ? u - th : u', zero: 'fires(u, th) ? vReset : u', none: 'u'}[resetMode];
  return `
      // β and θ of the texel's two neurons (n, n + 1), set once per thread by loadNeurons.
      vec2 leak2;
      vec2 threshold2;
      void loadNeurons(int n) {
        vec4 parameters = getNeurons(0, n);
        leak2 = parameters.xy;
        threshold2 = parameters.zw;
      }
      ${SPIKE_GLSL}
      float resetOf(float u, float th) { return ${reset}; }
      vec2 reset2(vec2 u) { return vec2(resetOf(u.x, threshold2.x), resetOf(u.y, threshold2.y)); }
      // The half of a packed texel that holds the even or odd row.
      vec2 rowOf(vec4 texel, int row) { return imod(row, 2) == 0 ? texel.xy : texel.zw; }`;
}

/** `vReset` is a uniform: new values reuse the compiled shader. */
export const SCAN_UNIFORMS = [{name: 'vReset', type: 'float' as const}];

/** Forward programs: one step pair (k, k + 1) of two neurons, from a packed currents texel. */
function advanceGlsl(time: number): string {
  return `
      vec2 advancePair(vec2 v, int b, int k, int n) {
        vec4 x = getCurrents(b, k, n);
        v = reset2(leak2 * v + x.xy);
        return k + 1 < ${time} ? reset2(leak2 * v + x.zw) : v;
      }`;
}

/** The membrane before the first step of each block: [batch, blocks, features]. */
export class LifCheckpointProgram extends PackedProgram {
  variableNames = ['currents', 'initialMembrane', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = SCAN_UNIFORMS;

  constructor({batch, time, features}: LifDims, resetMode: ResetMode) {
    super();
    const K = blockSize(time);
    this.outputShape = [batch, blockCount(time), features];
    this.userCode = `
      ${scanGlsl(resetMode)}
      ${advanceGlsl(time)}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int first = c.y * ${K}; int second = first + ${K}; int n = c.z;
        loadNeurons(n);
        vec2 v = rowOf(getInitialMembrane(b, n), b);
        vec2 atFirst = v;
        for (int k = 0; k < ${time}; k += 2) {
          if (k >= second) break;
          if (k == first) atFirst = v;
          v = advancePair(v, b, k, n);
        }
        setOutput(vec4(atFirst, v));
      }`;
  }
}

/**
 * The membrane trace U (before reset): [batch, time, features]. The forward kernel returns it as a third
 * output, which the gradient saves for the backward kernel; the spikes are read off it (SpikesProgram, or
 * the channel-layout conversion with the spike test).
 */
export class LifBlockScanProgram extends PackedProgram {
  variableNames = ['currents', 'checkpoints', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = SCAN_UNIFORMS;

  constructor({batch, time, features}: LifDims, resetMode: ResetMode) {
    super();
    const K = blockSize(time);
    this.outputShape = [batch, time, features];
    this.userCode = `
      ${scanGlsl(resetMode)}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int t = c.y; int n = c.z;
        loadNeurons(n);
        int block = t / ${K};
        vec2 v = rowOf(getCheckpoints(b, block, n), block);
        vec2 u0 = vec2(0.0);
        vec2 u1 = vec2(0.0);
        for (int i = 0; i < ${K}; i += 2) {
          int k = block * ${K} + i;
          if (k > t) break;
          vec4 x = getCurrents(b, k, n);
          u0 = leak2 * v + x.xy;
          v = reset2(u0);
          u1 = leak2 * v + x.zw;
          v = reset2(u1);
        }
        setOutput(vec4(u0, u1));
      }`;
  }
}

/** The spikes S = H(U − θ) of a membrane trace, both [batch, time, features]. */
export class SpikesProgram extends PackedProgram {
  variableNames = ['trace', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = [];

  constructor({batch, time, features}: LifDims) {
    super();
    this.outputShape = [batch, time, features];
    this.userCode = `
      ${SPIKE_GLSL}

      void main() {
        ivec3 c = getOutputCoords();
        vec4 u = getTrace(c.x, c.y, c.z);
        vec2 th = getNeurons(0, c.z).zw;
        setOutput(vec4(spikeOf(u.x, th.x), spikeOf(u.y, th.y), spikeOf(u.z, th.x), spikeOf(u.w, th.y)));
      }`;
  }
}

/**
 * The membrane after the last step, the reset of the trace's last U: [batch, features]; a texel holds 2 samples ×
 * 2 neurons (inputs: the trace and the neurons' parameters). The trace's U is what a replay of the last block from
 * its checkpoint computes, the same operations in the same order.
 */
export class LifFinalMembraneProgram extends PackedProgram {
  variableNames = ['trace', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = SCAN_UNIFORMS;

  constructor({batch, time, features}: LifDims, resetMode: ResetMode) {
    super();
    this.outputShape = [batch, features];
    this.userCode = `
      ${scanGlsl(resetMode)}

      vec2 finalMembrane(int b, int n) { return reset2(rowOf(getTrace(b, ${time - 1}, n), ${time - 1})); }

      void main() {
        ivec2 c = getOutputCoords();
        loadNeurons(c.y);
        vec2 second = c.x + 1 < ${batch} ? finalMembrane(c.x + 1, c.y) : vec2(0.0);
        setOutput(vec4(finalMembrane(c.x, c.y), second));
      }`;
  }
}
