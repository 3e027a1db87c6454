/**
 * The WebGPU programs of the BNTT training kernels (see bntt_attrs.ts for the contract).
 *
 * x is read flat, in memory order, as [outer, R, inner, C]: element i belongs to the parameter k = r·C + c with
 * c = i mod C and r = (i / (inner·C)) mod R. Each statistic reduces N = outer·inner values and there are only R·C
 * of them, so a statistic gets a whole workgroup rather than one invocation: its lanes stride over the N values,
 * each adding up every LANES-th one, then the lanes' partial sums are added in workgroup memory by a tree in a
 * fixed order. The forward's program does this twice, the mean and then Σ(x − mean)² (the variance of the
 * deviations, as the cpu kernel: E[x²] − E[x]² cancels), and the backward's once, Σdy and Σdy·(x − mean) together;
 * then one invocation per element normalises x (or computes dx).
 *
 * The sizes and ε are uniforms, and x is viewed as rank 4 whatever its rank, so new shapes and new ε reuse the
 * compiled pipelines (tfjs keys them on `shaderKey`, the workgroup size, the inputs' ranks and dtypes).
 */
import {TensorInfo} from '@tensorflow/tfjs-core';

import {BnttDims} from '../bntt_attrs';
import {FlatProgram, ProgramUniform, reshape, slice, WebGPUBackendLike, WebGPUProgram} from './webgpu_backend';

/** The uniforms every BNTT program declares, in the order {@link bnttUniforms} gives their values. */
export const BNTT_UNIFORMS = 'outer : i32, rows : i32, inner : i32, channels : i32, epsilon : f32,';

export function bnttUniforms({outer, rows, inner, channels}: BnttDims, epsilon: number): ProgramUniform[] {
  return [
    {type: 'int32', data: [outer]},
    {type: 'int32', data: [rows]},
    {type: 'int32', data: [inner]},
    {type: 'int32', data: [channels]},
    {type: 'float32', data: [epsilon]},
  ];
}

/** x's view for the programs: [outer, R, inner, C]. */
export function viewShape({outer, rows, inner, channels}: BnttDims): number[] {
  return [outer, rows, inner, channels];
}

/** WGSL shared by the BNTT programs: where an element's statistics are, and a statistic's values. */
const LAYOUT_WGSL = `
      fn parameterCount() -> i32 { return uniforms.rows * uniforms.channels; }
      // N, the values each statistic is taken over.
      fn valueCount() -> i32 { return uniforms.outer * uniforms.inner; }
      // The parameter k = r·C + c of element i of x.
      fn parameterOf(i : i32) -> i32 {
        let C = uniforms.channels;
        return ((i / (uniforms.inner * C)) % uniforms.rows) * C + i % C;
      }
      // The index in x of value j (of N) of the parameter (r, c): (o, r, s, c) with j = o·inner + s.
      fn elementOf(j : i32, r : i32, c : i32) -> i32 {
        let o = j / uniforms.inner;
        let s = j - o * uniforms.inner;
        return ((o * uniforms.rows + r) * uniforms.inner + s) * uniforms.channels + c;
      }`;

/** Lanes per statistic: more for long reductions (as tfjs's own reduce programs choose). */
export function reductionLanes(count: number): number {
  return count >= 4096 ? 256 : 64;
}

/**
 * One workgroup per statistic (r, c), writing two sums per statistic: output [2, R, C], row 0 at k and row 1 at
 * R·C + k. Subclasses give main's body, which sees `lane`, `k`, `r`, `c`, `inRange` (false in a workgroup past the
 * last statistic, which a dispatch split past the per-dimension limit can have) and `n` (N, or 0 there), and
 * `workgroupSum`, which every lane must reach (it holds barriers).
 */
