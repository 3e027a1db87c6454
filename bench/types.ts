/** Shapes shared by the Node and browser halves of `npm run bench`. */

/** `fused`: ops.lif implementation 'kernel'; `composite`: 'composite'; `auto`: the default; `naive`: bench/naive_lif. */
export type ImplId = 'fused' | 'composite' | 'auto' | 'naive';

/** One benchmark configuration: a backend, a shape, the implementations to compare. */
export interface ConfigSpec {
  backend: string;
  time: number;
  batch: number;
  features: number[];
  /** At most this many timed runs after the warm-up; the table shows their median. */
  maxReps: number;
  /** No further timed runs of an implementation once its timed runs took this long (at least one runs). */
  budgetMs: number;
  /** How dL/dcurrents is taken, see bench/tensors.ts. */
  loss: 'vjp' | 'sum';
  /** The first entry is "ours", the one the naive version is compared against. */
  impls: ImplId[];
  seed: number;
  /** Implementations listed but not run, with the reason. */
  skip?: Partial<Record<ImplId, string>>;
  /** Printed with the row, e.g. why the neuron count is smaller than elsewhere. */
  note?: string;
}

/** How one non-naive implementation compared with the naive one on the check input. */
export interface CheckResult {
  shape: number[];
  spikeMismatches: number;
  gradRelError: number;
  ok: boolean;
}

export interface Row {
  backend: string;
  impl: ImplId;
  label: string;
  time: number;
  neurons: number;
  shape: number[];
  fwdMs?: number;
  fwdBwdMs?: number;
  peakMB?: number;
  fwdRuns?: number[];
  fwdBwdRuns?: number[];
  /** Fraction of (neuron, step) pairs that spiked on the benchmark input. */
  firingRate?: number;
  check?: CheckResult;
  /** Tensors still alive after the configuration, beyond its inputs (should be 0). */
  leakedTensors?: number;
  error?: string;
  skipped?: string;
  note?: string;
}

export interface BrowserInfo {
  userAgent: string;
  tfjs: string;
  /** The backend the page runs: webgl or webgpu. */
  backend: string;
  /** WebGL only. */
  webglVersion?: number;
  /** The WebGL renderer, or the WebGPU adapter. */
  renderer: string;
  pack?: boolean;
  cpuForward?: boolean;
}

/** The backend label of the cpu rows run with glibc's huge-page tunable (bench/huge_pages.ts). */
export const HUGE_PAGES_BACKEND = 'cpu (huge pages)';

/** The backends the browser half of the bench runs on, each in its own page. */
export const BROWSER_BACKENDS = ['webgl', 'webgpu'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];

/** What bench/browser_page.ts puts on `window`. */
export interface PageApi {
  init(backend: BrowserBackend): Promise<BrowserInfo>;
  runConfig(spec: ConfigSpec): Promise<Row[]>;
}
