/**
 * BNTT's training forward and backward as float64 loops, written independently of the kernels
 * (kernels/bntt_loops.ts and the GPU programs): the reference every backend's SnnBnttTrain /
 * SnnBnttTrainGrad is measured against. x is [B, T, ...spatial, C], the parameters [R, C] with R = T or 1.
 */

/** The parameter index k = r·C + c of every element of x [B, T, ...spatial, C] with R = T or 1 rows. */
export function paramIndices(shape: number[], rows: number): number[] {
  const [steps, channels] = [shape[1], shape[shape.length - 1]];
  const spatial = shape.slice(2, -1).reduce((n, d) => n * d, 1);
  const size = shape.reduce((n, d) => n * d, 1);
  return Array.from({length: size}, (_, i) => {
    const t = Math.floor(i / (spatial * channels)) % steps;
    return (rows === 1 ? 0 : t) * channels + (i % channels);
  });
}

export interface GroupStats {
  count: number[];
  mean: number[];
  variance: number[];
}

/** Each parameter's count, mean and biased variance (two passes). */
export function groupStats(x: ArrayLike<number>, params: number[], numParams: number): GroupStats {
  const count = new Array<number>(numParams).fill(0);
  const mean = new Array<number>(numParams).fill(0);
  const variance = new Array<number>(numParams).fill(0);
  params.forEach((k, i) => {
    count[k]++;
    mean[k] += x[i];
  });
  for (let k = 0; k < numParams; k++) mean[k] /= count[k];
  params.forEach((k, i) => {
    variance[k] += (x[i] - mean[k]) ** 2;
  });
  for (let k = 0; k < numParams; k++) variance[k] /= count[k];
  return {count, mean, variance};
}

/** y = gamma·(x − μ)/sqrt(σ² + ε) + beta with the batch's statistics, and those statistics. */
export function refForward(
  x: ArrayLike<number>,
  shape: number[],
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  epsilon: number
): {y: number[]; mean: number[]; variance: number[]} {
  const params = paramIndices(shape, gamma.length / shape[shape.length - 1]);
  const stats = groupStats(x, params, gamma.length);
  const y = params.map(
    (k, i) => (gamma[k] * (x[i] - stats.mean[k])) / Math.sqrt(stats.variance[k] + epsilon) + beta[k]
  );
  return {y, mean: stats.mean, variance: stats.variance};
}

/** dL/dx, dL/dgamma, dL/dbeta of L = Σ dy·y, through the batch statistics. */
export function refBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: number[],
  gamma: ArrayLike<number>,
  epsilon: number
): {dx: number[]; dgamma: number[]; dbeta: number[]} {
  const params = paramIndices(shape, gamma.length / shape[shape.length - 1]);
  const {count, mean, variance} = groupStats(x, params, gamma.length);
  const rstd = variance.map(v => 1 / Math.sqrt(v + epsilon));
  const xHat = params.map((k, i) => (x[i] - mean[k]) * rstd[k]);
  const dbeta = new Array<number>(gamma.length).fill(0);
  const dgamma = new Array<number>(gamma.length).fill(0);
  params.forEach((k, i) => {
    dbeta[k] += dy[i];
    dgamma[k] += dy[i] * xHat[i];
  });
  const dx = params.map(
    (k, i) => gamma[k] * rstd[k] * (dy[i] - dbeta[k] / count[k] - (xHat[i] * dgamma[k]) / count[k])
  );
  return {dx, dgamma, dbeta};
}
