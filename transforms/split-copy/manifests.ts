/**
 * The manifest rules of split-copy: for an install or build found by commands.ts, which files it needs
 * (its row's `files`, or the ones its manifests name), and when it cannot run before the source (a
 * script, a path dependency, a workspace). Files are read through the build context (never guessed).
 */
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { base, flagValues, hasFlag, positionals } from './commands.js';
import type { Ctx, Ecosystem, PlanRule } from './ecosystems.js';

/** Keeps the optional paths the context sends. */
const sentOf = (ctx: Ctx, paths: readonly string[]) => paths.filter((p) => ctx.sent(p));
/** The row's files that the context sends, in the row's order. */
const sentFiles = (ctx: Ctx, row: Ecosystem) => sentOf(ctx, Object.keys(row.files ?? {}));

function requireFile(ctx: Ctx, rel: string, why: string): string | null {
  if (!ctx.exists(rel)) return `${rel} is not in the build context, so ${why} cannot be copied before the source`;
  if (ctx.ignored(rel)) return `${rel} is excluded by the .dockerignore, so ${why} cannot be copied before the source`;
  return null;
}
/** The refusal when the row's required file is missing or excluded. */
const missingRequired = (ctx: Ctx, row: Ecosystem) => requireFile(ctx, row.requires!.file, row.requires!.what);

const LOCAL_PROTOCOL = /^(file|link|portal|workspace):/;

/** npm, yarn, pnpm and bun. */
export const jsPlan: PlanRule = (c, ctx, row) => {
  const cmd = c.words.join(' ');
  const fetchOnly = c.eco === 'pnpm' && c.words[c.sub] === 'fetch';
  const missing = missingRequired(ctx, row);
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
    const run = (row.scripts ?? []).find((s) => typeof scripts[s] === 'string');
    if (run) return { refuse: `package.json has a "${run}" script (${JSON.stringify(scripts[run])}) that \`${cmd}\` runs, and it may need the source; add --ignore-scripts if it does not, or leave the order as it is` };
  }
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'resolutions', 'overrides']) {
    const deps = pkg[field];
    if (!deps || typeof deps !== 'object') continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      if (typeof spec === 'string' && LOCAL_PROTOCOL.test(spec)) return { refuse: `package.json ${field} has a local dependency ${name}: "${spec}", which needs files of the source` };
    }
  }
  return { eco: c.eco, files: sentFiles(ctx, row), outputs: [...row.outputs], mode: 'move' };
};

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

export const pipPlan: PlanRule = (c, ctx, row) => {
  const files = requirementFiles(c, ctx);
  if (!Array.isArray(files)) return files;
  return { eco: 'pip', files, outputs: [...row.outputs], mode: 'move' };
};

function pyprojectLocalPath(text: string): string | null {
  const m = /^[^#\n]*\bpath\s*=\s*["']([^"']+)["']/m.exec(text);
  return m ? m[1]! : null;
}

/** Poetry: `--no-root` first (the row's `firstPhase`), then the original install after the source. */
export const poetryPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  const text = ctx.readText('pyproject.toml') ?? '';
  const local = pyprojectLocalPath(text);
  if (local) return { refuse: `pyproject.toml has a path dependency (${local}), which needs files of the source` };
  const files = sentFiles(ctx, row);
  const outputs = [...row.outputs];
  const noRoot = hasFlag(c.words, [row.firstPhase!]) || /^\s*package-mode\s*=\s*false\b/m.test(text);
  return noRoot
    ? { eco: 'poetry', files, outputs, mode: 'move' }
    : { eco: 'poetry', files, outputs, mode: 'two-phase', addFlags: row.firstPhase!, second: null };
};

/** uv: `--no-install-project` first (the row's `firstPhase`), then the original sync after the source. */
export const uvPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  const text = ctx.readText('pyproject.toml') ?? '';
  if (/^\s*\[tool\.uv\.workspace\]/m.test(text)) return { refuse: 'pyproject.toml declares a uv workspace: every member\'s pyproject.toml would have to be copied first, which this transform does not do' };
  const local = pyprojectLocalPath(text);
  if (local) return { refuse: `pyproject.toml has a path source (${local}), which needs files of the source` };
  const files = sentFiles(ctx, row);
  const outputs = [...row.outputs];
  return hasFlag(c.words, [row.firstPhase!])
    ? { eco: 'uv', files, outputs, mode: 'move' }
    : { eco: 'uv', files, outputs, mode: 'two-phase', addFlags: row.firstPhase!, second: null };
};

export const pipenvPlan: PlanRule = (_c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  const local = pyprojectLocalPath(ctx.readText('Pipfile') ?? '');
  if (local) return { refuse: `the Pipfile has a path dependency (${local}), which needs files of the source` };
  return { eco: 'pipenv', files: sentFiles(ctx, row), outputs: [...row.outputs], mode: 'move' };
};

