/**
 * The ecosystem knowledge of split-copy: which shell commands install dependencies (or build), which
 * manifest files each install reads, what it writes into the working directory, and when an install
 * cannot run before the source arrives. Commands come in as static words found by the shell parser
 * (src/shell.ts); files are read through the build context (never guessed).
 */
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';

export type Eco =
  | 'npm' | 'yarn' | 'pnpm' | 'bun' | 'pip' | 'poetry' | 'uv' | 'pipenv'
  | 'go' | 'maven' | 'gradle' | 'bundler' | 'composer' | 'cargo' | 'dotnet';

/** What one simple command is, for split-copy. */
export type CommandClass =
  /** Installs dependencies from manifests (npm ci, pip install -r, go mod download, …). */
  | { kind: 'install'; eco: Eco; words: string[]; sub: number }
  /** Builds the project; a dependency step can be inserted before it (go build, mvn package, dotnet publish). */
  | { kind: 'build'; eco: Eco; words: string[]; sub: number }
  /** Reads no file of the source and writes nothing the source holds (apt-get install curl, npm i -g pnpm). */
  | { kind: 'neutral' }
  /** Anything else: may read the source. */
  | { kind: 'other' }
  /** An install or build of an ecosystem this transform cannot move, with the reason. */
  | { kind: 'refuse'; eco: Eco; reason: string };

/** Read-only view of the build context as BuildKit sends it (the .dockerignore applied). */
export interface Ctx {
  /** Exists in the context directory. */
  exists(rel: string): boolean;
  /** Excluded by the ignore file. */
  ignored(rel: string): boolean;
  /** Exists and is sent (a directory: it is not excluded and something in it is sent). */
  sent(rel: string): boolean;
  isDirectory(rel: string): boolean;
  readText(rel: string): string | null;
  list(rel: string): string[];
}

export interface Plan {
  eco: Eco;
  /** What the install needs, context-relative (files or directories), each sent by the context. */
  files: string[];
  /** Paths the install writes into the working directory: if the context sends one, COPY . . would clobber it. */
  outputs: string[];
  /**
   * move: the install runs unchanged before the source; insert: a dependency step (`insert`) runs before
   * the source and the build after it; two-phase: the install gets `addFlags` before the source and
   * `second` runs after it (`second: null` re-runs the original command).
   */
  mode: 'move' | 'insert' | 'two-phase';
  insert?: string;
  addFlags?: string;
  second?: string | null;
}

export type PlanResult = Plan | { refuse: string };

const base = (w: string) => w.slice(w.lastIndexOf('/') + 1);
const isFlag = (w: string) => w.startsWith('-') && w !== '-';
/** A word naming a path relative to the working directory (so a file of the source). */
const relPath = (w: string) => !isFlag(w) && !/^[a-z][a-z0-9+.-]*:/i.test(w) && !w.startsWith('/') && (w.startsWith('.') || w.includes('/'));

