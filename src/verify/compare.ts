/**
 * Compares two built images: their file trees (see tree.ts), their runtime config and their sizes.
 *
 * What is not a difference, by rule (each rule is reported in `notes` with a count when it applied):
 * - files a builder creates in every image that ran a RUN, as mount points (/etc/hosts, /etc/hostname,
 *   /etc/resolv.conf, /run/.containerenv, /run/secrets and an empty /run);
 * - the content (not the presence, type, mode or owner) of files whose bytes change on every build:
 *   logs and package-manager caches with time stamps (VOLATILE below);
 * - under the target of a cache mount (`RUN --mount=type=cache,target=DIR`) of the rewritten file, what
 *   only the original has: that is the download cache the mount keeps out of the image, by design.
 * Layer counts and sizes are reported, never differences.
 */
import type { Entry, Tree } from './tree.js';

export interface ImageConfig {
  User?: string;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, unknown> | null;
  Volumes?: Record<string, unknown> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: unknown;
  Shell?: string[] | null;
}

export const CONFIG_FIELDS = ['User', 'Cmd', 'Entrypoint', 'Env', 'WorkingDir', 'ExposedPorts', 'Volumes', 'Labels', 'StopSignal', 'Healthcheck', 'Shell'] as const;
export type ConfigField = (typeof CONFIG_FIELDS)[number];

export interface ImageSize {
  /** Sum of the layers' sizes as the builder reports them (uncompressed tars for buildah and podman). */
  bytes: number;
  /** Layers with content (diff IDs). */
  layers: number;
}

export type FileChange = 'added' | 'removed' | 'changed';

export type Difference =
  | { kind: 'config'; field: ConfigField | string; before: unknown; after: unknown }
  | { kind: 'file'; change: FileChange; path: string; before?: Entry; after?: Entry; fields?: string[] }
  | { kind: 'files'; change: FileChange; under: string; count: number }
  | { kind: 'build'; message: string };

export interface CompareOptions {
  /** Cache-mount targets of the rewritten Dockerfile (absolute paths). */
  cacheTargets?: readonly string[];
  /**
   * Cache-mount targets whose directory entry itself is not compared: buildah leaves a mount point out
   * of the committed image, where BuildKit leaves an empty directory (only for targets that did not
   * exist before the RUN; see index.ts).
   */
  mountPoints?: readonly string[];
  /** Subtrees not compared at all (what a builder cannot produce faithfully; the caller says why). */
  skip?: readonly string[];
  /** Most file differences listed one by one; more are grouped by directory. Default 20. */
  maxFileLines?: number;
}

export interface Comparison {
  differences: Difference[];
  /** How many file differences there were before grouping. */
  fileDifferences: number;
  notes: string[];
}

/** Mount points builders create for RUN; never part of what a Dockerfile puts in the image. */
const BUILDER_FILES = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/run/.containerenv']);
const BUILDER_DIRS = ['/run/secrets'];

/** Files whose content changes on every build (time stamps, random ids); their presence and metadata still count. */
const VOLATILE: RegExp[] = [
  /^\/var\/log\/.+/,
  /^\/var\/cache\/ldconfig\/aux-cache$/,
  /^\/var\/cache\/apt\/(src)?pkgcache\.bin$/,
  /^\/var\/cache\/debconf\/[^/]+-old$/,
  /^\/var\/lib\/dpkg\/[^/]+-old$/,
  /\/\.npm\/_logs\/.+/,
  /\/\.npm\/_cacache\/index-v5\/.+/,
  /\/\.npm\/_update-notifier-last-checked$/,
  /\/\.cache\/pip\/selfcheck\/.+/,
  /\/__pycache__\/[^/]+\.pyc$/,
  // Go's build cache (GOCACHE, ~/.cache/go-build): an action entry records when it was written, trim.txt
  // when the cache was last trimmed (test/split-copy-go-build.test.ts builds both and sees them differ)
  /\/\.cache\/go-build\/[0-9a-f]{2}\/[0-9a-f]{64}-a$/,
  /\/\.cache\/go-build\/trim\.txt$/,
];

export const isVolatile = (p: string) => VOLATILE.some((r) => r.test(p));

/** Build logs whose names carry a time stamp: not compared at all (they are never the same two builds running). */
const EPHEMERAL: RegExp[] = [/\/\.npm\/_logs\/[^/]+$/];
const isEphemeral = (p: string) => EPHEMERAL.some((r) => r.test(p));

const under = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

/** Empty values count as unset; object keys sorted. */
function canon(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return null;
  if (Array.isArray(v)) return v.length === 0 ? null : v.map(canon);
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    if (keys.length === 0) return null;
    return Object.fromEntries(keys.map((k) => [k, canon((v as Record<string, unknown>)[k])]));
  }
  return v;
}

