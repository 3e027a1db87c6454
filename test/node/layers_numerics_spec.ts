/**
 * Each spiking layer against an independent float64 loop (no tf ops in the
 * references), on small shapes where every element is checked.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {layers, ops} from '../../src/index';
import {randomArray, relativeMaxError} from '../reference/lif_reference';

const at = (shape: number[], ...index: number[]) => index.reduce((offset, i, axis) => offset * shape[axis] + i, 0);

/** One 'same' or 'valid' NHWC convolution of a single image, float64 loops. */
function refConv(
  x: ArrayLike<number>,
  [h, w, c]: number[],
  kernel: ArrayLike<number>,
  [kh, kw, f]: number[],
  stride: number,
  padding: 'same' | 'valid',
  bias?: ArrayLike<number>
) {
  const outH = padding === 'same' ? Math.ceil(h / stride) : Math.ceil((h - kh + 1) / stride);
  const outW = padding === 'same' ? Math.ceil(w / stride) : Math.ceil((w - kw + 1) / stride);
  const padTop = padding === 'same' ? Math.floor(Math.max((outH - 1) * stride + kh - h, 0) / 2) : 0;
  const padLeft = padding === 'same' ? Math.floor(Math.max((outW - 1) * stride + kw - w, 0) / 2) : 0;
  const out: number[] = [];
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      for (let o = 0; o < f; o++) {
        let s = bias ? bias[o] : 0;
        for (let di = 0; di < kh; di++) {
          for (let dj = 0; dj < kw; dj++) {
            const [yi, xj] = [i * stride + di - padTop, j * stride + dj - padLeft];
            if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
            for (let ci = 0; ci < c; ci++)
              s += x[at([h, w, c], yi, xj, ci)] * kernel[at([kh, kw, c, f], di, dj, ci, o)];
          }
        }
        out.push(s);
      }
    }
  }
  return {out, shape: [outH, outW, f]};
}

function weightsOf(layer: tfl.layers.Layer): Float32Array[] {
  return layer.getWeights().map(w => w.dataSync() as Float32Array);
}

/** Layer.dispose() refuses layers built by hand, so free their variables directly. */
function disposeWeights(layer: tfl.layers.Layer): void {
  for (const weight of layer.weights) weight.dispose();
}

describe('spikingConv2d against a float64 convolution loop', () => {
  const [B, T, H, W, C, F] = [2, 3, 7, 6, 3, 4];
  for (const [stride, padding, useBias] of [
    [1, 'same', false],
    [2, 'same', true],
    [1, 'valid', true],
    [2, 'valid', false],
  ] as const) {
    it(`stride ${stride}, padding '${padding}', useBias ${useBias}: every step, every sample`, () => {
      const xValues = randomArray(B * T * H * W * C, 21);
      const layer = layers.spikingConv2d({
        filters: F,
        kernelSize: 3,
        strides: stride,
        padding,
        useBias,
        biasInitializer: 'randomNormal',
      });
      const x = tf.tensor(xValues, [B, T, H, W, C]);
      const y = layer.apply(x) as tf.Tensor;
      const [kernel, bias] = weightsOf(layer).map(a => Array.from(a));
      const expected: number[] = [];
      let outShape: number[] = [];
      const image = H * W * C;
      for (let n = 0; n < B * T; n++) {
        const ref = refConv(
          xValues.slice(n * image, (n + 1) * image),
          [H, W, C],
          kernel,
          [3, 3, F],
          stride,
          padding,
          useBias ? bias : undefined
        );
        expected.push(...ref.out);
        outShape = ref.shape;
      }
      expect(y.shape).toEqual([B, T, ...outShape]);
      expect(layer.computeOutputShape([null, T, H, W, C])).toEqual([null, T, ...outShape]);
      expect(relativeMaxError(y.dataSync(), expected)).toBeLessThan(1e-6);
      tf.dispose([x, y]);
      layer.dispose();
    });
  }
});

