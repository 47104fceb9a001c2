/**
 * What is printed instead of a run: --help (the CLI's flags from the table in flags.ts, then each
 * transform's), --version and --list.
 */
import type { Transform } from '../types.js';
import { FLAGS, type FlagDef, type Flags } from './flags.js';
import { EXIT, type Io } from './io.js';
import { version } from './version.js';

/** `  -j, --jobs N       files processed at once ...`: the flag in a column of 21, its help after it. */
function flagLine(name: string, d: FlagDef): string {
  const head = `  ${d.short ? `-${d.short}, ` : '    '}--${name}${d.arg ? ` ${d.arg}` : ''}`;
  const indent = ' '.repeat(21);
  return (head.length < 20 ? head.padEnd(21) : `${head}\n${indent}`) + d.help.split('\n').join(`\n${indent}`);
}

export const HELP = `Usage: dockeropt [options] [PATH|GLOB ...]
       dockeropt lsp --stdio   (a language server for editors: docs/editors.md)
       dockeropt verify BEFORE AFTER [--context DIR]   (build both, compare the images: docs/verify.md)

Finds every Dockerfile under the paths (default: .) and proposes faster, slimmer, safer versions
as a unified diff. Nothing is written without --write.

Options:
${(Object.entries(FLAGS) as [string, FlagDef][]).map(([name, d]) => flagLine(name, d)).join('\n')}

Exit codes: 0 ok, 1 changes pending (--check), 2 usage error or a file failed.
Suppress per instruction with a comment on the line above: # dockeropt ignore=merge-run (or all);
a comment "# dockeropt ignore-file" anywhere leaves the whole file alone.`;

/** HELP and, under "Transform options", every transform's flags tagged with its id. */
function helpText(transforms: readonly Transform<any>[]): string {
  const extra = transforms.flatMap((t) => Object.entries(t.flags ?? {}).map(([f, d]) => {
    const name = `      --${f}${d.type === 'string' ? ' X' : ''}`;
    return (name.length < 25 ? name.padEnd(25) : `${name}\n${' '.repeat(25)}`) + `${d.help} [${t.id}]`;
  }));
  return HELP + (extra.length ? `\n\nTransform options:\n${extra.join('\n')}` : '');
}

/** --list: one line per transform, in pipeline order. */
function listText(transforms: readonly Transform<any>[]): string {
  return transforms.map((t) => `${t.id.padEnd(20)} ${t.safety.padEnd(11)} ${t.summary}\n`).join('');
}

/** Prints --help, --version or --list. */
export function printInfo(info: NonNullable<Flags['info']>, transforms: readonly Transform<any>[], io: Io): number {
  if (info === 'help') io.stdout.write(helpText(transforms) + '\n');
  else if (info === 'version') io.stdout.write(version() + '\n');
  else io.stdout.write(listText(transforms));
  return EXIT.ok;
}
