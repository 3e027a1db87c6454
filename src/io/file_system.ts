/**
 * `io.fileSystem(path)`: an IOHandler that saves and loads tfjs models in Node.js
 * without tfjs-node, in the standard layers format (model.json + weights.bin).
 * Saves are atomic: see docs/saving.md for the protocol and its limits.
 */
import * as tf from '@tensorflow/tfjs-core';

import {describeValue} from '../ops/lif_options';

const FN = 'io.fileSystem';
const NOT_NODE_MESSAGE =
    'io.fileSystem works only in Node.js; in the browser use tf.io.browserDownloads / indexeddb://';

// The few Node built-ins used here, declared locally so that the package's types
// never depend on @types/node (browser users of the package do not have it).
interface FileHandle {
  writeFile(data: Uint8Array | string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
interface NodeFs {
  mkdir(path: string, options?: {recursive: boolean}): Promise<string | undefined>;
  open(path: string, flags: string): Promise<FileHandle>;
  readFile(path: string): Promise<Uint8Array>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  rm(path: string, options: {recursive: boolean, force: boolean}): Promise<void>;
  rmdir(path: string): Promise<void>;
  stat(path: string): Promise<{isDirectory(): boolean}>;
}
interface NodePath {
  resolve(...paths: string[]): string;
  dirname(path: string): string;
  basename(path: string): string;
  join(...paths: string[]): string;
}
interface NodeBuiltins {
  fs: NodeFs;
  path: NodePath;
}

/** The points of a save at which `saveHooksForTesting.beforeStep` runs. */
export type SaveStep =
    'write' |     // staging directory made, nothing written yet
    'commit' |    // new files written and synced; model.json about to be replaced
    'finalize';   // new model in place under an interim weights name; renaming to weights.bin

/**
 * Internal, for tests only: a fault injected here (by throwing) makes the save
 * fail at that step. Not exported from the package.
 */
export const saveHooksForTesting: {beforeStep?: (step: SaveStep) => void | Promise<void>} = {};

/**
 * An IOHandler that saves a model into the directory `path` (as `model.json` and
 * `weights.bin`) and loads it back, in Node.js. A `path` ending in `.json` names the
 * model file itself (its weights go next to it as `<name>.weights.bin`). Missing
 * parent directories are created. Loading reads every weight file listed in the
 * model.json, so models written by tfjs-node or tfjs-converter load too.
 */
export function fileSystem(path: string): tf.io.IOHandler {
  checkPathArgument(path);
  return {
    save: artifacts => saveModel(path, artifacts),
    load: () => loadModel(path),
  };
}

function checkPathArgument(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') {
    throw new Error(`${FN}(path): path must be a non-empty string naming a directory or a .json ` +
                    `file; got ${describeValue(path)}`);
  }
}

export function isNode(): boolean {
  return tf.env().getBool('IS_NODE');
}

async function nodeModules(): Promise<NodeBuiltins> {
  if (!isNode()) throw new Error(NOT_NODE_MESSAGE);
  const [fs, path] = await Promise.all(
      [importBuiltin<NodeFs>('node:fs/promises'), importBuiltin<NodePath>('node:path')]);
  return {fs, path};
}

function importBuiltin<T>(specifier: string): Promise<T> {
  const proc = (globalThis as unknown as {process?: {getBuiltinModule?: (id: string) => T}}).process;
  if (typeof proc?.getBuiltinModule === 'function') {
    return Promise.resolve(proc.getBuiltinModule(specifier));
  }
  // Node < 20.16. tsc rejects import() under this package's module setting (ES2015),
  // and hiding it from bundlers keeps them from resolving node: modules for the browser.
  const dynamicImport = new Function('specifier', 'return import(specifier)');
  return (dynamicImport as (id: string) => Promise<T>)(specifier);
}

type WeightsGroup = tf.io.WeightsManifestConfig[number];

interface Target {
  dir: string;
  jsonName: string;
  weightsName: string;
  jsonPath: string;
}

function resolveTarget(path: NodePath, userPath: string): Target {
  const absolute = path.resolve(userPath);
  const namesJsonFile = absolute.toLowerCase().endsWith('.json');
  const dir = namesJsonFile ? path.dirname(absolute) : absolute;
  const jsonName = namesJsonFile ? path.basename(absolute) : 'model.json';
  // Two models saved side by side as a.json and b.json must not share one weights file.
  const weightsName = jsonName === 'model.json' ? 'weights.bin' : `${jsonName.slice(0, -5)}.weights.bin`;
  return {dir, jsonName, weightsName, jsonPath: path.join(dir, jsonName)};
}

function withCause(message: string, cause: unknown): Error {
  const causeMessage = cause instanceof Error ? cause.message : String(cause);
  const error = new Error(`${message}: ${causeMessage}`);
  (error as {cause?: unknown}).cause = cause;
  return error;
}

function errorCode(error: unknown): string | undefined {
  return (error as {code?: string} | null)?.code;
}

// ---------------------------------------------------------------------------------------
// Saving

async function saveModel(userPath: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const node = await nodeModules();
  const target = resolveTarget(node.path, userPath);
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error(`${FN}('${userPath}').save: binary (GraphDef) model topologies are not ` +
                    `supported; expected a JSON topology such as tf.LayersModel writes`);
  }
  try {
    await saveAtomically(node, target, artifacts);
  } catch (e) {
    throw withCause(`${FN}('${userPath}').save: could not save the model to '${target.jsonPath}'`, e);
  }
  return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
}