/** Positional words after `from`, skipping the values of the listed value-taking flags. */
function positionals(words: string[], from: number, valueFlags: readonly string[]): string[] {
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
function flagValues(words: string[], names: readonly string[]): string[] {
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
const hasFlag = (words: string[], names: readonly string[]) => words.some((w) => names.some((n) => w === n || w.startsWith(n + '=')));

const PKG_MANAGERS = new Set(['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf', 'zypper', 'tdnf']);
const NOOPS = new Set(['true', ':', 'echo', 'printf']);

const NPM_VALUE = ['--omit', '--include', '--registry', '--cache', '--loglevel', '--fetch-timeout', '--fetch-retries', '--install-strategy', '--location', '--tag', '--os', '--cpu', '--libc', '--userconfig', '--prefix', '-C', '--workspace', '-w'];
const YARN_VALUE = ['--network-timeout', '--cache-folder', '--mutex', '--registry', '--network-concurrency', '--modules-folder', '--cwd'];
const PNPM_VALUE = ['--store-dir', '--registry', '--reporter', '--network-concurrency', '--child-concurrency', '--dir', '-C', '--filter', '-F', '--virtual-store-dir', '--modules-dir'];
const PIP_VALUE = ['-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '-t', '--target', '--prefix', '--root', '--src', '--trusted-host', '--timeout', '--retries', '--platform', '--python-version', '--implementation', '--abi', '--only-binary', '--no-binary', '--progress-bar', '--cache-dir', '--log', '--upgrade-strategy', '-C', '--config-settings', '--global-option', '--proxy', '--cert', '--client-cert', '--python', '--report', '--exists-action', '-p'];
const POETRY_VALUE = ['--with', '--without', '--only', '-E', '--extras', '-C', '--directory', '-P', '--project'];
const UV_VALUE = ['--extra', '--group', '--only-group', '--no-group', '--python', '-p', '--package', '--index-url', '--extra-index-url', '--index', '--default-index', '--cache-dir', '--directory', '--project', '--compile-bytecode-timeout', '--link-mode', '--python-platform'];
const PIPENV_VALUE = ['--python', '--pypi-mirror', '--categories', '--extra-pip-args'];
const GO_VALUE = ['-o', '-ldflags', '-gcflags', '-tags', '-mod', '-modfile', '-C', '-p', '-trimpath', '-buildmode', '-asmflags', '-overlay', '-pkgdir', '-pgo', '-run', '-timeout', '-coverprofile'];
const DOTNET_VALUE = ['-c', '--configuration', '-o', '--output', '-f', '--framework', '-r', '--runtime', '-a', '--arch', '--os', '-v', '--verbosity', '--version-suffix', '-s', '--source', '--packages', '--configfile'];

/** Classifies one simple command by its words (null where a word is only known at run time). */
export function classify(raw: (string | null)[]): CommandClass {
  const head = raw[0];
  if (head === null || head === undefined) return { kind: 'other' };
  const name = base(head);
  const dyn = raw.some((w) => w === null);
  const words = raw.map((w) => w ?? '');
  const toolEco = ecoOfTool(name, words);
  if (dyn) {
    if (toolEco) return { kind: 'refuse', eco: toolEco, reason: `\`${raw.map((w) => w ?? '$…').join(' ')}\` has arguments that are only known at run time, so the files it reads cannot be listed` };
    return { kind: 'other' };
  }
  if (PKG_MANAGERS.has(name)) return words.slice(1).some(relPath) ? { kind: 'other' } : { kind: 'neutral' };
  if (NOOPS.has(name)) return { kind: 'neutral' };
  if (name === 'rm' || name === 'mkdir') {
    const args = words.slice(1).filter((w) => !isFlag(w));
    return args.length > 0 && args.every((a) => a.startsWith('/')) ? { kind: 'neutral' } : { kind: 'other' };
  }
  if (name === 'corepack') return words[1] === 'enable' || words[1] === 'prepare' || (words[1] === 'install' && hasFlag(words, ['-g', '--global'])) ? { kind: 'neutral' } : { kind: 'other' };
  if (name === 'gem') {
    const sub = words[1];
    if ((sub === 'install' || sub === 'update') && !words.slice(2).some((w) => relPath(w) || w.endsWith('.gem'))) return { kind: 'neutral' };
    return { kind: 'other' };
  }
  switch (name) {
    case 'npm': return npmLike('npm', words);
    case 'yarn': return yarnClass(words);
    case 'pnpm': return npmLike('pnpm', words);
    case 'bun': return npmLike('bun', words);
    case 'poetry': return poetryClass(words);
    case 'uv': return uvClass(words);
    case 'pipenv': return pipenvClass(words);
    case 'go': return goClass(words);
    case 'mvn': case 'mvnw': return mavenClass(words);
    case 'gradle': case 'gradlew':
      if (words.slice(1).every((w) => w === '--version' || w === '-v')) return { kind: 'neutral' };
      return { kind: 'refuse', eco: 'gradle', reason: 'Gradle has no built-in task that only resolves dependencies (a `dependencies` listing or a custom resolve task resolves only some configurations and can run build logic that needs the source), so no dependency step can be inserted safely; consider a cache mount for /root/.gradle instead' };
    case 'bundle': return bundleClass(words);
    case 'composer': case 'composer.phar': return composerClass(words);
    case 'cargo': return cargoClass(words);
    case 'dotnet': return dotnetClass(words);
    default: break;
  }
  if (/^pip(\d+(\.\d+)?)?$/.test(name)) return pipClass(words, 1);
  if (/^python(\d+(\.\d+)?)?$/.test(name) && words[1] === '-m' && words[2] === 'pip') return pipClass(words, 3);
  return { kind: 'other' };
}

function ecoOfTool(name: string, words: string[]): Eco | null {
  const m: Record<string, Eco> = {
    npm: 'npm', yarn: 'yarn', pnpm: 'pnpm', bun: 'bun', poetry: 'poetry', uv: 'uv', pipenv: 'pipenv', go: 'go',
    mvn: 'maven', mvnw: 'maven', gradle: 'gradle', gradlew: 'gradle', bundle: 'bundler', composer: 'composer', cargo: 'cargo', dotnet: 'dotnet',
  };
  if (m[name]) return m[name]!;
  if (/^pip(\d+(\.\d+)?)?$/.test(name)) return 'pip';
  if (/^python(\d+(\.\d+)?)?$/.test(name) && words[1] === '-m' && words[2] === 'pip') return 'pip';
  return null;
}

/** Index of the first word after `from` that is not a flag or a value of one of `valueFlags`. */
function subIndex(words: string[], from = 1, valueFlags: readonly string[] = []): number {
  let i = from;
  while (i < words.length && isFlag(words[i]!)) i += !words[i]!.includes('=') && valueFlags.includes(words[i]!) ? 2 : 1;
  return i;
}

function npmLike(eco: 'npm' | 'pnpm' | 'bun', words: string[]): CommandClass {
  const s = subIndex(words, 1, eco === 'npm' ? NPM_VALUE : eco === 'pnpm' ? PNPM_VALUE : []);
  const sub = words[s];
  const args = words.slice(s + 1);
  const global = hasFlag(words, ['-g', '--global']);
  if (sub === 'config' || sub === 'set' || sub === 'cache' || (eco === 'pnpm' && sub === 'store') || sub === '--version' || sub === 'version' && args.length === 0) return { kind: 'neutral' };
  const installSubs = eco === 'npm' ? ['ci', 'install', 'i', 'isntall', 'clean-install'] : eco === 'pnpm' ? ['install', 'i', 'fetch'] : ['install', 'i'];
  if ((sub === 'install' || sub === 'i' || sub === 'add') && global) return args.some(relPath) ? { kind: 'other' } : { kind: 'neutral' };
  if (!sub || !installSubs.includes(sub)) return { kind: 'other' };
  const valueFlags = eco === 'npm' ? NPM_VALUE : eco === 'pnpm' ? PNPM_VALUE : ['--cwd', '--registry', '--cache-dir', '--backend', '--network-concurrency'];
  if (positionals(words, s + 1, valueFlags).length > 0) return { kind: 'other' };
  const elsewhere = ['--prefix', '-C', '--dir', '--cwd', '--workspace', '-w', '--workspaces', '--filter', '-F', '-r', '--recursive', '--modules-dir', '--virtual-store-dir'];
  const bad = args.find((w) => elsewhere.some((f) => w === f || w.startsWith(f + '=')));
  if (bad) return { kind: 'refuse', eco, reason: `\`${words.join(' ')}\` installs for another directory or workspace (${bad}), whose files cannot be listed` };
  const uc = flagValues(words, ['--userconfig']).find((v) => !v.startsWith('/'));
  if (uc) return { kind: 'refuse', eco, reason: `\`${words.join(' ')}\` reads ${uc} from the source` };
  return { kind: 'install', eco, words, sub: s };
}

function yarnClass(words: string[]): CommandClass {
  const s = subIndex(words, 1, YARN_VALUE);
  const sub = words[s];
  if (sub === 'global' || sub === 'cache' || (sub === 'config' && words[s + 1] !== undefined) || sub === '--version') return { kind: 'neutral' };
  if (sub !== undefined && sub !== 'install') {
    if (sub === 'workspaces' || sub === 'workspace') return { kind: 'refuse', eco: 'yarn', reason: `\`${words.join(' ')}\` installs workspaces, whose member manifests cannot all be listed` };
    return { kind: 'other' };
  }
  const from = sub === undefined ? 1 : s + 1;
  if (positionals(words, from, YARN_VALUE).length > 0) return { kind: 'other' };
  if (hasFlag(words, ['--cwd', '--modules-folder'])) return { kind: 'refuse', eco: 'yarn', reason: `\`${words.join(' ')}\` installs into another directory, which this transform does not follow` };
  return { kind: 'install', eco: 'yarn', words, sub: sub === undefined ? 0 : s };
}

function pipClass(words: string[], sub: number): CommandClass {
  const s = subIndex(words, sub);
  if (words[s] !== 'install') return words[s] === 'config' || words[s] === 'cache' || words[s] === '--version' ? { kind: 'neutral' } : { kind: 'other' };
  const args = words.slice(s + 1);
  const cmd = words.join(' ');
  const pos = positionals(words, s + 1, PIP_VALUE);
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
  if (flagValues(args, ['-r', '--requirement', '-c', '--constraint']).length === 0) return { kind: 'neutral' };
  return { kind: 'install', eco: 'pip', words, sub: s };
}

function poetryClass(words: string[]): CommandClass {
  const s = subIndex(words);
  const sub = words[s];
  if (sub === 'config') return hasFlag(words, ['--local']) ? { kind: 'other' } : { kind: 'neutral' };
  if (sub === 'self' || sub === '--version') return { kind: 'neutral' };
  if (sub !== 'install') return { kind: 'other' };
  if (hasFlag(words, ['-C', '--directory', '-P', '--project'])) return { kind: 'refuse', eco: 'poetry', reason: `\`${words.join(' ')}\` installs another directory's project, which this transform does not follow` };
  if (hasFlag(words, ['--only-root'])) return { kind: 'refuse', eco: 'poetry', reason: `\`${words.join(' ')}\` installs only the project itself, which needs the source, so \`--no-root\` cannot be added` };
  if (positionals(words, s + 1, POETRY_VALUE).length) return { kind: 'other' };
  return { kind: 'install', eco: 'poetry', words, sub: s };
}

function uvClass(words: string[]): CommandClass {
  const s = subIndex(words);
  const sub = words[s];
  if (sub === 'pip') return pipClass(words, s + 1);
  if (sub === 'python' || sub === 'tool' || sub === 'self' || sub === '--version') return { kind: 'neutral' };
  if (sub !== 'sync') return { kind: 'other' };
  const bad = ['--package', '--all-packages', '--directory', '--project'].find((f) => hasFlag(words, [f]));
  if (bad) return { kind: 'refuse', eco: 'uv', reason: `\`${words.join(' ')}\` syncs another project or workspace member (${bad}), whose files cannot be listed` };
  if (positionals(words, s + 1, UV_VALUE).length) return { kind: 'other' };
  return { kind: 'install', eco: 'uv', words, sub: s };
}

function pipenvClass(words: string[]): CommandClass {
  const s = subIndex(words);
  const sub = words[s];
  if (sub === '--version') return { kind: 'neutral' };
  if (sub !== 'install' && sub !== 'sync') return { kind: 'other' };
  if (positionals(words, s + 1, PIPENV_VALUE).length) return { kind: 'other' };
  return { kind: 'install', eco: 'pipenv', words, sub: s };
}

function goClass(words: string[]): CommandClass {
  const sub = words[1];
  if (sub === 'version' || sub === 'env') return { kind: 'neutral' };
  if (sub === 'mod' && words[2] === 'download' && positionals(words, 3, []).length === 0) return { kind: 'install', eco: 'go', words, sub: 2 };
  if (sub === 'install' && positionals(words, 2, GO_VALUE).some((p) => p.includes('@'))) {
    return positionals(words, 2, GO_VALUE).every((p) => p.includes('@')) ? { kind: 'neutral' } : { kind: 'other' };
  }
  if (sub === 'build' || sub === 'install' || sub === 'test') {
    if (hasFlag(words, ['-C', '-modfile'])) return { kind: 'refuse', eco: 'go', reason: `\`${words.join(' ')}\` builds with another directory or go.mod (-C, -modfile), which this transform does not follow` };
    return { kind: 'build', eco: 'go', words, sub: 1 };
  }
  return { kind: 'other' };
}

const MAVEN_PHASES = new Set(['validate', 'initialize', 'generate-sources', 'process-sources', 'generate-resources', 'process-resources', 'compile', 'process-classes', 'generate-test-sources', 'process-test-sources', 'generate-test-resources', 'process-test-resources', 'test-compile', 'process-test-classes', 'test', 'prepare-package', 'package', 'pre-integration-test', 'integration-test', 'post-integration-test', 'verify', 'install', 'deploy', 'clean', 'site']);
const MAVEN_RESOLVE = new Set(['dependency:go-offline', 'dependency:resolve', 'dependency:resolve-plugins']);
const MAVEN_VALUE = ['-s', '--settings', '-gs', '--global-settings', '-P', '--activate-profiles', '-T', '--threads', '-l', '--log-file', '-t', '--toolchains', '-f', '--file', '-pl', '--projects', '-rf', '--resume-from', '-b', '--builder'];

function mavenClass(words: string[]): CommandClass {
  const cmd = words.join(' ');
  if (words.slice(1).every((w) => w === '-v' || w === '--version')) return { kind: 'neutral' };
  const bad = ['-f', '--file', '-pl', '--projects', '-rf', '--resume-from', '-am', '--also-make', '-o', '--offline', '-t', '--toolchains'].find((f) => hasFlag(words, [f]));
  if (bad) return { kind: 'refuse', eco: 'maven', reason: `\`${cmd}\` uses ${bad}, which this transform cannot carry to a dependency step` };
  const goals = positionals(words, 1, MAVEN_VALUE);
  if (goals.length === 0) return { kind: 'other' };
  if (goals.every((g) => MAVEN_RESOLVE.has(g))) return { kind: 'install', eco: 'maven', words, sub: 0 };
  const unknown = goals.find((g) => !MAVEN_PHASES.has(g) && !/^[\w.-]+:[\w.-]+(:[\w.-]+)*$/.test(g));
  if (unknown) return { kind: 'refuse', eco: 'maven', reason: `\`${cmd}\`: cannot tell what \`${unknown}\` means to Maven` };
  return { kind: 'build', eco: 'maven', words, sub: 0 };
}

function bundleClass(words: string[]): CommandClass {
  const sub = words[1];
  if (sub === 'config' || sub === '--version' || sub === 'version') return { kind: 'neutral' };
  if (sub !== undefined && sub !== 'install' && !isFlag(sub)) return { kind: 'other' };
  const path = flagValues(words, ['--path']).find((v) => !v.startsWith('/'));
  if (path) return { kind: 'refuse', eco: 'bundler', reason: `\`${words.join(' ')}\` installs gems into the relative directory ${path}, which COPY . . could overwrite` };
  if (hasFlag(words, ['--gemfile'])) return { kind: 'refuse', eco: 'bundler', reason: `\`${words.join(' ')}\` uses another Gemfile (--gemfile), which this transform does not follow` };
  return { kind: 'install', eco: 'bundler', words, sub: sub === undefined || isFlag(sub) ? 0 : 1 };
}

function composerClass(words: string[]): CommandClass {
  const s = subIndex(words);
  const sub = words[s];
  if (sub === 'self-update' || sub === 'selfupdate' || sub === 'global' || sub === '--version' || sub === 'diagnose') return { kind: 'neutral' };
  if (sub === 'config' && hasFlag(words, ['-g', '--global'])) return { kind: 'neutral' };
  if (sub !== 'install' && sub !== 'i') return { kind: 'other' };
  if (hasFlag(words, ['-d', '--working-dir'])) return { kind: 'refuse', eco: 'composer', reason: `\`${words.join(' ')}\` installs another directory (--working-dir), which this transform does not follow` };
  return { kind: 'install', eco: 'composer', words, sub: s };
}

function cargoClass(words: string[]): CommandClass {
  const sub = words[1];
  if (sub === 'install' && !hasFlag(words, ['--path'])) return { kind: 'neutral' };
  if (sub === '--version' || sub === 'version') return { kind: 'neutral' };
  if (sub === 'build' || sub === 'fetch' || sub === 'install' || sub === 'test' || sub === 'run' || sub === 'chef') {
    return { kind: 'refuse', eco: 'cargo', reason: 'Cargo cannot fetch or build dependencies from Cargo.toml and Cargo.lock alone (it needs the crate\'s targets, e.g. src/main.rs); caching them needs a dummy-source build or cargo-chef, which this transform does not write; consider cache mounts for /usr/local/cargo/registry and target/ instead' };
  }
  return { kind: 'other' };
}

function dotnetClass(words: string[]): CommandClass {
  const sub = words[1];
  if (sub === '--info' || sub === '--version' || sub === '--list-sdks') return { kind: 'neutral' };
  if (sub === 'tool' && hasFlag(words, ['-g', '--global'])) return { kind: 'neutral' };
  if (sub === 'restore') return { kind: 'install', eco: 'dotnet', words, sub: 1 };
  if (sub === 'build' || sub === 'publish' || sub === 'test' || sub === 'pack') return { kind: 'build', eco: 'dotnet', words, sub: 1 };
  return { kind: 'other' };
}

// ---------------------------------------------------------------------------------------------------
// Plans: the manifest files each install reads, and when it cannot run before the source.

/** Keeps the optional paths the context sends. */
const sentOf = (ctx: Ctx, paths: readonly string[]) => paths.filter((p) => ctx.sent(p));

function requireFile(ctx: Ctx, rel: string, why: string): string | null {
  if (!ctx.exists(rel)) return `${rel} is not in the build context, so ${why} cannot be copied before the source`;
  if (ctx.ignored(rel)) return `${rel} is excluded by the .dockerignore, so ${why} cannot be copied before the source`;
  return null;
}

const JS_LIFECYCLE = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];
const LOCAL_PROTOCOL = /^(file|link|portal|workspace):/;

/** The plan for one install or build command (kind install or build). */
export function plan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  switch (c.eco) {
    case 'npm': case 'yarn': case 'pnpm': case 'bun': return jsPlan(c, ctx);
    case 'pip': return pipPlan(c, ctx);
    case 'poetry': return poetryPlan(c, ctx);
    case 'uv': return uvPlan(c, ctx);
    case 'pipenv': return pipenvPlan(c, ctx);
    case 'go': return goPlan(c, ctx);
    case 'maven': return mavenPlan(c, ctx);
    case 'bundler': return bundlerPlan(c, ctx);
    case 'composer': return composerPlan(c, ctx);
    case 'dotnet': return dotnetPlan(c, ctx);
    default: return { refuse: `${c.eco} is not supported` };
  }
}

function jsPlan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  const cmd = c.words.join(' ');
  const fetchOnly = c.eco === 'pnpm' && c.words[c.sub] === 'fetch';
  const missing = requireFile(ctx, 'package.json', 'the package manifest');
  if (missing && !fetchOnly) return { refuse: missing };
  let pkg: Record<string, unknown> = {};
  if (!missing) {
    try {
      pkg = JSON.parse(ctx.readText('package.json') ?? '') as Record<string, unknown>;
    } catch {
      return { refuse: 'package.json is not valid JSON, so its install scripts and workspaces cannot be checked' };
    }
  }
  if (pkg.workspaces !== undefined) return { refuse: 'package.json declares workspaces (a monorepo): every member\'s package.json would have to be copied first, which this transform does not do' };
  let workspaceFile = false;
  if (c.eco === 'pnpm' && ctx.sent('pnpm-workspace.yaml')) {
    let ws: unknown;
    try { ws = parseYaml(ctx.readText('pnpm-workspace.yaml') ?? ''); } catch { return { refuse: 'pnpm-workspace.yaml does not parse' }; }
    const pkgs = (ws as { packages?: unknown } | null)?.packages;
    workspaceFile = Array.isArray(pkgs) && pkgs.length > 0;
    if (workspaceFile && !fetchOnly) return { refuse: 'pnpm-workspace.yaml lists workspace packages (a monorepo): every member\'s package.json would have to be copied first; `pnpm fetch` (which needs only the lockfile) followed by `pnpm install --offline` after the source is the pattern that works' };
  }
  const ignoreScripts = hasFlag(c.words, ['--ignore-scripts']);
  if (!fetchOnly && !ignoreScripts) {
    const scripts = (pkg.scripts ?? {}) as Record<string, unknown>;
    const run = JS_LIFECYCLE.find((s) => typeof scripts[s] === 'string');
    if (run) return { refuse: `package.json has a "${run}" script (${JSON.stringify(scripts[run])}) that \`${cmd}\` runs, and it may need the source; add --ignore-scripts if it does not, or leave the order as it is` };
  }
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'resolutions', 'overrides']) {
    const deps = pkg[field];
    if (!deps || typeof deps !== 'object') continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      if (typeof spec === 'string' && LOCAL_PROTOCOL.test(spec)) return { refuse: `package.json ${field} has a local dependency ${name}: "${spec}", which needs files of the source` };
    }
  }
  const files = {
    npm: ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', '.npmrc'],
    yarn: ['package.json', 'yarn.lock', '.yarnrc', '.yarnrc.yml', '.npmrc', '.yarn/releases', '.yarn/plugins', '.yarn/patches', '.yarn/cache'],
    pnpm: ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc', '.pnpmfile.cjs', 'patches'],
    bun: ['package.json', 'bun.lockb', 'bun.lock', 'bunfig.toml', '.npmrc'],
  }[c.eco as 'npm' | 'yarn' | 'pnpm' | 'bun'];
  const outputs = c.eco === 'yarn'
    ? ['node_modules', '.pnp.cjs', '.pnp.js', '.pnp.loader.mjs', '.yarn/unplugged', '.yarn/install-state.gz']
    : ['node_modules'];
  return { eco: c.eco, files: sentOf(ctx, files), outputs, mode: 'move' };
}

