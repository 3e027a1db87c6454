/**
 * Event-camera recordings in memory: the `Events` arrays every reader returns and every transform takes, the
 * sensor size, labelled sets of recordings, and the checks and error messages the readers share.
 */
import {describeValue} from '../../errors';

/** One recording: parallel arrays, one entry per event, sorted by t. t in microseconds (float64: exact to 2^53). */
export interface Events {
  x: Int32Array;
  y: Int32Array;
  t: Float64Array;
  /** 0 OFF, 1 ON. */
  p: Uint8Array;
}

/** Tonic's sensor_size order: [width, height, polarities]. */
export type SensorSize = [number, number, number];

/**
 * A labelled set of recordings, as the event dataset loaders return it: `samples[i]` has class `labels[i]`, named
 * `classes[labels[i]]`; every event lies on a `sensorSize` sensor.
 */
export interface EventDataset {
  samples: Events[];
  labels: Int32Array;
  sensorSize: SensorSize;
  classes: string[];
}

/** Plain arrays (or typed arrays) of equal length, for {@link createEvents}. */
export interface EventArrays {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  t: ArrayLike<number>;
  p: ArrayLike<number | boolean>;
}

/** Empty arrays for `count` events. */
export function allocateEvents(count: number): Events {
  return {x: new Int32Array(count), y: new Int32Array(count), t: new Float64Array(count), p: new Uint8Array(count)};
}

/** The number of events of a recording (checked: the four arrays have one length). */
export function eventCount(events: Events, fn = 'eventCount'): number {
  checkEventArrays(fn, events);
  return events.t.length;
}

/** Events `start` (inclusive) to `end` (exclusive), as views that share the arrays' memory. */
export function sliceEvents(events: Events, start: number, end: number): Events {
  return {
    x: events.x.subarray(start, end),
    y: events.y.subarray(start, end),
    t: events.t.subarray(start, end),
    p: events.p.subarray(start, end),
  };
}

