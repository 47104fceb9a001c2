/**
 * Which directory is a Dockerfile's build context (for split-copy, which must read the files a
 * `COPY . .` would send). In order:
 * 1. an explicit directory (`--context DIR`, one file only);
 * 2. a compose file (`compose*.y*ml` or `docker-compose*.y*ml`) next to the Dockerfile or in a directory
 *    above it, up to the repository root (a directory holding `.git`) or the filesystem root, with a
 *    service whose `build.context` + `build.dockerfile` name this Dockerfile; the nearest directory
 *    with such a service wins; services that disagree on the context make it unknown;
 * 3. the Dockerfile's directory.
 * docker-bake files do not choose the context (they are read for the build intent, below).
 *
 * The build intent (`intentOf`): what builds the Dockerfile and how, read from every compose file and
 * docker-bake file (`docker-bake*.json`) in the Dockerfile's directory and the directories above it up to
 * the repository root: per service or bake target the stage it builds (`build.target`, bake `target`),
 * its build arguments, and for compose the read-write bind mounts, container ports and command the
 * service runs with. `docker-bake*.hcl` files are not parsed (HCL is only read exactly by Go's hcl
 * library): one that mentions the Dockerfile makes the intent `unreadable`, and runtime transforms refuse.
 *
 * The ContextFs it returns carries where the answer came from (`contextInfo`), and which ignore file
 * applies: BuildKit reads `<Dockerfile>.dockerignore` next to the Dockerfile instead of the context's
 * `.dockerignore` when it exists.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { yaml } from './lazy.js';
import { DockerfileParser } from 'dockerfile-ast';
import { contextFs } from './context-fs.js';
import type { ContextFs } from './types.js';

/** One way the Dockerfile is built: a compose service, a bake target, or `--target`. */
export interface BuildTarget {
  /** For messages: `compose.yaml service web`, `docker-bake.json target app`, `--target`. */
  where: string;
  /** The stage built (`build.target`, bake `target`, `--target`), or null for the final stage. */
  target: string | null;
  /** Build arguments it passes (values as written; `$` interpolations left as they are). */
  args: Record<string, string>;
  /** Compose: read-write bind mounts of host paths (`.:/build`), as `host:container`. */
  binds: string[];
  /** Compose: container ports it publishes or exposes. */
  ports: number[];
  /** Compose: the `command:` it runs instead of the image's CMD (words), or null. */
  command: string[] | null;
  /** Compose: `entrypoint:` override (words), or null. */
  entrypoint: string[] | null;
  /** Image names it tags (compose `image:`, bake `tags`). */
  images: string[];
}

/** What builds a Dockerfile (see the module comment). */
export interface BuildIntent {
  builds: BuildTarget[];
  /** Files that name the Dockerfile but cannot be read exactly (HCL bake files), with why. */
  unreadable: string[];
  /** Other services or targets of the same compose/bake files whose Dockerfile builds FROM an image this one tags. */
  builtOnBy: string[];
}

export const noIntent: BuildIntent = { builds: [], unreadable: [], builtOnBy: [] };

export interface ContextInfo {
  /** Absolute path of the Dockerfile, when known. */
  dockerfile: string | null;
  /** How the context was chosen. */
  source: 'explicit' | 'compose' | 'default' | 'unknown';
  /** For `compose`: the compose file and service; for `unknown`: why. */
  detail: string | null;
  /** What builds it (compose services, bake targets), when resolved from the file system. */
  intent?: BuildIntent;
}

/** A ContextFs that also says how it was chosen. */
export interface ResolvedContext extends ContextFs {
  readonly info: ContextInfo;
}

/** How a ContextFs was chosen, when it came from this module (null for a plain ContextFs). */
export function contextInfo(ctx: ContextFs): ContextInfo | null {
  const info = (ctx as Partial<ResolvedContext>).info;
  return info && typeof info === 'object' && 'source' in info ? info : null;
}

/**
 * The ignore file BuildKit applies for this Dockerfile and context: `<Dockerfile>.dockerignore` next to
 * the Dockerfile when it exists, else `<context>/.dockerignore`; null when there is none.
 */
export function dockerignoreOf(ctx: ContextFs): { text: string; name: string } | null {
  const info = contextInfo(ctx);
  if (info?.dockerfile) {
    const own = `${info.dockerfile}.dockerignore`;
    try {
      if (statSync(own).isFile()) return { text: readFileSync(own, 'utf8'), name: basename(own) };
    } catch { /* none */ }
  }
  const text = ctx.readText('.dockerignore');
  return text === null ? null : { text, name: '.dockerignore' };
}

const withInfo = (fs: ContextFs, info: ContextInfo): ResolvedContext => ({ ...fs, info });