/** Requirement files named by -r/-c, and the ones they include, relative to the context. */
function requirementFiles(c: { words: string[] }, ctx: Ctx): string[] | { refuse: string } {
  const out: string[] = [];
  const queue = flagValues(c.words, ['-r', '--requirement', '-c', '--constraint']).map((f) => ({ file: f, from: null as string | null }));
  while (queue.length) {
    const { file, from } = queue.shift()!;
    if (/^[a-z]+:\/\//i.test(file)) continue;
    const rel = posix.normalize(from ? posix.join(posix.dirname(from), file) : file);
    if (rel.startsWith('..') || rel.startsWith('/')) return { refuse: `the requirements file ${file} is outside the build context` };
    if (out.includes(rel)) continue;
    const missing = requireFile(ctx, rel, `the requirements file${from ? ` (included by ${from})` : ''}`);
    if (missing) return { refuse: missing };
    out.push(rel);
    const text = ctx.readText(rel) ?? '';
    for (const rawLine of text.replace(/\\\r?\n/g, '').split(/\r?\n/)) {
      const line = rawLine.replace(/(^|\s)#.*$/, '').trim();
      if (!line) continue;
      const m = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)/.exec(line);
      if (m) { queue.push({ file: m[2]!, from: rel }); continue; }
      if (/^(-e|--editable)\b/.test(line)) return { refuse: `${rel} installs ${line.replace(/^(-e|--editable)\s*=?\s*/, '')} in editable mode, which needs the source` };
      if (/^(-f|--find-links)\b/.test(line) && !/(-f|--find-links)\s*=?\s*[a-z]+:\/\//i.test(line)) return { refuse: `${rel} finds packages in a local directory (${line})` };
      if (/^(\.|\/|file:)/.test(line) || /@\s*file:/.test(line)) return { refuse: `${rel} installs a local path (${line}), which needs the source` };
    }
  }
  return out;
}

function pipPlan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  const files = requirementFiles(c, ctx);
  if (!Array.isArray(files)) return files;
  return { eco: 'pip', files, outputs: [], mode: 'move' };
}

function pyprojectLocalPath(text: string): string | null {
  const m = /^[^#\n]*\bpath\s*=\s*["']([^"']+)["']/m.exec(text);
  return m ? m[1]! : null;
}

function poetryPlan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  const missing = requireFile(ctx, 'pyproject.toml', 'the project file');
  if (missing) return { refuse: missing };
  const text = ctx.readText('pyproject.toml') ?? '';
  const local = pyprojectLocalPath(text);
  if (local) return { refuse: `pyproject.toml has a path dependency (${local}), which needs files of the source` };
  const files = sentOf(ctx, ['pyproject.toml', 'poetry.lock', 'poetry.toml']);
  const noRoot = hasFlag(c.words, ['--no-root']) || /^\s*package-mode\s*=\s*false\b/m.test(text);
  return noRoot
    ? { eco: 'poetry', files, outputs: ['.venv'], mode: 'move' }
    : { eco: 'poetry', files, outputs: ['.venv'], mode: 'two-phase', addFlags: '--no-root', second: null };
}

function uvPlan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  const missing = requireFile(ctx, 'pyproject.toml', 'the project file');
  if (missing) return { refuse: missing };
  const text = ctx.readText('pyproject.toml') ?? '';
  if (/^\s*\[tool\.uv\.workspace\]/m.test(text)) return { refuse: 'pyproject.toml declares a uv workspace: every member\'s pyproject.toml would have to be copied first, which this transform does not do' };
  const local = pyprojectLocalPath(text);
  if (local) return { refuse: `pyproject.toml has a path source (${local}), which needs files of the source` };
  const files = sentOf(ctx, ['pyproject.toml', 'uv.lock', '.python-version', 'uv.toml']);
  return hasFlag(c.words, ['--no-install-project'])
    ? { eco: 'uv', files, outputs: ['.venv'], mode: 'move' }
    : { eco: 'uv', files, outputs: ['.venv'], mode: 'two-phase', addFlags: '--no-install-project', second: null };
}

