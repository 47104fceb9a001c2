/**
 * What the runner-stage recipes share: path arithmetic, and the commands every recipe accounts for
 * (package installs of build tools, harmless commands).
 */
import type { Flag, Instruction, ModifiableInstruction } from 'dockerfile-ast';
import type { Cmd } from './facts.js';
import type { Refusal } from './recipe.js';

/** System packages that only build software: installing them says nothing about what the app needs at run time. */
const BUILD_ONLY_PACKAGES = new Set([
  'git', 'make', 'cmake', 'gcc', 'g++', 'clang', 'musl-dev', 'musl-tools', 'build-base', 'build-essential',
  'ca-certificates', 'upx', 'upx-ucl', 'curl', 'wget', 'unzip', 'pkg-config', 'pkgconf', 'protobuf-compiler', 'protobuf-dev',
]);
export const PACKAGE_MANAGERS = new Set(['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf']);
/** Commands that cannot change what the runner copies. */
export const HARMLESS = new Set(['echo', 'true', 'ls', 'printf', 'test', '[', 'rm', 'mkdir', 'chmod', 'cat', 'env', 'pwd', 'whoami', 'id', 'set']);

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

/** Checks a package-manager command: only build tools may be installed. */
export function packageProblem(c: Cmd): string | null {
  const name = base(c.words[0] ?? '');
  if (!PACKAGE_MANAGERS.has(name)) return null;
  const sub = c.words.slice(1).find((w) => w !== null && !w.startsWith('-'));
  if (sub !== 'install' && sub !== 'add') return null;
  const pkgs = c.words.slice(c.words.indexOf(sub) + 1).filter((w) => w === null || !w.startsWith('-'));
  const runtime = pkgs.filter((p) => p === null || !BUILD_ONLY_PACKAGES.has(p.replace(/[=<>].*$/, '')));
  if (runtime.length === 0) return null;
  return `the RUN installs system packages (${runtime.map((p) => p ?? '<variable>').join(' ')}) that the app may need at run time; the runner image would not have them`;
}

export const unknownCommand = (c: Cmd, what: string): Refusal => ({
  line: c.line,
  refuse: `the RUN runs \`${c.words.map((w) => w ?? '<expansion>').join(' ')}\`, whose effect on the ${what} runner-stage cannot account for`,
});

/** Copies made by `cp SRC DEST` / `mv SRC DEST` out of a build-output directory, as produced paths. */
export function copiedOut(c: Cmd, outputDirs: string[]): { path: string; line: number; evidence: string } | Refusal | null {
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