/** The context for an explicitly given directory. */
export function explicitContext(dir: string, dockerfile: string | null): ResolvedContext {
  const df = dockerfile && resolve(dockerfile);
  return withInfo(contextFs(resolve(dir)), { dockerfile: df, source: 'explicit', detail: null, ...(df ? { intent: buildIntent(df) } : {}) });
}

const COMPOSE_NAME = /^(docker-)?compose.*\.ya?ml$/i;

const real = (p: string): string => {
  try { return realpathSync(p); } catch { return resolve(p); }
};

interface ServiceMatch { context: string; where: string }

/** Services of one compose file whose build points at `dockerfile` (a real path). */
/**
 * What a run has already read while looking for compose files: directory listings and parsed compose
 * files. One per run, so a batch of thousands of services reads each parent directory once (the files
 * cannot be assumed unchanged across runs of a long-lived process).
 */
export interface ContextCache {
  dirs: Map<string, { compose: string[]; bake: string[]; repoRoot: boolean }>;
  yaml: Map<string, unknown>;
  /** Parsed Dockerfiles of other services (their FROM images), for `builtOnBy`. */
  froms?: Map<string, string[]>;
}
export const newContextCache = (): ContextCache => ({ dirs: new Map(), yaml: new Map() });
const BAKE_NAME = /^docker-bake.*\.(json|hcl)$/i;

function dirEntry(dir: string, cache: ContextCache): { compose: string[]; bake: string[]; repoRoot: boolean } {
  let entry = cache.dirs.get(dir);
  if (!entry) {
    let names: string[] = [];
    try { names = readdirSync(dir).sort(); } catch { names = []; }
    entry = { compose: names.filter((n) => COMPOSE_NAME.test(n)), bake: names.filter((n) => BAKE_NAME.test(n)), repoRoot: names.includes('.git') || existsSync(join(dir, '.git')) };
    cache.dirs.set(dir, entry);
  }
  return entry;
}

function parsed(file: string, cache: ContextCache, json: boolean): unknown {
  if (cache.yaml.has(file)) return cache.yaml.get(file);
  let doc: unknown = null;
  try {
    const text = readFileSync(file, 'utf8');
    doc = json ? JSON.parse(text) : yaml().parse(text);
  } catch {
    doc = null;
  }
  cache.yaml.set(file, doc);
  return doc;
}

function composeMatches(composeFile: string, dockerfile: string, cache: ContextCache): ServiceMatch[] {
  const doc = parsed(composeFile, cache, false);
  const services = (doc as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object') return [];
  const out: ServiceMatch[] = [];
  const base = dirname(composeFile);
  for (const [name, svc] of Object.entries(services as Record<string, unknown>)) {
    const build = (svc as { build?: unknown } | null)?.build;
    let ctxPath: unknown = '.', file: unknown = 'Dockerfile';
    if (typeof build === 'string') ctxPath = build;
    else if (build && typeof build === 'object') {
      const b = build as { context?: unknown; dockerfile?: unknown };
      if (b.context !== undefined) ctxPath = b.context;
      if (b.dockerfile !== undefined) file = b.dockerfile;
    } else continue;
    if (typeof ctxPath !== 'string' || typeof file !== 'string') continue;
    // remote contexts and interpolated values cannot be resolved here
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ctxPath) || ctxPath.startsWith('git@') || ctxPath.includes('$') || file.includes('$')) continue;
    const contextDir = resolve(base, ctxPath);
    const df = isAbsolute(file) ? file : resolve(contextDir, file);
    if (real(df) === dockerfile) out.push({ context: real(contextDir), where: `${relative(dirname(dockerfile), composeFile) || basename(composeFile)} service ${name}` });
  }
  return out;
}

/**
 * The build context of a Dockerfile (see the module comment). `explicit` is a `--context` directory.
 */
export function resolveBuildContext(dockerfile: string, explicit?: string, cache: ContextCache = newContextCache()): ResolvedContext {
  const abs = resolve(dockerfile);
  if (explicit !== undefined) return explicitContext(explicit, abs);
  const df = real(abs);
  let dir = dirname(abs);
  for (;;) {
    const entry = dirEntry(dir, cache);
    const names = entry.compose;
    const matches = names.flatMap((n) => composeMatches(join(dir, n), df, cache));
    const contexts = [...new Set(matches.map((m) => m.context))];
    if (contexts.length === 1) {
      return withInfo(contextFs(contexts[0]!), { dockerfile: abs, source: 'compose', detail: matches.map((m) => m.where).join(', '), intent: buildIntent(abs, cache) });
    }
    if (contexts.length > 1) {
      return withInfo(contextFs(null), {
        dockerfile: abs, source: 'unknown', intent: buildIntent(abs, cache),
        detail: `compose services build it with different contexts (${matches.map((m) => `${m.where}: ${relative(dirname(abs), m.context) || '.'}`).join('; ')}); pass --context`,
      });
    }
    if (entry.repoRoot) break;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return withInfo(contextFs(dirname(abs)), { dockerfile: abs, source: 'default', detail: null, intent: buildIntent(abs, cache) });
}

const sameFile = (a: string, b: string) => real(a) === b;
const isRemote = (p: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(p) || p.startsWith('git@');

/** Compose `KEY=value` lists and maps, as a map (values that are not strings or numbers are left out). */
function argMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const x of v) if (typeof x === 'string' && x.includes('=')) out[x.slice(0, x.indexOf('='))] = x.slice(x.indexOf('=') + 1);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number') out[k] = String(x);
  }
  return out;
}