function pipenvPlan(_c: unknown, ctx: Ctx): PlanResult {
  const missing = requireFile(ctx, 'Pipfile', 'the Pipfile');
  if (missing) return { refuse: missing };
  const local = pyprojectLocalPath(ctx.readText('Pipfile') ?? '');
  if (local) return { refuse: `the Pipfile has a path dependency (${local}), which needs files of the source` };
  return { eco: 'pipenv', files: sentOf(ctx, ['Pipfile', 'Pipfile.lock']), outputs: ['.venv'], mode: 'move' };
}

function goPlan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  const missing = requireFile(ctx, 'go.mod', 'the module file');
  if (missing) return { refuse: missing };
  if (ctx.sent('go.work')) return { refuse: 'go.work declares a Go workspace: every module\'s go.mod would have to be copied first, which this transform does not do' };
  if (ctx.sent('vendor/modules.txt')) return { refuse: 'the module vendors its dependencies (vendor/modules.txt), so they arrive with the source and there is nothing to download first' };
  const replace = /^\s*(?:replace\s+)?[^\s/]\S*(?:\s+\S+)?\s+=>\s+(\.{1,2}\/\S*)/m.exec(ctx.readText('go.mod') ?? '');
  if (replace) return { refuse: `go.mod replaces a module with the local directory ${replace[1]}, which needs files of the source` };
  const files = sentOf(ctx, ['go.mod', 'go.sum']);
  if (c.kind === 'install') return { eco: 'go', files, outputs: [], mode: 'move' };
  return { eco: 'go', files, outputs: [], mode: 'insert', insert: `${c.words[0]} mod download` };
}

