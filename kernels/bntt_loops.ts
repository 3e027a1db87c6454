/**
 * The BNTT training kernels as loops over Float32Arrays, shared by the cpu and
 * wasm adapters. x is walked in memory order as [outer, rows, inner, channels]
 * (see bntt_attrs.ts); k = r·C + c indexes a parameter. Every operation is float32 on float32 values (each
 * rounded as a float32 instruction rounds), except the sums' totals: the terms of a sum are added in float32 over
 * SUM_BLOCK consecutive inner positions, and those partial sums in float64. The drivers (bnttForwardWith, bnttBackwardWith)
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
 * Inner positions whose terms a sum adds in float32 before adding them to its float64 total: a partial sum of 8
 * terms is within 8 float32 roundings (5e-7) of its exact value, and the totals lose nothing further.
 */
export const SUM_BLOCK = 8;

/** Rounds to float32: for an operation on float32 values, the float32 instruction's result. */
const f32 = Math.fround;

/**
 * The forward kernel's passes over x, run by {@link bnttForwardWith}: these loops, or the SIMD programs of
 * kernels/wasm/simd/bntt_program.ts. Sums are per k, every k's values in the order of x (see SUM_BLOCK).
 */
export interface BnttForwardPasses {
  /** Σx and Σ(x − center)² per k in one pass over x, x − center in float32. */
  moments(center: Float32Array): {sum: Float64Array; squares: Float64Array};
  /** Σ(x − center)² per k, x − center in float32. */
  squaredDeviations(center: Float32Array): Float64Array;
  /** Writes y = ((x − center)·scale) + offset in float32 (each operation rounded). */
  normalize(center: Float32Array, scale: Float32Array, offset: Float32Array): void;
}

/** The backward kernel's passes over dy and x, run by {@link bnttBackwardWith}. */
export interface BnttBackwardPasses {
  /** Σdy and Σdy·(x − μ) per k, the terms in float32. */
  sums(mean: Float32Array): {sumDy: Float64Array; sumDyCentered: Float64Array};
  /** Writes dx = ((dyScale·dy) + (centeredScale·(x − μ))) + dyShift in float32 (each operation rounded). */
  dx(dyScale: Float32Array, centeredScale: Float32Array, mean: Float32Array, dyShift: Float32Array): void;
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
  bnttForwardWith(loopForwardPasses(x, dims, out.y), x, gamma, beta, dims, epsilon, out);
}

/** The most values of each k that {@link provisionalCenters} averages, and the most positions among them. */
const CENTER_SAMPLES = 32;
const CENTER_POSITIONS = 8;

/**
 * A provisional center per k for the one-pass moments: the float32 mean of up to 32 of k's values spread evenly
 * over x, on a grid of up to 8 inner positions by as many outer indices as make 32 (32 of a dense layer's batch
 * rows, 4 by 8 after a conv), their float32 sum in that order divided once. For normal data that is within σ/5 of
 * the mean, and more than σ off (a second pass) with a chance under 1e-8 per k. Reads x as [outer, R, S, C], the
 * sampled rows' channels in memory order.
 */
export function provisionalCenters(x: Float32Array, dims: BnttDims): Float32Array {
  const {outer, rows, inner, channels} = dims;
  const K = rows * channels;
  const sums = new Float32Array(K);
  const positions = Math.min(CENTER_POSITIONS, inner);
  const outers = Math.min(Math.floor(CENTER_SAMPLES / Math.max(positions, 1)), outer);
  if (outers === 0 || positions === 0) return sums;
  for (let i = 0; i < outers; i++) {
    const o = Math.floor((i * outer) / outers);
    for (let j = 0; j < positions; j++) {
      const s = Math.floor(((2 * j + 1) * inner) / (2 * positions));
      for (let r = 0; r < rows; r++) {
        const at = ((o * rows + r) * inner + s) * channels;
        // Each k's values added in the grid's order (i, then j), each sum rounded to float32.
        for (let c = 0, k = r * channels; c < channels; c++, k++) sums[k] += x[at + c];
      }
    }
  }
  const count = outers * positions;
  for (let k = 0; k < K; k++) sums[k] /= count;
  return sums;
}

/**
 * The forward kernel with these passes: the moments, the coefficients, the normalisation, then mean and variance
 * out. One pass gives Σx and Σ(x − c)² about a provisional center c per k (E[x²] − E[x]² would cancel), so
 * σ² = Σ(x − c)²/N − (μ − c)². That loses at most one bit while (μ − c)² ≤ σ², which {@link provisionalCenters}
 * makes the rule; a k where it fails takes a second pass, its deviations from μ₃₂, the float32 mean (so
 * σ² = Σ(x − μ₃₂)²/N − (μ − μ₃₂)²: the two-pass result). y = (x − μ)·scale + β is computed as
 * (x − μ₃₂)·scale + offset with offset = β + (μ₃₂ − μ)·scale, so that rounding the mean does not shift y.
 */
