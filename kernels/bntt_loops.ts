/**
 * The BNTT training kernels as loops over Float32Arrays, shared by the cpu and
 * wasm adapters. x is walked in memory order as [outer, rows, inner, channels]
 * (see bntt_attrs.ts); k = r·C + c indexes a parameter. Statistics and sums are
 * accumulated in float64. The drivers (bnttForwardWith, bnttBackwardWith) compute the per-k coefficients
 * between the passes over x; the loops here are the passes for engines without WebAssembly SIMD.
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

/**
 * The forward kernel's passes over x, run by {@link bnttForwardWith}: these loops, or the SIMD programs of
 * kernels/wasm/simd/bntt_program.ts. Each sums per k in float64, every k's values in the order of x.
 */
export interface BnttForwardPasses {
  /** Σx per k. */
  sum(): Float64Array;
  /** Σ(x − μ)² per k. */
  squaredDeviations(mean: Float64Array): Float64Array;
  /** Writes y = (x − μ)·scale + beta, computed in float64 and rounded once. */
  normalize(mean: Float64Array, scale: Float64Array, beta: Float32Array): void;
}

/** The backward kernel's passes over dy and x, run by {@link bnttBackwardWith}. */
export interface BnttBackwardPasses {
  /** Σdy and Σdy·(x − μ) per k. */
  sums(mean: Float32Array): {sumDy: Float64Array; sumDyCentered: Float64Array};
  /** Writes dx = dyScale·dy + centeredScale·(x − μ) + dyShift, computed in float64 and rounded once. */
  dx(dyScale: Float64Array, centeredScale: Float64Array, mean: Float32Array, dyShift: Float64Array): void;
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
  bnttForwardWith(loopForwardPasses(x, dims, out.y), gamma, beta, dims, epsilon, out);
}

/** The forward kernel with these passes: the statistics and coefficients between them, then mean and variance out. */
export function bnttForwardWith(
  passes: BnttForwardPasses,
  gamma: Float32Array,
  beta: Float32Array,
  dims: BnttDims,
  epsilon: number,
  out: Omit<BnttForwardOutputs, 'y'>
): void {
  const count = dims.outer * dims.inner;
  const mean = scaled(passes.sum(), 1 / count);
  // Two passes: the variance of the deviations, not E[x²] − E[x]², which cancels.
  const variance = scaled(passes.squaredDeviations(mean), 1 / count);
  const scale = variance.map((v, k) => gamma[k] / Math.sqrt(v + epsilon));
  passes.normalize(mean, scale, beta);
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
  bnttBackwardWith(loopBackwardPasses(dy, x, dims, out.dx), gamma, mean, variance, dims, epsilon, out);
}

/** The backward kernel with these passes: the sums, the coefficients of dx, then dgamma and dbeta out. */
export function bnttBackwardWith(
  passes: BnttBackwardPasses,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  dims: BnttDims,
  epsilon: number,
  out: Omit<BnttBackwardOutputs, 'dx'>
): void {
  const count = dims.outer * dims.inner;
  const rstd = Float64Array.from(variance, v => 1 / Math.sqrt(v + epsilon));
  const {sumDy, sumDyCentered} = passes.sums(mean);
  const sumDyXhat = sumDyCentered.map((s, k) => s * rstd[k]);
  const dyScale = rstd.map((r, k) => gamma[k] * r);
  const dyShift = sumDy.map((s, k) => (-dyScale[k] * s) / count);
  const centeredScale = sumDyXhat.map((s, k) => (-dyScale[k] * rstd[k] * s) / count);
  passes.dx(dyScale, centeredScale, mean, dyShift);
  out.dgamma.set(sumDyXhat);
  out.dbeta.set(sumDy);
}

function loopForwardPasses(x: Float32Array, dims: BnttDims, y: Float32Array): BnttForwardPasses {
  return {
    sum: () => sumPerParam(x, dims),
    squaredDeviations: mean => sumSquaredDeviations(x, mean, dims),
    normalize: (mean, scale, beta) => normalize(x, mean, scale, beta, dims, y),
  };
}

function loopBackwardPasses(dy: Float32Array, x: Float32Array, dims: BnttDims, dx: Float32Array): BnttBackwardPasses {
  return {
    sums: mean => gradientSums(dy, x, mean, dims),
    dx: (dyScale, centeredScale, mean, dyShift) => {
      let i = 0;
      for (let o = 0; o < dims.outer; o++) {
        for (let r = 0; r < dims.rows; r++) {
          const base = r * dims.channels;
          for (let s = 0; s < dims.inner; s++) {
            for (let k = base; k < base + dims.channels; k++, i++) {
              dx[i] = dyScale[k] * dy[i] + centeredScale[k] * (x[i] - mean[k]) + dyShift[k];
            }
          }
        }
      }
    },
  };
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
