import type {LifAttrs} from '../../kernels/lif_attrs';

import {broadcastParam, RefOptions, rng} from './lif_reference';

export const RESETS = ['subtract', 'zero', 'none'] as const;
export const SURROGATES = ['triangle', 'fastSigmoid', 'sigmoid', 'arctan'] as const;
export const DEFAULT_ALPHA = {triangle: 0.3, fastSigmoid: 25, sigmoid: 4, arctan: 2};
export const TIME_STEPS = [1, 2, 25, 64];
/** Feature shapes of rank 1 to 4 (currents of rank 3 to 6). */
export const FEATURE_SHAPES = [[5], [3, 2], [2, 2, 3], [2, 1, 2, 2]];
/** How a case passes the leak and the threshold to the op: a number, or a float32 tensor broadcasting to the features. */
export const PARAM_FORMS = ['number', 'scalar tensor', 'per channel', 'per neuron'] as const;
export type ParamForm = (typeof PARAM_FORMS)[number];
/** Values a 'zero' reset goes to. */
export const V_RESETS = [0, -0.25, 0.1];

/**
 * The kernels' attributes in the ready-made models (ops.lif with number leak and threshold: subtract reset, the
 * triangle surrogate at its default alpha, no parameter gradients), for specs and benches of the programs alone.
 */
export const MODEL_LIF_ATTRS: Readonly<LifAttrs> = Object.freeze({
  resetMode: 'subtract',
  detachReset: false,
  surrogate: 'triangle',
  alpha: DEFAULT_ALPHA.triangle,
  vReset: 0,
  parameterGradients: false,
});

/** A parameter as the op gets it: a number, or the values and shape of a float32 tensor. */
export type CaseParam = number | {shape: number[]; values: number[]};

export interface LifCase {
  name: string;
  /** The reference's options: `leak` and `threshold` one value per feature where the case gives a tensor. */
  options: RefOptions;
  /** The leak and threshold as the op gets them. */
  leak: CaseParam;
  threshold: CaseParam;
  batch: number;
  time: number;
  featureShape: number[];
  seed: number;
}

/** The shape of a tensor parameter of `form` for `featureShape` ([] for a scalar tensor, [C] per channel). */
function formShape(form: ParamForm, featureShape: number[]): number[] {
  if (form === 'scalar tensor') return [];
  if (form === 'per channel') return [featureShape[featureShape.length - 1]];
  return featureShape.slice();
}

/**
 * A parameter around `base` in the form `form`: per-channel and per-neuron values vary by `spread`
 * (a leak of 1 keeps some entries at exactly 1), rounded to float32 so the float64 reference sees what the op sees.
 */
function makeParam(form: ParamForm, base: number, spread: number, featureShape: number[], seed: number): CaseParam {
  if (form === 'number') return base;
  const shape = formShape(form, featureShape);
  const size = shape.reduce((a, b) => a * b, 1);
  const rand = rng(seed);
  const values = Array.from({length: size}, (_, i) =>
    Math.fround(form === 'scalar tensor' || i % 2 === 0 ? base : base - spread * rand())
  );
  return {shape, values};
}

function describeParam(p: CaseParam): string {
  return typeof p === 'number' ? `${p}` : `tensor[${p.shape}]`;
}

/**
 * Every combination of reset mode, surrogate, detachReset and leak (1 and 0.9), each at every T in
 * TIME_STEPS; the feature rank cycles so every (T, rank) pair also occurs, and the forms of the leak and
 * the threshold (PARAM_FORMS) cycle so that each combination meets tensor parameters. 'zero' resets cycle
 * through V_RESETS.
 */
export function lifCases(): LifCase[] {
  const cases: LifCase[] = [];
  let k = 0;
  for (const resetMode of RESETS) {
    for (const surrogate of SURROGATES) {
      for (const detachReset of [true, false]) {
        for (const leakBase of [1, 0.9]) {
          for (const time of TIME_STEPS) {
            const featureShape = FEATURE_SHAPES[(k + time) % FEATURE_SHAPES.length];
            const round = Math.floor(k / TIME_STEPS.length);
            const leakForm = PARAM_FORMS[(k + round) % PARAM_FORMS.length];
            const thresholdForm = PARAM_FORMS[(k + 2 * round + 1) % PARAM_FORMS.length];
            const leak = makeParam(leakForm, leakBase, 0.15, featureShape, 5000 + k);
            const threshold = makeParam(thresholdForm, k % 3 === 0 ? 0.75 : 1, -0.4, featureShape, 6000 + k);
            const vReset = resetMode === 'zero' ? V_RESETS[round % V_RESETS.length] : 0;
            const perFeature = (p: CaseParam) =>
              typeof p === 'number' ? p : broadcastParam(p.values, p.shape, featureShape);
            const options: RefOptions = {
              leak: perFeature(leak),
              threshold: perFeature(threshold),
              vReset,
              resetMode,
              detachReset,
              surrogate,
              alpha: DEFAULT_ALPHA[surrogate],
            };
            cases.push({
              name:
                `${resetMode}${vReset !== 0 ? `(vReset=${vReset})` : ''}/${surrogate}/detach=${detachReset}/` +
                `leak=${leakBase}:${describeParam(leak)}/threshold=${describeParam(threshold)}/T=${time}/` +
                `features=[${featureShape}]`,
              options,
              leak,
              threshold,
              batch: 1 + (k % 3),
              time,
              featureShape,
              seed: 1000 + k,
            });
            k++;
          }
        }
      }
    }
  }
  return cases;
}
