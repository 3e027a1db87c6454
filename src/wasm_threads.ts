/**
 * Multi-threaded wasm in Node.js: tfjs-backend-wasm's threaded SIMD build, whose XNNPACK convolutions and matrix
 * products run on a pool of worker_threads sharing the wasm memory (a SharedArrayBuffer).
 *
 * tfjs-backend-wasm 4.22 never starts that build in Node, and cannot as shipped:
 * - its flag WASM_HAS_MULTITHREAD_SUPPORT is false whenever IS_NODE (flags_wasm.ts);
 * - forced true, `tf.setBackend('wasm')` fails: its `locateFile` hands Emscripten's pthread glue a `blob:` URL for
 *   the worker script, and `new Worker(pthreadMainJs)` in `PThread.allocateUnusedWorker` throws ERR_WORKER_PATH
 *   (worker_threads takes a file path); the main script it gives the workers (`mainScriptUrlOrBlob`) is a Blob,
 *   which a worker would turn into another `blob:` URL that its `importScripts` (fs.readFileSync) cannot read;
 * - started anyway, backend.cc caps the pool at `emscripten_num_logical_cores() / 2` threads (it assumes two
 *   hyper-threads a core), which in Node is `os.cpus().length / 2`: one thread on a 2-core machine.
 *
 * {@link useThreadedWasm} starts the same binary through the same glue (the package's `wasm-out/` files) with a
 * configuration that works in Node: the worker script written to a file in the temporary folder, the glue's own
 * file as the main script, and an `instantiateWasm` that reports 2 × `threads` logical cores, so that the pool has
 * exactly the threads asked for. It is registered as the 'wasm' backend, so tfjs-backend-wasm's kernels and this
 * package's wasm kernels run on it unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

import {describeValue, withCause} from './errors';
import {importBuiltin, isNode, moduleFile} from './node_builtins';
import {registerAll} from '../kernels/register';
import {startProgramWorkers, WorkerThreadsLike} from '../kernels/wasm/simd/program_workers';

const FN = 'useThreadedWasm';
const PACKAGE = '@tensorflow/tfjs-backend-wasm';
const BINARY = 'tfjs-backend-wasm-threaded-simd';
/**
 * The most threads: the threaded build starts 8 workers (Emscripten's PTHREAD_POOL_SIZE) and backend.cc caps
 * its pool at 8.
 */
export const MAX_WASM_THREADS = 8;

/** Options of {@link useThreadedWasm}. */
export interface ThreadedWasmOptions {
  /**
   * Threads of XNNPACK's pool, the calling thread included: an integer from 1 to 8. Default: the machine's
   * logical cores (`os.availableParallelism()`), at most 8.
   */
  threads?: number;
}

interface NodeModule {
  createRequire(from: string): NodeRequireLike;
}
interface NodeRequireLike {
  (id: string): unknown;
  resolve(id: string): string;
}
interface NodePath {
  dirname(path: string): string;
  join(...paths: string[]): string;
}
interface NodeFs {
  existsSync(path: string): boolean;
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: string): void;
  mkdtempSync(prefix: string): string;
  rmSync(path: string, options: {recursive: boolean; force: boolean}): void;
}
interface NodeOs {
  tmpdir(): string;
  cpus(): unknown[];
  availableParallelism?: () => number;
}

/** What this module uses of an Emscripten module of the threaded build. */
interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => unknown;
  PThread: {runningWorkers: Array<{unref(): void}>};
  tfjs?: unknown;
}
type Factory = (config: object) => Promise<EmscriptenModule>;

/** What this module uses of tfjs-backend-wasm (typed structurally: it is an optional peer). */
interface WasmPackage {
  BackendWasm: new (module: EmscriptenModule) => tf.KernelBackend;
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
  version_wasm: string;
}

/** The threaded backend this process started, if any. */
let started: {threads: number; backend: tf.KernelBackend} | null = null;

async function nodeRequire(): Promise<NodeRequireLike> {
  const file = moduleFile();
  if (file == null) throw new Error(`${FN}: cannot find tfjs-snn's own module file to resolve ${PACKAGE} from`);
  return (await importBuiltin<NodeModule>('node:module')).createRequire(file);
}