function envMap(env: unknown): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of Array.isArray(env) ? env as string[] : []) {
    const eq = kv.indexOf('=');
    m.set(eq === -1 ? kv : kv.slice(0, eq), eq === -1 ? '' : kv.slice(eq + 1));
  }
  return m;
}

/** Config differences field by field; Env and Labels per key, so "Env PATH" names what changed. */
export function compareConfig(a: ImageConfig, b: ImageConfig): Difference[] {
  const out: Difference[] = [];
  for (const field of CONFIG_FIELDS) {
    const x = a[field], y = b[field];
    if (field === 'Env') {
      const ma = envMap(x), mb = envMap(y);
      for (const k of [...new Set([...ma.keys(), ...mb.keys()])].sort()) {
        if (ma.get(k) !== mb.get(k)) out.push({ kind: 'config', field: `Env ${k}`, before: ma.get(k) ?? null, after: mb.get(k) ?? null });
      }
      continue;
    }
    if (field === 'Labels') {
      const la = (x ?? {}) as Record<string, string>, lb = (y ?? {}) as Record<string, string>;
      for (const k of [...new Set([...Object.keys(la), ...Object.keys(lb)])].sort()) {
        if (la[k] !== lb[k]) out.push({ kind: 'config', field: `Labels ${k}`, before: la[k] ?? null, after: lb[k] ?? null });
      }
      continue;
    }
    if (!sameValue(x, y)) out.push({ kind: 'config', field, before: canon(x), after: canon(y) });
  }
  return out;
}

function entryFields(a: Entry, b: Entry, volatile: boolean): string[] {
  const f: string[] = [];
  if (a.type !== b.type) return ['type'];
  if (a.mode !== b.mode) f.push('mode');
  if (a.uid !== b.uid) f.push('uid');
  if (a.gid !== b.gid) f.push('gid');
  if (a.link !== b.link) f.push('link');
  if (a.rdev !== b.rdev) f.push('rdev');
  if (!volatile) {
    if (a.size !== b.size) f.push('size');
    else if (a.digest !== b.digest) f.push('content');
  }
  return f;
}

/** Compares two file trees under the rules above. */
export function compareTrees(before: Tree, after: Tree, o: CompareOptions = {}): Comparison {
  const targets = [...new Set(o.cacheTargets ?? [])];
  const mountPoints = new Set(o.mountPoints ?? []);
  const skip = o.skip ?? [];
  const skipped = (p: string) => skip.some((d) => under(p, d));
  let points = 0;
  const notes: string[] = [];
  const changes: Extract<Difference, { kind: 'file' }>[] = [];
  let builder = 0, volatile = 0;
  const cacheDropped = new Map<string, number>();
  let ephemeral = 0;
  const ignoredBuilder = (p: string, t: Tree) => {
    if (isEphemeral(p)) { ephemeral++; return true; }
    if (BUILDER_FILES.has(p) || BUILDER_DIRS.some((d) => under(p, d))) return true;
    // an empty /run is the builder's mount point too
    if (p === '/run' && t.get(p)?.type === 'dir' && ![...t.keys()].some((k) => k.startsWith('/run/') && !BUILDER_FILES.has(k) && !BUILDER_DIRS.some((d) => under(k, d)))) return true;
    return false;
  };
  for (const [p, a] of before) {
    if (mountPoints.has(p)) { points++; continue; }
    if (skipped(p)) continue;
    const b = after.get(p);
    if (!b) {
      if (ignoredBuilder(p, before)) { builder++; continue; }
      const t = targets.find((d) => under(p, d) && p !== d);
      if (t) { cacheDropped.set(t, (cacheDropped.get(t) ?? 0) + 1); continue; }
      changes.push({ kind: 'file', change: 'removed', path: p, before: a });
      continue;
    }
    const vol = isVolatile(p);
    const fields = entryFields(a, b, vol);
    if (vol && a.type === 'file' && b.type === 'file' && (a.size !== b.size || a.digest !== b.digest)) volatile++;
    if (fields.length) {
      if (ignoredBuilder(p, before) || ignoredBuilder(p, after)) { builder++; continue; }
      changes.push({ kind: 'file', change: 'changed', path: p, before: a, after: b, fields });
    }
  }
  for (const [p, b] of after) {
    if (before.has(p)) continue;
    if (mountPoints.has(p)) { points++; continue; }
    if (skipped(p)) continue;
    if (ignoredBuilder(p, after)) { builder++; continue; }
    changes.push({ kind: 'file', change: 'added', path: p, after: b });
  }
  for (const [t, n] of cacheDropped) notes.push(`${n} file${n === 1 ? '' : 's'} of the download cache under ${t} no longer in the image (the cache mount's target)`);
  if (points) notes.push(`the cache mount point${mountPoints.size === 1 ? '' : 's'} ${[...mountPoints].join(', ')} not compared (buildah leaves a mount point out of the image, BuildKit leaves an empty directory)`);
  if (volatile) notes.push(`${volatile} file${volatile === 1 ? '' : 's'} whose content changes on every build (logs, caches with time stamps) compared without their content`);
  if (ephemeral) notes.push(`${ephemeral} time-stamped build log${ephemeral === 1 ? '' : 's'} (npm's _logs) not compared`);
  builder -= ephemeral;
  if (builder) notes.push(`${builder} builder mount point${builder === 1 ? '' : 's'} (/etc/hosts, /etc/resolv.conf, /run, …) not compared`);
  changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return { differences: group(changes, o.maxFileLines ?? 20), fileDifferences: changes.length, notes };
}

