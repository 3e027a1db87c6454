import {LifDims} from '../lif_dims';
import {LifAttrs, SurrogateName} from '../lif_attrs';
import {blockCount, blockSize, PARAMETER_INPUTS, scanGlsl} from './lif_gpu';
import {PackedProgram} from './webgl_backend';

/**
 * dS/dU of each built-in surrogate in GLSL, at the membrane `u` and the neuron's threshold `th`. Typed by
 * SurrogateName: a surrogate added to lif_attrs.ts does not compile until it has a formula here.
 */
const SURROGATE_GLSL: Readonly<Record<SurrogateName, string>> = {
  triangle: 'alpha * max(0.0, 1.0 - abs(u / th - 1.0)) / th',
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

      float slopeAt(float u, float th) {
        if (isnan(u)) return NAN;
        return ${SURROGATE_GLSL[attrs.surrogate]};
      }

      // dL/dS_t in all: the direct gradient plus the reset's (0 when detached).
      float spikeGrad(float u, float th, float dSpike, float adjoint) { return dSpike + adjoint * ${dVdS}; }

      // (b_t, step t's term of dL/dθ): b_t = dL/dU_t = dL/dI_t; σ'(U) computed once for both.
      vec2 stepBack(float u, float th, float dSpike, float adjoint) {
        float g = spikeGrad(u, th, dSpike, adjoint) * slopeAt(u, th);
        return vec2(g + adjoint * ${dVdU}, -g${explicitThreshold});
      }

      vec2 stepGrad2(vec2 u, vec2 dSpike, vec2 adjoint) {
        return vec2(
          stepBack(u.x, threshold2.x, dSpike.x, adjoint.x).x,
          stepBack(u.y, threshold2.y, dSpike.y, adjoint.y).x);
      }`;
}

/** The step pairs of a block: 0 … K/2 − 1 (the code below unrolls its loops over them). */
function pairsOf(time: number): number[] {
  return Array.from({length: blockSize(time) / 2}, (_, i) => i);
}

/**
 * GLSL that replays block \`j\` of sample \`b\`, neurons (n, n + 1), from its checkpoint into registers:
 * \`blockStart\` (the checkpoint, V before the block's first step), and per step pair i \`trace<i>\` (U of steps
 * 2i, 2i + 1 of the block) and \`after<i>\` (V after them). The loop is unrolled, so the registers are plain
 * variables. The arithmetic is the forward programs', so U is bit for bit the forward's.
 */
function blockReplayGlsl(time: number): string {
  const K = blockSize(time);
  const pairs = pairsOf(time);
  return `
      vec2 blockStart;
      ${pairs.map(i => `vec4 trace${i}; vec4 after${i};`).join('\n      ')}
      void replayBlock(int b, int j, int n) {
        vec2 v = rowOf(getCheckpoints(b, j, n), j);
        blockStart = v;
        int k = j * ${K};
        vec4 x;
        ${pairs
          .map(
            i => `if (k + ${2 * i} < ${time}) {
          x = getCurrents(b, k + ${2 * i}, n);
          trace${i}.xy = leak2 * v + x.xy;
          after${i}.xy = reset2(trace${i}.xy);
          trace${i}.zw = leak2 * after${i}.xy + x.zw;
          after${i}.zw = reset2(trace${i}.zw);
          v = after${i}.zw;
        }`
          )
          .join('\n        ')}
      }`;
}

/** Rows of AdjointCheckpointProgram's output that hold adjoints: the blocks, rounded up to whole texels. */
export function adjointRows(time: number): number {
  return 2 * Math.ceil(blockCount(time) / 2);
}

/**
 * The adjoint dL/dV arriving at the last step of each block (rows 0 … blocks − 1), and each sample's share of
 * dL/dβ (row adjointRows) and dL/dθ (the row after), summed over time: [batch, adjointRows + 2, features].
 * A texel walks back from the last block, replaying each block from its checkpoint in registers, to the pair of
 * blocks it stores; the texels of the last two rows walk the whole train. Every step's parameter terms are
 * local once its adjoint is known: b_t = dL/dI_t, a_{t−1} = β·b_t (a_T = dMembrane), dβ += b_t·V_{t−1},
 * dθ += −g_t·σ'(U_t) − [subtract]·a_t·S_t, with V_{t−1} the reset of U_{t−1} (V_0 the initial membrane).
 */
export class AdjointCheckpointProgram extends PackedProgram {
  variableNames = ['currents', 'checkpoints', 'dSpikes', 'dMembrane', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = GRAD_UNIFORMS;

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    super();
    const K = blockSize(time);
    const blocks = blockCount(time);
    const rows = adjointRows(time);
    this.outputShape = [batch, rows + 2, features];
    // Step pairs from the block's last back to its first.
    const walk = pairsOf(time)
      .reverse()
      .map(
        i => `if (k + ${2 * i} < ${time}) {
            dS = getDSpikes(b, k + ${2 * i}, n);
            if (k + ${2 * i + 1} < ${time}) stepBack2(trace${i}.zw, dS.zw, after${i}.xy);
            stepBack2(trace${i}.xy, dS.xy, ${i === 0 ? 'blockStart' : `after${i - 1}.zw`});
          }`
      )
      .join('\n          ');
    this.userCode = `
      ${stepGradGlsl(attrs)}
      ${blockReplayGlsl(time)}

      vec2 adjoint;
      vec2 leakGrad = vec2(0.0);
      vec2 thresholdGrad = vec2(0.0);
      // One step back for two neurons from U, dS and V before the step: a ← β·b, and the parameter terms.
      void stepBack2(vec2 u, vec2 dSpike, vec2 before) {
        vec2 first = stepBack(u.x, threshold2.x, dSpike.x, adjoint.x);
        vec2 second = stepBack(u.y, threshold2.y, dSpike.y, adjoint.y);
        vec2 grad = vec2(first.x, second.x);
        leakGrad += grad * before;
        thresholdGrad += vec2(first.y, second.y);
        adjoint = leak2 * grad;
      }

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int first = c.y; int n = c.z;
        loadNeurons(n);
        adjoint = rowOf(getDMembrane(b, n), b);
        vec2 atFirst = adjoint;
        vec2 atSecond = adjoint;
        vec4 dS;
        for (int jj = 0; jj < ${blocks}; jj++) {
          int j = ${blocks - 1} - jj;
          if (j == first + 1) atSecond = adjoint;
          if (j == first) { atFirst = adjoint; break; }
          replayBlock(b, j, n);
          int k = j * ${K};
          ${walk}
        }
        setOutput(first >= ${rows} ? vec4(leakGrad, thresholdGrad) : vec4(atFirst, atSecond));
      }`;
  }
}

/** dL/dI for every (b, t, n): replays its block from the checkpoint, then walks back from the block's end. */
export class LifGradProgram extends PackedProgram {
  variableNames = ['currents', 'checkpoints', 'dSpikes', 'adjoints', ...PARAMETER_INPUTS];
  outputShape: number[];
  userCode: string;
  customUniforms = GRAD_UNIFORMS;

  constructor({batch, time, features}: LifDims, attrs: LifAttrs) {
    super();
    const K = blockSize(time);
    this.outputShape = [batch, time, features];
    // Step pairs from the block's last back to the texel's own (at step t).
    const walk = pairsOf(time)
      .reverse()
      .map(
        i => `if (k + ${2 * i} >= t && k + ${2 * i} < ${time}) {
          dS = getDSpikes(b, k + ${2 * i}, n);
          if (k + ${2 * i + 1} < ${time}) {
            grad1 = stepGrad2(trace${i}.zw, dS.zw, adjoint);
            adjoint = leak2 * grad1;
          }
          grad0 = stepGrad2(trace${i}.xy, dS.xy, adjoint);
          adjoint = leak2 * grad0;
        }`
      )
      .join('\n        ');
    this.userCode = `
      ${stepGradGlsl(attrs)}
      ${blockReplayGlsl(time)}

      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x; int t = c.y; int n = c.z;
        loadNeurons(n);
        int block = t / ${K};
        replayBlock(b, block, n);
        int k = block * ${K};
        vec2 adjoint = rowOf(getAdjoints(b, block, n), block);
        vec2 grad0 = vec2(0.0);
        vec2 grad1 = vec2(0.0);
        vec4 dS;
        ${walk}
        setOutput(vec4(grad0, grad1));
      }`;
  }
}

/** dL/dV_0 = leak · dL/dI_0: [batch, features], a texel holds 2 samples × 2 neurons. */
export class InitialMembraneGradProgram extends PackedProgram {
  variableNames = ['dCurrents', 'leak'];
  outputShape: number[];
  userCode: string;
  customUniforms = [];

  constructor({batch, features}: LifDims) {
    super();
    this.outputShape = [batch, features];
    this.userCode = `
      void main() {
        ivec2 c = getOutputCoords();
        vec2 leak2 = getLeak(c.y).xy;
        vec2 first = getDCurrents(c.x, 0, c.y).xy;
        vec2 second = c.x + 1 < ${batch} ? getDCurrents(c.x + 1, 0, c.y).xy : vec2(0.0);
        setOutput(vec4(leak2 * first, leak2 * second));
      }`;
  }
}

export type ParameterName = 'leak' | 'threshold';

/** One parameter's gradient [features]: AdjointCheckpointProgram's per-sample partials summed over the batch. */
export class ParameterGradSumProgram extends PackedProgram {
  variableNames = ['partials'];
  outputShape: number[];
  userCode: string;
  customUniforms = [];

  constructor({batch, time, features}: LifDims, parameter: ParameterName) {
    super();
    const row = adjointRows(time);
    this.outputShape = [features];
    const half = parameter === 'leak' ? 'xy' : 'zw';
    this.userCode = `
      void main() {
        int n = getOutputCoords();
        vec2 sum = vec2(0.0);
        for (int b = 0; b < ${batch}; b++) sum += getPartials(b, ${row}, n).${half};
        setOutput(vec4(sum, 0.0, 0.0));
      }`;
  }
}
