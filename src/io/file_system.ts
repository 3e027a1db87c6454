/**
 * `io.fileSystem(path)`: an IOHandler that saves and loads tfjs models in Node.js
 * without tfjs-node, in the standard layers format (model.json + weights.bin).
 * Saves are atomic: see docs/saving.md for the protocol and its limits.
 */
import * as tf from '@tensorflow/tfjs-core';

import {describeValue, errorCode, withCause} from '../errors';
import {artifactsFromModelJSON, concatenate, DigestedWeightsGroup, nameSource, sha256Hex} from './model_json';
import {importBuiltin, isNode} from '../node_builtins';

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
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  rm(path: string, options: {recursive: boolean; force: boolean}): Promise<void>;
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
  | 'write' // staging directory made, nothing written yet
  | 'commit' // new files written and synced; model.json about to be replaced
  | 'finalize'; // new model in place under an interim weights name; renaming to weights.bin

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
 * model.json, so models written by tfjs-node or tfjs-converter load too. Page: docs/saving.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * await model.save(snn.io.fileSystem('./my-snn'));          // my-snn/model.json, my-snn/weights.bin
 * const loaded = await tf.loadLayersModel(snn.io.fileSystem('./my-snn'));
 * ```
 */
export function fileSystem(path: string): tf.io.IOHandler {
  checkPathArgument(path);
  return nameSource(
    {
      save: artifacts => saveModel(path, artifacts),
      load: () => loadModel(path),
    },
    `${FN}('${path}')`
  );
}

function checkPathArgument(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') {
    throw new Error(
      `${FN}(path): path must be a non-empty string naming a directory or a .json ` + `file; got ${describeValue(path)}`
    );
  }
}

async function nodeModules(): Promise<NodeBuiltins> {
  if (!isNode()) throw new Error(NOT_NODE_MESSAGE);
  const [fs, path] = await Promise.all([
    importBuiltin<NodeFs>('node:fs/promises'),
    importBuiltin<NodePath>('node:path'),
  ]);
  return {fs, path};
}

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

// ---------------------------------------------------------------------------------------
// Saving

async function saveModel(userPath: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const node = await nodeModules();
  const target = resolveTarget(node.path, userPath);
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error(
      `${FN}('${userPath}').save: binary (GraphDef) model topologies are not ` +
        `supported; expected a JSON topology such as tf.LayersModel writes`
    );
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
    throw new Error(
      `'${target.dir}' exists and is not a directory; expected a directory (or a ` +
        `path ending in .json) to save the model into`
    );
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
  const suffix = stagingSuffix();
  const staging = path.join(target.dir, `.${target.jsonName}.tmp-${suffix}`);
  const interimWeightsName = `.${target.weightsName}.tmp-${suffix}`;
  const interimWeightsPath = path.join(target.dir, interimWeightsName);
  const staged = (name: string) => path.join(staging, name);
  const interimJSON = staged('interim.json.tmp'); // never clashes with a name ending in .json
  const replacedInterimWeights = await interimWeightsOfCurrentModel(node, target);
  const weights = weightChunks(artifacts.weightData);
  const digest = await sha256Hex(concatenate(weights));
  let committed = false;
  await fs.mkdir(staging);
  try {
    await runHook('write');
    await writeSynced(fs, staged(target.weightsName), weights);
    await writeSynced(fs, staged(target.jsonName), [modelJSONText(artifacts, target.weightsName, digest)]);
    await writeSynced(fs, interimJSON, [modelJSONText(artifacts, interimWeightsName, digest)]);
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
    await removeDeadWritersStaging(node, target).catch(() => undefined);
  } catch (e) {
    if (committed) {
      throw withCause(
        `the new model is in place and loads, but its weights file is still ` + `named '${interimWeightsName}'`,
        e
      );
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
  const paths: unknown[] = manifest.flatMap(group => (Array.isArray(group?.paths) ? group.paths : []));
  const isOurs = (name: unknown): name is string =>
    typeof name === 'string' && name.startsWith(`.${target.weightsName}.tmp-`) && node.path.basename(name) === name;
  return paths.filter(isOurs).map(name => node.path.join(target.dir, name));
}

async function runHook(step: SaveStep) {
  await saveHooksForTesting.beforeStep?.(step);
}

/**
 * `<pid>-<time>-<random>`: the writer's process id lets a later save tell the staging entries of a
 * killed save (its process is gone) from those of a save still running.
 */
function stagingSuffix(): string {
  return `${currentPid()}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

