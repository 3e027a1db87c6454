// Train a spiking network on event-camera recordings in Node.js and export it to NIR, the graph format in which
// snnTorch, Norse, Sinabs, Rockpool, Lava and SpiNNaker2 exchange models; then load the file back and check that
// it predicts what the trained model does. Run after `npm run build`:
//   node examples/nir-events.mjs [file.nir] [--train 2000] [--epochs 5]
// The playground's models/synthetic-events.nir is this program's output with its defaults (docs/nir.md).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as snn from 'tfjs-snn';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at < 0 ? fallback : Number(args.splice(at, 2)[1]);
};
const trainCount = flag('--train', 2000);
const epochs = flag('--epochs', 5);
const file = args[0] ?? 'synthetic-events.nir';
const T = 4; // time steps: each recording becomes 4 frames of ON/OFF event counts
const DT = 1e-3; // seconds per step: the neurons' decays become NIR time constants with it

await tf.setBackend('wasm');
const tensorsAtStart = tf.memory().numTensors;

// Ten shapes moved along saccades over a 32×32 ON/OFF sensor (generated; the test set has its own seed).
const train = snn.data.syntheticEvents({samples: trainCount, seed: 0});
const test = snn.data.syntheticEvents({samples: 300, seed: 1});
const [width, height, polarities] = train.sensorSize;

// Only what NIR expresses: no encoder (the frames are the spike trains), no BNTT, NIR's reset to zero, and a
// leaky-integrator readout whose membrane, averaged over the steps, gives the logits.
let seed = 0;
const init = () => tf.initializers.glorotUniform({seed: ++seed}); // seeded: the same weights every run
const network = tf.sequential({
  layers: [
    snn.layers.spikingConv2d({
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      useBias: true,
      kernelInitializer: init(),
      inputShape: [T, height, width, polarities],
    }),
    snn.layers.lif({leak: 0.9, resetMode: 'zero'}),
    snn.layers.spikingAvgPool2d({poolSize: 2}),
    snn.layers.spikingConv2d({filters: 32, kernelSize: 3, padding: 'same', useBias: true, kernelInitializer: init()}),
    snn.layers.lif({leak: 0.9, resetMode: 'zero'}),
    snn.layers.spikingAvgPool2d({poolSize: 2}),
    snn.layers.spikingFlatten(),
    snn.layers.spikingDense({units: train.classes.length, useBias: true, kernelInitializer: init()}),
    snn.layers.li({leak: 0.9}),
  ],
});
// Training needs logits [batch, classes]: the readout's mean over time. NIR has no timeAverage, so the file holds
// `network` and the loader adds the mean back (readout: 'timeAverage').
const classifier = tf.model({inputs: network.inputs, outputs: snn.layers.timeAverage().apply(network.outputs[0])});
classifier.compile({
  optimizer: tf.train.adam(3e-3),
  loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits),
  metrics: ['accuracy'],
});

for (let epoch = 0; epoch < epochs; epoch++) {
  let [seen, correct] = [0, 0];
  for (const {x, y} of snn.data.eventBatches(train, {timeSteps: T, batchSize: 32, shuffle: true, seed: 1, epoch})) {
    const [, accuracy] = await classifier.trainOnBatch(x, y);
    correct += accuracy * x.shape[0];
    seen += x.shape[0];
    tf.dispose([x, y]);
  }
  console.log(`epoch ${epoch + 1}/${epochs}: training accuracy ${(correct / seen).toFixed(3)}`);
}

/** Logits of the test recordings and the fraction classified correctly. */
function evaluate(model) {
  const {x, y} = snn.data.eventTensors(test, {timeSteps: T});
  const logits = model.predict(x, {batchSize: 100});
  const accuracy = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'float32')));
  const result = {logits: logits.dataSync(), accuracy: accuracy.dataSync()[0]};
  tf.dispose([x, y, logits, accuracy]);
  return result;
}
const trained = evaluate(classifier);
console.log(`test accuracy on ${test.samples.length} recordings: ${trained.accuracy.toFixed(3)}`);

// The file: Conv2d, LIF, AvgPool2d, Flatten, Affine and LI nodes (in Node.js `path` also writes it).
const bytes = await snn.io.nir.save(network, {dt: DT, path: file});
const graph = await snn.io.nir.read(bytes);
const types = [...new Set(Object.values(graph.nodes).map(n => n.type))].sort();
console.log(`wrote ${file} (${bytes.length} bytes), NIR nodes ${types.join(', ')}`);

// Back from the file, with T fixed and the mean over time after the readout: the same predictions.
const reloaded = await snn.io.nir.load(file, {dt: DT, timeSteps: T, readout: 'timeAverage'});
const again = evaluate(reloaded);
const largest = again.logits.reduce((m, v, i) => Math.max(m, Math.abs(v - trained.logits[i])), 0);
console.log(`re-imported: test accuracy ${again.accuracy.toFixed(3)}, largest logit difference ${largest}`);

reloaded.dispose();
classifier.optimizer.dispose();
classifier.dispose();
console.log(`tensors still allocated: ${tf.memory().numTensors - tensorsAtStart}`);
