// Shared by the events_* specs: the committed fixtures and the numpy reference's golden outputs
// (tools/reference/events_reference.py), and frames in the reference's sparse form.
import * as fs from 'fs';
import * as path from 'path';

import {Events} from '../../src/data/events/events';
import {EventFrames} from '../../src/data/events/to_frames';

export const root = path.resolve(__dirname, '../../../..');
export const FIXTURES = path.join(root, 'test/fixtures/events');

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

let cached: Record<string, GoldenEntry> | null = null;
export function golden(): Record<string, GoldenEntry> {
  if (cached == null) cached = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'golden.json'), 'utf8'));
  return cached!;
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURES, name)));
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

export function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

export async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}
