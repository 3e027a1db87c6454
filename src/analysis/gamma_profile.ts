import type {LayersModel} from '@tensorflow/tfjs-layers';

import {isNormalization} from '../layers/roles';
import {layerChain} from './model_chain';

/** One BNTT layer's learnt scales per time step. */
export interface GammaProfile {
  layer: string;
  /** Mean of gamma[t, :] over channels, for t = 0 … T−1. */
  mean: number[];
  /** Standard deviation of gamma[t, :] over channels (population). */
  std: number[];
  min: number[];
  max: number[];
}

/**
 * The BNTT scales (gamma, `[T, channels]`) of every `bntt` layer, summarised per time step: the
 * paper's Figure 5. Where the mean falls towards zero, the layer passes almost nothing at that
 * step, which is what the temporal early exit reads off (`layers.earlyExitWrapper`).
 * `spikingBatchNorm` layers (one gamma for all steps) have no profile and are left out.
 *
 * Page: docs/analysis.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});   // a trained model, in practice
 * for (const p of snn.analysis.gammaProfile(model)) console.log(p.layer, p.mean.map(g => g.toFixed(2)));
 * ```
 */
export function gammaProfile(model: LayersModel): GammaProfile[] {
  const profiles: GammaProfile[] = [];
  for (const layer of layerChain(model, 'gammaProfile')) {
    // Per-step normalisation with learnt scales; spikingBatchNorm (shared over time) and scale: false have none.
    const value = isNormalization(layer) ? layer.stepScales() : null;
    if (value == null) continue;
    const [steps, channels] = value.shape;
    const data = Float64Array.from(value.dataSync());
    const rows = Array.from({length: steps}, (_, t) => Array.from(data.subarray(t * channels, (t + 1) * channels)));
    const mean = rows.map(row => row.reduce((a, b) => a + b, 0) / channels);
    profiles.push({
      layer: layer.name,
      mean,
      std: rows.map((row, t) => Math.sqrt(row.reduce((a, g) => a + (g - mean[t]) ** 2, 0) / channels)),
      min: rows.map(row => Math.min(...row)),
      max: rows.map(row => Math.max(...row)),
    });
  }
  return profiles;
}
