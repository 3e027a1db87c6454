/** Node.js built-ins, reached only when a call needs them, so that browser bundles never load them. */
import * as tf from '@tensorflow/tfjs-core';

export function isNode(): boolean {
  return tf.env().getBool('IS_NODE');
}

export function importBuiltin<T>(specifier: string): Promise<T> {
  const proc = (globalThis as unknown as {process?: {getBuiltinModule?: (id: string) => T}}).process;
  if (typeof proc?.getBuiltinModule === 'function') {
    return Promise.resolve(proc.getBuiltinModule(specifier));
  }
  // Node < 20.16. tsc rejects import() under this package's module setting (ES2015),
  // and hiding it from bundlers keeps them from resolving node: modules for the browser.
  const dynamicImport = new Function('specifier', 'return import(specifier)');
  return (dynamicImport as (id: string) => Promise<T>)(specifier);
}
