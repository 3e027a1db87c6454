// toFrames (Tonic ToFrame's slicing), denoise, downsample and splitEvents: tiny cases computed by hand, and the
// committed fixtures against the numpy reference's frames (tools/reference/events_reference.py).
import * as tf from '@tensorflow/tfjs-core';

import {parseAedat3} from '../../src/data/events/aedat';
import {createEvents, EventDataset, Events} from '../../src/data/events/events';
import {denoise, downsample} from '../../src/data/events/filters';
import {parseNmnist} from '../../src/data/events/nmnist';
import {parseNpyEvents} from '../../src/data/events/npy';
import {splitEvents} from '../../src/data/events/split';
import {stackFrames, toFrames, ToFramesOptions} from '../../src/data/events/to_frames';
import {errorOf, fixtureBytes, golden, plain, sparse} from './events_helpers';

/** The events of a fixture, read with our readers (their decoding is checked in events_formats_spec). */
function fixtureEvents(name: string): Events {
  if (name.endsWith('.bin')) return parseNmnist(fixtureBytes(name));
  if (name.endsWith('.npy')) return parseNpyEvents(fixtureBytes(name));
  const events = parseAedat3(fixtureBytes('gesture/user01_led.aedat'));
  const want = golden()[name].events.t;
  const start = events.t.indexOf(want[0]);
  return {
    x: events.x.slice(start, start + want.length),
    y: events.y.slice(start, start + want.length),
    t: events.t.slice(start, start + want.length),
    p: events.p.slice(start, start + want.length),
  };
}

/** The (frame → event times) a slicing gives, read back from frames of a 1-pixel sensor per event. */
function frameTimes(t: number[], options: Omit<ToFramesOptions, 'sensorSize'>): number[][] {
  const events = createEvents({x: t.map((_, i) => i), y: t.map(() => 0), t, p: t.map(() => 0)});
  const frames = toFrames(events, {...options, sensorSize: [t.length, 1, 1]});
  const [n] = frames.shape;
  return Array.from({length: n}, (_, f) => t.filter((_, i) => frames.data[f * t.length + i] === 1));
}

