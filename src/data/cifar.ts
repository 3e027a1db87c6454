/**
 * The binary versions of CIFAR-10 and CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html).
 * A file is a run of fixed-size records: CIFAR-10 has 1 label byte, CIFAR-100 a coarse and a
 * fine label byte, then 3072 pixel bytes in CHW order (1024 red, 1024 green, 1024 blue, each
 * 32 × 32 row-major). The readers return HWC images, as tfjs's conv layers expect.
 */
import {checkLabelRange, CIFAR_VARIANTS, ImageDataset, oneOf, optionsObject} from './dataset';
import {isFile, joinAll, readFileBytes} from './files';
import {Split} from './idx';

/** The CIFAR binary distributions: 10 classes, or 100 fine (20 coarse) classes. */
export type CifarVariant = (typeof CIFAR_VARIANTS)[number];
/** CIFAR-100's 100 fine classes or its 20 coarse superclasses. */
export type CifarLabelMode = 'fine' | 'coarse';

const SIDE = 32;
const CHANNELS = 3;
const PIXELS = SIDE * SIDE;
const IMAGE_BYTES = PIXELS * CHANNELS;

interface VariantLayout {
  title: string;
  labelBytes: number;
  folder: string;
  files: Record<Split, string[]>;
}

const LAYOUTS: Record<CifarVariant, VariantLayout> = {
  cifar10: {
    title: 'CIFAR-10', labelBytes: 1, folder: 'cifar-10-batches-bin',
    files: {train: [1, 2, 3, 4, 5].map(i => `data_batch_${i}.bin`), test: ['test_batch.bin']},
  },
  cifar100: {
    title: 'CIFAR-100', labelBytes: 2, folder: 'cifar-100-binary',
    files: {train: ['train.bin'], test: ['test.bin']},
  },
};

/** The number of classes of a CIFAR variant and label mode: 10, 100 (fine) or 20 (coarse). */
export function cifarClasses(variant: CifarVariant, labelMode: CifarLabelMode = 'fine'): number {
  return variant === 'cifar10' ? 10 : labelMode === 'coarse' ? 20 : 100;
}

/** Which CIFAR file format `parseCifar` reads, and which labels it returns. */
export interface CifarOptions {
  variant: CifarVariant;
  /** CIFAR-100 only: which label to return. Default 'fine'. */
  labelMode?: CifarLabelMode;
}

/** The images (HWC uint8) and labels of one parsed CIFAR file. */
export interface CifarRecords {
  images: Uint8Array;  // count × 32 × 32 × 3, HWC
  labels: Uint8Array;
  count: number;
}

/**
 * Parses the bytes of one CIFAR binary file (works anywhere); `name` labels errors.
 * Labels are checked against the class count of the variant and label mode.
 *
 * @example
 * ```js
 * const bytes = new Uint8Array(2 * 3073);      // two CIFAR-10 records: a label byte, then 3072 CHW pixels
 * bytes[3073] = 7;                             // the second image's label
 * const {count, labels} = snn.data.parseCifar(bytes, 'two.bin', {variant: 'cifar10'});
 * console.log(count, Array.from(labels));      // 2 [0, 7]
 * ```
 */
export function parseCifar(bytes: Uint8Array, name: string, options: CifarOptions): CifarRecords {
  const fn = 'parseCifar';
  const {variant, labelMode} = resolveVariant(fn, optionsObject(fn, options));
  const layout = LAYOUTS[variant];
  const recordBytes = layout.labelBytes + IMAGE_BYTES;
  checkFileSize(bytes.length, recordBytes, layout.title, name);
  const count = bytes.length / recordBytes;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  const labelOffset = variant === 'cifar100' && labelMode === 'fine' ? 1 : 0;
  for (let record = 0; record < count; record++) {
    const start = record * recordBytes;
    labels[record] = bytes[start + labelOffset];
    chwToHwc(bytes, start + layout.labelBytes, images, record * IMAGE_BYTES);
  }
  const which = variant === 'cifar100' ? `${labelMode} ` : '';
  checkLabelRange(labels, cifarClasses(variant, labelMode), `'${name}' (${which}labels)`);
  return {images, labels, count};
}

