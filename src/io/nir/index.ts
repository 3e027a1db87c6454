/**
 * NIR (Neuromorphic Intermediate Representation, github.com/neuromorphs/NIR): the graph format snnTorch, Norse,
 * Sinabs, Rockpool, Spyx, Lava and SpiNNaker2 exchange models in, read into tf.LayersModels and written from them.
 * Guide: docs/nir.md.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';

import {describeValue, optionNames, quotedList} from '../../errors';
import {importBuiltin, isNode} from '../../node_builtins';
import {readFileBytes} from '../../data/files';
import {buildGuarded} from '../leak_guard';
import {fetchBytes} from '../load';
import {modelToGraph} from './from_model';
import {graphFromHdf5, graphToHdf5} from './graph';
import type {NirGraph} from './graph';
import {readHdf5, writeHdf5} from './hdf5';
import {graphToModel} from './to_model';

export type {NirArray, NirGraph, NirNode} from './graph';

/** What `io.nir.load` and `io.nir.read` take: the file's bytes, a URL, or (Node.js) a file path. */
export type NirSource = Uint8Array | ArrayBuffer | string;

/**
 * What follows the graph's Output in a loaded model: `'none'`, nothing (the output is the last node's train,
 * `[batch, time, ...output]`); `'timeAverage'`, a `timeAverage` layer (its mean over time, `[batch, ...output]`:
 * a rate readout, the form classifiers, `earlyExitWrapper` and `snn.analysis` take).
 */
export const NIR_READOUTS = Object.freeze(['none', 'timeAverage'] as const);
/** One of `NIR_READOUTS`. */
export type NirReadout = (typeof NIR_READOUTS)[number];

/** The options of `io.nir.load`. */
export interface NirLoadOptions {
  /** The time step in seconds (the same unit as the file's time constants) with which to discretise the neurons. */
  dt: number;
  /**
   * The length of the input's time axis: `null` (the default) leaves it open, so that each input brings its own;
   * a number fixes it (what a consumer that needs T from the model, such as the playground, wants).
   */
  timeSteps?: number | null;
  /** What follows the Output node (`NIR_READOUTS`): `'none'` (the default) or `'timeAverage'`. */
  readout?: NirReadout;
}

/** The options of `io.nir.save`. */
export interface NirSaveOptions {
  /** The time step in seconds with which the model's neurons run: their decays become NIR time constants with it. */
  dt: number;
  /** Node.js: also write the file there. */
  path?: string;
}

const LOAD_OPTIONS = optionNames<NirLoadOptions>({dt: true, timeSteps: true, readout: true});

/** The checked options of `io.nir.load`. */
function loadOptions(fn: string, options: unknown): {dt: number; timeSteps: number | null; readout: NirReadout} {
  const dt = checkDt(fn, options);
  const given = options as NirLoadOptions;
  const unknown = Object.keys(given).filter(k => !(LOAD_OPTIONS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new Error(`${fn}: unknown option '${unknown[0]}'; the options are ${quotedList(LOAD_OPTIONS)}`);
  }
  const timeSteps = given.timeSteps ?? null;
  if (timeSteps != null && (typeof timeSteps !== 'number' || !Number.isInteger(timeSteps) || timeSteps < 1)) {
    throw new Error(
      `${fn}: option 'timeSteps' must be an integer >= 1 (the input's time axis), or null to leave it open; ` +
        `got ${describeValue(timeSteps)}`
    );
  }
  const readout = given.readout ?? 'none';
  if (!(NIR_READOUTS as readonly unknown[]).includes(readout)) {
    throw new Error(
      `${fn}: option 'readout' must be one of ${quotedList(NIR_READOUTS)}; got ${describeValue(readout)}`
    );
  }
  return {dt, timeSteps, readout};
}

function checkDt(fn: string, options: unknown): number {
  const dt = (options as {dt?: unknown} | undefined)?.dt;
  if (typeof dt !== 'number' || !Number.isFinite(dt) || dt <= 0) {
    throw new Error(
      `${fn}: option 'dt' must be a finite number > 0 (the time step, in the file's time unit); got ${describeValue(dt)}`
    );
  }
  return dt;
}

async function sourceBytes(source: unknown, fn: string): Promise<{bytes: Uint8Array; name: string}> {
  if (source instanceof Uint8Array) return {bytes: source, name: `${fn}(bytes)`};
  if (source instanceof ArrayBuffer) return {bytes: new Uint8Array(source), name: `${fn}(bytes)`};
  if (typeof source === 'string' && source.length > 0) {
    const where = `${fn}('${source}')`;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !source.startsWith('file://')) {
      return {bytes: new Uint8Array(await fetchBytes(source, fn)), name: where};
    }
    if (!isNode()) return {bytes: new Uint8Array(await fetchBytes(source, fn)), name: where};
    const path = source.startsWith('file://') ? decodeURIComponent(source.slice('file://'.length)) : source;
    return {bytes: await readFileBytes(path, fn), name: where};
  }
  throw new Error(
    `${fn}: 'source' must be a Uint8Array or ArrayBuffer holding a NIR file, a URL or (in Node.js) a file path; ` +
      `got ${describeValue(source)}`
  );
}

