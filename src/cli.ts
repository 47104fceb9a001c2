/**
 * The command line: parses flags, runs the batch, prints results and returns the exit code.
 * Exit codes: 0 ok, 1 changes pending (only under --check), 2 usage error or a file failed.
 * Heavy modules are imported only when a run needs them, so `--version` and `--help` start fast.
 *
 * `execute` is the whole command, one step per module in src/cli/:
 *   flags.ts    the flag table (one row per flag, its --help line with it) and parseFlags
 *   help.ts     what --help, --version and --list print
 *   options.ts  buildOptions: the flags checked against each other, the run's options
 *   batch.ts    runBatch: the run (or the --interactive review), human output streamed as files finish
 *   report.ts   report: one reporter per output format, the --diff-out patch, the exit code
 * A new flag is a row in flags.ts, used in options.ts; a new subcommand goes in `main` (see there).
 */
import { UsageError } from './errors.js';
import { runBatch } from './cli/batch.js';
import { parseFlags } from './cli/flags.js';
import { printInfo } from './cli/help.js';
import { EXIT, type Io } from './cli/io.js';
import { buildOptions } from './cli/options.js';
import { report } from './cli/report.js';

export { EXIT, type Io } from './cli/io.js';
export { HELP } from './cli/help.js';
export { version } from './cli/version.js';

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    // A subcommand (`dockeropt NAME ...`) is dispatched here on argv[0], before the batch command, to its
    // own `execute` in src/cli/NAME.ts taking (argv.slice(1), io); its usage errors and crashes are then
    // reported below like the batch command's.
    if (argv[0] === 'lsp') return await (await import('./lsp/server.js')).lspMain(argv.slice(1), io);
    if (argv[0] === 'verify') return (await import('./verify/cli.js')).verifyMain(argv.slice(1), io);
    return await execute(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`dockeropt: ${e.message}${e.hint ? `\n${e.hint}` : ''}\nRun dockeropt --help for usage.\n`);
      return EXIT.error;
    }
    io.stderr.write(`dockeropt: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (debug) io.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    else io.stderr.write('Run with --debug for a stack trace.\n');
    return EXIT.error;
  }
}

/** The batch command: `dockeropt [options] [PATH|GLOB ...]`. */
async function execute(argv: readonly string[], io: Io): Promise<number> {
  const flags = await parseFlags(argv);
  if (flags.info) return printInfo(flags.info, flags.transforms, io);
  const options = await buildOptions(flags, io);
  if (flags.values['stdin-filepath'] !== undefined) return (await import('./cli/stdin.js')).runStdin(flags.values['stdin-filepath'], options, io);
  if (flags.values['print-config'] !== undefined) return (await import('./cli/print-config.js')).printConfig(flags.values['print-config'], options, io);
  const batch = await runBatch(options, io);
  return report(batch, options, io);
}
