/**
 * The wasm LIF programs (kernels/wasm/simd/lif_program.ts) with three and with four vectors side by side in their
 * widest pass (LIF_VECTORS), over relative placements of their arrays in memory: the output (spikes, or dCurrents)
 * at offsets from the currents (forward) or from dSpikes (gradient) modulo 4 KiB, and for the gradient the currents
 * at offsets from dSpikes. tfjs-backend-wasm's allocator puts two equal arrays allocated one after the other 16
 * bytes apart modulo 4 KiB (their sizes are multiples of 4 KiB, plus a 16-byte header), as a training step's
 * dSpikes and dCurrents are. On small's and VGG9's LIF layers, with the models' attributes (subtract reset,
 * triangle, leak and threshold numbers, the hints ops.lif gives), one thread, on a memory of its own (not
 * tfjs-backend-wasm's heap: in a training step the gradient's times differ, see docs/benchmarks.md).
 *
 *   npx esbuild bench/wasm_lif_placement.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-lif-placement.cjs && node build/bench-wasm-lif-placement.cjs [--quick]
 *
 * ms: the median of the timed calls per placement, the vector counts taking turns; the mean over placements and
 * the time at 16 bytes apart. Both counts must give the same outputs bit for bit (the same arithmetic per lane).
 */
import {cpus, loadavg} from 'node:os';

import {LifAttrs} from '../kernels/lif_attrs';
import {lifForwardFunctions, lifGradFunctions, setLifVectors} from '../kernels/wasm/simd/lif_program';
import {moduleOf} from '../kernels/wasm/simd/wasm_emit';
import {MODEL_LIF_ATTRS} from '../test/reference/lif_cases';
import {median} from './stats';

const QUICK = process.argv.includes('--quick');
const CALLS = QUICK ? 3 : 5;
/** Bytes from the reference array to the output, modulo 4 KiB. */
const OFFSETS = QUICK ? [16, 1000] : [-128, 0, 16, 32, 64, 128, 1000, 2048, -2048];
const VECTORS = [4, 3];
/** Bytes from dSpikes to the currents, modulo 4 KiB (the gradient reads both). */
const CURRENTS = QUICK ? [64] : [0, 64, 1000];

const SHAPES: Array<{name: string; shape: [number, number, number]}> = [
  {name: 'small lif1 (28×28×32)', shape: [64, 6, 25088]},
  {name: 'small lif2 (14×14×64)', shape: [64, 6, 12544]},
  {name: 'VGG9 lif1 (32×32×64)', shape: [16, 4, 65536]},
  {name: 'VGG9 lif3 (16×16×128)', shape: [16, 4, 32768]},
];

const ATTRS: LifAttrs = {...MODEL_LIF_ATTRS, detachReset: true, initialAtRest: true, finalMembraneUnused: true};
const PROGRAM_ATTRS = {...ATTRS, uniformParameters: true};

const TRAIN_FLOATS = Math.max(...SHAPES.map(({shape}) => shape[0] * shape[1] * shape[2]));
const STATE_FLOATS = Math.max(...SHAPES.map(({shape}) => shape[0] * shape[2]));
const PAGE = 4096;
// currents, dSpikes, the output (room for any offset), the states, leak and threshold.
const trainBytes = TRAIN_FLOATS * 4 + 2 * PAGE;
const at = {currents: 0, dSpikes: trainBytes + PAGE, out: 2 * trainBytes + PAGE, state: 3 * trainBytes + PAGE};
const stateBytes = STATE_FLOATS * 4 + PAGE;
const params = at.state + 3 * stateBytes;
const memory = new WebAssembly.Memory({initial: Math.ceil((params + 8 * PAGE) / 65536)});
const heap = new Float32Array(memory.buffer);
let seed = 3;
for (let i = 0; i < at.out / 4; i++) {
  seed = (seed * 1103515245 + 12345) >>> 0;
  heap[i] = i < at.dSpikes / 4 ? 1.6 * (seed / 2 ** 32) - 0.3 : 0.02 * (seed / 2 ** 32 - 0.5);
}
heap.fill(0.85, params / 4, params / 4 + 1);
heap.fill(0.6, params / 4 + 1, params / 4 + 2);

/** Written over before every timed call, so that the arrays come from memory, not the 32 MiB cache. */
const evict = new Float32Array(16 * 1024 * 1024);

