import { BOM, DocView, readingHazard } from './document.js';
import { applyEdits, sortEdits, type Edit } from './edits.js';
import { FileError, InternalError } from './errors.js';
import { invalidInstruction } from './validate.js';
import { emptyContext } from './context-fs.js';
import { clipChanges, composeChanges, editLineChanges, lineCount } from './line-changes.js';
import type { ContextFs, LineChange, Outcome, ReportedOutcome, Services, Transform } from './types.js';

export interface PipelineOptions {
  /** Transforms to run, in pipeline order. */
  transforms: readonly Transform<any>[];
  /** Per-transform options by id, merged over each transform's defaults. */
  options?: Readonly<Record<string, Record<string, unknown>>>;
  file?: string;
  buildContext?: ContextFs;
  services?: Services;
  /**
   * Apply `runtime` rewrites too (a new base image, another user). Default false: they are reported as
   * held-back notes (`held: true`) and the running image stays what it was, as ruff's unsafe fixes.
   */
  runtime?: boolean;
  /** Accepted for compatibility: build-only is the default; true wins over `runtime`. */
  safeOnly?: boolean;
  signal?: AbortSignal;
  /** Per-transform run state from `prepare`, by id (see `prepareTransforms`). */
  state?: ReadonlyMap<string, unknown>;
  /**
   * Stop after the first pass when it changed the text (`--check`: only whether a file changes matters).
   * The first pass still runs every transform, so its outcomes (held-back runtime notes) are all there;
   * the returned text is the first pass's, not the settled one.
   */
  stopAtChange?: boolean;
}

/** Resolves options (defaults, then the given ones, then parseOptions) for each transform. */
export function resolveOptions(transforms: readonly Transform<any>[], given: Readonly<Record<string, Record<string, unknown>>> = {}): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const t of transforms) {
    const merged = { ...(t.defaults as object), ...(given[t.id] ?? {}) } as Record<string, unknown>;
    out[t.id] = t.parseOptions ? (t.parseOptions(merged) as Record<string, unknown>) : merged;
  }
  return out;
}

/** Runs each transform's `prepare` once for a batch. */
export async function prepareTransforms(transforms: readonly Transform<any>[], options: Readonly<Record<string, Record<string, unknown>>>, run: { cwd: string } = { cwd: process.cwd() }): Promise<Map<string, unknown>> {
  const state = new Map<string, unknown>();
  for (const t of transforms) if (t.prepare) state.set(t.id, await t.prepare(options[t.id] ?? t.defaults, run));
  return state;
}

export interface PipelineResult {
  text: string;
  outcomes: ReportedOutcome[];
  /** Problems with the file's own pragmas (an unknown transform id in `# dockeropt ignore=`), by line. */
  warnings?: { line: number; message: string }[];
  /** The file carries `# dockeropt ignore-file`. */
  ignored: boolean;
  /** The blocks of lines of `text` that differ from the input's, composed from every applied edit (empty when unchanged; absent when the BOM was dropped: the diff then searches). */
  changes?: LineChange[];
}

const IGNORE_FILE = /^[ \t]*#[ \t]*dockeropt[ \t]+ignore-file\b/m;
const IGNORE_NEXT = /^[ \t]*#[ \t]*dockeropt[ \t]+ignore=([\w,-]+)/;

/**
 * Runs each transform on a freshly parsed view of the current text and applies its edits. A transform
 * that throws, or whose edits overlap, is a bug: InternalError, and the caller keeps the original text.
 */
/** Passes after which a pipeline that still changes the text is a bug (transforms undoing each other). */
export const MAX_PASSES = 4;

