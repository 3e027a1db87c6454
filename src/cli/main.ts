/** The `tfjs-snn` command: `tfjs-snn train [options]`. */
import {parseTrainArgs, trainUsage} from './args';
import {train} from './train';

const USAGE = `usage: tfjs-snn <command> [options]

commands:
  train    train a BNTT spiking network on a dataset and save the model and a report

Run 'tfjs-snn train --help' for the options.`;

/** Runs the command line; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command == null || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command == null ? 1 : 0;
  }
  if (command !== 'train') {
    process.stderr.write(`tfjs-snn: unknown command '${command}'\n${USAGE}\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${trainUsage()}\n`);
    return 0;
  }
  try {
    const args = parseTrainArgs(rest);
    process.once('SIGINT', () => {
      process.stderr.write(`\ninterrupted: finished epochs are in ${args.out}/checkpoint; continue with --resume\n`);
      process.exit(130);
    });
    await train(args, process.stdout);
    return 0;
  } catch (e) {
    process.stderr.write(`tfjs-snn train: ${(e as Error).message}\n`);
    return 1;
  }
}
