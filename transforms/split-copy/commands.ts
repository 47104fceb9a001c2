/**
 * The command rules of split-copy: what one simple command of an ecosystem in ecosystems.ts is (an
 * install, a build, neutral, other, or refused). Each rule reads its row's subcommands and value options;
 * what is left here is what does not fit a list (a flag that refuses, an option that makes an install
 * global). Words come in as static words found by the shell parser (src/shell.ts), never shell text.
 */
import type { CommandClass, CommandRule, Ecosystem } from './ecosystems.js';

export const base = (w: string) => w.slice(w.lastIndexOf('/') + 1);
export const isFlag = (w: string) => w.startsWith('-') && w !== '-';
/** A word naming a path relative to the working directory (so a file of the source). */
export const relPath = (w: string) => !isFlag(w) && !/^[a-z][a-z0-9+.-]*:/i.test(w) && !w.startsWith('/') && (w.startsWith('.') || w.includes('/'));

/** Positional words after `from`, skipping the values of the listed value-taking flags. */
export function positionals(words: string[], from: number, valueFlags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = from; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') { out.push(...words.slice(i + 1)); break; }
    if (isFlag(w)) {
      if (!w.includes('=') && valueFlags.includes(w)) i++;
      continue;
    }
    out.push(w);
  }
  return out;
}
/** Value of a flag (`--f v`, `--f=v`, `-fv` for one-letter flags); every occurrence. */
export function flagValues(words: string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    for (const n of names) {
      if (w === n && i + 1 < words.length) out.push(words[++i]!);
      else if (w.startsWith(n + '=')) out.push(w.slice(n.length + 1));
      else if (/^-[a-zA-Z]$/.test(n) && w.startsWith(n) && w.length > 2 && !w.startsWith('--')) out.push(w.slice(2));
    }
  }
  return out;
}
export const hasFlag = (words: string[], names: readonly string[]) => words.some((w) => names.some((n) => w === n || w.startsWith(n + '=')));

/** Index of the first word after `from` that is not a flag or a value of one of `valueFlags`. */
function subIndex(words: string[], from = 1, valueFlags: readonly string[] = []): number {
  let i = from;
  while (i < words.length && isFlag(words[i]!)) i += !words[i]!.includes('=') && valueFlags.includes(words[i]!) ? 2 : 1;
  return i;
}

/** Is the word one of the row's list (a missing list holds nothing)? */
const isIn = (list: readonly string[] | undefined, w: string | undefined) => w !== undefined && (list ?? []).includes(w);

const NEUTRAL: CommandClass = { kind: 'neutral' };
const OTHER: CommandClass = { kind: 'other' };

/** System package managers: neutral unless an operand is a file of the source (`apt-get install ./x.deb`). */
const PKG_MANAGERS = new Set(['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf', 'zypper', 'tdnf']);
const NOOPS = new Set(['true', ':', 'echo', 'printf']);

/** Commands of no ecosystem that read no file of the source; null when the command is not one of them. */
export function neutralTool(name: string, words: string[]): CommandClass | null {
  if (PKG_MANAGERS.has(name)) return words.slice(1).some(relPath) ? OTHER : NEUTRAL;
  if (NOOPS.has(name)) return NEUTRAL;
  if (name === 'rm' || name === 'mkdir') {
    const args = words.slice(1).filter((w) => !isFlag(w));
    return args.length > 0 && args.every((a) => a.startsWith('/')) ? NEUTRAL : OTHER;
  }
  if (name === 'corepack') return words[1] === 'enable' || words[1] === 'prepare' || (words[1] === 'install' && hasFlag(words, ['-g', '--global'])) ? NEUTRAL : OTHER;
  if (name === 'gem') {
    const sub = words[1];
    if ((sub === 'install' || sub === 'update') && !words.slice(2).some((w) => relPath(w) || w.endsWith('.gem'))) return NEUTRAL;
    return OTHER;
  }
  return null;
}

