import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the core ops' gradients
import * as tf from '@tensorflow/tfjs-core';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
