/**
 * N-MNIST (Orchard et al. 2015, https://www.garrickorchard.com/datasets/n-mnist): MNIST digits recorded by an ATIS
 * sensor moved along three saccades, one binary file per digit, 34 × 34 pixels, two polarities.
 *
 * The file format, from the dataset's readme and the dataset author's reader (`Read_Ndataset.m`, ported to Python
 * as gorchard/event-Python `eventvision.py`, and adapted by Tonic as `tonic.io.read_mnist_file`): 5 bytes per
 * event, big-endian —
 *   byte 0: x; byte 1: y; byte 2 bit 7: polarity (1 ON, 0 OFF);
 *   byte 2 bits 0–6, byte 3, byte 4: a 23-bit timestamp in microseconds.
 * An event with y = 240 is no event but a timestamp overflow marker: the 23-bit counter wrapped, so every later
 * timestamp is 2^23 µs later than it reads. (The readers cited add 2^13 instead, which would make timestamps run
 * backwards after a wrap; no N-MNIST recording, at about 300 ms, is long enough to wrap. docs/events.md.)
 */
import {Split} from '../idx';
import {integerOption, oneOf, optionsObject} from '../dataset';
import {isFile, joinAll, listDirectory, readFileBytes} from '../files';
import {allocateEvents, EventDataset, Events, fileOption, formatError, SensorSize, truncateEvents} from './events';

/** N-MNIST's sensor: 34 × 34 pixels, ON and OFF. */
export const NMNIST_SENSOR_SIZE: Readonly<SensorSize> = Object.freeze([34, 34, 2]) as Readonly<SensorSize>;

const EVENT_BYTES = 5;
const OVERFLOW_Y = 240;
const TIMESTAMP_WRAP = 2 ** 23;

/** The options of the N-MNIST parser. */
export interface ParseEventsOptions {
  /** A file name or URL for error messages. */
  file?: string;
}

/**
 * Parses the bytes of one N-MNIST (or N-Caltech101) binary file: 5 bytes per event, overflow markers (y = 240)
 * applied and dropped. Throws, naming the file and the byte offset, on a truncated last event or a timestamp that
 * goes backwards.
 *
 * @example
 * ```js
 * // x 3, y 7, ON, t 1000 µs; then x 4, y 7, OFF, t 70000 µs (0x011170)
 * const bytes = new Uint8Array([3, 7, 0x80, 0x03, 0xe8, 4, 7, 0x01, 0x11, 0x70]);
 * const events = snn.data.parseNmnist(bytes, {file: '00002.bin'});
 * console.log(events.x, events.y, events.t, events.p);   // [3, 4] [7, 7] [1000, 70000] [1, 0]
 * ```
 */
export function parseNmnist(bytes: Uint8Array, options?: ParseEventsOptions): Events {
  const fn = 'parseNmnist';
  const file = fileOption(fn, options);
  if (!(bytes instanceof Uint8Array)) {
    throw new Error(`${fn}: expected the file's bytes as a Uint8Array; got ${typeof bytes}`);
  }
  const whole = bytes.length - (bytes.length % EVENT_BYTES);
  if (whole !== bytes.length) {
    throw formatError(
      fn,
      file,
      whole,
      `truncated event: ${bytes.length - whole} bytes left of a ${EVENT_BYTES}-byte event ` +
        `(file of ${bytes.length} bytes; expected a multiple of ${EVENT_BYTES})`
    );
  }
  const events = allocateEvents(whole / EVENT_BYTES);
  let count = 0;
  let base = 0;
  let previous = -Infinity;
  for (let at = 0; at < whole; at += EVENT_BYTES) {
    const y = bytes[at + 1];
    if (y === OVERFLOW_Y) {
      base += TIMESTAMP_WRAP;
      continue;
    }
    const t = base + ((bytes[at + 2] & 0x7f) << 16) + (bytes[at + 3] << 8) + bytes[at + 4];
    if (t < previous) {
      throw formatError(
        fn,
        file,
        at,
        `timestamp ${t} µs is before the previous event's ${previous} µs; N-MNIST events are in time order`
      );
    }
    previous = t;
    events.x[count] = bytes[at];
    events.y[count] = y;
    events.t[count] = t;
    events.p[count] = bytes[at + 2] >> 7;
    count++;
  }
  return count === events.t.length ? events : truncateEvents(events, count);
}

