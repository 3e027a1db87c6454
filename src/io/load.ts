/**
 * Loading models in Node.js and browsers with every check tfjs-snn knows: `io.loadLayersModel` (leaves
 * no tensors behind when it fails, names unknown layer classes), and the handlers `io.fromUrl` and
 * `io.fromFiles`, which check the weights files' SHA-256 as io.fileSystem does.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';
import {fileRouter} from './file_router';
import {disposeVariablesSince, variableNames} from './leak_guard';
import {artifactsFromModelJSON, checkLayerClasses, describeWeights, nameSource, sourceName} from './model_json';

const LOAD = 'io.loadLayersModel';

/**
 * Loads a tf.LayersModel like `tf.loadLayersModel`, with the checks of tfjs-snn's handlers and without
 * leaving tensors behind when it fails.
 *
 * `source` is a URL or an IOHandler. `file://` URLs load through io.fileSystem (Node.js), http(s) and
 * relative URLs through io.fromUrl (which checks the weights' SHA-256), other schemes
 * (`indexeddb://`, …) through tfjs's handlers.
 *
 * When the topology cannot be built, the weights do not fit the model (names, shapes) or the handler
 * gives no weights for a model that has some, the promise rejects with an Error naming the source, and
 * what tfjs-layers had built is disposed (`tf.memory().numTensors` is the same as before the call).
 *
 * @example
 * const saved = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});
 * await saved.save(snn.io.fileSystem('./my-snn'));
 * const model = await snn.io.loadLayersModel(snn.io.fileSystem('./my-snn'));   // Node.js
 * // in a page: await snn.io.loadLayersModel('models/my-snn/model.json')
 */
export async function loadLayersModel(source: string | tf.io.IOHandler): Promise<tfl.LayersModel> {
  const handler = handlerFor(source);
  const where = `${LOAD}(${typeof source === 'string' ? describeValue(source) : sourceName(handler)})`;
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load!();
  } catch (e) {
    throw withContext(where, e);
  }
  if (artifacts.modelTopology == null || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error(
      `${where}: the source has no JSON modelTopology; expected a layers model (graph models ` +
        `load with tf.loadGraphModel)`
    );
  }
  checkLayerClasses(artifacts.modelTopology, where);
  return buildModel(artifacts, where);
}

