/**
 * Runs the neuron family (alif, cubaLif, li, rlif, rCubaLif) through tfjs-snn and the independent float64
 * references of test/reference/neurons_reference.ts: spikes (or the li output), the final state, and the BPTT
 * gradients of the input, of every initial state tensor, of every tensor parameter and of the recurrent weight.
 * Shared by the Node (cpu, wasm) and browser (webgl) suites, with the tolerances of lif_check.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

import {ops} from '../../src/index';
import {rCubaLifWithState, rlifWithState} from '../../src/ops/recurrent';
import {randomArray, relativeMaxError, rng} from '../reference/lif_reference';
import {
  familyBackward,
  FamilyConfig,
  familyForward,
  familyStateNames,
  liBackward,
  liForward,
  RefReset,
  RefSurrogate,
} from '../reference/neurons_reference';

export type NeuronName = 'alif' | 'cubaLif' | 'li' | 'rlif' | 'rCubaLif';
export const NEURON_NAMES: readonly NeuronName[] = ['alif', 'cubaLif', 'li', 'rlif', 'rCubaLif'];

/** How parameters are given: numbers, scalar tensors, or one tensor element per channel (the last feature axis). */
export type ParameterForm = 'number' | 'scalarTensor' | 'channelTensor';

export interface NeuronCase {
  name: string;
  neuron: NeuronName;
  batch: number;
  time: number;
  featureShape: number[];
  form: ParameterForm;
  resetMode: RefReset;
  detachReset: boolean;
  vReset: number;
  surrogate: RefSurrogate;
  alpha: number;
  seed: number;
}

const KINDS: {[name in NeuronName]: {synaptic: boolean; adaptive: boolean; recurrent: boolean}} = {
  alif: {synaptic: false, adaptive: true, recurrent: false},
  cubaLif: {synaptic: true, adaptive: false, recurrent: false},
  li: {synaptic: false, adaptive: false, recurrent: false},
  rlif: {synaptic: false, adaptive: false, recurrent: true},
  rCubaLif: {synaptic: true, adaptive: false, recurrent: true},
};

/** The parameters each neuron takes, with the range their random values are drawn from. */
const PARAMETERS: {[name in NeuronName]: {[param: string]: [number, number]}} = {
  alif: {leak: [0.6, 1], threshold: [0.6, 1.2], adaptation: [0.05, 0.4], adaptationLeak: [0.6, 0.95]},
  cubaLif: {leak: [0.6, 1], synapticLeak: [0.5, 0.9], threshold: [0.6, 1.2]},
  li: {leak: [0.5, 1]},
  rlif: {leak: [0.6, 1], threshold: [0.6, 1.2]},
  rCubaLif: {leak: [0.6, 1], synapticLeak: [0.5, 0.9], threshold: [0.6, 1.2]},
};

const DEFAULT_ALPHA: {[s in RefSurrogate]: number} = {triangle: 0.3, fastSigmoid: 10, sigmoid: 4, arctan: 2};

