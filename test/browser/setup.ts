import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-layers';  // registers the core ops' gradients
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
