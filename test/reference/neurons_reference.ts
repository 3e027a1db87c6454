/**
 * Independent float64 references for the neuron family (alif, cubaLif, li, rlif, rCubaLif), written from the
 * equations of DESIGN13 / docs/layers/<neuron>.md and sharing no code with the package: a forward loop that
 * records every primitive per step, and a hand-written reverse pass (BPTT) giving the gradients of the input, of
 * every initial state tensor and of every parameter (per feature) and of the recurrent weight.
 *
 * One loop covers the spiking members: `synaptic` adds the current J (cubaLif), `adaptive` the threshold rise A
 * (alif), `recurrent` the feedback S_{t−1}·W (rlif, rCubaLif).
 */

export type RefSurrogate = 'triangle' | 'fastSigmoid' | 'sigmoid' | 'arctan';
export type RefReset = 'subtract' | 'zero' | 'none';

/** dS/dU of each surrogate at membrane u against threshold th (the formulas of docs/lif.md). */
export function surrogateSlope(name: RefSurrogate, alpha: number, u: number, th: number): number {
  const x = u - th;
  if (name === 'triangle') return Math.max(0, 1 - Math.abs(u / th - 1)) * (alpha / th);
  if (name === 'fastSigmoid') return 1 / ((1 + alpha * Math.abs(x)) * (1 + alpha * Math.abs(x)));
  if (name === 'sigmoid') {
    const s = 1 / (1 + Math.exp(-alpha * x));
    return alpha * s * (1 - s);
  }
  const y = (Math.PI / 2) * alpha * x;
  return alpha / 2 / (1 + y * y);
}

/** The kind of neuron and its options; parameters are per feature (length N, already broadcast). */
export interface FamilyConfig {
  synaptic: boolean;
  adaptive: boolean;
  recurrent: boolean;
  resetMode: RefReset;
  detachReset: boolean;
  vReset: number;
  surrogate: RefSurrogate;
  alpha: number;
  leak: ArrayLike<number>; // β
  threshold: ArrayLike<number>; // θ
  synapticLeak?: ArrayLike<number>; // α (synaptic)
  adaptation?: ArrayLike<number>; // κ (adaptive)
  adaptationLeak?: ArrayLike<number>; // ρ (adaptive)
  recurrentKernel?: ArrayLike<number>; // W [N, N] row-major (recurrent)
}

/** The state names in the package's order for each member. */
export function familyStateNames(c: Pick<FamilyConfig, 'synaptic' | 'adaptive' | 'recurrent'>): string[] {
  const names: string[] = [];
  if (c.synaptic) names.push('current');
  names.push('membrane');
  if (c.adaptive) names.push('adaptation');
  if (c.recurrent) names.push('spikes');
  return names;
}

export interface FamilyForward {
  spikes: Float64Array; // [B, T, N]
  /** The final state, one [B, N] array per state name (familyStateNames order). */
  finalState: Float64Array[];
  /** min |U_t − Θ_t| over every element and step (how close a spike was to flipping). */
  margin: number;
  // Recorded per [B, T, N] for the reverse pass:
  u: Float64Array;
  theta: Float64Array;
  vPrev: Float64Array;
  jPrev: Float64Array;
  aPrev: Float64Array;
  sPrev: Float64Array;
}

/**
 * The forward loop. `input` [B, T, N]; `initial` one [B, N] array per state name. With `nudge` > 0 a current
 * that would leave |U − Θ| < nudge is moved by 2·nudge (rounded to float32) in `input` itself, so float32
 * and float64 agree on every spike.
 */
