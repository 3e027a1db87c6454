/**
 * Models from elsewhere: a URL (e.g. one saved by `tfjs-snn train`), files picked by the user, a download.
 * A model.json is loaded through snn.io.loadLayersModel: the SHA-256 of each weights file is checked (Web Crypto)
 * where the model.json records one. A `.nir` file (written by snnTorch, Norse, Sinabs, Rockpool, … or by
 * snn.io.nir.save) is loaded through snn.io.nir.load for the page's T steps of dt, with the mean over time as the
 * logits. A load that fails leaves no tensors behind.
 */

import {firstLayer, misfit, PageDataset, timeStepsOf} from './dataset.js';

/** A model that does not fit the current data (frame shape, encoder or not, classes) is disposed. */
export function checkModelFits(model: tf.LayersModel, from: string, dataset: PageDataset): void {
  const problem = misfit(model, dataset, from);
  if (problem != null) {
    model.dispose(); // the caller never gets to use it
    throw new Error(problem);
  }
}

/** How the page runs a NIR file: `timeSteps` steps of `dt` (the file's time unit). */
export interface NirSettings {
  dt: number;
  timeSteps: number;
}

/** Whether a file name names a .nir file. */
export const isNir = (name: string) => name.toLowerCase().endsWith('.nir');

function loadNir(source: string | Uint8Array, nir: NirSettings): Promise<tf.LayersModel> {
  return snn.io.nir.load(source, {dt: nir.dt, timeSteps: nir.timeSteps, readout: 'timeAverage'});
}

/** Whether `url` names a .nir file (by its path: a query or fragment may follow). */
export function isNirUrl(url: string): boolean {
  return isNir(new URL(url.trim(), location.href).pathname);
}

export async function loadFromUrl(url: string, nir: NirSettings): Promise<tf.LayersModel> {
  if (url.trim() === '') throw new Error("'model URL' is empty: give the address of a model.json or a .nir file");
  try {
    return isNirUrl(url) ? await loadNir(url.trim(), nir) : await snn.io.loadLayersModel(url.trim());
  } catch (e) {
    throw new Error(`cannot load a model from '${url}': ${(e as Error).message}`, {cause: e});
  }
}

/** One model.json and its weight files, or one .nir file. */
export async function loadFromFiles(files: readonly File[], nir: NirSettings): Promise<tf.LayersModel> {
  const picked = [...files];
  const json = picked.filter(f => f.name.endsWith('.json'));
  const nirFiles = picked.filter(f => isNir(f.name));
  if (!(nirFiles.length === 1 && picked.length === 1) && !(json.length === 1 && nirFiles.length === 0)) {
    throw new Error(
      `pick one model.json and its .bin weight files, or one .nir file; got ${picked.length} files ` +
        `(${json.length} .json, ${nirFiles.length} .nir)`
    );
  }
  try {
    if (nirFiles.length === 1) return await loadNir(new Uint8Array(await nirFiles[0].arrayBuffer()), nir);
    return await snn.io.loadLayersModel(snn.io.fromFiles(picked)); // matched to the manifest by name
  } catch (e) {
    throw new Error(`cannot load the model from ${picked.map(f => f.name).join(', ')}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

export function describeModel(model: tf.LayersModel): string {
  const first = firstLayer(model);
  const kind = !snn.layers.isEncoder(first) ? 'spike-train' : snn.layers.emitsSpikes(first) ? 'Poisson' : 'direct';
  const bntt = model.layers.filter(l => snn.layers.isNormalization(l) && l.stepScales() != null).length;
  return (
    `${model.layers.length} layers (${bntt} BNTT), ${model.countParams().toLocaleString('en')} parameters, ` +
    `T = ${timeStepsOf(model)} steps, ${kind} input`
  );
}
