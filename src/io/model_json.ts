/**
 * Reading a model.json and its weights files, wherever they come from (the file system, URLs, files
 * picked in a browser): the checks every load shares. The manifest must lie inside the model's folder
 * and cover the model's weights, each group's files must hold the bytes it lists, and a file's
 * SHA-256, where model.json records one, must match. Used by io.fileSystem, io.fromUrl and io.fromFiles.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';
import {version} from '../version';
import {buildGuarded} from './leak_guard';
import {importBuiltin, isNode} from '../node_builtins';

type WeightsGroup = tf.io.WeightsManifestConfig[number];

/**
 * A weights manifest group as tfjs-snn writes it: tfjs's `{paths, weights}` plus `sha256`, the
 * lowercase hex SHA-256 of each file in `paths`. tfjs's loaders read only `paths` and `weights`.
 */
export interface DigestedWeightsGroup extends WeightsGroup {
  sha256?: string[];
}

/** Where a model.json and its weights files are read from. */
export interface ModelFiles {
  /** The model.json as messages name it: a path, a URL or a file name. */
  jsonName: string;
  /** A weights path of the manifest as messages name it. */
  nameOf(path: string): string;
  read(path: string): Promise<ArrayBuffer>;
}

const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** How messages name what a handler made by tfjs-snn loads (e.g. "io.fileSystem('out')"). */
const sourceNames = new WeakMap<tf.io.IOHandler, string>();

export function nameSource(handler: tf.io.IOHandler, name: string): tf.io.IOHandler {
  sourceNames.set(handler, name);
  return handler;
}

export function sourceName(handler: tf.io.IOHandler): string {
  return sourceNames.get(handler) ?? 'an IOHandler';
}

// ---------------------------------------------------------------------------------------
// SHA-256

interface Subtle {
  digest(algorithm: string, data: ArrayBuffer | Uint8Array): Promise<ArrayBuffer>;
}

/**
 * The lowercase hex SHA-256 of `data`, by Web Crypto (`crypto.subtle`): browsers and Node.js
 * (`node:crypto`'s webcrypto where Node has no global `crypto`).
 */
export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = new Uint8Array(await (await subtleCrypto()).digest('SHA-256', data));
  return Array.from(digest, byte => byte.toString(16).padStart(2, '0')).join('');
}

async function subtleCrypto(): Promise<Subtle> {
  const subtle = (globalThis as unknown as {crypto?: {subtle?: Subtle}}).crypto?.subtle;
  if (subtle != null) return subtle;
  if (isNode()) return (await importBuiltin<{webcrypto: {subtle: Subtle}}>('node:crypto')).webcrypto.subtle;
  throw new Error(
    'Web Crypto (crypto.subtle) is not available here: browsers give it only to pages in a ' +
      'secure context (https:// or http://localhost)'
  );
}

// ---------------------------------------------------------------------------------------
// model.json

/**
 * The model artifacts of a parsed model.json, its weights read through `files` and checked. `where`
 * starts every message (e.g. "io.fileSystem('out').load").
 */
export async function artifactsFromModelJSON(
  parsed: unknown,
  files: ModelFiles,
  where: string
): Promise<tf.io.ModelArtifacts> {
  const json = `${where}: '${files.jsonName}'`;
  checkModelJSON(parsed, json);
  checkLayerClasses(parsed.modelTopology, json);
  const manifest = parsed.weightsManifest as DigestedWeightsGroup[] | undefined;
  if (manifest == null || manifest.every(group => group.weights.length === 0)) {
    await checkModelHasNoWeights(parsed.modelTopology, json, manifest == null);
  }
  return tf.io.getModelArtifactsForJSON(parsed, () => readWeights(manifest!, files, json, where));
}

function checkModelJSON(parsed: unknown, json: string): asserts parsed is tf.io.ModelJSON {
  const modelJSON = parsed as Partial<tf.io.ModelJSON> | null;
  if (modelJSON == null || typeof modelJSON !== 'object' || modelJSON.modelTopology == null) {
    throw new Error(
      `${json} has no modelTopology; expected a tfjs model.json with modelTopology and ` + `weightsManifest`
    );
  }
  const manifest: unknown = modelJSON.weightsManifest;
  const groupIsValid = (group: Partial<WeightsGroup> | null) =>
    group != null && Array.isArray(group.paths) && Array.isArray(group.weights);
  if (manifest == null) return;
  if (!(Array.isArray(manifest) && manifest.every(groupIsValid))) {
    throw new Error(
      `${json} has weightsManifest ${describeValue(manifest)}; expected an array of ` +
        `{paths: string[], weights: [...]}`
    );
  }
  (manifest as DigestedWeightsGroup[]).forEach((group, i) => {
    for (const path of group.paths) checkWeightsPath(path, json);
    const digests: unknown = group.sha256;
    const digestsAreValid =
      Array.isArray(digests) &&
      digests.length === group.paths.length &&
      digests.every(digest => typeof digest === 'string' && SHA256_PATTERN.test(digest));
    if (digests !== undefined && !digestsAreValid) {
      throw new Error(
        `${json} has weightsManifest[${i}].sha256 ${describeValue(digests)}; expected one ` +
          `64-digit hex SHA-256 per path (${group.paths.length}), in lowercase`
      );
    }
  });
}

/** A manifest path must name a file in the model.json's folder or below it. */
function checkWeightsPath(path: unknown, json: string) {
  const isInside =
    typeof path === 'string' &&
    path !== '' &&
    !/^[\\/]/.test(path) && // absolute
    !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path) && // a URL or a Windows drive
    !path.split(/[\\/]/).includes('..');
  if (!isInside) {
    throw new Error(
      `${json} lists the weights path ${JSON.stringify(path)}; expected a relative path inside ` +
        `the model's folder (no '..', absolute path or URL)`
    );
  }
}