/** Options that point an npm, pnpm or bun install at another directory or workspace. */
const JS_ELSEWHERE = ['--prefix', '-C', '--dir', '--cwd', '--workspace', '-w', '--workspaces', '--filter', '-F', '-r', '--recursive', '--modules-dir', '--virtual-store-dir'];

/** npm, pnpm and bun. */
export const jsCommand: CommandRule = (words, _start, row) => {
  const eco = row.eco;
  const s = subIndex(words, 1, row.leadingValueFlags);
  const sub = words[s];
  const args = words.slice(s + 1);
  const global = hasFlag(words, ['-g', '--global']);
  if (isIn(row.neutral, sub) || sub === 'version' && args.length === 0) return NEUTRAL;
  if ((sub === 'install' || sub === 'i' || sub === 'add') && global) return args.some(relPath) ? OTHER : NEUTRAL;
  if (!isIn(row.installs, sub)) return OTHER;
  if (positionals(words, s + 1, row.valueFlags ?? []).length > 0) return OTHER;
  const bad = args.find((w) => JS_ELSEWHERE.some((f) => w === f || w.startsWith(f + '=')));
  if (bad) return { kind: 'refuse', eco, reason: `\`${words.join(' ')}\` installs for another directory or workspace (${bad}), whose files cannot be listed` };
  const uc = flagValues(words, ['--userconfig']).find((v) => !v.startsWith('/'));
  if (uc) return { kind: 'refuse', eco, reason: `\`${words.join(' ')}\` reads ${uc} from the source` };
  return { kind: 'install', eco, words, sub: s };
};

export const yarnCommand: CommandRule = (words, _start, row) => {
  const s = subIndex(words, 1, row.leadingValueFlags);
  const sub = words[s];
  if (isIn(row.neutral, sub) || (sub === 'config' && words[s + 1] !== undefined)) return NEUTRAL;
  if (sub !== undefined && !isIn(row.installs, sub)) {
    if (sub === 'workspaces' || sub === 'workspace') return { kind: 'refuse', eco: 'yarn', reason: `\`${words.join(' ')}\` installs workspaces, whose member manifests cannot all be listed` };
    return OTHER;
  }
  const from = sub === undefined ? 1 : s + 1;
  if (positionals(words, from, row.valueFlags ?? []).length > 0) return OTHER;
  if (hasFlag(words, ['--cwd', '--modules-folder'])) return { kind: 'refuse', eco: 'yarn', reason: `\`${words.join(' ')}\` installs into another directory, which this transform does not follow` };
  return { kind: 'install', eco: 'yarn', words, sub: sub === undefined ? 0 : s };
};