/**
 * At most `max` lines: the changes one by one when they fit, else grouped by directory at the deepest
 * level where the groups fit ("412 files under /usr/lib removed"); a group of one stays a path.
 */
export function group(changes: Extract<Difference, { kind: 'file' }>[], max: number): Difference[] {
  if (changes.length <= max) return changes;
  const dirOf = (p: string, depth: number) => {
    const parts = p.split('/').slice(1, -1);
    return `/${parts.slice(0, depth).join('/')}`;
  };
  const maxDepth = Math.max(0, ...changes.map((c) => c.path.split('/').length - 2));
  let best: Map<string, Extract<Difference, { kind: 'file' }>[]> | null = null;
  for (let depth = 0; depth <= maxDepth; depth++) {
    const groups = new Map<string, Extract<Difference, { kind: 'file' }>[]>();
    for (const c of changes) {
      const key = `${c.change}\0${dirOf(c.path, depth)}`;
      (groups.get(key) ?? groups.set(key, []).get(key)!).push(c);
    }
    if (groups.size > max) break;
    best = groups;
  }
  best ??= new Map([[`mixed\0/`, changes]]);
  const out: Difference[] = [];
  for (const [key, cs] of [...best].sort((a, b) => (a[0].split('\0')[1]! < b[0].split('\0')[1]! ? -1 : 1))) {
    if (cs.length === 1) { out.push(cs[0]!); continue; }
    const [change, dir] = key.split('\0') as [FileChange | 'mixed', string];
    if (change === 'mixed') { for (const ch of ['removed', 'added', 'changed'] as const) { const n = cs.filter((c) => c.change === ch).length; if (n) out.push({ kind: 'files', change: ch, under: dir, count: n }); } continue; }
    out.push({ kind: 'files', change, under: dir, count: cs.length });
  }
  return out;
}

// ---- text -----------------------------------------------------------------------------------

const oct = (m: number) => m.toString(8).padStart(4, '0');

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n, i = -1;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

function describeEntry(e: Entry): string {
  const base = `${e.type} ${oct(e.mode)} ${e.uid}:${e.gid}`;
  if (e.type === 'file') return `${base} ${formatBytes(e.size ?? 0)}`;
  if (e.type === 'symlink') return `${base} -> ${e.link}`;
  if (e.rdev) return `${base} ${e.rdev}`;
  return base;
}

const show = (v: unknown) => (v === null || v === undefined ? '(unset)' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v));

function fieldChange(f: string, a: Entry, b: Entry): string {
  switch (f) {
    case 'type': return `type ${a.type} -> ${b.type}`;
    case 'mode': return `mode ${oct(a.mode)} -> ${oct(b.mode)}`;
    case 'uid': return `uid ${a.uid} -> ${b.uid}`;
    case 'gid': return `gid ${a.gid} -> ${b.gid}`;
    case 'link': return `link ${a.link} -> ${b.link}`;
    case 'rdev': return `device ${a.rdev} -> ${b.rdev}`;
    case 'size': return `size ${formatBytes(a.size ?? 0)} -> ${formatBytes(b.size ?? 0)}`;
    default: return 'content differs';
  }
}

const CHANGE_WORDS: Record<FileChange, string> = { removed: 'only in the original', added: 'only in the rewritten image', changed: 'differ' };

/** One line per difference, for people. */
export function differenceLine(d: Difference): string {
  switch (d.kind) {
    case 'config': return `config ${d.field}: ${show(d.before)} -> ${show(d.after)}`;
    case 'build': return d.message;
    case 'files': return `${d.count} files under ${d.under} ${CHANGE_WORDS[d.change]}`;
    case 'file':
      if (d.change === 'removed') return `- ${d.path} (only in the original: ${describeEntry(d.before!)})`;
      if (d.change === 'added') return `+ ${d.path} (only in the rewritten image: ${describeEntry(d.after!)})`;
      return `~ ${d.path}: ${(d.fields ?? []).map((f) => fieldChange(f, d.before!, d.after!)).join(', ')}`;
  }
}

export function sizeText(s: ImageSize): string {
  return `${formatBytes(s.bytes)}, ${s.layers} layer${s.layers === 1 ? '' : 's'}`;
}