/**
 * Reads a NIR file (NIR's HDF5 layout, as `nir.write` writes it) into a plain graph: its nodes with their NIR
 * type and parameters (in NIR's PyTorch layouts), and its edges. Errors name the file, the node and the problem.
 *
 * @example
 * ```js
 * // In Node.js: await snn.io.nir.read('model.nir'); in browsers: a URL, or the bytes of a picked file
 * const model = tf.sequential({layers: [
 *   snn.layers.spikingDense({units: 2, inputShape: [null, 3]}),
 *   snn.layers.lif({leak: 0.9, resetMode: 'zero', name: 'lif'}),
 * ]});
 * const graph = await snn.io.nir.read(await snn.io.nir.save(model, {dt: 1e-3}));
 * console.log(graph.nodes.lif.type, graph.nodes.lif.params.tau.data);     // LIF [0.01…, 0.01…]: dt / (1 − 0.9)
 * console.log(graph.edges.length);                                         // 3: input → dense → lif → output
 * ```
 */
export async function read(source: NirSource): Promise<NirGraph> {
  const {bytes, name} = await sourceBytes(source, 'io.nir.read');
  return graphFromHdf5(await readHdf5(bytes, name), name);
}

/**
 * Loads a NIR file as a tf.LayersModel that maps `[batch, time, ...input]` to `[batch, time, ...output]` step by
 * step (3-D inputs and outputs channels-last, `[height, width, channels]`). The neurons' continuous equations
 * are discretised with `dt` by forward Euler (docs/nir.md gives the mapping). Nodes: Input, Output, Affine,
 * Linear, Conv2d, SumPool2d, AvgPool2d, Flatten, Scale, Threshold, Delay (0 only), IF, LIF, LI, CubaLIF, and a
 * neuron whose spikes a Linear or Affine feeds back (a recurrent layer). `timeSteps` fixes the time axis (open by
 * default); `readout: 'timeAverage'` ends the model with a timeAverage layer (`[batch, ...output]`, the mean over
 * time), which makes an imported classifier one that `snn.analysis` and `earlyExitWrapper` take. A failing load
 * leaves no tensors behind.
 *
 * @example
 * ```js
 * // In Node.js: await snn.io.nir.load('lif_norse.nir', {dt: 1e-4}); in browsers: a URL, or a file's bytes
 * const bytes = await snn.io.nir.save(tf.sequential({layers: [
 *   snn.layers.spikingDense({units: 2, inputShape: [null, 3]}),
 *   snn.layers.lif({leak: 0.9, resetMode: 'zero'}),
 * ]}), {dt: 1e-3});
 * const model = await snn.io.nir.load(bytes, {dt: 1e-3});
 * model.predict(tf.ones([1, 4, 3])).print();          // [batch 1, time 4, 2 neurons]: spikes
 * const rates = await snn.io.nir.load(bytes, {dt: 1e-3, timeSteps: 4, readout: 'timeAverage'});
 * rates.predict(tf.ones([1, 4, 3])).print();          // [batch 1, 2 neurons]: spikes per step
 * ```
 */
export async function load(source: NirSource, options: NirLoadOptions): Promise<tfl.LayersModel> {
  const fn = 'io.nir.load';
  const {dt, timeSteps, readout} = loadOptions(fn, options);
  const {bytes, name} = await sourceBytes(source, fn);
  const graph = graphFromHdf5(await readHdf5(bytes, name), name);
  return buildGuarded(async () => graphToModel(graph, dt, name, {timeSteps, readout}));
}

/**
 * Writes a model as a NIR file (HDF5 bytes; in Node.js also the file at `path`): a chain of spikingConv2d
 * (+ spikingZeroPad2d), spikingDense, spikingAvgPool2d, spikingFlatten, stepAffine, heaviside and the neurons
 * lif/plif, ifNeuron, li, cubaLif, rlif and rCubaLif with `resetMode: 'zero'` (NIR's reset). Their decays become
 * time constants with `dt` (docs/nir.md). What NIR cannot express (BNTT, encoders, timeAverage, the subtract
 * reset, …) is an error naming the layer and the reason. Loading the file with the same `dt` gives the model back.
 *
 * @example
 * ```js
 * const model = tf.sequential({layers: [
 *   snn.layers.spikingDense({units: 8, inputShape: [null, 4]}),
 *   snn.layers.lif({leak: 0.9, resetMode: 'zero'}),
 * ]});
 * const bytes = await snn.io.nir.save(model, {dt: 1e-3});
 * const again = await snn.io.nir.load(bytes, {dt: 1e-3});
 * console.log((await snn.io.nir.read(bytes)).nodes[model.layers[1].name].type);   // 'LIF'
 * ```
 */
export async function save(model: tfl.LayersModel, options: NirSaveOptions): Promise<Uint8Array> {
  const fn = 'io.nir.save';
  const dt = checkDt(fn, options);
  const path = options.path;
  if (path != null && (typeof path !== 'string' || path.length === 0)) {
    throw new Error(`${fn}: option 'path' must be a non-empty string; got ${describeValue(path)}`);
  }
  if (model == null || !Array.isArray((model as {layers?: unknown}).layers)) {
    throw new Error(`${fn}: 'model' must be a tf.LayersModel; got ${describeValue(model)}`);
  }
  const bytes = await writeHdf5(graphToHdf5(modelToGraph(model, dt, fn)));
  if (path != null) {
    if (!isNode()) throw new Error(`${fn}: option 'path' needs Node.js; in a browser, use the bytes it returns`);
    const fs = await importBuiltin<{writeFile(p: string, d: Uint8Array): Promise<void>}>('node:fs/promises');
    await fs.writeFile(path, bytes);
  }
  return bytes;
}
