import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {LIF, LIF_GRAD} from '../../kernels/lif_attrs';
import {layers, ops} from '../../src/index';
import {lifCases} from '../reference/lif_cases';
import {randomArray, relativeMaxError} from '../reference/lif_reference';
import {
  checkLifCase,
  expectLargePerChannelTrainMatchesReference,
  expectLifLeavesNoTensors,
  expectMatchesReference,
} from '../shared/lif_check';
import {expectKernelMatches, kernelErrors} from '../shared/lif_kernel_check';
import {expectNaNIsolatedToItsNeuron, expectNaNKeptFromOtherParameterGradients} from '../shared/lif_nan_check';
import {
  BAD_SURROGATES,
  expectBadSurrogateRejected,
  expectFailingFusedGradientFreesTape,
} from '../shared/lif_surrogate_check';
import {
  checkNeuronCase,
  expectNeuronMatchesReference,
  expectNeuronOpsLeakFree,
  neuronCases,
} from '../shared/neurons_check';
import {countKernelCalls, onWebGPU} from './setup';

// The webgl suites' checks on tfjs-backend-webgpu (Chromium with --enable-unsafe-webgpu, SwiftShader's Vulkan
// adapter). Where WebGPU cannot be created every spec here is marked pending with the reason: never a silent pass.
// Reads are asynchronous (data(), not dataSync()): with dataSync() in one spec, every later spec failed in
// createBuffer ('too large for the implementation when mappedAtCreation == true') under SwiftShader.
const cases = lifCases();

describe('SnnLif/SnnLifGrad webgpu kernels with per-neuron leak and threshold', () => {
  onWebGPU();
  for (const c of cases.filter((_, i) => i % 2 === 0)) {
    it(c.name, async () => {
      expectKernelMatches(await kernelErrors(c));
    });
  }
});

describe('ops.lif webgpu kernel against the float64 reference', () => {
  onWebGPU();
  for (const c of cases) {
    it(c.name, async () => {
      expect(tf.getBackend()).toBe('webgpu');
      expectMatchesReference(await checkLifCase(c, 'kernel'));
    });
  }
});

describe('ops.ifNeuron webgpu kernel against the float64 reference', () => {
  onWebGPU();
  for (const c of cases.filter(k => k.leak === 1)) {
    it(c.name, async () => {
      expectMatchesReference(await checkLifCase(c, 'kernel', 'ifNeuron'));
    });
  }
});

// Other lengths than the reference set's, long ones included: the whole train runs in one invocation.
const timeCases = lifCases()
  .filter(c => c.time === 25)
  .slice(0, 12)
  .map((c, i) => {
    const time = [1, 3, 7, 50, 65, 130][i % 6];
    return {...c, time, name: c.name.replace('T=25', `T=${time}`)};
  });

describe('ops.lif webgpu kernel at other lengths', () => {
  onWebGPU();
  for (const c of timeCases) {
    it(c.name, async () => {
      expectMatchesReference(await checkLifCase(c, 'kernel'));
    });
  }
});

describe('ops.lif composite path on webgpu', () => {
  onWebGPU();
  for (const c of cases.filter((_, i) => i % 8 === 1)) {
    it(c.name, async () => {
      expectMatchesReference(await checkLifCase(c, 'composite'));
    });
  }
});

describe('ops.lif on webgpu: bad custom surrogates and a failing backward kernel', () => {
  onWebGPU();
  for (const [what, surrogate, message] of BAD_SURROGATES) {
    it(`rejects ${what} naming the surrogate, and leaks nothing`, () =>
      expectBadSurrogateRejected('auto', surrogate, message));
  }
  it('a failing fused backward kernel (webgpu) leaks nothing', () => expectFailingFusedGradientFreesTape('webgpu'));
});

// The neuron family runs step by step on core ops: on webgpu, each core op as tfjs-backend-webgpu's shader.
describe('neurons against the float64 reference on webgpu', () => {
  onWebGPU();
  for (const c of neuronCases().filter((_, i) => i % 2 === 0)) {
    it(c.name, async () => {
      expectNeuronMatchesReference(await checkNeuronCase(c));
    });
  }
  it('keeps tf.memory().numTensors flat over forward+backward', () => {
    expectNeuronOpsLeakFree();
  });
});

