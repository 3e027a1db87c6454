// Build, train and save a small BNTT spiking network (Kim & Panda 2021) on synthetic data:
// the program of docs/guide.md, plus a check that it leaves no tensors behind.
// Run after `npm run build`:   node examples/bntt-guide.mjs   (writes the model to ./my-snn)
import * as tf from '@tensorflow/tfjs';
import * as snn from 'tfjs-snn';

const tensorsAtStart = tf.memory().numTensors;

// 256 noisy 12×12 images; one quadrant is bright, and which one (0–3) is the class.
const quadrants = tf.tensor4d(
  Array.from({length: 4 * 144}, (_, i) =>
    // [4, 12, 12, 1] masks
    Number((i % 144 >= 72) * 2 + (i % 12 >= 6) === Math.floor(i / 144))
  ),
  [4, 12, 12, 1]
);
const [x, y] = tf.tidy(() => {
  const labels = tf.randomUniform([256], 0, 4, 'int32', 1);
  const noise = tf.randomUniform([256, 12, 12, 1], 0, 0.6, 'float32', 2);
  return [tf.add(noise, tf.gather(quadrants, labels)), tf.cast(tf.oneHot(labels, 4), 'float32')];
});

const decay = snn.regularizers.weightDecay(1e-4); // = PyTorch SGD weight_decay=1e-4
const model = tf.sequential({
  layers: [
    snn.layers.directEncoder({timeSteps: 4, inputShape: [12, 12, 1]}), // → [batch, 4, 12, 12, 1]
    snn.layers.spikingConv2d({filters: 8, kernelSize: 3, kernelRegularizer: decay}),
    snn.layers.bntt({gammaRegularizer: decay}),
    snn.layers.lif({name: 'lif1'}),
    snn.layers.spikingAvgPool2d({poolSize: 2}), // → [batch, 4, 6, 6, 8]
    snn.layers.spikingFlatten(), // → [batch, 4, 288]
    snn.layers.spikingDense({units: 32, kernelRegularizer: decay}),
    snn.layers.bntt({gammaRegularizer: decay}),
    snn.layers.lif({name: 'lif2'}),
    snn.layers.spikingDense({units: 4, kernelRegularizer: decay}),
    snn.layers.timeAverage(), // → [batch, 4] logits
  ],
});
model.compile({
  optimizer: tf.train.adam(0.01),
  metrics: ['accuracy'],
  loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits),
});
const epochs = 5;
const history = await model.fit(x, y, {
  epochs,
  batchSize: 32,
  callbacks: [snn.callbacks.stepDecay({epochs}), snn.callbacks.spikeRateMonitor()],
});
const last = key => history.history[key][epochs - 1].toFixed(3);
console.log(`final training accuracy: ${last('acc')}`);
console.log(`spike rates: lif1 ${last('spikeRate/lif1')}, lif2 ${last('spikeRate/lif2')}`);

await model.save(snn.io.fileSystem('./my-snn')); // ./my-snn/model.json + weights.bin
const loaded = await tf.loadLayersModel(snn.io.fileSystem('./my-snn'));
const same = tf.tidy(() => tf.all(tf.equal(model.predict(x), loaded.predict(x))).dataSync()[0] === 1);
console.log(`reloaded predictions identical: ${same}`);

tf.dispose([quadrants, x, y]);
model.optimizer.dispose(); // an optimizer instance passed to compile belongs to the caller
model.dispose();
loaded.dispose();
console.log(`tensors still allocated after cleanup: ${tf.memory().numTensors - tensorsAtStart}`);
