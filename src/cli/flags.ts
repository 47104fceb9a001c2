/**
 * The command line's own flags, one row each, in --help order: how parseArgs reads the flag and its
 * --help line (help.ts prints the rows as they are here); and parseFlags, which reads argv with them and
 * every transform's flags.
 *
 * Adding a flag: a row here; then use it in options.ts (check it against the other flags, put it in the
 * options). A flag that only sets a transform's option is a row in that transform's `flags` instead: it is
 * parsed, listed under "Transform options" and passed to the transform with no change to the CLI.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import type { Transform } from '../types.js';

export interface FlagDef {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  /** Repeatable: the value is an array. */
  readonly multiple?: boolean;
  /** The value's name in --help: `--jobs N`. */
  readonly arg?: string;
  /** The --help text; each further line is printed under the first. */
  readonly help: string;
}

export const FLAGS = {
  write: { type: 'boolean', short: 'w', help: 'write the changes (atomically; only files whose text changes)' },
  diff: { type: 'boolean', help: 'with --write: also print each written file\'s changes and diff (as the dry run does)' },
  check: { type: 'boolean', short: 'c', help: 'print the files that would change; exit 1 if any would' },
  'list-different': { type: 'boolean', short: 'l', help: 'the same as --check (prettier\'s name)' },
  json: { type: 'boolean', help: 'print one JSON document on stdout instead of the human output' },
  format: { type: 'string', arg: 'F', help: 'output: human (default), json, sarif (SARIF 2.1.0), github (Actions annotations)' },
  'report-refusals': { type: 'boolean', help: 'with --format sarif or github: also report refusals and notes (default: pending changes and errors)' },
  'diff-out': { type: 'string', arg: 'F', help: 'also write one patch of every change to file F (git apply takes it at the repo root)' },
  interactive: { type: 'boolean', short: 'i', help: 'review each changed file and write only what you accept (answers from stdin)' },
  'per-change': { type: 'boolean', help: 'with --interactive: ask per logical change instead of per file' },
  config: { type: 'string', arg: 'F', help: 'use this config file for every Dockerfile (default: the nearest\n.dockeroptrc.json / dockeropt.config.json / package.json "dockeropt")' },
  'no-config': { type: 'boolean', help: 'ignore config files and .dockeroptignore' },
  'no-gitignore': { type: 'boolean', help: 'also search directories and files that .gitignore excludes' },
  'print-config': { type: 'string', arg: 'F', help: 'print the configuration that applies to Dockerfile F and where it comes from; run nothing' },
  'stdin-filepath': { type: 'string', arg: 'P', help: 'read the Dockerfile from stdin and print the result on stdout; P is its path (for config,\nbuild context and messages); with --check, only the exit code' },
  jobs: { type: 'string', short: 'j', arg: 'N', help: 'files processed at once (default: the number of CPUs)' },
  only: { type: 'string', multiple: true, arg: 'a,b', help: 'run only these transforms (ids from --list)' },
  skip: { type: 'string', multiple: true, arg: 'a,b', help: 'run every transform but these' },
  runtime: { type: 'boolean', help: 'also apply runtime changes (a new base image, another user: non-root,\nrunner-stage); without it they are shown and counted, not written' },
  target: { type: 'string', arg: 'STAGE', help: 'the stage that ships (as docker build --target): runtime changes go only\nto it and the stages it builds on (default: what compose/bake files build)' },
  'safe-only': { type: 'boolean', help: 'accepted for compatibility: build-only changes are the default' },
  context: { type: 'string', arg: 'DIR', help: 'the build context of the one Dockerfile given (default: the context a compose\nfile gives it, else its directory); split-copy reads it' },
  list: { type: 'boolean', help: 'list the transforms with a one-line summary' },
  sizes: { type: 'boolean', help: 'look up base-image sizes in the registry for the impact report (the network; default: not)' },
  verbose: { type: 'boolean', help: 'list every refusal, and the impact per directory and per file' },
  'ci-hint': { type: 'boolean', help: 'when a file changes, show how to keep the build cache in CI' },
  verify: { type: 'string', arg: '[=cache]', help: 'build each file that would change before and after and compare the images;\na build-only change that is not identical is a bug (exit 2, never written);\nwith --write, only files whose build-only changes verified identical are written;\n=cache also rebuilds both after changing a source file (the cache gain)' },
  builder: { type: 'string', arg: 'B', help: 'with --verify: docker, podman or buildah (default: the first that works)' },
  quiet: { type: 'boolean', short: 'q', help: 'print only the diff (or, with --check, the file names)' },
  debug: { type: 'boolean', help: 'stack traces and timings on stderr' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', short: 'v', help: 'the version' },
} as const satisfies Readonly<Record<string, FlagDef>>;

type Value<D> = D extends { type: 'boolean' } ? boolean : D extends { multiple: true } ? string[] : string;

/** Parsed values: the CLI's flags typed from the table, a transform's flags by name (e.g. `offline`). */
export type Values = { readonly [K in keyof typeof FLAGS]?: Value<(typeof FLAGS)[K]> } & Readonly<Record<string, unknown>>;

export interface Flags {
  /** --help, --version or --list (in that precedence): print it and stop. */
  info: 'help' | 'version' | 'list' | null;
  values: Values;
  /** The PATH|GLOB arguments. */
  paths: string[];
  /** The built-in transforms, in pipeline order (none loaded for a lone --version). */
  transforms: readonly Transform<any>[];
}

/** Reads argv: the CLI's flags and every transform's; an unknown or malformed flag is a UsageError. */
export async function parseFlags(argv: readonly string[]): Promise<Flags> {
  // the transforms (and the shell parser they load) are only needed past this point
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) return { info: 'version', values: {}, paths: [], transforms: [] };
  const { transforms } = await import('../../transforms/index.js');
  const options = parseArgsOptions();
  for (const t of transforms) {
    // a transform's flag named like one of the CLI's is parsed as the CLI's (and reaches both)
    for (const [flag, def] of Object.entries(t.flags ?? {})) {
      if (!options[flag]) options[flag] = { type: def.type, ...(def.multiple ? { multiple: true } : {}) };
    }
  }
  let parsed;
  try {
    // `--verify` takes an optional value (`--verify=cache`), which parseArgs has no notion of
    parsed = parseArgs({ args: argv.map((a) => (a === '--verify' ? '--verify=build' : a)), options, allowPositionals: true, strict: true });
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    const near = unknown ? closest(unknown, Object.keys(options)) : null;
    throw new UsageError(message, near ? `Did you mean --${near}?` : undefined);
  }
  const values = parsed.values as Values;
  const info = values.help ? 'help' : values.version ? 'version' : values.list ? 'list' : null;
  return { info, values, paths: parsed.positionals, transforms };
}

/** The table as parseArgs takes it. */
function parseArgsOptions(): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, d] of Object.entries(FLAGS) as [string, FlagDef][]) {
    options[name] = { type: d.type, ...(d.short ? { short: d.short } : {}), ...(d.multiple ? { multiple: true } : {}) };
  }
  return options;
}