describe('spikingDense, spikingAvgPool2d, spikingFlatten, timeAverage, directEncoder against loops', () => {
  it('spikingDense: x_t·W + b for every step', () => {
    const [B, T, N, U] = [3, 4, 5, 6];
    const xValues = randomArray(B * T * N, 3);
    const layer = layers.spikingDense({units: U, useBias: true, biasInitializer: 'randomUniform'});
    const x = tf.tensor(xValues, [B, T, N]);
    const y = layer.apply(x) as tf.Tensor;
    const [kernel, bias] = weightsOf(layer);
    const expected: number[] = [];
    for (let r = 0; r < B * T; r++) {
      for (let u = 0; u < U; u++) {
        let s = bias[u];
        for (let k = 0; k < N; k++) s += xValues[r * N + k] * kernel[k * U + u];
        expected.push(s);
      }
    }
    expect(y.shape).toEqual([B, T, U]);
    expect(relativeMaxError(y.dataSync(), expected)).toBeLessThan(1e-6);
    tf.dispose([x, y]);
  });

  it('spikingAvgPool2d: 2×2 windows (and 3×3 stride 2) per step', () => {
    const [B, T, H, W, C] = [2, 2, 6, 7, 2];
    const xValues = randomArray(B * T * H * W * C, 4);
    const x = tf.tensor(xValues, [B, T, H, W, C]);
    for (const [pool, stride] of [
      [2, 2],
      [3, 2],
    ]) {
      const y = layers.spikingAvgPool2d({poolSize: pool, strides: stride}).apply(x) as tf.Tensor;
      const [outH, outW] = [Math.floor((H - pool) / stride) + 1, Math.floor((W - pool) / stride) + 1];
      const expected: number[] = [];
      for (let n = 0; n < B * T; n++) {
        for (let i = 0; i < outH; i++) {
          for (let j = 0; j < outW; j++) {
            for (let c = 0; c < C; c++) {
              let s = 0;
              for (let di = 0; di < pool; di++) {
                for (let dj = 0; dj < pool; dj++)
                  s += xValues[at([B * T, H, W, C], n, i * stride + di, j * stride + dj, c)];
              }
              expected.push(s / (pool * pool));
            }
          }
        }
      }
      expect(y.shape).toEqual([B, T, outH, outW, C]);
      expect(relativeMaxError(y.dataSync(), expected)).toBeLessThan(1e-6);
      y.dispose();
    }
    x.dispose();
  });

  it('spikingFlatten keeps the time axis and flattens NHWC in row-major order', () => {
    const x = tf.tensor(
      Array.from({length: 2 * 3 * 2 * 2 * 3}, (_, i) => i),
      [2, 3, 2, 2, 3]
    );
    const y = layers.spikingFlatten().apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 3, 12]);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });

  it('timeAverage is the mean over axis 1', () => {
    const [B, T, N] = [2, 5, 3];
    const xValues = randomArray(B * T * N, 5);
    const x = tf.tensor(xValues, [B, T, N]);
    const y = layers.timeAverage().apply(x) as tf.Tensor;
    const expected: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += xValues[at([B, T, N], b, t, n)];
        expected.push(s / T);
      }
    }
    expect(y.shape).toEqual([B, N]);
    expect(relativeMaxError(y.dataSync(), expected)).toBeLessThan(1e-6);
    tf.dispose([x, y]);
  });

  it('directEncoder repeats the input at every step and passes gradients back', () => {
    const x = tf.tensor([
      [1, -2, 3],
      [4, 5, -6],
    ]);
    const layer = layers.directEncoder({timeSteps: 4});
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 4, 3]);
    const rows = y.arraySync() as number[][][];
    for (const [b, sample] of rows.entries())
      for (const step of sample) expect(step).toEqual((x.arraySync() as number[][])[b]);
    const dx = tf.grad(input => tf.sum(layer.apply(input) as tf.Tensor))(x);
    expect(Array.from(dx.dataSync())).toEqual([4, 4, 4, 4, 4, 4]);
    tf.dispose([x, y, dx]);
  });
});

