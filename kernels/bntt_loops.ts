/**
 * The BNTT training kernels as loops over Float32Arrays, shared by the cpu and
 * wasm adapters. x is walked in memory order as [outer, rows, inner, channels]
 * (see bntt_attrs.ts); k = r·C + c indexes a parameter. Statistics and sums are
 * accumulated in float64; the outputs y and dx are computed in float32 from per-k float32 coefficients (three or
 * four operations, each rounded as a float32 instruction rounds). The drivers (bnttForwardWith, bnttBackwardWith)
 * compute the per-k coefficients between the passes over x; the loops here are the passes for engines without
 * WebAssembly SIMD, and give the SIMD programs' results to the bit.
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
 * kernels/wasm/simd/bntt_program.ts. Sums are per k in float64, every k's values in the order of x.
 */
export interface BnttForwardPasses {
  /** Σd and Σd² per k, d = x − shift (one pass for both moments). */
  moments(shift: Float32Array): {sum: Float64Array; squares: Float64Array};
  /** Writes y = ((x − center)·scale) + offset in float32 (each operation rounded). */
  normalize(center: Float32Array, scale: Float32Array, offset: Float32Array): void;
}

/** The backward kernel's passes over dy and x, run by {@link bnttBackwardWith}. */
export interface BnttBackwardPasses {
  /** Σdy and Σdy·(x − μ) per k. */
  sums(mean: Float32Array): {sumDy: Float64Array; sumDyCentered: Float64Array};
  /** Writes dx = ((dyScale·dy) + (centeredScale·(x − μ))) + dyShift in float32 (each operation rounded). */
  dx(dyScale: Float32Array, centeredScale: Float32Array, mean: Float32Array, dyShift: Float32Array): void;
}

/**
 * The shift of the one-pass moments: each k's first value in x (at outer 0, inner 0), 0 for an empty x. With d =
 * x − shift, the variance is Σd²/N − (Σd/N)², which cancels only by (μ − shift)²/σ² in float64: one sample is
 * within a few σ of the mean.
 */
export function momentShift(x: Float32Array, dims: BnttDims): Float32Array {
  const shift = new Float32Array(dims.rows * dims.channels);
  if (dims.outer * dims.inner === 0) return shift;
  for (let r = 0; r < dims.rows; r++) {
    shift.set(
      x.subarray(r * dims.inner * dims.channels, r * dims.inner * dims.channels + dims.channels),
      r * dims.channels
    );
  }
  return shift;
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
  bnttForwardWith(loopForwardPasses(x, dims, out.y), momentShift(x, dims), gamma, beta, dims, epsilon, out);
}

/**
 * The forward kernel with these passes: the moments about `shift` ({@link momentShift}), the coefficients, the
 * normalisation, then mean and variance out. y = (x − μ)·scale + β is computed as (x − μ₃₂)·scale + offset with
 * μ₃₂ the float32 mean and offset = β + (μ₃₂ − μ)·scale, so that rounding the mean does not shift y.
 */
export function bnttForwardWith(
  passes: BnttForwardPasses,
  shift: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  dims: BnttDims,
  epsilon: number,
  out: Omit<BnttForwardOutputs, 'y'>
): void {
  const count = dims.outer * dims.inner;
  const {sum, squares} = passes.moments(shift);
  const meanShift = scaled(sum, 1 / count);
  const mean = meanShift.map((d, k) => shift[k] + d);
  const variance = squares.map((s, k) => Math.max(0, s / count - meanShift[k] * meanShift[k]));
  const scale = variance.map((v, k) => gamma[k] / Math.sqrt(v + epsilon));
  out.mean.set(mean);
  out.variance.set(variance);
  const offset = Float32Array.from(scale, (a, k) => beta[k] + (out.mean[k] - mean[k]) * a);
  passes.normalize(out.mean, Float32Array.from(scale), offset);
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
  // dx's coefficients from the float32 dyScale it multiplies dy by: with one value per k, dx = dy·dyScale + dyShift
  // is then exactly 0, as it is in exact arithmetic.
  const dyScale = Float32Array.from(rstd, (r, k) => gamma[k] * r);
  const dyShift = Float32Array.from(sumDy, (s, k) => (-dyScale[k] * s) / count);
  const centeredScale = Float32Array.from(sumDyXhat, (s, k) => (-dyScale[k] * rstd[k] * s) / count);
  passes.dx(dyScale, centeredScale, mean, dyShift);
  out.dgamma.set(sumDyXhat);
  out.dbeta.set(sumDy);
}

function loopForwardPasses(x: Float32Array, dims: BnttDims, y: Float32Array): BnttForwardPasses {
  return {
    moments: shift => moments(x, shift, dims),
    normalize: (center, scale, offset) => normalize(x, center, scale, offset, dims, y),
  };
}

const f32 = Math.fround;

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
              // Each operation of float32 operands rounded to float32 (fround of the float64 result is the
              // float32 result: float64 has over twice float32's precision).
              dx[i] = f32(f32(f32(dyScale[k] * dy[i]) + f32(centeredScale[k] * f32(x[i] - mean[k]))) + dyShift[k]);
            }
          }
        }
      }
    },
  };
}

/** Σd and Σd² per k, d = x − shift, in float64. */
function moments(x: Float32Array, shift: Float32Array, dims: BnttDims): {sum: Float64Array; squares: Float64Array} {
  const sum = new Float64Array(dims.rows * dims.channels);
  const squares = new Float64Array(dims.rows * dims.channels);
  let i = 0;
  for (let o = 0; o < dims.outer; o++) {
    for (let r = 0; r < dims.rows; r++) {
      const base = r * dims.channels;
      for (let s = 0; s < dims.inner; s++) {
        for (let k = base; k < base + dims.channels; k++) {
          const d = x[i++] - shift[k];
          sum[k] += d;
          squares[k] += d * d;
        }
      }
    }
  }
  return {sum, squares};
}

function normalize(
  x: Float32Array,
  center: Float32Array,
  scale: Float32Array,
  offset: Float32Array,
  dims: BnttDims,
  y: Float32Array
): void {
  let i = 0;
  for (let o = 0; o < dims.outer; o++) {
    for (let r = 0; r < dims.rows; r++) {
      const base = r * dims.channels;
      for (let s = 0; s < dims.inner; s++) {
        for (let k = base; k < base + dims.channels; k++, i++) {
          y[i] = f32(f32(f32(x[i] - center[k]) * scale[k]) + offset[k]);
        }
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
