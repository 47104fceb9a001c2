/**
 * What a rewrite buys, computed from the text before and after (pure: no I/O):
 * - layers: layer-creating instructions (RUN, COPY, ADD) per stage and for the final stage;
 * - cache: installs that used to sit behind a whole-source `COPY . .` and no longer do, so a source
 *   change no longer re-runs them (they now follow only manifest COPYs, or no COPY at all);
 * - bases: the FROMs whose base image changed (a slim variant, a new runner stage), to be priced by a
 *   size lookup (src/impact-sizes.ts) as the compressed linux/amd64 size of each base.
 */
import type { Instruction } from 'dockerfile-ast';
import { BOM, DocView, isExecForm, type Stage } from './document.js';
import { parseView, runShellView, simpleCommands } from './shell.js';

export interface StageLayers {
  /** `AS` name, or the stage's 0-based index as text. */
  stage: string;
  layers: number;
}

export interface CacheGain {
  /** 1-based line of the install in the new text. */
  line: number;
  /** `npm ci`, `pip install`, `apt-get install`, … */
  install: string;
  stage: string;
  /** What it now sits behind: only manifest COPYs, or no COPY at all (hoisted above them). */
  behind: 'manifest-copy' | 'no-copy';
}

export interface BaseChange {
  stage: string;
  before: string;
  after: string;
  /** Compressed linux/amd64 size in bytes (sum of the layer sizes in the manifest), once looked up. */
  beforeBytes?: number;
  afterBytes?: number;
  /** Why a size is missing (offline, lookup failed, a variable in FROM). */
  note?: string;
}

export interface FileImpact {
  layers: {
    before: StageLayers[];
    after: StageLayers[];
    final: { before: number; after: number };
  };
  cache: CacheGain[];
  bases: BaseChange[];
}

const LAYER_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

/** Computes the impact of turning `before` into `after` (either may carry a BOM). */
export function computeImpact(before: string, after: string): FileImpact {
  const a = view(before), b = view(after);
  const la = stageLayers(a), lb = stageLayers(b);
  return {
    layers: {
      before: la,
      after: lb,
      final: { before: la[la.length - 1]?.layers ?? 0, after: lb[lb.length - 1]?.layers ?? 0 },
    },
    cache: cacheGains(a, b),
    bases: baseChanges(a, b),
  };
}

const view = (text: string) => new DocView(text.startsWith(BOM) ? text.slice(1) : text);
const stageKey = (s: Stage) => s.name ?? String(s.index);

function stageLayers(doc: DocView): StageLayers[] {
  return doc.stages().map((s) => ({ stage: stageKey(s), layers: s.instructions.filter((i) => LAYER_KEYWORDS.has(i.getKeyword())).length }));
}

/** Installers whose run depends only on manifests (lockfiles), keyed by command and subcommand. */
const INSTALLERS: Record<string, ReadonlySet<string> | null> = {
  npm: new Set(['ci', 'install', 'i']), yarn: null, pnpm: new Set(['install', 'i', 'fetch']),
  pip: new Set(['install']), pip3: new Set(['install']), poetry: new Set(['install']), uv: new Set(['sync', 'pip']), pipenv: new Set(['install', 'sync']),
  go: new Set(['mod']), cargo: new Set(['fetch', 'build']), bundle: new Set(['install']), composer: new Set(['install']),
  mvn: null, './mvnw': null, gradle: null, './gradlew': null, dotnet: new Set(['restore']),
  'apt-get': new Set(['install']), apt: new Set(['install']), apk: new Set(['add']), dnf: new Set(['install']), yum: new Set(['install']),
  microdnf: new Set(['install']), zypper: new Set(['install', 'in']),
};

/** The first install command a RUN holds (`npm ci`), found with the shell parser, or null. */
export function installOf(doc: DocView, ins: Instruction): string | null {
  if (ins.getKeyword() !== 'RUN' || isExecForm(ins)) return null;
  const v = runShellView(doc, ins);
  if (!v) return null;
  const p = parseView(v);
  if ('error' in p) return null;
  for (const c of simpleCommands(p.file)) {
    let w = c.words;
    if (w[0] === 'python' || w[0] === 'python3') { if (w[1] === '-m') w = w.slice(2); else continue; }
    const cmd = w[0];
    if (!cmd || !(cmd in INSTALLERS)) continue;
    const subs = INSTALLERS[cmd];
    if (subs === null) return cmd;
    const sub = w.slice(1).find((x) => x !== null && !x.startsWith('-'));
    if (sub && subs?.has(sub)) return `${cmd} ${sub}`;
  }
  return null;
}

/** COPY/ADD from the build context whose sources include the whole context (`.`, `./`, `*`). */
function copiesWholeSource(ins: Instruction): boolean {
  if (!LAYER_KEYWORDS.has(ins.getKeyword()) || ins.getKeyword() === 'RUN') return false;
  const flags = (ins as unknown as { getFlags(): { getName(): string }[] }).getFlags();
  if (flags.some((f) => f.getName().toLowerCase() === 'from')) return false;
  let args = ins.getArguments().map((a) => a.getValue());
  const raw = ins.getRawArgumentsContent() ?? '';
  if (isExecForm(ins)) { try { args = JSON.parse(raw.slice(raw.indexOf('['))) as string[]; } catch { /* shell form */ } }
  return args.slice(0, -1).some((s) => ['.', './', '*', './*'].includes(s));
}

