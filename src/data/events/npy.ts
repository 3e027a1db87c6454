/**
 * NumPy `.npy` files holding a structured array of events (fields x, y, t, p), as Tonic and many event datasets
 * save them. Format (numpy.lib.format, NEP 1): the magic `\x93NUMPY`, a major and minor version byte, the header's
 * length (uint16 little-endian in version 1, uint32 in versions 2 and 3), an ASCII (v3: UTF-8) Python dict literal
 * `{'descr': [...], 'fortran_order': False, 'shape': (n,)}`, then the records packed back to back.
 */
import {allocateEvents, Events, fileOption, formatError} from './events';
import {ParseEventsOptions} from './nmnist';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface Field {
  name: string;
  offset: number;
  size: number;
  read: ((view: DataView, at: number) => number) | null;
  kind: string;
}

const INTEGER_KINDS = new Set(['i', 'u', 'b']);

function reader(kind: string, size: number, little: boolean): Field['read'] {
  const key = `${kind}${size}`;
  switch (key) {
    case 'b1':
    case 'u1':
      return (view, at) => view.getUint8(at);
    case 'i1':
      return (view, at) => view.getInt8(at);
    case 'i2':
      return (view, at) => view.getInt16(at, little);
    case 'u2':
      return (view, at) => view.getUint16(at, little);
    case 'i4':
      return (view, at) => view.getInt32(at, little);
    case 'u4':
      return (view, at) => view.getUint32(at, little);
    case 'i8':
      return (view, at) => int64(view, at, little, true);
    case 'u8':
      return (view, at) => int64(view, at, little, false);
    case 'f4':
      return (view, at) => view.getFloat32(at, little);
    case 'f8':
      return (view, at) => view.getFloat64(at, little);
    default:
      return null;
  }
}

/** An 8-byte integer as a number: exact below 2^53 in magnitude (larger timestamps are rejected). */
function int64(view: DataView, at: number, little: boolean, signed: boolean): number {
  const low = view.getUint32(little ? at : at + 4, little);
  const high = signed ? view.getInt32(little ? at + 4 : at, little) : view.getUint32(little ? at + 4 : at, little);
  return high * 2 ** 32 + low;
}

/** The byte size of a numpy type string such as '<i8', '|b1', '|V4', '<U3'. */
function typeSize(kind: string, digits: number): number {
  return kind === 'U' ? 4 * digits : digits;
}

/**
 * Parses a `.npy` file holding a 1-D structured array with fields x, y, t, p (in any order, among others, which
 * are skipped): x and y signed or unsigned integers of 1–8 bytes, t integers or floats (µs), p bool or integers
 * (values ≤ 0 are OFF, 1 is ON), either byte order. Throws, naming the file and byte offset, on a bad magic number
 * or header, missing fields, a truncated record or timestamps out of order.
 *
 * @example
 * ```js
 * // what numpy writes for np.array([(3, 7, 1000, True)], dtype=[('x','<i2'),('y','<i2'),('t','<i8'),('p','?')])
 * const header = "{'descr': [('x', '<i2'), ('y', '<i2'), ('t', '<i8'), ('p', '|b1')], 'fortran_order': False, 'shape': (1,), }";
 * const padded = header.padEnd(128 - 10 - 1) + '\n';
 * const bytes = new Uint8Array(128 + 13);
 * bytes.set([0x93, 78, 85, 77, 80, 89, 1, 0, padded.length, 0]);
 * bytes.set(new TextEncoder().encode(padded), 10);
 * const view = new DataView(bytes.buffer);
 * view.setInt16(128, 3, true); view.setInt16(130, 7, true); view.setBigInt64(132, 1000n, true); bytes[140] = 1;
 * const events = snn.data.parseNpyEvents(bytes, {file: 'events.npy'});
 * console.log(events.x, events.y, events.t, events.p);   // [3] [7] [1000] [1]
 * ```
 */
