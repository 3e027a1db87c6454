// The neuron contract's proof (issue 13, item 1): a neuron defined only here, in the test, and never registered
// with the package or with tfjs serialization, passes through every consumer of neurons (the confidence early
// exit, analysis.trace, analysis.spikeRates, analysis.energy, callbacks.spikeRateMonitor) with the results of
// running the model whole, layer by layer, here in the test; and without leaking tensors.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {analysis, callbacks, layers, ops} from '../../src/index';
import {exitStepsOf, mean, runningMeans, softmaxMargin, wholeRun} from './whole_run';

/**
 * A current-based neuron with two state tensors, written only with core ops and `ops.spike`:
 * J_t = 0.6·J_{t−1} + I_t (a synaptic trace); U_t = 0.8·V_{t−1} + J_t; S_t = spike(U_t, 0.5);
 * V_t = U_t − 0.5·S_t.
 */
class TwoStateNeuron extends layers.NeuronLayer {
  static className = 'TestTwoStateNeuron'; // deliberately not registered (serialization.registerClass)

  constructor(args: {name?: string; stateful?: boolean} = {}) {
    super(args, 'twoStateNeuron');
  }

  get stateNames(): readonly string[] {
    return ['current', 'membrane'];
  }

  protected runNeurons(input: tf.Tensor, state: tf.Tensor[] | null) {
    const steps = tf.unstack(input, 1);
    let [current, membrane] = state ?? [tf.zerosLike(steps[0]), tf.zerosLike(steps[0])];
    const spikes: tf.Tensor[] = [];
    for (const x of steps) {
      current = tf.add(tf.mul(current, 0.6), x);
      const u = tf.add(tf.mul(membrane, 0.8), current);
      const s = ops.spike(u, {threshold: 0.5});
      membrane = tf.sub(u, tf.mul(s, 0.5));
      spikes.push(s);
    }
    return {output: tf.stack(spikes, 1), state: [current, membrane]};
  }
}

const T = 6;
const CLASSES = 3;
const seeded = (seed: number) => tfl.initializers.glorotUniform({seed});

/** encoder → conv → bntt → the test neuron → flatten → dense → bntt → lif → dense → timeAverage. */
function contractModel(middle: tfl.layers.Layer[] = []): tfl.Sequential {
  return tfl.sequential({
    layers: [
      layers.directEncoder({timeSteps: T, inputShape: [6, 6, 1], name: 'encoder'}),
      layers.spikingConv2d({filters: 4, kernelSize: 3, kernelInitializer: seeded(1), name: 'conv'}),
      layers.bntt({name: 'bntt1'}),
      new TwoStateNeuron({name: 'mine'}),
      ...middle,
      layers.spikingFlatten({name: 'flatten'}),
      layers.spikingDense({units: 12, kernelInitializer: seeded(2), name: 'fc'}),
      layers.bntt({name: 'bntt2'}),
      layers.lif({leak: 0.9, threshold: 0.5, name: 'lif'}),
      layers.spikingDense({units: CLASSES, kernelInitializer: seeded(3), name: 'out'}),
      layers.timeAverage({name: 'readout'}),
    ],
  });
}

