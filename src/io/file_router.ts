/**
 * `file://` URLs for model.save / tf.loadLayersModel in Node.js, served by
 * io.fileSystem, for setups without tfjs-node.
 */
import * as tf from '@tensorflow/tfjs-core';

import {fileSystem} from './file_system';
import {isNode} from '../node_builtins';

const FILE_SCHEME = 'file://';

// One entry per copy of tfjs-core whose router registry already holds our routers, kept
// on globalThis so that a second copy of this package does not register them again.
const REGISTERED_KEY = Symbol.for('tfjs-snn.io.fileRouterRegistered');

/**
 * Registers `file://` save and load routers backed by io.fileSystem, so that
 * `model.save('file://./out')` and `tf.loadLayersModel('file://./out/model.json')` work
 * in Node.js without tfjs-node. Does nothing outside Node. Safe to call more than once.
 * When tfjs-node is loaded, the routers step aside and its own `file://` handler serves.
 */
export function registerFileRouter(): void {
  if (!isNode()) return;
  const registries = registeredRegistries();
  if (registries.has(tf.io.registerSaveRouter)) return;
  registries.add(tf.io.registerSaveRouter);
  // tfjs's router type leaves out null, which its registry expects for "not mine".
  const router = fileRouter as (url: string | string[]) => tf.io.IOHandler;
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
}

function registeredRegistries(): WeakSet<object> {
  const global = globalThis as unknown as Record<symbol, WeakSet<object> | undefined>;
  return (global[REGISTERED_KEY] ??= new WeakSet<object>());
}

/** The router itself: an io.fileSystem handler for a `file://` URL, else null. */
export function fileRouter(url: string | string[]): tf.io.IOHandler | null {
  if (typeof url !== 'string' || !url.startsWith(FILE_SCHEME)) return null;
  // tfjs throws when two routers match one URL, and tfjs-node registers its own.
  if (tfjsNodeIsLoaded() || !isNode()) return null;
  return fileSystem(pathOfFileURL(url));
}

// tfjs-node registers the 'tensorflow' backend when imported. Asking for the factory
// (not the backend) leaves that backend uninitialised.
function tfjsNodeIsLoaded(): boolean {
  return tf.findBackendFactory('tensorflow') != null;
}

// 'file://./out' -> './out', 'file:///abs' -> '/abs', 'file:///C:/m' -> 'C:/m'.
function pathOfFileURL(url: string): string {
  const path = url.slice(FILE_SCHEME.length);
  return /^\/[A-Za-z]:[\\/]/.test(path) ? path.slice(1) : path;
}
