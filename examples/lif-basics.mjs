// A leaky integrate-and-fire layer of 4 neurons driven for 25 steps, with a
// surrogate gradient back through time. Run after `npm run build`:
//   node examples/lif-basics.mjs
import * as tf from '@tensorflow/tfjs';
import {ops} from 'tfjs-snn';

// Currents for 2 samples, 25 time steps, 4 neurons: [batch, time, features].
const currents = tf.tidy(() => tf.mul(tf.randomUniform([2, 25, 4], 0, 1, 'float32', 42), 0.5));

// Spikes (0/1) with the BNTT defaults: leak 0.95, threshold 1, subtract reset, triangle surrogate.
const spikes = ops.lif(currents);
console.log(
  'spike counts per neuron:',
  tf.tidy(() => tf.sum(spikes, 1).arraySync())
);

// The gradient of any loss of the spikes flows back through all 25 steps.
const w = tf.randomNormal([2, 25, 4], 0, 1, 'float32', 7);
const dCurrents = tf.grad(x => tf.sum(tf.mul(ops.lif(x), w)))(currents);
console.log(
  'dLoss/dCurrents at t = 0:',
  tf.tidy(() => tf.slice(dCurrents, [0, 0, 0], [1, 1, 4]).dataSync())
);

// Streaming: feed the train in chunks, carrying the membrane between calls.
let membrane;
const chunks = tf.split(currents, 5, 1);
const parts = [];
for (const chunk of chunks) {
  const out = ops.lifWithState(chunk, {initialMembrane: membrane});
  membrane?.dispose();
  membrane = out.membrane;
  parts.push(out.spikes);
}
const streamed = tf.concat(parts, 1);
const same = tf.tidy(() => tf.all(tf.equal(streamed, spikes)).dataSync()[0] === 1);
console.log('chunked spikes equal the one-call spikes:', same);

tf.dispose([currents, spikes, w, dCurrents, membrane, streamed, ...chunks, ...parts]);
console.log('tensors still allocated:', tf.memory().numTensors);