describe('a neuron defined only in a test (the neuron contract)', () => {
  const x = tf.randomNormal([8, 6, 6, 1], 0, 1, 'float32', 7);
  let model: tfl.Sequential;
  let whole: Map<string, number[][]>;
  afterAll(() => {
    x.dispose();
    model.dispose();
  });
  beforeAll(() => {
    model = contractModel();
    whole = wholeRun(model, x);
  });

  it('is not known to the package or to tfjs serialization, and declares the neuron role', () => {
    const mine = model.getLayer('mine');
    expect(tf.serialization.SerializationMap.getMap().classNameMap['TestTwoStateNeuron']).toBeUndefined();
    expect(layers.isNeuron(mine)).toBeTrue();
    expect(layers.emitsSpikes(mine)).toBeTrue();
    expect((mine as TwoStateNeuron).stateNames).toEqual(['current', 'membrane']);
    // It spikes, but not everywhere: the comparisons below would be empty otherwise.
    const rate = mean((whole.get('mine') as unknown as number[][][]).flat(2));
    expect(rate).toBeGreaterThan(0.05);
    expect(rate).toBeLessThan(0.95);
  });

  it('streams in pieces (runFrom, and stateful: true) to what one run over the whole train gives', () => {
    const train = tf.randomUniform([2, 7, 5], -0.5, 1.5, 'float32', 3);
    const [a, b] = [tf.slice(train, [0, 0, 0], [-1, 3, -1]), tf.slice(train, [0, 3, 0], [-1, 4, -1])];
    const values = (t: tf.Tensor) => Array.from(t.dataSync());
    const neuron = new TwoStateNeuron({name: 'streamed'});
    const before = tf.memory().numTensors;
    const whole = neuron.runFrom(train, null);
    const first = neuron.runFrom(a, null);
    const rest = neuron.runFrom(b, first.state);
    expect(values(first.output).concat(values(rest.output)).length).toBe(values(whole.output).length);
    const pieces = tf.concat([first.output, rest.output], 1);
    expect(values(pieces)).toEqual(values(whole.output));
    expect(rest.state.map(values)).toEqual(whole.state.map(values)); // current and membrane
    tf.dispose([whole.output, ...whole.state, first.output, ...first.state, rest.output, ...rest.state, pieces]);
    expect(tf.memory().numTensors).toBe(before);
    // The base's stateful mode carries both state tensors from call to call.
    const stateful = new TwoStateNeuron({name: 'carried', stateful: true});
    const [outA, outB] = [stateful.apply(a) as tf.Tensor, stateful.apply(b) as tf.Tensor];
    const streamed = tf.concat([outA, outB], 1);
    const once = neuron.apply(train) as tf.Tensor;
    expect(values(streamed)).toEqual(values(once));
    expect(stateful.states?.length).toBe(2);
    stateful.resetStates();
    tf.dispose([a, b, train, outA, outB, streamed, once]);
  });

  it("runs through the confidence early exit: each input's logits are the whole run's running mean at its exit step", () => {
    const readoutInput = whole.get('out') as unknown as number[][][];
    const means = runningMeans(readoutInput, CLASSES);
    const margins = means.map(steps => steps.map(softmaxMargin));
    // A threshold, half-way between two margins of the whole run, at which the inputs exit at different steps
    // (some before the last): otherwise the test would not see the state carried from step to step.
    const sorted = [...new Set(margins.flat())].sort((a, b) => a - b);
    let chosen: {threshold: number; patience: number; steps: number[]} | null = null;
    for (const patience of [2, 1]) {
      for (let i = 1; i < sorted.length && chosen == null; i++) {
        if (sorted[i] - sorted[i - 1] < 1e-3) continue;
        const threshold = (sorted[i] + sorted[i - 1]) / 2;
        const steps = exitStepsOf(margins, threshold, patience);
        if (new Set(steps).size >= 3 && steps.some(s => s < T - 1)) chosen = {threshold, patience, steps};
      }
      if (chosen != null) break;
    }
    expect(chosen).withContext('a threshold that spreads the exit steps').not.toBeNull();
    const {threshold, patience, steps} = chosen!;
    const wrapper = layers.earlyExitWrapper({
      layer: model,
      policy: 'confidence',
      confidenceThreshold: threshold,
      patience,
    });
    tf.dispose(wrapper.apply(x) as tf.Tensor);
    const before = tf.memory().numTensors;
    const logits = wrapper.apply(x) as tf.Tensor;
    expect(wrapper.lastExitSteps).toEqual(steps);
    const got = logits.arraySync() as number[][];
    steps.forEach((step, b) => {
      const expected = means[b][step - 1];
      got[b].forEach((v, c) =>
        expect(v).withContext(`input ${b}, class ${c}, exit step ${step}`).toBeCloseTo(expected[c], 5)
      );
    });
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The gamma policy (all T steps here: the BNTT scales are 1) gives the whole run's logits.
    const gamma = layers.earlyExitWrapper({layer: model, policy: 'gamma'});
    const full = gamma.apply(x) as tf.Tensor;
    const fullRows = full.arraySync() as number[][];
    fullRows.forEach((row, b) => row.forEach((v, c) => expect(v).toBeCloseTo(means[b][T - 1][c], 5)));
    full.dispose();
  });

  it("appears in analysis.trace with the whole run's spikes at every step", () => {
    for (const example of [0, 5]) {
      const image = tf.slice(x, example, 1);
      const before = tf.memory().numTensors;
      const traced = analysis.trace(model, image);
      expect(tf.memory().numTensors).toBe(before);
      image.dispose();
      expect(traced.layers.map(l => l.layer)).toEqual(['encoder', 'mine', 'lif']);
      const mine = traced.layers[1];
      expect([mine.role, mine.spikes, mine.className, mine.shape]).toEqual([
        'neuron',
        true,
        'TestTwoStateNeuron',
        [6, 6, 4],
      ]);
      const expected = (whole.get('mine') as unknown as number[][][])[example];
      expect(mine.values.map(v => Array.from(v))).toEqual(expected);
      const means = runningMeans([(whole.get('out') as unknown as number[][][])[example]], CLASSES)[0];
      traced.logits.forEach((row, t) => row.forEach((v, c) => expect(v).toBeCloseTo(means[t][c], 5)));
    }
  });

  it("has the whole run's firing rate in analysis.spikeRates, overall and per step", () => {
    const before = tf.memory().numTensors;
    const rates = analysis.spikeRates(model, x, {batchSize: 3});
    expect(tf.memory().numTensors).toBe(before);
    expect(rates.map(r => r.layer)).toEqual(['mine', 'lif']);
    const spikes = whole.get('mine') as unknown as number[][][];
    const perStep = Array.from({length: T}, (_, t) => mean(spikes.flatMap(example => example[t])));
    expect(rates[0].neurons).toBe(6 * 6 * 4);
    rates[0].perStep.forEach((r, t) => expect(r).withContext(`step ${t}`).toBeCloseTo(perStep[t], 6));
    expect(rates[0].rate).toBeCloseTo(mean(perStep), 6);
  });

  it('has its spikes counted by analysis.energy in the synaptic layer after it', () => {
    const before = tf.memory().numTensors;
    const report = analysis.energy(model, x, {batchSize: 5});
    expect(tf.memory().numTensors).toBe(before);
    expect(report.layers.map(l => [l.layer, l.analogInput])).toEqual([
      ['conv', true],
      ['fc', false],
      ['out', false],
    ]);
    const rateOf = (name: string) => mean((whole.get(name) as unknown as number[][][]).flat(2));
    const fc = report.layers[1];
    expect(fc.inputRate).toBeCloseTo(rateOf('mine'), 6);
    expect(fc.annMACs).toBe(12 * 144);
    expect(fc.snnOps).toBeCloseTo(rateOf('mine') * 12 * 144 * T, 3);
    expect(report.layers[2].inputRate).toBeCloseTo(rateOf('lif'), 6);
  });

  it('is monitored by callbacks.spikeRateMonitor during fit: the logged rate is the rate of its training spikes', async () => {
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), CLASSES);
    const trained = contractModel();
    trained.compile({optimizer: tf.train.sgd(0), loss: (t, p) => tf.losses.softmaxCrossEntropy(t, p)});
    // What fit's forward pass computes: every layer in training mode (BNTT normalises with the batch's statistics).
    const training = wholeRun(trained, x, true);
    const expected = mean((training.get('mine') as unknown as number[][][]).flat(2));
    expect(expected).toBeGreaterThan(0);
    const fit = () =>
      trained.fit(x, y, {epochs: 2, batchSize: 8, callbacks: [callbacks.spikeRateMonitor()], verbose: 0});
    const history = await fit();
    const before = tf.memory().numTensors;
    await fit(); // the monitor's counters and the neuron's recorder are released
    expect(tf.memory().numTensors).toBe(before);
    const logged = (history.history['spikeRate/mine'] ?? []) as number[];
    expect(logged.length).toBe(2);
    for (const rate of logged) expect(rate).toBeCloseTo(expected, 6);
    expect(history.history['spikeRate/lif']).toBeDefined();
    y.dispose();
    trained.dispose();
  });

  it('is trained by fit through ops.spike: its loss falls', async () => {
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), CLASSES);
    const trained = contractModel();
    trained.compile({optimizer: tf.train.adam(0.02), loss: (t, p) => tf.losses.softmaxCrossEntropy(t, p)});
    const history = await trained.fit(x, y, {epochs: 15, batchSize: 8, verbose: 0});
    const loss = history.history['loss'] as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.8);
    y.dispose();
    trained.dispose();
  });
});

describe('the confidence early exit and a layer without a role', () => {
  it("throws naming the layer; the gamma policy takes it and gives the whole run's logits", () => {
    const model = contractModel([tfl.layers.activation({activation: 'linear', name: 'plain'})]);
    expect(() => layers.earlyExitWrapper({layer: model, policy: 'confidence'})).toThrowError(
      /^earlyExitWrapper: argument 'layer' has layer 'plain' \(Activation\), which declares no role the early exit can stream/
    );
    const x = tf.randomNormal([3, 6, 6, 1], 0, 1, 'float32', 9);
    const gamma = layers.earlyExitWrapper({layer: model, policy: 'gamma'});
    const [full, wrapped] = [model.predict(x) as tf.Tensor, gamma.apply(x) as tf.Tensor];
    expect(Array.from(wrapped.dataSync())).toEqual(Array.from(full.dataSync()));
    tf.dispose([x, full, wrapped]);
    model.dispose();
  });
});
