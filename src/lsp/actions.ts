/**
 * Code actions for an analysed document:
 * - a `quickfix` per pending rewrite that stands alone, whose edit is exactly that rewrite's text edits
 *   (what `--write` would change for it), titled with its label: `[runtime] non-root: adds USER …`;
 * - for a rewrite that builds on an earlier change (see analyse.ts), a quick fix that applies fix-all,
 *   or every change when fix-all does not include it, saying so in its title;
 * - `dockeropt ignore=<id>` on the line above the instruction, offered only when the pipeline, run
 *   again on the text with the pragma, no longer reports that outcome;
 * - `source.fixAll.dockeropt`: every build-only rewrite, plus the runtime ones when the `runtime`
 *   setting is on; its result is the text the CLI's `--write` (`--safe-only` without `runtime`) writes.
 */
import { diffLinesOf, diffParts } from '../diff.js';
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DocView } from '../document.js';
import { applyEdits, type Edit } from '../edits.js';
import { runOn, type Analysis, type Item } from './analyse.js';
import { diagnosticsOf, FIX_ALL_TITLE, SOURCE, type DiagnosticData } from './diagnostics.js';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.dockeropt`;
export const ACTION_KINDS = [CodeActionKind.QuickFix, FIX_ALL_KIND];

export interface ActionContext {
  /** The client takes `documentChanges` (versioned edits); else `changes`. */
  documentChanges: boolean;
  /** True once the request was cancelled or the document changed: stop early. */
  stale(): boolean;
}

/** Kind filter of a request: a kind matches `only` when it equals an entry or lies below it. */
function wanted(params: CodeActionParams, kind: string): boolean {
  const only = params.context.only;
  return !only || only.length === 0 || only.some((k) => kind === k || kind.startsWith(`${k}.`));
}

export async function codeActions(a: Analysis, doc: TextDocument, params: CodeActionParams, cx: ActionContext): Promise<CodeAction[]> {
  const actions: CodeAction[] = [];
  const diags = diagnosticsOf(a, doc);
  if (a.failure || a.ignored) return actions;
  // the items of the diagnostics the client names, and of those on the requested lines
  const picked = new Map<number, Diagnostic>();
  for (const d of params.context.diagnostics) {
    const data = d.data as Partial<DiagnosticData> | undefined;
    if (d.source === SOURCE && data?.version === a.version && typeof data.index === 'number' && a.items[data.index]) picked.set(data.index, d);
  }
  a.items.forEach((item, i) => {
    if (!picked.has(i) && item.startLine <= params.range.end.line && params.range.start.line <= item.endLine) picked.set(i, diags[i]!);
  });
  const fixAllTitle = a.fixAllRuntime ? FIX_ALL_TITLE.all : FIX_ALL_TITLE.buildOnly;
  if (wanted(params, CodeActionKind.QuickFix)) {
    for (const [i, diag] of [...picked].sort((x, y) => x[0] - y[0])) {
      if (cx.stale()) return [];
      const item = a.items[i]!;
      const o = item.outcome;
      const label = `[${o.safety ?? 'build-only'}] ${o.transform}: ${o.message}`;
      if (o.kind === 'rewrite' && item.edits) {
        actions.push({
          title: label, kind: CodeActionKind.QuickFix, diagnostics: [diag], isPreferred: o.safety !== 'runtime',
          edit: workspaceEdit(a, doc, item.edits, cx),
        });
      } else if (o.kind === 'rewrite') {
        const target = item.inFixAll ? a.fixAll : a.all;
        const title = item.inFixAll ? fixAllTitle : `[runtime] ${FIX_ALL_TITLE.all}`;
        if (target !== a.text) {
          actions.push({
            title: `${title} (this change builds on an earlier one: ${label})`, kind: CodeActionKind.QuickFix, diagnostics: [diag],
            edit: workspaceEdit(a, doc, textEdits(a.text, target), cx),
          });
        }
      }
      const pragma = pragmaEdit(a, item);
      if (pragma && (await suppresses(a, i, pragma))) {
        actions.push({
          title: `dockeropt: ignore ${o.transform} here (# dockeropt ignore=${o.transform})`, kind: CodeActionKind.QuickFix, diagnostics: [diag],
          edit: workspaceEdit(a, doc, [pragma], cx),
        });
      }
    }
  }
  if (wanted(params, FIX_ALL_KIND) && a.fixAll !== a.text) {
    actions.push({ title: fixAllTitle, kind: FIX_ALL_KIND, edit: workspaceEdit(a, doc, textEdits(a.text, a.fixAll), cx) });
  }
  return actions;
}

