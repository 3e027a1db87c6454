/**
 * Events to dense frames, as Tonic's `ToFrame` (tonic.transforms.ToFrame / tonic.functional.to_frame_numpy)
 * slices and counts them: by a time window, an event count, a number of time bins or a number of event bins, with
 * overlap. Frames are channels-last ([frames, height, width, polarities], float32 counts) for tfjs's convolutions;
 * Tonic's are [frames, polarities, height, width] int16. Every difference: docs/events.md.
 */
import {describeValue, quotedList} from '../../errors';
import {checkEventArrays, checkSensorSize, checkSorted, Events, searchLeft, SensorSize} from './events';

/** Frames channels-last for tfjs convolutions: data of shape [frames, height, width, polarities]. */
export interface EventFrames {
  data: Float32Array;
  shape: [number, number, number, number];
}

/**
 * How `toFrames` slices a recording: exactly one of `timeWindow`, `eventCount`, `nTimeBins`, `nEventBins`.
 */
export interface ToFramesOptions {
  /** [width, height, polarities]; with 1 polarity every event counts in channel 0. */
  sensorSize: SensorSize;
  /** Frames of this many microseconds, starting at the first event, every `timeWindow − overlap` µs. */
  timeWindow?: number;
  /** Frames of this many events, every `eventCount − overlap` events. */
  eventCount?: number;
  /** This many frames of `floor(duration / nTimeBins) · (1 + overlap)` µs each. */
  nTimeBins?: number;
  /** This many frames of `floor(events / nEventBins) · (1 + overlap)` events each. */
  nEventBins?: number;
  /**
   * With timeWindow: µs shared by consecutive frames; with eventCount: events shared; with nTimeBins / nEventBins:
   * the fraction (in [0, 1)) each bin is enlarged by. Default 0.
   */
  overlap?: number;
  /** With timeWindow or eventCount: keep the last, shorter frame. Default false. */
  includeIncomplete?: boolean;
}

const SLICINGS = ['timeWindow', 'eventCount', 'nTimeBins', 'nEventBins'] as const;
const KNOWN = [...SLICINGS, 'sensorSize', 'overlap', 'includeIncomplete'];


/** floor(a / b) for a ≥ 0, b > 0, corrected where the division rounds up to the next integer. */
function floorDivide(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  return q;
}

function positiveNumber(fn: string, name: string, value: unknown, integer: boolean): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value > 0 && (!integer || Number.isSafeInteger(value));
  if (!ok) {
    throw new Error(`${fn}: option '${name}' must be a positive ${integer ? 'integer' : 'number'}; got ${describeValue(value)}`);
  }
  return value as number;
}

/**
 * The [start, end) event index ranges of the frames `options` asks for, in Tonic's slicing (tonic.slicers). Works
 * on sorted events.
 */
export function frameSlices(events: Events, options: Omit<ToFramesOptions, 'sensorSize'>, fn = 'frameSlices'): Array<[number, number]> {
  const given = SLICINGS.filter(name => options[name] != null);
  if (given.length !== 1) {
    throw new Error(
      `${fn}: give exactly one of ${quotedList(SLICINGS)}; got ${given.length === 0 ? 'none' : quotedList(given)}`
    );
  }
  const overlap = options.overlap ?? 0;
  if (typeof overlap !== 'number' || !Number.isFinite(overlap) || overlap < 0) {
    throw new Error(`${fn}: option 'overlap' must be a number ≥ 0; got ${describeValue(overlap)}`);
  }
  const incomplete = options.includeIncomplete ?? false;
  if (typeof incomplete !== 'boolean') {
    throw new Error(`${fn}: option 'includeIncomplete' must be true or false; got ${describeValue(incomplete)}`);
  }
  const t = events.t;
  const n = t.length;
  const slices: Array<[number, number]> = [];
  const round = incomplete ? Math.ceil : Math.floor;
  if (options.timeWindow != null) {
    const window = positiveNumber(fn, 'timeWindow', options.timeWindow, false);
    const stride = window - overlap;
    if (!(stride > 0)) {
      throw new Error(`${fn}: option 'overlap' (${overlap}) must be smaller than 'timeWindow' (${window})`);
    }
    if (n === 0) return [[0, 0]];
    const count = Math.max(round((t[n - 1] - t[0] - window) / stride) + 1, 1);
    for (let i = 0; i < count; i++) {
      const start = i * stride + t[0];
      slices.push([searchLeft(t, start), searchLeft(t, start + window)]);
    }
  } else if (options.eventCount != null) {
    const perFrame = positiveNumber(fn, 'eventCount', options.eventCount, true);
    if (!Number.isInteger(overlap)) throw new Error(`${fn}: option 'overlap' must be an integer (events) with eventCount; got ${overlap}`);
    const stride = perFrame - overlap;
    if (stride <= 0) {
      throw new Error(`${fn}: option 'overlap' (${overlap}) must be smaller than 'eventCount' (${perFrame})`);
    }
    const length = Math.min(perFrame, n);
    const count = round((n - length) / stride) + 1;
    for (let i = 0; i < count; i++) slices.push([Math.min(i * stride, n), Math.min(i * stride + length, n)]);
  } else {
    const bins = positiveNumber(fn, options.nTimeBins != null ? 'nTimeBins' : 'nEventBins', options.nTimeBins ?? options.nEventBins, true);
    if (overlap >= 1) throw new Error(`${fn}: option 'overlap' must be below 1 (a fraction of a bin); got ${overlap}`);
    if (options.nTimeBins != null) {
      if (n === 0) return Array.from({length: bins}, () => [0, 0] as [number, number]);
      const window = floorDivide(t[n - 1] - t[0], bins) * (1 + overlap);
      const stride = window * (1 - overlap);
      for (let i = 0; i < bins; i++) {
        const start = i * stride + t[0];
        slices.push([searchLeft(t, start), searchLeft(t, start + window)]);
      }
    } else {
      const length = Math.trunc(floorDivide(n, bins) * (1 + overlap));
      const stride = Math.trunc(length * (1 - overlap));
      for (let i = 0; i < bins; i++) slices.push([Math.min(i * stride, n), Math.min(i * stride + length, n)]);
    }
  }
  return slices;
}

