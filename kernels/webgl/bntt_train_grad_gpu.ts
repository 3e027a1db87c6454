/**
 * The WebGL programs of the BNTT training backward, after the sums Σdy and Σdy·(x − mean)
 * (PartialSumsProgram 'gradient' and ChunkTotalProgram, bntt_train_gpu.ts). With
 * rstd = 1/sqrt(variance + ε), x̂ = (x − mean)·rstd and N values per statistic:
 * dgamma = Σdy·x̂, dbeta = Σdy, dx = gamma·rstd·(dy − Σdy/N − x̂·dgamma/N), as cpu's bnttTrainBackward.
 */
import {BnttView, EPSILON_UNIFORM, glslFloat, paramAtGlsl, ROW_HALF_GLSL, rowOfGlsl} from './bntt_train_gpu';
import {WebGLProgram} from './webgl_backend';

/** dgamma = Σdy·(x − mean)·rstd, [R, C]. */
export class DgammaProgram implements WebGLProgram {
  variableNames = ['sumDyCentered', 'variance'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = EPSILON_UNIFORM;

  constructor(rows: number, channels: number) {
    this.outputShape = [rows, channels];
    this.userCode = `
      void main() {
        vec4 rstd = 1.0 / sqrt(getVarianceAtOutCoords() + epsilon);
        setOutput(getSumDyCenteredAtOutCoords() * rstd);
      }`;
  }
}

/** dx over the view: dyScale·dy + centeredScale·(x − mean) + dyShift, the scales per (row, channel). */
export class BnttDxProgram implements WebGLProgram {
  variableNames = ['dy', 'x', 'gamma', 'mean', 'variance', 'sumDy', 'dgamma'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = EPSILON_UNIFORM;

  constructor(view: BnttView) {
    this.outputShape = view.shape.slice();
    const count = glslFloat(view.count);
    this.userCode = `
      ${ROW_HALF_GLSL}
      ${paramAtGlsl(view)}
      ${rowOfGlsl(view)}

      void main() {
        ivec4 coords = getOutputCoords();
        int r = rowOf(coords);
        int c = coords.w;
        vec4 rstd = 1.0 / sqrt(paramAt(getVariance(r, c), r) + epsilon);
        vec4 dyScale = paramAt(getGamma(r, c), r) * rstd;
        vec4 dyShift = -dyScale * paramAt(getSumDy(r, c), r) / ${count};
        vec4 centeredScale = -dyScale * rstd * paramAt(getDgamma(r, c), r) / ${count};
        vec4 centered = getX(coords.x, coords.y, coords.z, c) - paramAt(getMean(r, c), r);
        setOutput(dyScale * getDy(coords.x, coords.y, coords.z, c) + centeredScale * centered + dyShift);
      }`;
  }
}
