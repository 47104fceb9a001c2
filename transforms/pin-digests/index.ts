/**
 * pin-digests: pins every image reference to the digest its tag resolves to today, from the registry.
 *
 * The tag stays for readability; BuildKit uses the digest, so a moved tag cannot slip another image in.
 * The digest is the tag's own manifest: for a multi-platform image the index / manifest list (what
 * `docker pull` by tag resolves on every platform), never one platform's manifest, unless --platform asks
 * for that platform's manifest. The running image is the same as a build today would give: build-only.
 *
 * Pinned: `FROM` (a `--platform=` flag is left exactly as written), `COPY --from=<image>` (and `ADD
 * --from`), `RUN --mount=…,from=<image>`, and the `# syntax=` directive image. Never stage names (or
 * stage numbers), never `scratch`, never references that already carry a digest (with --update those are
 * re-resolved and the digest is replaced when the tag moved). `FROM ubuntu` is pinned as
 * `ubuntu:latest@sha256:…` and the report says that `latest` was implied.
 *
 * ARGs: `ARG BASE=node:20` + `FROM ${BASE}` (or `FROM node:${NODE_VERSION}`, where the ARG is the whole
 * tag) pins the ARG's default, so `--build-arg` still replaces the whole reference. It refuses when:
 * - the reference is built from several parts (`node:${V}-alpine`, `${REGISTRY}/node:20`);
 * - the ARG has no default, is not declared before the first FROM, or its default is escaped or uses
 *   another variable;
 * - the ARG is shared by references that would resolve differently (`node:${V}` and `python:${V}`);
 * - the ARG is also declared inside a stage, where the build would see the pinned value;
 * - a COPY --from / RUN --mount reference uses a variable, or a reference is quoted or split by a line
 *   continuation.
 * It never writes `image:${VAR}@sha256:…`: a build-arg would then be silently ignored.
 *
 * A registry failure (unknown tag, no access, timeout, a reference missing from the lockfile under
 * --offline) is an error outcome for that reference: it stays as written, the rest of the file is
 * processed, and the run exits 2.
 *
 * Before:  FROM --platform=$BUILDPLATFORM node:20-slim AS build
 * After:   FROM --platform=$BUILDPLATFORM node:20-slim@sha256:<index digest> AS build
 */
import type { Arg, Flag, From, Instruction } from 'dockerfile-ast';
import { resolve as resolvePath } from 'node:path';
import type { DocView } from '../../src/document.js';
import { insertAt, replaceRange, type Edit } from '../../src/edits.js';
import { UsageError } from '../../src/errors.js';
import { Lockfile, lockKey } from './lockfile.js';
import { RegistryClient, RegistryError, formatPlatform, parsePlatform, type Platform } from '../../src/registry/client.js';
import { ReferenceError, canonical, familiar, parseReference, type ImageRef } from '../../src/registry/reference.js';
import type { Outcome, Transform, TransformContext } from '../../src/types.js';

export interface PinDigestsOptions {
  /** Pin this platform's manifest out of an index instead of the index (e.g. `linux/arm64`). */
  platform: string | null;
  /** Resolve only from the lockfile. */
  offline: boolean;
  /** Lockfile path (relative to the run's working directory); written under --write. */
  lockfile: string | null;
  /** Re-resolve references that already carry a digest. */
  update: boolean;
  /** Hosts that may be spoken to over plain HTTP (loopback hosts always may). */
  insecureRegistries: string[];
  /** Registry lookups at once. */
  jobs: number;
  /** Seconds per registry request. */
  registryTimeout: number;
  /** Dial another host for a registry: `{ "docker.io": "mirror.example:5000" }` (tests, mirrors). */
  registryMap: Record<string, string>;
  /** Directory holding the docker config.json (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfig: string | null;
  /** Log registry requests (never credentials or tokens) on stderr. */
  debug: boolean;
  /** Resolve with GET and check the registry's digest against the manifest bytes (HEAD answers cannot be checked). */
  verifyDigests: boolean;
}

export const DEFAULT_LOCKFILE = 'dockeropt.lock';

const defaults: PinDigestsOptions = {
  platform: null, offline: false, lockfile: null, update: false, insecureRegistries: [], jobs: 8,
  registryTimeout: 10, registryMap: {}, dockerConfig: null, debug: false, verifyDigests: false,
};

export interface PinState {
  options: PinDigestsOptions;
  client: RegistryClient;
  lock: Lockfile | null;
  platform: Platform | null;
}

