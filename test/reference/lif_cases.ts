import {RefOptions} from './lif_reference';

export const RESETS = ['subtract', 'zero', 'none'] as const;
export const SURROGATES = ['triangle', 'fastSigmoid', 'sigmoid', 'arctan'] as const;
export const DEFAULT_ALPHA = {triangle: 0.3, fastSigmoid: 25, sigmoid: 4, arctan: 2};
export const TIME_STEPS = [1, 2, 25, 64];
/** Feature shapes of rank 1 to 4 (currents of rank 3 to 6). */
export const FEATURE_SHAPES = [[5], [3, 2], [2, 2, 3], [2, 1, 2, 2]];

export interface LifCase {
  name: string;
  options: RefOptions;
  batch: number;
  time: number;
  featureShape: number[];
  seed: number;
}

/**
 * Every combination of reset mode, surrogate, detachReset and leak (1 and
 * 0.9), each at every T in TIME_STEPS; the feature rank cycles so every
 * (T, rank) pair also occurs.
 */
export function lifCases(): LifCase[] {
  const cases: LifCase[] = [];
  let k = 0;
  for (const resetMode of RESETS) {
    for (const surrogate of SURROGATES) {
      for (const detachReset of [true, false]) {
        for (const leak of [1, 0.9]) {
          for (const time of TIME_STEPS) {
            const featureShape = FEATURE_SHAPES[(k + time) % FEATURE_SHAPES.length];
            const threshold = k % 3 === 0 ? 0.75 : 1;
            const options = {leak, threshold, resetMode, detachReset, surrogate, alpha: DEFAULT_ALPHA[surrogate]};
            cases.push({
              name: `${resetMode}/${surrogate}/detach=${detachReset}/leak=${leak}/T=${time}/features=[${featureShape}]`,
              options,
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
