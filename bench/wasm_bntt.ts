/**
 * The BNTT training kernels' five passes (kernels/wasm/simd/bntt_program.ts) on one thread, each walk of x against
 * the other: linear (position by position, a sum's partials in memory) and in blocks of SUM_BLOCK positions (each
 * channel group through a block with its sums and coefficients in registers), at channel counts from 8 to 256 with
 * x the size of `snn.models.small`'s first BNTT input (T 6, batch 64: 9.6 M floats, 38.5 MB), and on the BNTT
 * layers of small and VGG9, and dx written over dy (`dxInPlace`, what the backward kernel does with a dy it may
 * overwrite). What bnttWalk picks (BNTT_BLOCK_WALK_CHANNELS) comes from these figures.
 *
 *   npx esbuild bench/wasm_bntt.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-bntt.cjs && node build/bench-wasm-bntt.cjs
 *
 * The programs run on a memory of their own (as on tfjs-backend-wasm's heap: in place, no copies). Times are the
 * median of the timed calls, the walks taking turns; the bench fails if the walks' outputs differ in any bit.
 */
import {cpus, loadavg} from 'node:os';

import {BnttDims} from '../kernels/bntt_attrs';
import {
  BNTT_WALK_KEYS,
  BnttPass,
  bnttPassFunction,
  bnttWalk,
  BnttWalk,
  BnttWalkKey,
} from '../kernels/wasm/simd/bntt_program';
import {moduleOf} from '../kernels/wasm/simd/wasm_emit';
import {median} from './stats';

const CALLS = 7;
const WALKS: BnttWalk[] = ['linear', 'blocks'];
const FLOATS = 64 * 6 * 25088;

const CASES: Array<{name: string; dims: BnttDims}> = [
  ...[8, 16, 24, 32, 48, 64, 128, 256].map(C => ({
    name: `C ${C}`,
    dims: {outer: 64, rows: 6, inner: Math.floor(25088 / C), channels: C},
  })),
  {name: 'small bntt1 (28×28×32)', dims: {outer: 64, rows: 6, inner: 784, channels: 32}},
  {name: 'small bntt2 (14×14×64)', dims: {outer: 64, rows: 6, inner: 196, channels: 64}},
  {name: 'small bntt3 (dense 256)', dims: {outer: 64, rows: 6, inner: 1, channels: 256}},
  {name: 'VGG9 bntt1 (32×32×64)', dims: {outer: 16, rows: 4, inner: 1024, channels: 64}},
  {name: 'VGG9 bntt3 (16×16×128)', dims: {outer: 16, rows: 4, inner: 256, channels: 128}},
];

const bytes = FLOATS * 4;
// x, dy and the output a few cache lines off a multiple of 4 KiB from each other, then the work area.
const at = {x: 0, dy: bytes + 2112, out: 2 * bytes + 5184, work: 3 * bytes + 8192};
const memory = new WebAssembly.Memory({initial: Math.ceil((at.work + 8 * 4 * 6 * 256 + 65536) / 65536)});
const heap = new Float32Array(memory.buffer);
let seed = 1;
for (let i = 0; i < at.out / 4; i++) {
  seed = (seed * 1103515245 + 12345) >>> 0;
  heap[i] = seed / 2 ** 32 - 0.5;
}

/** Written over before every timed call, so that x comes from memory, not the 32 MiB cache, as in a training step. */
const evict = new Float32Array(16 * 1024 * 1024);
function evictCaches(): void {
  evict.fill(Math.random());
}

type Program = (...args: number[]) => void;
const programs = new Map<string, Program>();
function programOf(pass: BnttPass, walk: BnttWalk): Program {
  const key = `${pass}|${walk}`;
  let program = programs.get(key);
  if (program == null) {
    const fn = bnttPassFunction(pass, walk);
    const module = new WebAssembly.Module(moduleOf(fn, false));
    program = new WebAssembly.Instance(module, {env: {memory}}).exports[fn.name] as Program;
    programs.set(key, program);
  }
  return program;
}

/** dy as first written, put back before each dx over dy (not timed). */
let pristineDy: Float32Array | null = null;

/**
 * Runs a pass (`dxInPlace`: dx over dy); returns ms and, where `keep`, a copy of what it wrote (the output, or the
 * sums).
 */
