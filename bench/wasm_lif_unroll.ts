/**
 * The wasm LIF programs (kernels/wasm/simd/lif_program.ts) built for their T, walking through time in unrolled
 * chunks, against the same programs as a loop over time, on one thread: on the LIF layers of `npm run bench:train`'s
 * networks (small: T 6, batch 64; VGG9: T 4, batch 16), and at T 8 to 32 on small's first layer. Three builds: the
 * loop; the default chunks (at most the steps whose one-chunk module fits LIF_UNROLLED_BYTES); the whole T as one
 * chunk (where the budgets come from: past the instruction cache it loses). The kernels SnnLif and SnnLifGrad are
 * called directly on the wasm heap with the model's attributes (subtract reset, leak and threshold numbers: no
 * parameter gradients; triangle surrogate, or SURROGATE=sigmoid|fastSigmoid|arctan in the environment).
 *
 *   npx esbuild bench/wasm_lif_unroll.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-lif-unroll.cjs && node build/bench-wasm-lif-unroll.cjs [--quick]
 *
 * Times are the median of the timed calls, the builds taking turns call by call; ratios compare numbers of this
 * run. Every build must give the loop's outputs bit for bit (same arithmetic, same order): the bench fails if not.
 */
import '@tensorflow/tfjs-backend-wasm';
import '../kernels/register';

import * as tf from '@tensorflow/tfjs-core';
import {cpus, loadavg} from 'node:os';

import {LIF, LIF_GRAD, LifAttrs} from '../kernels/lif_attrs';
import {
  chunksOf,
  LIF_UNROLLED_BYTES,
  lifForwardFunctions,
  lifGradFunctions,
  setLifUnrolledBytes,
} from '../kernels/wasm/simd/lif_program';
import {encodeModule} from '../kernels/wasm/simd/wasm_emit';
import {MODEL_LIF_ATTRS} from '../test/reference/lif_cases';
import {median} from './stats';

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
  ...MODEL_LIF_ATTRS,
  surrogate: (process.env.SURROGATE ?? 'triangle') as LifAttrs['surrogate'],
};

type Kernel = 'forward' | 'gradient';
const BUILDS = ['loop', 'chunks', 'whole'] as const;
type Build = (typeof BUILDS)[number];
const BUDGETS: Record<Build, Record<Kernel, number> | null> = {
  loop: {forward: 0, gradient: 0},
  chunks: null,
  whole: {forward: Infinity, gradient: Infinity},
};

const buildsOf = (kernel: Kernel, time: number) =>
  (kernel === 'forward' ? lifForwardFunctions : lifGradFunctions)(ATTRS, time);

/** The default walk of `kernel` through `time` steps: its chunks' steps, e.g. 12 + 13. */
function describeChunks(kernel: Kernel, time: number): string {
  let most = 0;
  while (most < time) {
    const [fn] = buildsOf(kernel, most + 1);
    if (encodeModule([fn], false).length > LIF_UNROLLED_BYTES[kernel]) break;
    most++;
  }
  if (most === 0) return 'loop';
  const {first, size, count} = chunksOf(time, most);
  return [first, ...Array.from({length: count}, () => size)].join(' + ');
}

/** The module size of the whole T as one chunk. */
function wholeBytes(kernel: Kernel, time: number): number {
  const previous = setLifUnrolledBytes(BUDGETS.whole);
  try {
    const [fn] = buildsOf(kernel, time);
    return encodeModule([fn], false).length;
  } finally {
    setLifUnrolledBytes(previous);
  }
}

/** One call of a kernel on `inputs` with the programs of `build`: ms and the outputs' values. */
function call(build: Build, kernel: Kernel, inputs: Record<string, tf.Tensor>) {
  const previous = setLifUnrolledBytes(BUDGETS[build]);
  try {
    const attrs = ATTRS as unknown as tf.NamedAttrMap;
    const state = {currents: inputs.currents, initialMembrane: inputs.initial};
    const parameters = {leak: inputs.leak, threshold: inputs.threshold};
    const start = performance.now();
    const outputs =
      kernel === 'forward'
        ? (tf.engine().runKernel(LIF, {...state, ...parameters}, attrs) as tf.Tensor[])
        : (tf
            .engine()
            .runKernel(
              LIF_GRAD,
              {dSpikes: inputs.dSpikes, dMembrane: inputs.dMembrane, ...state, ...parameters},
              attrs
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
  console.log(`# wasm LIF programs: unrolled chunks of T against the loop over time (one thread)\n`);
  console.log(
    `- ${new Date().toISOString()}; ${cpus().length} cores (${cpus()[0].model.trim()}); load ${load1.toFixed(2)}`
  );
  console.log(
    `- median of ${CALLS} calls each, taking turns; ${ATTRS.surrogate} surrogate, subtract reset, no parameter ` +
      `gradients; budgets ${JSON.stringify(LIF_UNROLLED_BYTES)} bytes\n`
  );
  console.log(
    '| layer | [batch, T, features] | kernel | loop ms | chunks ms | chunks / loop | chunks | one chunk ms | ' +
      'one chunk / loop | one chunk bytes |'
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const {name, shape} of SHAPES) {
    const [batch, time, features] = shape;
    const inputs = {
      currents: tf.randomUniform(shape, -0.2, 0.8, 'float32', 1),
      dSpikes: tf.randomUniform(shape, -1, 1, 'float32', 2),
      initial: tf.zeros([batch, features]),
      dMembrane: tf.zeros([batch, features]),
      leak: tf.fill([features], 0.95),
      threshold: tf.fill([features], 1),
    };
    for (const kernel of ['forward', 'gradient'] as const) {
      const reference = call('loop', kernel, inputs).values;
      for (const build of BUILDS) {
        // Also each build's warm-up.
        call(build, kernel, inputs).values.forEach((v, i) => {
          if (v.length !== reference[i].length || v.some((x, k) => !Object.is(x, reference[i][k]))) {
            throw new Error(`${name} ${kernel}: output ${i} of the ${build} build differs from the loop's`);
          }
        });
      }
      const times: Record<Build, number[]> = {loop: [], chunks: [], whole: []};
      for (let i = 0; i < CALLS; i++) {
        for (const build of BUILDS) times[build].push(call(build, kernel, inputs).ms);
      }
      const [loop, chunks, whole] = BUILDS.map(build => median(times[build]));
      console.log(
        `| ${name} | [${shape.join(', ')}] | ${kernel} | ${loop.toFixed(2)} | ${chunks.toFixed(2)} | ` +
          `${(chunks / loop).toFixed(2)} | ${describeChunks(kernel, time)} | ${whole.toFixed(2)} | ` +
          `${(whole / loop).toFixed(2)} | ${wholeBytes(kernel, time)} |`
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