interface NodeProcess {
  pid: number;
  kill(pid: number, signal: number): boolean;
}

function nodeProcess(): NodeProcess | undefined {
  return (globalThis as unknown as {process?: NodeProcess}).process;
}

function currentPid(): number {
  return nodeProcess()?.pid ?? 0;
}

/** Signal 0 checks that the process exists: ESRCH is "no such process", EPERM a live one of another user. */
function processIsAlive(pid: number): boolean {
  try {
    nodeProcess()!.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) !== 'ESRCH';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes the staging directories and interim weights files that saves to this target left when their
 * process was killed: those whose pid is not a live process. Entries of live writers, of other models
 * in the directory, and any file the current model.json lists are left alone.
 */
async function removeDeadWritersStaging(node: NodeBuiltins, target: Target) {
  const prefixes = [target.jsonName, target.weightsName].map(name => `\\.${escapeRegExp(name)}`).join('|');
  const pattern = new RegExp(`^(?:${prefixes})\\.tmp-(\\d+)-`);
  const inUse = new Set(await interimWeightsOfCurrentModel(node, target));
  for (const name of await node.fs.readdir(target.dir)) {
    const pid = pattern.exec(name)?.[1];
    const path = node.path.join(target.dir, name);
    if (pid == null || Number(pid) === currentPid() || inUse.has(path) || processIsAlive(Number(pid))) continue;
    await node.fs.rm(path, {recursive: true, force: true}).catch(() => undefined);
  }
}

function weightChunks(weightData: tf.io.WeightData | undefined): Uint8Array[] {
  if (weightData == null) return [];
  const buffers = Array.isArray(weightData) ? weightData : [weightData];
  return buffers.map(buffer => new Uint8Array(buffer));
}

function modelJSONText(artifacts: tf.io.ModelArtifacts, weightsPath: string, digest: string): string {
  const group: DigestedWeightsGroup = {paths: [weightsPath], weights: artifacts.weightSpecs ?? [], sha256: [digest]};
  const modelJSON: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [group],
  };
  // The optional keys tfjs-core's own getModelJSONForModelArtifacts copies (not public API).
  const optionalKeys = [
    'signature',
    'userDefinedMetadata',
    'modelInitializer',
    'initializerSignature',
    'trainingConfig',
  ] as const;
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
    await fs.copyFile(from, to); // filesystems without hard links (FAT, some network mounts)
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
  for (let current = dir; ; current = node.path.dirname(current)) {
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
  const nameOf = (name: string) => node.path.join(dir, name);
  return artifactsFromModelJSON(
    modelJSON,
    {jsonName: jsonPath, nameOf, read: name => readWeightsFile(node.fs, nameOf(name), `${where}: '${jsonPath}'`)},
    where
  );
}

async function readModelJSON(fs: NodeFs, jsonPath: string, where: string): Promise<unknown> {
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(jsonPath));
  } catch (e) {
    if (errorCode(e) === 'ENOENT') {
      throw new Error(
        `${where}: '${jsonPath}' does not exist; expected the model.json of a ` +
          `saved model (or a directory holding one)`,
        {cause: e}
      );
    }
    throw withCause(`${where}: cannot read '${jsonPath}'`, e);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw withCause(`${where}: '${jsonPath}' is not valid JSON; expected a tfjs model.json`, e);
  }
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
