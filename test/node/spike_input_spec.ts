// Models that take spike trains (issue 14, item 1): no encoder, input [batch, T, ...] (event frames, spike counts).
// The early exit (both policies), analysis.trace and analysis.energy take them, compared against the model run
// whole, layer by layer, in the test (./whole_run.ts), and against operation counts done here by hand.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {analysis, layers} from '../../src/index';
import {saveToMemory} from './io_helpers';
import {exitStepsOf, mean, runningMeans, softmaxMargin, wholeRun} from './whole_run';

const T = 5;
const CLASSES = 3;
const seeded = (seed: number) => tfl.initializers.glorotUniform({seed});

/** [batch, T, 6, 6, 2] event counts → conv → bntt → lif → flatten → dense → lif → dense → timeAverage. */
function spikeModel(time: number | null = T): tfl.Sequential {
  return tfl.sequential({
    layers: [
      layers.spikingConv2d({
        inputShape: [time, 6, 6, 2],
        filters: 4,
        kernelSize: 3,
        kernelInitializer: seeded(1),
        name: 'conv',
      } as never),
      // A time axis left open: BNTT is given the steps it has statistics and scales for.
      layers.bntt({name: 'bntt', ...(time == null ? {timeSteps: T} : {})}),
      layers.lif({leak: 0.9, threshold: 0.5, name: 'lif1'}),
      layers.spikingFlatten({name: 'flatten'}),
      layers.spikingDense({units: 10, kernelInitializer: seeded(2), name: 'fc'}),
      layers.lif({leak: 0.9, threshold: 0.4, name: 'lif2'}),
      layers.spikingDense({units: CLASSES, kernelInitializer: seeded(3), name: 'out'}),
      layers.timeAverage({name: 'readout'}),
    ],
  });
}

/** Event counts 0, 1 or 2 per pixel, polarity and step (about a third of them non-zero). */
function eventCounts(batch: number, time = T, seed = 5): tf.Tensor {
  return tf.tidy(() =>
    tf.floor(tf.mul(tf.relu(tf.randomUniform([batch, time, 6, 6, 2], -2, 1.5, 'float32', seed)), 2))
  );
}

describe('a model that takes spike trains (no encoder)', () => {
  const x = eventCounts(8);
  let model: tfl.Sequential;
  let whole: Map<string, number[][]>;
  beforeAll(() => {
    model = spikeModel();
    whole = wholeRun(model, x);
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  it('is fed event counts and spikes somewhere but not everywhere (else the comparisons below would be empty)', () => {
    const counts = Array.from(x.dataSync());
    expect(new Set(counts)).toEqual(new Set([0, 1, 2]));
    const rate = mean((whole.get('lif1') as unknown as number[][][]).flat(2));
    expect(rate).toBeGreaterThan(0.05);
    expect(rate).toBeLessThan(0.95);
  });

  it('runs the gamma early exit on the first steps of its input: the logits of the model on those steps', () => {
    // A BNTT scale below the threshold from step 4 on: the gamma rule runs 3 of the 5 steps.
    const bntt = model.getLayer('bntt');
    // Copies: getWeights returns the variables themselves, which setWeights overwrites.
    const original = bntt.getWeights().map(w => w.clone());
    const gamma = original[0].arraySync() as number[][];
    const lowered = tf.tensor2d(gamma.map((row, t) => row.map(v => (t >= 3 ? 0.05 : v))));
    bntt.setWeights([lowered, ...original.slice(1)]);
    try {
      const wrapper = layers.earlyExitWrapper({layer: model, policy: 'gamma', gammaThreshold: 0.1});
      expect(wrapper.timeSteps).toBe(T);
      expect(wrapper.exitStep()).toBe(3);
      // The model's layers applied, one after the other, to the first 3 steps only.
      const first3 = tf.slice(x, [0, 0], [-1, 3]);
      const expected = tf.tensor(wholeRun(model, first3).get('readout')!);
      tf.dispose(wrapper.apply(x) as tf.Tensor);
      const before = tf.memory().numTensors;
      const got = wrapper.apply(x) as tf.Tensor;
      expect(wrapper.lastExitSteps).toEqual(new Array(8).fill(3));
      expect(Array.from(got.dataSync())).toEqual(Array.from(expected.dataSync()));
      got.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([first3, expected]);
    } finally {
      bntt.setWeights(original);
      tf.dispose([lowered, ...original]);
    }
  });

  it("streams the confidence early exit: each input's logits are the whole run's running mean at its exit step", () => {
    const means = runningMeans(whole.get('out') as unknown as number[][][], CLASSES);
    const margins = means.map(steps => steps.map(softmaxMargin));
    const sorted = [...new Set(margins.flat())].sort((a, b) => a - b);
    let chosen: {threshold: number; steps: number[]} | null = null;
    for (let i = 1; i < sorted.length && chosen == null; i++) {
      if (sorted[i] - sorted[i - 1] < 1e-3) continue;
      const threshold = (sorted[i] + sorted[i - 1]) / 2;
      const steps = exitStepsOf(margins, threshold, 1);
      if (new Set(steps).size >= 2 && steps.some(s => s < T)) chosen = {threshold, steps};
    }
    expect(chosen).withContext('a threshold that spreads the exit steps').not.toBeNull();
    const wrapper = layers.earlyExitWrapper({
      layer: model,
      policy: 'confidence',
      confidenceThreshold: chosen!.threshold,
      patience: 1,
    });
    tf.dispose(wrapper.apply(x) as tf.Tensor);
    const before = tf.memory().numTensors;
    const logits = wrapper.apply(x) as tf.Tensor;
    expect(wrapper.lastExitSteps).toEqual(chosen!.steps);
    const got = logits.arraySync() as number[][];
    chosen!.steps.forEach((step, b) =>
      got[b].forEach((v, c) =>
        expect(v)
          .withContext(`input ${b}, class ${c}`)
          .toBeCloseTo(means[b][step - 1][c], 5)
      )
    );
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(x.isDisposed).toBeFalse(); // the input is streamed as it is, and left to its owner
  });

  it('saves and loads inside the wrapper, and gives the same logits', async () => {
    const wrapper = layers.earlyExitWrapper({layer: model, policy: 'confidence', confidenceThreshold: 0.3});
    const outer = tfl.sequential({layers: [wrapper]});
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(await saveToMemory(outer)));
    const [a, b] = [outer.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b]);
    loaded.dispose();
  });

  it("is traced with the input train first (role 'input'), then the neurons' spikes of the whole run", () => {
    const example = tf.slice(x, 2, 1);
    const before = tf.memory().numTensors;
    const traced = analysis.trace(model, example);
    expect(tf.memory().numTensors).toBe(before);
    expect(traced.layers.map(l => [l.layer, l.role, l.spikes])).toEqual([
      ['input', 'input', true],
      ['lif1', 'neuron', true],
      ['lif2', 'neuron', true],
    ]);
    expect(traced.layers[0].shape).toEqual([6, 6, 2]);
    const input = tf.tidy(() => tf.reshape(example, [T, -1]).arraySync()) as number[][];
    expect(traced.layers[0].values.map(v => Array.from(v))).toEqual(input);
    expect(traced.layers[1].values.map(v => Array.from(v))).toEqual((whole.get('lif1') as unknown as number[][][])[2]);
    example.dispose();
  });

  it('counts the input events as accumulates in analysis.energy (n events, n accumulates per synapse)', () => {
    const report = analysis.energy(model, x, {batchSize: 3});
    const conv = report.layers[0];
    // Per example: the mean count per input value, and 3·3·4 synapses fanning out of each input... counted here the
    // energy way: MACs of one pass (outputs · fan-in) times the input rate times T.
    const rate = mean(Array.from(x.dataSync()));
    expect(conv.analogInput).toBeFalse();
    expect(conv.inputRate).toBeCloseTo(rate, 6);
    expect(conv.annMACs).toBe(6 * 6 * 4 * (3 * 3 * 2));
    expect(conv.snnOps).toBeCloseTo(rate * 6 * 6 * 4 * 3 * 3 * 2 * T, 2);
    expect(conv.snnEnergy).toBeCloseTo(conv.snnOps * report.eAC, 2);
    // The same model fed analog values (not whole numbers) does multiply-accumulates.
    const analog = tf.add(x, 0.25);
    expect(analysis.energy(model, analog).layers[0].analogInput).toBeTrue();
    analog.dispose();
  });
});

