/**
 * Kernels that replace one of a backend's own (wasm's, webgl's), keeping it for the
 * cases they do not cover. The replaced config is kept on ours: it marks ours, so that
 * registering again (or from a second copy of the package: hence Symbol.for) does
 * not wrap our own kernel as the fallback.
 */
import {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';

const REPLACED = Symbol.for('tfjs-snn.replacedKernel');

/** Our config for `builtIn`'s kernel: `kernelFunc` gets the built-in one to hand cases to. */
export function replacementOf(builtIn: KernelConfig, kernelFunc: (builtIn: KernelFunc) => KernelFunc): KernelConfig {
  const config: KernelConfig = {
    kernelName: builtIn.kernelName,
    backendName: builtIn.backendName,
    kernelFunc: kernelFunc(builtIn.kernelFunc),
  };
  // The built-in kernel's setup (e.g. wasm's function bindings) must still run when the backend starts.
  if (builtIn.setupFunc != null) config.setupFunc = builtIn.setupFunc;
  if (builtIn.disposeFunc != null) config.disposeFunc = builtIn.disposeFunc;
  (config as unknown as Record<symbol, KernelConfig>)[REPLACED] = builtIn;
  return config;
}

/** The kernel `config` replaced (the backend's own), or null if `config` is not one of ours. */
export function replacedKernel(config: KernelConfig): KernelConfig | null {
  return (config as unknown as Record<symbol, KernelConfig>)[REPLACED] ?? null;
}
