/** Command-line arguments of `tfjs-snn train`: parsing, defaults and checks. */
import {COMMAND_DATASETS, CommandDataset, isEventDataset, needsDataDir} from './datasets';
import {ENCODERS, NORMALIZATIONS} from '../models/model_options';
import {NEURONS} from '../models/neurons';
import {small} from '../models/small';
import {vgg11, vgg9} from '../models/vgg';
import {MAX_WASM_THREADS} from '../wasm_threads';

/** The dataset both commands read unless --dataset says otherwise: the one with an embedded subset. */
export const DEFAULT_DATASET = 'fashion-mnist' satisfies CommandDataset;
/** --dataset's values: every dataset the package reads (images, then event recordings), the default first. */
export const DATASETS: readonly CommandDataset[] = [
  DEFAULT_DATASET,
  ...COMMAND_DATASETS.filter(d => d !== DEFAULT_DATASET),
];
/** --model's values and the builder each names (train builds the model through this record). */
export const MODEL_BUILDERS = {small, vgg9, vgg11} as const;
export const MODELS = Object.keys(MODEL_BUILDERS) as ReadonlyArray<keyof typeof MODEL_BUILDERS>;
/** --backend's values, each with what it means (a new one does not compile without its line in the help). */
const BACKEND_HELP = {
  auto: 'tfjs-node when installed, else wasm; default',
  wasm: "tfjs-backend-wasm, with this package's training kernels",
  cpu: 'plain JavaScript, much slower',
  tensorflow: "tfjs-node, TensorFlow's C library",
} as const;
export type BackendChoice = keyof typeof BACKEND_HELP;
export const BACKENDS = Object.keys(BACKEND_HELP) as readonly BackendChoice[];
export const OPTIMIZERS = ['sgd', 'adam'] as const;
export const SCHEDULES = ['step', 'cosine', 'none'] as const;

export interface TrainArgs {
  dataset: CommandDataset;
  /** null: the embedded Fashion-MNIST subset (fashion-mnist), or generated (synthetic-events). */
  dataDir: string | null;
  model: (typeof MODELS)[number];
  timeSteps: number | null;
  /** null: 3, or with --resume the checkpoint's own count. */
  epochs: number | null;
  batchSize: number;
  optimizer: (typeof OPTIMIZERS)[number];
  lr: number | null;
  schedule: (typeof SCHEDULES)[number];
  weightDecay: number;
  normalization: (typeof NORMALIZATIONS)[number];
  encoder: (typeof ENCODERS)[number] | null;
  neuron: (typeof NEURONS)[number];
  leak: number | null;
  augment: boolean | null;
  backend: BackendChoice;
  /** null: 1 (the wasm backend's own single-threaded build). */
  threads: number | null;
  seed: number;
  out: string;
  resume: boolean;
  limitTrain: number | null;
  limitTest: number | null;
}

export interface Flag<K extends string = string> {
  key: K;
  kind: 'string' | 'int' | 'number' | 'bool';
  allowed?: readonly string[];
  help: string;
  /** For 'int': the smallest value allowed (default 1). */
  min?: number;
  /** For 'int': the largest value allowed (default Number.MAX_SAFE_INTEGER). */
  max?: number;
}

export type Flags<T> = {[flag: string]: Flag<keyof T & string>};

/** --backend, the same for every command. */
export const BACKEND_FLAG: Flag<'backend'> = {
  key: 'backend',
  kind: 'string',
  allowed: BACKENDS,
  help: BACKENDS.map(b => `${b} (${BACKEND_HELP[b]})`).join(', '),
};

/** --threads, for the commands that run a model (train, analyze). */
export const THREADS_FLAG: Flag<'threads'> = {
  key: 'threads',
  kind: 'int',
  max: MAX_WASM_THREADS,
  help:
    'wasm backend: threads for convolutions and matrix products (default 1; more starts ' +
    "tfjs-backend-wasm's threaded build, snn.useThreadedWasm; docs/benchmarks.md)",
};