async function saveAtomically(node: NodeBuiltins, target: Target, artifacts: tf.io.ModelArtifacts) {
  await checkTargetKinds(node.fs, target);
  const firstCreatedDir = await node.fs.mkdir(target.dir, {recursive: true});
  try {
    await replaceModel(node, target, artifacts);
  } catch (e) {
    if (firstCreatedDir != null) await removeEmptyDirs(node, target.dir, firstCreatedDir);
    throw e;
  }
}

async function checkTargetKinds(fs: NodeFs, target: Target) {
  const dirStat = await statOrNull(fs, target.dir);
  if (dirStat != null && !dirStat.isDirectory()) {
    throw new Error(`'${target.dir}' exists and is not a directory; expected a directory (or a ` +
                    `path ending in .json) to save the model into`);
  }
  const jsonStat = await statOrNull(fs, target.jsonPath);
  if (jsonStat?.isDirectory()) {
    throw new Error(`'${target.jsonPath}' is a directory; expected a file name for the model JSON`);
  }
}

async function statOrNull(fs: NodeFs, path: string) {
  try {
    return await fs.stat(path);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Writes the new model into a staging directory inside the target directory (so every
 * rename stays on one filesystem, even when the target is a mount point), then moves it
 * into place. The old model.json keeps loading with the old weights until one rename
 * swaps in a model.json that points at the new weights under an interim name (hard
 * link, no second copy); only then is the old weights file overwritten and the final
 * model.json (pointing at the standard weights name) renamed over the interim one.
 */
async function replaceModel(node: NodeBuiltins, target: Target, artifacts: tf.io.ModelArtifacts) {
  const {fs, path} = node;
  const suffix = randomSuffix();
  const staging = path.join(target.dir, `.${target.jsonName}.tmp-${suffix}`);
  const interimWeightsName = `.${target.weightsName}.tmp-${suffix}`;
  const interimWeightsPath = path.join(target.dir, interimWeightsName);
  const staged = (name: string) => path.join(staging, name);
  const interimJSON = staged('interim.json.tmp');  // never clashes with a name ending in .json
  const replacedInterimWeights = await interimWeightsOfCurrentModel(node, target);
  let committed = false;
  await fs.mkdir(staging);
  try {
    await runHook('write');
    await writeSynced(fs, staged(target.weightsName), weightChunks(artifacts.weightData));
    await writeSynced(fs, staged(target.jsonName), [modelJSONText(artifacts, target.weightsName)]);
    await writeSynced(fs, interimJSON, [modelJSONText(artifacts, interimWeightsName)]);
    await linkOrCopy(fs, staged(target.weightsName), interimWeightsPath);
    await syncDir(fs, target.dir);
    await runHook('commit');
    await fs.rename(interimJSON, target.jsonPath);
    committed = true;
    await syncDir(fs, target.dir);
    await runHook('finalize');
    await fs.rename(staged(target.weightsName), path.join(target.dir, target.weightsName));
    await fs.rename(staged(target.jsonName), target.jsonPath);
    await syncDir(fs, target.dir);
    for (const stale of [interimWeightsPath, ...replacedInterimWeights]) {
      // The save is complete; a file left over here is only clutter.
      await fs.rm(stale, {recursive: false, force: true}).catch(() => undefined);
    }
  } catch (e) {
    if (committed) {
      throw withCause(`the new model is in place and loads, but its weights file is still ` +
                      `named '${interimWeightsName}'`, e);
    }
    await fs.rm(interimWeightsPath, {recursive: false, force: true}).catch(() => undefined);
    throw e;
  } finally {
    await fs.rm(staging, {recursive: true, force: true}).catch(() => undefined);
  }
}

/**
 * The interim weights file that the current model.json still points at when an earlier
 * save failed after its commit; the save that replaces that model.json removes it.
 */
async function interimWeightsOfCurrentModel(node: NodeBuiltins, target: Target): Promise<string[]> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder().decode(await node.fs.readFile(target.jsonPath))).weightsManifest;
  } catch {
    return [];
  }
  if (!Array.isArray(manifest)) return [];
  const paths: unknown[] = manifest.flatMap(group => Array.isArray(group?.paths) ? group.paths : []);
  const isOurs = (name: unknown): name is string => typeof name === 'string' &&
      name.startsWith(`.${target.weightsName}.tmp-`) && node.path.basename(name) === name;
  return paths.filter(isOurs).map(name => node.path.join(target.dir, name));
}

