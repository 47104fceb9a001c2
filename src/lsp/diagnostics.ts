/**
 * An analysis as LSP diagnostics: one per pending rewrite (Information, the label in the message, as
 * the CLI prints it), one per refusal and note (Hint, with the reason), one per transform error
 * (Warning: that site was left as written, e.g. a registry lookup failed), and one Error when the
 * document could not be processed at all. `source` is "dockeropt", `code` the transform id.
 */
import { DiagnosticSeverity, type Diagnostic, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis, Item } from './analyse.js';

export const SOURCE = 'dockeropt';

/** What a diagnostic carries in `data`, so a code action request finds its item again. */
export interface DiagnosticData { version: number; index: number }

export const FIX_ALL_TITLE = { buildOnly: 'dockeropt: apply all build-only changes', all: 'dockeropt: apply all changes (runtime included)' };

/** The diagnostic message: the CLI's line for the outcome, without the file and line it already has. */
export function messageOf(a: Analysis, item: Item): string {
  const o = item.outcome;
  if (o.kind === 'rewrite') {
    let m = `[${o.safety ?? 'build-only'}] ${o.message}`;
    if (item.edits === null) {
      const via = item.inFixAll ? (a.fixAllRuntime ? FIX_ALL_TITLE.all : FIX_ALL_TITLE.buildOnly) : FIX_ALL_TITLE.all;
      m += ` (builds on an earlier change in this file, so it is offered only with "${via}")`;
    }
    return m;
  }
  return `[${o.kind === 'refuse' ? 'skipped' : o.kind}] ${o.message}`;
}

/** The range of lines [startLine, endLine] of the analysed text, in the document's positions. */
export function linesRange(a: Analysis, doc: TextDocument, startLine: number, endLine: number): Range {
  const s = a.lineStarts[startLine] ?? a.original.length;
  const next = a.lineStarts[endLine + 1];
  let e = next === undefined ? a.original.length : next - 1;
  if (e > s && a.original.charCodeAt(e - 1) === 13) e--;
  return { start: doc.positionAt(s + a.bom), end: doc.positionAt(Math.max(s, e) + a.bom) };
}

export function diagnosticsOf(a: Analysis, doc: TextDocument): Diagnostic[] {
  if (a.failure) {
    const line = Math.max(0, Math.min((a.failure.line ?? 1) - 1, a.lineStarts.length - 1));
    return [{
      range: linesRange(a, doc, line, line),
      severity: DiagnosticSeverity.Error,
      source: SOURCE,
      message: `dockeropt could not process this file: ${a.failure.message}${a.failure.hint ? ` (${a.failure.hint})` : ''}`,
    }];
  }
  return a.items.map((item, index) => {
    const o = item.outcome;
    const severity = o.kind === 'rewrite' ? DiagnosticSeverity.Information : o.kind === 'error' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Hint;
    const data: DiagnosticData = { version: a.version, index };
    return { range: linesRange(a, doc, item.startLine, item.endLine), severity, source: SOURCE, code: o.transform, message: messageOf(a, item), data };
  });
}
