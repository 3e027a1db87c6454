// The numpy reference's golden outputs for the event fixtures (tools/reference/events_reference.py writes
// test/fixtures/events/golden.json) and our events and frames in the same plain and sparse forms: shared by the
// Node specs (test/node/events_*) and the Chromium spec (test/browser/events_spec.ts).
import type {Events} from '../../src/data/events/events';
import type {EventFrames} from '../../src/data/events/to_frames';

export interface GoldenEvents {
  x: number[];
  y: number[];
  t: number[];
  p: number[];
}
export interface GoldenFrames {
  options?: Record<string, number | boolean>;
  shape: number[];
  counts: number[][];
}
export interface GoldenEntry {
  sensorSize: [number, number, number];
  events: GoldenEvents;
  frames?: GoldenFrames[];
  framesOnePolarity?: GoldenFrames;
  denoise?: Record<string, GoldenEvents>;
  downsample?: Record<string, {events: GoldenEvents; sensorSize: number[]}>;
}

export function plain(events: Events): GoldenEvents {
  return {x: Array.from(events.x), y: Array.from(events.y), t: Array.from(events.t), p: Array.from(events.p)};
}

/** [frame, y, x, p, count] for each non-zero count, in row-major order (numpy's argwhere order). */
export function sparse(frames: EventFrames): GoldenFrames {
  const [n, h, w, c] = frames.shape;
  const counts: number[][] = [];
  for (let f = 0; f < n; f++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let p = 0; p < c; p++) {
          const v = frames.data[((f * h + y) * w + x) * c + p];
          if (v !== 0) counts.push([f, y, x, p, v]);
        }
  return {shape: [...frames.shape], counts};
}
