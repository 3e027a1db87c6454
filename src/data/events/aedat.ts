/**
 * AEDAT 3.1 files (iniVation's cAER / libcaer; the DVS128 Gesture dataset of Amir et al. 2017) and the Gesture
 * dataset's label CSVs and folder.
 *
 * Format, from the libcaer headers (include/libcaer/events/common.h, polarity.h) and iniVation's AEDAT 3.1
 * description: header lines starting with '#' (the first `#!AER-DAT3.1`, the last `#!END-HEADER`), each ended by
 * CR LF; then event packets, little-endian, each a 28-byte header — int16 eventType, int16 eventSource, int32
 * eventSize, int32 eventTSOffset, int32 eventTSOverflow, int32 eventCapacity, int32 eventNumber, int32 eventValid —
 * followed by eventCapacity events of eventSize bytes. Polarity events (type 1) are 8 bytes: a uint32 `data`
 * (bit 0 valid, bit 1 polarity, bits 2–16 y, bits 17–31 x) and an int32 timestamp in µs whose full value is
 * `eventTSOverflow · 2^31 + timestamp` (TS_OVERFLOW_SHIFT 31).
 */
import {Split} from '../idx';
import {integerOption, oneOf, optionsObject} from '../dataset';
import {joinAll, readFileBytes, readTextFile} from '../files';
import {
  allocateEvents,
  EventDataset,
  Events,
  fileOption,
  formatError,
  searchLeft,
  SensorSize,
  sliceEvents,
  truncateEvents,
} from './events';
import {EventDatasetOptions, ParseEventsOptions} from './nmnist';

const PACKET_HEADER_BYTES = 28;
const POLARITY_EVENT = 1;
const POLARITY_EVENT_BYTES = 8;
const FIRST_LINE = '#!AER-DAT3.1';
const END_LINE = '#!END-HEADER';

/** DVS128 Gesture's sensor: 128 × 128 pixels, ON and OFF. */
export const DVS_GESTURE_SENSOR_SIZE: Readonly<SensorSize> = Object.freeze([128, 128, 2]) as Readonly<SensorSize>;

/** DVS128 Gesture's 11 classes, in label order (the CSVs' class 1 is index 0). */
export const DVS_GESTURE_CLASSES: readonly string[] = Object.freeze([
  'hand_clap',
  'right_hand_wave',
  'left_hand_wave',
  'right_arm_clockwise',
  'right_arm_counter_clockwise',
  'left_arm_clockwise',
  'left_arm_counter_clockwise',
  'arm_roll',
  'air_drums',
  'air_guitar',
  'other_gestures',
]);

/** The byte where an AEDAT 3.1 file's packets begin (after `#!END-HEADER\r\n`); throws on a bad header. */
function skipHeader(fn: string, file: string | undefined, bytes: Uint8Array): number {
  let at = 0;
  let first = true;
  while (at < bytes.length && bytes[at] === 0x23 /* '#' */) {
    let end = at;
    while (end < bytes.length && bytes[end] !== 0x0a) end++;
    if (end === bytes.length) throw formatError(fn, file, at, `truncated header: a '#' line without a line end`);
    const line = new TextDecoder('latin1').decode(bytes.subarray(at, end)).replace(/\r$/, '');
    if (first && line !== FIRST_LINE) {
      throw formatError(fn, file, 0, `bad header: the first line is ${JSON.stringify(line.slice(0, 40))}; expected '${FIRST_LINE}' (AEDAT 3.1)`);
    }
    first = false;
    at = end + 1;
    if (line === END_LINE) return at;
  }
  if (first) {
    const found = new TextDecoder('latin1').decode(bytes.subarray(0, 12));
    throw formatError(fn, file, 0, `bad header: expected '${FIRST_LINE}', found ${JSON.stringify(found)}`);
  }
  throw formatError(fn, file, at, `bad header: no '${END_LINE}' line before the data`);
}

/**
 * Parses the polarity events of an AEDAT 3.1 file (DVS128 Gesture's recordings): other packet types are skipped,
 * as are events whose valid bit is 0 and those past a packet's eventNumber. Throws, naming the file and the byte
 * offset, on a bad header, a truncated packet, a polarity packet whose event size is not 8, or time going
 * backwards.
 *
 * @example
 * ```js
 * const header = new TextEncoder().encode('#!AER-DAT3.1\r\n#!END-HEADER\r\n');
 * const packet = new DataView(new ArrayBuffer(28 + 8));
 * [1, 0].forEach((v, i) => packet.setInt16(2 * i, v, true));              // eventType 1 (polarity), source 0
 * [8, 4, 0, 1, 1, 1].forEach((v, i) => packet.setInt32(4 + 4 * i, v, true)); // size, TS offset, overflow, capacity, number, valid
 * packet.setUint32(28, (5 << 17) | (9 << 2) | (1 << 1) | 1, true);         // x 5, y 9, ON, valid
 * packet.setInt32(32, 1234, true);                                         // t 1234 µs
 * const bytes = new Uint8Array(header.length + 36);
 * bytes.set(header);
 * bytes.set(new Uint8Array(packet.buffer), header.length);
 * const events = snn.data.parseAedat3(bytes, {file: 'user01_led.aedat'});
 * console.log(events.x, events.y, events.t, events.p);   // [5] [9] [1234] [1]
 * ```
 */
