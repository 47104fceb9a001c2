/**
 * The manifest rules of split-copy: for an install or build found by commands.ts, which files it needs
 * (its row's `files`, or the ones its manifests name), and when it cannot run before the source (a
 * script, a path dependency, a workspace). Files are read through the build context (never guessed).
 */
import { posix } from 'node:path';
import { toml, yaml } from '../../src/lazy.js';
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

/** Is the context path one of the copied files, or inside a copied directory? */
export const inCopied = (rel: string, files: readonly string[]) => files.some((f) => rel === f || rel.startsWith(f + '/'));

/** The context path that `ref`, written in the file `from`, names; null when it leaves the context. */
function resolveRef(ref: string, from: string): string | null {
  if (ref.startsWith('/') || ref.startsWith('~')) return null;
  const p = posix.normalize(posix.join(posix.dirname(from), ref)).replace(/\/$/, '');
  return p === '..' || p.startsWith('../') ? null : p;
}

/** Refusal text for a local reference that is not in the copied set (null when it is). */
function localRefProblem(ref: string, from: string, what: string, files: readonly string[]): string | null {
  const rel = resolveRef(ref, from);
  if (rel === null) return `${what} points at ${ref}, outside the copied directory or the build context, or at a path of the image that COPY . . may write, which the install would read before the source arrives`;
  if (inCopied(rel, files)) return null;
  return `${what} points at ${rel}, a file of the source that is not copied before the install`;
}

/** The local path an npm/yarn/pnpm/bun dependency specifier names, or null for a registry, git or URL one. */
export function jsLocalSpec(spec: string): string | null {
  let m = /^(?:file|link|portal):(?:\/\/(?=[./]))?(.*)$/.exec(spec);
  if (m) return m[1] || '.';
  if (/^git\+file:/.test(spec)) return spec.slice('git+file:'.length).replace(/^\/\/(?=\/)/, '');
  // yarn's patch: protocol names its patch file after `#` (a `~builtin` patch is yarn's own)
  m = /^patch:.*#([^:]+)(?:::.*)?$/.exec(spec);
  if (m) { const p = decodeURIComponent(m[1]!); return p.startsWith('~builtin') || /^[a-z]+:/.test(p) ? null : p.replace(/^\.\//, ''); }
  if (/^(\.{1,2}(\/|$)|\/|~\/)/.test(spec)) return spec;
  // a bare tarball name is a file (npm's <tarball file> form)
  if (/\.(tgz|tar\.gz|tar)$/.test(spec) && !/^[a-z][a-z0-9+.-]*:/i.test(spec)) return spec;
  return null;
}

/** Every dependency specifier of package.json (nested `overrides` too), with where it is. */
function jsSpecs(pkg: Record<string, unknown>): { where: string; spec: string }[] {
  const out: { where: string; spec: string }[] = [];
  const walk = (v: unknown, where: string) => {
    if (typeof v === 'string') out.push({ where, spec: v });
    else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, `${where} ${k}`);
  };
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'resolutions', 'overrides']) walk(pkg[field], field);
  const pnpm = pkg.pnpm as Record<string, unknown> | undefined;
  if (pnpm && typeof pnpm === 'object') walk(pnpm.overrides, 'pnpm.overrides');
  return out;
}

/** `key=value` lines of an .npmrc (ini; `;` and `#` comments). */
function npmrcEntries(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i > 0) out.push([line.slice(0, i).trim(), line.slice(i + 1).trim().replace(/^"(.*)"$/, '$1')]);
  }
  return out;
}

/** A config value that names a path of the source (relative, not a URL, not an environment reference). */
const relativePathValue = (v: string) => v !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !v.startsWith('/') && !v.startsWith('~') && !v.includes('${') && (v.startsWith('.') || v.includes('/'));

const truthy = (v: string | undefined) => v !== undefined && /^(true|1|yes)$/i.test(v.trim());

/** Does the install, as written (its flags, its row's `frozen` forms and the environment), leave its lockfile alone? */
export function cannotWriteLockfile(c: { words: string[]; sub: number }, row: Ecosystem, env: ReadonlyMap<string, string>): boolean {
  const f = row.frozen;
  if (!f) return true;
  if ((f.subcommands ?? []).includes(c.words[c.sub] ?? '')) return true;
  if (hasFlag(c.words, f.flags)) return true;
  return (f.env ?? []).some((n) => truthy(env.get(n)));
}

