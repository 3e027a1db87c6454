// The shipped synthetic event set: deterministic (a pinned digest: integer arithmetic and mulberry32 only, so every
// machine makes these bytes), well-formed, and its classes distinguishable.
import * as crypto from 'crypto';

import {checkSorted} from '../../src/data/events/events';
import {SYNTHETIC_EVENT_CLASSES, syntheticEvents} from '../../src/data/events/synthetic';
import {toFrames} from '../../src/data/events/to_frames';
import {errorOf} from './events_helpers';

function digest(samples: ReturnType<typeof syntheticEvents>['samples']): string {
  const hash = crypto.createHash('sha256');
  for (const s of samples) {
    for (const array of [s.x, s.y, s.t, s.p])
      hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest('hex');
}

describe('syntheticEvents', () => {
  it('makes the same events for the same seed: a pinned digest', () => {
    const data = syntheticEvents({samples: 30, seed: 5});
    expect(digest(data.samples)).toBe(PINNED_DIGEST);
    expect(digest(syntheticEvents({samples: 30, seed: 5}).samples)).toBe(PINNED_DIGEST);
    expect(digest(syntheticEvents({samples: 30, seed: 6}).samples)).not.toBe(PINNED_DIGEST);
    // recording i depends only on seed and i
    expect(digest(syntheticEvents({samples: 12, seed: 5}).samples)).toBe(digest(data.samples.slice(0, 12)));
  });

  it('labels sample i with class i mod 10 on a 32 × 32 × 2 sensor, events sorted and on the sensor', () => {
    const data = syntheticEvents({samples: 40, seed: 0});
    expect(Array.from(data.labels)).toEqual(Array.from({length: 40}, (_, i) => i % 10));
    expect(data.classes).toEqual([...SYNTHETIC_EVENT_CLASSES]);
    expect(data.classes.length).toBe(10);
    expect(data.sensorSize).toEqual([32, 32, 2]);
    for (const s of data.samples) {
      checkSorted('test', s);
      expect(s.t.length).toBeGreaterThan(100);
      expect(s.t[s.t.length - 1]).toBeLessThan(30 * 1000);
      expect(Math.max(...s.x)).toBeLessThan(32);
      expect(Math.max(...s.y)).toBeLessThan(32);
      expect(new Set(s.p)).toEqual(new Set([0, 1]));
      toFrames(s, {sensorSize: data.sensorSize, nTimeBins: 8});
    }
  });

  it('rejects bad options', () => {
    expect(errorOf(() => syntheticEvents({samples: 0}))).toBe(
      "syntheticEvents: option 'samples' must be a positive integer; got 0"
    );
    expect(errorOf(() => syntheticEvents({sample: 3} as never))).toBe(
      "syntheticEvents: unknown option 'sample'; expected samples, seed, stepsPerSaccade, stepMicros, noise"
    );
  });
});

const PINNED_DIGEST = '21780d88909ded992c2f4fdd5ee7a8f60ecb2932efae7f8b8085956528124f3a';