function run(key: BnttWalkKey, walk: BnttWalk, dims: BnttDims, keep = false): {ms: number; result: number[]} {
  const pass: BnttPass = key === 'dxInPlace' ? 'dx' : key;
  const K = dims.rows * dims.channels;
  const count = dims.outer * dims.rows * dims.inner * dims.channels;
  const sumsAt = at.work + 16 * K;
  const elementwise = pass === 'normalize' || pass === 'dx';
  const out = key === 'dxInPlace' ? at.dy : at.out;
  if (key === 'dxInPlace') {
    pristineDy ??= new Float32Array(memory.buffer, at.dy, FLOATS).slice();
    heap.set(pristineDy.subarray(0, count), at.dy / 4);
  }
  // Coefficients: the first 4K floats of the work area, fixed; totals start at zero.
  new Float64Array(memory.buffer, sumsAt, 2 * K).fill(0);
  evictCaches();
  const start = performance.now();
  programOf(pass, walk)(
    at.x,
    at.dy,
    at.work,
    elementwise ? out : sumsAt,
    dims.outer,
    dims.rows,
    dims.inner,
    dims.channels
  );
  const ms = performance.now() - start;
  const result = !keep
    ? null
    : elementwise
      ? new Float32Array(memory.buffer, out, count)
      : new Float64Array(memory.buffer, sumsAt, 2 * K);
  const copy = result == null ? [] : Array.from(result);
  // dy as it was, for the passes that read it next.
  if (key === 'dxInPlace') heap.set(pristineDy!.subarray(0, count), at.dy / 4);
  return {ms, result: copy};
}

function main(): void {
  const coefficients = new Float32Array(memory.buffer, at.work, 4 * 6 * 256);
  coefficients.forEach((_, i) => (coefficients[i] = 0.5 + ((i * 37) % 101) / 101));
  console.log('# BNTT passes on wasm: the linear walk against blocks (one thread)\n');
  console.log(
    `- ${new Date().toISOString()}; ${cpus().length} cores (${cpus()[0].model.trim()}); load ${loadavg()[0].toFixed(2)}`
  );
  console.log(
    `- ms, median of ${CALLS} calls each, taking turns; blocks / linear below 1 is faster in blocks; * the walk bnttWalk picks\n`
  );
  console.log(`| x [outer, R, S, C] | ${BNTT_WALK_KEYS.map(p => `${p} linear | blocks | ratio`).join(' | ')} |`);
  console.log(`| --- | ${BNTT_WALK_KEYS.map(() => '--- | --- | ---').join(' | ')} |`);
  for (const {name, dims} of CASES) {
    const cells: string[] = [];
    let dxFresh: number[] = [];
    for (const key of BNTT_WALK_KEYS) {
      const [linear, blocks] = WALKS.map(walk => run(key, walk, dims, true).result);
      const differs = (a: number[], b: number[]) => a.length !== b.length || a.some((v, i) => !Object.is(v, b[i]));
      if (differs(linear, blocks)) throw new Error(`${name} ${key}: the walks' outputs differ`);
      if (key === 'dx') dxFresh = linear;
      if (key === 'dxInPlace' && differs(linear, dxFresh)) throw new Error(`${name}: dx over dy differs from dx`);
      const times: Record<BnttWalk, number[]> = {linear: [], blocks: []};
      for (let i = 0; i < CALLS; i++) for (const walk of WALKS) times[walk].push(run(key, walk, dims).ms);
      const [l, b] = WALKS.map(walk => median(times[walk]));
      const picked = key === 'dxInPlace' ? bnttWalk('dx', dims.channels, true) : bnttWalk(key, dims.channels);
      const mark = (walk: BnttWalk) => (picked === walk ? '*' : '');
      cells.push(`${l.toFixed(2)}${mark('linear')} | ${b.toFixed(2)}${mark('blocks')} | ${(b / l).toFixed(2)}`);
    }
    const {outer, rows, inner, channels} = dims;
    console.log(`| ${name}: [${outer}, ${rows}, ${inner}, ${channels}] | ${cells.join(' | ')} |`);
  }
  console.log(`\nload after: ${loadavg()[0].toFixed(2)}`);
}

main();
