/** Picks the tfjs backend for training in Node: tfjs-node when installed, else wasm (with this package's training kernels). */
import * as tf from '@tensorflow/tfjs-core';

import {useThreadedWasm} from '../wasm_threads';
import {TrainArgs} from './args';

function tryRequire(name: string): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- probes an optional package by name
    require(name);
    return true;
  } catch (e) {
    if ((e as {code?: string}).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(name)) return false;
    throw e;
  }
}

/** --threads given for a backend other than wasm. */
function threadsError(threads: number, backend: string): Error {
  return new Error(
    `--threads ${threads}: only the wasm backend takes it; the backend here is ${backend}` +
      (backend === 'tensorflow' ? ' (tfjs-node, which sizes its own thread pool)' : '')
  );
}

/**
 * Sets the backend and returns its name. `threads` (--threads) > 1 starts the wasm backend's threaded build
 * (useThreadedWasm); null is the default, 1.
 */
export async function useBackend(choice: TrainArgs['backend'], threads: number | null = null): Promise<string> {
  if (choice === 'tensorflow' || choice === 'auto') {
    if (tryRequire('@tensorflow/tfjs-node')) {
      if (threads != null) throw threadsError(threads, 'tensorflow');
      await tf.setBackend('tensorflow');
      return 'tensorflow';
    }
    if (choice === 'tensorflow') {
      throw new Error('--backend tensorflow needs @tensorflow/tfjs-node (or -gpu): npm install @tensorflow/tfjs-node');
    }
  }
  const name = choice === 'cpu' ? 'cpu' : 'wasm';
  if (name === 'cpu' && threads != null) throw threadsError(threads, 'cpu');
  const module = name === 'cpu' ? '@tensorflow/tfjs-backend-cpu' : '@tensorflow/tfjs-backend-wasm';
  if (!tryRequire(module)) {
    // Name --backend only when it was given: 'auto' is the default.
    if (choice === 'auto') {
      throw new Error(
        `the default backend, wasm, needs ${module}, which is not installed: npm install ${module} ` +
          '(or choose --backend cpu, much slower, or install @tensorflow/tfjs-node for --backend ' +
          'tensorflow)'
      );
    }
    throw new Error(`--backend ${name} needs ${module}, which is not installed: npm install ${module}`);
  }
  if (name === 'wasm' && threads != null && threads > 1) {
    await useThreadedWasm({threads});
    return name;
  }
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to initialise`);
  return name;
}
