/**
 * NIR's neuron equations are continuous in time; this is the one place that discretises them with the caller's
 * step `dt` (forward Euler, the input current of the step applied in the step) onto our neurons' parameters, and
 * back. Per neuron:
 *
 * | NIR | ours (one step) |
 * |---|---|
 * | LIF, LI: τ·dv/dt = (v_leak − v) + R·I | leak β = 1 − dt/τ; the input scaled by dt·R/τ, offset by dt·v_leak/τ |
 * | IF: dv/dt = R·I | leak 1; the input scaled by dt·R |
 * | CubaLIF: τ_syn·dI/dt = −I + w_in·S; τ_mem·dv/dt = (v_leak − v) + R·I | synapticLeak α = 1 − dt/τ_syn, leak β = 1 − dt/τ_mem; the input scaled by (dt/τ_mem)·R·(dt/τ_syn)·w_in; v_leak 0 |
 *
 * v_threshold is the threshold and v_reset the `vReset` of `resetMode: 'zero'` on both sides.
 */

/** What our neuron needs for one NIR neuron: the decays and the input's scale and offset (per neuron). */
export interface Discretised {
  leak: number[];
  synapticLeak?: number[];
  scale: number[];
  bias: number[];
}

const each = (n: number, f: (i: number) => number): number[] => Array.from({length: n}, (_, i) => f(i));

/** LIF and LI: β = 1 − dt/τ, scale dt·R/τ, bias dt·v_leak/τ. */
export function leakyFromNir(dt: number, tau: number[], r: number[], vLeak: number[]): Discretised {
  return {
    leak: each(tau.length, i => 1 - dt / tau[i]),
    scale: each(tau.length, i => (dt * r[i]) / tau[i]),
    bias: each(tau.length, i => (dt * vLeak[i]) / tau[i]),
  };
}

/** IF: leak 1, scale dt·R. */
export function ifFromNir(dt: number, r: number[]): Discretised {
  return {leak: r.map(() => 1), scale: r.map(x => dt * x), bias: r.map(() => 0)};
}

/** CubaLIF (v_leak must be 0): α = 1 − dt/τ_syn, β = 1 − dt/τ_mem, scale (dt/τ_mem)·R·(dt/τ_syn)·w_in. */
export function cubaFromNir(dt: number, tauSyn: number[], tauMem: number[], r: number[], wIn: number[]): Discretised {
  return {
    leak: each(tauMem.length, i => 1 - dt / tauMem[i]),
    synapticLeak: each(tauSyn.length, i => 1 - dt / tauSyn[i]),
    scale: each(tauMem.length, i => (dt / tauMem[i]) * r[i] * (dt / tauSyn[i]) * wIn[i]),
    bias: tauMem.map(() => 0),
  };
}

/** The inverse for LIF and LI: τ = dt/(1 − β), R = scale·τ/dt, v_leak = bias·τ/dt. β must be < 1. */
export function leakyToNir(dt: number, d: Discretised): {tau: number[]; r: number[]; v_leak: number[]} {
  const tau = d.leak.map(b => dt / (1 - b));
  return {tau, r: tau.map((t, i) => (d.scale[i] * t) / dt), v_leak: tau.map((t, i) => (d.bias[i] * t) / dt)};
}

/** The inverse for IF: R = scale/dt. */
export function ifToNir(dt: number, d: Discretised): {r: number[]} {
  return {r: d.scale.map(s => s / dt)};
}

/** The inverse for CubaLIF: τ_syn = dt/(1 − α), τ_mem = dt/(1 − β), R = τ_mem/dt, w_in = scale·τ_syn/dt. */
export function cubaToNir(
  dt: number,
  d: Discretised
): {tau_syn: number[]; tau_mem: number[]; r: number[]; w_in: number[]; v_leak: number[]} {
  const tauMem = d.leak.map(b => dt / (1 - b));
  const tauSyn = d.synapticLeak!.map(a => dt / (1 - a));
  return {
    tau_syn: tauSyn,
    tau_mem: tauMem,
    r: tauMem.map(t => t / dt),
    w_in: tauSyn.map((t, i) => (d.scale[i] * t) / dt),
    v_leak: tauMem.map(() => 0),
  };
}