export const TRAIN_FLAGS: Flags<TrainArgs> = {
  '--dataset': {key: 'dataset', kind: 'string', allowed: DATASETS, help: `dataset (default ${DEFAULT_DATASET})`},
  '--data-dir': {
    key: 'dataDir',
    kind: 'string',
    help:
      'folder with the dataset files (default for fashion-mnist: the embedded 2,000/1,000 subset; ' +
      'synthetic-events is generated)',
  },
  '--model': {key: 'model', kind: 'string', allowed: MODELS, help: 'architecture (default small)'},
  '--time-steps': {
    key: 'timeSteps',
    kind: 'int',
    help: "time steps T (default: the model's, small 6, vgg 25); event datasets: frames per recording",
  },
  '--epochs': {key: 'epochs', kind: 'int', help: "epochs (default 3; with --resume the checkpoint's)"},
  '--batch-size': {key: 'batchSize', kind: 'int', help: 'batch size (default 64)'},
  '--optimizer': {
    key: 'optimizer',
    kind: 'string',
    allowed: OPTIMIZERS,
    help: "adam (default) or sgd (momentum 0.9, the reference's)",
  },
  '--lr': {key: 'lr', kind: 'number', help: 'initial learning rate (default sgd 0.1, adam 1e-3)'},
  '--schedule': {
    key: 'schedule',
    kind: 'string',
    allowed: SCHEDULES,
    help:
      'learning-rate schedule: cosine (default), step (÷10 at 50/70/90 % of the epochs, ' + "the reference's) or none",
  },
  '--weight-decay': {key: 'weightDecay', kind: 'number', help: 'weight decay on kernels and gammas (default 1e-4)'},
  '--normalization': {
    key: 'normalization',
    kind: 'string',
    allowed: NORMALIZATIONS,
    help: 'bntt (default), batchnorm (shared over time) or none',
  },
  '--encoder': {
    key: 'encoder',
    kind: 'string',
    allowed: ENCODERS,
    help: "poisson or direct (default: the model's); none for event datasets (their frames are the spike train)",
  },
  '--neuron': {
    key: 'neuron',
    kind: 'string',
    allowed: NEURONS,
    help: 'neuron after each normalization (default lif; plif learns its leak; docs/neurons.md)',
  },
  '--leak': {key: 'leak', kind: 'number', help: "membrane leak (default: the model's; plif's initial leak)"},
  '--augment': {key: 'augment', kind: 'bool', help: 'random crop and flip (default: on for CIFAR, off otherwise)'},
  '--backend': BACKEND_FLAG,
  '--threads': THREADS_FLAG,
  '--seed': {key: 'seed', kind: 'int', min: 0, help: 'seed for weights, shuffling and augmentation (default 1)'},
  '--out': {key: 'out', kind: 'string', help: 'output folder (default runs/<dataset>-<model>)'},
  '--resume': {key: 'resume', kind: 'bool', help: 'continue from the checkpoint in --out'},
  '--limit-train': {key: 'limitTrain', kind: 'int', help: 'use only the first N training images'},
  '--limit-test': {key: 'limitTest', kind: 'int', help: 'use only the first N test images'},
};

export function usage<T>(command: string, flags: Flags<T>): string {
  const lines = Object.entries(flags).map(([flag, f]) => {
    const value = f.kind === 'bool' ? '' : f.allowed ? ` ${f.allowed.join('|')}` : f.kind === 'string' ? ' PATH' : ' N';
    return `  ${(flag + value).padEnd(44)} ${f.help}`;
  });
  return [`usage: tfjs-snn ${command} [options]`, '', ...lines].join('\n');
}

export const trainUsage = () => usage('train', TRAIN_FLAGS);

function parseValue(command: string, flag: string, spec: Flag, raw: string | undefined): unknown {
  if (raw == null || raw.startsWith('--')) throw new Error(`${flag} needs a value; see tfjs-snn ${command} --help`);
  if (spec.kind === 'string') {
    if (spec.allowed != null && !spec.allowed.includes(raw)) {
      throw new Error(`${flag} must be one of ${spec.allowed.join(', ')}; got '${raw}'`);
    }
    return raw;
  }
  const value = Number(raw);
  const min = spec.min ?? 1;
  if (spec.kind === 'int' && (!Number.isInteger(value) || value < min)) {
    throw new Error(`${flag} must be an integer >= ${min}; got '${raw}'`);
  }
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (spec.kind === 'int' && (!Number.isSafeInteger(value) || value > max)) {
    throw new Error(`${flag} must be an integer from ${min} to ${max}; got '${raw}'`);
  }
  if (!Number.isFinite(value) || value < 0) throw new Error(`${flag} must be a number >= 0; got '${raw}'`);
  return value;
}

/** `--flag=value` and `--flag value` both work; `--no-switch` turns a switch off. */
export function parseFlags<T>(command: string, argv: string[], flags: Flags<T>): Partial<T> {
  const given: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    const negated = name.startsWith('--no-') ? `--${name.slice(5)}` : null;
    const spec = flags[negated ?? name];
    if (spec == null) throw new Error(`unknown option '${argv[i]}'; see tfjs-snn ${command} --help`);
    if (spec.kind === 'bool') {
      if (inline != null) throw new Error(`${name} takes no value; got '${argv[i]}'`);
      given[spec.key] = negated == null;
      continue;
    }
    if (negated != null) throw new Error(`unknown option '${name}'`);
    given[spec.key] = parseValue(command, name, spec, inline ?? argv[++i]);
  }
  return given as Partial<T>;
}

/** --dataset (default fashion-mnist), which needs --data-dir unless it has the embedded subset or is generated. */
function datasetWithDir(given: {dataset?: CommandDataset; dataDir?: string | null}): CommandDataset {
  const dataset = given.dataset ?? DEFAULT_DATASET;
  if (needsDataDir(dataset) && given.dataDir == null) {
    throw new Error(
      `--data-dir is required for --dataset ${dataset} (fashion-mnist has an embedded subset and ` +
        'synthetic-events is generated; the others are read from their files)'
    );
  }
  return dataset;
}