/** The cases every backend runs: each neuron × resets, detach, surrogates, parameter forms, feature shapes. */
export function neuronCases(): NeuronCase[] {
  const variants: Array<Omit<NeuronCase, 'name' | 'neuron' | 'batch' | 'seed' | 'alpha'>> = [
    {
      time: 7,
      featureShape: [5],
      form: 'number',
      resetMode: 'subtract',
      detachReset: true,
      vReset: 0,
      surrogate: 'triangle',
    },
    {
      time: 6,
      featureShape: [5],
      form: 'scalarTensor',
      resetMode: 'subtract',
      detachReset: false,
      vReset: 0,
      surrogate: 'sigmoid',
    },
    {
      time: 6,
      featureShape: [4],
      form: 'channelTensor',
      resetMode: 'zero',
      detachReset: false,
      vReset: -0.2,
      surrogate: 'arctan',
    },
    {
      time: 5,
      featureShape: [4],
      form: 'channelTensor',
      resetMode: 'none',
      detachReset: true,
      vReset: 0,
      surrogate: 'fastSigmoid',
    },
    {
      time: 6,
      featureShape: [2, 3],
      form: 'channelTensor',
      resetMode: 'zero',
      detachReset: true,
      vReset: 0.1,
      surrogate: 'triangle',
    },
    {
      time: 5,
      featureShape: [2, 2, 3],
      form: 'scalarTensor',
      resetMode: 'subtract',
      detachReset: false,
      vReset: 0,
      surrogate: 'triangle',
    },
  ];
  const cases: NeuronCase[] = [];
  let seed = 100;
  for (const neuron of NEURON_NAMES) {
    for (const v of variants) {
      const recurrent = KINDS[neuron].recurrent;
      if (recurrent && v.featureShape.length > 1) continue; // rank 3 only
      if (neuron === 'li' && v.resetMode !== 'subtract') continue; // li does not fire: fewer variants
      const name =
        `${neuron} B=2 T=${v.time} F=[${v.featureShape}] ${v.form} params` +
        (neuron === 'li' ? '' : `, ${v.resetMode} reset${v.detachReset ? ' (detached)' : ''}, ${v.surrogate}`);
      cases.push({...v, name, neuron, batch: 2, seed: seed++, alpha: DEFAULT_ALPHA[v.surrogate]});
    }
  }
  return cases;
}

export interface NeuronCaseErrors {
  /** Spikes differing from the reference (0 for li, whose output is compared in `stateError`). */
  spikeMismatches: number;
  /** The li output train and the final state against the reference (max relative error). */
  stateError: number;
  /** Relative max error of each gradient: dInput, dInitial:<state>, d<parameter>, dRecurrentKernel. */
  gradErrors: {[name: string]: number};
}

