/**
 * One checkpoint per finished epoch: the model (tfjs format), the optimizer's
 * state and the run's history, swapped into place as a whole so that an
 * interrupted run always finds the last complete one.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {fileSystem} from '../io/file_system';
import {loadLayersModel} from '../io/load';
import {TrainArgs} from './args';

export interface EpochRecord {
  epoch: number;
  learningRate: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
  spikeRates: {[layer: string]: number};
}

export interface RunState {
  version: 1;
  args: TrainArgs;
  backend: string;
  epochsDone: number;
  history: EpochRecord[];
}

const CHECKPOINT = 'checkpoint';

export async function saveCheckpoint(
  out: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: RunState
): Promise<void> {
  const staging = join(out, `.${CHECKPOINT}-staging`);
  rmSync(staging, {recursive: true, force: true});
  mkdirSync(staging, {recursive: true});
  await model.save(fileSystem(staging));
  const weights = await optimizer.getWeights();
  const {data, specs} = await tf.io.encodeWeights(weights);
  // getWeights makes a fresh scalar for the iteration count; the rest are the optimizer's own variables.
  tf.dispose(weights.map(w => w.tensor).filter(t => !(t instanceof tf.Variable)));
  writeFileSync(join(staging, 'optimizer.bin'), new Uint8Array(data));
  writeFileSync(join(staging, 'optimizer.json'), JSON.stringify({className: optimizer.getClassName(), specs}));
  writeFileSync(join(staging, 'state.json'), JSON.stringify(state, null, 1));
  const target = join(out, CHECKPOINT);
  const previous = join(out, `.${CHECKPOINT}-previous`);
  rmSync(previous, {recursive: true, force: true});
  if (existsSync(target)) renameSync(target, previous);
  renameSync(staging, target);
  rmSync(previous, {recursive: true, force: true});
}

export interface Checkpoint {
  model: tfl.LayersModel;
  optimizerClass: string;
  optimizerWeights: Parameters<tf.Optimizer['setWeights']>[0];
  state: RunState;
}

/** The last complete checkpoint in `out`, or null when there is none. */
export async function loadCheckpoint(out: string): Promise<Checkpoint | null> {
  // A crash between the two renames of saveCheckpoint leaves only the previous one.
  const dir = [join(out, CHECKPOINT), join(out, `.${CHECKPOINT}-previous`)].find(d =>
    existsSync(join(d, 'state.json'))
  );
  if (dir == null) return null;
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunState;
  const model = await loadLayersModel(fileSystem(dir));
  const {className, specs} = JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8'));
  const bytes = readFileSync(join(dir, 'optimizer.bin'));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const decoded = tf.io.decodeWeights(buffer, specs);
  const optimizerWeights = (specs as tf.io.WeightsManifestEntry[]).map(s => ({name: s.name, tensor: decoded[s.name]}));
  return {model, optimizerClass: className, optimizerWeights, state};
}
