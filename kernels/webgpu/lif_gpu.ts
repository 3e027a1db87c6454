import {LifDims} from '../lif_dims';
import {ResetMode} from '../lif_attrs';
import {FlatProgram, ProgramUniform} from './webgpu_backend';

/**
 * How the WebGPU kernels cut the work.
 *
 * A compute shader invocation can loop as long as it likes and keep what it computed in registers, so each
 * invocation owns one neuron of one sample and runs its whole time loop (forward, or forward then backward):
 * B·N invocations, each reading and writing its column of [batch, time, features] with stride N, so that
 * neighbouring invocations (neurons n, n + 1) touch neighbouring addresses at every step. No checkpoints, no
 * replay: the work is O(T) per neuron, as on the cpu.
 *
 * The leak and threshold of each neuron are inputs of shape [features], read once per invocation; `vReset`,
 * `alpha` and the sizes are uniforms, so new values and new shapes reuse the compiled pipeline (tfjs keys it on
 * `shaderKey`, the inputs' ranks and dtypes).
 */

/** The uniforms every LIF program declares, in the order {@link lifUniforms} gives their values. */
export const LIF_UNIFORMS = 'batch : i32, time : i32, features : i32, vReset : f32, alpha : f32,';

export function lifUniforms({batch, time, features}: LifDims, vReset: number, alpha: number): ProgramUniform[] {
  return [
    {type: 'int32', data: [batch]},
    {type: 'int32', data: [time]},
    {type: 'int32', data: [features]},
    {type: 'float32', data: [vReset]},
    {type: 'float32', data: [alpha]},
  ];
}

/**
 * WGSL shared by every LIF program: the spike test and the reset of one neuron. `isnan` is tfjs's (a bit test:
 * WGSL lets a compiler assume no NaN in comparisons), so a NaN membrane never fires, as on the cpu.
 */
export function scanWgsl(resetMode: ResetMode): string {
  const reset = {
    subtract: 'select(u, u - th, fires(u, th))',
    zero: 'select(u, uniforms.vReset, fires(u, th))',
    none: 'u',
  }[resetMode];
  return `
      fn fires(u : f32, th : f32) -> bool { return !isnan(u) && u > th; }
      fn spikeOf(u : f32, th : f32) -> f32 { return select(0.0, 1.0, fires(u, th)); }
      fn resetOf(u : f32, th : f32) -> f32 { return ${reset}; }`;
}

/**
 * The head of every LIF program's main: returns past the last (sample, neuron), and sets `b`, `n`, the
 * neuron's `beta` and `th`, and `base`, the index of (b, 0, n) in a [batch, time, features] array.
 */
export const INVOCATION_WGSL = `
        let N = uniforms.features;
        if (index >= uniforms.batch * N) { return; }
        let b = index / N;
        let n = index - b * N;
        let beta = leak[n];
        let th = threshold[n];
        let base = b * uniforms.time * N + n;`;

export type ForwardOutput = 'spikes' | 'finalMembrane';

/**
 * The forward time loop of one neuron of one sample: the spike train [batch, time, features], or the membrane
 * after the last step [batch, features]. Inputs {currents [B, T, N], initialMembrane [B, N], leak [N],
 * threshold [N]}.
 */
export class LifForwardProgram extends FlatProgram {
  variableNames = ['currents', 'initialMembrane', 'leak', 'threshold'];
  shaderKey: string;
  uniforms = LIF_UNIFORMS;
  private readonly resetMode: ResetMode;
  private readonly output: ForwardOutput;

  constructor(dims: LifDims, resetMode: ResetMode, output: ForwardOutput) {
    const {batch, time, features} = dims;
    super(output === 'spikes' ? [batch, time, features] : [batch, features], batch * features);
    this.resetMode = resetMode;
    this.output = output;
    this.shaderKey = `snnLif_${output}_${resetMode}`;
  }

  getUserCode(): string {
    const spikes = this.output === 'spikes';
    return `
      ${scanWgsl(this.resetMode)}

      fn main(index : i32) {
        ${INVOCATION_WGSL}
        var v = initialMembrane[index];
        var i = base;
        for (var t = 0; t < uniforms.time; t++) {
          let u = beta * v + currents[i];
          ${spikes ? 'result[i] = spikeOf(u, th);' : ''}
          v = resetOf(u, th);
          i += N;
        }
        ${spikes ? '' : 'result[index] = v;'}
      }`;
  }
}