function mavenPlan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  const missing = requireFile(ctx, 'pom.xml', 'the project file');
  if (missing) return { refuse: missing };
  const pom = ctx.readText('pom.xml') ?? '';
  if (/<modules>\s*<module>/.test(pom)) return { refuse: 'pom.xml is a multi-module build: every module\'s pom.xml would have to be copied first, which this transform does not do' };
  if (/<relativePath>\s*\.\.?\//.test(pom)) return { refuse: 'pom.xml has a parent by relative path, which needs files of the source' };
  const exe = c.words[0]!;
  const files = ['pom.xml'];
  const wrapper = base(exe) === 'mvnw';
  if (wrapper) {
    const w = requireFile(ctx, 'mvnw', 'the Maven wrapper');
    if (w) return { refuse: w };
    files.push('mvnw');
  }
  if (ctx.sent('.mvn')) files.push('.mvn');
  else if (wrapper) return { refuse: 'the Maven wrapper needs .mvn/, which the build context does not send' };
  const carried: string[] = [];
  for (const f of flagValues(c.words, ['-s', '--settings', '-gs', '--global-settings'])) {
    if (f.startsWith('/')) continue;
    const m = requireFile(ctx, f, 'the Maven settings file');
    if (m) return { refuse: m };
    if (!files.includes(posix.normalize(f))) files.push(posix.normalize(f));
  }
  if (c.kind === 'install') return { eco: 'maven', files, outputs: [], mode: 'move' };
  const w = c.words;
  let batch = false;
  for (let i = 1; i < w.length; i++) {
    const x = w[i]!;
    if (x === '-B' || x === '--batch-mode') { batch = true; carried.push(x); }
    else if (['-q', '--quiet', '-ntp', '--no-transfer-progress', '-U', '--update-snapshots', '-C', '--strict-checksums', '-c', '--lax-checksums'].includes(x)) carried.push(x);
    else if (['-s', '--settings', '-gs', '--global-settings', '-P', '--activate-profiles'].includes(x) && i + 1 < w.length) carried.push(x, w[++i]!);
    else if (/^(-D|-P|--settings=|--global-settings=|--activate-profiles=)/.test(x) || /^-s./.test(x)) carried.push(x);
    else if (['-T', '--threads', '-l', '--log-file', '-b', '--builder'].includes(x)) i++;
  }
  if (!batch) carried.unshift('-B');
  if (carried.some((x) => !/^[\w@%+=:,./-]+$/.test(x))) return { refuse: 'a Maven option has characters that would need quoting in the inserted dependency step' };
  return { eco: 'maven', files: sentOf(ctx, files), outputs: [], mode: 'insert', insert: `${exe} dependency:go-offline ${carried.join(' ')}` };
}