export abstract class ParameterSumsProgram implements WebGPUProgram {
  abstract variableNames: string[];
  shaderKey: string;
  outputShape: number[];
  dispatchLayout = {x: [0, 1, 2]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms = BNTT_UNIFORMS;

  protected constructor(dims: BnttDims, name: string) {
    const lanes = reductionLanes(dims.outer * dims.inner);
    this.outputShape = [2, dims.rows, dims.channels];
    this.dispatch = [dims.rows * dims.channels, 1, 1];
    this.workgroupSize = [lanes, 1, 1];
    this.shaderKey = `snnBntt${name}_${lanes}`;
  }

  protected abstract body(): string;

  getUserCode(): string {
    const lanes = this.workgroupSize[0];
    return `
      ${LAYOUT_WGSL}

      var<workgroup> partialSums : array<vec2<f32>, ${lanes}>;

      // The sum of every lane's value, added in a fixed order: a tree over workgroup memory.
      fn workgroupSum(lane : i32, value : vec2<f32>) -> vec2<f32> {
        partialSums[lane] = value;
        workgroupBarrier();
        for (var width = ${lanes / 2}; width > 0; width = width / 2) {
          if (lane < width) { partialSums[lane] = partialSums[lane] + partialSums[lane + width]; }
          workgroupBarrier();
        }
        let total = partialSums[0];
        // Every lane has read the total before a next sum overwrites it.
        workgroupBarrier();
        return total;
      }

      fn main(index : i32) {
        let lane = i32(localIndex);
        let k = index / ${lanes};
        let r = k / uniforms.channels;
        let c = k - r * uniforms.channels;
        let inRange = k < parameterCount();
        let n = select(0, valueCount(), inRange);
        ${this.body()}
      }`;
  }
}

/** The mean and the biased variance of each (r, c): [2, R, C] (row 0 the means). Input {x [outer, R, inner, C]}. */
export class BnttStatisticsProgram extends ParameterSumsProgram {
  variableNames = ['x'];

  constructor(dims: BnttDims) {
    super(dims, 'Statistics');
  }

  protected body(): string {
    const lanes = this.workgroupSize[0];
    return `
        var sum = 0.0;
        for (var j = lane; j < n; j += ${lanes}) { sum += x[elementOf(j, r, c)]; }
        let mu = workgroupSum(lane, vec2<f32>(sum, 0.0)).x / f32(valueCount());
        var squares = 0.0;
        for (var j = lane; j < n; j += ${lanes}) {
          let deviation = x[elementOf(j, r, c)] - mu;
          squares += deviation * deviation;
        }
        let variance = workgroupSum(lane, vec2<f32>(squares, 0.0)).x / f32(valueCount());
        if (lane == 0 && inRange) {
          result[k] = mu;
          result[parameterCount() + k] = variance;
        }`;
  }
}

/** A program with one invocation per element of x's view, which sets `k`, the element's parameter, and returns past the last. */
export abstract class ElementwiseProgram extends FlatProgram {
  uniforms = BNTT_UNIFORMS;

  protected constructor(dims: BnttDims) {
    super(viewShape(dims), dims.outer * dims.rows * dims.inner * dims.channels);
  }

  protected abstract body(): string;

  getUserCode(): string {
    return `
      ${LAYOUT_WGSL}

      fn main(index : i32) {
        if (index >= valueCount() * parameterCount()) { return; }
        let k = parameterOf(index);
        ${this.body()}
      }`;
  }
}

/** y = (x − mean)·gamma/sqrt(variance + ε) + beta. Inputs {x (the view), statistics [2, R, C], gamma, beta [R, C]}. */
export class NormalizeProgram extends ElementwiseProgram {
  variableNames = ['x', 'statistics', 'gamma', 'beta'];
  shaderKey = 'snnBnttNormalize';

  constructor(dims: BnttDims) {
    super(dims);
  }

  protected body(): string {
    return `
        let scale = gamma[k] / sqrt(statistics[parameterCount() + k] + uniforms.epsilon);
        result[index] = (x[index] - statistics[k]) * scale + beta[k];`;
  }
}

/** The two [R, C] rows of a ParameterSumsProgram's output, as new tensors (the caller's). */
export function parameterRows(gpu: WebGPUBackendLike, sums: TensorInfo, dims: BnttDims): [TensorInfo, TensorInfo] {
  const paramShape = [dims.rows, dims.channels];
  const rows = [0, 1].map(row => {
    const part = slice(gpu, sums, [row, 0, 0], [1, ...paramShape]);
    const reshaped = reshape(gpu, part, paramShape);
    gpu.disposeData(part.dataId);
    return reshaped;
  });
  return [rows[0], rows[1]];
}