const words = (v: unknown): string[] | null =>
  typeof v === 'string' ? v.trim().split(/\s+/).filter(Boolean) : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;

/** Read-write bind mounts of a compose service (`.:/build`, `./src:/app`, long syntax `type: bind`). */
function bindsOf(volumes: unknown): string[] {
  if (!Array.isArray(volumes)) return [];
  const out: string[] = [];
  for (const v of volumes) {
    if (typeof v === 'string') {
      const parts = v.split(':');
      // a Windows drive letter (C:\x) is one part
      if (parts.length > 1 && /^[a-z]$/i.test(parts[0]!)) parts.splice(0, 2, `${parts[0]}:${parts[1]}`);
      if (parts.length < 2) continue;
      const [src, dst, mode] = parts as [string, string, string | undefined];
      const bind = /^[./~$\\]/.test(src) || /^[a-z]:/i.test(src);
      if (bind && !(mode ?? '').split(',').includes('ro')) out.push(`${src}:${dst}`);
    } else if (v && typeof v === 'object') {
      const o = v as { type?: unknown; source?: unknown; target?: unknown; read_only?: unknown };
      if (o.type === 'bind' && o.read_only !== true) out.push(`${String(o.source ?? '')}:${String(o.target ?? '')}`);
    }
  }
  return out;
}

/** Container ports of compose `ports:` and `expose:` (`8080:80` is 80; ranges are left out). */
function portsOf(...lists: unknown[]): number[] {
  const out: number[] = [];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const p of list) {
      const raw = typeof p === 'number' ? String(p) : typeof p === 'string' ? p : p && typeof p === 'object' ? String((p as { target?: unknown }).target ?? '') : '';
      const last = raw.split(':').pop()!.split('/')[0]!;
      if (/^\d+$/.test(last)) out.push(Number(last));
    }
  }
  return out;
}

const imageKey = (ref: string): string => {
  let r = ref.trim().toLowerCase().replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
  const at = r.indexOf('@');
  if (at !== -1) r = r.slice(0, at);
  return r.lastIndexOf(':') > r.lastIndexOf('/') ? r : `${r}:latest`;
};

/** The FROM images of a Dockerfile on disk (empty when it cannot be read). */
function fromsOf(file: string, cache: ContextCache): string[] {
  const m = (cache.froms ??= new Map());
  let out = m.get(file);
  if (!out) {
    try {
      out = DockerfileParser.parse(readFileSync(file, 'utf8')).getFROMs().map((f) => f.getImage() ?? '').filter(Boolean);
    } catch { out = []; }
    m.set(file, out);
  }
  return out;
}

interface Built { file: string; build: BuildTarget }