/** The first index whose timestamp is ≥ `value` in sorted timestamps (numpy's searchsorted, side 'left'). */
export function searchLeft(t: Float64Array, value: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first `count` events of `events` copied into new arrays (for readers that over-allocate). */
export function truncateEvents(events: Events, count: number): Events {
  return {
    x: events.x.slice(0, count),
    y: events.y.slice(0, count),
    t: events.t.slice(0, count),
    p: events.p.slice(0, count),
  };
}

/**
 * Events from plain arrays, checked: integer coordinates ≥ 0, finite timestamps in non-decreasing order, polarity 0
 * or 1 (or false / true).
 *
 * @example
 * ```js
 * const events = snn.data.createEvents({x: [3, 4], y: [1, 1], t: [0, 250], p: [1, 0]});
 * console.log(events.x, events.t, events.p);   // Int32Array [3, 4] Float64Array [0, 250] Uint8Array [1, 0]
 * ```
 */
export function createEvents(arrays: EventArrays): Events {
  const fn = 'createEvents';
  if (arrays == null || typeof arrays !== 'object') {
    throw new Error(`${fn}: expected {x, y, t, p} arrays; got ${describeValue(arrays)}`);
  }
  for (const key of ['x', 'y', 't', 'p'] as const) {
    const values = arrays[key];
    if (values == null || typeof values.length !== 'number') {
      throw new Error(`${fn}: field '${key}' must be an array; got ${describeValue(values)}`);
    }
  }
  const n = arrays.t.length;
  for (const key of ['x', 'y', 'p'] as const) {
    if (arrays[key].length !== n) {
      throw new Error(`${fn}: field '${key}' has ${arrays[key].length} values but 't' has ${n}; expected one per event`);
    }
  }
  const events = allocateEvents(n);
  for (let i = 0; i < n; i++) {
    const x = arrays.x[i];
    const y = arrays.y[i];
    const t = arrays.t[i];
    const p = arrays.p[i];
    if (!Number.isInteger(x) || x < 0 || x > 0x7fffffff) throw eventValueError(fn, 'x', i, x, 'an integer ≥ 0');
    if (!Number.isInteger(y) || y < 0 || y > 0x7fffffff) throw eventValueError(fn, 'y', i, y, 'an integer ≥ 0');
    if (typeof t !== 'number' || !Number.isFinite(t)) throw eventValueError(fn, 't', i, t, 'a finite number');
    if (i > 0 && t < arrays.t[i - 1]) {
      throw eventValueError(fn, 't', i, t, `≥ the previous event's ${arrays.t[i - 1]} (events sorted by time)`);
    }
    if (p !== 0 && p !== 1 && p !== true && p !== false) throw eventValueError(fn, 'p', i, p, '0, 1, false or true');
    events.x[i] = x;
    events.y[i] = y;
    events.t[i] = t;
    events.p[i] = p === true || p === 1 ? 1 : 0;
  }
  return events;
}

function eventValueError(fn: string, field: string, index: number, value: unknown, expected: string): Error {
  return new Error(`${fn}: event ${index} has ${field} = ${describeValue(value)}; expected ${expected}`);
}

/** Throws unless `events` is four typed arrays of one length. */
export function checkEventArrays(fn: string, events: Events) {
  if (events == null || typeof events !== 'object') {
    throw new Error(`${fn}: expected events {x, y, t, p}; got ${describeValue(events)}`);
  }
  const types = {x: Int32Array, y: Int32Array, t: Float64Array, p: Uint8Array} as const;
  for (const key of ['x', 'y', 't', 'p'] as const) {
    if (!(events[key] instanceof types[key])) {
      throw new Error(
        `${fn}: events.${key} must be an ${types[key].name}; got ${describeValue(events[key])} ` +
          `(make events with createEvents or a reader)`
      );
    }
  }
  const n = events.t.length;
  for (const key of ['x', 'y', 'p'] as const) {
    if (events[key].length !== n) {
      throw new Error(`${fn}: events.${key} has ${events[key].length} entries but events.t has ${n}; expected one per event`);
    }
  }
}

/** Throws unless the timestamps never decrease (the order every transform relies on). */
export function checkSorted(fn: string, events: Events) {
  const t = events.t;
  for (let i = 1; i < t.length; i++) {
    if (!(t[i] >= t[i - 1])) {
      throw new Error(
        `${fn}: event ${i} has t = ${t[i]} µs, before event ${i - 1}'s ${t[i - 1]} µs; expected events sorted by time`
      );
    }
  }
}

/** Throws unless `size` is [width, height, polarities] of positive integers, polarities 1 or 2. */
export function checkSensorSize(fn: string, size: unknown, name = 'sensorSize'): SensorSize {
  const ok =
    Array.isArray(size) &&
    size.length === 3 &&
    size.every(v => Number.isSafeInteger(v) && v > 0) &&
    (size[2] === 1 || size[2] === 2);
  if (!ok) {
    throw new Error(
      `${fn}: option '${name}' must be [width, height, polarities] (positive integers, polarities 1 or 2); ` +
        `got ${describeValue(size)}`
    );
  }
  return [size[0], size[1], size[2]] as SensorSize;
}

/**
 * Where a byte of a file is, as error messages name it: `'<file>' at byte <offset>`, or `at byte <offset>` for
 * bytes without a file name.
 */
export function atByte(file: string | undefined, offset: number): string {
  return file == null ? `at byte ${offset}` : `'${file}' at byte ${offset}`;
}

/** The error of a reader for bad bytes: `<fn>: '<file>' at byte <offset>: <problem>`. */
export function formatError(fn: string, file: string | undefined, offset: number, problem: string): Error {
  return new Error(`${fn}: ${atByte(file, offset)}: ${problem}`);
}

/** The `file` option of the parsers: a name for error messages. */
export function fileOption(fn: string, options: {file?: string} | undefined): string | undefined {
  if (options == null) return undefined;
  if (typeof options !== 'object') throw new Error(`${fn}: options must be an object; got ${describeValue(options)}`);
  if (options.file != null && typeof options.file !== 'string') {
    throw new Error(`${fn}: option 'file' must be a string (a name for error messages); got ${describeValue(options.file)}`);
  }
  return options.file;
}
