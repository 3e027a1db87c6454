/** The `tfjs-snn` command: `tfjs-snn train|analyze|convert [options]`. */
import {version} from '../version';
import {analyze} from './analyze';
import {analyzeUsage, parseAnalyzeArgs, parseTrainArgs, trainUsage} from './args';
import {convert, convertUsage, parseConvertArgs} from './convert';
import {train} from './train';

/** The commands, each with its line in the help, its options' help and how it runs. */
const COMMANDS = {
  train: {
    summary: ['train a BNTT spiking network on a dataset and save the model and a report'],
    usage: trainUsage,
    run: async (argv: string[]) => {
      const args = parseTrainArgs(argv);
      process.once('SIGINT', () => {
        process.stderr.write(`\ninterrupted: finished epochs are in ${args.out}/checkpoint; continue with --resume\n`);
        process.exit(130);
      });
      await train(args, process.stdout);
    },
  },
  analyze: {
    summary: [
      'BNTT scales, firing rates, energy, accuracy against time steps, early exit and learnt neuron',
      'parameters of a trained model, as analysis.html with charts',
    ],
    usage: analyzeUsage,
    run: async (argv: string[]) => {
      await analyze(parseAnalyzeArgs(argv), process.stdout);
    },
  },
  convert: {
    summary: ['a NIR file (snnTorch, Norse, Sinabs, Rockpool, …) to a tfjs model folder, or a model folder to NIR'],
    usage: convertUsage,
    run: async (argv: string[]) => {
      await convert(parseConvertArgs(argv), process.stdout);
    },
  },
} as const;
/** The commands of `tfjs-snn`, in the order the help lists them. */
export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as readonly CommandName[];

const width = Math.max(...COMMAND_NAMES.map(c => c.length)) + 1;
const USAGE = `usage: tfjs-snn <command> [options]

commands:
${COMMAND_NAMES.flatMap(c => COMMANDS[c].summary.map((line, i) => `  ${(i === 0 ? c : '').padEnd(width)} ${line}`)).join('\n')}

  --version, -v  print the version
  --help, -h     print this help

Run 'tfjs-snn <command> --help' for the options.`;

function isCommand(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

/** Runs the command line; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command == null || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command == null ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (!isCommand(command)) {
    process.stderr.write(`tfjs-snn: unknown command '${command}'\n${USAGE}\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${COMMANDS[command].usage()}\n`);
    return 0;
  }
  try {
    await COMMANDS[command].run(rest);
    return 0;
  } catch (e) {
    process.stderr.write(`tfjs-snn ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}