describe('toFrames', () => {
  it('slices by time window, with overlap and with the incomplete last window (hand-computed)', () => {
    const t = [0, 5, 10, 15, 22];
    // stride 10, floor((22 − 0 − 10) / 10) + 1 = 2 windows: [0, 10), [10, 20)
    expect(frameTimes(t, {timeWindow: 10})).toEqual([
      [0, 5],
      [10, 15],
    ]);
    // ceil(1.2) + 1 = 3 windows: + [20, 30)
    expect(frameTimes(t, {timeWindow: 10, includeIncomplete: true})).toEqual([[0, 5], [10, 15], [22]]);
    // stride 5: floor(12 / 5) + 1 = 3 windows [0,10) [5,15) [10,20)
    expect(frameTimes(t, {timeWindow: 10, overlap: 5})).toEqual([
      [0, 5],
      [5, 10],
      [10, 15],
    ]);
    // a window longer than the recording: one frame
    expect(frameTimes(t, {timeWindow: 100})).toEqual([[0, 5, 10, 15, 22]]);
  });

  it('slices by event count and by event bins (hand-computed)', () => {
    const t = [0, 1, 2, 3, 4];
    expect(frameTimes(t, {eventCount: 2})).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(frameTimes(t, {eventCount: 2, includeIncomplete: true})).toEqual([[0, 1], [2, 3], [4]]);
    expect(frameTimes(t, {eventCount: 3, overlap: 1})).toEqual([
      [0, 1, 2],
      [2, 3, 4],
    ]);
    // 5 // 2 = 2 events per bin; with overlap 0.5: int(2 · 1.5) = 3 events, stride int(3 · 0.5) = 1
    expect(frameTimes(t, {nEventBins: 2})).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(frameTimes(t, {nEventBins: 2, overlap: 0.5})).toEqual([
      [0, 1, 2],
      [1, 2, 3],
    ]);
  });

  it('slices by time bins: floor(duration / n) µs from the first event, the last event left out (hand-computed)', () => {
    const t = [100, 103, 107, 110, 117];
    // 17 // 3 = 5 µs bins from 100: [100,105) [105,110) [110,115); 117 falls after the last bin
    expect(frameTimes(t, {nTimeBins: 3})).toEqual([[100, 103], [107], [110]]);
    // overlap 0.5: bins of 5 · 1.5 = 7.5 µs every 3.75 µs: [100, 107.5) [103.75, 111.25) [107.5, 115)
    expect(frameTimes(t, {nTimeBins: 3, overlap: 0.5})).toEqual([[100, 103, 107], [107, 110], [110]]);
  });

  it('counts events per pixel and polarity, channels last; one polarity sums both', () => {
    const events = createEvents({x: [1, 1, 0, 1], y: [0, 0, 1, 0], t: [0, 1, 2, 3], p: [1, 1, 0, 0]});
    const two = toFrames(events, {sensorSize: [2, 2, 2], eventCount: 4});
    expect(two.shape).toEqual([1, 2, 2, 2]);
    // [y][x][p]: (0,1,ON) 2, (0,1,OFF) 1, (1,0,OFF) 1
    expect(Array.from(two.data)).toEqual([0, 0, 1, 2, 1, 0, 0, 0]);
    const one = toFrames(events, {sensorSize: [2, 2, 1], eventCount: 4});
    expect(Array.from(one.data)).toEqual([0, 3, 1, 0]);
    expect(one.data).toEqual(jasmine.any(Float32Array));
  });

  it('gives zero frames for a recording without events', () => {
    const none = createEvents({x: [], y: [], t: [], p: []});
    expect(toFrames(none, {sensorSize: [2, 2, 2], nTimeBins: 3}).shape).toEqual([3, 2, 2, 2]);
    expect(toFrames(none, {sensorSize: [2, 2, 2], timeWindow: 10}).shape).toEqual([1, 2, 2, 2]);
    expect(toFrames(none, {sensorSize: [2, 2, 2], eventCount: 10}).shape).toEqual([1, 2, 2, 2]);
  });

  const names = ['nmnist.bin', 'events_le.npy', 'events_be.npy', 'gesture/user01_led.aedat#0'];
  for (const name of names) {
    it(`gives the numpy reference's frames for ${name}`, () => {
      const entry = golden()[name];
      const events = fixtureEvents(name);
      expect(plain(events)).toEqual(entry.events);
      for (const expected of entry.frames!) {
        const frames = toFrames(events, {...expected.options, sensorSize: entry.sensorSize});
        expect(sparse(frames))
          .withContext(JSON.stringify(expected.options))
          .toEqual({shape: expected.shape, counts: expected.counts});
      }
      const [w, h] = entry.sensorSize;
      expect(sparse(toFrames(events, {sensorSize: [w, h, 1], nTimeBins: 4}))).toEqual({
        shape: entry.framesOnePolarity!.shape,
        counts: entry.framesOnePolarity!.counts,
      });
    });
  }

  it('rejects bad options, events off the sensor and unsorted events, naming the option or event', () => {
    const events = createEvents({x: [0, 3], y: [0, 1], t: [0, 5], p: [1, 0]});
    const sensorSize: [number, number, number] = [4, 2, 2];
    expect(errorOf(() => toFrames(events, {sensorSize}))).toBe(
      "toFrames: give exactly one of 'timeWindow', 'eventCount', 'nTimeBins', 'nEventBins'; got none"
    );
    expect(errorOf(() => toFrames(events, {sensorSize, nTimeBins: 2, eventCount: 3}))).toBe(
      "toFrames: give exactly one of 'timeWindow', 'eventCount', 'nTimeBins', 'nEventBins'; got 'eventCount', 'nTimeBins'"
    );
    expect(errorOf(() => toFrames(events, {sensorSize, timeWindow: 10, overlap: 10}))).toBe(
      "toFrames: option 'overlap' (10) must be smaller than 'timeWindow' (10)"
    );
    expect(errorOf(() => toFrames(events, {sensorSize, nTimeBins: 2.5}))).toBe(
      "toFrames: option 'nTimeBins' must be a positive integer; got 2.5"
    );
    expect(errorOf(() => toFrames(events, {sensorSize: [3, 2, 2], nTimeBins: 2}))).toBe(
      'toFrames: event 1 (x 3, y 1, p 0) lies outside the sensor [3, 2, 2]; expected 0 ≤ x < 3, 0 ≤ y < 2, p 0 or 1'
    );
    expect(
      errorOf(() => toFrames(events, {sensorSize: [4, 2] as unknown as [number, number, number], nTimeBins: 2}))
    ).toBe(
      "toFrames: option 'sensorSize' must be [width, height, polarities] (positive integers, polarities 1 or 2); got [4,2]"
    );
    const unsorted = {...events, t: Float64Array.from([5, 0])};
    expect(errorOf(() => toFrames(unsorted, {sensorSize, nTimeBins: 2}))).toBe(
      "toFrames: event 1 has t = 0 µs, before event 0's 5 µs; expected events sorted by time"
    );
    expect(errorOf(() => toFrames({...events, p: [1, 0]} as unknown as Events, {sensorSize, nTimeBins: 2}))).toBe(
      'toFrames: events.p must be an Uint8Array; got [1,0] (make events with createEvents or a reader)'
    );
  });

  it('stacks equal frame sequences into [samples, frames, H, W, P] and rejects unequal ones', () => {
    const a = toFrames(createEvents({x: [0], y: [0], t: [0], p: [1]}), {sensorSize: [1, 1, 2], eventCount: 1});
    const b = toFrames(createEvents({x: [0], y: [0], t: [0], p: [0]}), {sensorSize: [1, 1, 2], eventCount: 1});
    expect(stackFrames([a, b])).toEqual({data: Float32Array.from([0, 1, 1, 0]), shape: [2, 1, 1, 1, 2]});
    const c = toFrames(createEvents({x: [0], y: [0], t: [0], p: [0]}), {sensorSize: [1, 1, 2], nTimeBins: 2});
    expect(errorOf(() => stackFrames([a, c]))).toBe(
      'stackFrames: frames 1 have shape [2,1,1,2] but frames 0 have [1,1,1,2]; expected equal shapes (slice with ' +
        'nTimeBins or nEventBins for a fixed number of frames)'
    );
  });
});

