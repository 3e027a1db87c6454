/**
 * Saves two trained models with io.fileSystem, as a Node user would, plus the
 * predictions Node makes after loading them back, for the browser suite to
 * compare against (build/browser/node-models/). Run by `npm run test:browser`.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {analyze} from '../../src/cli/analyze';
import {parseAnalyzeArgs} from '../../src/cli/args';
import {io, layers, models} from '../../src/index';
import {buildFixtureModel, fixtureInputs} from '../shared/bntt_conformance';

const OUT = 'build/browser/node-models';

/** A Poisson-coded model on analog input: its seeded encoder must draw the same spikes in Chromium. */
function poissonModel(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(layers.poissonEncoder({timeSteps: 6, seed: 11, inputShape: [20]}));
  model.add(layers.spikingDense({units: 16, kernelInitializer: tfl.initializers.glorotUniform({seed: 3})}));
  model.add(layers.bntt());
  model.add(layers.lif({leak: 0.9}));
  model.add(layers.spikingDense({units: 4, kernelInitializer: tfl.initializers.glorotUniform({seed: 4})}));
  model.add(layers.timeAverage());
  return model;
}

async function trainSaveAndPredict(name: string, model: tfl.Sequential, x: tf.Tensor, y: tf.Tensor) {
  model.compile({optimizer: tf.train.sgd(0.1), loss: (t, p) => tf.losses.softmaxCrossEntropy(t, p)});
  await model.fit(x, y, {epochs: 2, batchSize: x.shape[0], verbose: 0});
  const dir = join(OUT, name);
  await model.save(io.fileSystem(dir));
  const loaded = await tfl.loadLayersModel(io.fileSystem(dir));
  const prediction = loaded.predict(x) as tf.Tensor;
  writeFileSync(
    join(dir, 'expected.json'),
    JSON.stringify({
      input: {shape: x.shape, values: Array.from(await x.data())},
      prediction: {shape: prediction.shape, values: Array.from(await prediction.data())},
    })
  );
  tf.dispose([prediction]);
  loaded.dispose();
  model.dispose();
}

async function main() {
  await tf.setBackend('cpu');
  mkdirSync(OUT, {recursive: true});
  const {spikes, oneHot} = fixtureInputs();
  await trainSaveAndPredict('bntt-fixture', buildFixtureModel(), spikes, oneHot);
  const analog = tf.randomUniform([8, 20], -2, 2, 'float32', 5);
  const labels = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4), 'float32');
  await trainSaveAndPredict('poisson', poissonModel(), analog, labels);
  console.log(`saved 2 models with Node predictions under ${OUT}`);
  await writeAnalysisReport();
}

/** A `tfjs-snn analyze` report (analysis.html with its SVG charts) for the browser to render. */
async function writeAnalysisReport() {
  const dir = join(OUT, 'analysis-run');
  const model = models.small({inputShape: [28, 28, 1], numClasses: 10, timeSteps: 3, seed: 2});
  await model.save(io.fileSystem(join(dir, 'model')));
  model.dispose();
  await analyze(parseAnalyzeArgs(['--model', dir, '--limit-test', '24', '--backend', 'cpu']), {write: () => true});
  console.log(`wrote ${join(dir, 'analysis', 'analysis.html')}`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
