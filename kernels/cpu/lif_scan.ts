import type {LifAttrs} from '../lif_attrs';

/** One value per feature (the op broadcasts a neuron parameter to the features and flattens it). */
export interface LifParams {
  leak: Float32Array;
  threshold: Float32Array;
}

/**
 * Runs the LIF recurrence for one batch row, in float32 arithmetic (every
 * intermediate rounded as a float32 tensor op would round it).
 *
 * `input` holds the row's `[time, features]` currents starting at `offset`;
 * `membrane` (length `features`) holds V_0 on entry and V_T on exit; `params` the
 * leak and threshold of each feature. When given, `trace` (`[time, features]`)
 * receives U_t before reset and `spikes` (laid out like `input`) the spikes.
 */
export function scanRow(
  input: Float32Array,
  offset: number,
  time: number,
  membrane: Float32Array,
  params: LifParams,
  attrs: LifAttrs,
  trace: Float32Array | null,
  spikes: Float32Array | null
): void {
  const features = membrane.length;
  const {leak, threshold} = params;
  const mode = attrs.resetMode;
  const vReset = Math.fround(attrs.vReset);
  for (let t = 0; t < time; t++) {
    const stepOffset = offset + t * features;
    for (let n = 0; n < features; n++) {
      const u = Math.fround(Math.fround(leak[n] * membrane[n]) + input[stepOffset + n]);
      const th = threshold[n];
      const spiked = u > th;
      if (trace !== null) trace[t * features + n] = u;
      if (spikes !== null) spikes[stepOffset + n] = spiked ? 1 : 0;
      if (!spiked || mode === 'none') {
        membrane[n] = u;
      } else {
        membrane[n] = mode === 'subtract' ? u - th : vReset;
      }
    }
  }
}
