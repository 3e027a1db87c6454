/**
 * The BNTT training kernels as loops over Float32Arrays, shared by the cpu and
 * wasm adapters. x is walked in memory order as [outer, rows, inner, channels]
 * (see bntt_attrs.ts); k = r·C + c indexes a parameter. Statistics and sums are
 * accumulated in float64.
 */
import {BnttDims} from './bntt_attrs';

export interface BnttForwardOutputs {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

export interface BnttBackwardOutputs {
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

/** y = gamma·(x − μ)/sqrt(σ² + ε) + beta with the batch's μ and biased σ² per (r, c). */
export function bnttTrainForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  dims: BnttDims,
  epsilon: number,
  out: BnttForwardOutputs
): void {
  const count = dims.outer * dims.inner;
  const mean = scaled(sumPerParam(x, dims), 1 / count);
  // Two passes: the variance of the deviations, not E[x²] − E[x]², which cancels.
  const variance = scaled(sumSquaredDeviations(x, mean, dims), 1 / count);
  const scale = variance.map((v, k) => gamma[k] / Math.sqrt(v + epsilon));
  normalize(x, mean, scale, beta, dims, out.y);
  out.mean.set(mean);
  out.variance.set(variance);
}

/**
 * Batch-norm backward through the batch statistics, per (r, c) with N values and x̂ = (x − μ)·rstd:
 * dbeta = Σdy, dgamma = Σdy·x̂, dx = gamma·rstd/N · (N·dy − Σdy − x̂·Σdy·x̂).
 */
export function bnttTrainBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  dims: BnttDims,
  epsilon: number,
  out: BnttBackwardOutputs
): void {
  const count = dims.outer * dims.inner;
  const rstd = Float64Array.from(variance, v => 1 / Math.sqrt(v + epsilon));
  const {sumDy, sumDyCentered} = gradientSums(dy, x, mean, dims);
  const sumDyXhat = sumDyCentered.map((s, k) => s * rstd[k]);
  const dyScale = rstd.map((r, k) => gamma[k] * r);
  const dyShift = sumDy.map((s, k) => (-dyScale[k] * s) / count);
  const centeredScale = sumDyXhat.map((s, k) => (-dyScale[k] * rstd[k] * s) / count);
  // dx = dyScale·dy + centeredScale·(x − μ) + dyShift
  let i = 0;
  for (let o = 0; o < dims.outer; o++) {
    for (let r = 0; r < dims.rows; r++) {
      const base = r * dims.channels;
      for (let s = 0; s < dims.inner; s++) {
        for (let k = base; k < base + dims.channels; k++, i++) {
          out.dx[i] = dyScale[k] * dy[i] + centeredScale[k] * (x[i] - mean[k]) + dyShift[k];
        }
      }
    }
  }
  out.dgamma.set(sumDyXhat);
  out.dbeta.set(sumDy);
}

function sumPerParam(x: Float32Array, dims: BnttDims): Float64Array {
  const sums = new Float64Array(dims.rows * dims.channels);
  let i = 0;
  for (let o = 0; o < dims.outer; o++) {
    for (let r = 0; r < dims.rows; r++) {
      const base = r * dims.channels;
      for (let s = 0; s < dims.inner; s++) {
        for (let k = base; k < base + dims.channels; k++) sums[k] += x[i++];
      }
    }
  }
  return sums;
}

function sumSquaredDeviations(x: Float32Array, mean: Float64Array, dims: BnttDims): Float64Array {
  const sums = new Float64Array(dims.rows * dims.channels);
  let i = 0;
  for (let o = 0; o < dims.outer; o++) {
    for (let r = 0; r < dims.rows; r++) {
      const base = r * dims.channels;
      for (let s = 0; s < dims.inner; s++) {
        for (let k = base; k < base + dims.channels; k++) {
          const deviation = x[i++] - mean[k];
          sums[k] += deviation * deviation;
        }
      }
    }
  }
  return sums;
}

function normalize(
  x: Float32Array,
  mean: Float64Array,
  scale: Float64Array,
  beta: Float32Array,
  dims: BnttDims,
  y: Float32Array
): void {
  let i = 0;
  for (let o = 0; o < dims.outer; o++) {
    for (let r = 0; r < dims.rows; r++) {
      const base = r * dims.channels;
      for (let s = 0; s < dims.inner; s++) {
        for (let k = base; k < base + dims.channels; k++, i++) y[i] = (x[i] - mean[k]) * scale[k] + beta[k];
      }
    }
  }
}

/** Σdy and Σdy·(x − μ) per (r, c). */
function gradientSums(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  dims: BnttDims
): {sumDy: Float64Array; sumDyCentered: Float64Array} {
  const sumDy = new Float64Array(dims.rows * dims.channels);
  const sumDyCentered = new Float64Array(dims.rows * dims.channels);
  let i = 0;
  for (let o = 0; o < dims.outer; o++) {
    for (let r = 0; r < dims.rows; r++) {
      const base = r * dims.channels;
      for (let s = 0; s < dims.inner; s++) {
        for (let k = base; k < base + dims.channels; k++, i++) {
          sumDy[k] += dy[i];
          sumDyCentered[k] += dy[i] * (x[i] - mean[k]);
        }
      }
    }
  }
  return {sumDy, sumDyCentered};
}

function scaled(values: Float64Array, factor: number): Float64Array {
  return values.map(v => v * factor);
}
