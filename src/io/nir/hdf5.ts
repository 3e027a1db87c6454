/**
 * HDF5 files as plain trees, through h5wasm (HDF5's C library compiled to wasm): the only module that loads it,
 * lazily, `h5wasm/node` in Node.js (which reaches the host's files; bytes go through a temporary file) and
 * `h5wasm` (ESM, an in-memory file system) in browsers.
 */
import {describeValue} from '../../errors';
import {importBuiltin, isNode} from '../../node_builtins';

/** A dataset as read or to be written: numbers (row-major) or strings, with its shape (`[]` for a scalar). */
export interface H5Dataset {
  kind: 'dataset';
  shape: number[];
  /** HDF5's type as h5wasm names it: `'<f'` float32, `'<d'` float64, `'<q'` int64, `'S'` strings, … */
  dtype: string;
  /** Numbers (int64 converted exactly where below 2^53) or strings. */
  values: number[] | string[];
}

/** A group: its members by name. */
export interface H5Group {
  kind: 'group';
  members: {[name: string]: H5Group | H5Dataset};
}

interface H5Entity {
  keys?(): string[];
  get?(name: string): H5Entity | null;
  shape?: number[] | null;
  dtype?: unknown;
  value?: unknown;
  type?: string;
}
interface H5File extends H5Entity {
  close(): void;
  create_group(name: string): H5Writable;
  create_dataset(args: {name: string; data: unknown; shape?: number[]; dtype?: string}): unknown;
}
interface H5Writable {
  create_group(name: string): H5Writable;
  create_dataset(args: {name: string; data: unknown; shape?: number[]; dtype?: string}): unknown;
}
interface H5Module {
  File: new (path: string, mode: string) => H5File;
  ready: Promise<{FS: MemFs}>;
}
interface NodeFs {
  writeFile(path: string, data: Uint8Array): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  rm(path: string, options: {force: boolean}): Promise<void>;
}
interface BigIntArrays {
  BigInt64Array: {from(values: number[], map: (v: number) => unknown): ArrayBufferView};
  BigInt: (v: number) => unknown;
}
/** ES2020's BigInt64Array and BigInt (the package's lib is ES2019). */
const bigInts = globalThis as unknown as BigIntArrays;

interface MemFs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
}

let modulePromise: Promise<H5Module> | null = null;

/** h5wasm, loaded once. */
async function h5wasm(): Promise<H5Module> {
  if (modulePromise == null) {
    modulePromise = (async () => {
      // Node: tsc (module ES2015) rejects import() and its CommonJS build would turn it into require() of an ES
      // module, so the import goes through Function. Browsers: a plain import() that bundlers resolve.
      const imported = isNode()
        ? await (new Function('s', 'return import(s)') as (s: string) => Promise<{default: H5Module}>)('h5wasm/node')
        : // eslint-disable-next-line @typescript-eslint/ban-ts-comment
          // @ts-ignore TS1323 under module ES2015: bundlers (esbuild, rollup) handle the dynamic import
          ((await import('h5wasm')) as {default: H5Module});
      const module = imported.default;
      await module.ready;
      return module;
    })();
    modulePromise.catch(() => (modulePromise = null));
  }
  return modulePromise;
}

let fileCounter = 0;

/** Runs `use` on the HDF5 file at a scratch path holding `bytes` (or empty when null), then removes the file. */
async function withScratchFile<T>(
  bytes: Uint8Array | null,
  use: (path: string, readBack: () => Promise<Uint8Array>) => T | Promise<T>
): Promise<T> {
  const module = await h5wasm();
  const name = `tfjs-snn-nir-${Date.now()}-${fileCounter++}.h5`;
  if (isNode()) {
    const fs = await importBuiltin<NodeFs>('node:fs/promises');
    const os = await importBuiltin<{tmpdir(): string}>('node:os');
    const path = await importBuiltin<{join(...parts: string[]): string}>('node:path');
    const file = path.join(os.tmpdir(), name);
    if (bytes != null) await fs.writeFile(file, bytes);
    try {
      return await use(file, async () => new Uint8Array(await fs.readFile(file)));
    } finally {
      await fs.rm(file, {force: true});
    }
  }
  const {FS} = await module.ready;
  if (bytes != null) FS.writeFile(name, bytes);
  try {
    return await use(name, async () => FS.readFile(name).slice());
  } finally {
    try {
      FS.unlink(name);
    } catch {
      // never created
    }
  }
}