/** Go: before a build, the row's `step` (`go mod download`). */
export const goPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  if (ctx.sent('go.work')) return { refuse: 'go.work declares a Go workspace: every module\'s go.mod would have to be copied first, which this transform does not do' };
  if (ctx.sent('vendor/modules.txt')) return { refuse: 'the module vendors its dependencies (vendor/modules.txt), so they arrive with the source and there is nothing to download first' };
  const replace = /^\s*(?:replace\s+)?[^\s/]\S*(?:\s+\S+)?\s+=>\s+(\.{1,2}\/\S*)/m.exec(ctx.readText('go.mod') ?? '');
  if (replace) return { refuse: `go.mod replaces a module with the local directory ${replace[1]}, which needs files of the source` };
  const files = sentFiles(ctx, row);
  const outputs = [...row.outputs];
  if (c.kind === 'install') return { eco: 'go', files, outputs, mode: 'move' };
  return { eco: 'go', files, outputs, mode: 'insert', insert: `${c.words[0]} ${row.step}` };
};

/** Build options a Maven dependency step carries over, and the ones (with their value) it leaves out. */
const MAVEN_CARRIED = ['-q', '--quiet', '-ntp', '--no-transfer-progress', '-U', '--update-snapshots', '-C', '--strict-checksums', '-c', '--lax-checksums'];
const MAVEN_CARRIED_WITH_VALUE = ['-s', '--settings', '-gs', '--global-settings', '-P', '--activate-profiles'];
const MAVEN_DROPPED_WITH_VALUE = ['-T', '--threads', '-l', '--log-file', '-b', '--builder'];

/** Maven: pom.xml, .mvn/ and the wrapper; before a build, the row's `step` (`dependency:go-offline`). */
export const mavenPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
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
  const outputs = [...row.outputs];
  if (c.kind === 'install') return { eco: 'maven', files, outputs, mode: 'move' };
  const w = c.words;
  let batch = false;
  for (let i = 1; i < w.length; i++) {
    const x = w[i]!;
    if (x === '-B' || x === '--batch-mode') { batch = true; carried.push(x); }
    else if (MAVEN_CARRIED.includes(x)) carried.push(x);
    else if (MAVEN_CARRIED_WITH_VALUE.includes(x) && i + 1 < w.length) carried.push(x, w[++i]!);
    else if (/^(-D|-P|--settings=|--global-settings=|--activate-profiles=)/.test(x) || /^-s./.test(x)) carried.push(x);
    else if (MAVEN_DROPPED_WITH_VALUE.includes(x)) i++;
  }
  if (!batch) carried.unshift('-B');
  if (carried.some((x) => !/^[\w@%+=:,./-]+$/.test(x))) return { refuse: 'a Maven option has characters that would need quoting in the inserted dependency step' };
  return { eco: 'maven', files: sentOf(ctx, files), outputs, mode: 'insert', insert: `${exe} ${row.step} ${carried.join(' ')}` };
};