export function parseAedat3(bytes: Uint8Array, options?: ParseEventsOptions): Events {
  const fn = 'parseAedat3';
  const file = fileOption(fn, options);
  if (!(bytes instanceof Uint8Array)) throw new Error(`${fn}: expected the file's bytes as a Uint8Array; got ${typeof bytes}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = skipHeader(fn, file, bytes);
  const packets: Events[] = [];
  let total = 0;
  let previous = -Infinity;
  while (at < bytes.length) {
    if (bytes.length - at < PACKET_HEADER_BYTES) {
      throw formatError(fn, file, at, `truncated packet header: ${bytes.length - at} bytes left of ${PACKET_HEADER_BYTES}`);
    }
    const type = view.getInt16(at, true);
    const size = view.getInt32(at + 4, true);
    const overflow = view.getInt32(at + 12, true);
    const capacity = view.getInt32(at + 16, true);
    const number = view.getInt32(at + 20, true);
    if (size <= 0 || capacity < 0 || number < 0 || number > capacity || overflow < 0) {
      throw formatError(
        fn,
        file,
        at,
        `bad packet header: eventSize ${size}, eventCapacity ${capacity}, eventNumber ${number}, eventTSOverflow ` +
          `${overflow}; expected eventSize > 0, 0 ≤ eventNumber ≤ eventCapacity, eventTSOverflow ≥ 0`
      );
    }
    const body = at + PACKET_HEADER_BYTES;
    const end = body + size * capacity;
    if (end > bytes.length) {
      const whole = Math.floor((bytes.length - body) / size);
      throw formatError(
        fn,
        file,
        body + whole * size,
        `truncated event ${whole} of a packet of ${capacity} ${size}-byte events (packet at byte ${at}; the file ` +
          `ends at byte ${bytes.length})`
      );
    }
    if (type === POLARITY_EVENT) {
      if (size !== POLARITY_EVENT_BYTES) {
        throw formatError(fn, file, at + 4, `polarity packet with eventSize ${size}; expected ${POLARITY_EVENT_BYTES}`);
      }
      const events = allocateEvents(number);
      let count = 0;
      for (let i = 0; i < number; i++) {
        const e = body + i * POLARITY_EVENT_BYTES;
        const data = view.getUint32(e, true);
        if ((data & 1) === 0) continue;
        const t = overflow * 2 ** 31 + view.getInt32(e + 4, true);
        if (t < previous) {
          throw formatError(fn, file, e + 4, `timestamp ${t} µs is before the previous event's ${previous} µs; expected events in time order`);
        }
        previous = t;
        events.x[count] = (data >>> 17) & 0x7fff;
        events.y[count] = (data >>> 2) & 0x7fff;
        events.p[count] = (data >>> 1) & 1;
        events.t[count] = t;
        count++;
      }
      packets.push(count === number ? events : truncateEvents(events, count));
      total += count;
    }
    at = end;
  }
  const all = allocateEvents(total);
  let offset = 0;
  for (const part of packets) {
    all.x.set(part.x, offset);
    all.y.set(part.y, offset);
    all.t.set(part.t, offset);
    all.p.set(part.p, offset);
    offset += part.t.length;
  }
  return all;
}

/** One labelled window of a DVS Gesture recording: class index (0-based) and [start, end) in µs. */
export interface GestureLabel {
  label: number;
  start: number;
  end: number;
}

/**
 * Parses a DVS Gesture label CSV (`class,startTime_usec,endTime_usec`, then one line per gesture, classes 1–11)
 * into 0-based labels and their [start, end) windows; `file` names it in errors.
 *
 * @example
 * ```js
 * const labels = snn.data.parseGestureLabels('class,startTime_usec,endTime_usec\n1,80048239,85092709\n2,89431170,95231007\n');
 * console.log(labels[1]);   // {label: 1, start: 89431170, end: 95231007}
 * ```
 */