/** Every service of a compose file that builds, with the Dockerfile it builds. */
function composeBuilds(composeFile: string, cache: ContextCache): Built[] {
  const services = (parsed(composeFile, cache, false) as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object') return [];
  const base = dirname(composeFile);
  const out: Built[] = [];
  for (const [name, raw] of Object.entries(services as Record<string, unknown>)) {
    const svc = (raw ?? {}) as Record<string, unknown>;
    const b = svc.build;
    let ctxPath: unknown = '.', file: unknown = 'Dockerfile', target: unknown = null, args: unknown = {};
    if (typeof b === 'string') ctxPath = b;
    else if (b && typeof b === 'object') {
      const o = b as Record<string, unknown>;
      if (o.context !== undefined) ctxPath = o.context;
      if (o.dockerfile !== undefined) file = o.dockerfile;
      target = o.target ?? null;
      args = o.args ?? {};
    } else continue;
    if (typeof ctxPath !== 'string' || typeof file !== 'string' || isRemote(ctxPath) || ctxPath.includes('$') || file.includes('$')) continue;
    const df = isAbsolute(file) ? file : resolve(base, ctxPath, file);
    out.push({
      file: df,
      build: {
        where: `${basename(composeFile)} service ${name}`,
        target: typeof target === 'string' ? target : null,
        args: argMap(args),
        binds: bindsOf(svc.volumes),
        ports: portsOf(svc.ports, svc.expose),
        command: words(svc.command),
        entrypoint: words(svc.entrypoint),
        images: typeof svc.image === 'string' ? [svc.image] : [],
      },
    });
  }
  return out;
}

/** Every target of a docker-bake JSON file, with the Dockerfile it builds (`inherits` followed). */
function bakeBuilds(bakeFile: string, cache: ContextCache): Built[] {
  const targets = (parsed(bakeFile, cache, true) as { target?: unknown } | null)?.target;
  if (!targets || typeof targets !== 'object') return [];
  const all = targets as Record<string, Record<string, unknown>>;
  const flat = (name: string, seen: Set<string>): Record<string, unknown> => {
    const t = all[name];
    if (!t || typeof t !== 'object' || seen.has(name)) return {};
    seen.add(name);
    const parents = Array.isArray(t.inherits) ? (t.inherits as unknown[]).filter((x): x is string => typeof x === 'string') : [];
    const merged: Record<string, unknown> = {};
    for (const p of parents) Object.assign(merged, flat(p, seen));
    return { ...merged, ...t, args: { ...((merged.args as object) ?? {}), ...((t.args as object) ?? {}) } };
  };
  const out: Built[] = [];
  for (const name of Object.keys(all)) {
    const t = flat(name, new Set());
    const ctxPath = typeof t.context === 'string' ? t.context : '.';
    const file = typeof t.dockerfile === 'string' ? t.dockerfile : 'Dockerfile';
    if (isRemote(ctxPath) || t['dockerfile-inline'] !== undefined) continue;
    out.push({
      file: isAbsolute(file) ? file : resolve(dirname(bakeFile), ctxPath, file),
      build: {
        where: `${basename(bakeFile)} target ${name}`,
        target: typeof t.target === 'string' ? t.target : null,
        args: argMap(t.args),
        binds: [], ports: [], command: null, entrypoint: null,
        images: Array.isArray(t.tags) ? (t.tags as unknown[]).filter((x): x is string => typeof x === 'string') : [],
      },
    });
  }
  return out;
}

/**
 * What builds `dockerfile` (an absolute path): the compose services and bake targets of every compose and
 * bake file from its directory up to the repository root (see the module comment).
 */
export function buildIntent(dockerfile: string, cache: ContextCache = newContextCache()): BuildIntent {
  const df = real(dockerfile);
  const builds: BuildTarget[] = [], unreadable: string[] = [], builtOnBy: string[] = [];
  let dir = dirname(resolve(dockerfile));
  for (;;) {
    const entry = dirEntry(dir, cache);
    const rel = (n: string) => relative(dirname(dockerfile), join(dir, n)) || n;
    const found: Built[] = [];
    for (const n of entry.compose) found.push(...composeBuilds(join(dir, n), cache).map((b) => ({ ...b, build: { ...b.build, where: b.build.where.replace(n, rel(n)) } })));
    for (const n of entry.bake) {
      if (/\.hcl$/i.test(n)) { unreadable.push(`${rel(n)} is HCL, which dockeropt does not parse (write it as docker-bake.json, or name the stage with --target)`); continue; }
      found.push(...bakeBuilds(join(dir, n), cache).map((b) => ({ ...b, build: { ...b.build, where: b.build.where.replace(n, rel(n)) } })));
    }
    const mine = found.filter((b) => sameFile(b.file, df));
    builds.push(...mine.map((b) => b.build));
    const tags = new Set(mine.flatMap((b) => b.build.images).map(imageKey));
    if (tags.size) {
      for (const other of found) {
        if (sameFile(other.file, df)) continue;
        if (fromsOf(other.file, cache).some((f) => tags.has(imageKey(f)))) builtOnBy.push(other.build.where);
      }
    }
    if (entry.repoRoot) break;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return { builds, unreadable, builtOnBy };
}

/**
 * The build intent of the Dockerfile a transform is looking at: what the file system said when the
 * context was resolved (resolveBuildContext), else, for a plain context (library use, tests), the compose
 * and bake files at the context's root whose build names `<root>/<basename of file>`; none without a root.
 */
export function intentOf(ctx: ContextFs, file: string): BuildIntent {
  const info = contextInfo(ctx);
  if (info?.intent) return info.intent;
  if (ctx.root === null) return noIntent;
  const cache = newContextCache();
  const df = join(ctx.root, basename(file));
  const entry = dirEntry(ctx.root, cache);
  // only this directory: a plain context is not a place in a repository
  cache.dirs.set(ctx.root, { ...entry, repoRoot: true });
  return buildIntent(df, cache);
}