export function familyForward(
  c: FamilyConfig,
  input: Float32Array,
  initial: ArrayLike<number>[],
  B: number,
  T: number,
  N: number,
  nudge = 0
): FamilyForward {
  const names = familyStateNames(c);
  const init = (name: string) => initial[names.indexOf(name)];
  const size = B * T * N;
  const f: FamilyForward = {
    spikes: new Float64Array(size),
    finalState: names.map(() => new Float64Array(B * N)),
    margin: Infinity,
    u: new Float64Array(size),
    theta: new Float64Array(size),
    vPrev: new Float64Array(size),
    jPrev: new Float64Array(size),
    aPrev: new Float64Array(size),
    sPrev: new Float64Array(size),
  };
  for (let b = 0; b < B; b++) {
    const V = Float64Array.from({length: N}, (_, n) => init('membrane')[b * N + n]);
    const J = Float64Array.from({length: N}, (_, n) => (c.synaptic ? init('current')[b * N + n] : 0));
    const A = Float64Array.from({length: N}, (_, n) => (c.adaptive ? init('adaptation')[b * N + n] : 0));
    let S = Float64Array.from({length: N}, (_, n) => (c.recurrent ? init('spikes')[b * N + n] : 0));
    for (let t = 0; t < T; t++) {
      const next = new Float64Array(N);
      for (let n = 0; n < N; n++) {
        const i = (b * T + t) * N + n;
        let feedback = 0;
        if (c.recurrent) for (let m = 0; m < N; m++) feedback += S[m] * c.recurrentKernel![m * N + n];
        const theta = c.threshold[n] + A[n];
        const charge = () => {
          const inp = input[i] + feedback;
          const j = c.synaptic ? c.synapticLeak![n] * J[n] + inp : inp;
          return {j, u: c.leak[n] * V[n] + j};
        };
        let {j, u} = charge();
        if (nudge > 0 && Math.abs(u - theta) < nudge) {
          input[i] = Math.fround(input[i] + (u >= theta ? 2 * nudge : -2 * nudge));
          ({j, u} = charge());
        }
        const s = u > theta ? 1 : 0;
        f.margin = Math.min(f.margin, Math.abs(u - theta));
        f.u[i] = u;
        f.theta[i] = theta;
        f.vPrev[i] = V[n];
        f.jPrev[i] = J[n];
        f.aPrev[i] = A[n];
        f.sPrev[i] = S[n];
        f.spikes[i] = s;
        next[n] = s;
        J[n] = j;
        if (c.resetMode === 'subtract') V[n] = u - theta * s;
        else if (c.resetMode === 'zero') V[n] = s === 1 ? c.vReset : u;
        else V[n] = u;
        if (c.adaptive) A[n] = c.adaptationLeak![n] * A[n] + c.adaptation![n] * s;
      }
      S = next;
    }
    for (let n = 0; n < N; n++) {
      const by: {[name: string]: number} = {current: J[n], membrane: V[n], adaptation: A[n], spikes: S[n]};
      names.forEach((name, k) => (f.finalState[k][b * N + n] = by[name]));
    }
  }
  return f;
}

export interface FamilyGrads {
  dInput: Float64Array; // [B, T, N]
  dInitial: Float64Array[]; // per state name, [B, N]
  /** Per feature [N] (summed over batch and time): leak, threshold, synapticLeak, adaptation, adaptationLeak. */
  dParams: {[name: string]: Float64Array};
  dRecurrentKernel: Float64Array; // [N, N]
}

/**
 * The reverse pass for the loss L = Σ spikeWeights·S + Σ_k Σ stateWeights[k]·state_k(T): the gradient of L
 * with respect to the input, the initial state, every parameter and W.
 */
