/**
 * Worker threads for the SIMD programs on a shared heap. tfjs-backend-wasm's threaded build (which
 * snn.useThreadedWasm starts in Node) runs XNNPACK on every thread, but a program of this folder is a module of
 * its own and ran on the calling thread only. With these workers a kernel cuts its work into parts (e.g. ranges of
 * images): the calling thread runs the first part while each worker instantiates the same module on the same
 * shared memory and runs one of the others; the call returns when every part is done.
 *
 * Node only: the calling thread waits with `Atomics.wait`, which a browser's main thread may not do. Each worker
 * reports through its own slot of a shared Int32Array (1 done, 2 failed); a part that does not finish within
 * {@link PART_TIMEOUT_MS} is an error, never a hang. The workers are unreferenced, so they do not keep Node alive.
 */
import {CompiledProgram, isShared} from './simd_runtime';

/** The part of node:worker_threads used here (typed structurally: the browser bundles never load it). */
export interface WorkerThreadsLike {
  Worker: new (code: string, options: {eval: true; workerData: unknown}) => WorkerLike;
}

interface WorkerLike {
  postMessage(message: unknown): void;
  unref(): void;
  terminate(): Promise<number>;
}

/** A part that takes longer than this is reported as failed (the slowest program part measured: < 1 s). */
const PART_TIMEOUT_MS = 120000;

const WORKER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads');
const status = new Int32Array(workerData.status);
const slot = workerData.slot;
const functions = new Map();
parentPort.on('message', job => {
  let result = 1;
  try {
    let run = functions.get(job.key);
    if (run === undefined) {
      run = new WebAssembly.Instance(job.module, {env: {memory: job.memory}}).exports[job.name];
      functions.set(job.key, run);
    }
    run(...job.args);
  } catch (error) {
    result = 2;
  }
  Atomics.store(status, slot, result);
  Atomics.notify(status, slot);
});
`;

interface Pool {
  workers: WorkerLike[];
  status: Int32Array;
  /** Per worker: the instance keys it has been sent a module and memory for. */
  known: Array<Set<string>>;
}

let pool: Pool | null = null;
let runs = 0;
const memoryIds = new WeakMap<WebAssembly.Memory, number>();
let memoryCount = 0;

/** Starts `count` workers (replacing any earlier ones; 0 stops them). Called by snn.useThreadedWasm. */
export function startProgramWorkers(threads: WorkerThreadsLike, count: number): void {
  stopProgramWorkers();
  if (count <= 0) return;
  const status = new Int32Array(new SharedArrayBuffer(4 * count));
  const workers = Array.from({length: count}, (_, slot) => {
    const worker = new threads.Worker(WORKER_SOURCE, {eval: true, workerData: {status: status.buffer, slot}});
    worker.unref();
    return worker;
  });
  pool = {workers, status, known: workers.map(() => new Set())};
}

export function stopProgramWorkers(): void {
  if (pool == null) return;
  for (const worker of pool.workers) void worker.terminate();
  pool = null;
}

/** How many workers can take a part (0 when none were started). */
export function programWorkerCount(): number {
  return pool?.workers.length ?? 0;
}

/** How many parts ran on workers since the package loaded (for tests and benches). */
export function programWorkerRuns(): number {
  return runs;
}

/**
 * Runs `program` on `memory` once per argument list: the first on this thread, the others on workers (at most
 * {@link programWorkerCount} of them). `memory` must be shared when there is more than one part.
 */
export function runParts(
  memory: WebAssembly.Memory,
  program: CompiledProgram,
  onThisThread: (...args: number[]) => void,
  parts: number[][]
): void {
  const others = parts.slice(1);
  if (others.length > programWorkerCount()) {
    throw new Error(`runParts: ${parts.length} parts but ${programWorkerCount()} program workers`);
  }
  if (others.length > 0 && !isShared(memory)) {
    throw new Error('runParts: parts on workers need a shared memory');
  }
  const {workers, status, known} = pool ?? {workers: [], status: new Int32Array(0), known: []};
  let memoryId = memoryIds.get(memory);
  if (memoryId == null) {
    memoryId = ++memoryCount;
    memoryIds.set(memory, memoryId);
  }
  const key = `${memoryId}|${program.key}`;
  others.forEach((args, i) => {
    Atomics.store(status, i, 0);
    const first = !known[i].has(key);
    known[i].add(key);
    workers[i].postMessage({
      key,
      args,
      name: program.name,
      ...(first ? {module: program.module, memory} : {}),
    });
    runs++;
  });
  let failure: unknown = null;
  try {
    onThisThread(...parts[0]);
  } catch (error) {
    failure = error;
  }
  // Every part must end before the caller reads the outputs (or frees the memory), also when this one failed.
  others.forEach((_, i) => {
    const waited = Atomics.wait(status, i, 0, PART_TIMEOUT_MS);
    if (failure != null) return;
    if (waited === 'timed-out') {
      failure = new Error(`a program worker did not finish ${program.key} within ${PART_TIMEOUT_MS} ms`);
    } else if (Atomics.load(status, i) !== 1) {
      failure = new Error(`a program worker failed to run ${program.key}`);
    }
  });
  if (failure != null) throw failure;
}

/**
 * How many parts a program on `memory` can run in, at most `most`: this thread and the program workers where the
 * memory is shared, else one.
 */
export function partCount(memory: WebAssembly.Memory, most: number): number {
  return isShared(memory) ? Math.max(1, Math.min(most, 1 + programWorkerCount())) : 1;
}

/**
 * Ranges [first, end) of `count` rows (images, batch rows), one per thread that can take a part of a program on
 * `memory`: this one and the program workers where the memory is shared, else one; never more ranges than rows.
 */
export function rowRanges(memory: WebAssembly.Memory, count: number): Array<[number, number]> {
  const parts = partCount(memory, count);
  return Array.from({length: parts}, (_, i) => [
    Math.floor((i * count) / parts),
    Math.floor(((i + 1) * count) / parts),
  ]);
}

/**
 * How many threads tfjs-backend-wasm's XNNPACK kernels use on `backend` for each thread a program over non-zeros
 * can use (this one and the program workers): 1 on the single-threaded build and on snn.useThreadedWasm's, where
 * the workers match XNNPACK's threads; more on a threaded build without program workers. The kernels that choose
 * between XNNPACK and a program divide their density limits by it.
 */
export function xnnpackThreadsPerProgramThread(backend: unknown): number {
  const module = (backend as {wasm?: {tfjs?: {getThreadsCount?: () => number}}}).wasm;
  const threads = module?.tfjs?.getThreadsCount?.();
  return typeof threads === 'number' && threads > 1 ? Math.max(1, threads / (1 + programWorkerCount())) : 1;
}
