/**
 * An independent float64 LIF reference: a forward pass that records every
 * primitive (U, S, V per step), and a reverse pass that back-propagates
 * through those primitives one at a time, exactly as an autodiff tape would,
 * including the gradients of the leak β and the threshold θ (one value per feature, or one for all).
 * Shares no code with the package. Equations: docs/lif.md.
 */

/** A neuron parameter: one number for every feature, or one value per feature (length N, features flattened). */
export type RefParam = number | ArrayLike<number>;

export interface RefOptions {
  leak: RefParam;
  threshold: RefParam;
  /** The value a 'zero' reset sets the membrane to; default 0. */
  vReset?: number;
  resetMode: 'subtract' | 'zero' | 'none';
  detachReset: boolean;
  surrogate: 'triangle' | 'fastSigmoid' | 'sigmoid' | 'arctan';
  alpha: number;
}

/** The value of a parameter for feature n. */
export function paramAt(p: RefParam, n: number): number {
  return typeof p === 'number' ? p : p[n];
}

/** dS/dU as written in docs/lif.md, for threshold θ. */
export function refSurrogate(o: Pick<RefOptions, 'surrogate' | 'alpha'>, u: number, threshold: number): number {
  const x = u - threshold;
  switch (o.surrogate) {
    case 'triangle': {
      const hat = 1 - Math.abs(u / threshold - 1);
      return hat > 0 ? (o.alpha * hat) / threshold : Number.isNaN(hat) ? NaN : 0;
    }
    case 'fastSigmoid':
      return 1 / Math.pow(1 + o.alpha * Math.abs(x), 2);
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-o.alpha * x));
      return o.alpha * s * (1 - s);
    }
    case 'arctan':
      return o.alpha / 2 / (1 + Math.pow((Math.PI / 2) * o.alpha * x, 2));
  }
}

export interface RefResult {
  spikes: Float64Array; // [B, T, N]
  finalMembrane: Float64Array; // [B, N]
  membranes: Float64Array; // U before reset, [B, T, N]
  previous: Float64Array; // V_{t−1}, [B, T, N]
}

export function refForward(
  o: RefOptions,
  input: ArrayLike<number>,
  v0: ArrayLike<number>,
  B: number,
  T: number,
  N: number
): RefResult {
  const spikes = new Float64Array(B * T * N);
  const membranes = new Float64Array(B * T * N);
  const previous = new Float64Array(B * T * N);
  const finalMembrane = new Float64Array(B * N);
  const vReset = o.vReset ?? 0;
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      const leak = paramAt(o.leak, n);
      const threshold = paramAt(o.threshold, n);
      let v = v0[b * N + n];
      for (let t = 0; t < T; t++) {
        const i = (b * T + t) * N + n;
        previous[i] = v;
        const u = leak * v + input[i];
        const s = u > threshold ? 1 : 0;
        membranes[i] = u;
        spikes[i] = s;
        if (o.resetMode === 'subtract') v = u - threshold * s;
        else if (o.resetMode === 'zero') v = s === 1 ? vReset : u;
        else v = u;
      }
      finalMembrane[b * N + n] = v;
    }
  }
  return {spikes, finalMembrane, membranes, previous};
}

export interface RefGradients {
  dCurrents: Float64Array; // [B, T, N]
  dInitial: Float64Array; // [B, N]
  dLeak: Float64Array; // [N]: per feature, summed over batch and time
  dThreshold: Float64Array; // [N]
}

/**
 * Gradients of L = Σ gSpikes·S + Σ gFinal·V_T with respect to the currents, V_0, and each feature's leak and
 * threshold (sum them over the features a shared parameter covers: `reduceParam`).
 */