/** --encoder against --dataset: event recordings are already spike trains (none); images need an encoder. */
function encoderFor(dataset: CommandDataset, encoder: TrainArgs['encoder'] | undefined): TrainArgs['encoder'] {
  if (isEventDataset(dataset) && encoder != null && encoder !== 'none') {
    throw new Error(
      `--encoder ${encoder}: --dataset ${dataset} holds event recordings, which are fed as frames without an ` +
        'encoder; leave --encoder out (or give none)'
    );
  }
  if (!isEventDataset(dataset) && encoder === 'none') {
    throw new Error(
      `--encoder none: --dataset ${dataset} holds images, which need an encoder to become spike trains; ` +
        'give poisson or direct, or an event dataset'
    );
  }
  return isEventDataset(dataset) ? 'none' : (encoder ?? null);
}

/** Parses `train` arguments. */
export function parseTrainArgs(argv: string[]): TrainArgs {
  const given = parseFlags<TrainArgs>('train', argv, TRAIN_FLAGS);
  const dataset = datasetWithDir(given);
  const model = given.model ?? 'small';
  return {
    dataset,
    model,
    dataDir: given.dataDir ?? null,
    timeSteps: given.timeSteps ?? null,
    epochs: given.epochs ?? null,
    batchSize: given.batchSize ?? 64,
    optimizer: given.optimizer ?? 'adam',
    lr: given.lr ?? null,
    schedule: given.schedule ?? 'cosine',
    weightDecay: given.weightDecay ?? 1e-4,
    normalization: given.normalization ?? 'bntt',
    encoder: encoderFor(dataset, given.encoder),
    neuron: given.neuron ?? 'lif',
    leak: given.leak ?? null,
    augment: given.augment ?? null,
    backend: given.backend ?? 'auto',
    threads: given.threads ?? null,
    seed: given.seed ?? 1,
    out: given.out ?? `runs/${dataset}-${model}`,
    resume: given.resume ?? false,
    limitTrain: given.limitTrain ?? null,
    limitTest: given.limitTest ?? null,
  };
}

export interface AnalyzeArgs {
  /** A run folder (with model/model.json) or a model folder (with model.json). */
  model: string;
  dataset: CommandDataset;
  dataDir: string | null;
  limitTest: number | null;
  /** null: 100, or as many as fit (see limits.ts). */
  batchSize: number | null;
  backend: BackendChoice;
  /** null: 1 (see TrainArgs.threads). */
  threads: number | null;
  /** null: `<run folder>/analysis`. */
  out: string | null;
  gammaThreshold: number;
  confidenceThreshold: number;
  patience: number;
}

export const ANALYZE_FLAGS: Flags<AnalyzeArgs> = {
  '--model': {
    key: 'model',
    kind: 'string',
    help: 'run folder of tfjs-snn train (or a folder with model.json); required',
  },
  '--dataset': {key: 'dataset', kind: 'string', allowed: DATASETS, help: `test data (default ${DEFAULT_DATASET})`},
  '--data-dir': {
    key: 'dataDir',
    kind: 'string',
    help: 'folder with the dataset files (default for fashion-mnist: the embedded subset; synthetic-events is generated)',
  },
  '--limit-test': {key: 'limitTest', kind: 'int', help: 'use only the first N test images'},
  '--batch-size': {key: 'batchSize', kind: 'int', help: 'images run at a time (default 100, or as many as fit)'},
  '--backend': BACKEND_FLAG,
  '--threads': THREADS_FLAG,
  '--out': {key: 'out', kind: 'string', help: 'output folder (default <run folder>/analysis)'},
  '--gamma-threshold': {
    key: 'gammaThreshold',
    kind: 'number',
    help: 'early exit, gamma rule: mean BNTT scale counted as off (default 0.1)',
  },
  '--confidence-threshold': {
    key: 'confidenceThreshold',
    kind: 'number',
    help: 'early exit, confidence rule: softmax margin (default 0.5)',
  },
  '--patience': {key: 'patience', kind: 'int', help: 'early exit, confidence rule: steps in a row (default 2)'},
};

export const analyzeUsage = () => usage('analyze', ANALYZE_FLAGS);

export function parseAnalyzeArgs(argv: string[]): AnalyzeArgs {
  const given = parseFlags<AnalyzeArgs>('analyze', argv, ANALYZE_FLAGS);
  if (given.model == null) throw new Error('--model is required: the run folder of tfjs-snn train, or a model folder');
  const dataset = datasetWithDir(given);
  if (given.confidenceThreshold != null && given.confidenceThreshold > 1) {
    throw new Error(`--confidence-threshold must be a number in [0, 1]; got '${given.confidenceThreshold}'`);
  }
  return {
    model: given.model,
    dataset,
    dataDir: given.dataDir ?? null,
    limitTest: given.limitTest ?? null,
    batchSize: given.batchSize ?? null,
    backend: given.backend ?? 'auto',
    threads: given.threads ?? null,
    out: given.out ?? null,
    gammaThreshold: given.gammaThreshold ?? 0.1,
    confidenceThreshold: given.confidenceThreshold ?? 0.5,
    patience: given.patience ?? 2,
  };
}
