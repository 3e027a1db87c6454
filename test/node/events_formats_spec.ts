// The event-file readers (N-MNIST, AEDAT 3.1 + DVS Gesture, .npy): hand-made bytes, the committed fixtures against
// the numpy reference's decoding, the dataset folders, and the errors for corrupt files (file and byte offset).
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {loadDvsGesture, parseAedat3, parseGestureLabels} from '../../src/data/events/aedat';
import {loadNmnist, parseNmnist, readNmnist} from '../../src/data/events/nmnist';
import {parseNpyEvents} from '../../src/data/events/npy';
import {errorOf, FIXTURES, fixtureBytes, golden, plain, rejectionOf} from './events_helpers';

/** One N-MNIST event, written from the format: x, y, polarity bit 7 of byte 2, 23-bit big-endian timestamp. */
function nmnistEvent(x: number, y: number, p: number, t: number): number[] {
  return [x, y, (p << 7) | (t >> 16), (t >> 8) & 0xff, t & 0xff];
}

const AEDAT_HEADER = '#!AER-DAT3.1\r\n#!END-HEADER\r\n';

/** An AEDAT 3.1 packet: the 28-byte little-endian header and `events` 8-byte polarity events. */
function aedatPacket(
  events: Array<[number, number, number, number, number?]>,
  {type = 1, overflow = 0, capacity = events.length, size = 8} = {}
): Uint8Array {
  const bytes = new Uint8Array(28 + capacity * size);
  const view = new DataView(bytes.buffer);
  view.setInt16(0, type, true);
  [size, 4, overflow, capacity, events.length, events.length].forEach((v, i) => view.setInt32(4 + 4 * i, v, true));
  events.forEach(([x, y, p, t, valid = 1], i) => {
    view.setUint32(28 + i * size, ((x << 17) | (y << 2) | (p << 1) | valid) >>> 0, true);
    view.setInt32(32 + i * size, t, true);
  });
  return bytes;
}

function concat(...parts: Array<Uint8Array | string>): Uint8Array {
  const arrays = parts.map(p => (typeof p === 'string' ? new TextEncoder().encode(p) : p));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

describe('event files: N-MNIST', () => {
  it('decodes x, y, polarity and the 23-bit timestamp of hand-written events', () => {
    const bytes = Uint8Array.from([
      ...nmnistEvent(0, 33, 1, 0),
      ...nmnistEvent(33, 0, 0, 0x7fffff - 1),
      ...nmnistEvent(17, 5, 1, 0x7fffff),
    ]);
    expect(plain(parseNmnist(bytes))).toEqual({x: [0, 33, 17], y: [33, 0, 5], t: [0, 8388606, 8388607], p: [1, 0, 1]});
  });

  it('drops overflow markers (y 240) and adds 2^23 µs to every later timestamp', () => {
    const bytes = Uint8Array.from([
      ...nmnistEvent(1, 2, 1, 8388600),
      ...nmnistEvent(0, 240, 0, 0),
      ...nmnistEvent(3, 4, 0, 10),
      ...nmnistEvent(0, 240, 0, 0),
      ...nmnistEvent(5, 6, 1, 0),
    ]);
    expect(plain(parseNmnist(bytes))).toEqual({
      x: [1, 3, 5],
      y: [2, 4, 6],
      t: [8388600, 8388618, 16777216],
      p: [1, 0, 1],
    });
  });

  for (const name of ['nmnist.bin', 'nmnist_overflow.bin']) {
    it(`decodes ${name} as the numpy reference does`, async () => {
      expect(plain(parseNmnist(fixtureBytes(name)))).toEqual(golden()[name].events);
      expect(plain(await readNmnist(path.join(FIXTURES, name)))).toEqual(golden()[name].events);
    });
  }

  it('names the file and byte offset of a truncated event', () => {
    const bytes = Uint8Array.from([...nmnistEvent(1, 2, 1, 5), 7, 8]);
    expect(errorOf(() => parseNmnist(bytes, {file: 'a.bin'}))).toBe(
      "parseNmnist: 'a.bin' at byte 5: truncated event: 2 bytes left of a 5-byte event (file of 7 bytes; expected a " +
        'multiple of 5)'
    );
  });

  it('names the byte offset of a timestamp that goes backwards', () => {
    const bytes = Uint8Array.from([...nmnistEvent(1, 2, 1, 500), ...nmnistEvent(1, 2, 1, 499)]);
    expect(errorOf(() => parseNmnist(bytes))).toBe(
      "parseNmnist: at byte 5: timestamp 499 µs is before the previous event's 500 µs; N-MNIST events are in time order"
    );
  });

  describe('loadNmnist', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snn-nmnist-'));
      for (const split of ['Train', 'Test']) {
        for (let digit = 0; digit < 10; digit++) {
          fs.mkdirSync(path.join(dir, split, String(digit)), {recursive: true});
          const files = split === 'Train' ? (digit < 3 ? 3 : 1) : 1;
          for (let k = 0; k < files; k++) {
            const bytes = Uint8Array.from(nmnistEvent(digit, k, 1, 100 * k));
            fs.writeFileSync(path.join(dir, split, String(digit), `${String(k + 1).padStart(5, '0')}.bin`), bytes);
          }
        }
      }
    });
    afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

    it('reads Train/<digit>/*.bin with digit labels, class by class in turn', async () => {
      const all = await loadNmnist(dir, {split: 'train'});
      expect(all.samples.length).toBe(16);
      expect(Array.from(all.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 0, 1, 2]);
      expect(all.samples.map(s => [s.x[0], s.y[0]])).toEqual(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 0, 1, 2].map((d, i) => [d, i < 10 ? 0 : i < 13 ? 1 : 2])
      );
      expect(all.sensorSize).toEqual([34, 34, 2]);
      expect(all.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      const some = await loadNmnist(dir, {split: 'train', limit: 12});
      expect(Array.from(some.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      expect((await loadNmnist(dir, {split: 'test'})).samples.length).toBe(10);
    });

    it('rejects a missing folder and bad options', async () => {
      expect(await rejectionOf(loadNmnist(path.join(dir, 'nope')))).toBe(
        `loadNmnist: the folder '${path.join(dir, 'nope', 'Train', '0')}' does not exist`
      );
      expect(await rejectionOf(loadNmnist(dir, {split: 'val' as 'test'}))).toBe(
        "loadNmnist: option 'split' must be one of 'train', 'test'; got 'val'"
      );
      expect(await rejectionOf(loadNmnist(dir, {limit: 0}))).toBe(
        "loadNmnist: option 'limit' must be a positive integer; got 0"
      );
    });
  });
});