/** The refusal when a lockfile is sent and the install may rewrite it (COPY . . would then put the old one back). */
export function staleLockfileProblem(c: { words: string[]; sub: number }, ctx: Ctx, row: Ecosystem, files: readonly string[]): string | null {
  if (!row.frozen) return null;
  const lock = files.find((f) => row.files?.[f] === 'lockfile');
  if (!lock || cannotWriteLockfile(c, row, ctx.env ?? new Map())) return null;
  const forms = [...(row.frozen.subcommands ?? []).map((s) => `\`${[...c.words.slice(0, c.sub), s].join(' ')}\``), ...row.frozen.flags.slice(0, 2), ...(row.frozen.env ?? []).slice(0, 1).map((e) => `ENV ${e}=true`)].join(' or ');
  return `\`${c.words.join(' ')}\` rewrites ${lock} when it is out of date, and the COPY . . after it would put the old one back; use ${forms}, which cannot write it`;
}

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
      if (!pkg || typeof pkg !== 'object' || Array.isArray(pkg)) throw new Error('not an object');
    } catch {
      return { refuse: 'package.json is not valid JSON, so its install scripts and workspaces cannot be checked' };
    }
  }
  if (pkg.workspaces !== undefined) return { refuse: 'package.json declares workspaces (a monorepo): every member\'s package.json would have to be copied first, which this transform does not do' };
  let workspaceFile = false;
  if (c.eco === 'pnpm' && ctx.sent('pnpm-workspace.yaml')) {
    let ws: unknown;
    try { ws = yaml().parse(ctx.readText('pnpm-workspace.yaml') ?? ''); } catch { return { refuse: 'pnpm-workspace.yaml does not parse' }; }
    const pkgs = (ws as { packages?: unknown } | null)?.packages;
    workspaceFile = Array.isArray(pkgs) && pkgs.length > 0;
    if (workspaceFile && !fetchOnly) return { refuse: 'pnpm-workspace.yaml lists workspace packages (a monorepo): every member\'s package.json would have to be copied first; `pnpm fetch` (which needs only the lockfile) followed by `pnpm install --offline` after the source is the pattern that works' };
  }
  const files = sentFiles(ctx, row);
  const env = ctx.env ?? new Map<string, string>();
  // .npmrc (npm, pnpm, yarn classic and bun read the project's): paths it names, and ignore-scripts
  let ignoreScripts = hasFlag(c.words, ['--ignore-scripts']) && !c.words.some((w) => /^--ignore-scripts=(false|0)$/.test(w));
  if (truthy(env.get('npm_config_ignore_scripts') ?? env.get('NPM_CONFIG_IGNORE_SCRIPTS'))) ignoreScripts = true;
  for (const name of ['NPM_CONFIG_USERCONFIG', 'npm_config_userconfig', 'NPM_CONFIG_GLOBALCONFIG', 'npm_config_globalconfig']) {
    const v = env.get(name);
    if (v !== undefined && !v.startsWith('/')) return { refuse: `${name}=${v} (ENV) makes the install read configuration from the source` };
  }
  if (files.includes('.npmrc')) {
    for (const [k, v] of npmrcEntries(ctx.readText('.npmrc') ?? '')) {
      if (k === 'ignore-scripts') ignoreScripts = truthy(v);
      else if (relativePathValue(v)) {
        const p = localRefProblem(v, '.npmrc', `.npmrc's ${k}`, files);
        if (p) return { refuse: p };
      }
    }
  }
  if (c.eco === 'yarn') {
    const p = yarnrcProblem(ctx, files);
    if (p) return { refuse: p };
  }
  if (files.includes('.pnpmfile.cjs') && !ignoreScripts) return { refuse: '.pnpmfile.cjs is code that pnpm runs during the install, so what it reads cannot be listed' };
  if (!fetchOnly && !ignoreScripts) {
    const scripts = (pkg.scripts ?? {}) as Record<string, unknown>;
    const run = (row.scripts ?? []).find((s) => typeof scripts[s] === 'string');
    if (run) return { refuse: `package.json has a "${run}" script (${JSON.stringify(scripts[run])}) that \`${cmd}\` runs, and it may need the source; add --ignore-scripts if it does not, or leave the order as it is` };
    // npm (and yarn, pnpm) run `node-gyp rebuild` for a package with a binding.gyp and no install script
    if (ctx.exists('binding.gyp') && !missing) return { refuse: `binding.gyp is in the package's directory, so \`${cmd}\` runs \`node-gyp rebuild\`, which compiles the source; add --ignore-scripts if it must not, or leave the order as it is` };
  }
  for (const { where, spec } of jsSpecs(pkg)) {
    if (spec.startsWith('workspace:')) return { refuse: `package.json ${where} uses the workspace: protocol (a monorepo member), whose files cannot all be listed` };
    const local = jsLocalSpec(spec);
    if (local === null) continue;
    const p = localRefProblem(local, 'package.json', `package.json ${where} ("${spec}")`, files);
    if (p) return { refuse: p };
  }
  const patched = (pkg.pnpm as { patchedDependencies?: unknown } | undefined)?.patchedDependencies;
  if (patched && typeof patched === 'object') {
    for (const [name, file] of Object.entries(patched as Record<string, unknown>)) {
      const p = typeof file === 'string' ? localRefProblem(file, 'package.json', `package.json pnpm.patchedDependencies ${name}`, files) : null;
      if (p) return { refuse: p };
    }
  }
  const stale = fetchOnly ? null : staleLockfileProblem(c, ctx, row, files);
  if (stale) return { refuse: stale };
  const bindProblem = files.includes('.yarn/cache') ? 'yarn writes into .yarn/cache, which a bind mount would not keep (and the build context\'s copy would be read-only)' : undefined;
  return { eco: c.eco, files, outputs: [...row.outputs], mode: 'move', ...(bindProblem ? { bindProblem } : {}) };
};

