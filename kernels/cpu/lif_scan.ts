import type {LifAttrs} from '../lif_attrs';

/**
 * Runs the LIF recurrence for one batch row, in float32 arithmetic (every
 * intermediate rounded as a float32 tensor op would round it).
 *
 * `input` holds the row's `[time, features]` currents starting at `offset`;
 * `membrane` (length `features`) holds V_0 on entry and V_T on exit. When given,
 * `trace` (`[time, features]`) receives U_t before reset and `spikes` (laid out
 * like `input`) the spikes.
 */
export function scanRow(
  input: Float32Array,
  offset: number,
  time: number,
  membrane: Float32Array,
  attrs: LifAttrs,
  trace: Float32Array | null,
  spikes: Float32Array | null
): void {
  const features = membrane.length;
  const leak = Math.fround(attrs.leak);
  const threshold = Math.fround(attrs.threshold);
  const mode = attrs.resetMode;
  for (let t = 0; t < time; t++) {
    const stepOffset = offset + t * features;
    for (let n = 0; n < features; n++) {
      const u = Math.fround(Math.fround(leak * membrane[n]) + input[stepOffset + n]);
      const spiked = u > threshold;
      if (trace !== null) trace[t * features + n] = u;
      if (spikes !== null) spikes[stepOffset + n] = spiked ? 1 : 0;
      if (!spiked || mode === 'none') {
        membrane[n] = u;
      } else {
        membrane[n] = mode === 'subtract' ? u - threshold : 0;
      }
    }
  }
}