describe('ops.lif webgpu kernel behaviour', () => {
  onWebGPU();

  it("runs the webgpu kernels themselves ('auto' picks them)", async () => {
    const x = tf.tensor(randomArray(2 * 6 * 5, 8, -0.2, 0.9), [2, 6, 5]);
    let backwardCalls = 0;
    const forwardCalls = await countKernelCalls(LIF, 'webgpu', async () => {
      backwardCalls = await countKernelCalls(LIF_GRAD, 'webgpu', async () => {
        const dx = tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs)))(x);
        await dx.data();
        dx.dispose();
      });
    });
    expect([forwardCalls, backwardCalls]).toEqual([1, 1]);
    x.dispose();
  });

  it('reuses compiled pipelines when shapes, leak, threshold (numbers or tensors), alpha and vReset change', async () => {
    const run = async (shape: number[], leak: number[], threshold: number, alpha: number, vReset: number) => {
      const x = tf.tensor(
        randomArray(
          shape.reduce((a, b) => a * b, 1),
          3,
          -0.2,
          0.9
        ),
        shape
      );
      const l = tf.tensor(leak);
      const loss = (xs: tf.Tensor, ls: tf.Tensor) =>
        tf.sum(ops.lif(xs, {leak: ls, threshold, alpha, vReset, resetMode: 'zero'}));
      const grads = tf.grads(loss)([x, l]);
      await Promise.all(grads.map(g => g.data()));
      tf.dispose([x, l, ...grads]);
    };
    // tfjs-backend-webgpu keeps compiled pipelines in pipelineCache, keyed by shaderKey (ours start with snnLif),
    // the inputs' ranks and dtypes. The core ops around the kernel may compile new ones for a new rank.
    const cacheSize = () =>
      Object.keys((tf.backend() as unknown as {pipelineCache: object}).pipelineCache).filter(k =>
        k.startsWith('snnLif')
      ).length;
    await run([2, 9, 4], [0.9, 0.8, 1, 0.5], 1, 0.3, 0);
    const compiled = cacheSize();
    await run([3, 5, 4], [0.2, 0.4, 0.6, 0.8], 0.7, 0.1, -0.2);
    await run([1, 30, 2, 3], [0.5, 1, 0.9], 2, 1, 0.3);
    expect(cacheSize()).toBe(compiled);
  });

  it('keeps tf.memory().numTensors flat over forward+backward, with tensor leak and threshold', () =>
    expectLifLeavesNoTensors());

  it('handles NaN like the cpu kernel: no spikes, NaN membrane and gradient for that neuron only', () =>
    expectNaNIsolatedToItsNeuron());

  it('keeps a NaN current to its own neuron in the leak and threshold gradients', () =>
    expectNaNKeptFromOtherParameterGradients());

  it('matches the float64 reference on a larger train (batch 16, T 30, per-channel leak and threshold)', () =>
    expectLargePerChannelTrainMatchesReference());

  it('saves a model trained on webgpu that predicts the same on cpu', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({units: 6, inputShape: [5, 4]}),
        layers.lif({leak: [0.9, 0.8, 0.95, 0.7, 1, 0.85], learnLeak: true, learnThreshold: true}),
        tfl.layers.flatten(),
        tfl.layers.dense({units: 3}),
      ],
    });
    model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
    const x = tf.tensor(randomArray(8 * 5 * 4, 31, 0, 1.5), [8, 5, 4]);
    const y = tf.tensor(randomArray(8 * 3, 32, -1, 1), [8, 3]);
    let lifCalls = 0;
    const gradCalls = await countKernelCalls(LIF_GRAD, 'webgpu', async () => {
      lifCalls = await countKernelCalls(LIF, 'webgpu', () => model.fit(x, y, {epochs: 3, batchSize: 8, verbose: 0}));
    });
    expect(lifCalls).toBeGreaterThan(0);
    expect(gradCalls).toBe(3);
    const gpuPrediction = model.predict(x) as tf.Tensor;
    const gpuValues = await gpuPrediction.data();
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async a => {
        artifacts = a;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      })
    );
    const xValues = await x.data();
    tf.dispose([x, y, gpuPrediction]);
    model.dispose();
    await tf.setBackend('cpu');
    try {
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
      const cpuX = tf.tensor(xValues, [8, 5, 4]);
      const cpuPrediction = loaded.predict(cpuX) as tf.Tensor;
      expect(relativeMaxError(await cpuPrediction.data(), gpuValues)).toBeLessThan(1e-5);
      tf.dispose([cpuX, cpuPrediction]);
      loaded.dispose();
    } finally {
      await tf.setBackend('webgpu');
    }
  });

  it('times fused and composite forward+backward at [32, 25, 1024] (printed, not asserted)', async () => {
    const x = tf.tensor(randomArray(32 * 25 * 1024, 9, -0.2, 0.9), [32, 25, 1024]);
    const time = async (implementation: 'kernel' | 'composite') => {
      const step = async () => {
        const dx = tf.grad((xs: tf.Tensor) => tf.sum(ops.lif(xs, {implementation})))(x);
        await dx.data();
        dx.dispose();
      };
      await step(); // compiles
      const runs = 3;
      const start = performance.now();
      for (let i = 0; i < runs; i++) await step();
      return (performance.now() - start) / runs;
    };
    const fused = await time('kernel');
    const composite = await time('composite');
    console.log(
      `lif_webgpu_spec: forward+backward at [32, 25, 1024] on webgpu: fused ${fused.toFixed(1)} ms, ` +
        `composite ${composite.toFixed(1)} ms (${(composite / fused).toFixed(1)}×)`
    );
    x.dispose();
  });
});
