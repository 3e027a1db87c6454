/**
 * A dense layer's three products on wasm, one thread: tfjs-snn's products program (kernels/wasm/batch_mat_mul.ts)
 * against wasm's own kernel (XNNPACK's fully-connected operator, with tfjs-snn's transposed copies where an
 * operand is transposed), on the dense layers of `snn.models.small` (T 6, batch 64) and of VGG9 (T 4, batch 16).
 * The weights are a new tensor at every call, as in training, where every step updates them: XNNPACK packs the
 * weights of each new tensor (it caches the packed weights of a tensor it has seen; the "cached" column repeats
 * one tensor, as prediction with fixed weights does).
 *
 *   npx esbuild bench/wasm_dense.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-dense.cjs && node build/bench-wasm-dense.cjs
 *
 * Times are the best of the timed calls; the last column is the largest difference between the two results
 * relative to the largest value.
 */
import '@tensorflow/tfjs-backend-wasm';
import '../kernels/register';

import * as tf from '@tensorflow/tfjs-core';
import {cpus, loadavg} from 'node:os';

import {productsMatMulCalls, setProductsMatMulEnabled} from '../kernels/wasm/batch_mat_mul';
import {relativeMaxError} from '../test/reference/lif_reference';

const CALLS = 6;

/** A cached time, or a dash where the product has no weights operand. */
const cached = (ms: number) => (Number.isNaN(ms) ? '—' : ms.toFixed(1));

/** A dense layer: `rows` inputs (batch·T) of `inputs` features to `outputs`. */
const LAYERS = [
  {name: 'small fc1', rows: 384, inputs: 3136, outputs: 256},
  {name: 'VGG9 fc1', rows: 64, inputs: 4096, outputs: 1024},
];

interface Product {
  label: string;
  /** a, b and the transposes, for a layer's x [rows, inputs], W [inputs, outputs] and dy [rows, outputs]. */
  operands: (x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor) => [tf.Tensor, tf.Tensor, boolean, boolean];
  /** Whether W is an operand (made afresh before each call unless cached). */
  weights: boolean;
}

const PRODUCTS: Product[] = [
  {label: 'x·W (forward)', operands: (x, w) => [x, w, false, false], weights: true},
  {label: 'xᵀ·dy (dW)', operands: (x, w, dy) => [x, dy, true, false], weights: false},
  {label: 'dy·Wᵀ (dx)', operands: (x, w, dy) => [dy, w, false, true], weights: true},
];

/** Best ms of CALLS calls (after one untimed); `fresh` copies the weights before each call, untimed. */
function best(p: Product, x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor, fresh: boolean): number {
  let ms = Infinity;
  for (let i = 0; i <= CALLS; i++) {
    // A new tensor with new data (tf.clone would share w's data, and XNNPACK's packed copy of it).
    const copy = fresh ? tf.add(w, 0) : w;
    const [a, b, ta, tb] = p.operands(x, copy, dy);
    const start = performance.now();
    const out = tf.matMul(a, b, ta, tb);
    out.dataSync();
    if (i > 0) ms = Math.min(ms, performance.now() - start);
    tf.dispose(fresh ? [out, copy] : [out]);
  }
  return ms;
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`## A dense layer's products on wasm, one thread\n`);
  console.log(`- ${new Date().toISOString()}; ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores; load ${loadavg()}`);
  console.log(`- best of ${CALLS} calls; weights a new tensor at every call unless "cached"\n`);
  console.log(
    '| layer | product | XNNPACK ms | program ms | speed-up | GFLOP/s | XNNPACK cached ms | program cached ms | max difference |'
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const layer of LAYERS) {
    const x = tf.randomNormal([layer.rows, layer.inputs], 0, 1, 'float32', 1);
    const w = tf.randomNormal([layer.inputs, layer.outputs], 0, 0.05, 'float32', 2);
    const dy = tf.randomNormal([layer.rows, layer.outputs], 0, 1, 'float32', 3);
    const flops = 2 * layer.rows * layer.inputs * layer.outputs;
    for (const p of PRODUCTS) {
      const results: Float32Array[] = [];
      const times: number[] = [];
      for (const on of [false, true]) {
        setProductsMatMulEnabled(on);
        const before = productsMatMulCalls();
        const [a, b, ta, tb] = p.operands(x, w, dy);
        const out = tf.matMul(a, b, ta, tb);
        results.push(out.dataSync() as Float32Array);
        out.dispose();
        if (on !== productsMatMulCalls() > before)
          throw new Error(`${layer.name} ${p.label}: the paths did not switch`);
        times.push(best(p, x, w, dy, p.weights), p.weights ? best(p, x, w, dy, false) : NaN);
      }
      setProductsMatMulEnabled(true);
      const [xnn, xnnCached, ours, oursCached] = times;
      console.log(
        `| ${layer.name} [${layer.rows}, ${layer.inputs}]·[${layer.inputs}, ${layer.outputs}] | ${p.label} | ` +
          `${xnn.toFixed(1)} | ${ours.toFixed(1)} | ${(xnn / ours).toFixed(2)}× | ${(flops / ours / 1e6).toFixed(0)} | ` +
          `${cached(xnnCached)} | ${cached(oursCached)} | ${relativeMaxError(results[1], results[0]).toExponential(1)} |`
      );
    }
    tf.dispose([x, w, dy]);
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
