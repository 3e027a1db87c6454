/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a magic
 * number `00 00 <type> <ndims>`, `ndims` big-endian uint32 dimensions, then the elements,
 * big-endian, in row-major order. `parseIdx` works on bytes anywhere; `readIdx` and
 * `loadIdxDataset` read (optionally gzipped) files in Node.
 */
import {quotedList} from '../errors';
import {checkLabelRange, DatasetName, IDX_DATASETS, ImageDataset, integerOption, oneOf, optionsObject} from './dataset';
import {findFile, gunzip, isGzip, readMaybeGzipped} from './files';

/** The element types of IDX files (type bytes 0x08–0x0E). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
/** The typed array that holds an IDX array's elements, one per `IdxDtype`. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** One IDX array: `data` holds the elements in row-major order, in native byte order. */
export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxData;
}

interface IdxType {
  dtype: IdxDtype;
  bytesPerElement: number;
  decode(view: DataView, offset: number, count: number): IdxData;
}

function bigEndian<T extends Exclude<IdxData, Uint8Array | Int8Array>>(
    make: (count: number) => T, bytesPerElement: number,
    read: (view: DataView, offset: number) => number): IdxType['decode'] {
  return (view, offset, count) => {
    const data = make(count);
    for (let i = 0; i < count; i++) data[i] = read(view, offset + i * bytesPerElement);
    return data;
  };
}

const IDX_TYPES: Record<number, IdxType> = {
  0x08: {dtype: 'uint8', bytesPerElement: 1,
         decode: (view, offset, count) => new Uint8Array(view.buffer.slice(view.byteOffset + offset,
                                                                           view.byteOffset + offset + count))},
  0x09: {dtype: 'int8', bytesPerElement: 1,
         decode: (view, offset, count) => new Int8Array(view.buffer.slice(view.byteOffset + offset,
                                                                          view.byteOffset + offset + count))},
  0x0B: {dtype: 'int16', bytesPerElement: 2,
         decode: bigEndian(n => new Int16Array(n), 2, (view, at) => view.getInt16(at, false))},
  0x0C: {dtype: 'int32', bytesPerElement: 4,
         decode: bigEndian(n => new Int32Array(n), 4, (view, at) => view.getInt32(at, false))},
  0x0D: {dtype: 'float32', bytesPerElement: 4,
         decode: bigEndian(n => new Float32Array(n), 4, (view, at) => view.getFloat32(at, false))},
  0x0E: {dtype: 'float64', bytesPerElement: 8,
         decode: bigEndian(n => new Float64Array(n), 8, (view, at) => view.getFloat64(at, false))},
};

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;

const SUPPORTED_TYPES = Object.entries(IDX_TYPES)
                            .map(([code, type]) => `${hex(Number(code))} (${type.dtype})`).join(', ');

/**
 * Parses uncompressed IDX bytes; `name` (a file name or URL) labels errors. Gzipped bytes
 * are rejected with a hint: inflate them first with `gunzip` (or use `decodeIdx`).
 *
 * @example
 * ```js
 * // magic 0x00000801 (uint8, one dimension), length 3, then the elements
 * const labels = snn.data.parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]), 'labels.idx');
 * console.log(labels.dtype, labels.shape, Array.from(labels.data));   // uint8 [3] [7, 2, 1]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const {type, ndims} = parseMagic(bytes, name);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(`'${name}': truncated IDX header: expected ${headerBytes} bytes for the ` +
                    `magic number and ${ndims} dimensions, got ${bytes.length}`);
  }
  const shape = Array.from({length: ndims}, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((product, dim) => product * dim, 1);
  checkDataLength(bytes.length, headerBytes, count * type.bytesPerElement,
                  `[${shape.join(', ')}] of ${type.dtype}`, name);
  return {dtype: type.dtype, shape, data: type.decode(view, headerBytes, count)};
}

function parseMagic(bytes: Uint8Array, name: string): {type: IdxType, ndims: number} {
  if (bytes.length < 4) {
    throw new Error(`'${name}': truncated IDX header: expected 4 bytes for the magic number, ` +
                    `got ${bytes.length}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const found = Array.from(bytes.subarray(0, 4), hex).join(' ');
    const hint = isGzip(bytes) ? ' (gzip data: decompress it first, e.g. with gunzip or decodeIdx)' : '';
    throw new Error(`'${name}' is not an IDX file: expected a magic number starting with ` +
                    `0x00 0x00, found ${found}${hint}`);
  }
  const type = IDX_TYPES[bytes[2]];
  if (type == null) {
    throw new Error(`'${name}': unsupported IDX data type ${hex(bytes[2])} (third byte of the ` +
                    `magic number); expected one of ${SUPPORTED_TYPES}`);
  }
  return {type, ndims: bytes[3]};
}

function checkDataLength(fileBytes: number, headerBytes: number, dataBytes: number,
                         what: string, name: string) {
  const expected = headerBytes + dataBytes;
  if (fileBytes < expected) {
    throw new Error(`'${name}': truncated IDX data: expected ${expected} bytes (${headerBytes} ` +
                    `for the header and ${dataBytes} for ${what}), got ${fileBytes}`);
  }
  if (fileBytes > expected) {
    throw new Error(`'${name}': ${fileBytes - expected} unexpected bytes after the IDX data: ` +
                    `expected ${expected} bytes (${headerBytes} for the header and ${dataBytes} for ` +
                    `${what}), got ${fileBytes}`);
  }
}

/**
 * Parses IDX bytes, raw or gzipped (gzip is detected from its magic bytes 1f 8b): for bytes
 * fetched in a browser or read by your own code.
 *
 * @example
 * ```js
 * const url = 'https://example.com/fashion-mnist/t10k-labels-idx1-ubyte.gz';   // any IDX file, raw or .gz
 * const labels = await snn.data.decodeIdx(new Uint8Array(await (await fetch(url)).arrayBuffer()), url);
 * ```
 */