interface Resolved { digest: string; kind: 'index' | 'manifest'; platform: string | null; fromLock: boolean }

/** Resolves a reference through the lockfile (--offline) or the registry, recording it in the lockfile. */
async function resolveRef(state: PinState, written: ImageRef, platform: Platform | null): Promise<Resolved> {
  const ref: ImageRef = { ...written, tag: written.tag ?? 'latest' };
  const key = lockKey(canonical({ ...ref, digest: null }), platform ? formatPlatform(platform) : null);
  if (state.options.offline) {
    const e = state.lock?.get(key);
    if (!e) {
      throw new RegistryError(`${familiar({ ...ref, digest: null })} is not in ${state.lock?.path ?? DEFAULT_LOCKFILE} (--offline)`,
        'run once without --offline, with --lockfile and --write, to record it', 'offline');
    }
    const kind = e.mediaType && /index|list/.test(e.mediaType) && !platform ? 'index' : 'manifest';
    return { digest: e.digest, kind, platform: platform ? formatPlatform(platform) : null, fromLock: true };
  }
  const r = await state.client.resolve(ref, platform);
  state.lock?.set(key, r.digest, r.mediaType || undefined);
  return { digest: r.digest, kind: r.kind, platform: r.platform ?? null, fromLock: false };
}

const short = (d: string) => `${d.slice(0, 19)}…`;

function describe(r: Resolved, platformNote: string | null): string {
  const what = r.platform ? `its ${r.platform} manifest (--platform)` : r.kind === 'index' ? 'its multi-platform index' : 'its single-platform manifest';
  return `${what} ${short(r.digest)}${r.fromLock ? ' from the lockfile' : ''}${platformNote ? `; ${platformNote}` : ''}`;
}

/** One reference in the text. */
interface Site {
  line: number;
  /** Raw text of the reference and its offsets in doc.text. */
  text: string;
  start: number;
  end: number;
  where: 'FROM' | 'COPY --from' | 'RUN --mount from' | '# syntax';
  /** FROM's --platform flag as written, or null. */
  platformFlag: string | null;
}

function collectSites(doc: DocView): { sites: Site[]; stageNames: Set<string> } {
  const sites: Site[] = [];
  const stageNames = new Set(doc.stages().map((s) => s.name).filter((n): n is string => n !== null));
  const site = (where: Site['where'], range: { start: { line: number; character: number }; end: { line: number; character: number } }, platformFlag: string | null = null) => {
    const start = doc.offsetAt(range.start), end = doc.offsetAt(range.end);
    sites.push({ line: range.start.line + 1, text: doc.text.slice(start, end), start, end, where, platformFlag });
  };
  for (const d of doc.dockerfile.getDirectives()) {
    if (d.getName().toLowerCase() === 'syntax' && d.getValue() !== '') site('# syntax', d.getValueRange());
  }
  const earlier = new Set<string>();
  for (const stage of doc.stages()) {
    const from = stage.from as From;
    const range = from.getImageRange();
    const image = from.getImage();
    if (range && image && !earlier.has(image.toLowerCase()) && image.toLowerCase() !== 'scratch') {
      const pf = from.getPlatformFlag();
      site('FROM', range, pf ? (pf.getValue() ?? '') : null);
    }
    if (stage.name) earlier.add(stage.name);
    for (const ins of stage.instructions) {
      const kw = ins.getKeyword();
      if (kw !== 'COPY' && kw !== 'ADD' && kw !== 'RUN') continue;
      const flags = (ins as Instruction & { getFlags(): Flag[] }).getFlags();
      for (const f of flags) {
        if ((kw === 'COPY' || kw === 'ADD') && f.getName() === 'from') {
          const v = f.getValue(), r = f.getValueRange();
          if (v && r && !isStageRef(v, stageNames)) site('COPY --from', r);
        }
        if (kw === 'RUN' && f.getName() === 'mount') {
          for (const o of f.getOptions()) {
            const v = o.getValue(), r = o.getValueRange();
            if (o.getName() === 'from' && v && r && !isStageRef(v, stageNames)) site('RUN --mount from', r);
          }
        }
      }
    }
  }
  return { sites, stageNames };
}

const isStageRef = (v: string, names: Set<string>) => /^\d+$/.test(v) || names.has(v.toLowerCase()) || v.toLowerCase() === 'scratch';

/** `${VAR}` / `$VAR` at the very end, after a literal prefix. */
const VAR_AT_END = /^([^$]*)\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))$/;