describe('event files: AEDAT 3.1 and DVS Gesture', () => {
  it('decodes hand-written polarity packets: valid bit, polarity, x, y, overflow, other packet types skipped', () => {
    const bytes = concat(
      '#!AER-DAT3.1\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n',
      aedatPacket([
        [127, 0, 1, 10],
        [5, 9, 0, 20, 0],
        [0, 127, 0, 30],
      ]),
      aedatPacket([[1, 1, 1, 0]], {type: 0}),
      aedatPacket([[64, 32, 1, 5]], {overflow: 2, capacity: 3})
    );
    expect(plain(parseAedat3(bytes))).toEqual({
      x: [127, 0, 64],
      y: [0, 127, 32],
      t: [10, 30, 2 * 2 ** 31 + 5],
      p: [1, 0, 1],
    });
  });

  it('decodes the fixture recording as the numpy reference does', () => {
    expect(plain(parseAedat3(fixtureBytes('gesture/user01_led.aedat')))).toEqual(
      golden()['gesture/user01_led.aedat'].events
    );
  });

  it('loads the fixture folder: one sample per label line, start ≤ t < end', async () => {
    const train = await loadDvsGesture(path.join(FIXTURES, 'gesture'), {split: 'train'});
    const windows = golden()['gesture/labels'] as unknown as Array<{label: number; count: number}>;
    expect(Array.from(train.labels)).toEqual(windows.map(w => w.label));
    expect(train.samples.map(s => s.t.length)).toEqual(windows.map(w => w.count));
    expect(plain(train.samples[0])).toEqual(golden()['gesture/user01_led.aedat#0'].events);
    expect(train.sensorSize).toEqual([128, 128, 2]);
    expect(train.classes.length).toBe(11);
    expect((await loadDvsGesture(path.join(FIXTURES, 'gesture'), {split: 'train', limit: 2})).samples.length).toBe(2);
    expect((await loadDvsGesture(path.join(FIXTURES, 'gesture'), {split: 'test'})).samples.length).toBe(0);
  });

  it('parses label CSVs and names the bad line', () => {
    expect(parseGestureLabels('class,startTime_usec,endTime_usec\r\n11,5,9\r\n')).toEqual([
      {label: 10, start: 5, end: 9},
    ]);
    expect(errorOf(() => parseGestureLabels('class,startTime_usec,endTime_usec\n12,5,9\n', 'l.csv'))).toBe(
      'parseGestureLabels: \'l.csv\' line 2: "12,5,9"; expected class (1–11),startTime_usec,endTime_usec as integers ' +
        'with start < end'
    );
    expect(errorOf(() => parseGestureLabels('label,start,end\n'))).toBe(
      'parseGestureLabels: line 1: expected the header \'class,startTime_usec,endTime_usec\'; found "label,start,end"'
    );
  });

  it('names the file and byte offset of a bad header, a truncated packet or event, a bad event size, unsorted time', () => {
    const packet = aedatPacket([
      [1, 2, 1, 50],
      [3, 4, 0, 60],
    ]);
    const header = AEDAT_HEADER.length;
    const cases: Array<[Uint8Array, string]> = [
      [
        concat('#!AER-DAT2.0\r\n', packet),
        `'u.aedat' at byte 0: bad header: the first line is "#!AER-DAT2.0"; expected '#!AER-DAT3.1' (AEDAT 3.1)`,
      ],
      [concat('#!AER-DAT3.1\r\n#x\r\n'), `'u.aedat' at byte 18: bad header: no '#!END-HEADER' line before the data`],
      [concat('hello'), `'u.aedat' at byte 0: bad header: expected '#!AER-DAT3.1', found "hello"`],
      [
        concat(AEDAT_HEADER, packet.subarray(0, 20)),
        `'u.aedat' at byte ${header}: truncated packet header: 20 bytes left of 28`,
      ],
      [
        concat(AEDAT_HEADER, packet.subarray(0, 28 + 12)),
        `'u.aedat' at byte ${header + 36}: truncated event 1 of a packet of 2 8-byte events (packet at byte ${header}; ` +
          `the file ends at byte ${header + 40})`,
      ],
      [
        concat(AEDAT_HEADER, aedatPacket([[1, 1, 1, 1]], {size: 12})),
        `'u.aedat' at byte ${header + 4}: polarity packet with eventSize 12; expected 8`,
      ],
      [
        concat(
          AEDAT_HEADER,
          aedatPacket([
            [1, 1, 1, 9],
            [1, 1, 1, 8],
          ])
        ),
        `'u.aedat' at byte ${header + 40}: timestamp 8 µs is before the previous event's 9 µs; expected events in time order`,
      ],
    ];
    for (const [bytes, message] of cases) {
      expect(errorOf(() => parseAedat3(bytes, {file: 'u.aedat'}))).toBe(`parseAedat3: ${message}`);
    }
  });

  it('rejects a folder without the trial list or a recording named in it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snn-gesture-'));
    try {
      expect(await rejectionOf(loadDvsGesture(dir))).toBe(
        `loadDvsGesture: the file '${path.join(dir, 'trials_to_train.txt')}' does not exist`
      );
      fs.writeFileSync(path.join(dir, 'trials_to_train.txt'), 'user02_led.aedat\n');
      expect(await rejectionOf(loadDvsGesture(dir))).toBe(
        `loadDvsGesture: the file '${path.join(dir, 'user02_led_labels.csv')}' does not exist`
      );
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });
});

