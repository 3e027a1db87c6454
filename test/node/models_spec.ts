import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {layers, models} from '../../src/index';

const classNames = (model: tfl.LayersModel) => model.layers.map(l => l.getClassName().replace(/^Snn/, ''));

/** Parameters of the reference's PyTorch model, counted from its definition (weights, BN weight/running stats). */
function referenceParameterCount(
  convs: Array<[number, number]>,
  fcIn: number,
  hidden: number,
  classes: number,
  T: number
) {
  const convWeights = convs.reduce((n, [cin, cout]) => n + 9 * cin * cout, 0);
  const bnChannels = convs.reduce((n, [, cout]) => n + cout, 0) + hidden;
  return {
    trainable: convWeights + fcIn * hidden + hidden * classes + T * bnChannels, // kernels + per-step gammas
    nonTrainable: 2 * T * bnChannels, // running mean and variance
  };
}

function countParams(model: tfl.LayersModel) {
  const count = (ws: tfl.LayerVariable[]) =>
    ws.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
  return {trainable: count(model.trainableWeights), nonTrainable: count(model.nonTrainableWeights)};
}

describe('models', () => {
  it('vgg9 is the reference SNN_VGG9_BNTT: layer order, shapes and parameter count on CIFAR', () => {
    const model = models.vgg9({inputShape: [32, 32, 3], numClasses: 10, timeSteps: 5});
    const block = ['SpikingConv2d', 'Bntt', 'Lif'];
    expect(classNames(model)).toEqual([
      'PoissonEncoder',
      ...block,
      ...block,
      'SpikingAvgPool2d',
      ...block,
      ...block,
      'SpikingAvgPool2d',
      ...block,
      ...block,
      ...block,
      'SpikingAvgPool2d',
      'SpikingFlatten',
      'SpikingDense',
      'Bntt',
      'Lif',
      'SpikingDense',
      'TimeAverage',
    ]);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    expect(countParams(model)).toEqual(
      referenceParameterCount(
        [
          [3, 64],
          [64, 64],
          [64, 128],
          [128, 128],
          [128, 256],
          [256, 256],
          [256, 256],
        ],
        4 * 4 * 256,
        1024,
        10,
        5
      )
    );
    const lifLayer = model.layers.find(l => l.getClassName() === 'SnnLif')!;
    expect(lifLayer.getConfig()).toEqual(jasmine.objectContaining({leak: 0.95, threshold: 1}));
    model.dispose();
  });

  it('vgg11 is the reference SNN_VGG11_BNTT, with the adaptive average pool to 1×1 and leak 0.99', () => {
    const model = models.vgg11({inputShape: [32, 32, 3], numClasses: 100, timeSteps: 2});
    const names = classNames(model);
    expect(names.filter(n => n === 'SpikingConv2d').length).toBe(8);
    expect(names.filter(n => n === 'SpikingAvgPool2d').length).toBe(5);
    const lastPool = model.layers.filter(l => l.getClassName() === 'SnnSpikingAvgPool2d').pop()!;
    expect(lastPool.getConfig()).toEqual(jasmine.objectContaining({poolSize: [2, 2]}));
    expect(lastPool.outputShape).toEqual([null, 2, 1, 1, 512]);
    expect(countParams(model)).toEqual(
      referenceParameterCount(
        [
          [3, 64],
          [64, 128],
          [128, 256],
          [256, 256],
          [256, 512],
          [512, 512],
          [512, 512],
          [512, 512],
        ],
        512,
        4096,
        100,
        2
      )
    );
    expect(model.layers.find(l => l.getClassName() === 'SnnLif')!.getConfig()).toEqual(
      jasmine.objectContaining({leak: 0.99})
    );
    model.dispose();
  });

  it('small: conv 32, pool, conv 64, pool, dense 256 for 28×28; direct input, T 6', () => {
    const model = models.small({inputShape: [28, 28, 1], numClasses: 10});
    expect(classNames(model)).toEqual([
      'DirectEncoder',
      'SpikingConv2d',
      'Bntt',
      'Lif',
      'SpikingAvgPool2d',
      'SpikingConv2d',
      'Bntt',
      'Lif',
      'SpikingAvgPool2d',
      'SpikingFlatten',
      'SpikingDense',
      'Bntt',
      'Lif',
      'SpikingDense',
      'TimeAverage',
    ]);
    expect(model.layers[0].outputShape).toEqual([null, 6, 28, 28, 1]);
    expect(model.layers[10].outputShape).toEqual([null, 6, 256]);
    model.dispose();
  });

  it("normalization 'batchnorm' shares one set of statistics over time; 'none' has no normalization", () => {
    const shared = models.small({inputShape: [8, 8, 1], numClasses: 3, normalization: 'batchnorm'});
    const norms = shared.layers.filter(l => l.getClassName() === 'SnnSpikingBatchNorm');
    expect(norms.length).toBe(3);
    expect(norms[0].weights[0].shape).toEqual([1, 32]);
    const none = models.small({inputShape: [8, 8, 1], numClasses: 3, normalization: 'none'});
    expect(classNames(none).some(n => n.includes('Norm') || n === 'Bntt')).toBeFalse();
    shared.dispose();
    none.dispose();
  });

  it('kernels are xavier-uniform with gain 2: U(±2·sqrt(6/(fanIn+fanOut))), fans as PyTorch computes them', () => {
    const model = models.small({inputShape: [28, 28, 1], numClasses: 10, seed: 3});
    // The layers with kernels, by class (their names follow the reference's: conv1, fc1, ...).
    const kernelLayers = model.layers.filter(
      l => l instanceof layers.SpikingConv2d || l instanceof layers.SpikingDense
    );
    const kernels = kernelLayers.flatMap(l => l.trainableWeights);
    expect(kernelLayers.length).toBe(2 + 2); // conv 32, conv 64, dense 256, the readout
    expect(kernels.map(w => w.shape)).toEqual([
      [3, 3, 1, 32],
      [3, 3, 32, 64],
      [7 * 7 * 64, 256],
      [256, 10],
    ]);
    for (const weight of kernels) {
      const shape = weight.shape as number[];
      const receptive = shape.length === 4 ? shape[0] * shape[1] : 1;
      const [fanIn, fanOut] = [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
      const bound = 2 * Math.sqrt(6 / (fanIn + fanOut));
      const values = Array.from(weight.read().dataSync());
      const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const rms = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
      expect(max).withContext(weight.name).toBeLessThanOrEqual(bound);
      expect(max)
        .withContext(weight.name)
        .toBeGreaterThan(0.9 * bound);
      expect(rms / (bound / Math.sqrt(3)))
        .withContext(weight.name)
        .toBeCloseTo(1, 1);
    }
    model.dispose();
  });

  it('a seed makes the initial weights reproducible; weightDecay puts the regularizer on kernels and gammas', () => {
    const weights = (m: tfl.LayersModel) => m.getWeights().map(w => Array.from(w.dataSync()));
    const [a, b] = [1, 2].map(() => models.small({inputShape: [8, 8, 1], numClasses: 2, seed: 9}));
    expect(weights(a)).toEqual(weights(b));
    const regularized = a.layers.filter(l => JSON.stringify(l.getConfig()).includes('"className":"L1L2"'));
    expect(regularized.length).toBe(2 + 1 + 3 + 1); // 2 conv kernels, the hidden dense, 3 bntt gammas, the readout
    const plain = models.small({inputShape: [8, 8, 1], numClasses: 2, weightDecay: 0});
    expect(JSON.stringify(plain.layers.map(l => l.getConfig()))).not.toContain('L1L2');
    [a, b, plain].forEach(m => m.dispose());
  });

  it("with encoder 'none' take spike trains [batch, T, ...inputShape]: the direct model's output on the frame repeated", () => {
    // Same seed, same layers after the encoder: the direct encoder repeats the image T times, which is what the
    // encoder-less model is fed here by hand.
    const options = {inputShape: [8, 8, 2] as [number, number, number], numClasses: 3, timeSteps: 3, seed: 4};
    for (const build of [models.small, models.vgg9]) {
      const direct = build({...options, encoder: 'direct'});
      const none = build({...options, encoder: 'none'});
      expect(none.inputs[0].shape).toEqual([null, 3, 8, 8, 2]);
      expect(none.layers.map(l => l.name)).toEqual(direct.layers.slice(1).map(l => l.name));
      expect(layers.isEncoder(none.layers[0])).toBeFalse();
      const x = tf.randomUniform([2, 8, 8, 2], 0, 1, 'float32', 5);
      const train = tf.stack([x, x, x], 1);
      const [a, b] = [direct.predict(x) as tf.Tensor, none.predict(train) as tf.Tensor];
      expect(b.shape).toEqual([2, 3]);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, train, a, b]);
      direct.dispose();
      none.dispose();
    }
  });

  it('small takes sides not divisible by 4 (34 × 34, N-MNIST): its poolings floor them, 34 → 17 → 8', () => {
    const model = models.small({inputShape: [34, 34, 2], numClasses: 10, timeSteps: 2, encoder: 'none'});
    expect(model.getLayer('flatten').outputShape).toEqual([null, 2, 8 * 8 * 64]);
    const out = model.predict(tf.zeros([1, 2, 34, 34, 2])) as tf.Tensor;
    expect(out.shape).toEqual([1, 10]);
    out.dispose();
    model.dispose();
    expect(() => models.small({inputShape: [3, 28, 1], numClasses: 2})).toThrowError(
      "small: option 'inputShape' must have height and width of at least 4; got [3, 28, …]"
    );
  });

  it('runs forward and backward on a batch without leaking tensors', () => {
    const model = models.small({inputShape: [8, 8, 1], numClasses: 3, timeSteps: 2, encoder: 'poisson', seed: 1});
    const x = tf.randomUniform([4, 8, 8, 1]);
    const step = () => {
      const {value, grads} = tf.variableGrads(() => tf.sum(model.apply(x, {training: true}) as tf.Tensor) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('neuron: every kind builds its layers after each normalization, named by kind, and trains without leaks', () => {
    const expected: {[kind: string]: {className: string; learnt: string[]}} = {
      lif: {className: 'SnnLif', learnt: []},
      plif: {className: 'SnnLif', learnt: ['leak']},
      if: {className: 'SnnIfNeuron', learnt: []},
      alif: {className: 'SnnAlif', learnt: []},
      cubaLif: {className: 'SnnCubaLif', learnt: []},
    };
    expect([...models.NEURONS].sort() as string[]).toEqual(Object.keys(expected).sort());
    for (const kind of models.NEURONS) {
      const model = models.small({inputShape: [8, 8, 1], numClasses: 3, timeSteps: 2, neuron: kind, seed: 1});
      const neurons = model.layers.filter(layers.isNeuron);
      expect(neurons.map(l => l.name))
        .withContext(kind)
        .toEqual([`${kind}1`, `${kind}2`, `${kind}3`]);
      expect(neurons.map(l => l.getClassName()))
        .withContext(kind)
        .toEqual(new Array(3).fill(expected[kind].className));
      const learnt = neurons.flatMap(l => l.trainableWeights.map(w => w.originalName.split('/').pop()));
      expect(learnt)
        .withContext(kind)
        .toEqual(expected[kind].learnt.flatMap(name => [name, name, name]));
      // Every neuron follows a normalization.
      for (const l of neurons) {
        const index = model.layers.indexOf(l);
        expect(layers.isNormalization(model.layers[index - 1]))
          .withContext(`${kind} ${l.name}`)
          .toBeTrue();
      }
      const x = tf.randomUniform([4, 8, 8, 1]);
      const step = () => {
        const {value, grads} = tf.variableGrads(
          () => tf.sum(model.apply(x, {training: true}) as tf.Tensor) as tf.Scalar
        );
        tf.dispose([value, ...Object.values(grads)]);
      };
      step();
      const before = tf.memory().numTensors;
      step();
      expect(tf.memory().numTensors).withContext(kind).toBe(before);
      x.dispose();
      model.dispose();
    }
  });

  const bad: Array<[string, () => unknown, string | RegExp]> = [
    [
      'no options',
      () => models.vgg9(undefined as never),
      'vgg9: expects options like {inputShape: [32, 32, 3], numClasses: 10}; got undefined',
    ],
    [
      'a 2-D input shape',
      () => models.small({inputShape: [28, 28] as never, numClasses: 10}),
      "small: option 'inputShape' must be [height, width, channels] with integers >= 1; got [28,28]",
    ],
    [
      'sides not divisible by 8',
      () => models.vgg9({inputShape: [28, 28, 1], numClasses: 10}),
      "vgg9: option 'inputShape' must have height and width divisible by 8 (the pooling stages halve them); got [28, 28, …]",
    ],
    [
      'an unknown normalization',
      () => models.small({inputShape: [28, 28, 1], numClasses: 10, normalization: 'layer' as never}),
      "small: option 'normalization' must be one of 'bntt', 'batchnorm', 'none'; got 'layer'",
    ],
    [
      'an unknown neuron',
      () => models.small({inputShape: [28, 28, 1], numClasses: 10, neuron: 'izhikevich' as never}),
      "small: option 'neuron' must be one of 'lif', 'plif', 'if', 'alif', 'cubaLif'; got 'izhikevich'",
    ],
    [
      'a misspelt option',
      () => models.small({inputShape: [28, 28, 1], numClasses: 10, timesteps: 4} as never),
      "small: unknown option 'timesteps'; expected one of inputShape, numClasses, timeSteps, neuron, leak, threshold, encoder, normalization, weightDecay, seed",
    ],
    [
      'zero classes',
      () => models.vgg11({inputShape: [32, 32, 3], numClasses: 0}),
      "vgg11: option 'numClasses' must be an integer >= 1; got 0",
    ],
    // Sizes over 2^31 - 1 elements per tensor, checked before the layers allocate; nothing is left behind.
    [
      'timeSteps 2^31',
      () => models.small({inputShape: [28, 28, 1], numClasses: 10, timeSteps: 2 ** 31}),
      "small: option 'timeSteps' must be an integer <= 2147483647 (a tensor holds at most 2^31 - 1 elements); " +
        'got 2147483648',
    ],
    [
      'numClasses 2^31',
      () => models.small({inputShape: [28, 28, 1], numClasses: 2 ** 31}),
      "small: option 'numClasses' must be an integer <= 2147483647 (a tensor holds at most 2^31 - 1 elements); " +
        'got 2147483648',
    ],
    [
      'an encoder output over the limit',
      () => models.small({inputShape: [28, 28, 1], numClasses: 10, timeSteps: 2e8}),
      "SnnDirectEncoder 'encoder': the output of shape [null, 200000000, 28, 28, 1] would hold 156800000000 " +
        'elements for one example, more than the limit of 2147483647 (2^31 - 1) elements per tensor; argument ' +
        "'timeSteps' (200000000) is too large",
    ],
    [
      'a readout kernel over the limit',
      () => models.small({inputShape: [28, 28, 1], numClasses: 1e9}),
      /SnnSpikingDense 'fc2': the kernel of shape \[\d+, 1000000000\] would hold \d+ elements, more than the limit of 2147483647 \(2\^31 - 1\) elements per tensor; argument 'units' \(1000000000\) is too large/,
    ],
  ];
  for (const [what, run, message] of bad) {
    it(`${what} → a clear Error, no leaked tensors`, () => {
      const before = tf.memory().numTensors;
      expect(run).toThrowError(message as string);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