interface GlobalArg { ins: Arg; line: number; name: string; valueStart: number; valueEnd: number; raw: string | null }

function globalArgs(doc: DocView): Map<string, GlobalArg> {
  const out = new Map<string, GlobalArg>();
  for (const ins of doc.instructions()) {
    if (ins.getKeyword() === 'FROM') break;
    if (ins.getKeyword() !== 'ARG') continue;
    for (const p of (ins as Arg).getProperties()) {
      const r = p.getValueRange();
      const span = r ? { start: doc.offsetAt(r.start), end: doc.offsetAt(r.end) } : null;
      out.set(p.getName(), {
        ins: ins as Arg, line: doc.lineOfNode(ins), name: p.getName(),
        valueStart: span?.start ?? -1, valueEnd: span?.end ?? -1,
        raw: span ? doc.text.slice(span.start, span.end) : p.getAssignmentOperator() ? '' : null,
      });
    }
  }
  return out;
}

/** ARGs declared inside a stage (after the first FROM), by name -> first line. */
function stageArgLines(doc: DocView): Map<string, number> {
  const out = new Map<string, number>();
  for (const stage of doc.stages()) {
    for (const ins of stage.instructions) {
      if (ins.getKeyword() !== 'ARG') continue;
      for (const p of (ins as Arg).getProperties()) if (!out.has(p.getName())) out.set(p.getName(), doc.lineOfNode(ins));
    }
  }
  return out;
}

export function prepareState(options: PinDigestsOptions, cwd: string = process.cwd()): PinState {
  const lockPath = options.lockfile ?? (options.offline ? DEFAULT_LOCKFILE : null);
  // relative to the run's working directory (the CLI's, or the library caller's `cwd`)
  const lock = lockPath ? Lockfile.read(resolvePath(cwd, lockPath), lockPath) : null;
  const client = new RegistryClient({
    timeoutMs: options.registryTimeout * 1000,
    jobs: options.jobs,
    insecureRegistries: options.insecureRegistries,
    registryMap: options.registryMap,
    dockerConfigDir: options.dockerConfig,
    verifyDigests: options.verifyDigests,
    ...(options.debug ? { log: (l: string) => { process.stderr.write(`dockeropt: pin-digests: ${l}\n`); } } : {}),
  });
  return { options, client, lock, platform: options.platform ? parsePlatform(options.platform) : null };
}

interface Plan {
  /** The site (or the ARG) whose line the outcome goes on. */
  line: number;
  ref: ImageRef;
  /** How the reference reads in messages. */
  label: string;
  platform: Platform | null;
  platformNote: string | null;
  /** Offsets: where to insert `[:latest]@digest` (no digest yet), or the digest to replace (--update). */
  insertAt: number;
  digestRange: { start: number; end: number } | null;
  /** ARG pins: "ARG BASE default" and the FROM lines that use it. */
  arg: { name: string; fromLines: number[] } | null;
}