export function familyBackward(
  c: FamilyConfig,
  f: FamilyForward,
  spikeWeights: ArrayLike<number>,
  stateWeights: ArrayLike<number>[],
  B: number,
  T: number,
  N: number
): FamilyGrads {
  const names = familyStateNames(c);
  const g: FamilyGrads = {
    dInput: new Float64Array(B * T * N),
    dInitial: names.map(() => new Float64Array(B * N)),
    dParams: {
      leak: new Float64Array(N),
      threshold: new Float64Array(N),
      synapticLeak: new Float64Array(N),
      adaptation: new Float64Array(N),
      adaptationLeak: new Float64Array(N),
    },
    dRecurrentKernel: new Float64Array(N * N),
  };
  const weightOf = (name: string, b: number, n: number) =>
    names.includes(name) ? stateWeights[names.indexOf(name)][b * N + n] : 0;
  for (let b = 0; b < B; b++) {
    // Adjoints of the state after step t (dL/dV_t, dL/dJ_t, dL/dA_t, dL/dS_t through later steps).
    const aV = Float64Array.from({length: N}, (_, n) => weightOf('membrane', b, n));
    const aJ = Float64Array.from({length: N}, (_, n) => weightOf('current', b, n));
    const aA = Float64Array.from({length: N}, (_, n) => weightOf('adaptation', b, n));
    let aS = Float64Array.from({length: N}, (_, n) => weightOf('spikes', b, n));
    for (let t = T - 1; t >= 0; t--) {
      const dInp = new Float64Array(N);
      for (let n = 0; n < N; n++) {
        const i = (b * T + t) * N + n;
        const u = f.u[i];
        const th = f.theta[i];
        const s = f.spikes[i];
        // dL/dS_t: direct, through later steps' feedback (and the final spikes state), through A_t.
        let dS = spikeWeights[i] + aS[n];
        if (c.adaptive) {
          dS += c.adaptation![n] * aA[n];
          g.dParams.adaptation[n] += aA[n] * s;
          g.dParams.adaptationLeak[n] += aA[n] * f.aPrev[i];
        }
        // V_t from U_t, S_t, Θ_t.
        let dU = 0;
        let dTheta = 0;
        if (c.resetMode === 'subtract') {
          dU += aV[n];
          dTheta -= aV[n] * s;
          if (!c.detachReset) dS += -th * aV[n];
        } else if (c.resetMode === 'zero') {
          dU += aV[n] * (1 - s);
          if (!c.detachReset) dS += aV[n] * (c.vReset - u);
        } else {
          dU += aV[n];
        }
        // S_t = H(U_t − Θ_t) with the surrogate.
        const slope = surrogateSlope(c.surrogate, c.alpha, u, th);
        dU += dS * slope;
        dTheta -= dS * slope;
        // Θ_t = θ + A_{t−1}.
        g.dParams.threshold[n] += dTheta;
        const aAPrev = c.adaptive ? c.adaptationLeak![n] * aA[n] + dTheta : 0;
        // U_t = β·V_{t−1} + drive.
        g.dParams.leak[n] += dU * f.vPrev[i];
        const aVPrev = c.leak[n] * dU;
        let dDrive = dU;
        let aJPrev = 0;
        if (c.synaptic) {
          // J_t = α·J_{t−1} + inp.
          const dJ = dU + aJ[n];
          g.dParams.synapticLeak[n] += dJ * f.jPrev[i];
          aJPrev = c.synapticLeak![n] * dJ;
          dDrive = dJ;
        }
        dInp[n] = dDrive;
        g.dInput[i] = dDrive;
        aV[n] = aVPrev;
        aJ[n] = aJPrev;
        aA[n] = aAPrev;
      }
      // inp_t = I_t + S_{t−1}·W.
      const aSPrev = new Float64Array(N);
      if (c.recurrent) {
        for (let m = 0; m < N; m++) {
          const sPrev = f.sPrev[(b * T + t) * N + m];
          for (let n = 0; n < N; n++) {
            g.dRecurrentKernel[m * N + n] += sPrev * dInp[n];
            aSPrev[m] += c.recurrentKernel![m * N + n] * dInp[n];
          }
        }
      }
      aS = aSPrev;
    }
    for (let n = 0; n < N; n++) {
      const by: {[name: string]: number} = {current: aJ[n], membrane: aV[n], adaptation: aA[n], spikes: aS[n]};
      names.forEach((name, k) => (g.dInitial[k][b * N + n] = by[name]));
    }
  }
  return g;
}

/** The leaky integrator U_t = β·U_{t−1} + I_t (output U_t): forward. */
export function liForward(
  leak: ArrayLike<number>,
  input: ArrayLike<number>,
  initial: ArrayLike<number>,
  B: number,
  T: number,
  N: number
): {output: Float64Array; final: Float64Array} {
  const output = new Float64Array(B * T * N);
  const final = new Float64Array(B * N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      let u = initial[b * N + n];
      for (let t = 0; t < T; t++) {
        u = leak[n] * u + input[(b * T + t) * N + n];
        output[(b * T + t) * N + n] = u;
      }
      final[b * N + n] = u;
    }
  }
  return {output, final};
}

/** The leaky integrator's reverse pass for L = Σ outputWeights·U + Σ finalWeights·U_T. */
export function liBackward(
  leak: ArrayLike<number>,
  forward: {output: Float64Array},
  initial: ArrayLike<number>,
  outputWeights: ArrayLike<number>,
  finalWeights: ArrayLike<number>,
  B: number,
  T: number,
  N: number
): {dInput: Float64Array; dInitial: Float64Array; dLeak: Float64Array} {
  const dInput = new Float64Array(B * T * N);
  const dInitial = new Float64Array(B * N);
  const dLeak = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      let a = finalWeights[b * N + n]; // dL/dU_t through later steps
      for (let t = T - 1; t >= 0; t--) {
        const i = (b * T + t) * N + n;
        const dU = a + outputWeights[i];
        dInput[i] = dU;
        const previous = t > 0 ? forward.output[i - N] : initial[b * N + n];
        dLeak[n] += dU * previous;
        a = leak[n] * dU;
      }
      dInitial[b * N + n] = a;
    }
  }
  return {dInput, dInitial, dLeak};
}