function threadsOption(options: ThreadedWasmOptions | undefined, os: NodeOs): number {
  if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new Error(`${FN}: options must be an object {threads?}; got ${describeValue(options)}`);
  }
  const unknown = Object.keys(options ?? {}).filter(k => k !== 'threads');
  if (unknown.length > 0) throw new Error(`${FN}: unknown option '${unknown[0]}'; expected threads`);
  const threads = options?.threads;
  if (threads == null) return Math.min(MAX_WASM_THREADS, os.availableParallelism?.() ?? os.cpus().length);
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(
      `${FN}: option 'threads' must be an integer from 1 to ${MAX_WASM_THREADS}; got ${describeValue(threads)}`
    );
  }
  return threads;
}

/** The package, and the files of its threaded build, found where tfjs-snn's own module resolves them. */
function threadedBuild(
  require: NodeRequireLike,
  path: NodePath,
  fs: NodeFs
): {pkg: WasmPackage; glue: string; worker: string; binary: string} {
  let pkg: WasmPackage;
  let dir: string;
  try {
    pkg = require(PACKAGE) as WasmPackage;
    dir = path.dirname(require.resolve(`${PACKAGE}/package.json`));
  } catch (e) {
    throw withCause(`${FN} needs ${PACKAGE} (npm install ${PACKAGE})`, e);
  }
  const files = {
    glue: path.join(dir, 'wasm-out', `${BINARY}.js`),
    worker: path.join(dir, 'wasm-out', `${BINARY}.worker.js`),
    binary: path.join(dir, 'dist', `${BINARY}.wasm`),
  };
  const missing = Object.values(files).filter(f => !fs.existsSync(f));
  if (missing.length > 0 || typeof pkg.BackendWasm !== 'function') {
    throw new Error(
      `${FN}: ${PACKAGE} ${pkg.version_wasm} lacks ${missing.length > 0 ? missing.join(', ') : 'BackendWasm'}; ` +
        'this function knows the layout of version 4.22'
    );
  }
  return {pkg, ...files};
}

/**
 * Starts the threaded build with `threads` threads. The worker script lives in a temporary file only while the
 * module starts: Emscripten starts its 8 workers then, and the module is ready once each has loaded it.
 */