function bundlerPlan(_c: unknown, ctx: Ctx): PlanResult {
  const gemfile = ctx.sent('Gemfile') ? 'Gemfile' : ctx.sent('gems.rb') ? 'gems.rb' : null;
  if (!gemfile) return { refuse: requireFile(ctx, 'Gemfile', 'the Gemfile')! };
  const text = ctx.readText(gemfile) ?? '';
  const m = /^[^#\n]*\b(gemspec|eval_gemfile|require_relative|File\.\w+|path:|:path\s*=>)/m.exec(text);
  if (m) return { refuse: `the ${gemfile} uses \`${m[1]}\`, which reads files of the source` };
  return { eco: 'bundler', files: sentOf(ctx, ['Gemfile', 'Gemfile.lock', 'gems.rb', 'gems.locked', '.ruby-version']), outputs: ['.bundle', 'vendor/bundle'], mode: 'move' };
}

const COMPOSER_EVENTS = ['pre-install-cmd', 'post-install-cmd', 'pre-autoload-dump', 'post-autoload-dump', 'pre-package-install', 'post-package-install', 'pre-dependencies-solving', 'post-dependencies-solving', 'pre-operations-exec'];

function composerPlan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  const missing = requireFile(ctx, 'composer.json', 'the project file');
  if (missing) return { refuse: missing };
  let json: Record<string, unknown>;
  try { json = JSON.parse(ctx.readText('composer.json') ?? '') as Record<string, unknown>; } catch { return { refuse: 'composer.json is not valid JSON, so its scripts and repositories cannot be checked' }; }
  const repos = json.repositories;
  const repoList = Array.isArray(repos) ? repos : repos && typeof repos === 'object' ? Object.values(repos) : [];
  if (repoList.some((r) => (r as { type?: unknown } | null)?.type === 'path')) return { refuse: 'composer.json has a path repository, which needs files of the source' };
  const files = sentOf(ctx, ['composer.json', 'composer.lock', 'auth.json']);
  const w = c.words;
  const noScripts = hasFlag(w, ['--no-scripts']);
  if (!noScripts) {
    const scripts = (json.scripts ?? {}) as Record<string, unknown>;
    const ev = COMPOSER_EVENTS.find((e) => scripts[e] !== undefined);
    if (ev) return { refuse: `composer.json runs "${ev}" scripts during the install, which may need the source; they cannot be kept identical when the install runs before it` };
  }
  if (hasFlag(w, ['--no-autoloader'])) return { eco: 'composer', files, outputs: ['vendor'], mode: 'move' };
  const map: Record<string, string> = {
    '-o': '--optimize', '--optimize-autoloader': '--optimize', '-a': '--classmap-authoritative', '--classmap-authoritative': '--classmap-authoritative',
    '--apcu-autoloader': '--apcu', '--no-dev': '--no-dev', '--dev': '--dev', '-n': '--no-interaction', '--no-interaction': '--no-interaction',
    '--no-plugins': '--no-plugins', '--ignore-platform-reqs': '--ignore-platform-reqs', '-q': '--quiet', '--quiet': '--quiet', '--no-ansi': '--no-ansi', '--ansi': '--ansi',
    '--no-scripts': '--no-scripts',
  };
  const installOnly = new Set(['--prefer-dist', '--prefer-source', '--prefer-install', '--no-progress', '--no-suggest', '--no-cache', '--audit', '--no-audit', '--dry-run', '-v', '-vv', '-vvv', '--verbose']);
  const dump: string[] = [];
  for (let i = c.sub + 1; i < w.length; i++) {
    const x = w[i]!;
    if (map[x]) { if (!dump.includes(map[x]!)) dump.push(map[x]!); continue; }
    if (x.startsWith('--ignore-platform-req=') || x.startsWith('--apcu-autoloader-prefix=')) { dump.push(x.replace('--apcu-autoloader-prefix', '--apcu-prefix')); continue; }
    if (installOnly.has(x) || x.startsWith('--prefer-install=') || x.startsWith('--audit-format=')) continue;
    return { refuse: `\`${w.join(' ')}\`: cannot carry ${x} over to the \`composer dump-autoload\` that must run after the source arrives` };
  }
  const exe = w.slice(0, c.sub).join(' ');
  return { eco: 'composer', files, outputs: ['vendor'], mode: 'two-phase', addFlags: noScripts ? '--no-autoloader' : '--no-scripts --no-autoloader', second: [exe, 'dump-autoload', ...dump].join(' ') };
}