export function bnttForwardWith(
  passes: BnttForwardPasses,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  dims: BnttDims,
  epsilon: number,
  out: Omit<BnttForwardOutputs, 'y'>
): void {
  // Plain loops over k: TypedArray.from and map with callbacks took 0.07 ms (forward) and 0.16 ms (backward) per
  // call at K = 1536 (small's dense BNTT), more than its passes.
  const K = gamma.length;
  const count = dims.outer * dims.inner;
  const centers = provisionalCenters(x, dims);
  const {sum, squares} = passes.moments(centers);
  const [rounding, variance] = [new Float64Array(K), new Float64Array(K)];
  const factor = 1 / count;
  const far: number[] = [];
  for (let k = 0; k < K; k++) {
    const mean = sum[k] * factor;
    out.mean[k] = mean;
    rounding[k] = mean - out.mean[k];
    const offCenter = mean - centers[k];
    variance[k] = squares[k] / count - offCenter * offCenter;
    // Also where the mean is NaN (x has NaN or ±Infinity): the two-pass result, as before.
    if (!(offCenter * offCenter <= variance[k])) far.push(k);
  }
  if (far.length > 0) {
    const deviations = passes.squaredDeviations(out.mean);
    for (const k of far) variance[k] = Math.max(0, deviations[k] / count - rounding[k] * rounding[k]);
  }
  const [scale, offset] = [new Float32Array(K), new Float32Array(K)];
  for (let k = 0; k < K; k++) {
    out.variance[k] = variance[k];
    const a = gamma[k] / Math.sqrt(variance[k] + epsilon);
    scale[k] = a;
    offset[k] = beta[k] - rounding[k] * a;
  }
  passes.normalize(out.mean, scale, offset);
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
  const K = gamma.length;
  const count = dims.outer * dims.inner;
  const rstd = new Float64Array(K);
  for (let k = 0; k < K; k++) rstd[k] = 1 / Math.sqrt(variance[k] + epsilon);
  const {sumDy, sumDyCentered} = passes.sums(mean);
  // dx's coefficients from the float32 dyScale it multiplies dy by: with one value per k, dx = dy·dyScale + dyShift
  // is then exactly 0, as it is in exact arithmetic.
  const [dyScale, dyShift, centeredScale] = [new Float32Array(K), new Float32Array(K), new Float32Array(K)];
  for (let k = 0; k < K; k++) {
    const sumDyXhat = sumDyCentered[k] * rstd[k];
    dyScale[k] = gamma[k] * rstd[k];
    dyShift[k] = (-dyScale[k] * sumDy[k]) / count;
    centeredScale[k] = (-dyScale[k] * rstd[k] * sumDyXhat) / count;
    out.dgamma[k] = sumDyXhat;
    out.dbeta[k] = sumDy[k];
  }
  passes.dx(dyScale, centeredScale, mean, dyShift);
}

function loopForwardPasses(x: Float32Array, dims: BnttDims, y: Float32Array): BnttForwardPasses {
  return {
    moments: center => {
      const [sum, squares] = blockSums(dims, 2, (i, k, term) => {
        const d = f32(x[i] - center[k]);
        term[0] = x[i];
        term[1] = d * d;
      });
      return {sum, squares};
    },
    squaredDeviations: center =>
      blockSums(dims, 1, (i, k, term) => {
        const d = f32(x[i] - center[k]);
        term[0] = d * d;
      })[0],
    normalize: (center, scale, offset) => normalize(x, center, scale, offset, dims, y),
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

/**
 * `count` sums per k of float32 terms (`terms(i, k, term)` writes position i's into `term`), in the order of x:
 * float32 partial sums over SUM_BLOCK inner positions of each (outer, r) row, added into float64 totals.
 */
function blockSums(
  dims: BnttDims,
  count: number,
  terms: (i: number, k: number, term: Float32Array) => void
): Float64Array[] {
  const {outer, rows, inner, channels} = dims;
  const totals = Array.from({length: count}, () => new Float64Array(rows * channels));
  const partials = Array.from({length: count}, () => new Float32Array(channels));
  const term = new Float32Array(count);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < rows; r++) {
      const base = r * channels;
      for (let first = 0; first < inner; first += SUM_BLOCK) {
        partials.forEach(p => p.fill(0));
        for (let s = first; s < Math.min(first + SUM_BLOCK, inner); s++) {
          for (let c = 0; c < channels; c++, i++) {
            terms(i, base + c, term);
            for (let m = 0; m < count; m++) partials[m][c] += term[m];
          }
        }
        for (let m = 0; m < count; m++) {
          for (let c = 0; c < channels; c++) totals[m][base + c] += partials[m][c];
        }
      }
    }
  }
  return totals;
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
  const [sumDy, sumDyCentered] = blockSums(dims, 2, (i, k, term) => {
    term[0] = dy[i];
    term[1] = dy[i] * f32(x[i] - mean[k]);
  });
  return {sumDy, sumDyCentered};
}
