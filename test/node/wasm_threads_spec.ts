// snn.useThreadedWasm: tfjs-backend-wasm's threaded build in Node. The threaded backend replaces the process's
// 'wasm' backend, so it runs in a child process and its results are compared with the single-threaded backend's
// in this one.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {spawnSync} from 'child_process';
import * as path from 'path';

import {WINOGRAD_DENSITY} from '../../kernels/wasm/winograd';
import {useBackend} from '../../src/cli/backend';
import {useThreadedWasm} from '../../src/index';
import {ThreadCaseOutputs, threadCaseOutputs} from './wasm_threads_helpers';

const THREADS = 2;
/** test/node/setup.ts: set, this process's wasm backend is the threaded one. */
const WASM_THREADS = process.env.TFJS_SNN_WASM_THREADS;
/** What the child prints when the threads cannot be started here (the spec is then skipped with it). */
const CANNOT_START = `useThreadedWasm: could not start`;

function maxRelativeDiff(actual: number[], expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  return Math.max(0, ...actual.map((a, i) => Math.abs(a - expected[i]) / scale));
}

const BUILD = path.resolve(__dirname, '..', '..');

/**
 * Runs `body` (JavaScript with `tf`, `snn` and `helpers` in scope, resolving with a JSON-able value) in a child
 * process; returns what it resolved with (or the error) and how the child ended. The child must exit by itself
 * (XNNPACK's waiting threads must not keep it alive).
 */
function runChild<T>(body: string): {result?: T; error?: string; exit: string} {
  const code = `
    require('@tensorflow/tfjs-backend-cpu');
    const tf = require('@tensorflow/tfjs-core');
    const snn = require(${JSON.stringify(path.join(BUILD, 'src/index.js'))});
    const helpers = require(${JSON.stringify(path.join(__dirname, 'wasm_threads_helpers.js'))});
    (async () => { ${body} })()
      .then(result => console.log(JSON.stringify({result})))
      .catch(e => console.log(JSON.stringify({error: String(e && e.message)})));`;
  const run = spawnSync(process.execPath, ['-e', code], {
    encoding: 'utf8',
    timeout: 60000,
    maxBuffer: 256 * 2 ** 20,
  });
  const exit = run.signal != null ? `ended by ${run.signal}` : `exit code ${run.status}`;
  const last = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return {...JSON.parse(last), exit};
  } catch {
    return {error: `the child printed ${JSON.stringify(run.stdout)}; stderr ${run.stderr}`, exit};
  }
}