/** Yarn's own configuration (.yarnrc.yml for berry, .yarnrc for classic): the paths it reads or writes. */
function yarnrcProblem(ctx: Ctx, files: readonly string[]): string | null {
  if (files.includes('.yarnrc.yml')) {
    let rc: unknown;
    try { rc = yaml().parse(ctx.readText('.yarnrc.yml') ?? ''); } catch { return '.yarnrc.yml does not parse, so the paths it sets cannot be checked'; }
    const o = (rc && typeof rc === 'object' ? rc : {}) as Record<string, unknown>;
    const reads: [string, unknown][] = [['yarnPath', o.yarnPath], ['cacheFolder', o.cacheFolder], ['patchFolder', o.patchFolder]];
    for (const p of Array.isArray(o.plugins) ? o.plugins : []) reads.push(['plugins', typeof p === 'string' ? p : (p as { path?: unknown } | null)?.path]);
    for (const f of Array.isArray(o.injectEnvironmentFiles) ? o.injectEnvironmentFiles : []) reads.push(['injectEnvironmentFiles', f]);
    for (const [k, v] of reads) {
      if (typeof v !== 'string' || /^[a-z]+:\/\//i.test(v) || v.startsWith('~')) continue;
      if (v.startsWith('/')) continue;
      const p = localRefProblem(v.replace(/^\.\//, ''), '.yarnrc.yml', `.yarnrc.yml's ${k}`, files);
      if (p && (k !== 'injectEnvironmentFiles' || ctx.exists(v))) return p;
    }
    for (const k of ['installStatePath', 'pnpUnpluggedFolder', 'virtualFolder']) {
      const v = o[k];
      if (typeof v === 'string' && !v.startsWith('/') && ctx.sent(v.replace(/^\.\//, ''))) return `.yarnrc.yml's ${k} is ${v}, which the build context sends: the install writes it, and COPY . . after the install would overwrite it`;
    }
  }
  if (files.includes('.yarnrc')) {
    for (const raw of (ctx.readText('.yarnrc') ?? '').split(/\r?\n/)) {
      const m = /^\s*(yarn-path|cache-folder|"--cache-folder"|--cache-folder)\s+"?([^"\s]+)"?/.exec(raw);
      if (m && relativePathValue(m[2]!)) {
        const p = localRefProblem(m[2]!.replace(/^\.\//, ''), '.yarnrc', `.yarnrc's ${m[1]}`, files);
        if (p) return p;
      }
    }
  }
  return null;
}

/** A pip index or find-links value that reads from the image's or the context's files (a path, or a file: URL). */
const localIndex = (v: string) => /^file:/i.test(v) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(v);

/** pip's options that name files or indexes, as requirement-file lines or as PIP_* variables. */
const PIP_FILE_OPTS = /^(-r|-c|--requirement|--constraint)$/;
const PIP_INDEX_OPTS = /^(-i|--index-url|--extra-index-url|-f|--find-links)$/;

/** The option and value a requirements-file line starts with (`-r x`, `-rx`, `--requirement=x`), or null. */
function optionLine(line: string): { opt: string; value: string } | null {
  const m = /^(--[a-z-]+)(?:\s*=\s*|\s+)(\S+)/.exec(line) ?? /^(-[a-zA-Z])\s*=?\s*(\S+)/.exec(line);
  return m ? { opt: m[1]!, value: m[2]! } : null;
}

/** Requirement files named by -r/-c (the command's, PIP_REQUIREMENT/PIP_CONSTRAINT's and the ones they include), relative to the context. */
function requirementFiles(c: { words: string[] }, ctx: Ctx): string[] | { refuse: string } {
  const out: string[] = [];
  const env = ctx.env ?? new Map<string, string>();
  const queue = flagValues(c.words, ['-r', '--requirement', '-c', '--constraint']).map((f) => ({ file: f, from: null as string | null }));
  for (const name of ['PIP_REQUIREMENT', 'PIP_CONSTRAINT']) for (const f of (env.get(name) ?? '').split(/\s+/).filter(Boolean)) queue.push({ file: f, from: null });
  // pip reads every long option from a PIP_<OPTION> variable: one naming a path reads the source
  for (const [name, v] of env) {
    if (!name.startsWith('PIP_') || name === 'PIP_REQUIREMENT' || name === 'PIP_CONSTRAINT') continue;
    const index = /^PIP_(INDEX_URL|EXTRA_INDEX_URL|FIND_LINKS)$/.test(name);
    if (v.split(/\s+/).filter(Boolean).some((x) => (index ? localIndex(x) : relativePathValue(x)))) return { refuse: `${name}=${v} (ENV) makes pip read ${index ? 'packages from a local directory' : 'a path'}, which may be a file of the source` };
  }
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
      const o = line.startsWith('-') ? optionLine(line) : null;
      if (o && PIP_FILE_OPTS.test(o.opt)) { queue.push({ file: o.value, from: rel }); continue; }
      if (o && (o.opt === '-e' || o.opt === '--editable')) return { refuse: `${rel} installs ${o.value} in editable mode, which needs the source` };
      if (o && PIP_INDEX_OPTS.test(o.opt)) {
        if (localIndex(o.value)) return { refuse: `${rel} reads packages from the local ${o.value} (${line}), which may be a directory of the source` };
        continue;
      }
      if (line.startsWith('-')) continue;
      // a requirement: a name with versions and markers, or a URL; anything naming a path is local
      const spec = line.split(/\s+--/)[0]!.trim();
      if (/^(\.|\/|~|file:)/i.test(spec) || /@\s*(file:|\.|\/)/i.test(spec)) return { refuse: `${rel} installs a local path (${line}), which needs the source` };
      if (!/:\/\//.test(spec) && (/\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar)$/i.test(spec) || /^[^;]*\//.test(spec))) return { refuse: `${rel} installs a local file or directory (${line}), which needs the source` };
    }
  }
  return out;
}

export const pipPlan: PlanRule = (c, ctx, row) => {
  const files = requirementFiles(c, ctx);
  if (!Array.isArray(files)) return files;
  return { eco: 'pip', files, outputs: [...row.outputs], mode: 'move' };
};

/** A TOML file parsed with smol-toml, or the refusal. */
function readToml(ctx: Ctx, rel: string): { toml: Record<string, unknown> } | { refuse: string } {
  try { return { toml: toml().parse(ctx.readText(rel) ?? '') as Record<string, unknown> }; } catch (e) { return { refuse: `${rel} does not parse as TOML (${(e as Error).message.split('\n')[0]}), so its dependencies cannot be checked` }; }
}

/**
 * Local references in a parsed pyproject.toml or Pipfile: tables with `path`/`file` (Poetry, uv sources,
 * Pipfile), `url`/requirement strings with file: or a path (PEP 508 `name @ file:///…`), `editable`.
 */
function pyLocalRef(doc: unknown, where: string): string | null {
  const walk = (v: unknown, at: string): string | null => {
    if (typeof v === 'string') return /^\s*[\w.[\],-]+\s*@\s*(file:|\.|\/)/i.test(v) || /^file:/i.test(v) ? `${at} = "${v}"` : null;
    if (Array.isArray(v)) { for (const [i, x] of v.entries()) { const r = walk(x, `${at}[${i}]`); if (r) return r; } return null; }
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if ((k === 'path' || k === 'file' || k === 'editable' && x === true) && (typeof x === 'string' || x === true)) return `${at}.${k} = ${JSON.stringify(x)}`;
        if (k === 'url' && typeof x === 'string' && localIndex(x)) return `${at}.url = "${x}"`;
        const r = walk(x, `${at}.${k}`);
        if (r) return r;
      }
    }
    return null;
  };
  return walk(doc, where);
}

/** The parts of pyproject.toml that name dependencies and where they come from. */
function pyprojectLocal(doc: Record<string, unknown>): string | null {
  const tool = (doc.tool ?? {}) as Record<string, unknown>;
  const project = (doc.project ?? {}) as Record<string, unknown>;
  const parts: [unknown, string][] = [
    [project.dependencies, 'project.dependencies'], [project['optional-dependencies'], 'project.optional-dependencies'],
    [doc['dependency-groups'], 'dependency-groups'],
    [(tool.poetry as Record<string, unknown> | undefined)?.dependencies, 'tool.poetry.dependencies'],
    [(tool.poetry as Record<string, unknown> | undefined)?.['dev-dependencies'], 'tool.poetry.dev-dependencies'],
    [(tool.poetry as Record<string, unknown> | undefined)?.group, 'tool.poetry.group'],
    [(tool.poetry as Record<string, unknown> | undefined)?.source, 'tool.poetry.source'],
    [tool.uv, 'tool.uv'],
  ];
  for (const [v, at] of parts) { const r = pyLocalRef(v, at); if (r) return r; }
  return null;
}

/** Poetry: `--no-root` first (the row's `firstPhase`), then the original install after the source. */
export const poetryPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  const read = readToml(ctx, 'pyproject.toml');
  if ('refuse' in read) return read;
  const doc = read.toml;
  const local = pyprojectLocal(doc);
  if (local) return { refuse: `pyproject.toml has a local dependency (${local}), which needs files of the source` };
  const files = sentFiles(ctx, row);
  const outputs = [...row.outputs];
  const noRoot = hasFlag(c.words, [row.firstPhase!]) || ((doc.tool as { poetry?: { 'package-mode'?: unknown } } | undefined)?.poetry?.['package-mode'] === false);
  return noRoot
    ? { eco: 'poetry', files, outputs, mode: 'move' }
    : { eco: 'poetry', files, outputs, mode: 'two-phase', addFlags: row.firstPhase!, second: null };
};

/** uv: `--no-install-project` first (the row's `firstPhase`), then the original sync after the source. */
export const uvPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  const read = readToml(ctx, 'pyproject.toml');
  if ('refuse' in read) return read;
  const doc = read.toml;
  if ((doc.tool as { uv?: { workspace?: unknown } } | undefined)?.uv?.workspace !== undefined) return { refuse: 'pyproject.toml declares a uv workspace: every member\'s pyproject.toml would have to be copied first, which this transform does not do' };
  const local = pyprojectLocal(doc);
  if (local) return { refuse: `pyproject.toml has a local source (${local}), which needs files of the source` };
  const files = sentFiles(ctx, row);
  const outputs = [...row.outputs];
  // the second phase re-runs the original sync after the source, so a rewritten uv.lock ends up the same;
  // a bind-mounted uv.lock is read-only, though
  const lock = staleLockfileProblem(c, ctx, row, files);
  const bind = lock ? { bindProblem: `\`${c.words.join(' ')}\` may rewrite uv.lock, which a bind mount holds read-only; add --locked` } : {};
  if (hasFlag(c.words, [row.firstPhase!])) {
    if (lock) return { refuse: lock };
    return { eco: 'uv', files, outputs, mode: 'move' };
  }
  return { eco: 'uv', files, outputs, mode: 'two-phase', addFlags: row.firstPhase!, second: null, ...bind };
};

export const pipenvPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  const read = readToml(ctx, 'Pipfile');
  if ('refuse' in read) return read;
  const doc = read.toml;
  const local = pyLocalRef(Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'source' && k !== 'requires' && k !== 'scripts' && k !== 'pipenv')), 'Pipfile')
    ?? pyLocalRef(((doc.source ?? []) as unknown[]).map((x) => ({ url: (x as { url?: unknown }).url })), 'Pipfile source');
  if (local) return { refuse: `the Pipfile has a local dependency (${local}), which needs files of the source` };
  const files = sentFiles(ctx, row);
  const lock = staleLockfileProblem(c, ctx, row, files);
  if (lock) return { refuse: lock };
  return { eco: 'pipenv', files, outputs: [...row.outputs], mode: 'move' };
};