describe('denoise and downsample', () => {
  it('keeps an event only after a recent event at a 4-neighbour (hand-computed), Tonic start-up included', () => {
    const events = createEvents({
      x: [5, 6, 6, 8, 5, 1],
      y: [5, 5, 6, 8, 5, 1],
      t: [20000, 20100, 20200, 20300, 25000, 26000],
      p: [1, 0, 1, 1, 1, 0],
    });
    // (6,5) after (5,5) by 100: kept; (6,6) after (6,5): kept; (8,8): alone; (5,5) again after (6,5) by 4900 ≥ 1000:
    // dropped; (1,1): alone
    expect(plain(denoise(events, {filterTime: 1000}))).toEqual({x: [6, 6], y: [5, 6], t: [20100, 20200], p: [0, 1]});
    // a neighbour exactly filterTime before is too old (Tonic: memory t + filterTime > t' is false)
    const edge = createEvents({x: [5, 6, 7], y: [5, 5, 5], t: [20000, 21000, 21999], p: [1, 1, 1]});
    expect(Array.from(denoise(edge, {filterTime: 1000}).t)).toEqual([21999]);
    // every pixel's memory starts at filterTime: an early event with a neighbour on the sensor passes
    const early = createEvents({x: [3, 0], y: [3, 0], t: [10, 20], p: [1, 1]});
    expect(Array.from(denoise(early, {filterTime: 1000}).t)).toEqual([10, 20]);
  });

  it('scales coordinates down with floor and gives the new sensor size (hand-computed)', () => {
    const events = createEvents({x: [0, 127, 64, 3], y: [127, 0, 65, 2], t: [0, 1, 2, 3], p: [1, 0, 1, 0]});
    const {events: small, sensorSize} = downsample(events, {sensorSize: [128, 128, 2], spatialFactor: 0.25});
    expect(plain(small)).toEqual({x: [0, 31, 16, 0], y: [31, 0, 16, 0], t: [0, 1, 2, 3], p: [1, 0, 1, 0]});
    expect(sensorSize).toEqual([32, 32, 2]);
  });

  for (const name of ['nmnist.bin', 'events_le.npy', 'gesture/user01_led.aedat#0']) {
    it(`gives the numpy reference's denoised and downsampled events for ${name}`, () => {
      const entry = golden()[name];
      const events = fixtureEvents(name);
      for (const [filterTime, expected] of Object.entries(entry.denoise!)) {
        expect(plain(denoise(events, {filterTime: Number(filterTime)})))
          .withContext(`filterTime ${filterTime}`)
          .toEqual(expected);
      }
      for (const [factor, expected] of Object.entries(entry.downsample!)) {
        const result = downsample(events, {sensorSize: entry.sensorSize, spatialFactor: Number(factor)});
        expect({events: plain(result.events), sensorSize: result.sensorSize as number[]})
          .withContext(`spatialFactor ${factor}`)
          .toEqual(expected);
      }
    });
  }

  it('reject bad options', () => {
    const events = createEvents({x: [0], y: [0], t: [0], p: [1]});
    expect(errorOf(() => denoise(events, {filterTime: 0}))).toBe(
      "denoise: option 'filterTime' must be a positive number of µs; got 0"
    );
    expect(errorOf(() => downsample(events, {sensorSize: [2, 2, 2], spatialFactor: 2}))).toBe(
      "downsample: option 'spatialFactor' must be a number in (0, 1]; got 2"
    );
  });
});

