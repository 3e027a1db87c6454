// Event data in Chromium: the readers parse the committed fixtures (fetched as bytes, as a page would) to the
// numpy reference's events (tools/reference/events_reference.py), toFrames gives its frames, and a model that takes
// the frames as spike trains runs and trains on webgl.
import * as tf from '@tensorflow/tfjs-core';

import {data, models} from '../../src/index';
import golden from '../fixtures/events/golden.json';
import {GoldenEntry, plain, sparse} from '../shared/events_golden';
import {useWebGL} from './setup';

const entries = golden as unknown as Record<string, GoldenEntry>;

async function fixture(name: string): Promise<Uint8Array> {
  const response = await fetch(`/base/test/fixtures/events/${name}`);
  expect(response.ok).withContext(`fetch ${name}`).toBeTrue();
  return new Uint8Array(await response.arrayBuffer());
}

describe('event data in the browser', () => {
  for (const [name, parse] of [
    ['nmnist.bin', data.parseNmnist],
    ['events_le.npy', data.parseNpyEvents],
    ['events_be.npy', data.parseNpyEvents],
  ] as const) {
    it(`reads ${name} to the numpy reference's events and frames`, async () => {
      const entry = entries[name];
      const events = parse(await fixture(name), {file: name});
      expect(plain(events)).toEqual(entry.events);
      for (const expected of entry.frames!) {
        const frames = data.toFrames(events, {...expected.options, sensorSize: entry.sensorSize});
        expect(sparse(frames))
          .withContext(JSON.stringify(expected.options))
          .toEqual({shape: expected.shape, counts: expected.counts});
      }
    });
  }

  it('reads an AEDAT 3.1 recording (DVS Gesture) to the reference events', async () => {
    const events = data.parseAedat3(await fixture('gesture/user01_led.aedat'));
    const want = entries['gesture/user01_led.aedat'].events;
    expect(plain(events)).toEqual(want);
  });

  it('trains a model that takes the frames as spike trains on webgl, without leaking tensors', async () => {
    await useWebGL({WEBGL_PACK: true});
    const set = data.syntheticEvents({samples: 32, seed: 3});
    const model = models.small({inputShape: [32, 32, 2], numClasses: 10, timeSteps: 4, encoder: 'none', seed: 1});
    model.compile({optimizer: tf.train.adam(1e-3), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p)});
    const losses: number[] = [];
    const counts: number[] = [];
    for (const {x, y} of data.eventBatches(set, {timeSteps: 4, batchSize: 16, shuffle: true, seed: 1})) {
      expect(x.shape).toEqual([16, 4, 32, 32, 2]);
      losses.push((await model.trainOnBatch(x, y)) as number);
      tf.dispose([x, y]);
      counts.push(tf.memory().numTensors); // the first step also makes Adam's moment variables
    }
    expect(losses.length).toBe(2);
    expect(losses.every(Number.isFinite)).toBeTrue();
    expect(counts[1]).toBe(counts[0]);
    model.dispose();
  });
});
