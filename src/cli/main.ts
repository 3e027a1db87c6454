/** The `tfjs-snn` command: `tfjs-snn train|analyze [options]`. */
import {version} from '../version';
import {analyze} from './analyze';
import {analyzeUsage, parseAnalyzeArgs, parseTrainArgs, trainUsage} from './args';
import {train} from './train';

const USAGE = `usage: tfjs-snn <command> [options]

commands:
  train    train a BNTT spiking network on a dataset and save the model and a report
  analyze  BNTT scales, firing rates, energy, accuracy against time steps and early exit of a
           trained model, as analysis.html with charts

  --version, -v  print the version
  --help, -h     print this help

Run 'tfjs-snn <command> --help' for the options.`;

async function runAnalyze(argv: string[]): Promise<void> {
  await analyze(parseAnalyzeArgs(argv), process.stdout);
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
  if (command !== 'train' && command !== 'analyze') {
    process.stderr.write(`tfjs-snn: unknown command '${command}'\n${USAGE}\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command === 'train' ? trainUsage() : analyzeUsage()}\n`);
    return 0;
  }
  try {
    if (command === 'analyze') {
      await runAnalyze(rest);
      return 0;
    }
    const args = parseTrainArgs(rest);
    process.once('SIGINT', () => {
      process.stderr.write(`\ninterrupted: finished epochs are in ${args.out}/checkpoint; continue with --resume\n`);
      process.exit(130);
    });
    await train(args, process.stdout);
    return 0;
  } catch (e) {
    process.stderr.write(`tfjs-snn ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}
