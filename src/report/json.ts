import type { RunResult } from '../run.js';
import type { FileResult, ReportedOutcome } from '../types.js';
import { originalLines, unifiedDiff } from './human.js';
import { sumImpacts, type FileImpact } from '../impact.js';

/**
 * What a file's entry needs its texts for: each outcome's line in the file on disk and the diff. A
 * batch computes them as each file finishes and lets go of the texts (memory stays bounded); the
 * document is written at the end from them, the same bytes as from the texts.
 */
export interface JsonParts { lines: Map<ReportedOutcome, number>; diff: string }

export function jsonParts(f: FileResult): JsonParts {
  return { lines: originalLines(f), diff: f.status === 'changed' ? unifiedDiff(f.file, f.before, f.after, f.changes) : '' };
}

/**
 * The `--json` document: stable keys, no timestamps, files sorted by path; `impacts` (by file) adds `impact` to changed files.
 * `parts` (by file): what jsonParts computed while the texts were there.
 */
export function jsonReport(r: RunResult, version: string, impacts?: ReadonlyMap<string, FileImpact>, parts?: ReadonlyMap<string, JsonParts>): string {
  return JSON.stringify(jsonDocument(r, version, impacts, parts), null, 2) + '\n';
}

/** The `--json` document as an object (jsonReport's text is `JSON.stringify(it, null, 2)`; the CLI writes it with writeJson). */
export function jsonDocument(r: RunResult, version: string, impacts?: ReadonlyMap<string, FileImpact>, parts?: ReadonlyMap<string, JsonParts>): object {
  const partsOf = (f: FileResult): JsonParts => {
    const p = parts?.get(f.file);
    // a file that failed after it finished (a write that could not be made) has no outcomes nor diff
    return p && f.status !== 'error' ? p : jsonParts(f);
  };
  return {
    version,
    files: r.files.map((f) => jsonEntry(f, partsOf(f), impacts?.get(f.file))),
    summary: jsonSummary(r, impacts),
  };
}

/** The document's `summary`. */
export function jsonSummary(r: RunResult, impacts?: ReadonlyMap<string, FileImpact>): object {
  return impacts ? { ...r.summary, impact: sumImpacts([...impacts.values()]) } : r.summary;
}

/** One file's entry of the document (`impact`: the changed file's, when the document carries impacts). */
export function jsonEntry(f: FileResult, { lines, diff }: JsonParts, impact: FileImpact | undefined): object {
  return {
    file: f.file,
    status: f.status,
    ...(f.written ? { written: true } : {}),
    outcomes: f.outcomes.map((o) => ({
      transform: o.transform,
      // the line in the file as it is on disk (transforms report lines in the text they saw)
      line: lines.get(o) ?? o.line,
      kind: o.kind,
      ...(o.kind === 'refuse' ? { reason: o.message } : { message: o.message }),
      ...(o.safety ? { safety: o.safety } : {}),
    })),
    diff,
    ...(f.error ? { error: (({ stack: _stack, ...rest }) => rest)(f.error) } : {}),
    ...(impact ? { impact } : {}),
    ...(f.verify ? { verify: f.verify } : {}),
  };
}
