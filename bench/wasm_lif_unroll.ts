/**
 * The wasm LIF programs (kernels/wasm/simd/lif_program.ts) built for their T, with the walk through time unrolled,
 * against the same programs as a loop over time, on one thread: on the LIF layers of `npm run bench:train`'s
 * networks (small: T 6, batch 64; VGG9: T 4, batch 16), and at T 8 to 32 on small's first layer (where the
 * budgets LIF_UNROLLED_BYTES come from). The kernels SnnLif and SnnLifGrad are called directly on the wasm heap,
 * with the model's attributes (subtract reset, leak and threshold numbers: no parameter gradients; triangle
 * surrogate, or SURROGATE=sigmoid|fastSigmoid|arctan in the environment). The last columns: the unrolled module's
 * size and which program runs by default.
 *
 *   npx esbuild bench/wasm_lif_unroll.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-lif-unroll.cjs && node build/bench-wasm-lif-unroll.cjs [--quick]
 *
 * Times are the median of the timed calls, the two builds alternating call by call; ratios compare numbers of this
 * run. Both builds must give the same outputs bit for bit (same arithmetic, same order): the bench fails if not.
 */
import '@tensorflow/tfjs-backend-wasm';
import '../kernels/register';

import * as tf from '@tensorflow/tfjs-core';
import {cpus, loadavg} from 'node:os';

import {LIF, LIF_GRAD, LifAttrs} from '../kernels/lif_attrs';
import {
  LIF_UNROLLED_BYTES,
  lifForwardFunctions,
  lifGradFunctions,
  setLifUnrolledBytes,
} from '../kernels/wasm/simd/lif_program';
import {encodeModule} from '../kernels/wasm/simd/wasm_emit';

const QUICK = process.argv.includes('--quick');
const CALLS = QUICK ? 3 : 15;

const SHAPES: Array<{name: string; shape: [number, number, number]}> = [
  {name: 'small conv1 (28×28×32)', shape: [64, 6, 25088]},
  {name: 'small conv2 (14×14×64)', shape: [64, 6, 12544]},
  {name: 'VGG9 conv1 (32×32×64)', shape: [16, 4, 65536]},
  {name: 'VGG9 conv3 (16×16×128)', shape: [16, 4, 32768]},
  ...[8, 12, 16, 20, 25, 32].map(time => ({
    name: `T ${time}`,
    shape: [Math.round(384 / time), time, 25088] as [number, number, number],
  })),
];

const ATTRS: LifAttrs = {
  resetMode: 'subtract',
  detachReset: false,
  surrogate: (process.env.SURROGATE ?? 'triangle') as LifAttrs['surrogate'],
  alpha: 0.3,
  vReset: 0,
  parameterGradients: false,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One call of each kernel on `inputs` with unrolled (true) or loop programs: ms and the outputs' values. */
function call(unrolled: boolean, kernel: 'forward' | 'gradient', inputs: Record<string, tf.Tensor>) {
  const budget = unrolled ? Infinity : 0;
  const previous = setLifUnrolledBytes({forward: budget, gradient: budget});
  try {
    const start = performance.now();
    const outputs =
      kernel === 'forward'
        ? (tf.engine().runKernel(
            LIF,
            {
              currents: inputs.currents,
              initialMembrane: inputs.initial,
              leak: inputs.leak,
              threshold: inputs.threshold,
            },
            ATTRS as unknown as tf.NamedAttrMap
          ) as tf.Tensor[])
        : (tf.engine().runKernel(
            LIF_GRAD,
            {
              dSpikes: inputs.dSpikes,
              dMembrane: inputs.dMembrane,
              currents: inputs.currents,
              initialMembrane: inputs.initial,
              leak: inputs.leak,
              threshold: inputs.threshold,
            },
            ATTRS as unknown as tf.NamedAttrMap
          ) as tf.Tensor[]);
    const ms = performance.now() - start;
    const values = outputs.slice(0, 2).map(t => t.dataSync().slice());
    tf.dispose(outputs);
    return {ms, values};
  } finally {
    setLifUnrolledBytes(previous);
  }
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const [load1] = loadavg();
  console.log(`# wasm LIF programs: unrolled for T against the loop over time (one thread)\n`);
  console.log(
    `- ${new Date().toISOString()}; ${cpus().length} cores (${cpus()[0].model.trim()}); load ${load1.toFixed(2)}`
  );
  console.log(
    `- median of ${CALLS} calls each, alternating; ${ATTRS.surrogate} surrogate, subtract reset, no parameter ` +
      `gradients; budgets ${JSON.stringify(LIF_UNROLLED_BYTES)} bytes\n`
  );
  console.log(
    '| layer | [batch, T, features] | kernel | loop ms | unrolled ms | unrolled / loop | unrolled bytes | runs |'
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const {name, shape} of SHAPES) {
    const [batch, , features] = shape;
    const inputs = {
      currents: tf.randomUniform(shape, -0.2, 0.8, 'float32', 1),
      dSpikes: tf.randomUniform(shape, -1, 1, 'float32', 2),
      initial: tf.zeros([batch, features]),
      dMembrane: tf.zeros([batch, features]),
      leak: tf.fill([features], 0.95),
      threshold: tf.fill([features], 1),
    };
    for (const kernel of ['forward', 'gradient'] as const) {
      const times = {loop: [] as number[], unrolled: [] as number[]};
      const first = {loop: call(false, kernel, inputs), unrolled: call(true, kernel, inputs)}; // warm-up
      first.loop.values.forEach((v, i) => {
        const u = first.unrolled.values[i];
        if (v.length !== u.length || v.some((x, k) => !Object.is(x, u[k]))) {
          throw new Error(`${name} ${kernel}: output ${i} differs between the unrolled and the loop program`);
        }
      });
      for (let i = 0; i < CALLS; i++) {
        times.loop.push(call(false, kernel, inputs).ms);
        times.unrolled.push(call(true, kernel, inputs).ms);
      }
      const [loop, unrolled] = [median(times.loop), median(times.unrolled)];
      const previous = setLifUnrolledBytes({forward: Infinity, gradient: Infinity});
      const builds = kernel === 'forward' ? lifForwardFunctions(ATTRS, shape[1]) : lifGradFunctions(ATTRS, shape[1]);
      const [unrolledBuild] = builds;
      setLifUnrolledBytes(previous);
      const bytes = encodeModule([unrolledBuild], false).length;
      const runs = bytes <= LIF_UNROLLED_BYTES[kernel] ? 'unrolled' : 'loop';
      console.log(
        `| ${name} | [${shape.join(', ')}] | ${kernel} | ${loop.toFixed(2)} | ${unrolled.toFixed(2)} | ` +
          `${(unrolled / loop).toFixed(2)} | ${bytes} | ${runs} |`
      );
    }
    tf.dispose(Object.values(inputs));
  }
  console.log(`\nload after: ${loadavg()[0].toFixed(2)}`);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
