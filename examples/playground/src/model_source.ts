/**
 * Models from elsewhere: a URL (e.g. one saved by `tfjs-snn train`), files picked by the user, a download.
 * Loaded through snn.io.loadLayersModel: the SHA-256 of each weights file is checked (Web Crypto) where the
 * model.json records one, and a load that fails leaves no tensors behind.
 */

import {misfit, PageDataset, timeStepsOf} from './dataset.js';

/** A model that does not fit the current data (frame shape, encoder or not, classes) is disposed. */
export function checkModelFits(model: tf.LayersModel, from: string, dataset: PageDataset): void {
  const problem = misfit(model, dataset, from);
  if (problem != null) {
    model.dispose(); // the caller never gets to use it
    throw new Error(problem);
  }
}

export async function loadFromUrl(url: string): Promise<tf.LayersModel> {
  if (url.trim() === '') throw new Error("'model URL' is empty: give the address of a model.json");
  try {
    return await snn.io.loadLayersModel(url.trim());
  } catch (e) {
    throw new Error(`cannot load a model from '${url}': ${(e as Error).message}`, {cause: e});
  }
}

/** One model.json and its weight files. */
export async function loadFromFiles(files: FileList | null): Promise<tf.LayersModel> {
  const picked = Array.from(files ?? []);
  const json = picked.filter(f => f.name.endsWith('.json'));
  if (json.length !== 1) {
    throw new Error(
      `pick one model.json and its .bin weight files; got ${picked.length} files ` + `(${json.length} .json)`
    );
  }
  try {
    return await snn.io.loadLayersModel(snn.io.fromFiles(picked)); // matched to the manifest by name
  } catch (e) {
    throw new Error(`cannot load the model from ${picked.map(f => f.name).join(', ')}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

export function describeModel(model: tf.LayersModel): string {
  const first = model.layers[0];
  const kind = !snn.layers.isEncoder(first) ? 'spike-train' : snn.layers.emitsSpikes(first) ? 'Poisson' : 'direct';
  const bntt = model.layers.filter(l => snn.layers.isNormalization(l) && l.stepScales() != null).length;
  return (
    `${model.layers.length} layers (${bntt} BNTT), ${model.countParams().toLocaleString('en')} parameters, ` +
    `T = ${timeStepsOf(model)} steps, ${kind} input`
  );
}
