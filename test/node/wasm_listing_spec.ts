import {countNonZerosOn, listNonZerosOn} from '../../kernels/wasm/simd/listing_program';
import {simdKernelsAvailable} from '../../kernels/wasm/simd/simd_runtime';
import {mulberry32} from '../../src/data/index';

/** The listing written out plainly: per pixel the running count, then each non-zero's c·rowBytes and value. */
function referenceListing(x: Float32Array, channels: number, rowBytes: number) {
  const pixels = x.length / channels;
  const starts: number[] = [];
  const offsets: number[] = [];
  const values: number[] = [];
  let notOnes = 0;
  for (let p = 0; p < pixels; p++) {
    starts.push(offsets.length);
    for (let c = 0; c < channels; c++) {
      const v = x[p * channels + c];
      // Zero as IEEE compares it: −0 is zero, NaN is not.
      if (v < 0 || v > 0 || Number.isNaN(v)) {
        offsets.push(c * rowBytes);
        values.push(v);
        if (!(v === 1)) notOnes++;
      }
    }
  }
  return {starts, offsets, values, notOnes};
}

/** x at byte 0 of a fresh memory, starts and the entries after it. */
function layout(x: Float32Array) {
  const memory = new WebAssembly.Memory({initial: Math.ceil((x.length * 16 + 64) / 65536) + 1});
  // x, starts [pixels + 2], then channels and values of x.length + 1 entries each (the list writes one past).
  new Float32Array(memory.buffer, 0, x.length).set(x);
  const starts = x.length * 4;
  const channels = starts + (x.length + 2) * 4;
  const values = channels + (x.length + 1) * 4;
  return {memory, starts, channels, values};
}

function sample(size: number, seed: number, rate: number, kinds: number[]): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({length: size}, () => (random() < rate ? kinds[Math.floor(random() * kinds.length)] : 0));
}

describe('the wasm listing of non-zeros (simd/listing_program.ts)', () => {
  beforeAll(() => {
    if (!simdKernelsAvailable()) pending('no WebAssembly SIMD here');
  });

  for (const channels of [1, 3, 4, 5, 8, 13, 64]) {
    it(`counts and lists every non-zero of ${channels}-channel pixels as a plain loop does`, () => {
      const pixels = 37;
      const rowBytes = 4 * 12;
      // Spikes, other values, −0 (zero) and NaN (not zero).
      const x = sample(pixels * channels, channels, 0.3, [1, 1, 0.5, -2, -0, NaN]);
      const expected = referenceListing(x, channels, rowBytes);
      const {memory, starts, channels: channelsAt, values} = layout(x);
      countNonZerosOn(memory)(0, starts, pixels, channels, x.length);
      const counted = new Int32Array(memory.buffer, starts, pixels + 2);
      expect(Array.from(counted.subarray(0, pixels))).toEqual(expected.starts);
      expect(counted[pixels]).toBe(expected.offsets.length);
      expect(counted[pixels + 1]).toBe(expected.notOnes);
      const n = expected.offsets.length;
      // Sentinels past the one entry the program may write beyond the non-zeros.
      new Int32Array(memory.buffer, channelsAt, n + 2)[n + 1] = -7;
      new Float32Array(memory.buffer, values, n + 2)[n + 1] = -7;
      listNonZerosOn(memory)(0, channelsAt, values, pixels, channels, rowBytes);
      expect(new Int32Array(memory.buffer, channelsAt, n + 2)[n + 1]).toBe(-7);
      expect(new Float32Array(memory.buffer, values, n + 2)[n + 1]).toBe(-7);
      expect(Array.from(new Int32Array(memory.buffer, channelsAt, n))).toEqual(expected.offsets);
      expect(Array.from(new Float32Array(memory.buffer, values, n))).toEqual(expected.values);
    });
  }

  it('stops counting after the pixel at which the count passes the limit', () => {
    const channels = 8;
    const pixels = 50;
    const x = sample(pixels * channels, 9, 0.5, [1]);
    const expected = referenceListing(x, channels, 4);
    const {memory, starts} = layout(x);
    const stop = expected.starts[20];
    countNonZerosOn(memory)(0, starts, pixels, channels, stop);
    const counted = new Int32Array(memory.buffer, starts, pixels + 2);
    // It counts pixel after pixel until the running count passes the limit, reports that count, and has written
    // the starts of the pixels it counted.
    const lastCounted = expected.starts.findIndex(start => start > stop);
    expect(counted[pixels]).toBe(expected.starts[lastCounted]);
    expect(counted[pixels]).toBeGreaterThan(stop);
    expect(Array.from(counted.subarray(0, lastCounted))).toEqual(expected.starts.slice(0, lastCounted));
  });
});
