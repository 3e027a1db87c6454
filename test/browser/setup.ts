import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-layers'; // registers the core ops' gradients
import * as tf from '@tensorflow/tfjs-core';

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
