// snn.analysis.neuronParameters and the "learnt neuron parameters" section of `tfjs-snn analyze` (issue 13, item 5):
// read from the neuron layers' weights by role, tested with a neuron defined here that learns a per-channel leak
// and a shared threshold (weights named `leak` and `threshold`, as the learnable lif names them).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {mkdtempSync, readFileSync, rmSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';

import {analyze, learntSummary} from '../../src/cli/analyze';
import {parseAnalyzeArgs} from '../../src/cli/args';
import {analysis, io, layers, ops} from '../../src/index';

/** U_t = leak·V_{t−1} + I_t (leak one per channel), S_t = spike(U_t, threshold), V_t = U_t − threshold·S_t. */
class LearntLeakNeuron extends layers.NeuronLayer {
  static className = 'TestLearntLeakNeuron';
  private leak: tfl.LayerVariable | null = null;
  private threshold: tfl.LayerVariable | null = null;

  constructor(args: {name?: string} = {}) {
    super(args, 'learntLeakNeuron');
  }

  build(inputShape: tfl.Shape | tfl.Shape[]): void {
    super.build(inputShape);
    const channels = (inputShape as number[])[(inputShape as number[]).length - 1];
    this.leak = this.addWeight('leak', [channels], 'float32', tfl.initializers.constant({value: 0.9}));
    this.threshold = this.addWeight('threshold', [], 'float32', tfl.initializers.constant({value: 1}));
  }

  get stateNames(): readonly string[] {
    return ['membrane'];
  }

  protected runNeurons(input: tf.Tensor, state: tf.Tensor[] | null) {
    const [leak, threshold] = [this.leak!.read(), this.threshold!.read()];
    const steps = tf.unstack(input, 1);
    let membrane = state?.[0] ?? tf.zerosLike(steps[0]);
    const spikes = steps.map(x => {
      const u = tf.add(tf.mul(leak, membrane), x);
      const s = ops.spike(u, {threshold});
      membrane = tf.sub(u, tf.mul(threshold, s));
      return s;
    });
    return {output: tf.stack(spikes, 1), state: [membrane]};
  }
}
// Registered so that `tfjs-snn analyze` can load a saved model holding it.
tf.serialization.registerClass(LearntLeakNeuron);

function learntModel(): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      layers.directEncoder({timeSteps: 2, inputShape: [28, 28, 1], name: 'encoder'}),
      layers.spikingConv2d({filters: 4, kernelSize: 3, strides: 4, name: 'conv'}),
      new LearntLeakNeuron({name: 'learnt'}),
      layers.spikingFlatten({name: 'flatten'}),
      layers.spikingDense({units: 10, name: 'out'}),
      layers.lif({name: 'fixed'}),
      layers.timeAverage({name: 'readout'}),
    ],
  });
  model.getLayer('learnt').setWeights([tf.tensor1d([0.5, 0.62, 0.93, 1]), tf.scalar(0.8)]);
  return model;
}

/** float64 statistics of the float32 values (the reference). */
function stats(values: number[]) {
  const v = values.map(Math.fround);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length);
  return {count: v.length, mean, std, min: Math.min(...v), max: Math.max(...v)};
}

