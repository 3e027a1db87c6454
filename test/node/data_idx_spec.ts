// The IDX reader (MNIST, Fashion-MNIST): every element type, raw and gzipped, the dataset
// loader, its errors, and the embedded Fashion-MNIST subset.
import * as tf from '@tensorflow/tfjs-core';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

import {decodeIdx, IdxArray, loadIdxDataset, parseIdx, readIdx} from '../../src/data/idx';

const root = path.resolve(__dirname, '../../../..');
const SUBSET_DIR = path.join(root, 'data/fashion-mnist-subset');
const FULL_DIR = '/usr/share/datasets/fashion-mnist';

const TYPE_CODES = {uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e};
type Dtype = keyof typeof TYPE_CODES;
const WRITERS: Record<Dtype, [number, (view: DataView, at: number, value: number) => void]> = {
  uint8: [1, (view, at, value) => view.setUint8(at, value)],
  int8: [1, (view, at, value) => view.setInt8(at, value)],
  int16: [2, (view, at, value) => view.setInt16(at, value)], // DataView writes big-endian by default
  int32: [4, (view, at, value) => view.setInt32(at, value)],
  float32: [4, (view, at, value) => view.setFloat32(at, value)],
  float64: [8, (view, at, value) => view.setFloat64(at, value)],
};

/** An IDX file written independently of the reader: magic, big-endian dims, big-endian data. */
function idxBytes(dtype: Dtype, shape: number[], values: number[]): Buffer {
  const [size, write] = WRITERS[dtype];
  const header = 4 + 4 * shape.length;
  const bytes = Buffer.alloc(header + size * values.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint8(2, TYPE_CODES[dtype]);
  view.setUint8(3, shape.length);
  shape.forEach((dim, i) => view.setUint32(4 + 4 * i, dim));
  values.forEach((value, i) => write(view, header + i * size, value));
  return bytes;
}

const SAMPLES: Record<Dtype, {shape: number[]; values: number[]}> = {
  uint8: {shape: [2, 3], values: [0, 1, 127, 128, 254, 255]},
  int8: {shape: [4], values: [-128, -1, 0, 127]},
  int16: {shape: [2, 2], values: [-32768, -2, 258, 32767]},
  int32: {shape: [3], values: [-2147483648, 16909060, 2147483647]},
  float32: {shape: [1, 2, 2], values: [1.5, -0.25, Math.fround(Math.PI), Math.fround(3.4e38)]},
  float64: {shape: [3], values: [Math.PI, -1e300, 5e-324]},
};

const CONSTRUCTORS: Record<Dtype, new (length: number) => ArrayLike<number>> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

function expectArray(array: IdxArray, dtype: Dtype) {
  expect(array.dtype).toBe(dtype);
  expect(array.shape).toEqual(SAMPLES[dtype].shape);
  expect(array.data.constructor).toBe(CONSTRUCTORS[dtype]);
  expect(Array.from(array.data)).toEqual(SAMPLES[dtype].values);
}

async function expectRejection(promise: Promise<unknown>, message: string) {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught).toEqual(jasmine.any(Error));
  expect((caught as Error).message).toBe(message);
}

async function rejectionMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  labels.forEach(label => counts[label]++);
  return counts;
}

