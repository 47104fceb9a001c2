/**
 * Which directory is a Dockerfile's build context (for split-copy, which must read the files a
 * `COPY . .` would send). In order:
 * 1. an explicit directory (`--context DIR`, one file only);
 * 2. a compose file (`compose*.y*ml` or `docker-compose*.y*ml`) next to the Dockerfile or in a directory
 *    above it, up to the repository root (a directory holding `.git`) or the filesystem root, with a
 *    service whose `build.context` + `build.dockerfile` name this Dockerfile; the nearest directory
 *    with such a service wins; services that disagree on the context make it unknown;
 * 3. the Dockerfile's directory.
 * docker-bake files are not read.
 *
 * The ContextFs it returns carries where the answer came from (`contextInfo`), and which ignore file
 * applies: BuildKit reads `<Dockerfile>.dockerignore` next to the Dockerfile instead of the context's
 * `.dockerignore` when it exists.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { contextFs } from './context-fs.js';
import type { ContextFs } from './types.js';

export interface ContextInfo {
  /** Absolute path of the Dockerfile, when known. */
  dockerfile: string | null;
  /** How the context was chosen. */
  source: 'explicit' | 'compose' | 'default' | 'unknown';
  /** For `compose`: the compose file and service; for `unknown`: why. */
  detail: string | null;
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
  return withInfo(contextFs(resolve(dir)), { dockerfile: dockerfile && resolve(dockerfile), source: 'explicit', detail: null });
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
  dirs: Map<string, { compose: string[]; repoRoot: boolean }>;
  yaml: Map<string, unknown>;
}
export const newContextCache = (): ContextCache => ({ dirs: new Map(), yaml: new Map() });

function composeMatches(composeFile: string, dockerfile: string, cache: ContextCache): ServiceMatch[] {
  let doc: unknown;
  if (cache.yaml.has(composeFile)) doc = cache.yaml.get(composeFile);
  else {
    try {
      doc = parseYaml(readFileSync(composeFile, 'utf8'));
    } catch {
      doc = null;
    }
    cache.yaml.set(composeFile, doc);
  }
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
    let entry = cache.dirs.get(dir);
    if (!entry) {
      let names: string[] = [];
      try { names = readdirSync(dir).filter((n) => COMPOSE_NAME.test(n)).sort(); } catch { names = []; }
      entry = { compose: names, repoRoot: existsSync(join(dir, '.git')) };
      cache.dirs.set(dir, entry);
    }
    const names = entry.compose;
    const matches = names.flatMap((n) => composeMatches(join(dir, n), df, cache));
    const contexts = [...new Set(matches.map((m) => m.context))];
    if (contexts.length === 1) {
      return withInfo(contextFs(contexts[0]!), { dockerfile: abs, source: 'compose', detail: matches.map((m) => m.where).join(', ') });
    }
    if (contexts.length > 1) {
      return withInfo(contextFs(null), {
        dockerfile: abs, source: 'unknown',
        detail: `compose services build it with different contexts (${matches.map((m) => `${m.where}: ${relative(dirname(abs), m.context) || '.'}`).join('; ')}); pass --context`,
      });
    }
    if (entry.repoRoot) break;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return withInfo(contextFs(dirname(abs)), { dockerfile: abs, source: 'default', detail: null });
}
