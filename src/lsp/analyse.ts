/**
 * What the language server knows about one document: the CLI's pipeline run on the editor's text, with
 * the file's path deciding the config file, the build context and the pragmas, exactly as a run of
 * `dockeropt FILE` on that text would (src/run.ts processFile, with the text from the editor instead of
 * the disk), plus what the code actions need:
 *
 * - which rewrites can be applied alone. A transform's edits are offsets into the text it saw, which
 *   earlier transforms may have changed (cache-mounts mounts the RUN that merge-run joined). A rewrite
 *   is offered as a quick fix of its own only when its transform, run alone on the document's text,
 *   proposes exactly the same edits (mapped back to the text with src/report/locate.ts); otherwise it
 *   builds on an earlier change and is offered only within fix-all.
 * - the fix-all text: every build-only rewrite (the CLI's `--write --safe-only`), or every rewrite when
 *   the `runtime` setting is on (the CLI's `--write`).
 *
 * Nothing here writes a file, and a network transform (pin-digests) runs only when the editor's own
 * `only` setting names it: a config file alone does not make the server contact a registry.
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { resolveBuildContext } from '../build-context.js';
import { ConfigResolver, repoRoot, settingsFrom } from '../config.js';
import { emptyContext } from '../context-fs.js';
import { BOM } from '../document.js';
import { sortEdits, type Edit } from '../edits.js';
import { FileError } from '../errors.js';
import { prepareTransforms, resolveOptions, runPipeline, type PipelineResult } from '../pipeline.js';
import { locate } from '../report/locate.js';
import { describeError, MAX_FILE_BYTES, MAX_LINE_CHARS, MAX_LINES } from '../run.js';
import type { ContextFs, ReportedOutcome, Transform } from '../types.js';
import type { LspSettings } from './settings.js';

/** What a pipeline run on this document uses: the CLI's choices for the file at this path. */
export interface RunSetup {
  transforms: readonly Transform<any>[];
  options: Record<string, Record<string, unknown>>;
  state: ReadonlyMap<string, unknown>;
  buildContext: ContextFs;
  /** A config file's `safeOnly`. */
  safeOnly: boolean;
  /** The path as transforms name it in messages. */
  file: string;
}

export interface Item {
  outcome: ReportedOutcome;
  /** First and last line (0-based, in the BOM-stripped text) the diagnostic covers. */
  startLine: number;
  endLine: number;
  /**
   * For rewrites: its edits as offsets into the (BOM-stripped) document text when the rewrite stands
   * alone, null when it builds on an earlier change (see the module comment).
   */
  edits: Edit[] | null;
  /** For rewrites: whether fix-all, as the settings define it, makes this change. */
  inFixAll: boolean;
}

export interface Analysis {
  version: number;
  /** The document text analysed, as the editor has it. */
  text: string;
  /** 1 when the text starts with a BOM (offsets below do not count it), else 0. */
  bom: number;
  /** The BOM-stripped text: what every offset indexes. */
  original: string;
  lineStarts: number[];
  items: Item[];
  /** The text with every pending rewrite applied: what `dockeropt --write` writes. */
  all: string;
  /** The text fix-all produces. */
  fixAll: string;
  /** Fix-all includes runtime rewrites (`runtime` setting on, and no config `safeOnly`). */
  fixAllRuntime: boolean;
  /** `# dockeropt ignore-file`, `.dockeroptignore` or a config `ignore`: nothing to report. */
  ignored: boolean;
  /** The document could not be processed (limits, a bad config file, an internal error). */
  failure: { message: string; line?: number; hint?: string } | null;
  setup: RunSetup | null;
}

/** Thrown when a newer version of the document made this analysis pointless. */
export class Cancelled extends Error {
  override name = 'Cancelled';
}

/** State kept across analyses: repository roots, and each settings profile's `prepare` state. */
export interface AnalysisCache {
  roots: Map<string, string>;
  states: Map<string, Map<string, unknown>>;
}
export const newAnalysisCache = (): AnalysisCache => ({ roots: new Map(), states: new Map() });

export interface AnalyseRequest {
  text: string;
  version: number;
  /** Absolute path of the file, or null (an untitled document: no config, no build context). */
  path: string | null;
  /** Workspace folders (absolute): the one holding the file plays the CLI's working directory. */
  folders: readonly string[];
  settings: LspSettings;
  transforms: readonly Transform<any>[];
  cache: AnalysisCache;
  signal?: AbortSignal;
}