function checkFileSize(size: number, recordBytes: number, title: string, name: string) {
  const labelBytes = recordBytes - IMAGE_BYTES;
  const layout = `${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + ${IMAGE_BYTES} pixel bytes`;
  if (size === 0 || size % recordBytes !== 0) {
    throw new Error(`'${name}': ${size} bytes is not a whole number of ${title} records; ` +
                    `expected a positive multiple of ${recordBytes} bytes (${layout})`);
  }
}

function chwToHwc(source: Uint8Array, from: number, target: Uint8Array, to: number) {
  for (let pixel = 0; pixel < PIXELS; pixel++) {
    for (let channel = 0; channel < CHANNELS; channel++) {
      target[to + pixel * CHANNELS + channel] = source[from + channel * PIXELS + pixel];
    }
  }
}

function resolveVariant(fn: string, opts: Partial<CifarOptions>) {
  const variant = oneOf(fn, 'variant', opts.variant, CIFAR_VARIANTS);
  const labelMode = oneOf(fn, 'labelMode', opts.labelMode ?? 'fine', ['fine', 'coarse'] as const);
  if (variant === 'cifar10' && labelMode === 'coarse') {
    throw new Error(`${fn}: option 'labelMode' 'coarse' applies only to variant 'cifar100'; ` +
                    `CIFAR-10 has a single label`);
  }
  return {variant, labelMode};
}

/** The options of `loadCifarDataset`: the variant, and the split and labels to load. */
export interface CifarDatasetOptions extends CifarOptions {
  split?: Split;
}

/**
 * Loads one split of CIFAR-10 or CIFAR-100 from the binary distribution (Node only). `dir`
 * is either the folder holding the .bin files or its parent (holding `cifar-10-batches-bin`
 * or `cifar-100-binary`, as the archives unpack). Page: docs/data.md.
 *
 * @example
 * ```js
 * // after: wget https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz && tar xzf cifar-10-binary.tar.gz
 * const train = await snn.data.loadCifarDataset('.', {variant: 'cifar10', split: 'train'});  // 50000 images
 * ```
 */
export async function loadCifarDataset(dir: string, options: CifarDatasetOptions): Promise<ImageDataset> {
  const fn = 'loadCifarDataset';
  const opts = optionsObject(fn, options);
  const {variant, labelMode} = resolveVariant(fn, opts);
  const split = oneOf(fn, 'split', opts.split ?? 'train', ['train', 'test'] as const);
  const paths = await locateFiles(dir, variant, split, fn);
  const parts: CifarRecords[] = [];
  for (const path of paths) {
    parts.push(parseCifar(await readFileBytes(path, fn), path, {variant, labelMode}));
  }
  return {...concatRecords(parts), height: SIDE, width: SIDE, channels: CHANNELS,
          classes: cifarClasses(variant, labelMode), name: variant};
}

async function locateFiles(dir: string, variant: CifarVariant, split: Split, fn: string): Promise<string[]> {
  const layout = LAYOUTS[variant];
  const names = layout.files[split];
  const [subfolder] = await joinAll(dir, [layout.folder], fn);
  const report: string[] = [];
  for (const folder of [dir, subfolder]) {
    const paths = await joinAll(folder, names, fn);
    const missing = [];
    for (let i = 0; i < paths.length; i++) {
      if (!await isFile(paths[i], fn)) missing.push(names[i]);
    }
    if (missing.length === 0) return paths;
    report.push(`'${folder}' (missing ${missing.length === names.length ? 'all' : missing.join(', ')})`);
  }
  throw new Error(`${fn}('${dir}', variant '${variant}', split '${split}'): cannot find the ` +
                  `${layout.title} binary files ${names.join(', ')}; looked in ${report.join(' and ')}`);
}

function concatRecords(parts: CifarRecords[]): CifarRecords {
  const count = parts.reduce((sum, part) => sum + part.count, 0);
  if (parts.length === 1) return parts[0];
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let offset = 0;
  for (const part of parts) {
    images.set(part.images, offset * IMAGE_BYTES);
    labels.set(part.labels, offset);
    offset += part.count;
  }
  return {images, labels, count};
}
