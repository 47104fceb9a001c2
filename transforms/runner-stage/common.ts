/**
 * What the runner-stage recipes share: path arithmetic, the commands every recipe accounts for (package
 * installs of build tools, harmless commands), and the walks over the RUN commands and the build output.
 */
import type { Flag, Instruction, ModifiableInstruction } from 'dockerfile-ast';
import type { DocView } from '../../src/document.js';
import { parseView, runShellView, simpleCommands } from '../../src/shell.js';
import type { Cmd, StageFacts } from './facts.js';
import type { Refusal, RunnerCopy } from './recipe.js';

export const flagsOf = (ins: Instruction): Flag[] => (ins as Partial<ModifiableInstruction>).getFlags?.() ?? [];

export const isAbs = (p: string) => p.startsWith('/');
export const norm = (p: string) => {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop(); else out.push(part);
  }
  return '/' + out.join('/');
};
export const resolve = (cwd: string, p: string) => norm(isAbs(p) ? p : `${cwd}/${p}`);
export const within = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');
export const base = (p: string) => p.split('/').pop() ?? p;
export const dirOf = (p: string) => norm(p.split('/').slice(0, -1).join('/') || '/');
export const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** System packages that only build software: installing them says nothing about what the app needs at run time. */
const BUILD_ONLY_PACKAGES = new Set([
  'git', 'make', 'cmake', 'gcc', 'g++', 'clang', 'musl-dev', 'musl-tools', 'build-base', 'build-essential',
  'ca-certificates', 'upx', 'upx-ucl', 'curl', 'wget', 'unzip', 'pkg-config', 'pkgconf', 'protobuf-compiler', 'protobuf-dev',
]);
const PACKAGE_MANAGERS = new Set(['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf']);
/** Commands that cannot change what the runner copies. */
const HARMLESS = new Set(['echo', 'true', 'ls', 'printf', 'test', '[', 'rm', 'mkdir', 'chmod', 'cat', 'env', 'pwd', 'whoami', 'id', 'set']);

/** Checks a package-manager command: only build tools may be installed. */
function packageProblem(c: Cmd): string | null {
  const name = base(c.words[0] ?? '');
  if (!PACKAGE_MANAGERS.has(name)) return null;
  const sub = c.words.slice(1).find((w) => w !== null && !w.startsWith('-'));
  if (sub !== 'install' && sub !== 'add') return null;
  const pkgs = c.words.slice(c.words.indexOf(sub) + 1).filter((w) => w === null || !w.startsWith('-'));
  const runtime = pkgs.filter((p) => p === null || !BUILD_ONLY_PACKAGES.has(p.replace(/[=<>].*$/, '')));
  if (runtime.length === 0) return null;
  return `the RUN installs system packages (${runtime.map((p) => p ?? '<variable>').join(' ')}) that the app may need at run time; the runner image would not have them`;
}

/** Packages that install a compiler toolchain: a final stage that installs one builds and runs in one stage. */
const COMPILER_PACKAGES = new Set(['gcc', 'g++', 'clang', 'build-essential', 'build-base', 'gcc-c++', 'cargo', 'rustc', 'golang', 'default-jdk']);

/** The first compiler a RUN of the stage installs with a package manager (`apt-get install gcc`), with its line, or null. */
export function compilerInstall(doc: DocView, ins: readonly Instruction[]): { pkg: string; line: number } | null {
  for (const i of ins) {
    if (i.getKeyword() !== 'RUN') continue;
    const view = runShellView(doc, i);
    const parsed = view ? parseView(view) : null;
    if (!view || !parsed || 'error' in parsed) continue;
    for (const c of simpleCommands(parsed.file)) {
      if (!PACKAGE_MANAGERS.has(base(c.words[0] ?? ''))) continue;
      const sub = c.words.slice(1).find((w) => w !== null && !w.startsWith('-'));
      if (sub !== 'install' && sub !== 'add') continue;
      const pkg = c.words.find((w) => w !== null && COMPILER_PACKAGES.has(w.replace(/[=<>].*$/, '')));
      if (pkg) return { pkg: pkg.replace(/[=<>].*$/, ''), line: doc.lineOf(view.toDoc(parsed.offset(c.call.Pos()))) };
    }
  }
  return null;
}

export const unknownCommand = (c: Cmd, what: string): Refusal => ({
  line: c.line,
  refuse: `the RUN runs \`${c.words.map((w) => w ?? '<expansion>').join(' ')}\`, whose effect on the ${what} runner-stage cannot account for`,
});

/**
 * Walks the stage's RUN commands in order, as every recipe does: a package install of something other
 * than a build tool refuses; package managers, harmless commands and the recipe's own `skip` names are
 * accounted for; every other command goes to `judge` (by its program's base name), which refuses or
 * accepts it. The first refusal ends the walk.
 */