export async function runPipeline(input: string, opts: PipelineOptions): Promise<PipelineResult> {
  const hasBom = input.startsWith(BOM);
  let text = hasBom ? input.slice(1) : input;
  if (IGNORE_FILE.test(text)) return { text: input, outcomes: [], ignored: true, changes: [] };
  // never edit on a view of the lines that is not BuildKit's (a lone \r, Unicode spaces: see readingHazard)
  const hazard = readingHazard(text);
  if (hazard) throw new FileError(hazard.message, opts.file ?? '<text>', { line: hazard.line, hint: hazard.hint });
  // BuildKit rejects a heredoc that never ends, and every line added after it would land inside it
  const open = unterminatedHeredoc(docFor(text));
  if (open) throw new FileError(`the heredoc <<${open.name} is never terminated (no line ${open.name} follows it); BuildKit rejects the file`, opts.file ?? '<text>', { line: open.line, hint: `end it with a line that is just ${open.name}` });
  // a file BuildKit rejects is reported, never rewritten (the parse is the first pass's, see docFor)
  const invalid = invalidInstruction(docFor(text));
  if (invalid) throw new FileError(`is not a valid Dockerfile: ${invalid.message}`, opts.file ?? '<text>', { line: invalid.line, hint: 'BuildKit rejects it too; fix that line and re-run' });
  const warnings = await pragmaWarnings(text, opts.transforms);
  // One transform's change can give an earlier one a new opportunity (cache-mounts gives two RUNs the same
  // mount, which merge-run may then join), so passes repeat until nothing changes, as ESLint's multipass
  // fix does. Outcomes: all of the first pass, then only the rewrites of later passes (their refusals
  // restate the first pass's, or describe the pipeline's own output, e.g. "already multi-stage").
  const outcomes: ReportedOutcome[] = [];
  let changes: LineChange[] = [];
  const original = text;
  // the BOM stays unless an applied rewrite removes it (cache-mounts' --drop-bom); then the recorded changes
  // (lines after the BOM) do not describe the first line's change, and the diff searches instead
  let bom = hasBom;
  // the text each transform last saw when it had nothing to apply: shown that text again in a later pass,
  // it would again apply nothing, and a later pass keeps only rewrites, so it is skipped (this makes the
  // confirming pass cost only the transforms up to the last one that changed something)
  const idle = new Map<number, string>();
  for (let pass = 1; ; pass++) {
    const r = await runPass(text, bom ? { ...opts, bom: true } : opts, (pass - 1) * opts.transforms.length, idle);
    outcomes.push(...(pass === 1 ? r.outcomes : r.outcomes.filter((o) => o.kind === 'rewrite')));
    if (r.outcomes.some((o) => o.kind === 'rewrite' && o.dropsBom)) { bom = false; idle.clear(); }
    // --check needs only to know that a file changes: it stops after the first pass that changes it
    if (r.text !== text && opts.stopAtChange && pass === 1) { changes = r.changes; text = r.text; }
    if (r.text === text) {
      changes = text === original ? [] : clipChanges(changes, lineCount(original), lineCount(text));
      return { text: bom ? BOM + text : text, outcomes: sortOutcomes(outcomes), ignored: false, ...(bom === hasBom ? { changes } : {}), ...(warnings.length ? { warnings } : {}) };
    }
    if (pass === MAX_PASSES) {
      throw new InternalError(`the transforms did not settle after ${MAX_PASSES} passes (last changes: ${r.outcomes.filter((o) => o.kind === 'rewrite').map((o) => `${o.transform}:${o.line}`).join(', ')})`);
    }
    text = r.text;
    changes = composeChanges(changes, r.changes);
  }
}

/** A parsed view of `text`, reused while the text is the same (the last pass re-reads the text it ended with). */
const docCache = { text: null as string | null, doc: null as DocView | null };
function docFor(text: string): DocView {
  if (docCache.text !== text || docCache.doc === null) { docCache.doc = new DocView(text); docCache.text = text; }
  return docCache.doc;
}

/** The first heredoc of a RUN, COPY or ADD that has no terminating line, with its instruction's line. */
function unterminatedHeredoc(doc: DocView): { name: string; line: number } | null {
  for (const ins of doc.instructions()) {
    if (!['RUN', 'COPY', 'ADD'].includes(ins.getKeyword())) continue;
    const heredocs = (ins as unknown as { getHeredocs(): { getName(): string; getDelimiterRange(): unknown }[] }).getHeredocs();
    const open = heredocs.find((h) => h.getDelimiterRange() === null);
    if (open) return { name: open.getName(), line: doc.lineOfNode(ins) };
  }
  return null;
}

/** Outcomes in the order the steps ran, then by line (stable). */
function sortOutcomes(outcomes: ReportedOutcome[]): ReportedOutcome[] {
  return outcomes
    .map((o, i) => ({ o, i }))
    .sort((a, b) => (a.o.step ?? 0) - (b.o.step ?? 0) || a.o.line - b.o.line || a.i - b.i)
    .map((x) => x.o);
}

