/**
 * NIR (Neuromorphic Intermediate Representation, github.com/neuromorphs/NIR): the graph format snnTorch, Norse,
 * Sinabs, Rockpool, Spyx, Lava and SpiNNaker2 exchange models in, read into tf.LayersModels and written from them.
 * Guide: docs/nir.md.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';

import {describeValue} from '../../errors';
import {isNode} from '../../node_builtins';
import {readFileBytes} from '../../data/files';
import {buildGuarded} from '../leak_guard';
import {fetchBytes} from '../load';
import {graphFromHdf5} from './graph';
import type {NirGraph} from './graph';
import {readHdf5} from './hdf5';
import {graphToModel} from './to_model';

export type {NirArray, NirGraph, NirNode} from './graph';

/** What `io.nir.load` and `io.nir.read` take: the file's bytes, a URL, or (Node.js) a file path. */
export type NirSource = Uint8Array | ArrayBuffer | string;

/** The options of `io.nir.load`. */
export interface NirLoadOptions {
  /** The time step in seconds (the same unit as the file's time constants) with which to discretise the neurons. */
  dt: number;
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
 * const graph = await snn.io.nir.read('test/fixtures/nir/lif_norse.nir');
 * console.log(Object.entries(graph.nodes).map(([name, node]) => `${name}: ${node.type}`));   // input: Input, 0: Affine, 1: LIF, output: Output
 * console.log(graph.edges);                                          // [['input', '0'], ['0', '1'], ['1', 'output']]
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
 * neuron whose spikes a Linear or Affine feeds back (a recurrent layer). A failing load leaves no tensors behind.
 *
 * @example
 * ```js
 * const model = await snn.io.nir.load('test/fixtures/nir/lif_norse.nir', {dt: 1e-4});
 * const spikes = tf.tensor3d([[[1], [1], [1], [1]]]);                   // [batch 1, time 4, 1 input]
 * model.predict(spikes).print();                                          // the LIF's spikes at each step
 * ```
 */
export async function load(source: NirSource, options: NirLoadOptions): Promise<tfl.LayersModel> {
  const fn = 'io.nir.load';
  const dt = (options as {dt?: unknown} | undefined)?.dt;
  if (typeof dt !== 'number' || !Number.isFinite(dt) || dt <= 0) {
    throw new Error(
      `${fn}: option 'dt' must be a finite number > 0 (the time step, in the file's time unit); got ${describeValue(dt)}`
    );
  }
  const {bytes, name} = await sourceBytes(source, fn);
  const graph = graphFromHdf5(await readHdf5(bytes, name), name);
  return buildGuarded(async () => graphToModel(graph, dt, name));
}