describe('poissonEncoder', () => {
  const levels = [-3, -1.5, -0.5, 0, 0.25, 1, 2, 5];
  const T = 4000;

  function rates(signed: boolean, scale: number) {
    const layer = layers.poissonEncoder({timeSteps: T, signed, scale, seed: 1});
    const x = tf.tensor2d([levels]);
    const spikes = (layer.apply(x) as tf.Tensor).dataSync();
    x.dispose();
    return levels.map((_, n) => {
      const values = new Set<number>();
      let total = 0;
      for (let t = 0; t < T; t++) {
        values.add(spikes[t * levels.length + n]);
        total += spikes[t * levels.length + n];
      }
      return {rate: total / T, values};
    });
  }

  it('signed: spikes ±1 with the sign of x at rate min(1, |x|/scale) (within 4σ)', () => {
    for (const scale of [2, 4]) {
      for (const [n, {rate, values}] of rates(true, scale).entries()) {
        const p = Math.min(1, Math.abs(levels[n]) / scale);
        const sigma = Math.sqrt((p * (1 - p)) / T) + 1e-9;
        expect(Math.abs(Math.abs(rate) - p))
          .withContext(`x=${levels[n]} scale=${scale}`)
          .toBeLessThanOrEqual(4 * sigma);
        expect([...values].every(v => v === 0 || v === Math.sign(levels[n]))).toBeTrue();
      }
    }
  });

  it('unsigned: only x > 0 spikes, with value 1', () => {
    for (const [n, {rate, values}] of rates(false, 2).entries()) {
      const p = levels[n] > 0 ? Math.min(1, levels[n] / 2) : 0;
      expect(Math.abs(rate - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / T) + 1e-9);
      expect([...values].every(v => v === 0 || v === 1)).toBeTrue();
    }
  });

  it('draws afresh at every call; a seed makes the sequence of calls reproducible', () => {
    const x = tf.fill([4, 50], 1);
    const draw = (layer: tfl.layers.Layer) => Array.from((layer.apply(x) as tf.Tensor).dataSync());
    const [a, b] = [layers.poissonEncoder({timeSteps: 3, seed: 9}), layers.poissonEncoder({timeSteps: 3, seed: 9})];
    const [a1, a2, b1, b2] = [draw(a), draw(a), draw(b), draw(b)];
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
    expect(a1).not.toEqual(a2);
    const unseeded = layers.poissonEncoder({timeSteps: 3});
    expect(draw(unseeded)).not.toEqual(draw(unseeded));
    x.dispose();
  });

  it('passes a zero gradient back to its input (spike coding is not differentiable)', () => {
    const x = tf.tensor2d([[0.5, -1, 3]]);
    const dx = tf.grad(input => tf.sum(layers.poissonEncoder({timeSteps: 5}).apply(input) as tf.Tensor))(x);
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 0]);
    tf.dispose([x, dx]);
  });
});