describe('analysis.neuronParameters', () => {
  it('summarises every weight of every neuron layer, and lists layers that learn none with none', () => {
    const model = learntModel();
    const before = tf.memory().numTensors;
    const [learnt, fixed, ...rest] = analysis.neuronParameters(model, {bins: 5});
    expect(tf.memory().numTensors).toBe(before);
    expect(rest).toEqual([]);
    expect(fixed).toEqual({layer: 'fixed', parameters: []});
    expect(learnt.layer).toBe('learnt');
    const [leak, threshold] = learnt.parameters;
    expect([leak.name, leak.shape, threshold.name, threshold.shape]).toEqual(['leak', [4], 'threshold', []]);
    const expected = stats([0.5, 0.62, 0.93, 1]);
    expect(leak.count).toBe(expected.count);
    for (const key of ['mean', 'std', 'min', 'max'] as const)
      expect(leak[key]).withContext(key).toBeCloseTo(expected[key], 7);
    // Five bins of width 0.1 from 0.5 to 1: 0.5 | 0.62 | - | - | 0.93, 1 (the last bin holds the maximum).
    expect(leak.histogram.counts).toEqual([1, 1, 0, 0, 2]);
    leak.histogram.edges.forEach((e, i) => expect(e).toBeCloseTo(0.5 + 0.1 * i, 6));
    expect(threshold.count).toBe(1);
    expect([threshold.mean, threshold.std, threshold.min, threshold.max]).toEqual([
      Math.fround(0.8),
      0,
      Math.fround(0.8),
      Math.fround(0.8),
    ]);
    expect(threshold.histogram.counts).toEqual([1, 0, 0, 0, 0]);
    expect(analysis.neuronParameters(model)[0].parameters[0].histogram.counts.length).toBe(10); // default bins
    model.dispose();
  });

  it('reads weights by role, not by name: a synaptic layer is not a neuron layer', () => {
    const model = learntModel();
    const names = analysis.neuronParameters(model).map(l => l.layer);
    expect(names).toEqual(['learnt', 'fixed']);
    expect(analysis.neuronParameters(model).flatMap(l => l.parameters.map(p => p.name))).toEqual(['leak', 'threshold']);
    model.dispose();
  });

  let model: tfl.Sequential;
  beforeAll(() => (model = learntModel()));
  afterAll(() => model.dispose());
  it("reads the learnable lif's and plif's leak and threshold weights, and none for a fixed lif", () => {
    const net = tfl.sequential({
      layers: [
        layers.directEncoder({timeSteps: 2, inputShape: [3], name: 'encoder'}),
        layers.spikingDense({units: 3, name: 'fc1'}),
        layers.lif({learnLeak: true, learnThreshold: true, leak: [0.5, 0.7, 0.9], threshold: 0.8, name: 'learnable'}),
        layers.spikingDense({units: 3, name: 'fc2'}),
        layers.plif({leak: 0.6, name: 'parametric'}),
        layers.spikingDense({units: 3, name: 'fc3'}),
        layers.lif({name: 'fixed'}),
        layers.timeAverage(),
      ],
    });
    const summary = analysis.neuronParameters(net);
    expect(summary.map(l => [l.layer, l.parameters.map(p => [p.name, p.shape, p.count])])).toEqual([
      [
        'learnable',
        [
          ['leak', [3], 3],
          ['threshold', [], 1],
        ],
      ],
      ['parametric', [['leak', [], 1]]],
      ['fixed', []],
    ]);
    const leak = summary[0].parameters[0];
    expect([leak.min, leak.max]).toEqual([0.5, Math.fround(0.9)]);
    expect(leak.mean).toBeCloseTo(stats([0.5, 0.7, 0.9]).mean, 7);
    expect(summary[1].parameters[0].mean).toBe(Math.fround(0.6));
    net.dispose();
  });

  const cases: Array<[string, () => unknown, string]> = [
    [
      'no model',
      () => analysis.neuronParameters(null as never),
      "neuronParameters: argument 'model' must be a tf.LayersModel (e.g. from snn.models.small or tf.loadLayersModel); got null",
    ],
    [
      'zero bins',
      () => analysis.neuronParameters(model, {bins: 0}),
      "neuronParameters: option 'bins' must be an integer >= 1; got 0",
    ],
    [
      'fractional bins',
      () => analysis.neuronParameters(model, {bins: 2.5}),
      "neuronParameters: option 'bins' must be an integer >= 1; got 2.5",
    ],
    [
      'an unknown option',
      () => analysis.neuronParameters(model, {bin: 3} as never),
      "neuronParameters: unknown option 'bin'; expected bins",
    ],
    [
      'options that are not an object',
      () => analysis.neuronParameters(model, 3 as never),
      "neuronParameters: argument 'options' must be an object like {bins: 10}; got 3",
    ],
  ];
  for (const [what, run, message] of cases) {
    it(`rejects ${what} with no leaked tensor`, () => {
      const before = tf.memory().numTensors;
      expect(run).toThrowError(message);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe("tfjs-snn analyze's learnt neuron parameters", () => {
  let tmp: string;
  beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), 'tfjs-snn-neuron-parameters-'))));
  afterAll(async () => {
    rmSync(tmp, {recursive: true, force: true});
    await tf.setBackend('cpu');
  });

  it('shows each neuron layer\'s learnt leak and threshold, and "none learnt" for a layer with fixed ones', async () => {
    const model = learntModel();
    await model.save(io.fileSystem(join(tmp, 'model')));
    model.dispose();
    const written: string[] = [];
    const out = join(tmp, 'analysis');
    const args = ['--model', join(tmp, 'model'), '--backend', 'wasm', '--limit-test', '20', '--out', out];
    const report = await analyze(parseAnalyzeArgs(args), {write: text => written.push(text)});
    expect(report.neuronParameters.map(l => [l.layer, l.parameters.map(p => p.name)])).toEqual([
      ['learnt', ['leak', 'threshold']],
      ['fixed', []],
    ]);
    expect(report.neuronParameters[0].parameters[0].mean).toBeCloseTo(stats([0.5, 0.62, 0.93, 1]).mean, 6);
    expect(written.join('')).toContain(
      'learnt neuron parameters: learnt leak 0.763 ± 0.208, threshold 0.800; fixed none learnt\n'
    );
    expect(JSON.parse(readFileSync(join(out, 'analysis.json'), 'utf8')).neuronParameters).toEqual(
      JSON.parse(JSON.stringify(report.neuronParameters))
    );
    const html = readFileSync(join(out, 'analysis.html'), 'utf8');
    expect(html).toContain('<h2>Learnt neuron parameters</h2>');
    expect(html).toContain('<tr><td>learnt</td><td>leak</td><td>[4]</td><td>4</td><td>0.7625</td>');
    expect(html).toContain('<tr><td>learnt</td><td>threshold</td><td>shared</td><td>1</td><td>0.8000</td>');
    expect(html).toContain('<tr><td>fixed</td><td>none learnt</td>');
  }, 120000);

  it('says "none learnt" in one line for a model whose neurons learn nothing', () => {
    expect(learntSummary([{layer: 'lif1', parameters: []}])).toBe('none learnt');
    expect(learntSummary([])).toBe('none learnt');
  });
});
