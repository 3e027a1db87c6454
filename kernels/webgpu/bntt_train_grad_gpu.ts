/**
 * The WebGPU programs of the BNTT training backward (reductions as in bntt_train_gpu.ts). With
 * rstd = 1/sqrt(variance + ε), x̂ = (x − mean)·rstd and N values per statistic:
 * dbeta = Σdy, dgamma = Σdy·x̂, dx = gamma·rstd·(dy − dbeta/N − x̂·dgamma/N), as cpu's bnttTrainBackward.
 */
import {BnttDims} from '../bntt_attrs';
import {ElementwiseProgram, ParameterSumsProgram} from './bntt_train_gpu';

/**
 * [dbeta, dgamma] per (r, c) as [2, R, C]: Σdy, and Σdy·(x − mean) times rstd.
 * Inputs {dy, x (views [outer, R, inner, C]), mean, variance [R, C]}.
 */
export class GradientSumsProgram extends ParameterSumsProgram {
  variableNames = ['dy', 'x', 'mean', 'variance'];

  constructor(dims: BnttDims) {
    super(dims, 'GradientSums');
  }

  protected body(): string {
    const lanes = this.workgroupSize[0];
    return `
        let mu = mean[min(k, parameterCount() - 1)];
        var sums = vec2<f32>(0.0, 0.0);
        for (var j = lane; j < n; j += ${lanes}) {
          let i = elementOf(j, r, c);
          let g = dy[i];
          sums += vec2<f32>(g, g * (x[i] - mu));
        }
        let total = workgroupSum(lane, sums);
        if (lane == 0 && inRange) {
          result[k] = total.x;
          result[parameterCount() + k] = total.y / sqrt(variance[k] + uniforms.epsilon);
        }`;
  }
}

/**
 * dx = dyScale·dy + centeredScale·(x − mean) + dyShift, the scales per (r, c) from the sums.
 * Inputs {dy, x (the views), gamma, mean, variance [R, C], sums [2, R, C] (GradientSumsProgram's)}.
 */
export class BnttDxProgram extends ElementwiseProgram {
  variableNames = ['dy', 'x', 'gamma', 'mean', 'variance', 'sums'];
  shaderKey = 'snnBnttDx';

  constructor(dims: BnttDims) {
    super(dims);
  }

  protected body(): string {
    return `
        let count = f32(valueCount());
        let rstd = 1.0 / sqrt(variance[k] + uniforms.epsilon);
        let dyScale = gamma[k] * rstd;
        let dyShift = -dyScale * sums[k] / count;
        let centeredScale = -dyScale * rstd * sums[parameterCount() + k] / count;
        result[index] = dyScale * dy[index] + centeredScale * (x[index] - mean[k]) + dyShift;`;
  }
}