/** Lets other messages in (a newer version, a cancellation) and stops when this run went stale. */
async function yieldTurn(signal?: AbortSignal): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
  if (signal?.aborted) throw new Cancelled();
}

export async function analyse(req: AnalyseRequest): Promise<Analysis> {
  const bom = req.text.startsWith(BOM) ? 1 : 0;
  const original = req.text.slice(bom);
  const base: Analysis = {
    version: req.version, text: req.text, bom, original, lineStarts: lineStarts(original), items: [],
    all: req.text, fixAll: req.text, fixAllRuntime: false, ignored: false, failure: null, setup: null,
  };
  let setup: RunSetup | null;
  try {
    checkLimits(req.text, req.path ?? '<text>');
    setup = await setupFor(req);
  } catch (e) {
    return { ...base, failure: describeError(e) };
  }
  if (setup === null) return { ...base, ignored: true };
  base.setup = setup;
  await yieldTurn(req.signal);
  let full: PipelineResult;
  try {
    full = await runOn(req.text, setup, {}, req.signal);
  } catch (e) {
    if (req.signal?.aborted) throw new Cancelled();
    return { ...base, failure: describeError(e) };
  }
  if (full.ignored) return { ...base, ignored: true };
  const rewrites = full.outcomes.filter((o) => o.kind === 'rewrite');
  const located = locate({ file: setup.file, status: full.text === req.text ? 'unchanged' : 'changed', before: req.text, after: full.text, outcomes: full.outcomes });

  // which rewrites stand alone: their transform, run alone on this text, proposes exactly these edits
  const alone = new Map<string, Edit[][]>();
  const aloneEdits = async (id: string): Promise<Edit[][]> => {
    let got = alone.get(id);
    if (got) return got;
    await yieldTurn(req.signal);
    const t = setup.transforms.find((x) => x.id === id)!;
    try {
      const res = await runOn(req.text, setup, { transforms: [t] }, req.signal);
      got = res.outcomes.filter((o) => o.kind === 'rewrite' && (o.step ?? 0) === 0).map((o) => sortEdits(o.edits ?? []));
    } catch {
      if (req.signal?.aborted) throw new Cancelled();
      got = []; // the transform alone fails on this text: none of its changes stands alone
    }
    alone.set(id, got);
    return got;
  };

  // fix-all: runtime rewrites only when the settings say so (and a config's safeOnly does not forbid them)
  const fixAllRuntime = req.settings.runtime && !setup.safeOnly;
  const anyRuntime = rewrites.some((o) => o.safety === 'runtime');
  let fixAll = full.text;
  let safeOutcomes: ReportedOutcome[] | null = null;
  if (!fixAllRuntime && anyRuntime) {
    await yieldTurn(req.signal);
    try {
      const safe = await runOn(req.text, setup, { safeOnly: true }, req.signal);
      fixAll = safe.text;
      safeOutcomes = safe.outcomes.filter((o) => o.kind === 'rewrite');
    } catch {
      if (req.signal?.aborted) throw new Cancelled();
      // what --write --safe-only would fail on: no build-only fix-all (the diagnostics still stand)
      fixAll = req.text;
      safeOutcomes = [];
    }
  }

  const items: Item[] = [];
  for (const l of located) {
    const o = l.outcome;
    const lastLine = base.lineStarts.length - 1;
    const startLine = clamp(l.start.line - 1, 0, lastLine);
    let endLine = clamp(l.end.line - 1, startLine, lastLine);
    // a range ending at the start of a line (an edit through a line break) does not cover that line
    if (endLine > startLine && l.end.column === 1) endLine--;
    let edits: Edit[] | null = null;
    let inFixAll = false;
    if (o.kind === 'rewrite') {
      if (l.fix) {
        const mapped = sortEdits(l.fix.map((r) => ({ start: offsetOf(base.lineStarts, r.start), end: offsetOf(base.lineStarts, r.end), text: r.text })));
        const earlier = rewrites.some((r) => (r.step ?? 0) < (o.step ?? 0));
        if (!earlier || (await aloneEdits(o.transform)).some((c) => sameEdits(c, mapped))) edits = mapped;
      }
      inFixAll = fixAllRuntime || !anyRuntime || (o.safety !== 'runtime' && (safeOutcomes ?? []).some((s) => s.transform === o.transform && s.message === o.message && sameTexts(s.edits ?? [], o.edits ?? [])));
    }
    items.push({ outcome: o, startLine, endLine, edits, inFixAll });
  }
  return { ...base, items, all: full.text, fixAll, fixAllRuntime };
}

