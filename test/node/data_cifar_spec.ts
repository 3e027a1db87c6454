// The CIFAR-10 / CIFAR-100 binary readers: files written here in the real record layout
// (label byte(s), then 1024 red, 1024 green, 1024 blue bytes) with known pixel values.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {loadCifarDataset, parseCifar} from '../../src/data/cifar';

const SIDE = 32;
const PLANE = SIDE * SIDE;

/** The pixel value written for channel c at (y, x) of the record-th image overall. */
const pixel = (record: number, c: number, y: number, x: number) => (record * 7 + c * 50 + y * 3 + x) % 256;

/** Records in the on-disk CHW layout, built plane by plane. */
function cifarBytes(labelBytes: number[][], firstRecord: number): Buffer {
  const recordBytes = labelBytes[0].length + 3 * PLANE;
  const bytes = Buffer.alloc(labelBytes.length * recordBytes);
  labelBytes.forEach((labels, k) => {
    const start = k * recordBytes;
    bytes.set(labels, start);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          bytes[start + labels.length + c * PLANE + y * SIDE + x] = pixel(firstRecord + k, c, y, x);
        }
      }
    }
  });
  return bytes;
}

/** Checks every pixel of HWC images against the values written. */
function expectPixels(images: Uint8Array, count: number) {
  expect(images.length).toBe(count * 3 * PLANE);
  let wrong = 0;
  for (let record = 0; record < count; record++) {
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        for (let c = 0; c < 3; c++) {
          if (images[((record * SIDE + y) * SIDE + x) * 3 + c] !== pixel(record, c, y, x)) wrong++;
        }
      }
    }
  }
  expect(wrong).toBe(0);
}

async function expectRejection(promise: Promise<unknown>, message: string | jasmine.AsymmetricMatcher<string>) {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught).toEqual(jasmine.any(Error));
  expect((caught as Error).message).toEqual(message);
}

