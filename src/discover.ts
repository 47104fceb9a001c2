import { fastGlob } from './lazy.js';
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { matchIgnore, parseIgnore } from './config.js';

/**
 * The names that are Dockerfiles wherever they are: what `docker build -f` users call them and what
 * Renovate's dockerfile manager matches by default. For each base name (Dockerfile, dockerfile,
 * Containerfile, containerfile): the name itself, `BASE.x`, `BASE-x`, `BASE_x` and `x.BASE`.
 * (fast-glob patterns, relative to a searched directory; isDockerfileName is the same test on a name.)
 */
const BASES = ['Dockerfile', 'dockerfile', 'Containerfile', 'containerfile'];
export const DOCKERFILE_PATTERNS = BASES.flatMap((b) => [`**/${b}`, `**/${b}.*`, `**/${b}-*`, `**/${b}_*`, `**/*.${b}`]);
/** Never searched, and never taken as Dockerfiles (`Dockerfile.dockerignore` is a per-file ignore file). */
export const ALWAYS_IGNORED = ['**/node_modules/**', '**/.git/**', '**/*.dockerignore'];

export interface Discovered {
  /** Absolute path. */
  path: string;
  /** Path as shown to the user (relative to cwd when inside it). */
  display: string;
  /** Named on the command line (not found by a directory search or a glob). */
  explicit?: boolean;
}

export interface DiscoveryProblem {
  display: string;
  message: string;
  hint?: string;
}

export interface DiscoveryResult {
  files: Discovered[];
  problems: DiscoveryProblem[];
}

const isGlob = (s: string) => fastGlob().isDynamicPattern(s);

/** The names DOCKERFILE_PATTERNS match, as a test on one file name. */
export function isDockerfileName(name: string): boolean {
  if (name.endsWith('.dockerignore')) return false;
  for (const b of BASES) {
    if (name === b) return true;
    if (name.length > b.length + 1 && name.startsWith(b) && '.-_'.includes(name[b.length]!)) return true;
    if (name.length > b.length + 1 && name.endsWith(`.${b}`)) return true;
  }
  return false;
}

/**
 * Expands paths and globs into a sorted, de-duplicated list of Dockerfiles.
 * A directory means every Dockerfile below it; a file path means that file whatever its name;
 * a glob that matches nothing, a missing path or a dangling symlink is a problem, reported per path.
 */