describe('bntt against float64 per-step statistics', () => {
  const [B, T, H, W, C] = [3, 4, 2, 3, 2];
  const momentum = 0.8;
  const eps = 1e-3;

  /** Mean and biased variance of step t, channel c over batch and spatial axes. */
  function stepStats(x: ArrayLike<number>, t: number, c: number) {
    const values: number[] = [];
    for (let b = 0; b < B; b++) for (let i = 0; i < H * W; i++) values.push(x[((b * T + t) * H * W + i) * C + c]);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    return {mean, variance, count: values.length};
  }

  function makeLayer(center: boolean) {
    const layer = layers.bntt({
      momentum,
      epsilon: eps,
      center,
      gammaInitializer: 'randomUniform',
      betaInitializer: 'randomNormal',
      movingMeanInitializer: 'randomNormal',
      movingVarianceInitializer: tfl.initializers.randomUniform({minval: 0.5, maxval: 2}),
    });
    layer.build([null, T, H, W, C]);
    return layer;
  }

  for (const center of [false, true]) {
    it(`training (center ${center}): per-step batch statistics, gamma[t] (and beta[t]), moving-average update`, () => {
      const xValues = randomArray(B * T * H * W * C, 8).map(v => 3 * v + 1);
      const layer = makeLayer(center);
      const [gamma, ...rest] = weightsOf(layer);
      const beta = center ? rest[0] : null;
      const [movingMean, movingVariance] = center ? rest.slice(1) : rest;
      const x = tf.tensor(xValues, [B, T, H, W, C]);
      const y = (layer.apply(x, {training: true}) as tf.Tensor).dataSync();
      const expected = new Array<number>(xValues.length);
      const expectedMean: number[] = [],
        expectedVariance: number[] = [];
      for (let t = 0; t < T; t++) {
        for (let c = 0; c < C; c++) {
          const {mean, variance, count} = stepStats(xValues, t, c);
          const k = t * C + c;
          for (let b = 0; b < B; b++) {
            for (let i = 0; i < H * W; i++) {
              const idx = ((b * T + t) * H * W + i) * C + c;
              expected[idx] = (gamma[k] * (xValues[idx] - mean)) / Math.sqrt(variance + eps) + (beta ? beta[k] : 0);
            }
          }
          expectedMean.push(momentum * movingMean[k] + (1 - momentum) * mean);
          expectedVariance.push(momentum * movingVariance[k] + ((1 - momentum) * variance * count) / (count - 1));
        }
      }
      expect(relativeMaxError(y, expected)).toBeLessThan(1e-5);
      const after = weightsOf(layer);
      expect(relativeMaxError(after[after.length - 2], expectedMean)).toBeLessThan(1e-6);
      expect(relativeMaxError(after[after.length - 1], expectedVariance)).toBeLessThan(1e-6);
      x.dispose();
      disposeWeights(layer);
    });
  }

  it('inference uses the moving statistics of each step; fewer steps use the first rows (early exit)', () => {
    const layer = makeLayer(false);
    const [gamma, movingMean, movingVariance] = weightsOf(layer);
    for (const steps of [T, 2]) {
      const xValues = randomArray(B * steps * H * W * C, 9);
      const x = tf.tensor(xValues, [B, steps, H, W, C]);
      const y = (layer.apply(x) as tf.Tensor).dataSync();
      const expected = xValues.map((v, idx) => {
        const c = idx % C;
        const t = Math.floor(idx / (H * W * C)) % steps;
        const k = t * C + c;
        return (gamma[k] * (v - movingMean[k])) / Math.sqrt(movingVariance[k] + eps);
      });
      expect(relativeMaxError(y, expected)).withContext(`${steps} steps`).toBeLessThan(1e-5);
      x.dispose();
    }
    disposeWeights(layer);
  });

  it('training on fewer steps than T normalises with the first rows and updates only their moving statistics', () => {
    const layer = makeLayer(false);
    const [, movingMean, movingVariance] = weightsOf(layer);
    const steps = 2;
    const xValues = randomArray(B * steps * H * W * C, 10);
    const x = tf.tensor(xValues, [B, steps, H, W, C]);
    tf.dispose(layer.apply(x, {training: true}) as tf.Tensor);
    const [, meanAfter, varianceAfter] = weightsOf(layer);
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) {
        const k = t * C + c;
        if (t >= steps) {
          expect([meanAfter[k], varianceAfter[k]]).toEqual([movingMean[k], movingVariance[k]]);
          continue;
        }
        const values: number[] = [];
        for (let b = 0; b < B; b++)
          for (let i = 0; i < H * W; i++) values.push(xValues[((b * steps + t) * H * W + i) * C + c]);
        const mean = values.reduce((a, v) => a + v, 0) / values.length;
        expect(meanAfter[k]).toBeCloseTo(momentum * movingMean[k] + (1 - momentum) * mean, 6);
      }
    }
    x.dispose();
    disposeWeights(layer);
  });

  it("extraSteps 'repeatLast' gives steps >= T the parameters of step T-1 at inference", () => {
    const layer = layers.bntt({extraSteps: 'repeatLast', gammaInitializer: 'randomUniform'});
    layer.build([null, 2, 3]);
    const [gamma] = weightsOf(layer);
    const x = tf.ones([1, 4, 3]);
    const y = (layer.apply(x) as tf.Tensor).arraySync() as number[][][];
    const scale = 1 / Math.sqrt(1 + 1e-4); // moving mean 0, variance 1
    for (let t = 0; t < 4; t++) {
      const row = Math.min(t, 1);
      for (let c = 0; c < 3; c++) expect(y[0][t][c]).toBeCloseTo(gamma[row * 3 + c] * scale, 6);
    }
    x.dispose();
    disposeWeights(layer);
  });
});