/**
 * Reads one N-MNIST binary file (Node only).
 *
 * @example
 * ```js
 * const fs = await import('fs');
 * fs.writeFileSync('one.bin', new Uint8Array([3, 7, 0x80, 0x03, 0xe8]));   // x 3, y 7, ON, t 1000 µs
 * const events = await snn.data.readNmnist('one.bin');
 * console.log(events.t);   // Float64Array [1000]
 * ```
 */
export async function readNmnist(path: string): Promise<Events> {
  return parseNmnist(await readFileBytes(path, 'readNmnist'), {file: path});
}

/** The options of `loadNmnist` and `loadDvsGesture`. */
export interface EventDatasetOptions {
  /** Which recordings: 'train' (default) or 'test'. */
  split?: Split;
  /**
   * Read at most this many recordings. N-MNIST takes them class by class in turn (a 0, a 1, …, a 9, the next 0, …),
   * so a small limit still holds every class; DVS Gesture takes the first ones in trial-list order.
   */
  limit?: number;
}

const NMNIST_FOLDERS: Record<Split, string> = {train: 'Train', test: 'Test'};
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * Loads one split of N-MNIST as unpacked from its archives (Node only): `<dir>/Train/<digit>/<id>.bin` and
 * `<dir>/Test/<digit>/<id>.bin`; files in name order, class by class in turn. Labels are the digits; the sensor
 * is 34 × 34 × 2. Download: docs/events.md.
 *
 * @example
 * ```js
 * const fs = await import('fs');
 * for (let digit = 0; digit < 10; digit++) {           // a tiny N-MNIST-shaped folder: one recording per digit
 *   fs.mkdirSync(`nmnist/Train/${digit}`, {recursive: true});
 *   fs.writeFileSync(`nmnist/Train/${digit}/00001.bin`, new Uint8Array([3, 7, 0x80, 0x03, 0xe8]));
 * }
 * const train = await snn.data.loadNmnist('nmnist', {split: 'train', limit: 3});
 * console.log(train.samples.length, Array.from(train.labels), train.sensorSize);   // 3 [0, 1, 2] [34, 34, 2]
 * ```
 */
export async function loadNmnist(dir: string, options?: EventDatasetOptions): Promise<EventDataset> {
  const fn = 'loadNmnist';
  const opts = optionsObject(fn, options);
  const unknown = Object.keys(opts).find(key => key !== 'split' && key !== 'limit');
  if (unknown != null) throw new Error(`${fn}: unknown option '${unknown}'; expected split, limit`);
  const split = oneOf(fn, 'split', opts.split ?? 'train', ['train', 'test'] as const);
  const limit = opts.limit == null ? Infinity : integerOption(fn, 'limit', opts.limit, 1);
  const [root] = await joinAll(dir, [NMNIST_FOLDERS[split]], fn);
  const folders = await joinAll(root, DIGITS, fn);
  const files: string[][] = [];
  for (const folder of folders) {
    const names = (await listDirectory(folder, fn)).filter(name => name.endsWith('.bin'));
    files.push(await joinAll(folder, names, fn));
  }
  const total = files.reduce((sum, list) => sum + list.length, 0);
  if (total === 0) {
    throw new Error(`${fn}('${dir}', split '${split}'): no .bin files in '${root}/0' … '${root}/9'`);
  }
  const samples: Events[] = [];
  const labels: number[] = [];
  const rounds = Math.max(...files.map(list => list.length));
  for (let round = 0; round < rounds && samples.length < limit; round++) {
    for (let digit = 0; digit < DIGITS.length && samples.length < limit; digit++) {
      const path = files[digit][round];
      if (path == null || !(await isFile(path, fn))) continue;
      samples.push(await readNmnist(path));
      labels.push(digit);
    }
  }
  return {samples, labels: Int32Array.from(labels), sensorSize: [...NMNIST_SENSOR_SIZE] as SensorSize, classes: [...DIGITS]};
}