async function runHook(step: SaveStep) {
  await saveHooksForTesting.beforeStep?.(step);
}

function randomSuffix(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function weightChunks(weightData: tf.io.WeightData | undefined): Uint8Array[] {
  if (weightData == null) return [];
  const buffers = Array.isArray(weightData) ? weightData : [weightData];
  return buffers.map(buffer => new Uint8Array(buffer));
}

function modelJSONText(artifacts: tf.io.ModelArtifacts, weightsPath: string): string {
  const modelJSON: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{paths: [weightsPath], weights: artifacts.weightSpecs ?? []}],
  };
  // The optional keys tfjs-core's own getModelJSONForModelArtifacts copies (not public API).
  const optionalKeys = ['signature', 'userDefinedMetadata', 'modelInitializer',
                        'initializerSignature', 'trainingConfig'] as const;
  for (const key of optionalKeys) {
    if (artifacts[key] != null) (modelJSON as unknown as Record<string, unknown>)[key] = artifacts[key];
  }
  return JSON.stringify(modelJSON);
}

async function writeSynced(fs: NodeFs, path: string, chunks: Array<Uint8Array | string>) {
  const handle = await fs.open(path, 'wx');
  try {
    for (const chunk of chunks) await handle.writeFile(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function linkOrCopy(fs: NodeFs, from: string, to: string) {
  try {
    await fs.link(from, to);
  } catch {
    await fs.copyFile(from, to);  // filesystems without hard links (FAT, some network mounts)
    await syncFile(fs, to, 'r+');
  }
}

async function syncFile(fs: NodeFs, path: string, flags: string) {
  const handle = await fs.open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// Makes the renames durable. Directories cannot be opened for fsync on Windows, where
// this is skipped.
async function syncDir(fs: NodeFs, dir: string) {
  await syncFile(fs, dir, 'r').catch(() => undefined);
}

/** Undoes `mkdir -p`: removes `dir` and its parents up to `topmost`, while empty. */
async function removeEmptyDirs(node: NodeBuiltins, dir: string, topmost: string) {
  for (let current = dir;; current = node.path.dirname(current)) {
    try {
      await node.fs.rmdir(current);
    } catch {
      return;
    }
    if (current === topmost || node.path.dirname(current) === current) return;
  }
}

// ---------------------------------------------------------------------------------------
// Loading

async function loadModel(userPath: string): Promise<tf.io.ModelArtifacts> {
  const node = await nodeModules();
  const {jsonPath, dir} = resolveTarget(node.path, userPath);
  const where = `${FN}('${userPath}').load`;
  const modelJSON = await readModelJSON(node.fs, jsonPath, where);
  return tf.io.getModelArtifactsForJSON(
      modelJSON, manifest => readWeights(node, dir, manifest, `${where}: '${jsonPath}'`));
}

async function readModelJSON(fs: NodeFs, jsonPath: string, where: string): Promise<tf.io.ModelJSON> {
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(jsonPath));
  } catch (e) {
    if (errorCode(e) === 'ENOENT') {
      throw new Error(`${where}: '${jsonPath}' does not exist; expected the model.json of a ` +
                      `saved model (or a directory holding one)`, {cause: e});
    }
    throw withCause(`${where}: cannot read '${jsonPath}'`, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw withCause(`${where}: '${jsonPath}' is not valid JSON; expected a tfjs model.json`, e);
  }
  checkModelJSON(parsed, jsonPath, where);
  return parsed;
}

function checkModelJSON(parsed: unknown, jsonPath: string, where: string):
    asserts parsed is tf.io.ModelJSON {
  const json = parsed as Partial<tf.io.ModelJSON> | null;
  if (json == null || typeof json !== 'object' || json.modelTopology == null) {
    throw new Error(`${where}: '${jsonPath}' has no modelTopology; expected a tfjs model.json ` +
                    `with modelTopology and weightsManifest`);
  }
  const manifest: unknown = json.weightsManifest;
  const groupIsValid = (group: Partial<WeightsGroup> | null) =>
      group != null && Array.isArray(group.paths) && Array.isArray(group.weights);
  if (manifest != null && !(Array.isArray(manifest) && manifest.every(groupIsValid))) {
    throw new Error(`${where}: '${jsonPath}' has weightsManifest ${describeValue(manifest)}; ` +
                    `expected an array of {paths: string[], weights: [...]}`);
  }
}

async function readWeights(node: NodeBuiltins, dir: string, manifest: tf.io.WeightsManifestConfig,
                           where: string): Promise<[tf.io.WeightsManifestEntry[], tf.io.WeightData]> {
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    const groupBuffers = await Promise.all(
        group.paths.map(name => readWeightsFile(node.fs, node.path.join(dir, name), where)));
    checkGroupSize(group, groupBuffers, dir, node.path, where);
    buffers.push(...groupBuffers);
  }
  const specs = manifest.flatMap(group => group.weights);
  return [specs, buffers.length === 1 ? buffers[0] : buffers];
}

async function readWeightsFile(fs: NodeFs, path: string, where: string): Promise<ArrayBuffer> {
  try {
    const bytes = await fs.readFile(path);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') {
      throw new Error(`${where} lists the weights file '${path}', which does not exist`, {cause: e});
    }
    throw withCause(`${where}: cannot read the weights file '${path}'`, e);
  }
}

function checkGroupSize(group: WeightsGroup, buffers: ArrayBuffer[],
                        dir: string, path: NodePath, where: string) {
  const expected = expectedByteLength(group.weights);
  const actual = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  if (expected == null || actual >= expected) return;
  const files = group.paths.map(name => `'${path.join(dir, name)}'`).join(', ');
  const holds = group.paths.length === 1 ? 'weights file' : 'weights files (together)';
  throw new Error(`${where}: the ${holds} ${files} holds ${actual} bytes, but the weightsManifest ` +
                  `expects ${expected} bytes for ${group.weights.length} weights; the file is ` +
                  `truncated or does not belong to this model.json`);
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2,
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