export async function discover(args: readonly string[], cwd: string, extraIgnore: readonly string[] = [], opts: { gitignore?: boolean } = {}): Promise<DiscoveryResult> {
  const problems: DiscoveryProblem[] = [];
  const found = new Map<string, Discovered>();
  const display = (abs: string) => {
    const r = relative(cwd, abs);
    return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? abs : r;
  };
  const add = (abs: string, explicit = false) => {
    let key = abs;
    try { key = realpathSync(abs); } catch { /* dangling: keep the link path as key */ }
    if (!found.has(key)) found.set(key, { path: abs, display: display(abs), ...(explicit ? { explicit: true } : {}) });
    else if (explicit) found.get(key)!.explicit = true;
  };
  // a directory argument in which no Dockerfile is found is a problem too (a typo in a CI path must not pass)
  const searched = async (arg: string, dir: string) => {
    const n = found.size;
    await searchDir(dir);
    if (found.size === n && !alreadyFound(dir)) problems.push({ display: arg, message: 'no Dockerfile found in this directory', hint: 'Dockerfiles are found by name: Dockerfile, dockerfile, Dockerfile.*, Dockerfile-*, Dockerfile_*, *.Dockerfile, *.dockerfile, Containerfile and the same variants; name a file to take it whatever its name' });
  };
  const alreadyFound = (dir: string) => [...found.values()].some((f) => f.path.startsWith(dir.endsWith('/') ? dir : `${dir}/`));
  const ignore = [...ALWAYS_IGNORED, ...extraIgnore];
  for (const arg of args.length ? args : ['.']) {
    const abs = resolve(cwd, arg);
    let st: ReturnType<typeof lstatSync> | null = null;
    try { st = lstatSync(abs); } catch { st = null; }
    if (st) {
      if (st.isSymbolicLink()) {
        let target: ReturnType<typeof statSync> | null = null;
        try { target = statSync(abs); } catch { target = null; }
        if (!target) { problems.push({ display: arg, message: 'is a dangling symbolic link', hint: 'fix or remove the link' }); continue; }
        if (target.isDirectory()) { await searched(arg, abs); continue; }
        add(abs, true);
        continue;
      }
      if (st.isDirectory()) { await searched(arg, abs); continue; }
      add(abs, true);
      continue;
    }
    if (!isGlob(arg)) { problems.push({ display: arg, message: 'no such file or directory' }); continue; }
    if (arg.split(/[\\/]/).includes('..')) {
      problems.push({ display: arg, message: 'the pattern climbs out of the working directory (..)', hint: 'run dockeropt from a directory above, or pass that directory as a path' });
      continue;
    }
    const matches = await fastGlob()(arg, { cwd, dot: true, onlyFiles: false, followSymbolicLinks: false, ignore, absolute: true, unique: true });
    if (matches.length === 0) { problems.push({ display: arg, message: 'no files match this pattern', hint: 'check the pattern, or quote it so the shell does not expand it' }); continue; }
    for (const m of matches) classify(m);
  }

  /**
   * Every Dockerfile below `dir`. A plain walk rather than fast-glob's patterns, which cannot match a
   * name containing a newline (picomatch's `.`); symlinked directories are not followed, node_modules
   * and .git are skipped. Extra ignore patterns still go through fast-glob.
   */
  async function searchDir(dir: string) {
    const ignored = extraIgnore.length ? new Set(await fastGlob()([...extraIgnore], { cwd: dir, dot: true, onlyFiles: false, followSymbolicLinks: false, absolute: true })) : null;
    const candidates: string[] = [];
    const walk = (d: string) => {
      let entries: Dirent[];
      try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
      for (const e of entries) {
        const p = join(d, e.name);
        if (ignored?.has(p)) continue;
        if (e.isDirectory()) {
          if (e.name === 'node_modules' || e.name === '.git') continue;
          // a directory named Dockerfile(.x) / Containerfile(.x) / x.Dockerfile is worth a word; one with a
          // lower-case or -/_ name (buildkit's frontend/dockerfile, dockerfile-utils) is only searched
          if (/^(Dockerfile|Containerfile)(\.[^/]*)?$|\.[dD]ockerfile$/.test(e.name)) candidates.push(p);
          walk(p);
        } else if (isDockerfileName(e.name)) {
          candidates.push(p);
        }
      }
    };
    walk(dir);
    const gitIgnored = opts.gitignore === false ? new Set<string>() : ignoredByGit(dir, candidates);
    for (const p of candidates) if (!gitIgnored.has(p)) classify(p);
  }

  function classify(m: string) {
    let st: ReturnType<typeof lstatSync>;
    try { st = lstatSync(m); } catch { return; }
    if (st.isDirectory()) {
      // a glob may match directories; a directory named like a Dockerfile is worth a word
      if (isDockerfileName(basename(m))) {
        problems.push({ display: display(m), message: 'is a directory, not a Dockerfile' });
      }
      return;
    }
    if (st.isSymbolicLink()) {
      try {
        const t = statSync(m);
        if (t.isDirectory()) return;
      } catch {
        problems.push({ display: display(m), message: 'is a dangling symbolic link', hint: 'fix or remove the link' });
        return;
      }
    }
    add(m);
  }

  const files = [...found.values()].sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  return { files, problems };
}

/**
 * The candidates that .gitignore excludes, as git itself decides (`git check-ignore`: nested .gitignore
 * files, .git/info/exclude, the global excludes). Outside a git repository, the searched directory's own
 * .gitignore is read (as prettier does with the one in the working directory).
 */
function ignoredByGit(dir: string, candidates: readonly string[]): Set<string> {
  if (candidates.length === 0) return new Set();
  const r = spawnSync('git', ['check-ignore', '--stdin', '-z'], { cwd: dir, input: candidates.join('\0') + '\0', encoding: 'utf8' });
  if (r.status === 0 || r.status === 1) return new Set(r.stdout.split('\0').filter(Boolean).map((p) => resolve(dir, p)));
  let text: string;
  try { text = readFileSync(join(dir, '.gitignore'), 'utf8'); } catch { return new Set(); }
  const rules = parseIgnore(text);
  return new Set(candidates.filter((p) => matchIgnore(rules, relative(dir, p).split(sep).join('/'))));
}