export function parseNpyEvents(bytes: Uint8Array, options?: ParseEventsOptions): Events {
  const fn = 'parseNpyEvents';
  const file = fileOption(fn, options);
  if (!(bytes instanceof Uint8Array)) throw new Error(`${fn}: expected the file's bytes as a Uint8Array; got ${typeof bytes}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      const found = Array.from(bytes.subarray(0, 6), b => b.toString(16).padStart(2, '0')).join(' ');
      throw formatError(fn, file, i, `not a .npy file: expected the magic \\x93NUMPY (93 4e 55 4d 50 59), found ${found}`);
    }
  }
  const major = bytes[6];
  if (major !== 1 && major !== 2 && major !== 3) {
    throw formatError(fn, file, 6, `unsupported .npy version ${major}.${bytes[7]}; expected 1.0, 2.0 or 3.0`);
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const start = 8 + lengthBytes;
  if (bytes.length < start) throw formatError(fn, file, 8, `truncated header: the file ends before the header length`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = start + headerLength;
  if (bytes.length < dataStart) {
    throw formatError(fn, file, start, `truncated header: ${headerLength} bytes announced, ${bytes.length - start} present`);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataStart));
  const {fields, recordSize, count} = parseHeader(fn, file, start, header);
  const need = dataStart + recordSize * count;
  if (bytes.length < need) {
    const whole = Math.floor((bytes.length - dataStart) / recordSize);
    throw formatError(
      fn,
      file,
      dataStart + whole * recordSize,
      `truncated record ${whole}: the header's shape (${count},) of ${recordSize}-byte records needs ${need} bytes, ` +
        `the file has ${bytes.length}`
    );
  }
  const events = allocateEvents(count);
  const byName = new Map(fields.map(f => [f.name, f]));
  const [fx, fy, ft, fp] = ['x', 'y', 't', 'p'].map(name => byName.get(name)!);
  for (let i = 0; i < count; i++) {
    const at = dataStart + i * recordSize;
    const x = fx.read!(view, at + fx.offset);
    const y = fy.read!(view, at + fy.offset);
    const t = ft.read!(view, at + ft.offset);
    const p = fp.read!(view, at + fp.offset);
    if (x < 0 || y < 0 || x > 0x7fffffff || y > 0x7fffffff) {
      throw formatError(fn, file, at, `record ${i} has x ${x}, y ${y}; expected coordinates ≥ 0`);
    }
    if (!Number.isFinite(t) || Math.abs(t) > Number.MAX_SAFE_INTEGER) {
      throw formatError(fn, file, at + ft.offset, `record ${i} has t ${t}; expected a finite timestamp below 2^53`);
    }
    if (i > 0 && t < events.t[i - 1]) {
      throw formatError(fn, file, at + ft.offset, `record ${i} has t ${t}, before the previous record's ${events.t[i - 1]}; expected events sorted by t`);
    }
    if (p > 1) throw formatError(fn, file, at + fp.offset, `record ${i} has p ${p}; expected a polarity: bool, 0 or 1 (or -1 for OFF)`);
    events.x[i] = x;
    events.y[i] = y;
    events.t[i] = t;
    events.p[i] = p > 0 ? 1 : 0;
  }
  return events;
}

function parseHeader(fn: string, file: string | undefined, at: number, header: string) {
  const fail = (problem: string) => formatError(fn, file, at, `bad .npy header ${JSON.stringify(header.trim())}: ${problem}`);
  const descr = /'descr'\s*:\s*\[(.*)\]\s*,/.exec(header);
  if (descr == null) throw fail(`expected a structured 'descr' (a list of (name, type) fields)`);
  if (!/'fortran_order'\s*:\s*(False|True)/.test(header)) throw fail(`expected 'fortran_order'`);
  const shape = /'shape'\s*:\s*\(\s*(\d+)\s*,?\s*\)/.exec(header);
  if (shape == null) throw fail(`expected a 1-D 'shape' such as (1000,)`);
  const fields: Field[] = [];
  let offset = 0;
  const fieldPattern = /\(\s*'([^']*)'\s*,\s*'([<>|=]?)([a-zA-Z?])(\d*)'\s*\)/g;
  const body = descr[1];
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = fieldPattern.exec(body)) != null) {
    const [, name, order, rawKind, digits] = match;
    const kind = rawKind === '?' ? 'b' : rawKind;
    const size = typeSize(kind, digits === '' ? 1 : Number(digits));
    fields.push({name, offset, size, kind, read: reader(kind, size, order !== '>')});
    offset += size;
    consumed++;
  }
  if (consumed === 0 || /\(\s*'[^']*'\s*,\s*\[/.test(body) || /\(\s*'[^']*'\s*,\s*'[^']*'\s*,/.test(body)) {
    throw fail(`expected fields of scalar types such as ('x', '<i2')`);
  }
  const names = fields.map(f => f.name);
  const missing = ['x', 'y', 't', 'p'].filter(name => !names.includes(name));
  if (missing.length > 0) {
    throw fail(`missing field${missing.length > 1 ? 's' : ''} ${missing.map(m => `'${m}'`).join(', ')}; found ` +
               `${names.map(m => `'${m}'`).join(', ')}; expected fields x, y, t, p`);
  }
  for (const field of fields.filter(f => ['x', 'y', 't', 'p'].includes(f.name))) {
    const allowed = field.name === 't' ? field.read != null && field.kind !== 'b' : field.read != null && INTEGER_KINDS.has(field.kind);
    if (!allowed) {
      throw fail(`field '${field.name}' has type ${field.kind}${field.size}; expected ` +
                 (field.name === 't' ? 'integers or floats' : field.name === 'p' ? 'bool or integers' : 'integers'));
    }
  }
  return {fields, recordSize: offset, count: Number(shape[1])};
}
