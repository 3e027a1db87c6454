/**
 * Byte sources for the dataset readers: gzip detection and decompression (everywhere), and
 * file reading (Node only). Node built-ins are loaded on first use, never imported, so the
 * browser bundles build and load without them (src/node_builtins.ts).
 */
import {errorCode, withCause} from '../errors';
import {importBuiltin, isNode} from '../node_builtins';

// The few Node built-ins used here, declared locally so that the package's types never
// depend on @types/node.
interface NodeFs {
  readFile(path: string): Promise<Uint8Array>;
  stat(path: string): Promise<{isFile(): boolean, size: number}>;
  readdir(path: string): Promise<string[]>;
}
interface NodePath {
  join(...paths: string[]): string;
}
interface NodeZlib {
  gunzipSync(bytes: Uint8Array): Uint8Array;
}

/** Whether the bytes start with the gzip magic bytes 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data: with node:zlib in Node, with `DecompressionStream('gzip')` in browsers
 * that have it (Chrome 80+, Firefox 113+, Safari 16.4+). `name` labels errors.
 */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    if (isNode()) {
      const zlib = await importBuiltin<NodeZlib>('node:zlib');
      const inflated = zlib.gunzipSync(bytes);
      return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
    }
    return await gunzipWithStreams(bytes);
  } catch (e) {
    throw withCause(`'${name}': cannot decompress the gzip data`, e);
  }
}

async function gunzipWithStreams(bytes: Uint8Array): Promise<Uint8Array> {
  const Decompression = (globalThis as {DecompressionStream?: new (format: string) => unknown})
                            .DecompressionStream;
  if (Decompression == null) {
    throw new Error('this environment has no DecompressionStream; pass the decompressed bytes');
  }
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
      new Decompression('gzip') as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Reads a whole file (Node only); `fn` names the public function for the error outside Node. */
export async function readFileBytes(path: string, fn: string): Promise<Uint8Array> {
  const fs = await nodeFs(fn);
  try {
    const bytes = await fs.readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') throw new Error(`${fn}: the file '${path}' does not exist`, {cause: e});
    throw withCause(`${fn}: cannot read '${path}'`, e);
  }
}

/** Reads a file and inflates it when it starts with the gzip magic bytes 1f 8b. */
export async function readMaybeGzipped(path: string, fn: string): Promise<Uint8Array> {
  const bytes = await readFileBytes(path, fn);
  return isGzip(bytes) ? gunzip(bytes, path) : bytes;
}

/** The first of `names` that is a regular file in `dir`, as a full path; null when none is. */
export async function findFile(dir: string, names: readonly string[], fn: string): Promise<string | null> {
  for (const path of await joinAll(dir, names, fn)) {
    if (await isFile(path, fn)) return path;
  }
  return null;
}

export async function joinAll(dir: string, names: readonly string[], fn: string): Promise<string[]> {
  const path = await nodeBuiltin<NodePath>('node:path', fn);
  return names.map(name => path.join(dir, name));
}

export async function isFile(path: string, fn: string): Promise<boolean> {
  const fs = await nodeFs(fn);
  try {
    return (await fs.stat(path)).isFile();
  } catch (e) {
    if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return false;
    throw withCause(`${fn}: cannot inspect '${path}'`, e);
  }
}

/** The names in a folder (Node only), sorted by UTF-16 code units so that every machine lists them alike. */
export async function listDirectory(dir: string, fn: string): Promise<string[]> {
  const fs = await nodeFs(fn);
  try {
    return (await fs.readdir(dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (e) {
    if (errorCode(e) === 'ENOENT') throw new Error(`${fn}: the folder '${dir}' does not exist`, {cause: e});
    throw withCause(`${fn}: cannot list '${dir}'`, e);
  }
}

/** Reads a whole file as UTF-8 text (Node only). */
export async function readTextFile(path: string, fn: string): Promise<string> {
  return new TextDecoder().decode(await readFileBytes(path, fn));
}

function nodeFs(fn: string): Promise<NodeFs> {
  return nodeBuiltin<NodeFs>('node:fs/promises', fn);
}

/** A Node built-in for `fn`, which reads files: in a browser, an error saying what to do instead. */
function nodeBuiltin<T>(specifier: string, fn: string): Promise<T> {
  if (!isNode()) {
    return Promise.reject(new Error(
        `${fn} reads files and works only in Node.js; in the browser fetch the bytes and parse ` +
        `them with parseIdx / parseCifar`));
  }
  return importBuiltin<T>(specifier);
}