/** Offsets into the BOM-stripped text as LSP text edits of this document. */
function workspaceEdit(a: Analysis, doc: TextDocument, edits: readonly Edit[], cx: ActionContext): WorkspaceEdit {
  const lsp: TextEdit[] = edits.map((e) => ({ range: { start: doc.positionAt(e.start + a.bom), end: doc.positionAt(e.end + a.bom) }, newText: e.text }));
  return cx.documentChanges
    ? { documentChanges: [{ textDocument: { uri: doc.uri, version: a.version }, edits: lsp }] }
    : { changes: { [doc.uri]: lsp } };
}

/**
 * The edits that turn `before` into `after`, line by line (offsets into the BOM-stripped `before`, as
 * every edit here), from the same bounded line diff as the CLI's (src/diff.ts). Applying them gives
 * `after` exactly; checked, with one whole-text edit as the fallback.
 */
export function textEdits(before: string, after: string): Edit[] {
  const bom = before.startsWith('\uFEFF') ? 1 : 0;
  const a = before.slice(bom), b = after.startsWith('\uFEFF') && bom ? after.slice(1) : after;
  const la = diffLinesOf(a), lb = diffLinesOf(b);
  const edits: Edit[] = [];
  let pos = 0, ia = 0, ib = 0;
  let cur: { start: number; end: number; text: string } | null = null;
  for (const part of diffParts(la, lb)) {
    if (part.kind === '=') {
      if (cur) { edits.push(cur); cur = null; }
      for (let k = 0; k < part.count; k++) pos += la[ia++]!.length;
      ib += part.count;
      continue;
    }
    cur ??= { start: pos, end: pos, text: '' };
    if (part.kind === '-') { for (let k = 0; k < part.count; k++) pos += la[ia++]!.length; cur.end = pos; } else for (let k = 0; k < part.count; k++) cur.text += lb[ib++]!;
  }
  if (cur) edits.push(cur);
  if (applyEdits(a, edits) !== b) return [{ start: 0, end: a.length, text: b }];
  return edits;
}

const PRAGMA = /^([ \t]*#[ \t]*dockeropt[ \t]+ignore=)([\w,-]+)/;

/**
 * `# dockeropt ignore=<id>` on the line above the instruction the outcome is on (or the next one, or
 * the last); added to a pragma already there.
 */
export function pragmaEdit(a: Analysis, item: Item): Edit | null {
  const view = new DocView(a.original);
  const ins = view.instructions();
  const target = ins.find((x) => x.getRange().start.line <= item.startLine && item.startLine <= x.getRange().end.line)
    ?? ins.find((x) => x.getRange().start.line > item.startLine) ?? ins[ins.length - 1];
  if (!target) return null;
  const id = item.outcome.transform;
  const line = target.getRange().start.line;
  if (line > 0) {
    const m = PRAGMA.exec(view.lineText(line - 1));
    if (m) {
      const ids = m[2]!.split(',');
      if (ids.includes(id) || ids.includes('all')) return null;
      const at = view.lineStart(line - 1) + m[0].length;
      return { start: at, end: at, text: `,${id}` };
    }
  }
  const start = view.lineStart(line);
  return { start, end: start, text: `${view.indentOf(line)}# dockeropt ignore=${id}${view.eol}` };
}

/** Identifies an outcome across two texts whose line numbers differ. */
const keyOf = (o: Item['outcome']) => `${o.transform}\u0000${o.kind}\u0000${o.message.replace(/\d+/g, 'N')}`;

const verified = new WeakMap<Analysis, Map<number, boolean>>();

/** Whether the text with the pragma reports fewer outcomes like this one (the pipeline run again). */
async function suppresses(a: Analysis, index: number, pragma: Edit): Promise<boolean> {
  let cache = verified.get(a);
  if (!cache) verified.set(a, (cache = new Map()));
  const known = cache.get(index);
  if (known !== undefined) return known;
  let ok = false;
  if (a.setup) {
    const key = keyOf(a.items[index]!.outcome);
    const before = a.items.filter((x) => keyOf(x.outcome) === key).length;
    try {
      const res = await runOn(a.text.slice(0, a.bom) + applyEdits(a.original, [pragma]), a.setup);
      ok = res.ignored || res.outcomes.filter((o) => keyOf(o) === key).length < before;
    } catch {
      ok = false;
    }
  }
  cache.set(index, ok);
  return ok;
}