type Program = (...args: number[]) => void;
const programs = new Map<string, Program>();
function programOf(kind: 'forward' | 'gradient', vectors: number, time: number): Program {
  const key = `${kind}|${vectors}|${time}`;
  let program = programs.get(key);
  if (program == null) {
    const previous = setLifVectors({forward: vectors, gradient: vectors});
    try {
      const [fn] = (kind === 'forward' ? lifForwardFunctions : lifGradFunctions)(PROGRAM_ATTRS, time);
      const module = new WebAssembly.Module(moduleOf(fn, false));
      program = new WebAssembly.Instance(module, {env: {memory}}).exports[fn.name] as Program;
    } finally {
      setLifVectors(previous);
    }
    programs.set(key, program);
  }
  return program;
}

/** The output's address: `offset` bytes past the reference array modulo 4 KiB. */
const outAt = (reference: number, offset: number) => at.out + ((((reference + offset - at.out) % PAGE) + PAGE) % PAGE);

/** The currents' address: `offset` bytes past dSpikes modulo 4 KiB (within the first page and a half). */
const currentsAt = (offset: number) => (((at.dSpikes + offset) % PAGE) + PAGE) % PAGE;

function run(
  kind: 'forward' | 'gradient',
  vectors: number,
  shape: [number, number, number],
  offset: number,
  currentsOffset: number
) {
  const [batch, time, features] = shape;
  const currents = currentsAt(currentsOffset);
  const states = [0, 1, 2].map(i => at.state + i * stateBytes);
  const [leak, threshold] = [params, params + 4];
  const program = programOf(kind, vectors, time);
  evict.fill(Math.random());
  const start = performance.now();
  let out: number;
  if (kind === 'forward') {
    out = outAt(currents, offset);
    program(currents, states[0], leak, threshold, out, states[1], batch, time, features);
  } else {
    out = outAt(at.dSpikes, offset);
    const zero = params + 64;
    program(
      currents,
      states[0],
      at.dSpikes,
      states[1],
      leak,
      threshold,
      out,
      states[2],
      zero,
      zero,
      batch,
      time,
      features
    );
  }
  return {ms: performance.now() - start, out};
}

function main(): void {
  console.log('# LIF programs on wasm: three or four vectors a group, over placements (one thread)\n');
  console.log(
    `- ${new Date().toISOString()}; ${cpus().length} cores (${cpus()[0].model.trim()}); load ${loadavg()[0].toFixed(2)}`
  );
  console.log(`- ms, median of ${CALLS} calls per placement; placements: the output ${OFFSETS.join(', ')} bytes from`);
  console.log(
    '  the currents (forward) or from dSpikes (gradient) modulo 4 KiB; for the gradient, each with the currents'
  );
  console.log(`  ${CURRENTS.join(', ')} bytes from dSpikes ("16 bytes apart": the median over those)\n`);
  console.log('| program | layer [batch, T, features] | vectors | mean over placements | 16 bytes apart | slowest |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const kind of ['gradient', 'forward'] as const) {
    for (const {name, shape} of SHAPES) {
      const floats = shape[0] * shape[1] * shape[2];
      // Both counts give the same outputs bit for bit.
      const outputs = VECTORS.map(vectors => {
        const {out} = run(kind, vectors, shape, 16, CURRENTS[0]);
        return new Uint32Array(memory.buffer, out, floats).slice();
      });
      if (outputs[1].some((v, i) => v !== outputs[0][i])) throw new Error(`${kind} ${name}: the vector counts differ`);
      // The forward reads no dSpikes: its placements are the output's from the currents only.
      const currentsOffsets = kind === 'forward' ? [CURRENTS[0]] : CURRENTS;
      const placements = currentsOffsets.flatMap(c => OFFSETS.map(o => [c, o] as const));
      const times = new Map(VECTORS.map(v => [v, placements.map(() => [] as number[])]));
      for (let call = 0; call < CALLS; call++) {
        placements.forEach(([c, o], i) => {
          for (const v of VECTORS) times.get(v)![i].push(run(kind, v, shape, o, c).ms);
        });
      }
      for (const v of VECTORS) {
        const medians = times.get(v)!.map(median);
        const mean = medians.reduce((a, b) => a + b, 0) / medians.length;
        const apart16 = median(medians.filter((_, i) => placements[i][1] === 16));
        console.log(
          `| ${kind} | ${name} [${shape.join(', ')}] | ${v} | ${mean.toFixed(2)} | ${apart16.toFixed(2)} | ` +
            `${Math.max(...medians).toFixed(2)} |`
        );
      }
    }
  }
  console.log(`\nload after: ${loadavg()[0].toFixed(2)}`);
}

main();
