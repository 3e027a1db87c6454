import * as tf from '@tensorflow/tfjs-core';

import {useWebGL} from './setup';

describe('browser environment', () => {
  it('has a WebGL2 tfjs backend', async () => {
    await useWebGL({WEBGL_PACK: true});
    expect(tf.getBackend()).toBe('webgl');
    const flags = [
      'WEBGL_VERSION',
      'WEBGL_RENDER_FLOAT32_CAPABLE',
      'WEBGL_RENDER_FLOAT32_ENABLED',
      'WEBGL_DOWNLOAD_FLOAT_ENABLED',
      'WEBGL_PACK',
      'WEBGL_CPU_FORWARD',
    ];
    console.log(
      'webgl flags: ' +
        flags.map(f => `${f}=${tf.env().get(f)}`).join(' ') +
        ` floatPrecision=${tf.backend().floatPrecision()}`
    );
    expect(tf.env().getNumber('WEBGL_VERSION')).toBe(2);
  });
});
