/**
 * `tfjs-snn convert`: between a NIR file (the exchange format of snnTorch, Norse, Sinabs, Rockpool, …) and a tfjs
 * model folder (model.json + weights). The direction follows --in: a `.nir` file is imported into a model folder;
 * a model folder (or a run folder of `tfjs-snn train` holding model/) is exported as a NIR file.
 */
import {existsSync, statSync} from 'node:fs';
import {join} from 'node:path';

import {fileSystem} from '../io/file_system';
import {loadLayersModel} from '../io/load';
import {load as loadNir, NIR_READOUTS, NirReadout, save as saveNir} from '../io/nir/index';
import {BACKEND_FLAG, BackendChoice, Flags, parseFlags, usage} from './args';
import {useBackend} from './backend';
import type {Output} from './train';

export interface ConvertArgs {
  /** A `.nir` file, or a model folder (model.json) / run folder (model/model.json). */
  input: string;
  /** A model folder (from NIR) or a `.nir` file (to NIR). */
  out: string;
  /** The time step (seconds, the file's time unit) the neurons are discretised with or run at. */
  dt: number;
  /** From NIR: the input's time axis (null: left open). */
  timeSteps: number | null;
  /** From NIR: what follows the Output node. */
  readout: NirReadout;
  backend: BackendChoice;
}

export const CONVERT_FLAGS: Flags<ConvertArgs> = {
  '--in': {
    key: 'input',
    kind: 'string',
    help: 'a .nir file, or a tfjs model folder (model.json) or run folder; required',
  },
  '--out': {
    key: 'out',
    kind: 'string',
    help: 'the model folder to write (from .nir) or the .nir file (to NIR); required',
  },
  '--dt': {
    key: 'dt',
    kind: 'number',
    help: "time step in seconds, the file's time unit (neurons are discretised with it / their decays become time constants); required",
  },
  '--time-steps': {
    key: 'timeSteps',
    kind: 'int',
    help: "from .nir: fix the input's time axis to this T (default: left open, each input's own)",
  },
  '--readout': {
    key: 'readout',
    kind: 'string',
    allowed: NIR_READOUTS,
    help: "from .nir: none (default; the output is the last node's train) or timeAverage (its mean over time, a classifier's logits: what tfjs-snn analyze and the playground take)",
  },
  '--backend': BACKEND_FLAG,
};

export const convertUsage = () => usage('convert', CONVERT_FLAGS);

export function parseConvertArgs(argv: string[]): ConvertArgs {
  const given = parseFlags<ConvertArgs>('convert', argv, CONVERT_FLAGS);
  for (const flag of ['--in', '--out', '--dt'] as const) {
    if (given[CONVERT_FLAGS[flag].key] == null) throw new Error(`${flag} is required; see tfjs-snn convert --help`);
  }
  if (!(given.dt! > 0)) throw new Error(`--dt must be a number > 0 (seconds); got '${given.dt}'`);
  return {
    input: given.input!,
    out: given.out!,
    dt: given.dt!,
    timeSteps: given.timeSteps ?? null,
    readout: given.readout ?? 'none',
    backend: given.backend ?? 'auto',
  };
}

const isNirFile = (path: string) => path.toLowerCase().endsWith('.nir');

/** The folder holding model.json: `path` itself, or `path`/model (a run folder of tfjs-snn train). */
function modelFolder(path: string): string {
  for (const dir of [path, join(path, 'model')]) {
    if (existsSync(join(dir, 'model.json'))) return dir;
  }
  throw new Error(
    `--in: '${path}' is neither a .nir file nor a folder holding model.json (or model/model.json of a train run)`
  );
}

/** Runs `tfjs-snn convert`; resolves with the direction taken. */
export async function convert(args: ConvertArgs, out: Output): Promise<'from-nir' | 'to-nir'> {
  await useBackend(args.backend);
  if (isNirFile(args.input)) {
    if (!existsSync(args.input) || !statSync(args.input).isFile()) throw new Error(`--in: no file '${args.input}'`);
    if (isNirFile(args.out)) throw new Error(`--out: '${args.out}' names a .nir file; give a folder for the model`);
    const model = await loadNir(args.input, {dt: args.dt, timeSteps: args.timeSteps, readout: args.readout});
    try {
      await model.save(fileSystem(args.out));
    } finally {
      model.dispose();
    }
    out.write(`imported ${args.input} (dt ${args.dt}) into the model folder ${args.out}\n`);
    return 'from-nir';
  }
  const dir = modelFolder(args.input);
  if (args.timeSteps != null || args.readout !== 'none') {
    const flag = args.timeSteps != null ? '--time-steps' : '--readout';
    throw new Error(`${flag} applies when importing a .nir file; --in '${args.input}' is a model folder (exporting)`);
  }
  if (!isNirFile(args.out)) throw new Error(`--out: '${args.out}' must be a .nir file (exporting ${dir} to NIR)`);
  const model = await loadLayersModel(fileSystem(dir));
  try {
    await saveNir(model, {dt: args.dt, path: args.out});
  } finally {
    model.dispose();
  }
  out.write(`exported the model in ${dir} (dt ${args.dt}) as ${args.out}\n`);
  return 'to-nir';
}
