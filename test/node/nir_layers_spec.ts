import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as snn from '../../src/index';
import {saveToMemory} from './io_helpers';

/** A seeded float64 train [b, t, ...features], row-major. */
function train(shape: number[], seed: number): number[] {
  let s = seed;
  return Array.from({length: shape.reduce((a, b) => a * b, 1)}, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 4 - 2;
  });
}

/** Runs `layers` as a model on x, then the same model saved and loaded; both outputs. */
async function runAndReload(layers: tfl.layers.Layer[], x: tf.Tensor): Promise<[Float32Array, Float32Array]> {
  const model = tfl.sequential({layers});
  const a = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(await saveToMemory(model)));
  const b = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync() as Float32Array);
  model.dispose();
  loaded.dispose();
  return [a, b];
}

function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('layers for NIR graphs (stepAffine, heaviside, spikingZeroPad2d) against float64 loops', () => {
  const [B, T, H, W, C] = [2, 3, 4, 5, 3];
  const values = train([B, T, H, W, C], 11);
  const scale = [[0.5, -1.5, 2]]; // shape [1, C]: one per channel, broadcast over height and width
  const perNeuron = train([H, W, C], 5).map(v => v / 2);

  it('stepAffine: y = scale·x + bias per channel and per neuron, saved and loaded', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor(values, [B, T, H, W, C]);
    const [a, b] = await runAndReload(
      [snn.layers.stepAffine({scale, bias: nest(perNeuron), inputShape: [T, H, W, C]})],
      x
    );
    const expected = values.map((v, i) => v * scale[0][i % C] + perNeuron[i % (H * W * C)]);
    expect(maxError(a, expected)).toBeLessThan(1e-5);
    expect(Array.from(b)).toEqual(Array.from(a));
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('heaviside: 1 where x > θ (per channel), else 0; exactly at θ is 0', async () => {
    const x = tf.tensor(
      values.map((v, i) => (i % 7 === 0 ? [0.25, -0.5, 1][i % C] : v)),
      [B, T, H, W, C]
    );
    const xs = x.dataSync();
    const theta = [0.25, 0.5, 1];
    const [a, b] = await runAndReload([snn.layers.heaviside({threshold: theta, inputShape: [T, H, W, C]})], x);
    const expected = Array.from(xs, (v, i) => (v > theta[i % C] ? 1 : 0));
    expect(Array.from(a)).toEqual(expected);
    expect(Array.from(b)).toEqual(expected);
    x.dispose();
  });

  it('spikingZeroPad2d: zeros around each map, the map in the middle', async () => {
    const x = tf.tensor(values, [B, T, H, W, C]);
    const [a, b] = await runAndReload([snn.layers.spikingZeroPad2d({padding: [1, 2], inputShape: [T, H, W, C]})], x);
    const [h2, w2] = [H + 2, W + 4];
    const expected: number[] = [];
    for (let n = 0; n < B * T; n++)
      for (let y = 0; y < h2; y++)
        for (let z = 0; z < w2; z++)
          for (let c = 0; c < C; c++) {
            const inside = y >= 1 && y < H + 1 && z >= 2 && z < W + 2;
            expected.push(inside ? values[((n * H + (y - 1)) * W + (z - 2)) * C + c] : 0);
          }
    expect(maxError(a, expected)).toBeLessThan(1e-6);
    expect(Array.from(b)).toEqual(Array.from(a));
    x.dispose();
  });

  it('bad arguments name the layer, the argument and the value', () => {
    expect(() => snn.layers.stepAffine({scale: 'a' as unknown as number})).toThrowError(
      /stepAffine: argument 'scale' must be a number \(any finite value\).*got 'a'/
    );
    expect(() => snn.layers.heaviside({threshold: 0})).toThrowError(
      /heaviside: argument 'threshold' must be a number > 0.*got 0/
    );
    expect(() => snn.layers.spikingZeroPad2d({padding: -1})).toThrowError(
      /spikingZeroPad2d: argument 'padding' must be an integer >= 0 or a pair of them; got -1/
    );
    const layer = snn.layers.stepAffine({scale: [1, 2]});
    expect(() => layer.apply(tfl.input({shape: [3, 5]}))).toThrowError(
      /'scale' has shape \[2\], which does not broadcast to the features shape \[5\]/
    );
  });
});

/** values of [H, W, C] as a nested array. */
function nest(values: number[]): number[][][] {
  const [H, W, C] = [4, 5, 3];
  return Array.from({length: H}, (_, y) =>
    Array.from({length: W}, (_, z) => values.slice((y * W + z) * C, (y * W + z + 1) * C))
  );
}
