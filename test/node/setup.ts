import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the core ops' gradients
import * as tf from '@tensorflow/tfjs-core';

import {useThreadedWasm} from '../../src/wasm_threads';

/** TFJS_SNN_WASM_THREADS=N: the specs' wasm backend is tfjs-backend-wasm's threaded build on N threads. */
const WASM_THREADS = process.env.TFJS_SNN_WASM_THREADS;
// Then nothing may start the single-threaded build first: a spec that makes a tensor as it loads would (wasm has
// the highest priority). useThreadedWasm registers 'wasm' again. (Without it, the wasm backend registers only as
// the first spec that imports it loads, as it always has.)
if (WASM_THREADS != null) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the wasm backend now, only here
  require('@tensorflow/tfjs-backend-wasm');
  tf.removeBackend('wasm');
}

beforeAll(async () => {
  if (WASM_THREADS != null) await useThreadedWasm({threads: Number(WASM_THREADS)});
  await tf.setBackend('cpu');
});