export function parseGestureLabels(csv: string, file?: string): GestureLabel[] {
  const fn = 'parseGestureLabels';
  if (typeof csv !== 'string') throw new Error(`${fn}: expected the CSV's text; got ${typeof csv}`);
  const where = (line: number) => `${fn}: ${file == null ? '' : `'${file}' `}line ${line}`;
  const lines = csv.split(/\r?\n/);
  const head = lines[0].trim().replace(/^\uFEFF/, '');
  if (head !== 'class,startTime_usec,endTime_usec') {
    throw new Error(`${where(1)}: expected the header 'class,startTime_usec,endTime_usec'; found ${JSON.stringify(head)}`);
  }
  const labels: GestureLabel[] = [];
  lines.slice(1).forEach((text, i) => {
    if (text.trim() === '') return;
    const cells = text.split(',').map(c => c.trim());
    const [label, start, end] = cells.map(Number);
    const ok =
      cells.length === 3 &&
      cells.every(c => /^\d+$/.test(c)) &&
      label >= 1 &&
      label <= DVS_GESTURE_CLASSES.length &&
      start < end;
    if (!ok) {
      throw new Error(
        `${where(i + 2)}: ${JSON.stringify(text)}; expected class (1–${DVS_GESTURE_CLASSES.length}),` +
          `startTime_usec,endTime_usec as integers with start < end`
      );
    }
    labels.push({label: label - 1, start, end});
  });
  return labels;
}


const TRIAL_LISTS: Record<Split, string> = {train: 'trials_to_train.txt', test: 'trials_to_test.txt'};

/**
 * Loads one split of DVS128 Gesture as unpacked from `DvsGesture.tar.gz` (Node only): the recordings named in
 * `trials_to_train.txt` / `trials_to_test.txt` (`userNN_<lighting>.aedat`), each cut into one sample per line of
 * its `userNN_<lighting>_labels.csv` — the events with start ≤ t < end, timestamps kept as recorded. Sensor
 * 128 × 128 × 2, 11 classes. Download: docs/events.md.
 *
 * @example
 * ```js
 * const fs = await import('fs');
 * const header = new TextEncoder().encode('#!AER-DAT3.1\r\n#!END-HEADER\r\n');
 * const packet = new DataView(new ArrayBuffer(28 + 8));
 * packet.setInt16(0, 1, true);
 * [8, 4, 0, 1, 1, 1].forEach((v, i) => packet.setInt32(4 + 4 * i, v, true));
 * packet.setUint32(28, (5 << 17) | (9 << 2) | 3, true);
 * packet.setInt32(32, 150, true);
 * fs.mkdirSync('gesture', {recursive: true});
 * fs.writeFileSync('gesture/user01_led.aedat', Buffer.concat([header, new Uint8Array(packet.buffer)]));
 * fs.writeFileSync('gesture/user01_led_labels.csv', 'class,startTime_usec,endTime_usec\n3,100,200\n');
 * fs.writeFileSync('gesture/trials_to_train.txt', 'user01_led.aedat\n');
 * const train = await snn.data.loadDvsGesture('gesture', {split: 'train'});
 * console.log(train.samples.length, Array.from(train.labels), train.classes[2]);   // 1 [2] left_hand_wave
 * ```
 */
export async function loadDvsGesture(dir: string, options?: EventDatasetOptions): Promise<EventDataset> {
  const fn = 'loadDvsGesture';
  const opts = optionsObject(fn, options);
  const unknown = Object.keys(opts).find(key => key !== 'split' && key !== 'limit');
  if (unknown != null) throw new Error(`${fn}: unknown option '${unknown}'; expected split, limit`);
  const split = oneOf(fn, 'split', opts.split ?? 'train', ['train', 'test'] as const);
  const limit = opts.limit == null ? Infinity : integerOption(fn, 'limit', opts.limit, 1);
  const [listPath] = await joinAll(dir, [TRIAL_LISTS[split]], fn);
  const trials = (await readTextFile(listPath, fn))
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line !== '');
  const samples: Events[] = [];
  const labels: number[] = [];
  for (const trial of trials) {
    if (samples.length >= limit) break;
    if (!trial.endsWith('.aedat')) {
      throw new Error(`${fn}: '${listPath}' names ${JSON.stringify(trial)}; expected file names ending in .aedat`);
    }
    const [aedatPath, csvPath] = await joinAll(dir, [trial, trial.replace(/\.aedat$/, '_labels.csv')], fn);
    const windows = parseGestureLabels(await readTextFile(csvPath, fn), csvPath);
    const events = parseAedat3(await readFileBytes(aedatPath, fn), {file: aedatPath});
    for (const window of windows) {
      if (samples.length >= limit) break;
      const piece = sliceEvents(events, searchLeft(events.t, window.start), searchLeft(events.t, window.end));
      samples.push(truncateEvents(piece, piece.t.length));
      labels.push(window.label);
    }
  }
  return {
    samples,
    labels: Int32Array.from(labels),
    sensorSize: [...DVS_GESTURE_SENSOR_SIZE] as SensorSize,
    classes: [...DVS_GESTURE_CLASSES],
  };
}
