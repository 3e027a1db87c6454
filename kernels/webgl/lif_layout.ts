import {env, TensorInfo} from '@tensorflow/tfjs-core';

import {LifDims} from '../lif_dims';
import {PARAMETER_INPUTS, SPIKE_GLSL, SpikesProgram} from './lif_gpu';
import {PackedProgram, reshape, WebGLBackendLike} from './webgl_backend';

/**
 * Between the trains' own layout and the LIF programs'.
 *
 * The LIF programs read and write `[batch, time, features]`, packed: a texel holds 2 steps × 2 neurons. A
 * train of rank 4 or more, `[batch, time, ..., rows, channels]`, is packed over its last two axes: a texel
 * holds 2 rows × 2 channels of one step. tfjs's Reshape between the two is a generic program (4 texture
 * fetches per texel, each behind a 5- or 6-d index calculation) that costs about as much as a LIF program.
 * Where the channels are even, a neuron pair (n, n + 1) lies in one texel of either layout, so each texel of
 * one layout is two fetches of the other: the programs below. The train is viewed as
 * `[batch, time, rows·…, channels]`, which tfjs reshapes for free when rank is 4 or the second-to-last feature
 * axis is even (both keep the last two axes' packing).
 */
export function channelLayout(shape: readonly number[]): {rows: number; channels: number} | null {
  if (shape.length < 4 || !env().getBool('WEBGL_PACK')) return null;
  const features = shape.slice(2);
  const channels = features[features.length - 1];
  const rows = features.slice(0, -1).reduce((a, b) => a * b, 1);
  const secondToLast = features[features.length - 2];
  if (channels % 2 !== 0 || (shape.length > 4 && secondToLast % 2 !== 0)) return null;
  return {rows, channels};
}

/** `[batch, time, rows, channels]` (a texel: 2 rows × 2 channels of a step) to `[batch, time, features]`. */
export class StepPairsProgram extends PackedProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  customUniforms = [];

  constructor({batch, time, features}: LifDims, channels: number) {
    super();
    this.outputShape = [batch, time, features];
    this.userCode = `
      void main() {
        ivec3 c = getOutputCoords();
        int row = c.z / ${channels};
        int channel = c.z - row * ${channels};
        vec4 first = getX(c.x, c.y, row, channel);
        vec4 second = c.y + 1 < ${time} ? getX(c.x, c.y + 1, row, channel) : vec4(0.0);
        setOutput(imod(row, 2) == 0 ? vec4(first.xy, second.xy) : vec4(first.zw, second.zw));
      }`;
  }
}

/**
 * `[batch, time, features]` back to `[batch, time, rows, channels]`; with `spikes`, a membrane trace to its
 * spikes S = H(U − θ) on the way (inputs: the trace and NeuronsProgram's parameters).
 */
export class ChannelPairsProgram extends PackedProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms = [];

  constructor({batch, time}: LifDims, rows: number, channels: number, spikes = false) {
    super();
    this.variableNames = spikes ? ['x', ...PARAMETER_INPUTS] : ['x'];
    this.outputShape = [batch, time, rows, channels];
    const value = spikes
      ? `vec2 valueOf(vec2 u, int n) {
          vec2 th = getNeurons(0, n).zw;
          return vec2(spikeOf(u.x, th.x), spikeOf(u.y, th.y));
        }`
      : 'vec2 valueOf(vec2 x, int n) { return x; }';
    this.userCode = `
      ${spikes ? SPIKE_GLSL : ''}
      ${value}

      void main() {
        ivec4 c = getOutputCoords();
        int n = c.z * ${channels} + c.w;
        bool even = imod(c.y, 2) == 0;
        vec4 first = getX(c.x, c.y, n);
        vec2 firstRow = valueOf(even ? first.xy : first.zw, n);
        vec2 secondRow = vec2(0.0);
        if (c.z + 1 < ${rows}) {
          vec4 second = getX(c.x, c.y, n + ${channels});
          secondRow = valueOf(even ? second.xy : second.zw, n + ${channels});
        }
        setOutput(vec4(firstRow, secondRow));
      }`;
  }
}

/**
 * A train `[batch, time, ...features]` as `[batch, time, features]` (owned by the caller): two fetches a texel
 * where its values are a packed texture in the channel layout, tfjs's Reshape otherwise (free for values not
 * yet on the GPU, unpacked textures and textures already packed as `[batch, time, features]`).
 */
export function toStepPairs(gl: WebGLBackendLike, x: TensorInfo, dims: LifDims): TensorInfo {
  const data = gl.texData.get(x.dataId);
  const packedAs = data.shape;
  const sameTrain = packedAs.length >= 4 && packedAs[0] === dims.batch && packedAs[1] === dims.time;
  const layout = sameTrain ? channelLayout(packedAs) : null;
  if (layout == null || !data.isPacked || data.texture == null) {
    return reshape(gl, x, [dims.batch, dims.time, dims.features]);
  }
  const view = reshape(gl, x, [dims.batch, dims.time, layout.rows, layout.channels]);
  const result = gl.runWebGLProgram(new StepPairsProgram(dims, layout.channels), [view], x.dtype);
  gl.disposeIntermediateTensorInfo(view);
  return result;
}

/** A `[batch, time, features]` result as a train of `shape` (owned by the caller). */
export function fromStepPairs(gl: WebGLBackendLike, y: TensorInfo, dims: LifDims, shape: number[]): TensorInfo {
  const layout = channelLayout(shape);
  if (layout == null) return reshape(gl, y, shape);
  const view = gl.runWebGLProgram(new ChannelPairsProgram(dims, layout.rows, layout.channels), [y], y.dtype);
  const result = reshape(gl, view, shape);
  gl.disposeIntermediateTensorInfo(view);
  return result;
}

/**
 * The spikes of a membrane trace `[batch, time, features]` (the LIF programs' layout) as a train of `shape` (owned
 * by the caller): read off the trace in the conversion to the channel layout where there is one, else in one
 * elementwise program.
 */
export function spikesOfTrace(
  gl: WebGLBackendLike,
  trace: TensorInfo,
  neurons: TensorInfo,
  dims: LifDims,
  shape: number[]
): TensorInfo {
  const layout = channelLayout(shape);
  const program =
    layout == null ? new SpikesProgram(dims) : new ChannelPairsProgram(dims, layout.rows, layout.channels, true);
  const spikes = gl.runWebGLProgram(program, [trace, neurons], trace.dtype);
  const result = reshape(gl, spikes, shape);
  gl.disposeIntermediateTensorInfo(spikes);
  return result;
}