describe('CIFAR binary readers', () => {
  let tmp: string;
  const dirIn = (...parts: string[]) => {
    const dir = path.join(tmp, ...parts);
    fs.mkdirSync(dir, {recursive: true});
    return dir;
  };
  const cifar10Labels = [[3], [9], [0], [1], [2], [4], [5], [6], [7], [8]];

  /** data_batch_1..5 with two records each, test_batch with three. */
  function writeCifar10(dir: string) {
    for (let i = 1; i <= 5; i++) {
      fs.writeFileSync(
        path.join(dir, `data_batch_${i}.bin`),
        cifarBytes(cifar10Labels.slice(2 * i - 2, 2 * i), 2 * i - 2)
      );
    }
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarBytes([[5], [0], [9]], 0));
  }

  /** [coarse, fine] label pairs. */
  const cifar100Labels = [
    [19, 99],
    [0, 0],
    [7, 42],
    [12, 57],
  ];
  function writeCifar100(dir: string) {
    fs.writeFileSync(path.join(dir, 'train.bin'), cifarBytes(cifar100Labels, 0));
    fs.writeFileSync(path.join(dir, 'test.bin'), cifarBytes(cifar100Labels.slice(0, 1), 0));
  }

  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snn-cifar-'))));
  afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

  it('CIFAR-10: concatenates data_batch_1..5 in order and converts CHW to HWC', async () => {
    const dir = dirIn('c10-flat');
    writeCifar10(dir);
    const train = await loadCifarDataset(dir, {variant: 'cifar10', split: 'train'});
    expect([train.count, train.height, train.width, train.channels, train.classes, train.name]).toEqual([
      10,
      32,
      32,
      3,
      10,
      'cifar10',
    ]);
    expect(Array.from(train.labels)).toEqual(cifar10Labels.map(([label]) => label));
    expectPixels(train.images, 10);
    // One spot checked by hand: record 1, (y, x) = (2, 5), green = (7 + 50 + 6 + 5) % 256.
    expect(train.images[((1 * 32 + 2) * 32 + 5) * 3 + 1]).toBe(68);
    const test = await loadCifarDataset(dir, {variant: 'cifar10', split: 'test'});
    expect([test.count, Array.from(test.labels)]).toEqual([3, [5, 0, 9]]);
    expectPixels(test.images, 3);
  });

  it('finds the files in the standard subfolder (cifar-10-batches-bin, cifar-100-binary)', async () => {
    const parent = dirIn('archives');
    writeCifar10(dirIn('archives', 'cifar-10-batches-bin'));
    writeCifar100(dirIn('archives', 'cifar-100-binary'));
    expect((await loadCifarDataset(parent, {variant: 'cifar10', split: 'test'})).count).toBe(3);
    expect((await loadCifarDataset(parent, {variant: 'cifar100', split: 'train'})).count).toBe(4);
  });

  it('CIFAR-100: fine labels by default, coarse on request', async () => {
    const dir = dirIn('c100');
    writeCifar100(dir);
    const fine = await loadCifarDataset(dir, {variant: 'cifar100', split: 'train'});
    expect([fine.count, fine.classes, fine.name, fine.channels]).toEqual([4, 100, 'cifar100', 3]);
    expect(Array.from(fine.labels)).toEqual(cifar100Labels.map(([, f]) => f));
    expectPixels(fine.images, 4);
    const coarse = await loadCifarDataset(dir, {variant: 'cifar100', split: 'train', labelMode: 'coarse'});
    expect(coarse.classes).toBe(20);
    expect(Array.from(coarse.labels)).toEqual(cifar100Labels.map(([c]) => c));
    expectPixels(coarse.images, 4);
    const test = await loadCifarDataset(dir, {variant: 'cifar100', split: 'test'});
    expect(Array.from(test.labels)).toEqual([99]);
  });

  it('parseCifar works on bytes', () => {
    const bytes = new Uint8Array(cifarBytes(cifar100Labels, 0));
    const parsed = parseCifar(bytes, 'in-memory', {variant: 'cifar100', labelMode: 'coarse'});
    expect([parsed.count, Array.from(parsed.labels)]).toEqual([4, [19, 0, 7, 12]]);
    expectPixels(parsed.images, 4);
  });

  describe('errors', () => {
    it('missing files: every name looked for, and where', async () => {
      const dir = dirIn('none');
      const sub = path.join(dir, 'cifar-10-batches-bin');
      await expectRejection(
        loadCifarDataset(dir, {variant: 'cifar10', split: 'train'}),
        `loadCifarDataset('${dir}', variant 'cifar10', split 'train'): cannot find ` +
          `the CIFAR-10 binary files data_batch_1.bin, data_batch_2.bin, ` +
          `data_batch_3.bin, data_batch_4.bin, data_batch_5.bin; looked in '${dir}' ` +
          `(missing all) and '${sub}' (missing all)`
      );
      const partial = dirIn('partial');
      writeCifar10(partial);
      fs.rmSync(path.join(partial, 'data_batch_3.bin'));
      await expectRejection(
        loadCifarDataset(partial, {variant: 'cifar10', split: 'train'}),
        jasmine.stringMatching(/looked in '.*partial' \(missing data_batch_3.bin\) and/)
      );
      await expectRejection(
        loadCifarDataset(dir, {variant: 'cifar100', split: 'test'}),
        `loadCifarDataset('${dir}', variant 'cifar100', split 'test'): cannot find ` +
          `the CIFAR-100 binary files test.bin; looked in '${dir}' (missing all) and ` +
          `'${path.join(dir, 'cifar-100-binary')}' (missing all)`
      );
    });

    it('a file whose size is not a whole number of records', async () => {
      const dir = dirIn('size');
      writeCifar10(dir);
      const file = path.join(dir, 'test_batch.bin');
      fs.writeFileSync(file, Buffer.concat([cifarBytes([[1]], 0), Buffer.from([1])]));
      await expectRejection(
        loadCifarDataset(dir, {variant: 'cifar10', split: 'test'}),
        `'${file}': 3074 bytes is not a whole number of CIFAR-10 records; expected ` +
          `a positive multiple of 3073 bytes (1 label byte + 3072 pixel bytes)`
      );
      fs.writeFileSync(file, Buffer.alloc(0));
      await expectRejection(
        loadCifarDataset(dir, {variant: 'cifar10', split: 'test'}),
        `'${file}': 0 bytes is not a whole number of CIFAR-10 records; expected ` +
          `a positive multiple of 3073 bytes (1 label byte + 3072 pixel bytes)`
      );
      // A CIFAR-10 file read as CIFAR-100 (3073 vs 3074-byte records) is caught the same way.
      expect(() => parseCifar(cifarBytes([[1], [2]], 0), 'c10.bin', {variant: 'cifar100'})).toThrowError(
        `'c10.bin': 6146 bytes is not a whole number of CIFAR-100 records; expected a positive ` +
          `multiple of 3074 bytes (2 label bytes + 3072 pixel bytes)`
      );
    });

    it('labels out of range', async () => {
      const dir = dirIn('labels');
      writeCifar10(dir);
      const file = path.join(dir, 'test_batch.bin');
      fs.writeFileSync(file, cifarBytes([[1], [10]], 0));
      await expectRejection(
        loadCifarDataset(dir, {variant: 'cifar10', split: 'test'}),
        `'${file}' (labels): label 10 at index 1 is out of range; expected 0..9 for 10 classes`
      );
      const fine = cifarBytes([[0, 100]], 0);
      expect(() => parseCifar(fine, 'f.bin', {variant: 'cifar100'})).toThrowError(
        `'f.bin' (fine labels): label 100 at index 0 is out of range; expected 0..99 for 100 classes`
      );
      const coarse = cifarBytes(
        [
          [3, 1],
          [20, 1],
        ],
        0
      );
      expect(() => parseCifar(coarse, 'c.bin', {variant: 'cifar100', labelMode: 'coarse'})).toThrowError(
        `'c.bin' (coarse labels): label 20 at index 1 is out of range; expected 0..19 for 20 classes`
      );
    });

    it('bad options', async () => {
      await expectRejection(
        loadCifarDataset(tmp, {variant: 'cifar10', labelMode: 'coarse'}),
        `loadCifarDataset: option 'labelMode' 'coarse' applies only to variant ` +
          `'cifar100'; CIFAR-10 has a single label`
      );
      await expectRejection(
        loadCifarDataset(tmp, {variant: 'cifar' as 'cifar10'}),
        `loadCifarDataset: option 'variant' must be one of 'cifar10', 'cifar100'; got 'cifar'`
      );
      await expectRejection(
        loadCifarDataset(tmp, {variant: 'cifar10', split: 'valid' as 'test'}),
        `loadCifarDataset: option 'split' must be one of 'train', 'test'; got 'valid'`
      );
      expect(() =>
        parseCifar(new Uint8Array(3073), 'x', {variant: 'cifar100', labelMode: 'all' as 'fine'})
      ).toThrowError(`parseCifar: option 'labelMode' must be one of 'fine', 'coarse'; got 'all'`);
    });
  });
});