/**
 * go.mod's directives (https://go.dev/ref/mod#go-mod-file-grammar): a line `verb args…` or a block
 * `verb ( … )` of lines; `//` comments; quoted strings ("…" with escapes, `…` raw) as one argument.
 */
export function goModDirectives(text: string): { verb: string; args: string[] }[] {
  const out: { verb: string; args: string[] }[] = [];
  let block: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const words: string[] = [];
    const re = /"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\/\/.*)|(\S+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(raw))) {
      if (m[3] !== undefined) break;
      words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] ?? m[4]!);
    }
    if (words.length === 0) continue;
    if (block !== null) {
      if (words[0] === ')') { block = null; continue; }
      out.push({ verb: block, args: words });
      continue;
    }
    if (words.length === 2 && words[1] === '(') { block = words[0]!; continue; }
    out.push({ verb: words[0]!, args: words.slice(1) });
  }
  return out;
}

/** A replacement that is a directory (go: "a file path … beginning with ./ or ../", or an absolute path). */
const isGoLocalPath = (p: string) => p.startsWith('./') || p.startsWith('../') || p === '.' || p === '..' || p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);

/** Go: before a build, the row's `step` (`go mod download`). */
export const goPlan: PlanRule = (c, ctx, row) => {
  const missing = missingRequired(ctx, row);
  if (missing) return { refuse: missing };
  if (ctx.sent('go.work')) return { refuse: 'go.work declares a Go workspace: every module\'s go.mod would have to be copied first, which this transform does not do' };
  if (ctx.sent('vendor/modules.txt')) return { refuse: 'the module vendors its dependencies (vendor/modules.txt), so they arrive with the source and there is nothing to download first' };
  const mod = goModDirectives(ctx.readText('go.mod') ?? '');
  const local = mod.find((d) => d.verb === 'replace' && d.args.includes('=>') && isGoLocalPath(d.args[d.args.indexOf('=>') + 1] ?? ''));
  if (local) return { refuse: `go.mod replaces ${local.args[0]} with the local directory ${local.args[local.args.indexOf('=>') + 1]}, which needs files of the source` };
  const env = ctx.env ?? new Map<string, string>();
  const gw = env.get('GOWORK');
  if (gw !== undefined && gw !== 'off' && gw !== '') return { refuse: `GOWORK=${gw} (ENV) makes go read a workspace file, whose modules cannot all be listed` };
  if (/-modfile|-overlay/.test(env.get('GOFLAGS') ?? '')) return { refuse: `GOFLAGS=${env.get('GOFLAGS')} (ENV) makes go read another module file or an overlay` };
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
  // the wrapper downloads what .mvn/wrapper/maven-wrapper.properties names into .mvn/wrapper when it is missing
  const bind = wrapper ? { bindProblem: 'the Maven wrapper may download its jar into .mvn/wrapper, which a read-only bind mount cannot take' } : {};
  if (c.kind === 'install') return { eco: 'maven', files, outputs, mode: 'move', ...bind };
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
  return { eco: 'maven', files: sentOf(ctx, files), outputs, mode: 'insert', insert: `${exe} ${row.step} ${carried.join(' ')}`, ...bind };
};

