/**
 * Node.js built-ins, reached only when a call needs them, so that browser bundles never load them
 * (io.fileSystem, the dataset readers, the bundled subset's folder).
 */
import * as tf from '@tensorflow/tfjs-core';

export function isNode(): boolean {
  return tf.env().getBool('IS_NODE');
}

interface BuiltinProcess {
  getBuiltinModule?: (id: string) => unknown;
}

function builtinProcess(): BuiltinProcess | undefined {
  return (globalThis as unknown as {process?: BuiltinProcess}).process;
}

/** A built-in module: `process.getBuiltinModule` where Node has it (20.16+, 22.3+), else a dynamic import. */
export function importBuiltin<T>(specifier: string): Promise<T> {
  const proc = builtinProcess();
  if (typeof proc?.getBuiltinModule === 'function') {
    return Promise.resolve(proc.getBuiltinModule(specifier) as T);
  }
  // Node < 20.16. tsc rejects import() under this package's module setting (ES2015),
  // and hiding it from bundlers keeps them from resolving node: modules for the browser.
  const dynamicImport = new Function('specifier', 'return import(specifier)');
  return (dynamicImport as (id: string) => Promise<T>)(specifier);
}

/** A built-in module, synchronously, where Node has `process.getBuiltinModule`; null elsewhere. */
export function builtinSync<T>(specifier: string): T | null {
  const proc = builtinProcess();
  return typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule(specifier) as T) : null;
}

// This module's file: CommonJS (the Node bundle, the UMD bundle under require, tsc's test build) has __filename;
// the ES module bundle defines TFJS_SNN_MODULE_URL = import.meta.url (rollup.config.js).
declare const __filename: string | undefined;
declare const TFJS_SNN_MODULE_URL: string | undefined;

interface NodeUrl {
  fileURLToPath(url: string): string;
}

/**
 * The file of tfjs-snn's module in Node (the bundle, or tsc's build of this file), from which the package finds its
 * own data and resolves its peer packages; null in a browser.
 */
export function moduleFile(): string | null {
  if (typeof __filename === 'string') return __filename;
  if (typeof TFJS_SNN_MODULE_URL === 'string' && TFJS_SNN_MODULE_URL.startsWith('file:')) {
    const url = builtinSync<NodeUrl>('node:url');
    if (url != null) return url.fileURLToPath(TFJS_SNN_MODULE_URL);
    const path = decodeURIComponent(new URL(TFJS_SNN_MODULE_URL).pathname);
    return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path; // file:///C:/… on Windows
  }
  return null;
}