/** pip, `python -m pip` and `uv pip` (`start` is the word after `pip`). */
export const pipCommand: CommandRule = (words, start, row) => {
  const s = subIndex(words, start);
  if (!isIn(row.installs, words[s])) return isIn(row.neutral, words[s]) ? NEUTRAL : OTHER;
  const args = words.slice(s + 1);
  const cmd = words.join(' ');
  const pos = positionals(words, s + 1, row.valueFlags ?? []);
  const editable = flagValues(args, ['-e', '--editable']);
  if (editable.length) return { kind: 'refuse', eco: 'pip', reason: `\`${cmd}\` installs ${editable[0]} in editable mode, which builds it from the source` };
  const local = pos.find((p) => relPath(p) || p === '.' || p === '..');
  if (local) return { kind: 'refuse', eco: 'pip', reason: `\`${cmd}\` installs ${local} from the source (it runs its build, which needs the source files)` };
  for (const f of ['-t', '--target', '--prefix', '--root', '--src']) {
    const v = flagValues(args, [f]).find((x) => !x.startsWith('/'));
    if (v) return { kind: 'refuse', eco: 'pip', reason: `\`${cmd}\` installs into the relative directory ${v}, which COPY . . could overwrite` };
  }
  const links = flagValues(args, ['-f', '--find-links']).find((v) => !/^[a-z]+:\/\//i.test(v));
  if (links) return { kind: 'refuse', eco: 'pip', reason: `\`${cmd}\` finds packages in the local directory ${links}` };
  if (flagValues(args, ['-r', '--requirement', '-c', '--constraint']).length === 0) return NEUTRAL;
  return { kind: 'install', eco: 'pip', words, sub: s };
};

export const poetryCommand: CommandRule = (words, _start, row) => {
  const s = subIndex(words);
  const sub = words[s];
  if (sub === 'config') return hasFlag(words, ['--local']) ? OTHER : NEUTRAL;
  if (isIn(row.neutral, sub)) return NEUTRAL;
  if (!isIn(row.installs, sub)) return OTHER;
  if (hasFlag(words, ['-C', '--directory', '-P', '--project'])) return { kind: 'refuse', eco: 'poetry', reason: `\`${words.join(' ')}\` installs another directory's project, which this transform does not follow` };
  if (hasFlag(words, ['--only-root'])) return { kind: 'refuse', eco: 'poetry', reason: `\`${words.join(' ')}\` installs only the project itself, which needs the source, so \`--no-root\` cannot be added` };
  if (positionals(words, s + 1, row.valueFlags ?? []).length) return OTHER;
  return { kind: 'install', eco: 'poetry', words, sub: s };
};

export const uvCommand: CommandRule = (words, _start, row) => {
  const s = subIndex(words);
  const sub = words[s];
  if (sub === 'pip') return { readAs: 'pip', start: s + 1 };
  if (isIn(row.neutral, sub)) return NEUTRAL;
  if (!isIn(row.installs, sub)) return OTHER;
  const bad = ['--package', '--all-packages', '--directory', '--project'].find((f) => hasFlag(words, [f]));
  if (bad) return { kind: 'refuse', eco: 'uv', reason: `\`${words.join(' ')}\` syncs another project or workspace member (${bad}), whose files cannot be listed` };
  if (positionals(words, s + 1, row.valueFlags ?? []).length) return OTHER;
  return { kind: 'install', eco: 'uv', words, sub: s };
};

export const pipenvCommand: CommandRule = (words, _start, row) => {
  const s = subIndex(words);
  const sub = words[s];
  if (isIn(row.neutral, sub)) return NEUTRAL;
  if (!isIn(row.installs, sub)) return OTHER;
  if (positionals(words, s + 1, row.valueFlags ?? []).length) return OTHER;
  return { kind: 'install', eco: 'pipenv', words, sub: s };
};

export const goCommand: CommandRule = (words, _start, row) => {
  const sub = words[1];
  if (isIn(row.neutral, sub)) return NEUTRAL;
  if (sub === 'mod' && words[2] === 'download' && positionals(words, 3, []).length === 0) return { kind: 'install', eco: 'go', words, sub: 2 };
  const valueFlags = row.valueFlags ?? [];
  if (sub === 'install' && positionals(words, 2, valueFlags).some((p) => p.includes('@'))) {
    return positionals(words, 2, valueFlags).every((p) => p.includes('@')) ? NEUTRAL : OTHER;
  }
  if (isIn(row.builds, sub)) {
    if (hasFlag(words, ['-C', '-modfile'])) return { kind: 'refuse', eco: 'go', reason: `\`${words.join(' ')}\` builds with another directory or go.mod (-C, -modfile), which this transform does not follow` };
    return { kind: 'build', eco: 'go', words, sub: 1 };
  }
  return OTHER;
};

/** Maven: the row's `installs` are the resolving goals and its `builds` the lifecycle phases. */
export const mavenCommand: CommandRule = (words, _start, row) => {
  const cmd = words.join(' ');
  if (words.slice(1).every((w) => w === '-v' || w === '--version')) return NEUTRAL;
  const bad = ['-f', '--file', '-pl', '--projects', '-rf', '--resume-from', '-am', '--also-make', '-o', '--offline', '-t', '--toolchains'].find((f) => hasFlag(words, [f]));
  if (bad) return { kind: 'refuse', eco: 'maven', reason: `\`${cmd}\` uses ${bad}, which this transform cannot carry to a dependency step` };
  const goals = positionals(words, 1, row.valueFlags ?? []);
  if (goals.length === 0) return OTHER;
  if (goals.every((g) => isIn(row.installs, g))) return { kind: 'install', eco: 'maven', words, sub: 0 };
  const unknown = goals.find((g) => !isIn(row.builds, g) && !/^[\w.-]+:[\w.-]+(:[\w.-]+)*$/.test(g));
  if (unknown) return { kind: 'refuse', eco: 'maven', reason: `\`${cmd}\`: cannot tell what \`${unknown}\` means to Maven` };
  return { kind: 'build', eco: 'maven', words, sub: 0 };
};

export const gradleCommand: CommandRule = (words) => {
  if (words.slice(1).every((w) => w === '--version' || w === '-v')) return NEUTRAL;
  return { kind: 'refuse', eco: 'gradle', reason: 'Gradle has no built-in task that only resolves dependencies (a `dependencies` listing or a custom resolve task resolves only some configurations and can run build logic that needs the source), so no dependency step can be inserted safely; consider a cache mount for /root/.gradle instead' };
};

export const bundlerCommand: CommandRule = (words, _start, row) => {
  const sub = words[1];
  if (isIn(row.neutral, sub)) return NEUTRAL;
  if (sub !== undefined && !isIn(row.installs, sub) && !isFlag(sub)) return OTHER;
  const path = flagValues(words, ['--path']).find((v) => !v.startsWith('/'));
  if (path) return { kind: 'refuse', eco: 'bundler', reason: `\`${words.join(' ')}\` installs gems into the relative directory ${path}, which COPY . . could overwrite` };
  if (hasFlag(words, ['--gemfile'])) return { kind: 'refuse', eco: 'bundler', reason: `\`${words.join(' ')}\` uses another Gemfile (--gemfile), which this transform does not follow` };
  return { kind: 'install', eco: 'bundler', words, sub: sub === undefined || isFlag(sub) ? 0 : 1 };
};

export const composerCommand: CommandRule = (words, _start, row) => {
  const s = subIndex(words);
  const sub = words[s];
  if (isIn(row.neutral, sub)) return NEUTRAL;
  if (sub === 'config' && hasFlag(words, ['-g', '--global'])) return NEUTRAL;
  if (!isIn(row.installs, sub)) return OTHER;
  if (hasFlag(words, ['-d', '--working-dir'])) return { kind: 'refuse', eco: 'composer', reason: `\`${words.join(' ')}\` installs another directory (--working-dir), which this transform does not follow` };
  return { kind: 'install', eco: 'composer', words, sub: s };
};

export const cargoCommand: CommandRule = (words, _start, row) => {
  const sub = words[1];
  if (sub === 'install' && !hasFlag(words, ['--path'])) return NEUTRAL;
  if (isIn(row.neutral, sub)) return NEUTRAL;
  if (sub === 'build' || sub === 'fetch' || sub === 'install' || sub === 'test' || sub === 'run' || sub === 'chef') {
    return { kind: 'refuse', eco: 'cargo', reason: 'Cargo cannot fetch or build dependencies from Cargo.toml and Cargo.lock alone (it needs the crate\'s targets, e.g. src/main.rs); caching them needs a dummy-source build or cargo-chef, which this transform does not write; consider cache mounts for /usr/local/cargo/registry and target/ instead' };
  }
  return OTHER;
};

export const dotnetCommand: CommandRule = (words, _start, row) => {
  const sub = words[1];
  if (isIn(row.neutral, sub)) return NEUTRAL;
  if (sub === 'tool' && hasFlag(words, ['-g', '--global'])) return NEUTRAL;
  if (isIn(row.installs, sub)) return { kind: 'install', eco: 'dotnet', words, sub: 1 };
  if (isIn(row.builds, sub)) return { kind: 'build', eco: 'dotnet', words, sub: 1 };
  return OTHER;
};