/** Runs the pipeline on `text` with this document's setup (what the CLI would run on the file). */
export function runOn(text: string, setup: RunSetup, over: { transforms?: readonly Transform<any>[]; safeOnly?: boolean } = {}, signal?: AbortSignal): Promise<PipelineResult> {
  return runPipeline(text, {
    transforms: over.transforms ?? setup.transforms,
    options: setup.options,
    state: setup.state,
    file: setup.file,
    buildContext: setup.buildContext,
    ...(over.safeOnly ?? setup.safeOnly ? { safeOnly: true } : {}),
    ...(signal ? { signal } : {}),
  });
}

/**
 * The CLI's choices for this path: the nearest config file (below the repository root of the
 * workspace folder holding the file), the editor settings over it as command-line flags are, the build
 * context. null when `.dockeroptignore` or the config's `ignore` leaves the file out.
 */
async function setupFor(req: AnalyseRequest): Promise<RunSetup | null> {
  const all = req.transforms;
  const over = { only: req.settings.only, skip: req.settings.skip, options: req.settings.options };
  let fileSettings = settingsFrom(all, null, over);
  let buildContext: ContextFs = emptyContext;
  let cwd = process.cwd();
  let file = '<text>';
  if (req.path !== null) {
    const path = resolve(req.path);
    cwd = folderOf(path, req.folders) ?? dirname(path);
    let root = req.cache.roots.get(cwd);
    if (root === undefined) req.cache.roots.set(cwd, (root = repoRoot(cwd)));
    const resolver = new ConfigResolver(root, all);
    if (resolver.isIgnored(path)) return null;
    fileSettings = settingsFrom(all, resolver.configFor(path)?.config ?? null, over);
    buildContext = resolveBuildContext(path);
    file = relative(cwd, path) || path;
  }
  // never the network unless the editor's settings name the transform
  const transforms = fileSettings.transforms.filter((t) => !t.network || req.settings.only.includes(t.id));
  const options = resolveOptions(transforms, fileSettings.options);
  const key = JSON.stringify([transforms.map((t) => t.id), options, cwd]);
  let state = req.cache.states.get(key);
  if (!state) req.cache.states.set(key, (state = await prepareTransforms(transforms, options, { cwd })));
  return { transforms, options, state, buildContext, safeOnly: Boolean(fileSettings.safeOnly), file };
}

/** The innermost workspace folder holding `path`. */
function folderOf(path: string, folders: readonly string[]): string | null {
  let best: string | null = null;
  for (const f of folders) {
    const r = relative(f, path);
    if (r === '' || r.startsWith(`..${sep}`) || r === '..' || isAbsolute(r)) continue;
    if (best === null || f.length > best.length) best = f;
  }
  return best;
}

/** The limits `dockeropt FILE` applies when it reads a file (src/run.ts readDockerfile). */
function checkLimits(text: string, display: string): void {
  const nul = text.indexOf('\0');
  if (nul !== -1) throw new FileError('looks like a binary file (it contains a NUL byte); skipped', display, { line: text.slice(0, nul).split('\n').length });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_FILE_BYTES) throw new FileError(`is ${(bytes / 1048576).toFixed(1)} MB, over the ${MAX_FILE_BYTES / 1048576} MB limit for a Dockerfile; skipped`, display);
  let lineNo = 0;
  for (let start = 0; start <= text.length; lineNo++) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    if (end - start > MAX_LINE_CHARS) {
      throw new FileError(`line ${lineNo + 1} is ${end - start} characters long, over the ${MAX_LINE_CHARS} this tool processes; skipped`, display, { line: lineNo + 1 });
    }
    if (lineNo >= MAX_LINES) throw new FileError(`has more than ${MAX_LINES} lines, over what this tool processes; skipped`, display);
    if (nl === -1) break;
    start = nl + 1;
  }
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

const offsetOf = (starts: readonly number[], p: { line: number; column: number }) => (starts[p.line - 1] ?? 0) + p.column - 1;
const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

function sameEdits(a: readonly Edit[], b: readonly Edit[]): boolean {
  return a.length === b.length && a.every((e, i) => e.start === b[i]!.start && e.end === b[i]!.end && e.text === b[i]!.text);
}

/** The same inserted texts, in order (offsets differ between two runs that saw different texts). */
function sameTexts(a: readonly Edit[], b: readonly Edit[]): boolean {
  return a.length === b.length && a.every((e, i) => e.text === b[i]!.text);
}