function handlerFor(source: unknown): tf.io.IOHandler {
  if (typeof source === 'string' && source !== '') {
    const fromFileRouter = fileRouter(source);
    if (fromFileRouter != null) return fromFileRouter;
    if (/^https?:\/\//i.test(source) || !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source)) return fromUrl(source);
    const handlers = tf.io.getLoadHandlers(source);
    if (handlers.length === 1) return handlers[0];
    throw new Error(
      `${LOAD}(source): no IOHandler loads the URL ${describeValue(source)} (${handlers.length} ` + `match)`
    );
  }
  if (source != null && typeof (source as tf.io.IOHandler).load === 'function') return source as tf.io.IOHandler;
  throw new Error(
    `${LOAD}(source): expected a model.json URL or an IOHandler with load(); got ` + `${describeValue(source)}`
  );
}

/**
 * What tfjs-layers' loadLayersModel does after its handler's load, with the model kept in hand so that
 * it can be disposed on failure: build the topology, compile it with the training config, then decode
 * and set the weights (the optimizer's too).
 */
async function buildModel(artifacts: tf.io.ModelArtifacts, where: string): Promise<tfl.LayersModel> {
  const {weightData, weightSpecs, ...withoutWeights} = artifacts;
  const before = variableNames();
  let model: tfl.LayersModel | undefined;
  let decoded: tf.NamedTensorMap = {};
  try {
    model = await tfl.loadLayersModel(tf.io.fromMemory(withoutWeights));
    const specs = weightSpecs ?? [];
    const modelSpecs = specs.filter(spec => spec.group !== 'optimizer');
    if (modelSpecs.length === 0 && model.weights.length > 0) {
      throw new Error(
        `the model has ${describeWeights(model.weights.map(w => w.originalName))}, but the model ` +
          `artifacts have none (no weightsManifest, or an empty one); it would run with random weights`
      );
    }
    checkShapes(model, modelSpecs);
    if (specs.length > 0) {
      if (weightData == null) throw new Error('the model artifacts have weightSpecs but no weightData');
      decoded = tf.io.decodeWeights(weightData, specs);
      model.loadWeights(Object.fromEntries(modelSpecs.map(spec => [spec.name, decoded[spec.name]])), true);
      const optimizerWeights = specs
        .filter(spec => spec.group === 'optimizer')
        .map(spec => ({name: spec.name, tensor: decoded[spec.name]}));
      if (model.optimizer != null && optimizerWeights.length > 0) await model.optimizer.setWeights(optimizerWeights);
    }
    return model;
  } catch (e) {
    model?.dispose();
    disposeVariablesSince(before);
    throw withContext(where, e);
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

/** tfjs-layers' own message ("Shape mismatch: [3,2] vs. [2]") does not name the weight. */
function checkShapes(model: tfl.LayersModel, specs: tf.io.WeightsManifestEntry[]) {
  const shapes = new Map(specs.map(spec => [spec.name, spec.shape]));
  for (const weight of model.weights) {
    const shape = shapes.get(weight.originalName);
    if (shape != null && !tf.util.arraysEqual(shape, weight.shape as number[])) {
      throw new Error(
        `the weight ${weight.originalName} has shape [${weight.shape}] in the model, but ` +
          `[${shape}] in the weights manifest`
      );
    }
  }
}

/** The error with `where` in front (unless it names it already), and a hint for unknown layer classes. */
function withContext(where: string, cause: unknown): Error {
  let message = cause instanceof Error ? cause.message : String(cause);
  if (!message.startsWith(LOAD)) message = `${where}: ${message}`;
  const unknownLayer = /Unknown layer: (\S+?)\./.exec(message);
  if (unknownLayer != null) {
    message +=
      ` [tfjs-snn: the class ${unknownLayer[1]} is not registered. tfjs-snn's own layer classes ` +
      `(Snn…) are registered when tfjs-snn is imported; a custom layer class must be registered with ` +
      `tf.serialization.registerClass before loading]`;
  }
  return new Error(message, {cause});
}

// ---------------------------------------------------------------------------------------
// Handlers

interface FetchResponse {
  ok: boolean;
  status: number;
  statusText: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The bytes at `url` (tf.util.fetch); errors start with `where` and name the URL and the status. */
export async function fetchBytes(url: string, where: string): Promise<ArrayBuffer> {
  let response: FetchResponse;
  try {
    response = await tf.util.fetch(url);
  } catch (e) {
    throw new Error(`${where}: cannot fetch '${url}': ${(e as Error).message}`, {cause: e});
  }
  if (!response.ok) {
    throw new Error(`${where}: fetching '${url}' answered ${response.status} ${response.statusText}`.trimEnd());
  }
  return response.arrayBuffer();
}

function parseJSON(bytes: ArrayBuffer | string, name: string, where: string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${where}: '${name}' is not valid JSON; expected a tfjs model.json: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * An IOHandler that loads the model.json at `url` (http(s), or relative to the page) and the weights
 * files it lists (relative to it), like `tf.io.http`, and checks each file's SHA-256 where the
 * model.json records one (as io.fileSystem saves it) with Web Crypto. Load only.
 *
 * @example
 * const model = await snn.io.loadLayersModel(snn.io.fromUrl('runs/demo/model/model.json'));
 */
export function fromUrl(url: string): tf.io.IOHandler {
  if (typeof url !== 'string' || url === '') {
    throw new Error(`io.fromUrl(url): url must be a non-empty string naming a model.json; got ${describeValue(url)}`);
  }
  const query = url.indexOf('?');
  const base = query < 0 ? url : url.slice(0, query);
  const suffix = query < 0 ? '' : url.slice(query);
  const prefix = base.slice(0, base.lastIndexOf('/') + 1);
  const nameOf = (path: string) => prefix + path + suffix;
  const where = `io.fromUrl('${url}').load`;
  return nameSource(
    {
      load: async () => {
        const json = parseJSON(await fetchBytes(url, where), url, where);
        return artifactsFromModelJSON(
          json,
          {jsonName: url, nameOf, read: path => fetchBytes(nameOf(path), where)},
          where
        );
      },
    },
    `io.fromUrl('${url}')`
  );
}

/** A file picked in a browser (a `File`), or anything with its name and contents. */
export interface PickedFile {
  /** The file's name, matched against the model.json's weightsManifest paths. */
  name: string;
  /** The file's contents. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * An IOHandler for a model.json and its weights files picked by the user (an `<input type="file"
 * multiple>`'s FileList, in any order), like `tf.io.browserFiles`, that checks each weights file's
 * SHA-256 where the model.json records one. Files are matched to the manifest by name. Load only.
 *
 * @example
 * const model = await snn.io.loadLayersModel(snn.io.fromFiles(input.files));
 */
export function fromFiles(files: ArrayLike<PickedFile> | Iterable<PickedFile>): tf.io.IOHandler {
  const where = 'io.fromFiles(files).load';
  const picked = files == null ? [] : Array.from(files);
  const jsonFiles = picked.filter(file => file.name.toLowerCase().endsWith('.json'));
  const handler = {
    load: async () => {
      if (jsonFiles.length !== 1) {
        throw new Error(
          `io.fromFiles(files): expected one model.json and its weights files; got ` +
            `${picked.length} files (${jsonFiles.length} .json): ${picked.map(f => f.name).join(', ')}`
        );
      }
      const jsonFile = jsonFiles[0];
      const byName = new Map(picked.filter(file => file !== jsonFile).map(file => [file.name, file]));
      const fileFor = (path: string) => byName.get(path.split('/').pop()!);
      const read = async (path: string) => {
        const file = fileFor(path);
        if (file == null) {
          throw new Error(
            `${where}: '${jsonFile.name}' lists the weights file '${path}', which was not picked ` +
              `(picked: ${picked.map(f => f.name).join(', ')})`
          );
        }
        return file.arrayBuffer();
      };
      const json = parseJSON(await jsonFile.arrayBuffer(), jsonFile.name, where);
      return artifactsFromModelJSON(
        json,
        {jsonName: jsonFile.name, nameOf: path => fileFor(path)?.name ?? path, read},
        where
      );
    },
  };
  return nameSource(handler, `io.fromFiles(${picked.map(file => file.name).join(', ')})`);
}