describe('splitEvents', () => {
  function dataset(labels: number[]): EventDataset {
    return {
      samples: labels.map((_, i) => createEvents({x: [i], y: [0], t: [0], p: [1]})),
      labels: Int32Array.from(labels),
      sensorSize: [100, 1, 2],
      classes: ['a', 'b', 'c'],
    };
  }

  it('splits each class by seededShuffle, keeps order, and is the same for the same seed', () => {
    const data = dataset([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0]);
    const {train, test} = splitEvents(data, {testFraction: 0.25, seed: 3});
    // round(6 · 0.25) = 2 of class 0, round(4 · 0.25) = 1 of classes 1 and 2
    expect(Array.from(test.labels).sort()).toEqual([0, 0, 1, 2]);
    expect(train.samples.length + test.samples.length).toBe(14);
    const ids = (d: EventDataset) => d.samples.map(s => s.x[0]);
    expect([...ids(train), ...ids(test)].sort((a, b) => a - b)).toEqual([...Array(14).keys()]);
    expect(ids(train)).toEqual([...ids(train)].sort((a, b) => a - b));
    expect(splitEvents(data, {testFraction: 0.25, seed: 3})).toEqual({train, test});
    expect(ids(splitEvents(data, {testFraction: 0.25, seed: 4}).test)).not.toEqual(ids(test));
  });

  it('rejects a bad fraction', () => {
    expect(errorOf(() => splitEvents(dataset([0]), {testFraction: 1.5}))).toBe(
      "splitEvents: option 'testFraction' must be a number in [0, 1]; got 1.5"
    );
  });
});

describe('event transforms and tensors', () => {
  it('make no tensors, on success and on error', () => {
    const before = tf.memory().numTensors;
    const events = fixtureEvents('nmnist.bin');
    toFrames(events, {sensorSize: [34, 34, 2], nTimeBins: 4});
    denoise(events);
    downsample(events, {sensorSize: [34, 34, 2], spatialFactor: 0.5});
    errorOf(() => toFrames(events, {sensorSize: [2, 2, 2], nTimeBins: 4}));
    expect(tf.memory().numTensors).toBe(before);
  });
});