async function startThreaded(
  build: ReturnType<typeof threadedBuild>,
  require: NodeRequireLike,
  threads: number,
  builtins: {path: NodePath; fs: NodeFs; os: NodeOs}
): Promise<tf.KernelBackend> {
  const {path, fs, os} = builtins;
  const factory = require(build.glue) as Factory;
  // A template literal in the package, whose "\n" string escapes became newlines: escape them again, as
  // tfjs-backend-wasm does before it makes its Blob of the same text.
  const workerText = (require(build.worker) as {wasmWorkerContents: string}).wasmWorkerContents.replace(/\n/g, '\\n');
  const bytes = fs.readFileSync(build.binary);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-snn-wasm-threads-'));
  const workerFile = path.join(dir, `${BINARY}.worker.cjs`);
  let failed: (e: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => (failed = reject));
  let module: EmscriptenModule;
  try {
    fs.writeFileSync(workerFile, workerText);
    module = await Promise.race([
      factory({
        locateFile: (file: string, prefix: string) =>
          file.endsWith('.worker.js') ? workerFile : file.endsWith('.wasm') ? build.binary : prefix + file,
        // A path, which the workers' importScripts reads (they cannot read the package's Blob).
        mainScriptUrlOrBlob: build.glue,
        instantiateWasm(
          info: {env: Record<string, unknown>},
          receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void
        ) {
          // backend.cc: pool threads = min(threads asked, emscripten_num_logical_cores() / 2, 8).
          info.env.emscripten_num_logical_cores = () => 2 * threads;
          WebAssembly.instantiate(bytes as BufferSource, info as WebAssembly.Imports).then(
            result => receive(result.instance, result.module),
            failed
          );
          return {};
        },
        onAbort: (what: unknown) => failed(new Error(`the module aborted: ${what}`)),
      }),
      failure,
    ]);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
  // What tfjs-backend-wasm's init() adds to the module before it makes a BackendWasm of it.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  build.pkg.setThreadsCount(threads);
  const backend = new build.pkg.BackendWasm(module);
  // XNNPACK's pool threads wait for work for ever; unreferenced, they let Node exit when the program is done.
  for (const worker of module.PThread.runningWorkers) worker.unref();
  return backend;
}

/**
 * Node.js: starts tfjs-backend-wasm's multi-threaded SIMD build as the 'wasm' backend and makes it the current
 * backend, so that convolutions and matrix products (XNNPACK) run on `threads` threads; resolves with the number
 * of threads. tfjs-backend-wasm alone runs single-threaded in Node (docs/benchmarks.md says why).
 *
 * Call it before anything starts the wasm backend (`tf.setBackend('wasm')`, `tf.ready()`), once per process: the
 * number of threads is fixed once the backend has started. Called again with the same number, it only makes
 * 'wasm' the current backend. Every kernel registered for 'wasm' (tfjs-backend-wasm's, this package's) runs on it
 * unchanged; results equal the single-threaded build's. tfjs-snn's own SIMD programs (not XNNPACK: the convolution
 * over spikes, the LIF kernels, the Winograd transforms and matrix products, a dense layer's products) run their
 * share of the work on `threads − 1` worker threads it starts here. Throws, leaving the 'wasm' backend as it was, outside
 * Node, without @tensorflow/tfjs-backend-wasm, or when the threads cannot be started.
 *
 * @example
 * const threads = await snn.useThreadedWasm({threads: 2});
 * console.log(tf.getBackend(), threads);   // 'wasm' 2
 */
export async function useThreadedWasm(options?: ThreadedWasmOptions): Promise<number> {
  if (!isNode()) {
    throw new Error(
      `${FN}: Node.js only. In a browser tfjs-backend-wasm starts its threaded build by itself when the page ` +
        'is cross-origin isolated (served with COOP and COEP headers)'
    );
  }
  const [path, fs, os] = await Promise.all([
    importBuiltin<NodePath>('node:path'),
    importBuiltin<NodeFs>('node:fs'),
    importBuiltin<NodeOs>('node:os'),
  ]);
  const threads = threadsOption(options, os);
  const engine = tf.engine();
  const current = engine.registry['wasm'];
  if (current != null) {
    if (started?.backend === current && started.threads === threads) {
      await tf.setBackend('wasm');
      return threads;
    }
    throw new Error(
      `${FN}: the wasm backend has already started, ` +
        (started?.backend === current ? `with ${started.threads} threads` : 'single-threaded') +
        `, and cannot change now; call ${FN}({threads: ${threads}}) before anything starts it ` +
        "(tf.setBackend('wasm'), tf.ready()), in a new process"
    );
  }
  const require = await nodeRequire();
  const build = threadedBuild(require, path, fs);
  let backend: tf.KernelBackend;
  try {
    backend = await startThreaded(build, require, threads, {path, fs, os});
  } catch (e) {
    throw withCause(`${FN}: could not start ${threads} threads of ${PACKAGE}'s threaded build`, e);
  }
  const priority = engine.registryFactory['wasm']?.priority ?? 2;
  if (engine.registryFactory['wasm'] != null) tf.removeBackend('wasm');
  // The backend just started; should tfjs dispose of it (tf.removeBackend, engine reset), a fresh one.
  let first: tf.KernelBackend | null = backend;
  tf.registerBackend(
    'wasm',
    async () => {
      const made = first ?? (await startThreaded(build, require, threads, {path, fs, os}));
      first = null;
      started = {threads, backend: made};
      return made;
    },
    priority
  );
  if (!(await tf.setBackend('wasm'))) throw new Error(`${FN}: tf.setBackend('wasm') failed after the start`);
  // Where this call loaded tfjs-backend-wasm, its kernels registered after this package's import: put tfjs-snn's
  // in front of them now, rather than at the first layer built (tf.conv2d called directly would miss them).
  registerAll();
  // tfjs-snn's own SIMD programs (the sparse convolution) run their parts on threads − 1 workers of their own.
  startProgramWorkers(await importBuiltin<WorkerThreadsLike>('node:worker_threads'), threads - 1);
  return build.pkg.getThreadsCount();
}
