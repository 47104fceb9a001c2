/**
 * What is printed instead of a run: --help (the CLI's flags from the table in flags.ts, then each
 * transform's), --version and --list.
 */
import type { Transform } from '../types.js';
import { FLAGS, type FlagDef, type Flags } from './flags.js';
import { EXIT, type Io } from './io.js';
import { version } from './version.js';

/** --help lines are wrapped to this width (continuations indented under the text). */
export const HELP_WIDTH = 100;

/** Wraps `text` (its own line breaks kept) to HELP_WIDTH, every line after the first indented by `indent`. */
function wrapped(text: string, first: number, indent: number): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      const room = HELP_WIDTH - (out.length === 0 ? first : indent);
      if (line && line.length + 1 + word.length > room) { out.push(line); line = word; } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out.join(`\n${' '.repeat(indent)}`);
}

/** `  -j, --jobs N       files processed at once ...`: the flag in a column of 21, its help after it, wrapped. */
function flagLine(name: string, d: FlagDef, extra = ''): string {
  const head = `  ${d.short ? `-${d.short}, ` : '    '}--${name}${d.arg ? ` ${d.arg}` : ''}`;
  const indent = ' '.repeat(21);
  const help = d.help.split('\n').join(' ') + extra;
  return head.length < 20 ? head.padEnd(21) + wrapped(help, 21, 21) : `${head}\n${indent}${wrapped(help, 21, 21)}`;
}

/** What a transform adds to a CLI flag of the same name (the flag reaches both), e.g. pin-digests' --jobs. */
let shared: Map<string, string> = new Map();

export const HELP = helpHead();

function helpHead(): string {
  return `Usage: dockeropt [options] [PATH|GLOB ...]
       dockeropt lsp --stdio   (a language server for editors: docs/editors.md)
       dockeropt verify BEFORE AFTER [--context DIR]
               (build both, compare the images: docs/verify.md)

Finds every Dockerfile under the paths (default: .) and proposes faster, slimmer, safer versions
as a unified diff. Nothing is written without --write.

Options:
${(Object.entries(FLAGS) as [string, FlagDef][]).map(([name, d]) => flagLine(name, d, shared.get(name) ?? '')).join('\n')}

Exit codes: 0 ok, 1 changes pending (--check), 2 usage error or a file failed.
Suppress per instruction with a comment on the line above: # dockeropt ignore=merge-run (or all);
a comment "# dockeropt ignore-file" anywhere leaves the whole file alone.`;
}

/**
 * HELP and, under "Transform options", every transform's flags tagged with its id. A transform flag
 * named like one of the CLI's (pin-digests' --jobs, --debug) is parsed as the CLI's and reaches both, so it
 * is listed once, on the CLI's line, with what it also does.
 */
function helpText(transforms: readonly Transform<any>[]): string {
  shared = new Map();
  const extra: string[] = [];
  for (const t of transforms) for (const [f, d] of Object.entries(t.flags ?? {})) {
    if (f in FLAGS) { shared.set(f, `${shared.get(f) ?? ''}; [${t.id}] ${d.help}`); continue; }
    const name = `      --${f}${d.type === 'string' ? ' X' : ''}`;
    const help = `${d.help} [${t.id}]`;
    extra.push(name.length < 25 ? name.padEnd(25) + wrapped(help, 25, 25) : `${name}\n${' '.repeat(25)}${wrapped(help, 25, 25)}`);
  }
  return helpHead() + (extra.length ? `\n\nTransform options:\n${extra.join('\n')}` : '');
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
