/** Picks the tfjs backend for training in Node: tfjs-node when installed, else wasm (with this package's training kernels). */
import * as tf from '@tensorflow/tfjs-core';

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

/** Sets the backend and returns its name. */
export async function useBackend(choice: TrainArgs['backend']): Promise<string> {
  if (choice === 'tensorflow' || choice === 'auto') {
    if (tryRequire('@tensorflow/tfjs-node')) {
      await tf.setBackend('tensorflow');
      return 'tensorflow';
    }
    if (choice === 'tensorflow') {
      throw new Error('--backend tensorflow needs @tensorflow/tfjs-node (or -gpu): npm install @tensorflow/tfjs-node');
    }
  }
  const name = choice === 'cpu' ? 'cpu' : 'wasm';
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
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to initialise`);
  return name;
}