function copiesFromContext(ins: Instruction): boolean {
  if (ins.getKeyword() !== 'COPY' && ins.getKeyword() !== 'ADD') return false;
  const flags = (ins as unknown as { getFlags(): { getName(): string }[] }).getFlags();
  return !flags.some((f) => f.getName().toLowerCase() === 'from');
}

interface InstallSite { stage: string; install: string; n: number; line: number; behindSource: boolean; behindCopy: boolean }

function installSites(doc: DocView): InstallSite[] {
  const out: InstallSite[] = [];
  const endState = new Map<string, { source: boolean; copy: boolean }>();
  for (const s of doc.stages()) {
    const parent = endState.get(s.from.getImage()?.toLowerCase() ?? '');
    let source = parent?.source ?? false, copy = parent?.copy ?? false;
    const seen = new Map<string, number>();
    for (const ins of s.instructions) {
      if (copiesWholeSource(ins)) source = true;
      if (copiesFromContext(ins)) copy = true;
      const inst = installOf(doc, ins);
      if (!inst) continue;
      const n = (seen.get(inst) ?? 0) + 1;
      seen.set(inst, n);
      out.push({ stage: stageKey(s), install: inst, n, line: doc.lineOfNode(ins), behindSource: source, behindCopy: copy });
    }
    const st = { source, copy };
    if (s.name) endState.set(s.name, st);
    endState.set(String(s.index), st);
  }
  return out;
}

/** Installs (matched by stage, command and occurrence) that were behind `COPY . .` and no longer are. */
function cacheGains(before: DocView, after: DocView): CacheGain[] {
  const old = new Map(installSites(before).map((s) => [`${s.stage}\0${s.install}\0${s.n}`, s]));
  const out: CacheGain[] = [];
  for (const s of installSites(after)) {
    const was = old.get(`${s.stage}\0${s.install}\0${s.n}`);
    if (!was || !was.behindSource || s.behindSource) continue;
    out.push({ line: s.line, install: s.install, stage: s.stage, behind: s.behindCopy ? 'manifest-copy' : 'no-copy' });
  }
  return out;
}

/** The image a stage builds on, following `FROM <stage>`; digests dropped (pinning changes no size). */
function rootImages(doc: DocView): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of doc.stages()) {
    const img = s.from.getImage() ?? '';
    const parent = out.get(img.toLowerCase());
    const root = parent ?? img.replace(/@sha256:[a-f0-9]+$/i, '');
    out.set(stageKey(s), root);
    if (s.name) out.set(s.name, root);
    out.set(String(s.index), root);
  }
  return out;
}

/**
 * FROMs whose base changed: the final stage's (what ships), and any stage present on both sides, by
 * name (or by index when neither side names it), whose base differs.
 */
function baseChanges(before: DocView, after: DocView): BaseChange[] {
  const ra = rootImages(before), rb = rootImages(after);
  const sa = before.stages(), sb = after.stages();
  const out: BaseChange[] = [];
  const seen = new Set<string>();
  const add = (stage: string, x: string | undefined, y: string | undefined) => {
    if (x === undefined || y === undefined || x === y) return;
    const key = `${x}\0${y}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ stage, before: x, after: y });
  };
  const fa = sa[sa.length - 1], fb = sb[sb.length - 1];
  if (fa && fb) add(stageKey(fb), ra.get(stageKey(fa)), rb.get(stageKey(fb)));
  for (const s of sb) {
    const k = stageKey(s);
    if (s.name ? sa.some((x) => x.name === s.name) : sa[s.index] && !sa[s.index]!.name) add(k, ra.get(k), rb.get(k));
  }
  return out;
}

/** Bytes the way image sizes are usually shown: `45 MB`, `1.02 GB` (decimal units, 3 significant digits). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let u = 0, v = n;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  const s = u === 0 ? String(v) : String(Number(v.toPrecision(3)));
  return `${s} ${units[u]}`;
}

/** `python:3.12 (1.02 GB) -> python:3.12-slim (45 MB)`, with `?` for a size not known. */
export function formatBaseChange(c: BaseChange): string {
  const size = (b: number | undefined) => (b === undefined ? '' : ` (${formatBytes(b)})`);
  return `${c.before}${size(c.beforeBytes)} -> ${c.after}${size(c.afterBytes)}${c.note ? ` [${c.note}]` : ''}`;
}

export interface BatchImpact {
  files: number;
  finalLayers: { before: number; after: number };
  cache: number;
  /** Summed over base changes whose both sizes are known. */
  baseBytes: { before: number; after: number; changes: number };
}

/** Sums the impact over the files of a run. */
export function sumImpacts(impacts: readonly FileImpact[]): BatchImpact {
  const out: BatchImpact = { files: impacts.length, finalLayers: { before: 0, after: 0 }, cache: 0, baseBytes: { before: 0, after: 0, changes: 0 } };
  for (const i of impacts) {
    out.finalLayers.before += i.layers.final.before;
    out.finalLayers.after += i.layers.final.after;
    out.cache += i.cache.length;
    for (const b of i.bases) {
      if (b.beforeBytes === undefined || b.afterBytes === undefined) continue;
      out.baseBytes.before += b.beforeBytes;
      out.baseBytes.after += b.afterBytes;
      out.baseBytes.changes++;
    }
  }
  return out;
}