/** Bundler: the first manifest of the row (Gemfile, gems.rb) that the context sends. */
/** A Ruby value of a Gemfile line: a string, symbol, number, true/false/nil, an array of those or %w[]/%i[]. */
const RB_ATOM = String.raw`(?:"[^"#\\]*"|'[^'\\]*'|:\w+|-?\d[\d.]*|true|false|nil|%[wi][\[(][^\])]*[\])])`;
const RB_VALUE = String.raw`(?:${RB_ATOM}|\[\s*(?:${RB_ATOM}\s*(?:,\s*${RB_ATOM}\s*)*)?,?\s*\])`;
const RB_KEY = String.raw`(?:(\w+):\s*|:(\w+)\s*=>\s*)`;
/** The keyword options of `gem` that read nothing local (path:, and git: to a local path, do). */
const GEM_KEYS = new Set(['require', 'group', 'groups', 'platform', 'platforms', 'git', 'github', 'gitlab', 'bitbucket', 'branch', 'tag', 'ref', 'source', 'submodules', 'glob', 'install_if', 'force_ruby_platform']);

/** Splits Ruby call arguments at top-level commas (not inside quotes or brackets). */
function rubyArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0, quote: string | null = null, cur = '';
  for (const ch of text) {
    if (quote) { cur += ch; if (ch === quote) quote = null; continue; }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '(' || ch === '{') depth++;
    else if (ch === ']' || ch === ')' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/**
 * The Gemfile as an exact small grammar (https://bundler.io/man/gemfile.5.html): `source`, `ruby`, `gem`
 * with string versions and known keyword options, `group`/`platforms`/`source … do` blocks, `end`,
 * `git_source` with a URL template, `plugin`. Any other line is Ruby that may read files: refused.
 */
function gemfileProblem(text: string, gemfile: string, files: readonly string[]): string | null {
  const joined = text.replace(/,\s*(#.*)?\r?\n\s*/g, ', ');
  const args = new RegExp(String.raw`^(?:${RB_VALUE}|${RB_KEY}${RB_VALUE})$`);
  for (const [i, raw] of joined.split(/\r?\n/).entries()) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#') || line === 'end' || line.startsWith('# frozen_string_literal')) continue;
    const m = /^(\w+)(?:\s*\(\s*|\s+)?(.*?)\)?\s*(do\s*(\|\s*\w+\s*\|)?)?$/.exec(line);
    const verb = m?.[1] ?? '';
    const rest = (m?.[2] ?? '').trim();
    const parts = rest === '' ? [] : rubyArgs(rest);
    const ok = parts.every((p) => args.test(p.trim()));
    const at = `${gemfile} line ${i + 1} (\`${line.length > 50 ? line.slice(0, 47) + '…' : line}\`)`;
    if (verb === 'source' || verb === 'group' || verb === 'platforms' || verb === 'platform' || verb === 'plugin') {
      if (!ok) return `${at} is not one of the Gemfile forms this transform reads, so what it reads cannot be listed`;
      continue;
    }
    if (verb === 'ruby') {
      const file = /file:\s*["']([^"']+)["']/.exec(rest);
      if (file) { const p = localRefProblem(file[1]!, gemfile, `${gemfile}'s ruby file:`, files); if (p) return p; continue; }
      if (!ok) return `${at} is not one of the Gemfile forms this transform reads, so what it reads cannot be listed`;
      continue;
    }
    if (verb === 'git_source' && /^git_source\s*\(\s*:\w+\s*\)\s*\{\s*\|\s*\w+\s*\|\s*"https?:\/\/[^"]*"\s*\}$/.test(line)) continue;
    if (verb === 'gem' && ok) {
      for (const p of parts) {
        const k = new RegExp(`^${RB_KEY}`).exec(p.trim());
        if (!k) continue;
        const key = (k[1] ?? k[2])!;
        if (key === 'path') return `${at} installs a gem from a local path, which needs files of the source`;
        if (!GEM_KEYS.has(key)) return `${at} has the option ${key}:, which this transform does not know`;
        if (key === 'git' && !/["'](https?|git|ssh):\/\/|["'][\w.-]+@[\w.-]+:/.test(p)) return `${at} installs a gem from a local git repository, which needs files of the source`;
      }
      continue;
    }
    return `${at} ${verb === 'gemspec' || verb === 'eval_gemfile' || verb === 'require_relative' || verb === 'load' ? 'reads files of the source' : 'is not one of the Gemfile forms this transform reads, so what it reads cannot be listed'}`;
  }
  return null;
}

export const bundlerPlan: PlanRule = (c, ctx, row) => {
  const manifests = Object.entries(row.files ?? {}).filter(([, role]) => role === 'manifest').map(([f]) => f);
  const gemfile = manifests.find((f) => ctx.sent(f)) ?? null;
  if (!gemfile) return { refuse: missingRequired(ctx, row)! };
  const text = ctx.readText(gemfile) ?? '';
  const files = sentFiles(ctx, row);
  const bad = gemfileProblem(text, gemfile, files);
  if (bad) return { refuse: bad };
  const lock = staleLockfileProblem(c, ctx, row, files);
  if (lock) return { refuse: lock };
  return { eco: 'bundler', files, outputs: [...row.outputs], mode: 'move' };
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
  for (const r of repoList) {
    const repo = (r ?? {}) as { type?: unknown; url?: unknown };
    if (repo.type === 'path' || repo.type === 'artifact') return { refuse: `composer.json has ${repo.type === 'path' ? 'a path' : 'an artifact'} repository (${String(repo.url)}), which needs files of the source` };
    if (typeof repo.url === 'string' && !/^([a-z][a-z0-9+.-]*:\/\/(?!\/)|[\w.-]+@[\w.-]+:)/i.test(repo.url)) return { refuse: `composer.json has a ${String(repo.type)} repository at the local ${repo.url}, which may be a directory of the source` };
  }
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

/**
 * What the MSBuild files read besides themselves: every `<Import Project>`, `<ProjectReference Include>`
 * and NuGet.config `<add value>` package source must be a copied file (a path with a property such as
 * `$(MSBuildThisFileDirectory)` cannot be resolved here, so it is refused). The SDK's own imports
 * (`Sdk="…"`) come from the image.
 */
function msbuildRefProblem(ctx: Ctx, files: readonly string[]): string | null {
  const attr = (tag: string, name: string) => new RegExp(String.raw`<${tag}\b[^>]*?\s${name}\s*=\s*("([^"]*)"|'([^']*)')`, 'gi');
  for (const f of files) {
    const text = (ctx.readText(f) ?? '').replace(/<!--[\s\S]*?-->/g, '');
    if (/nuget\.config$/i.test(f)) {
      const sources = /<packageSources>([\s\S]*?)<\/packageSources>/i.exec(text)?.[1] ?? '';
      for (const m of sources.matchAll(attr('add', 'value'))) {
        const v = m[2] ?? m[3] ?? '';
        if (!/^https?:\/\//i.test(v)) return `${f} has the local package source ${v}, which may be a directory of the source`;
      }
      continue;
    }
    for (const [tag, name] of [['Import', 'Project'], ['ProjectReference', 'Include']] as const) {
      for (const m of text.matchAll(attr(tag, name))) {
        const v = (m[2] ?? m[3] ?? '').replace(/\\/g, '/');
        if (v.includes('$(') || v.includes('@(') || /[*?]/.test(v)) return `${f} has <${tag} ${name}="${v}">, a path this transform cannot resolve, so what the restore reads cannot be listed`;
        for (const one of v.split(';').map((x) => x.trim()).filter(Boolean)) {
          const p = localRefProblem(one, f, `${f}'s <${tag}>`, files);
          if (p) return p;
        }
      }
    }
  }
  return null;
}

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
  const refs = msbuildRefProblem(ctx, files);
  if (refs) return { refuse: refs };
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