function prod(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Sums a per-feature gradient [N] into the parameter's shape ([] or [C], C the last feature axis). */
function reduceToForm(perFeature: Float64Array, form: ParameterForm, channels: number): Float64Array {
  if (form === 'channelTensor') {
    const out = new Float64Array(channels);
    perFeature.forEach((x, n) => (out[n % channels] += x));
    return out;
  }
  return Float64Array.of(perFeature.reduce((a, b) => a + b, 0));
}

function initialRange(name: string): [number, number] {
  return name === 'current' ? [-0.2, 0.4] : name === 'adaptation' ? [0, 0.5] : [-0.5, 0.9];
}

/** Runs one case on the current backend; the errors against the reference. */
export async function checkNeuronCase(c: NeuronCase): Promise<NeuronCaseErrors> {
  const B = c.batch;
  const T = c.time;
  const N = prod(c.featureShape);
  const C = c.featureShape[c.featureShape.length - 1];
  const kind = KINDS[c.neuron];
  const rand = rng(c.seed);
  const draw = ([lo, hi]: [number, number]) => Math.fround(lo + (hi - lo) * rand());

  // Parameters: one value (number or scalar tensor) or one per channel; the reference gets them per feature.
  const paramNames = Object.keys(PARAMETERS[c.neuron]);
  const paramValues: {[name: string]: number[]} = {};
  for (const p of paramNames) {
    const count = c.form === 'channelTensor' ? C : 1;
    paramValues[p] = Array.from({length: count}, () => draw(PARAMETERS[c.neuron][p]));
  }
  const perFeature = (p: string) => Float64Array.from({length: N}, (_, n) => paramValues[p][n % paramValues[p].length]);
  const recurrentKernel = kind.recurrent ? randomArray(N * N, c.seed + 7, -0.4, 0.4) : undefined;

  const isLi = c.neuron === 'li';
  const stateNames = isLi ? ['membrane'] : familyStateNames(kind);
  const currents = randomArray(B * T * N, c.seed + 1, -0.25, kind.synaptic ? 0.45 : 0.8);
  const initial = stateNames.map((s, k) =>
    s === 'spikes'
      ? Float32Array.from(randomArray(B * N, c.seed + 10 + k, 0, 1), x => (x > 0.5 ? 1 : 0))
      : randomArray(B * N, c.seed + 10 + k, ...initialRange(s))
  );
  const outputWeights = randomArray(B * T * N, c.seed + 2);
  const stateWeights = stateNames.map((_, k) => randomArray(B * N, c.seed + 20 + k));

  // The references (the family forward nudges currents whose U lands within 1e-3 of Θ).
  let refOutput: Float64Array;
  let refState: Float64Array[];
  let refGrads: {[name: string]: Float64Array} = {};
  if (isLi) {
    const leak = perFeature('leak');
    const fwd = liForward(leak, currents, initial[0], B, T, N);
    const bwd = liBackward(leak, fwd, initial[0], outputWeights, stateWeights[0], B, T, N);
    refOutput = fwd.output;
    refState = [fwd.final];
    refGrads = {dInput: bwd.dInput, 'dInitial:membrane': bwd.dInitial, dleak: bwd.dLeak};
  } else {
    const config: FamilyConfig = {
      ...kind,
      resetMode: c.resetMode,
      detachReset: c.detachReset,
      vReset: c.vReset,
      surrogate: c.surrogate,
      alpha: c.alpha,
      leak: perFeature('leak'),
      threshold: perFeature('threshold'),
      synapticLeak: kind.synaptic ? perFeature('synapticLeak') : undefined,
      adaptation: kind.adaptive ? perFeature('adaptation') : undefined,
      adaptationLeak: kind.adaptive ? perFeature('adaptationLeak') : undefined,
      recurrentKernel,
    };
    const fwd = familyForward(config, currents, initial, B, T, N, 1e-3);
    const bwd = familyBackward(config, fwd, outputWeights, stateWeights, B, T, N);
    refOutput = fwd.spikes;
    refState = fwd.finalState;
    refGrads = {dInput: bwd.dInput, dRecurrentKernel: bwd.dRecurrentKernel};
    stateNames.forEach((s, k) => (refGrads[`dInitial:${s}`] = bwd.dInitial[k]));
    for (const p of paramNames) refGrads[`d${p}`] = bwd.dParams[p];
  }

  // tfjs-snn: the same loss, differentiated by tf.grads.
  const x = tf.tensor(currents, [B, T, ...c.featureShape]);
  const states = initial.map(s => tf.tensor(s, [B, ...c.featureShape]));
  const w = tf.tensor(outputWeights, x.shape);
  const r = stateWeights.map(s => tf.tensor(s, [B, ...c.featureShape]));
  const paramTensors =
    c.form === 'number'
      ? []
      : paramNames.map(p => (c.form === 'channelTensor' ? tf.tensor1d(paramValues[p]) : tf.scalar(paramValues[p][0])));
  const kernel = recurrentKernel != null ? tf.tensor(recurrentKernel, [N, N]) : null;
  const run = (xs: tf.Tensor, initialState: tf.Tensor[], params: tf.Tensor[], W: tf.Tensor | null) => {
    const options: {[k: string]: unknown} = {initialState};
    paramNames.forEach((p, k) => (options[p] = c.form === 'number' ? paramValues[p][0] : params[k]));
    if (!isLi) Object.assign(options, {resetMode: c.resetMode, detachReset: c.detachReset, vReset: c.vReset});
    if (!isLi) Object.assign(options, {surrogate: c.surrogate, alpha: c.alpha});
    if (W != null) options.recurrentKernel = W;
    switch (c.neuron) {
      case 'alif': {
        const o = ops.alifWithState(xs, options);
        return {output: o.spikes, state: o.state};
      }
      case 'cubaLif': {
        const o = ops.cubaLifWithState(xs, options);
        return {output: o.spikes, state: o.state};
      }
      case 'li':
        return ops.liWithState(xs, options);
      case 'rlif':
        return rlifWithState(xs, options as never);
      case 'rCubaLif':
        return rCubaLifWithState(xs, options as never);
    }
  };
  const inputs = [x, ...states, ...paramTensors, ...(kernel != null ? [kernel] : [])];
  const S = states.length;
  const P = paramTensors.length;
  const loss = (...args: tf.Tensor[]) => {
    const {output, state} = run(
      args[0],
      args.slice(1, 1 + S),
      args.slice(1 + S, 1 + S + P),
      kernel != null ? args[1 + S + P] : null
    );
    let total = tf.sum(tf.mul(output, w));
    state.forEach((s, k) => (total = tf.add(total, tf.sum(tf.mul(s, r[k])))));
    return total as tf.Scalar;
  };
  const out = run(x, states, paramTensors, kernel);
  const {value, grads} = tf.valueAndGrads(loss)(inputs);
  const outputData = await out.output.data();
  const stateData = await Promise.all(out.state.map(s => s.data()));
  const gradData = await Promise.all(grads.map(g => g.data()));
  tf.dispose([x, ...states, w, ...r, ...paramTensors, ...(kernel != null ? [kernel] : []), out.output, ...out.state]);
  tf.dispose([value, ...grads]);

  const gradErrors: {[name: string]: number} = {};
  gradErrors.dInput = relativeMaxError(gradData[0], refGrads.dInput);
  stateNames.forEach(
    (s, k) => (gradErrors[`dInitial:${s}`] = relativeMaxError(gradData[1 + k], refGrads[`dInitial:${s}`]))
  );
  paramNames.forEach((p, k) => {
    if (c.form === 'number') return;
    gradErrors[`d${p}`] = relativeMaxError(gradData[1 + S + k], reduceToForm(refGrads[`d${p}`], c.form, C));
  });
  if (kernel != null) gradErrors.dRecurrentKernel = relativeMaxError(gradData[1 + S + P], refGrads.dRecurrentKernel);

  let spikeMismatches = 0;
  let stateError = 0;
  if (isLi) stateError = relativeMaxError(outputData, refOutput);
  else for (let i = 0; i < refOutput.length; i++) if (outputData[i] !== refOutput[i]) spikeMismatches++;
  stateData.forEach((s, k) => (stateError = Math.max(stateError, relativeMaxError(s, refState[k]))));
  return {spikeMismatches, stateError, gradErrors};
}

/** The tolerances of lif_check.ts: spikes exact, state 1e-5, gradients 1e-4 relative. */
export function expectNeuronMatchesReference(e: NeuronCaseErrors): void {
  expect(e.spikeMismatches).withContext('spikes differing from the reference').toBe(0);
  expect(e.stateError).withContext('output/final state relative error').toBeLessThan(1e-5);
  for (const [name, error] of Object.entries(e.gradErrors)) {
    expect(error).withContext(`${name} relative error`).toBeLessThan(1e-4);
  }
}

/** Runs forward+backward of every neuron op (on `layer`-free ops) and checks tf.memory().numTensors stays flat. */
export function expectNeuronOpsLeakFree(): void {
  const x = tf.randomUniform([2, 5, 4], -0.2, 0.8);
  const w = tf.randomUniform([4, 4], -0.3, 0.3);
  const leak = tf.tensor1d([0.9, 0.8, 0.95, 1]);
  const threshold = tf.scalar(0.8);
  const adaptation = tf.scalar(0.3);
  const spikesOf = (r: {output: tf.Tensor; state: tf.Tensor[]}) => (tf.dispose(r.state), r.output);
  const runs: Array<(xs: tf.Tensor) => tf.Tensor> = [
    xs => ops.alif(xs, {leak, threshold, adaptation}),
    xs => ops.cubaLif(xs, {leak, threshold, synapticLeak: 0.7}),
    xs => ops.li(xs, {leak}),
    xs => spikesOf(rlifWithState(xs, {recurrentKernel: w, threshold})),
    xs => spikesOf(rCubaLifWithState(xs, {recurrentKernel: w, leak})),
  ];
  for (const run of runs) {
    const step = () => {
      const [dx, dLeak] = tf.grads((xs: tf.Tensor, l: tf.Tensor) => tf.sum(run(tf.mul(xs, tf.mean(l)))))([x, leak]);
      tf.dispose([dx, dLeak, run(x)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  }
  tf.dispose([x, w, leak, threshold, adaptation]);
}
