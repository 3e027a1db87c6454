/**
 * An independent float64 LIF reference: a forward pass that records every
 * primitive (U, S, V per step), and a reverse pass that back-propagates
 * through those primitives one at a time, exactly as an autodiff tape would.
 * Shares no code with the package.
 */
export interface RefOptions {
  leak: number;
  threshold: number;
  resetMode: 'subtract' | 'zero' | 'none';
  detachReset: boolean;
  surrogate: 'triangle' | 'fastSigmoid' | 'sigmoid' | 'arctan';
  alpha: number;
}

/** dS/dU as written in docs/lif.md. */
export function refSurrogate(o: RefOptions, u: number): number {
  const x = u - o.threshold;
  switch (o.surrogate) {
    case 'triangle': {
      const hat = 1 - Math.abs(u / o.threshold - 1);
      return hat > 0 ? (o.alpha * hat) / o.threshold : Number.isNaN(hat) ? NaN : 0;
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
  const finalMembrane = new Float64Array(B * N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      let v = v0[b * N + n];
      for (let t = 0; t < T; t++) {
        const i = (b * T + t) * N + n;
        const u = o.leak * v + input[i];
        const s = u > o.threshold ? 1 : 0;
        membranes[i] = u;
        spikes[i] = s;
        if (o.resetMode === 'subtract') v = u - o.threshold * s;
        else if (o.resetMode === 'zero') v = s === 1 ? 0 : u;
        else v = u;
      }
      finalMembrane[b * N + n] = v;
    }
  }
  return {spikes, finalMembrane, membranes};
}

/** Gradients of L = Σ gSpikes·S + Σ gFinal·V_T with respect to the currents and V_0. */
export function refBackward(
  o: RefOptions,
  fwd: RefResult,
  gSpikes: ArrayLike<number>,
  gFinal: ArrayLike<number>,
  B: number,
  T: number,
  N: number
): {dCurrents: Float64Array; dInitial: Float64Array} {
  const dCurrents = new Float64Array(B * T * N);
  const dInitial = new Float64Array(B * N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      let gV = gFinal[b * N + n]; // dL/dV_t
      for (let t = T - 1; t >= 0; t--) {
        const i = (b * T + t) * N + n;
        const u = fwd.membranes[i];
        const s = fwd.spikes[i];
        let gU = 0;
        let gS = gSpikes[i];
        // V_t = reset(U_t, S_t)
        if (o.resetMode === 'subtract') {
          gU += gV;
          if (!o.detachReset) gS += -o.threshold * gV;
        } else if (o.resetMode === 'zero') {
          // V = U·(1 − S)
          gU += gV * (1 - s);
          if (!o.detachReset) gS += -u * gV;
        } else {
          gU += gV;
        }
        // S_t = H(U_t − θ) with the surrogate derivative
        gU += gS * refSurrogate(o, u);
        // U_t = leak·V_{t−1} + I_t
        dCurrents[i] = gU;
        gV = o.leak * gU;
      }
      dInitial[b * N + n] = gV;
    }
  }
  return {dCurrents, dInitial};
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
  const th = o.threshold;
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      let v = Math.fround((rand() - 0.3) * th);
      initial[b * N + n] = v;
      for (let t = 0; t < T; t++) {
        const i = (b * T + t) * N + n;
        let x = Math.fround((rand() * 1.2 - 0.35) * th);
        let u = o.leak * v + x;
        if (Math.abs(u - th) < margin) {
          x = Math.fround(x + 3 * margin);
          u = o.leak * v + x;
        }
        currents[i] = x;
        const s = u > th ? 1 : 0;
        v = o.resetMode === 'subtract' ? u - th * s : o.resetMode === 'zero' ? (s ? 0 : u) : u;
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