describe('parseIdx and readIdx', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snn-idx-'))));
  afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

  for (const dtype of Object.keys(SAMPLES) as Dtype[]) {
    it(`reads ${dtype} arrays from bytes, raw files and gzipped files`, async () => {
      const bytes = idxBytes(dtype, SAMPLES[dtype].shape, SAMPLES[dtype].values);
      expectArray(parseIdx(new Uint8Array(bytes), 'bytes'), dtype);
      fs.writeFileSync(path.join(tmp, `${dtype}.idx`), bytes);
      fs.writeFileSync(path.join(tmp, `${dtype}.idx.gz`), zlib.gzipSync(bytes));
      expectArray(await readIdx(path.join(tmp, `${dtype}.idx`)), dtype);
      expectArray(await readIdx(path.join(tmp, `${dtype}.idx.gz`)), dtype);
      expectArray(await decodeIdx(zlib.gzipSync(bytes), 'bytes.gz'), dtype);
    });
  }

  it('reads multi-byte elements big-endian (literal bytes)', () => {
    const bytes = Uint8Array.from([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
    expect(Array.from(parseIdx(bytes, 'literal').data)).toEqual([258, -2]);
  });

  it('reads from a view into a larger buffer (non-zero byteOffset)', () => {
    const bytes = idxBytes('int16', [2, 2], SAMPLES.int16.values);
    const larger = new Uint8Array(bytes.length + 7);
    larger.set(bytes, 3);
    expectArray(parseIdx(larger.subarray(3, 3 + bytes.length), 'view'), 'int16');
  });

  describe('outside Node (IS_NODE false)', () => {
    let wasNode: boolean;
    beforeEach(() => {
      wasNode = tf.env().getBool('IS_NODE');
      tf.env().set('IS_NODE', false);
    });
    afterEach(() => tf.env().set('IS_NODE', wasNode));

    it('decodeIdx inflates gzip with DecompressionStream; the file readers refuse clearly', async () => {
      const bytes = idxBytes('int32', [3], SAMPLES.int32.values);
      expectArray(await decodeIdx(zlib.gzipSync(bytes), 'fetched.gz'), 'int32');
      await expectRejection(
        readIdx('/any'),
        `readIdx reads files and works only in Node.js; in the ` +
          `browser fetch the bytes and parse them with parseIdx / parseCifar`
      );
      await expectRejection(
        loadIdxDataset('/any'),
        `loadIdxDataset reads files and works only in ` +
          `Node.js; in the browser fetch the bytes and parse them with parseIdx / parseCifar`
      );
    });
  });

  it('reads an array with a zero dimension', () => {
    const parsed = parseIdx(idxBytes('uint8', [0, 28, 28], []), 'empty');
    expect(parsed.shape).toEqual([0, 28, 28]);
    expect(parsed.data.length).toBe(0);
  });

  describe('errors', () => {
    const parse = (bytes: number[] | Buffer) => () => parseIdx(Uint8Array.from(bytes), 'x.idx');

    it('truncated magic number', () => {
      expect(parse([0, 0, 8])).toThrowError(
        `'x.idx': truncated IDX header: expected 4 bytes for the magic number, got 3`
      );
    });

    it('truncated dimensions', () => {
      expect(parse(idxBytes('uint8', [1, 2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 10))).toThrowError(
        `'x.idx': truncated IDX header: expected 16 bytes for the magic number and 3 dimensions, got 10`
      );
    });

    it('truncated data', () => {
      expect(parse(idxBytes('uint8', [1, 2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 21))).toThrowError(
        `'x.idx': truncated IDX data: expected 22 bytes (16 for the header and 6 for ` + `[1, 2, 3] of uint8), got 21`
      );
      expect(parse(idxBytes('float64', [2], [1, 2]).subarray(0, 20))).toThrowError(
        `'x.idx': truncated IDX data: expected 24 bytes (8 for the header and 16 for ` + `[2] of float64), got 20`
      );
    });

    it('bytes after the data', () => {
      expect(parse([...idxBytes('int32', [1], [7]), 0, 0])).toThrowError(
        `'x.idx': 2 unexpected bytes after the IDX data: expected 12 bytes (8 for the header ` +
          `and 4 for [1] of int32), got 14`
      );
    });

    it('wrong magic number, and gzip data given to parseIdx', () => {
      expect(parse([0x50, 0x4b, 3, 4, 0])).toThrowError(
        `'x.idx' is not an IDX file: expected a magic number starting with 0x00 0x00, found ` + `0x50 0x4b 0x03 0x04`
      );
      expect(parse(zlib.gzipSync(idxBytes('uint8', [1], [1])))).toThrowError(
        /^'x.idx' is not an IDX file: expected a magic number starting with 0x00 0x00, found 0x1f 0x8b 0x08 0x00 \(gzip data: decompress it first/
      );
    });

    it('unsupported element type', () => {
      expect(parse([0, 0, 0x0a, 1, 0, 0, 0, 0])).toThrowError(
        `'x.idx': unsupported IDX data type 0x0a (third byte of the magic number); expected ` +
          `one of 0x08 (uint8), 0x09 (int8), 0x0b (int16), 0x0c (int32), 0x0d (float32), 0x0e (float64)`
      );
    });

    it('missing file, corrupt gzip, truncated gzipped file (named by path)', async () => {
      const missing = path.join(tmp, 'nope.idx');
      await expectRejection(readIdx(missing), `readIdx: the file '${missing}' does not exist`);
      const corrupt = path.join(tmp, 'corrupt.idx.gz');
      fs.writeFileSync(corrupt, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]));
      expect(await rejectionMessage(readIdx(corrupt))).toMatch(
        new RegExp(`^'${corrupt}': cannot decompress the gzip data: `)
      );
      const truncated = path.join(tmp, 'truncated.idx.gz');
      fs.writeFileSync(truncated, zlib.gzipSync(idxBytes('uint8', [4], [1, 2, 3, 4]).subarray(0, 10)));
      await expectRejection(
        readIdx(truncated),
        `'${truncated}': truncated IDX data: expected 12 bytes (8 for the header ` + `and 4 for [4] of uint8), got 10`
      );
    });
  });
});

describe('loadIdxDataset', () => {
  let tmp: string;
  const images = Array.from({length: 3 * 2 * 4}, (_, i) => (i * 11) % 256);
  const labels = [3, 0, 9];
  const write = (dir: string, name: string, bytes: Buffer) => fs.writeFileSync(path.join(dir, name), bytes);
  const makeDir = (name: string) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    return dir;
  };

  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snn-idx-dataset-'))));
  afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

  it('reads raw train files and gzipped test files, keeping raw uint8', async () => {
    const dir = makeDir('mixed');
    write(dir, 'train-images-idx3-ubyte', idxBytes('uint8', [3, 2, 4], images));
    write(dir, 'train-labels-idx1-ubyte', idxBytes('uint8', [3], labels));
    write(dir, 't10k-images-idx3-ubyte.gz', zlib.gzipSync(idxBytes('uint8', [1, 2, 4], images.slice(0, 8))));
    write(dir, 't10k-labels-idx1-ubyte.gz', zlib.gzipSync(idxBytes('uint8', [1], [7])));
    const train = await loadIdxDataset(dir, {split: 'train'});
    expect(train.images).toEqual(jasmine.any(Uint8Array));
    expect(Array.from(train.images)).toEqual(images);
    expect(Array.from(train.labels)).toEqual(labels);
    expect({...train, images: null, labels: null}).toEqual({
      images: null,
      labels: null,
      count: 3,
      height: 2,
      width: 4,
      channels: 1,
      classes: 10,
    });
    const test = await loadIdxDataset(dir, {split: 'test', name: 'mnist'});
    expect([test.count, Array.from(test.labels), test.name]).toEqual([1, [7], 'mnist']);
    expect(Array.from(test.images)).toEqual(images.slice(0, 8));
    expect((await loadIdxDataset(dir)).count).toBe(3); // split defaults to 'train'
  });

  it('names the files it looked for when one is missing', async () => {
    const dir = makeDir('empty');
    await expectRejection(
      loadIdxDataset(dir, {split: 'test'}),
      `loadIdxDataset('${dir}', split 'test'): no images file found in '${dir}'; ` +
        `looked for 't10k-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz'`
    );
    write(dir, 't10k-images-idx3-ubyte.gz', zlib.gzipSync(idxBytes('uint8', [3, 2, 4], images)));
    await expectRejection(
      loadIdxDataset(dir, {split: 'test'}),
      `loadIdxDataset('${dir}', split 'test'): no labels file found in '${dir}'; ` +
        `looked for 't10k-labels-idx1-ubyte', 't10k-labels-idx1-ubyte.gz'`
    );
  });

  it('rejects a label count that differs from the image count', async () => {
    const dir = makeDir('mismatch');
    write(dir, 'train-images-idx3-ubyte', idxBytes('uint8', [3, 2, 4], images));
    write(dir, 'train-labels-idx1-ubyte', idxBytes('uint8', [2], [1, 2]));
    await expectRejection(
      loadIdxDataset(dir, {split: 'train'}),
      `'${path.join(dir, 'train-labels-idx1-ubyte')}' holds 2 labels but ` +
        `'${path.join(dir, 'train-images-idx3-ubyte')}' holds 3 images; expected ` +
        `one label per image`
    );
  });

  it('rejects labels out of range, against the classes option', async () => {
    const dir = makeDir('range');
    write(dir, 'train-images-idx3-ubyte', idxBytes('uint8', [3, 2, 4], images));
    write(dir, 'train-labels-idx1-ubyte', idxBytes('uint8', [3], [1, 2, 10]));
    const labelsPath = path.join(dir, 'train-labels-idx1-ubyte');
    await expectRejection(
      loadIdxDataset(dir, {split: 'train'}),
      `'${labelsPath}': label 10 at index 2 is out of range; expected 0..9 for 10 classes`
    );
    await expectRejection(
      loadIdxDataset(dir, {split: 'train', classes: 2}),
      `'${labelsPath}': label 2 at index 1 is out of range; expected 0..1 for 2 classes`
    );
    expect((await loadIdxDataset(dir, {split: 'train', classes: 11})).classes).toBe(11);
  });

  it('rejects images or labels of the wrong type or rank', async () => {
    const dir = makeDir('kinds');
    write(dir, 'train-images-idx3-ubyte', idxBytes('float32', [3, 8], images));
    write(dir, 'train-labels-idx1-ubyte', idxBytes('uint8', [3], labels));
    await expectRejection(
      loadIdxDataset(dir),
      `'${path.join(dir, 'train-images-idx3-ubyte')}': ` +
        `expected uint8 images of shape [count, height, width]; found float32 of shape [3, 8]`
    );
    write(dir, 'train-images-idx3-ubyte', idxBytes('uint8', [3, 2, 4], images));
    write(dir, 'train-labels-idx1-ubyte', idxBytes('int32', [3, 1], labels));
    await expectRejection(
      loadIdxDataset(dir),
      `'${path.join(dir, 'train-labels-idx1-ubyte')}': ` +
        `expected uint8 labels of shape [count]; found int32 of shape [3, 1]`
    );
  });

  it('rejects bad options', async () => {
    await expectRejection(
      loadIdxDataset(tmp, {split: 'val' as 'train'}),
      `loadIdxDataset: option 'split' must be one of 'train', 'test'; got 'val'`
    );
    await expectRejection(
      loadIdxDataset(tmp, {classes: 0}),
      `loadIdxDataset: option 'classes' must be a positive integer; got 0`
    );
    await expectRejection(
      loadIdxDataset(tmp, {name: 'cifar10' as 'mnist'}),
      `loadIdxDataset: option 'name' must be one of 'mnist', 'fashion-mnist'; got 'cifar10'`
    );
  });
});

/** The element bytes of a gzipped IDX file, after its header (magic and dims), read without the package's reader. */
function idxPayload(file: string): Buffer {
  const bytes = zlib.gunzipSync(fs.readFileSync(file));
  return bytes.subarray(4 + 4 * bytes[3]);
}
const sha256 = (...parts: Buffer[]) => {
  const hash = crypto.createHash('sha256');
  parts.forEach(part => hash.update(part));
  return hash.digest('hex');
};
const PREFIX = {train: 'train', test: 't10k'};

describe('the embedded Fashion-MNIST subset (data/fashion-mnist-subset)', () => {
  const EXPECTED = {train: {count: 2000, perClass: 200}, test: {count: 1000, perClass: 100}};
  // SHA-256 of the labels then the images (the IDX payloads) of the first `perClass` images of each class of the
  // full Fashion-MNIST, in file order: computed from the originals by the spec below, which checks the subset's
  // derivation whenever the full set is installed; this one needs only the bundled files, so it always runs.
  const PICKED_DIGESTS = {
    train: 'da56975af04bce67ac54da23e11bd3a776f45dd3dffe2aeb0a56c52e6a6bacd0',
    test: '536f595b6a9ad50f45d880b5e47a02e1e51d86f5f313e8c08ffdad681c26e09c',
  };
  // SHA-256 of the full set's IDX files, decompressed (Debian's dataset-fashion-mnist recompressed Zalando's .gz
  // files, so the .gz digests differ from the upstream's, the contents do not).
  const FULL_DIGESTS: {[file: string]: string} = {
    'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
  };

  for (const split of ['train', 'test'] as const) {
    it(`${split}: its labels and images are the recorded digest of the full set's first images of each class`, () => {
      const file = (kind: string) => path.join(SUBSET_DIR, `${PREFIX[split]}-${kind}-ubyte.gz`);
      expect(sha256(idxPayload(file('labels-idx1')), idxPayload(file('images-idx3')))).toBe(PICKED_DIGESTS[split]);
    });
  }

  for (const split of ['train', 'test'] as const) {
    it(`${split}: ${EXPECTED[split].count} images of 28×28, ${EXPECTED[split].perClass} per class, plausible pixels`, async () => {
      const dataset = await loadIdxDataset(SUBSET_DIR, {split, name: 'fashion-mnist'});
      expect([dataset.count, dataset.height, dataset.width, dataset.channels, dataset.classes]).toEqual([
        EXPECTED[split].count,
        28,
        28,
        1,
        10,
      ]);
      expect(classCounts(dataset.labels)).toEqual(new Array(10).fill(EXPECTED[split].perClass));
      let sum = 0;
      let max = 0;
      let zeros = 0;
      for (const pixel of dataset.images) {
        sum += pixel;
        max = Math.max(max, pixel);
        if (pixel === 0) zeros++;
      }
      const mean = sum / dataset.images.length / 255;
      expect(mean).toBeGreaterThan(0.25); // the full set's mean is 0.2860
      expect(mean).toBeLessThan(0.33);
      expect(max).toBe(255);
      expect(zeros / dataset.images.length).toBeGreaterThan(0.3); // dark background
      expect(new Set(dataset.labels.subarray(0, 20)).size).toBeGreaterThan(3); // classes interleaved
    });
  }

  it('is the first images of each class of the full Fashion-MNIST, in file order', async () => {
    if (!fs.existsSync(FULL_DIR)) {
      // .ci/run installs it: in CI its absence is a failure, not a skipped check.
      const absent = `${FULL_DIR} is absent (apt-get install dataset-fashion-mnist); cannot compare with the full set`;
      if (process.env.CI) fail(absent);
      else pending(absent);
      return;
    }
    for (const [name, digest] of Object.entries(FULL_DIGESTS)) {
      const content = zlib.gunzipSync(fs.readFileSync(path.join(FULL_DIR, `${name}.gz`)));
      expect(sha256(content)).withContext(`${FULL_DIR}/${name}.gz decompressed`).toBe(digest);
    }
    for (const split of ['train', 'test'] as const) {
      const file = (kind: string) => path.join(FULL_DIR, `${PREFIX[split]}-${kind}-ubyte.gz`);
      const [labels, images] = [idxPayload(file('labels-idx1')), idxPayload(file('images-idx3'))];
      const kept = new Array(10).fill(0);
      const picked = Array.from(labels.keys()).filter(
        i => kept[labels[i]] < EXPECTED[split].perClass && ++kept[labels[i]] > 0
      );
      expect(
        sha256(Buffer.from(picked.map(i => labels[i])), ...picked.map(i => images.subarray(i * 784, (i + 1) * 784)))
      )
        .withContext(`${split}: digest of the picked originals`)
        .toBe(PICKED_DIGESTS[split]);
    }
    for (const split of ['train', 'test'] as const) {
      const full = await loadIdxDataset(FULL_DIR, {split});
      const subset = await loadIdxDataset(SUBSET_DIR, {split});
      const picked: number[] = [];
      const kept = new Array(10).fill(0);
      full.labels.forEach((label, i) => {
        if (kept[label] < EXPECTED[split].perClass) {
          kept[label]++;
          picked.push(i);
        }
      });
      expect(picked.length).toBe(subset.count);
      const size = 28 * 28;
      const firstOfClass = new Set<number>();
      picked.forEach((source, k) => {
        const label = subset.labels[k];
        expect(label).withContext(`${split} ${k}`).toBe(full.labels[source]);
        const same = full.images
          .subarray(source * size, (source + 1) * size)
          .every((pixel, p) => pixel === subset.images[k * size + p]);
        if (!same) fail(`${split}: subset image ${k} differs from full image ${source}`);
        firstOfClass.add(label);
      });
      expect(firstOfClass.size).toBe(10);
    }
  });
});
