/**
 * Event filters that keep the event arrays' form: Tonic's `Denoise` (drop events with no neighbour event within a
 * time) and the spatial part of Tonic's `Downsample` (scale the coordinates, with the sensor size that follows).
 */
import {describeValue} from '../../errors';
import {allocateEvents, checkEventArrays, checkSensorSize, checkSorted, Events, SensorSize, truncateEvents} from './events';

/** The options of `denoise`. */
export interface DenoiseOptions {
  /** An event is kept when one of its 4 neighbours had an event less than this many µs before. Default 10000. */
  filterTime?: number;
}

/**
 * Drops events that no event at a 4-neighbour pixel (left, right, above, below; either polarity) preceded by less
 * than `filterTime` µs — Tonic's `Denoise(filter_time)`, including its start-up: every pixel's memory starts at
 * `filterTime`, so in the first `filterTime` µs an event is kept whenever it has a neighbour pixel on the sensor,
 * which spans 0..max x and 0..max y of the recording, as Tonic's does.
 *
 * @example
 * ```js
 * const events = snn.data.createEvents({x: [5, 6, 20], y: [5, 5, 20], t: [20000, 20100, 20200], p: [1, 1, 1]});
 * const kept = snn.data.denoise(events, {filterTime: 1000});
 * console.log(kept.x);   // Int32Array [6]: (6, 5) follows (5, 5) by 100 µs; the others have no recent neighbour
 * ```
 */
export function denoise(events: Events, options?: DenoiseOptions): Events {
  const fn = 'denoise';
  checkEventArrays(fn, events);
  const filterTime = options?.filterTime ?? 10000;
  if (typeof filterTime !== 'number' || !Number.isFinite(filterTime) || filterTime <= 0) {
    throw new Error(`${fn}: option 'filterTime' must be a positive number of µs; got ${describeValue(filterTime)}`);
  }
  checkSorted(fn, events);
  const n = events.t.length;
  if (n === 0) return allocateEvents(0);
  const {x, y, t, p} = events;
  let width = 0;
  let height = 0;
  for (let i = 0; i < n; i++) {
    width = Math.max(width, x[i] + 1);
    height = Math.max(height, y[i] + 1);
  }
  // memory[x * height + y]: the time until which a pixel's last event lets its neighbours through.
  const memory = new Float64Array(width * height).fill(filterTime);
  const kept = allocateEvents(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const yi = y[i];
    const ti = t[i];
    memory[xi * height + yi] = ti + filterTime;
    const neighbour =
      (xi > 0 && memory[(xi - 1) * height + yi] > ti) ||
      (xi < width - 1 && memory[(xi + 1) * height + yi] > ti) ||
      (yi > 0 && memory[xi * height + yi - 1] > ti) ||
      (yi < height - 1 && memory[xi * height + yi + 1] > ti);
    if (neighbour) {
      kept.x[count] = xi;
      kept.y[count] = yi;
      kept.t[count] = ti;
      kept.p[count] = p[i];
      count++;
    }
  }
  return truncateEvents(kept, count);
}

/** The options of `downsample`. */
export interface DownsampleOptions {
  /** The recording's sensor, [width, height, polarities]. */
  sensorSize: SensorSize;
  /** Each coordinate becomes floor(coordinate · spatialFactor); a number in (0, 1]. */
  spatialFactor: number;
}

/**
 * Scales event coordinates down: x → floor(x · spatialFactor), y → floor(y · spatialFactor), as Tonic's
 * `Downsample(spatial_factor)` does (its integer fields truncate the products). Returns the events and the new
 * sensor size, [floor((width − 1) · f) + 1, floor((height − 1) · f) + 1, polarities]: the pixels the scaled
 * coordinates reach. Events keep their order and count.
 *
 * @example
 * ```js
 * const events = snn.data.createEvents({x: [0, 33, 17], y: [1, 2, 33], t: [0, 1, 2], p: [1, 0, 1]});
 * const small = snn.data.downsample(events, {sensorSize: [34, 34, 2], spatialFactor: 0.5});
 * console.log(small.events.x, small.events.y, small.sensorSize);   // [0, 16, 8] [0, 1, 16] [17, 17, 2]
 * ```
 */
export function downsample(events: Events, options: DownsampleOptions): {events: Events; sensorSize: SensorSize} {
  const fn = 'downsample';
  checkEventArrays(fn, events);
  if (options == null || typeof options !== 'object') {
    throw new Error(`${fn}: options must be {sensorSize, spatialFactor}; got ${describeValue(options)}`);
  }
  const [width, height, polarities] = checkSensorSize(fn, options.sensorSize);
  const factor = options.spatialFactor;
  if (typeof factor !== 'number' || !(factor > 0 && factor <= 1)) {
    throw new Error(`${fn}: option 'spatialFactor' must be a number in (0, 1]; got ${describeValue(factor)}`);
  }
  const n = events.t.length;
  const out = allocateEvents(n);
  for (let i = 0; i < n; i++) {
    if (events.x[i] >= width || events.y[i] >= height) {
      throw new Error(
        `${fn}: event ${i} (x ${events.x[i]}, y ${events.y[i]}) lies outside the sensor [${width}, ${height}, ` +
          `${polarities}]`
      );
    }
    out.x[i] = Math.floor(events.x[i] * factor);
    out.y[i] = Math.floor(events.y[i] * factor);
  }
  out.t.set(events.t);
  out.p.set(events.p);
  return {events: out, sensorSize: downsampledSensorSize([width, height, polarities], factor)};
}

/** The sensor `downsample` leaves: the pixels the scaled coordinates reach, [floor((w − 1)·f) + 1, …, polarities]. */
export function downsampledSensorSize([width, height, polarities]: SensorSize, factor: number): SensorSize {
  return [Math.floor((width - 1) * factor) + 1, Math.floor((height - 1) * factor) + 1, polarities];
}