describe('lif layer', () => {
  it('equals ops.lif with the same options', () => {
    const x = tf.tidy(() => tf.mul(tf.randomUniform([2, 10, 3, 4], 0, 1, 'float32', 3), 0.8));
    const options = {leak: 0.9, threshold: 0.7, resetMode: 'zero' as const};
    const y = layers.lif(options).apply(x) as tf.Tensor;
    const expected = ops.lif(x, options);
    expect(Array.from(y.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, y, expected]);
  });

  it('stateful: chunks carry the membrane and equal one call; resetStates starts from rest', () => {
    const x = tf.tidy(() => tf.mul(tf.randomUniform([2, 12, 5], 0, 1, 'float32', 4), 0.6));
    const whole = ops.lif(x);
    const layer = layers.lif({stateful: true});
    const chunks = [0, 4, 8].map(start => layer.apply(tf.slice(x, [0, start, 0], [-1, 4, -1])) as tf.Tensor);
    const streamed = tf.concat(chunks, 1);
    expect(Array.from(streamed.dataSync())).toEqual(Array.from(whole.dataSync()));
    layer.resetStates();
    expect(layer.states).toBeNull();
    const again = layer.apply(tf.slice(x, [0, 0, 0], [-1, 4, -1])) as tf.Tensor;
    expect(Array.from(again.dataSync())).toEqual(Array.from(chunks[0].dataSync()));
    tf.dispose([x, whole, streamed, again, ...chunks]);
    layer.dispose();
  });
});

describe('spikingBatchNorm (statistics shared over time) against float64', () => {
  it('training normalises with one mean/variance per channel over batch, time and space; inference with moving ones', () => {
    const [B, T, N, C] = [3, 4, 5, 2];
    const xValues = randomArray(B * T * N * C, 12).map(v => 2 * v - 0.5);
    const layer = layers.spikingBatchNorm({momentum: 0.7, gammaInitializer: 'randomUniform'});
    const x = tf.tensor(xValues, [B, T, N, C]);
    const y = (layer.apply(x, {training: true}) as tf.Tensor).dataSync();
    const [gamma, movingMean, movingVariance] = weightsOf(layer);
    expect(layer.weights.map(w => w.shape)).toEqual([
      [1, C],
      [1, C],
      [1, C],
    ]);
    const count = B * T * N;
    for (let c = 0; c < C; c++) {
      const values = xValues.filter((_, i) => i % C === c);
      const mean = values.reduce((a, v) => a + v, 0) / count;
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / count;
      xValues.forEach((v, i) => {
        if (i % C === c) expect(y[i]).toBeCloseTo((gamma[c] * (v - mean)) / Math.sqrt(variance + 1e-4), 5);
      });
      expect(movingMean[c]).toBeCloseTo(0.3 * mean, 6);
      expect(movingVariance[c]).toBeCloseTo(0.7 + (0.3 * variance * count) / (count - 1), 6);
    }
    const inference = (layer.apply(x) as tf.Tensor).dataSync();
    xValues.forEach((v, i) =>
      expect(inference[i]).toBeCloseTo(
        (gamma[i % C] * (v - movingMean[i % C])) / Math.sqrt(movingVariance[i % C] + 1e-4),
        5
      )
    );
    x.dispose();
    layer.dispose();
  });
});