/** Every class_name in the topology, nested ones (wrappers, models in models) included. */
function classNames(topology: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(topology)) {
    for (const item of topology) classNames(item, names);
  } else if (topology != null && typeof topology === 'object') {
    for (const [key, value] of Object.entries(topology)) {
      if (key === 'class_name' && typeof value === 'string') names.add(value);
      else classNames(value, names);
    }
  }
  return names;
}

/** A tfjs-snn layer class that this version does not register fails here, before anything is built. */
export function checkLayerClasses(topology: unknown, json: string): void {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  const unknown = [...classNames(topology)].filter(name => name.startsWith('Snn') && registered[name] == null);
  if (unknown.length > 0) {
    throw new Error(
      `${json} uses the layer class ${unknown.join(', ')}, which tfjs-snn ${version} does not ` +
        `have (the model was saved by another version of tfjs-snn?). tfjs-snn registers its ` +
        `layer classes when imported: import 'tfjs-snn' (of the version that saved the model) ` +
        `before loading`
    );
  }
}

/**
 * A model.json without weights (no manifest, or one listing none) is right only for a model that has
 * none; tfjs would give any other random weights. Building the topology is the one way to know.
 */
async function checkModelHasNoWeights(topology: unknown, json: string, noManifest: boolean) {
  const names = await buildGuarded(async () => {
    const model = await tfl.models.modelFromJSON({modelTopology: topology as tf.io.ModelJSON['modelTopology']});
    const weightNames = model.weights.map(weight => weight.originalName);
    model.dispose();
    return weightNames;
  });
  if (names.length === 0) return;
  const what = noManifest ? 'has no weightsManifest' : 'lists no weights in its weightsManifest';
  throw new Error(
    `${json} ${what}, but its model has ${describeWeights(names)}; it would load with ` +
      `random weights. The weights files are missing from the model.json`
  );
}

/** "3 weights (a, b, c)", the first few names only. */
export function describeWeights(names: string[]): string {
  const shown = names.slice(0, 6).join(', ') + (names.length > 6 ? ', …' : '');
  return `${names.length} weight${names.length === 1 ? '' : 's'} (${shown})`;
}

async function readWeights(
  manifest: DigestedWeightsGroup[],
  files: ModelFiles,
  json: string,
  where: string
): Promise<[tf.io.WeightsManifestEntry[], tf.io.WeightData]> {
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    const groupBuffers = await Promise.all(group.paths.map(path => files.read(path)));
    checkGroupSize(group, groupBuffers, files, json);
    if (group.sha256 != null) {
      await Promise.all(
        groupBuffers.map((buffer, i) => checkDigest(buffer, group.sha256![i], files.nameOf(group.paths[i]), where))
      );
    }
    buffers.push(...groupBuffers);
  }
  const specs = manifest.flatMap(group => group.weights);
  // One buffer: tfjs-core 4.22's CompositeArrayBuffer (what decodeWeights makes of an array) misreads
  // the weights past the first file when the last file is longer than the others (it takes the files
  // for equal-sized shards).
  const all = concatenate(buffers);
  const whole = all.byteOffset === 0 && all.byteLength === all.buffer.byteLength ? all : all.slice();
  return [specs, whole.buffer as ArrayBuffer];
}

/** The chunks one after the other, in one buffer (the chunk itself when there is one). */
export function concatenate(chunks: Array<ArrayBuffer | Uint8Array>): Uint8Array {
  const views = chunks.map(chunk => (chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk)));
  if (views.length === 1) return views[0];
  const all = new Uint8Array(views.reduce((sum, view) => sum + view.byteLength, 0));
  let offset = 0;
  for (const view of views) {
    all.set(view, offset);
    offset += view.byteLength;
  }
  return all;
}

async function checkDigest(buffer: ArrayBuffer, expected: string, name: string, where: string) {
  let actual: string;
  try {
    actual = await sha256Hex(buffer);
  } catch (e) {
    throw new Error(`${where}: cannot check the SHA-256 of the weights file '${name}': ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (actual !== expected) {
    throw new Error(
      `${where}: the SHA-256 of the weights file '${name}' does not match: its model.json ` +
        `lists ${expected}, the file has ${actual}; the file is corrupted or does not belong ` +
        `to this model.json`
    );
  }
}

function checkGroupSize(group: WeightsGroup, buffers: ArrayBuffer[], files: ModelFiles, json: string) {
  const expected = expectedByteLength(group.weights);
  const actual = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  if (expected == null || actual >= expected) return;
  const names = group.paths.map(path => `'${files.nameOf(path)}'`).join(', ');
  const holds = group.paths.length === 1 ? 'weights file' : 'weights files (together)';
  throw new Error(
    `${json}: the ${holds} ${names} holds ${actual} bytes, but the weightsManifest ` +
      `expects ${expected} bytes for ${group.weights.length} weights; the file is ` +
      `truncated or does not belong to this model.json`
  );
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Null when a size cannot be known up front (string weights, unknown dtypes). */
function expectedByteLength(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const spec of specs) {
    const bytesPerElement = BYTES_PER_ELEMENT[spec.quantization?.dtype ?? spec.dtype];
    if (bytesPerElement == null) return null;
    total += spec.shape.reduce((count, dim) => count * dim, 1) * bytesPerElement;
  }
  return total;
}