/** Bundler: the first manifest of the row (Gemfile, gems.rb) that the context sends. */
export const bundlerPlan: PlanRule = (_c, ctx, row) => {
  const manifests = Object.entries(row.files ?? {}).filter(([, role]) => role === 'manifest').map(([f]) => f);
  const gemfile = manifests.find((f) => ctx.sent(f)) ?? null;
  if (!gemfile) return { refuse: missingRequired(ctx, row)! };
  const text = ctx.readText(gemfile) ?? '';
  const m = /^[^#\n]*\b(gemspec|eval_gemfile|require_relative|File\.\w+|path:|:path\s*=>)/m.exec(text);
  if (m) return { refuse: `the ${gemfile} uses \`${m[1]}\`, which reads files of the source` };
  return { eco: 'bundler', files: sentFiles(ctx, row), outputs: [...row.outputs], mode: 'move' };
};

/** composer install options and what each becomes for `composer dump-autoload`. */
const COMPOSER_DUMP_OPTION: Readonly<Record<string, string>> = {
  '-o': '--optimize', '--optimize-autoloader': '--optimize', '-a': '--classmap-authoritative', '--classmap-authoritative': '--classmap-authoritative',
  '--apcu-autoloader': '--apcu', '--no-dev': '--no-dev', '--dev': '--dev', '-n': '--no-interaction', '--no-interaction': '--no-interaction',
  '--no-plugins': '--no-plugins', '--ignore-platform-reqs': '--ignore-platform-reqs', '-q': '--quiet', '--quiet': '--quiet', '--no-ansi': '--no-ansi', '--ansi': '--ansi',
  '--no-scripts': '--no-scripts',
};
/** composer install options that mean nothing to `composer dump-autoload`. */
const COMPOSER_INSTALL_ONLY = new Set(['--prefer-dist', '--prefer-source', '--prefer-install', '--no-progress', '--no-suggest', '--no-cache', '--audit', '--no-audit', '--dry-run', '-v', '-vv', '-vvv', '--verbose']);

/** Composer: the row's `firstPhase` options first, its `secondPhase` (`dump-autoload`) after the source. */
export const composerPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  let json: Record<string, unknown>;
  try { json = JSON.parse(ctx.readText('composer.json') ?? '') as Record<string, unknown>; } catch { return { refuse: 'composer.json is not valid JSON, so its scripts and repositories cannot be checked' }; }
  const repos = json.repositories;
  const repoList = Array.isArray(repos) ? repos : repos && typeof repos === 'object' ? Object.values(repos) : [];
  if (repoList.some((r) => (r as { type?: unknown } | null)?.type === 'path')) return { refuse: 'composer.json has a path repository, which needs files of the source' };
  const files = sentFiles(ctx, row);
  const outputs = [...row.outputs];
  const w = c.words;
  const noScripts = hasFlag(w, ['--no-scripts']);
  if (!noScripts) {
    const scripts = (json.scripts ?? {}) as Record<string, unknown>;
    const ev = (row.scripts ?? []).find((e) => scripts[e] !== undefined);
    if (ev) return { refuse: `composer.json runs "${ev}" scripts during the install, which may need the source; they cannot be kept identical when the install runs before it` };
  }
  if (hasFlag(w, ['--no-autoloader'])) return { eco: 'composer', files, outputs, mode: 'move' };
  const dump: string[] = [];
  for (let i = c.sub + 1; i < w.length; i++) {
    const x = w[i]!;
    const mapped = COMPOSER_DUMP_OPTION[x];
    if (mapped) { if (!dump.includes(mapped)) dump.push(mapped); continue; }
    if (x.startsWith('--ignore-platform-req=') || x.startsWith('--apcu-autoloader-prefix=')) { dump.push(x.replace('--apcu-autoloader-prefix', '--apcu-prefix')); continue; }
    if (COMPOSER_INSTALL_ONLY.has(x) || x.startsWith('--prefer-install=') || x.startsWith('--audit-format=')) continue;
    return { refuse: `\`${w.join(' ')}\`: cannot carry ${x} over to the \`composer dump-autoload\` that must run after the source arrives` };
  }
  const exe = w.slice(0, c.sub).join(' ');
  // the first phase adds those of its options the install does not have already (--no-scripts may be there)
  const addFlags = row.firstPhase!.split(' ').filter((f) => !hasFlag(w, [f])).join(' ');
  return { eco: 'composer', files, outputs, mode: 'two-phase', addFlags, second: [exe, row.secondPhase!, ...dump].join(' ') };
};

const DOTNET_SKIP = new Set(['node_modules', '.git', 'bin', 'obj', '.vs', '.idea']);

/** .NET: every file matching the row's `found` in the context; before a build, the row's `step` (`dotnet restore`). */
export const dotnetPlan: PlanRule = (c, ctx, row) => {
  const found = row.found!;
  const files: string[] = [];
  const built: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const name of ctx.list(dir)) {
      const rel = dir ? `${dir}/${name}` : name;
      if (ctx.ignored(rel)) continue;
      if (ctx.isDirectory(rel)) {
        if (name === 'bin' || name === 'obj') { if (ctx.sent(rel)) built.push(rel); continue; }
        if (!DOTNET_SKIP.has(name) && depth < 5) walk(rel, depth + 1);
      } else if (found.files.test(name)) files.push(rel);
    }
  };
  walk('', 0);
  if (!files.some((f) => found.required.test(f))) return { refuse: 'no project or solution file (*.csproj, *.sln, …) is in the build context' };
  if (files.some((f) => !/^[\w@+.\/-]+$/.test(f))) return { refuse: 'a project file path has characters (spaces, …) that a COPY line would need to quote' };
  const groups = new Set(files.map((f) => posix.dirname(f)));
  if (groups.size > 12) return { refuse: `the project files sit in ${groups.size} directories; copying each would take as many COPY lines` };
  if (built.length) return { refuse: `the context sends ${built[0]}/ (build output): dotnet restore writes obj/, and COPY . . after it would replace that with the local copy; add bin/ and obj/ to the .dockerignore` };
  const outputs = [...row.outputs];
  if (c.kind === 'install') return { eco: 'dotnet', files, outputs, mode: 'move' };
  const w = c.words;
  const pos = positionals(w, 2, row.valueFlags ?? []);
  const args: string[] = [];
  if (pos.length > 1) return { refuse: `\`${w.join(' ')}\` names several projects` };
  if (pos[0]) args.push(pos[0]);
  for (const f of ['-r', '--runtime', '-s', '--source', '--configfile']) for (const v of flagValues(w, [f])) args.push(f, v);
  for (const x of w) if (/^(-p:|\/p:|--property:)/.test(x)) args.push(x);
  if (args.some((x) => !/^[\w@%+=:,./\\-]+$/.test(x))) return { refuse: 'an option of the build has characters that would need quoting in the inserted `dotnet restore`' };
  return { eco: 'dotnet', files, outputs, mode: 'insert', insert: [w[0], row.step, ...args].join(' ') };
};