/** A .npy file written from the format (NEP 1): magic, version 1.0, header length, dict padded to 64 bytes. */
function npyBytes(descr: string, count: number, records: Uint8Array, shape = `(${count},)`): Uint8Array {
  const dict = `{'descr': ${descr}, 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 10 - 1) + '\n';
  const prefix = new Uint8Array(10);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  return concat(prefix, header, records);
}

describe('event files: .npy structured arrays', () => {
  for (const name of ['events_le.npy', 'events_be.npy']) {
    it(`decodes ${name} (numpy's np.save) as the numpy reference does`, () => {
      expect(plain(parseNpyEvents(fixtureBytes(name)))).toEqual(golden()[name].events);
    });
  }

  it('reads uint8 x/y, float64 t, int8 p with -1 for OFF, skipping other fields and padding', () => {
    const records = new Uint8Array(2 * 14);
    const view = new DataView(records.buffer);
    [
      [200, 3, 1.5, -1],
      [7, 255, 2.5, 1],
    ].forEach(([x, y, t, p], i) => {
      view.setUint8(i * 14, x);
      view.setUint8(i * 14 + 1, y);
      view.setFloat64(i * 14 + 2, t, true);
      view.setInt8(i * 14 + 10, p);
    });
    const descr = "[('x', '|u1'), ('y', '|u1'), ('t', '<f8'), ('p', '|i1'), ('', '|V1'), ('q', '<i2')]";
    expect(plain(parseNpyEvents(npyBytes(descr, 2, records)))).toEqual({
      x: [200, 7],
      y: [3, 255],
      t: [1.5, 2.5],
      p: [0, 1],
    });
  });

  it('reads 8-byte integers of either byte order exactly below 2^53', () => {
    const records = new Uint8Array(2 * 25);
    const view = new DataView(records.buffer);
    [
      [1, 2 ** 40 + 5],
      [2, 2 ** 52 + 3],
    ].forEach(([x, t], i) => {
      view.setUint32(i * 25, x, true); // '<u8' x: low word first
      view.setUint32(i * 25 + 8, 0, false); // '>i8' y = 0
      view.setUint32(i * 25 + 12, 0, false);
      view.setUint32(i * 25 + 16, Math.floor(t / 2 ** 32), false); // '>i8' t: high word first
      view.setUint32(i * 25 + 20, t % 2 ** 32, false);
      view.setUint8(i * 25 + 24, 1);
    });
    const descr = "[('x', '<u8'), ('y', '>i8'), ('t', '>i8'), ('p', '?')]";
    expect(plain(parseNpyEvents(npyBytes(descr, 2, records)))).toEqual({
      x: [1, 2],
      y: [0, 0],
      t: [2 ** 40 + 5, 2 ** 52 + 3],
      p: [1, 1],
    });
    view.setInt32(25 + 8, -1, false); // y = -2^32 + 0: negative
    expect(errorOf(() => parseNpyEvents(npyBytes(descr, 2, records), {file: 'n.npy'}))).toBe(
      "parseNpyEvents: 'n.npy' at byte 153: record 1 has x 2, y -4294967296; expected coordinates ≥ 0"
    );
  });

  it('names the file and byte offset of a bad magic, a bad header, wrong field names, a truncated record, unsorted t', () => {
    const descr = "[('x', '<i2'), ('y', '<i2'), ('t', '<i8'), ('p', '|b1')]";
    const records = new Uint8Array(2 * 13);
    const view = new DataView(records.buffer);
    view.setBigInt64(2 * 2, BigInt(10), true);
    view.setBigInt64(13 + 4, BigInt(5), true);
    const good = npyBytes(descr, 2, records);
    const wrongNames = "[('x', '<i2'), ('y', '<i2'), ('ts', '<i8'), ('pol', '|b1')]";
    const cases: Array<[Uint8Array, string]> = [
      [
        concat('NUMPY!'),
        `'e.npy' at byte 0: not a .npy file: expected the magic \\x93NUMPY (93 4e 55 4d 50 59), found 4e 55 4d 50 59 21`,
      ],
      [
        npyBytes(wrongNames, 2, records),
        `'e.npy' at byte 10: bad .npy header "{'descr': ${wrongNames}, 'fortran_order': False, 'shape': (2,), }": ` +
          "missing fields 't', 'p'; found 'x', 'y', 'ts', 'pol'; expected fields x, y, t, p",
      ],
      [
        npyBytes(descr, 2, records, '(2, 3)'),
        `'e.npy' at byte 10: bad .npy header "{'descr': ${descr}, 'fortran_order': False, 'shape': (2, 3), }": ` +
          "expected a 1-D 'shape' such as (1000,)",
      ],
      [
        npyBytes("'<i8'", 2, records),
        `'e.npy' at byte 10: bad .npy header "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }": ` +
          "expected a structured 'descr' (a list of (name, type) fields)",
      ],
      [
        good.subarray(0, good.length - 3),
        `'e.npy' at byte 141: truncated record 1: the header's shape (2,) of 13-byte records needs 154 bytes, the file has 151`,
      ],
      [good, `'e.npy' at byte 145: record 1 has t 5, before the previous record's 10; expected events sorted by t`],
    ];
    for (const [bytes, message] of cases) {
      expect(errorOf(() => parseNpyEvents(bytes, {file: 'e.npy'}))).toBe(`parseNpyEvents: ${message}`);
    }
  });
});

describe('event readers and tensors', () => {
  it('make no tensors, on success and on error', () => {
    const before = tf.memory().numTensors;
    parseNmnist(fixtureBytes('nmnist.bin'));
    parseAedat3(fixtureBytes('gesture/user01_led.aedat'));
    parseNpyEvents(fixtureBytes('events_le.npy'));
    errorOf(() => parseNmnist(new Uint8Array(3)));
    expect(tf.memory().numTensors).toBe(before);
  });
});
