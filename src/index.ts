/**
 * tfjs-snn: spiking neural networks for TensorFlow.js.
 * Importing this module registers the fused kernels and their gradients, the
 * spiking layer classes (for tf.loadLayersModel) and, in Node without
 * tfjs-node, a `file://` model save/load router.
 */
import '../kernels/register';

import {registerFileRouter} from './io/index';

export * as analysis from './analysis/index';
export * as callbacks from './callbacks/index';
export * as data from './data/index';
export * as io from './io/index';
export * as layers from './layers/index';
export * as models from './models/index';
export * as ops from './ops/index';
export * as regularizers from './regularizers/index';
export {version} from './version';
export {useThreadedWasm} from './wasm_threads';
export type {ThreadedWasmOptions} from './wasm_threads';

registerFileRouter();
