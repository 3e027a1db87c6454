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