/**
 * Accumulates events into frames of event counts per pixel and polarity, sliced as Tonic's `ToFrame` slices them.
 * Returns channels-last float32 frames `[frames, height, width, polarities]`, ready to be a `[time, H, W, P]`
 * sample of a spiking convolution. Throws on an event outside the sensor or unsorted timestamps.
 *
 * @example
 * ```js
 * const events = snn.data.createEvents({x: [0, 1, 1, 0], y: [0, 0, 1, 1], t: [0, 10, 20, 30], p: [1, 0, 1, 1]});
 * const frames = snn.data.toFrames(events, {sensorSize: [2, 2, 2], nTimeBins: 2});
 * console.log(frames.shape);   // [2, 2, 2, 2]: 15 µs bins [0, 15) and [15, 30); the event at t 30 falls outside
 * console.log(frames.data);    // frame 0: (y0,x0) ON 1, (y0,x1) OFF 1; frame 1: (y1,x1) ON 1
 * ```
 */
export function toFrames(events: Events, options: ToFramesOptions): EventFrames {
  const fn = 'toFrames';
  checkEventArrays(fn, events);
  if (options == null || typeof options !== 'object') {
    throw new Error(`${fn}: options must be an object with sensorSize and one of ${quotedList(SLICINGS)}; got ${describeValue(options)}`);
  }
  const unknown = Object.keys(options).find(key => !KNOWN.includes(key));
  if (unknown != null) throw new Error(`${fn}: unknown option '${unknown}'; expected ${KNOWN.join(', ')}`);
  const [width, height, polarities] = checkSensorSize(fn, options.sensorSize);
  checkSorted(fn, events);
  checkOnSensor(fn, events, width, height, polarities);
  const slices = frameSlices(events, options, fn);
  const frameSize = height * width * polarities;
  const data = new Float32Array(slices.length * frameSize);
  const {x, y, p} = events;
  slices.forEach(([start, end], frame) => {
    const base = frame * frameSize;
    for (let i = start; i < end; i++) {
      data[base + (y[i] * width + x[i]) * polarities + (polarities === 1 ? 0 : p[i])] += 1;
    }
  });
  return {data, shape: [slices.length, height, width, polarities]};
}

function checkOnSensor(fn: string, events: Events, width: number, height: number, polarities: number) {
  const {x, y, p} = events;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < 0 || x[i] >= width || y[i] < 0 || y[i] >= height || p[i] > 1) {
      throw new Error(
        `${fn}: event ${i} (x ${x[i]}, y ${y[i]}, p ${p[i]}) lies outside the sensor [${width}, ${height}, ${polarities}]; ` +
          `expected 0 ≤ x < ${width}, 0 ≤ y < ${height}, p 0 or 1`
      );
    }
  }
}

/**
 * Stacks equally long frame sequences into one batch: data of shape [samples, frames, height, width, polarities],
 * the `[batch, time, H, W, P]` input of a spiking model (e.g. `tf.tensor(batch.data, batch.shape)`).
 *
 * @example
 * ```js
 * const events = snn.data.createEvents({x: [0, 1], y: [0, 1], t: [0, 100], p: [1, 1]});
 * const frames = snn.data.toFrames(events, {sensorSize: [2, 2, 2], nTimeBins: 4});
 * const batch = snn.data.stackFrames([frames, frames]);
 * console.log(batch.shape);   // [2, 4, 2, 2, 2]
 * ```
 */
export function stackFrames(frames: EventFrames[]): {data: Float32Array; shape: [number, number, number, number, number]} {
  const fn = 'stackFrames';
  if (!Array.isArray(frames) || frames.length === 0) {
    throw new Error(`${fn}: expected a non-empty array of frames (toFrames results); got ${describeValue(frames)}`);
  }
  const shape = frames[0].shape;
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(frames.length * size);
  frames.forEach((f, i) => {
    if (f == null || !Array.isArray(f.shape) || f.shape.join() !== shape.join() || f.data.length !== size) {
      throw new Error(
        `${fn}: frames ${i} have shape ${describeValue(f?.shape)} but frames 0 have [${shape}]; expected equal shapes ` +
          `(slice with nTimeBins or nEventBins for a fixed number of frames)`
      );
    }
    data.set(f.data, i * size);
  });
  return {data, shape: [frames.length, shape[0], shape[1], shape[2], shape[3]]};
}