describe('a model that takes spike trains of any length (time axis left open)', () => {
  it('takes T from each input in both early-exit policies; exitStep() asks for T', () => {
    const model = spikeModel(null);
    const gamma = layers.earlyExitWrapper({layer: model, policy: 'gamma'});
    expect(gamma.timeSteps).toBeNull();
    expect(() => gamma.exitStep()).toThrowError(
      /^earlyExitWrapper\.exitStep: argument 'timeSteps' must be an integer >= 1 .*got null/
    );
    expect(gamma.exitStep(7)).toBe(7);
    const confidence = layers.earlyExitWrapper({layer: model, policy: 'confidence', confidenceThreshold: 1});
    for (const steps of [3, T]) {
      const x = eventCounts(2, steps, steps);
      const full = model.predict(x) as tf.Tensor;
      const [g, c] = [gamma.apply(x) as tf.Tensor, confidence.apply(x) as tf.Tensor];
      expect(gamma.lastExitSteps).toEqual([steps, steps]);
      expect(confidence.lastExitSteps).toEqual([steps, steps]); // a margin above 1 never happens: all steps run
      expect(Array.from(g.dataSync())).toEqual(Array.from(full.dataSync()));
      Array.from(c.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(full.dataSync()[i], 5));
      tf.dispose([x, full, g, c]);
    }
    model.dispose();
  });
});

describe('earlyExitWrapper on a model without an encoder: bad models', () => {
  it('rejects an input that is not a train [batch, T, ...], naming the shape', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.flatten({inputShape: [6, 6]}), tfl.layers.dense({units: 3})],
    });
    expect(() => layers.earlyExitWrapper({layer: model})).toThrowError(
      /^earlyExitWrapper: argument 'layer' must be a spiking model ending with timeAverage .* from 'Flatten' to 'Dense'/
    );
    const noRole = tfl.sequential({
      layers: [tfl.layers.dense({inputShape: [4, 8], units: 3, name: 'plain'}), layers.timeAverage()],
    });
    expect(() => layers.earlyExitWrapper({layer: noRole})).toThrowError(
      /^earlyExitWrapper: argument 'layer' has no encoder, so it must take spike trains .* first layer 'plain' \(Dense\) has no role/
    );
    model.dispose();
    noRole.dispose();
  });
});