export function refBackward(
  o: RefOptions,
  fwd: RefResult,
  gSpikes: ArrayLike<number>,
  gFinal: ArrayLike<number>,
  B: number,
  T: number,
  N: number
): RefGradients {
  const dCurrents = new Float64Array(B * T * N);
  const dInitial = new Float64Array(B * N);
  const dLeak = new Float64Array(N);
  const dThreshold = new Float64Array(N);
  const vReset = o.vReset ?? 0;
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      const leak = paramAt(o.leak, n);
      const threshold = paramAt(o.threshold, n);
      let gV = gFinal[b * N + n]; // dL/dV_t
      for (let t = T - 1; t >= 0; t--) {
        const i = (b * T + t) * N + n;
        const u = fwd.membranes[i];
        const s = fwd.spikes[i];
        let gU = 0;
        let gS = gSpikes[i];
        // V_t = reset(U_t, S_t, θ)
        if (o.resetMode === 'subtract') {
          // V = U − θ·S: θ is not detached
          gU += gV;
          if (!o.detachReset) gS += -threshold * gV;
          dThreshold[n] += -s * gV;
        } else if (o.resetMode === 'zero') {
          // V = U·(1 − S) + v_r·S
          gU += gV * (1 - s);
          if (!o.detachReset) gS += (vReset - u) * gV;
        } else {
          gU += gV;
        }
        // S_t = H(U_t − θ) with the surrogate derivative: dS/dU = σ'(U), dS/dθ = −σ'(U)
        const slope = refSurrogate(o, u, threshold);
        gU += gS * slope;
        dThreshold[n] += -gS * slope;
        // U_t = β·V_{t−1} + I_t
        dCurrents[i] = gU;
        dLeak[n] += gU * fwd.previous[i];
        gV = leak * gU;
      }
      dInitial[b * N + n] = gV;
    }
  }
  return {dCurrents, dInitial, dLeak, dThreshold};
}

/** Row-major strides of `shape`. */
function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** The index into a tensor of `shape` (trailing-aligned, size-1 axes broadcast) read by feature `n` of `featureShape`. */
function broadcastIndex(n: number, featureShape: readonly number[], shape: readonly number[]): number {
  const fStrides = strides(featureShape);
  const pStrides = strides(shape);
  const lead = featureShape.length - shape.length;
  let index = 0;
  for (let axis = 0; axis < featureShape.length; axis++) {
    const coordinate = Math.floor(n / fStrides[axis]) % featureShape[axis];
    const p = axis - lead;
    if (p >= 0 && shape[p] !== 1) index += coordinate * pStrides[p];
  }
  return index;
}

/** A parameter of `shape` (broadcasting to `featureShape`) as one value per feature. */
export function broadcastParam(
  values: ArrayLike<number>,
  shape: readonly number[],
  featureShape: readonly number[]
): Float64Array {
  const N = featureShape.reduce((a, b) => a * b, 1);
  return Float64Array.from({length: N}, (_, n) => values[broadcastIndex(n, featureShape, shape)]);
}

/** Per-feature gradients summed into a parameter of `shape` (the adjoint of `broadcastParam`). */
export function reduceParam(
  perFeature: ArrayLike<number>,
  shape: readonly number[],
  featureShape: readonly number[]
): Float64Array {
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (let n = 0; n < perFeature.length; n++) out[broadcastIndex(n, featureShape, shape)] += perFeature[n];
  return out;
}

/** A small seeded generator (mulberry32), so cases are reproducible everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Float32 currents and V_0 whose float64 trajectory keeps every U_t at least
 * `margin` away from the threshold, so float32 rounding cannot flip a spike.
 */
export function makeInputs(
  o: RefOptions,
  B: number,
  T: number,
  N: number,
  seed: number,
  margin = 2e-3
): {currents: Float32Array; initial: Float32Array} {
  const rand = rng(seed);
  const currents = new Float32Array(B * T * N);
  const initial = new Float32Array(B * N);
  const vReset = o.vReset ?? 0;
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      const leak = paramAt(o.leak, n);
      const th = paramAt(o.threshold, n);
      let v = Math.fround((rand() - 0.3) * th);
      initial[b * N + n] = v;
      for (let t = 0; t < T; t++) {
        const i = (b * T + t) * N + n;
        let x = Math.fround((rand() * 1.2 - 0.35) * th);
        let u = leak * v + x;
        if (Math.abs(u - th) < margin) {
          x = Math.fround(x + 3 * margin);
          u = leak * v + x;
        }
        currents[i] = x;
        const s = u > th ? 1 : 0;
        v = o.resetMode === 'subtract' ? u - th * s : o.resetMode === 'zero' ? (s ? vReset : u) : u;
      }
    }
  }
  return {currents, initial};
}

export function randomArray(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = rng(seed);
  return Float32Array.from({length: size}, () => lo + (hi - lo) * rand());
}

/** max |a − b| / max |b|; 0 when both are all zeros. */
export function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  if (maxDiff === 0) return 0;
  return maxRef === 0 ? Infinity : maxDiff / maxRef;
}