async function apply(doc: DocView, ctx: TransformContext<PinDigestsOptions>): Promise<Outcome[]> {
  const state = (ctx.state as PinState | undefined) ?? prepareState(ctx.options);
  const opts = state.options;
  const outcomes: Outcome[] = [];
  const { sites } = collectSites(doc);
  const plans: Plan[] = [];
  const args = globalArgs(doc);
  const stageArgs = stageArgLines(doc);
  const esc = doc.escapeChar;

  const platformFor = (s: Site): { platform: Platform | null; note: string | null } => {
    if (!state.platform) return { platform: null, note: null };
    if (s.platformFlag !== null) {
      let own: Platform | null = null;
      try { own = s.platformFlag.includes('$') ? null : parsePlatform(s.platformFlag); } catch { own = null; }
      if (!own || formatPlatform(own) !== formatPlatform(state.platform)) {
        return { platform: null, note: `pins the index, not the ${formatPlatform(state.platform)} manifest, because this FROM has its own --platform=${s.platformFlag}` };
      }
    }
    return { platform: state.platform, note: null };
  };

  const planFor = (line: number, text: string, offset: number, label: string | null, s: Site, arg: Plan['arg']): void => {
    let ref: ImageRef;
    try {
      ref = parseReference(text);
    } catch (e) {
      if (e instanceof ReferenceError) { outcomes.push({ kind: 'refuse', line, reason: `not a valid image reference: ${e.message}` }); return; }
      throw e;
    }
    if (ref.digest !== null && !opts.update) return;
    if (ref.digest !== null && ref.tag === null) {
      outcomes.push({ kind: 'note', line, message: `${text} is pinned by digest only; --update needs a tag to re-resolve` });
      return;
    }
    const { platform, note } = platformFor(s);
    const at = text.lastIndexOf('@');
    plans.push({
      line, ref, label: (label ?? text).replace(/@sha256:[a-f0-9]{64}/, ''), platform, platformNote: note,
      insertAt: offset + text.length,
      digestRange: ref.digest !== null ? { start: offset + at + 1, end: offset + text.length } : null,
      arg,
    });
  };

  // references that are one ARG (or a literal `name:` plus one ARG): grouped by the ARG
  const argUses = new Map<string, { site: Site; prefix: string }[]>();
  for (const s of sites) {
    if (/[\s"'\\`]/.test(s.text) || s.text.includes(esc)) {
      outcomes.push({ kind: 'refuse', line: s.line, reason: `the ${s.where} reference is quoted or split across lines; pin it by hand` });
      continue;
    }
    if (!s.text.includes('$')) { planFor(s.line, s.text, s.start, null, s, null); continue; }
    if (s.where !== 'FROM') {
      outcomes.push({ kind: 'refuse', line: s.line, reason: `the ${s.where} reference ${s.text} uses a variable; only FROM images that come from a global ARG are pinned (through the ARG's default)` });
      continue;
    }
    const m = VAR_AT_END.exec(s.text);
    const prefix = m?.[1] ?? '';
    if (!m || (prefix !== '' && !/^[^:@]+(?::\d+\/[^:@]+)?:$/.test(prefix))) {
      outcomes.push({ kind: 'refuse', line: s.line, reason: `${s.text} is built from several parts; only a reference that is one ARG (FROM \${BASE}) or whose whole tag is one ARG (FROM node:\${VERSION}) can be pinned, through the ARG's default` });
      continue;
    }
    const name = m[2] ?? m[3]!;
    const list = argUses.get(name) ?? [];
    list.push({ site: s, prefix });
    argUses.set(name, list);
  }
  for (const [name, uses] of argUses) {
    const lines = uses.map((u) => u.site.line);
    const refuseAll = (reason: string) => { for (const u of uses) outcomes.push({ kind: 'refuse', line: u.site.line, reason }); };
    const prefixes = [...new Set(uses.map((u) => u.prefix))];
    if (prefixes.length > 1) {
      refuseAll(`ARG ${name} is shared by references that resolve differently (${prefixes.map((p) => `${p}\${${name}}`).join(', ')}); give each image its own ARG`);
      continue;
    }
    const g = args.get(name);
    if (!g) { refuseAll(`ARG ${name} is not declared before the first FROM, so the image only comes from --build-arg; pin the value you pass there`); continue; }
    if (g.raw === null || g.raw === '') { refuseAll(`ARG ${name} (line ${g.line}) has no default; the image only comes from --build-arg, pin the value you pass there`); continue; }
    const inStage = stageArgs.get(name);
    if (inStage !== undefined) { refuseAll(`ARG ${name} is also declared in a stage (line ${inStage}), where the build would see the pinned value; give the image its own ARG`); continue; }
    let inner: string, innerStart: number;
    const q = /^(["'])([^"'\\$`]*)\1$/.exec(g.raw);
    if (q) { inner = q[2]!; innerStart = g.valueStart + 1; }
    else if (/^[^"'\\$`\s]+$/.test(g.raw) && !g.raw.includes(esc)) { inner = g.raw; innerStart = g.valueStart; }
    else { refuseAll(`the default of ARG ${name} (line ${g.line}) is escaped or uses another variable; pin it by hand`); continue; }
    const prefix = prefixes[0]!;
    // the text that would be the reference: prefix + default; offsets shifted so edits land in the ARG value
    planFor(g.line, prefix + inner, innerStart - prefix.length, `the default of ARG ${name} (${prefix}${inner}, used by FROM on line ${lines.join(', ')})`, uses[0]!.site, { name, fromLines: lines });
  }

  const results = await Promise.all(plans.map(async (p) => {
    try {
      return { p, r: await resolveRef(state, p.ref, p.platform) };
    } catch (e) {
      if (e instanceof RegistryError) return { p, e };
      throw e;
    }
  }));
  for (const { p, r, e } of results) {
    if (e) { outcomes.push({ kind: 'error', line: p.line, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }); continue; }
    if (!r) continue;
    let edit: Edit;
    let message: string;
    if (p.digestRange) {
      const old = doc.text.slice(p.digestRange.start, p.digestRange.end);
      if (old === r.digest) continue;
      edit = replaceRange(p.digestRange.start, p.digestRange.end, r.digest);
      message = `updates ${p.label}: the tag moved from ${short(old)} to ${describe(r, p.platformNote)} (--update)`;
    } else {
      const implied = p.ref.tag === null;
      edit = insertAt(p.insertAt, `${implied ? ':latest' : ''}@${r.digest}`);
      message = `pins ${p.label} to ${describe(r, p.platformNote)}`;
      if (implied) message += '; it has no tag, so latest was resolved: choose a real tag';
    }
    outcomes.push({ kind: 'rewrite', line: p.line, message, edits: [edit] });
  }
  return outcomes.sort((a, b) => a.line - b.line);
}

function parseOptions(raw: Record<string, unknown>): PinDigestsOptions {
  const o = { ...defaults, ...raw } as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null || v === '' ? null : String(v));
  const list = (v: unknown): string[] => (v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean));
  const num = (v: unknown, name: string, min: number, max: number, int: boolean) => {
    const n = typeof v === 'number' ? v : Number(String(v).trim().replace(/s$/, ''));
    if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${int ? 'an integer' : 'a number'} from ${min} to ${max} (got ${String(v)})`);
    return n;
  };
  const platform = str(o.platform);
  if (platform !== null) {
    try { parsePlatform(platform); } catch (e) { throw new UsageError(`--platform: ${(e as Error).message}`); }
  }
  let registryMap: Record<string, string> = {};
  const rm = o.registryMap;
  if (rm && typeof rm === 'object' && !Array.isArray(rm)) registryMap = { ...(rm as Record<string, string>) };
  else for (const pair of list(rm)) {
    const i = pair.indexOf('=');
    if (i <= 0 || i === pair.length - 1) throw new UsageError(`--registry-map wants REGISTRY=HOST[:PORT] (got ${pair})`);
    registryMap[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return {
    platform,
    offline: Boolean(o.offline),
    lockfile: str(o.lockfile),
    update: Boolean(o.update),
    insecureRegistries: list(o.insecureRegistries),
    jobs: num(o.jobs, 'jobs', 1, 64, true),
    registryTimeout: num(o.registryTimeout, 'registry-timeout', 0.001, 600, false),
    registryMap,
    dockerConfig: str(o.dockerConfig),
    debug: Boolean(o.debug),
    verifyDigests: Boolean(o.verifyDigests),
  };
}

export const pinDigests: Transform<PinDigestsOptions> = {
  id: 'pin-digests',
  summary: 'Pin FROM, COPY --from, RUN --mount from and # syntax images to the digest their tag resolves to',
  safety: 'build-only',
  network: true,
  defaults,
  flags: {
    platform: { key: 'platform', type: 'string', help: 'pin this platform\'s manifest (e.g. linux/arm64) instead of the multi-platform index' },
    offline: { key: 'offline', type: 'boolean', help: `no registry: pin only from the lockfile (default ${DEFAULT_LOCKFILE})` },
    lockfile: { key: 'lockfile', type: 'string', help: `lockfile to read and (with --write) update, e.g. ${DEFAULT_LOCKFILE}` },
    update: { key: 'update', type: 'boolean', help: 're-resolve references that already carry a digest' },
    'insecure-registry': { key: 'insecureRegistries', type: 'string', multiple: true, help: 'allow plain HTTP to this registry host (repeatable)' },
    jobs: { key: 'jobs', type: 'string', help: 'registry lookups at once (default 8)' },
    'registry-timeout': { key: 'registryTimeout', type: 'string', help: 'seconds per registry request (default 10)' },
    'registry-map': { key: 'registryMap', type: 'string', multiple: true, help: 'dial HOST for REGISTRY (REGISTRY=HOST[:PORT]), e.g. a mirror' },
    debug: { key: 'debug', type: 'boolean', help: 'also log registry requests (never credentials) on stderr' },
    'verify-digests': { key: 'verifyDigests', type: 'boolean', help: 'fetch each manifest (GET, counts as a pull on Docker Hub) and check the registry\'s digest against its bytes' },
  },
  parseOptions,
  prepare: (options, run) => prepareState(options, run?.cwd),
  apply,
  async finish(state, run) {
    const s = state as PinState | undefined;
    if (!s || !run.write || !s.options.lockfile || s.options.offline || !s.lock) return;
    if (s.lock.changed) await s.lock.write();
  },
};