export async function decodeIdx(bytes: Uint8Array, name: string): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name) : bytes, name);
}

/**
 * Reads an IDX file, raw or gzipped (Node only).
 *
 * @example
 * ```js
 * const images = await snn.data.readIdx('node_modules/tfjs-snn/data/fashion-mnist-subset/t10k-images-idx3-ubyte.gz');
 * console.log(images.dtype, images.shape);     // uint8 [1000, 28, 28]
 * ```
 */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await readMaybeGzipped(path, 'readIdx'), path);
}

/** A dataset split: the training or the test files. */
export type Split = 'train' | 'test';

/** The options of `loadIdxDataset` (all optional). */
export interface IdxDatasetOptions {
  split?: Split;
  /** Number of classes; every label must be below it. Default 10. */
  classes?: number;
  /** Recorded on the dataset to pick its default normalisation ('mnist', 'fashion-mnist'). */
  name?: DatasetName;
}

const SPLIT_PREFIX: Record<Split, string> = {train: 'train', test: 't10k'};

/** The file names an MNIST-style directory holds for a split, uncompressed first. */
export function idxFileNames(split: Split): {images: string[], labels: string[]} {
  const prefix = SPLIT_PREFIX[split];
  const withGz = (name: string) => [name, `${name}.gz`];
  return {images: withGz(`${prefix}-images-idx3-ubyte`), labels: withGz(`${prefix}-labels-idx1-ubyte`)};
}

/**
 * Loads one split of an MNIST-style directory (Node only): `train-images-idx3-ubyte` and
 * `train-labels-idx1-ubyte` (or `t10k-…` for 'test'), each raw or with `.gz`. Page: docs/data.md.
 *
 * @example
 * ```js
 * // the Fashion-MNIST subset bundled with the package (or e.g. /usr/share/datasets/fashion-mnist)
 * const dir = 'node_modules/tfjs-snn/data/fashion-mnist-subset';
 * const test = await snn.data.loadIdxDataset(dir, {split: 'test', name: 'fashion-mnist'});
 * console.log(test.count, test.height, test.width, test.classes);     // 1000 28 28 10
 * ```
 */
export async function loadIdxDataset(dir: string, options?: IdxDatasetOptions): Promise<ImageDataset> {
  const fn = 'loadIdxDataset';
  const opts = optionsObject(fn, options);
  const split = oneOf(fn, 'split', opts.split ?? 'train', ['train', 'test'] as const);
  const classes = integerOption(fn, 'classes', opts.classes ?? 10, 1);
  if (opts.name != null) oneOf(fn, 'name', opts.name, IDX_DATASETS);
  const where = `${fn}('${dir}', split '${split}')`;
  const names = idxFileNames(split);
  const imagesPath = await findRequired(dir, names.images, 'images', where);
  const labelsPath = await findRequired(dir, names.labels, 'labels', where);
  const images = await readIdx(imagesPath);
  const labels = await readIdx(labelsPath);
  const [count, height, width] = checkImages(images, imagesPath);
  checkLabels(labels, labelsPath, count, imagesPath);
  checkLabelRange(labels.data as Uint8Array, classes, `'${labelsPath}'`);
  const dataset: ImageDataset = {images: images.data as Uint8Array, labels: labels.data as Uint8Array,
                                 count, height, width, channels: 1, classes};
  if (opts.name != null) dataset.name = opts.name;
  return dataset;
}

async function findRequired(dir: string, names: string[], what: string, where: string): Promise<string> {
  const path = await findFile(dir, names, 'loadIdxDataset');
  if (path == null) {
    throw new Error(`${where}: no ${what} file found in '${dir}'; looked for ` +
                    `${quotedList(names)}`);
  }
  return path;
}

function checkImages(images: IdxArray, path: string): number[] {
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new Error(`'${path}': expected uint8 images of shape [count, height, width]; found ` +
                    `${images.dtype} of shape [${images.shape.join(', ')}]`);
  }
  return images.shape;
}

function checkLabels(labels: IdxArray, path: string, imageCount: number, imagesPath: string) {
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new Error(`'${path}': expected uint8 labels of shape [count]; found ${labels.dtype} ` +
                    `of shape [${labels.shape.join(', ')}]`);
  }
  if (labels.shape[0] !== imageCount) {
    throw new Error(`'${path}' holds ${labels.shape[0]} labels but '${imagesPath}' holds ` +
                    `${imageCount} images; expected one label per image`);
  }
}
