import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-layers'; // registers the core ops' gradients
import * as tf from '@tensorflow/tfjs-core';

import {adapterName, navigatorGpu} from '../shared/webgpu_adapter';

/** Switches to webgl with the given flags, on a fresh backend instance. */
export async function useWebGL(flags: {WEBGL_PACK: boolean}): Promise<void> {
  tf.env().set('WEBGL_PACK', flags.WEBGL_PACK);
  tf.env().set('WEBGL_CPU_FORWARD', false);
  if (tf.findBackendFactory('webgl') != null) tf.removeBackend('webgl');
  const {MathBackendWebGL} = await import('@tensorflow/tfjs-backend-webgl');
  tf.registerBackend('webgl', () => new MathBackendWebGL(), 2);
  if (!(await tf.setBackend('webgl'))) throw new Error('webgl backend failed to initialise');
}

/**
 * Runs `body` with `kernelName`'s kernel on `backendName` wrapped in a counter, and returns
 * how many times the kernel ran.
 */
export async function countKernelCalls(
  kernelName: string,
  backendName: string,
  body: () => Promise<unknown> | unknown
): Promise<number> {
  const config = tf.getKernel(kernelName, backendName);
  if (config == null) throw new Error(`no ${kernelName} kernel is registered for ${backendName}`);
  let calls = 0;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({...config, kernelFunc: args => (calls++, config.kernelFunc(args))});
  try {
    await body();
  } finally {
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(config);
  }
  return calls;
}

/**
 * Switches to tfjs-backend-webgpu (imported here, on first use, so that no other suite finds it registered) and
 * returns null, or returns why WebGPU cannot run in this browser: the caller marks its specs pending with that
 * reason rather than letting them pass. Prints the adapter when there is one.
 */
export async function useWebGPU(): Promise<string | null> {
  const flags = 'Chromium needs --enable-unsafe-webgpu --use-webgpu-adapter=swiftshader --enable-features=Vulkan';
  const gpu = navigatorGpu();
  if (gpu == null) return `WebGPU is unavailable: navigator.gpu is missing (${flags}, and a secure context)`;
  const adapter = await gpu.requestAdapter();
  if (adapter == null) return `WebGPU is unavailable: navigator.gpu.requestAdapter() returned null (${flags})`;
  console.log(`WebGPU adapter: ${adapterName(adapter)}`);
  await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu') == null)
    return 'WebGPU is unavailable: tfjs-backend-webgpu registered no backend';
  if (!(await tf.setBackend('webgpu'))) return 'WebGPU is unavailable: the webgpu backend failed to initialise';
  return null;
}

/** Why WebGPU cannot run here (null once it runs); set by the first suite that asks. */
let webGPUUnavailable: string | null | undefined;

/**
 * Switches the enclosing suite to webgpu (restoring the previous backend after it), or marks its specs pending
 * with the reason WebGPU cannot run here (printed once): never a silent pass.
 */
export function onWebGPU(): void {
  let previousBackend = '';
  beforeAll(async () => {
    previousBackend = tf.getBackend() ?? '';
    if (webGPUUnavailable === undefined) {
      webGPUUnavailable = await useWebGPU();
      if (webGPUUnavailable != null) console.warn(`every webgpu spec skipped: ${webGPUUnavailable}`);
      else console.log(`webgpu floatPrecision ${tf.backend().floatPrecision()}`);
    }
    if (webGPUUnavailable == null) await tf.setBackend('webgpu');
  });
  beforeEach(() => {
    if (webGPUUnavailable != null) pending(webGPUUnavailable);
  });
  afterAll(async () => {
    if (previousBackend !== '' && previousBackend !== tf.getBackend()) await tf.setBackend(previousBackend);
  });
}