export function eachCommand(f: StageFacts, skip: readonly string[], judge: (c: Cmd, name: string) => Refusal | void): Refusal | null {
  for (const c of f.cmds) {
    const name = base(c.words[0] ?? '');
    const pk = packageProblem(c);
    if (pk) return { line: c.line, refuse: pk };
    if (PACKAGE_MANAGERS.has(name) || HARMLESS.has(name) || skip.includes(name)) continue;
    const r = judge(c, name);
    if (r) return r;
  }
  return null;
}

/** A file the build wrote, with the line and word that show it. */
export interface Produced { path: string; line: number; evidence: string }

/** What a build with an output directory (Java's target/, Rust's target/release) leaves in the build stage. */
export interface BuildOutputs {
  /** The output directories of the build commands, in order. */
  dirs: string[];
  /** Files `cp SRC DEST` / `mv SRC DEST` copied out of an output directory. */
  produced: Produced[];
  /** Line and word of the last build command (`package`, `--release`). */
  line: number;
  evidence: string;
}

/**
 * Walks the RUN commands (eachCommand) of a recipe whose build writes an output directory: `cp`/`mv` out
 * of an output directory are followed; every other command goes to `build`, which returns the directory
 * it writes with the word that shows it, null for a command that writes no output, or a refusal.
 */
export function buildOutputs(f: StageFacts, skip: readonly string[], build: (c: Cmd, name: string) => { dir: string; evidence: string } | Refusal | null): BuildOutputs | Refusal {
  const out: BuildOutputs = { dirs: [], produced: [], line: 0, evidence: '' };
  const refusal = eachCommand(f, skip, (c, name) => {
    if (name === 'cp' || name === 'mv') {
      const r = copiedOut(c, out.dirs);
      if (r && 'refuse' in r) return r;
      if (r) out.produced.push(r);
      return;
    }
    const step = build(c, name);
    if (step === null) return;
    if ('refuse' in step) return step;
    out.dirs.push(step.dir);
    out.line = c.line;
    out.evidence = step.evidence;
  });
  return refusal ?? out;
}

/** The first of `candidates` (paths the start command's program may be) that the build copied out, else one in an output directory. */
export function outputHit(out: BuildOutputs, candidates: string[]): Produced | null {
  const copied = out.produced.find((p) => candidates.includes(p.path));
  if (copied) return copied;
  const p = candidates.find((x) => out.dirs.includes(dirOf(x)));
  return p ? { path: p, line: out.line, evidence: out.evidence } : null;
}

/** Copies made by `cp SRC DEST` / `mv SRC DEST` out of a build-output directory, as produced paths. */
function copiedOut(c: Cmd, outputDirs: string[]): Produced | Refusal | null {
  const w = c.words;
  if (w.length !== 3 || w[1] === null || w[2] === null || w[1]!.startsWith('-') || /[*?[]/.test(w[1]! + w[2]!)) return unknownCommand(c, 'build output');
  if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the cp source unknown' };
  const src = resolve(c.cwd, w[1]!);
  if (!outputDirs.some((d) => dirOf(src) === d)) return unknownCommand(c, 'build output');
  const destRaw = w[2]!;
  const dest = destRaw.endsWith('/') ? resolve(c.cwd, destRaw + base(src)) : resolve(c.cwd, destRaw);
  return { path: dest, line: c.line, evidence: destRaw };
}

/** Where the start command's program lives, resolved like exec does (PATH lookup for bare names). */
export function programCandidates(prog: string, workdir: string | null): string[] {
  if (prog.includes('/')) return [resolve(workdir ?? '/', prog)];
  return PATH_DIRS.map((d) => `${d}/${prog}`);
}

/** Node and Python copy the app directory whole: every COPY must write inside it, with one owner. */
export function appDirProblem(doc: DocView, f: StageFacts, appDir: string): Refusal | null {
  const outside = f.copies.find((c) => c.dest === null || !within(c.dest, appDir));
  if (outside) return { line: doc.lineOfNode(outside.ins), refuse: `the ${outside.ins.getKeyword()} writes ${outside.dest ?? 'a path with a variable'}, outside the app directory ${appDir}, which the runner would not get` };
  const chowns = new Set(f.copies.map((c) => c.chown));
  if (chowns.size > 1) return { line: doc.lineOfNode(f.copies[0]!.ins), refuse: 'the COPY instructions give the app files different owners (--chown), which one COPY --from cannot keep' };
  return null;
}

/** The copy of the app directory, with the WORKDIR that names it as evidence (else `fallbackLine`). */
export function appDirCopy(doc: DocView, f: StageFacts, appDir: string, fallbackLine: number): RunnerCopy {
  const wd = f.stage.instructions.filter((i) => i.getKeyword() === 'WORKDIR').map((i) => ({ i, v: i.getArguments()[0]?.getValue() ?? '' }));
  const ev = wd.find((w) => f.states.get(w.i) && resolve(f.states.get(w.i)!.workdir ?? '/', w.v) === appDir);
  return { src: appDir, dest: appDir, line: ev ? doc.lineOfNode(ev.i) : fallbackLine, evidence: ev ? ev.v : appDir };
}