describe('useThreadedWasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs a convolution, a prediction and a training step as the single-threaded wasm backend does', async () => {
    const threaded = runChild<{
      threads: number;
      backend: string;
      outputs: ThreadCaseOutputs;
      sparseCalls: number;
      workerParts: number;
      winogradLimits: unknown;
    }>(`
      const threads = await snn.useThreadedWasm({threads: ${THREADS}});
      const conv = require(${JSON.stringify(path.join(BUILD, 'kernels/wasm/conv2d.js'))});
      const workers = require(${JSON.stringify(path.join(BUILD, 'kernels/wasm/simd/program_workers.js'))});
      const winograd = require(${JSON.stringify(path.join(BUILD, 'kernels/wasm/winograd.js'))});
      const outputs = await helpers.threadCaseOutputs();
      return {threads, backend: tf.getBackend(), outputs,
        sparseCalls: conv.sparseConvCalls(), workerParts: workers.programWorkerRuns(),
        winogradLimits: conv.sparseConvLimits(tf.backend(), true)};`);
    if (threaded.error?.startsWith(CANNOT_START)) {
      pending(`threads cannot be started here: ${threaded.error}`);
      return;
    }
    expect(threaded.error).toBeUndefined();
    expect(threaded.exit).toBe('exit code 0');
    expect(threaded.result?.threads).toBe(THREADS);
    expect(threaded.result?.backend).toBe('wasm');
    expect(await tf.setBackend('wasm')).toBe(true);
    const single = await threadCaseOutputs();
    const outputs = threaded.result!.outputs;
    expect(maxRelativeDiff(outputs.conv2d, single.conv2d)).toBeLessThanOrEqual(1e-5);
    // The sparse convolution ran, its second half of the images on tfjs-snn's program worker, with equal results.
    expect(threaded.result!.sparseCalls).toBeGreaterThan(0);
    expect(threaded.result!.workerParts).toBeGreaterThan(0);
    expect(outputs.sparseConv2d).toEqual(single.sparseConv2d);
    // The filter gradient over non-zeros ran, its second range of channels on the worker, with equal results.
    expect(outputs.sparseFilterGradCalls).toBe(1);
    expect(single.sparseFilterGradCalls).toBe(1);
    expect(outputs.sparseFilterGradWorkerParts).toBe(1);
    expect(single.sparseFilterGradWorkerParts).toBe(0);
    expect(outputs.sparseFilterGrad).toEqual(single.sparseFilterGrad);
    // LIF: the second half of the batch rows on the worker in each of three calls (the forward, and tf.grads'
    // forward and backward), with equal results.
    expect(outputs.lifWorkerParts).toBe(3);
    expect(single.lifWorkerParts).toBe(0);
    expect(outputs.lif).toEqual(single.lif);
    // Winograd, with equal results: the forward, the conv inside tf.grads and the input gradient each give the
    // second half of their tiles to the worker whole (one part each); the filter gradient's one chunk gives it the
    // second half of the tiles in each of its two transforms and the second half of the 36 planes' products.
    expect(single.winogradCalls).toBe(4);
    expect(outputs.winogradCalls).toBe(4);
    expect(single.winogradWorkerParts).toBe(0);
    expect(outputs.winogradWorkerParts).toBe(6);
    expect(outputs.winogradChunked).toEqual(single.winogradChunked);
    // The filter gradient sums in blocks of 32 tiles whatever its chunks: the same bits.
    expect(outputs.winogradFilterGradChunked).toEqual(single.winogradFilterGradChunked);
    expect(outputs.winograd).toEqual(single.winograd);
    // On threads, where Winograd splits too, the sparse convolution stops where Winograd wins, as on one thread.
    expect(threaded.result!.winogradLimits).toEqual(WINOGRAD_DENSITY.conv);
    expect(maxRelativeDiff(outputs.predict, single.predict)).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(outputs.loss - single.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(single.loss)));
    expect(maxRelativeDiff(outputs.weights, single.weights)).toBeLessThanOrEqual(1e-5);
  }, 180000);

  it('is what tfjs-snn --threads N starts on the wasm backend', () => {
    const cli = runChild<{name: string; backend: string; threads: number}>(`
      const {useBackend} = require(${JSON.stringify(path.join(BUILD, 'src/cli/backend.js'))});
      const name = await useBackend('wasm', ${THREADS});
      return {name, backend: tf.getBackend(), threads: require('@tensorflow/tfjs-backend-wasm').getThreadsCount()};`);
    if (cli.error?.startsWith(CANNOT_START)) {
      pending(`threads cannot be started here: ${cli.error}`);
      return;
    }
    expect(cli.error).toBeUndefined();
    expect(cli.result).toEqual({name: 'wasm', backend: 'wasm', threads: THREADS});
    expect(cli.exit).toBe('exit code 0');
  });

  it('tfjs-snn --threads: refuses a backend other than wasm', async () => {
    const before = tf.memory().numTensors;
    await expectAsync(useBackend('cpu', 2)).toBeRejectedWithError(
      '--threads 2: only the wasm backend takes it; the backend here is cpu'
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad options, naming the option, the value and what it expects', async () => {
    const before = tf.memory().numTensors;
    for (const [options, message] of [
      [{threads: 0}, "option 'threads' must be an integer from 1 to 8; got 0"],
      [{threads: 9}, "option 'threads' must be an integer from 1 to 8; got 9"],
      [{threads: 1.5}, "option 'threads' must be an integer from 1 to 8; got 1.5"],
      [{threads: '2'}, "option 'threads' must be an integer from 1 to 8; got '2'"],
      [{thread: 2}, "unknown option 'thread'; expected threads"],
      [2, 'options must be an object {threads?}; got 2'],
    ] as const) {
      await expectAsync(useThreadedWasm(options as never)).toBeRejectedWithError(`useThreadedWasm: ${message}`);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to replace a wasm backend that has started, and leaves it working', async () => {
    if (WASM_THREADS != null) {
      pending('TFJS_SNN_WASM_THREADS: the wasm backend of this process is the threaded one');
      return;
    }
    expect(await tf.setBackend('wasm')).toBe(true);
    const before = tf.memory().numTensors;
    await expectAsync(useThreadedWasm({threads: 2})).toBeRejectedWithError(
      /^useThreadedWasm: the wasm backend has already started, single-threaded, and cannot change now; call useThreadedWasm\({threads: 2}\) before anything starts it/
    );
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0])).toBe(6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says it is for Node.js only elsewhere', async () => {
    tf.env().set('IS_NODE', false);
    try {
      await expectAsync(useThreadedWasm()).toBeRejectedWithError(/^useThreadedWasm: Node.js only\. In a browser /);
    } finally {
      tf.env().set('IS_NODE', true);
    }
  });
});
