/**
 * `tessera`: the command-line entry. Sub-commands are listed here, one line each. Loading this
 * module loads no TF.js: the commands that compute import it when they run.
 */
import { describeFsError } from '../runtime/fsErrors.js';
import packageJson from '../package.json' with { type: 'json' };
import type { Command, Io } from './command.js';
import { benchCommand } from './commands/bench.js';
import { checkCommand } from './commands/check.js';
import { compileCommand } from './commands/compile.js';
import { dataCommand } from './commands/data.js';
import { diffCommand } from './commands/diff.js';
import { graphCommand } from './commands/graph.js';
import { specCommand } from './commands/spec.js';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { reportCommand } from './commands/report.js';

/** Every sub-command, in the order `--help` lists them. Add one import and one entry per command. */
const commands: ReadonlyArray<Command> = [
  specCommand,
  checkCommand,
  compileCommand,
  graphCommand,
  diffCommand,
  trainCommand,
  evalCommand,
  exportCommand,
  reportCommand,
  dataCommand,
  benchCommand,
];

const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
  get columns() {
    return process.stdout.columns;
  },
};

const helpText = (): string =>
  [
    'tessera: typed SSL architectures, checked before training, compiled to TF.js.',
    '',
    'usage: tessera <command> [options]   (tessera <command> --help for details; tessera --version)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
  ].join('\n');

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code: 0 done, 1 a
 * clear error (anything a command lets through is printed as one message, never a stack trace),
 * 2 usage.
 */
export const main = async (argv: ReadonlyArray<string>, io: Io = processIo): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(`tessera ${packageJson.version}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.err(
      `tessera: unknown command "${name}"\nhint: one of ${commands.map((c) => c.name).join(', ')}\n`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    io.err(
      `tessera ${name}: ${describeFsError(e) ?? (e instanceof Error ? e.message : String(e))}\n`,
    );
    return 1;
  }
};