/** One pass: every transform once, in order, each on a fresh parse of the current text (BOM already stripped). */
async function runPass(input: string, opts: PipelineOptions & { bom?: boolean }, firstStep: number, idle: Map<number, string>): Promise<{ text: string; outcomes: ReportedOutcome[]; changes: LineChange[] }> {
  let text = input;
  const outcomes: ReportedOutcome[] = [];
  let changes: LineChange[] = [];
  // parse once, and again only after a transform actually changed the text (parsing is most of the cost)
  let doc: DocView | null = null;
  for (const [k, t] of opts.transforms.entries()) {
    const step = firstStep + k;
    if (idle.get(k) === text) continue;
    const mark = outcomes.length;
    if (doc === null || doc.text !== text) doc = docFor(text);
    const options = { ...(t.defaults as object), ...(opts.options?.[t.id] ?? {}) };
    let result: Outcome[];
    try {
      result = await t.apply(doc, {
        options,
        file: opts.file ?? '<text>',
        buildContext: opts.buildContext ?? emptyContext,
        services: opts.services ?? {},
        ...(opts.state?.has(t.id) ? { state: opts.state.get(t.id) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.bom ? { bom: true } : {}),
      });
    } catch (e) {
      if (e instanceof InternalError) throw e;
      throw new InternalError(`transform ${t.id} failed: ${(e as Error)?.message ?? String(e)}`, { transform: t.id, cause: e });
    }
    result = [...result].sort((a, b) => a.line - b.line);
    const suppressed = ignoredRanges(doc, t.id);
    const edits: Edit[] = [];
    for (const o of result) {
      if (o.kind === 'refuse') { outcomes.push({ transform: t.id, kind: 'refuse', line: o.line, message: o.reason, step }); continue; }
      if (o.kind === 'note') { outcomes.push({ transform: t.id, kind: 'note', line: o.line, message: o.message, step }); continue; }
      if (o.kind === 'error') { outcomes.push({ transform: t.id, kind: 'error', line: o.line, message: o.hint ? `${o.message} (${o.hint})` : o.message, step }); continue; }
      const safety = o.safety ?? t.safety;
      if (o.edits.some((e) => suppressed.some((r) => e.start <= r.end && e.end >= r.start))) {
        outcomes.push({ transform: t.id, kind: 'note', line: o.line, message: `not applied (# dockeropt ignore): ${o.message}`, step });
        continue;
      }
      if (safety === 'runtime' && (!opts.runtime || opts.safeOnly)) {
        outcomes.push({ transform: t.id, kind: 'note', line: o.line, message: `not applied (a runtime change: review it and pass --runtime): ${o.message}`, step, held: true });
        continue;
      }
      edits.push(...o.edits);
      outcomes.push({ transform: t.id, kind: 'rewrite', line: o.line, message: o.message, safety, edits: o.edits, step, ...(o.dropsBom ? { dropsBom: true as const } : {}) });
    }
    if (outcomes.slice(mark).some((o) => o.kind === 'rewrite')) idle.delete(k); else idle.set(k, text);
    if (edits.length === 0) continue;
    let sorted: Edit[];
    try {
      sorted = sortEdits(edits);
    } catch (e) {
      throw new InternalError(`transform ${t.id} produced overlapping edits: ${(e as Error).message}`, { transform: t.id, cause: e });
    }
    const next = applyEdits(text, sorted);
    changes = composeChanges(changes, editLineChanges(text, sorted));
    text = next;
  }
  return { text, outcomes, changes };
}

/**
 * Whether `# dockeropt ignore=<ids>` naming this transform (or `all`) is in the comment lines directly
 * above the instruction (the line above, or any comment line of the block that sits on it).
 */
export function isSuppressed(doc: DocView, ins: { getRange(): { start: { line: number } } }, id: string): boolean {
  return pragmaLine(doc, ins, id) !== null;
}

/** The 0-based line of the pragma that suppresses `id` at the instruction (see isSuppressed), or null. */
export function pragmaLine(doc: DocView, ins: { getRange(): { start: { line: number } } }, id: string): number | null {
  for (let line = ins.getRange().start.line - 1; line >= 0; line--) {
    const text = doc.lineText(line);
    if (!/^[ \t]*#/.test(text)) return null;
    const m = IGNORE_NEXT.exec(text);
    if (!m) continue;
    const ids = m[1]!.split(',').map((x) => x.trim());
    if (ids.includes(id) || ids.includes('all')) return line;
  }
  return null;
}

/**
 * Offset ranges of suppressed instructions (see isSuppressed), from the comment block above it to the end of the
 * instruction's last line: an edit touching the range, or inserting text at either end of it (above the
 * comment, or on the line after the instruction), is not applied.
 */
function ignoredRanges(doc: DocView, id: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  if (!doc.text.includes('dockeropt')) return out; // no pragma (IGNORE_NEXT names dockeropt)
  for (const ins of doc.instructions()) {
    if (pragmaLine(doc, ins, id) === null) continue;
    let top = ins.getRange().start.line;
    while (top > 0 && /^[ \t]*#/.test(doc.lineText(top - 1))) top--;
    // an insertion at the very start of the file (the # syntax= directive) goes above every instruction,
    // not above this one: a block starting the file begins one character in
    out.push({ start: Math.max(doc.lineStart(top), 1), end: doc.lineSpan(ins).end });
  }
  return out;
}

/**
 * An unknown transform id in `# dockeropt ignore=…` (a typo would silently suppress nothing): a warning
 * naming the id and the closest known one. Known: the built-in transforms and those of the run.
 */
async function pragmaWarnings(text: string, running: readonly Transform<any>[]): Promise<{ line: number; message: string }[]> {
  if (!text.includes('dockeropt')) return [];
  const out: { line: number; message: string }[] = [];
  let known: string[] | null = null;
  for (const [i, l] of text.split('\n').entries()) {
    const m = IGNORE_NEXT.exec(l);
    if (!m) continue;
    known ??= [...new Set([...(await import('../transforms/index.js')).transforms.map((t) => t.id), ...running.map((t) => t.id), 'all'])];
    const { closest } = await import('./suggest.js');
    for (const idn of m[1]!.split(',').map((x) => x.trim()).filter(Boolean)) {
      if (known.includes(idn)) continue;
      const near = closest(idn, known);
      out.push({ line: i + 1, message: `unknown transform "${idn}" in # dockeropt ignore=${near ? ` (did you mean ${near}?)` : ''}; it suppresses nothing` });
    }
  }
  return out;
}