/** The 8-byte HDF5 signature at offset 0 (the superblock of a file written by h5py or h5wasm). */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when `bytes` start with HDF5's signature. */
export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

function flatValues(value: unknown, where: string): number[] | string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number') return [value];
  if (typeof value === 'bigint') return [bigintNumber(value, where)];
  if (ArrayBuffer.isView(value)) {
    const items = Array.from(value as unknown as ArrayLike<number | bigint>);
    return items.map(v => (typeof v === 'bigint' ? bigintNumber(v, where) : v));
  }
  if (Array.isArray(value)) {
    const flat = value.flat(Infinity) as unknown[];
    if (flat.every(v => typeof v === 'string')) return flat as string[];
    if (flat.every(v => typeof v === 'number')) return flat as number[];
  }
  throw new Error(`${where}: a value of an unsupported HDF5 type (${describeValue(value)})`);
}

function bigintNumber(v: bigint, where: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${where}: integer ${v} is beyond 2^53`);
  return n;
}

/**
 * Reads an HDF5 file into a tree of groups and datasets. `name` names the file in errors (a path, a URL, 'bytes').
 */
export async function readHdf5(bytes: Uint8Array, name: string): Promise<H5Group> {
  if (!isHdf5(bytes)) {
    const head = Array.from(bytes.slice(0, 8), b => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(
      `${name}: not an HDF5 file (its first bytes are ${head || 'none'}, not HDF5's signature 89 48 44 46 0d 0a 1a 0a)`
    );
  }
  const module = await h5wasm();
  return withScratchFile(bytes, path => {
    let file: H5File;
    try {
      file = new module.File(path, 'r');
    } catch (e) {
      throw new Error(`${name}: HDF5 cannot open it: ${(e as Error).message}`, {cause: e});
    }
    try {
      const walk = (entity: H5Entity, where: string): H5Group => {
        const members: H5Group['members'] = {};
        for (const key of entity.keys!()) {
          const child = entity.get!(key);
          const at = `${where}/${key}`;
          if (child?.type === 'Group') {
            members[key] = walk(child, at);
          } else if (child?.type === 'Dataset') {
            members[key] = {
              kind: 'dataset',
              shape: (child.shape ?? []).slice(),
              dtype: typeof child.dtype === 'string' ? child.dtype : JSON.stringify(child.dtype),
              values: flatValues(child.value, `${name}: dataset '${at}'`),
            };
          }
        }
        return {kind: 'group', members};
      };
      return walk(file, '');
    } finally {
      file.close();
    }
  });
}

/** Writes a tree of groups and datasets as an HDF5 file's bytes. */
export async function writeHdf5(root: H5Group): Promise<Uint8Array> {
  const module = await h5wasm();
  return withScratchFile(null, async (path, readBack) => {
    const file = new module.File(path, 'w');
    try {
      const write = (target: H5Writable, group: H5Group): void => {
        for (const [key, member] of Object.entries(group.members)) {
          if (member.kind === 'group') {
            write(target.create_group(key), member);
          } else if (member.dtype === 'S') {
            const data = member.shape.length === 0 ? member.values[0] : member.values;
            target.create_dataset({name: key, data, shape: member.shape.length === 0 ? undefined : member.shape});
          } else {
            const numbers = member.values as number[];
            const data =
              member.dtype === '<q'
                ? bigInts.BigInt64Array.from(numbers, v => bigInts.BigInt(v))
                : member.dtype === '<d'
                  ? Float64Array.from(numbers)
                  : Float32Array.from(numbers);
            target.create_dataset({name: key, data, shape: member.shape, dtype: member.dtype});
          }
        }
      };
      write(file, root);
    } finally {
      file.close();
    }
    return readBack();
  });
}