const DOTNET_FILE = /(\.(csproj|fsproj|vbproj|sln|slnx|proj)|^Directory\.(Build|Packages)\.(props|targets)|^nuget\.config|^global\.json|^packages\.lock\.json)$/i;
const DOTNET_SKIP = new Set(['node_modules', '.git', 'bin', 'obj', '.vs', '.idea']);

function dotnetPlan(c: Extract<CommandClass, { kind: 'install' | 'build' }>, ctx: Ctx): PlanResult {
  const files: string[] = [];
  const built: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const name of ctx.list(dir)) {
      const rel = dir ? `${dir}/${name}` : name;
      if (ctx.ignored(rel)) continue;
      if (ctx.isDirectory(rel)) {
        if (name === 'bin' || name === 'obj') { if (ctx.sent(rel)) built.push(rel); continue; }
        if (!DOTNET_SKIP.has(name) && depth < 5) walk(rel, depth + 1);
      } else if (DOTNET_FILE.test(name)) files.push(rel);
    }
  };
  walk('', 0);
  if (!files.some((f) => /\.(csproj|fsproj|vbproj|sln|slnx|proj)$/i.test(f))) return { refuse: 'no project or solution file (*.csproj, *.sln, …) is in the build context' };
  if (files.some((f) => !/^[\w@+.\/-]+$/.test(f))) return { refuse: 'a project file path has characters (spaces, …) that a COPY line would need to quote' };
  const groups = new Set(files.map((f) => posix.dirname(f)));
  if (groups.size > 12) return { refuse: `the project files sit in ${groups.size} directories; copying each would take as many COPY lines` };
  if (built.length) return { refuse: `the context sends ${built[0]}/ (build output): dotnet restore writes obj/, and COPY . . after it would replace that with the local copy; add bin/ and obj/ to the .dockerignore` };
  if (c.kind === 'install') return { eco: 'dotnet', files, outputs: [], mode: 'move' };
  const w = c.words;
  const pos = positionals(w, 2, DOTNET_VALUE);
  const args: string[] = [];
  if (pos.length > 1) return { refuse: `\`${w.join(' ')}\` names several projects` };
  if (pos[0]) args.push(pos[0]);
  for (const f of ['-r', '--runtime', '-s', '--source', '--configfile']) for (const v of flagValues(w, [f])) args.push(f, v);
  for (const x of w) if (/^(-p:|\/p:|--property:)/.test(x)) args.push(x);
  if (args.some((x) => !/^[\w@%+=:,./\\-]+$/.test(x))) return { refuse: 'an option of the build has characters that would need quoting in the inserted `dotnet restore`' };
  return { eco: 'dotnet', files, outputs: [], mode: 'insert', insert: [w[0], 'restore', ...args].join(' ') };
}
