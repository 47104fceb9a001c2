import type { RunResult } from '../run.js';
import { originalLines, unifiedDiff } from './human.js';
import { sumImpacts, type FileImpact } from '../impact.js';

/** The `--json` document: stable keys, no timestamps, files sorted by path; `impacts` (by file) adds `impact` to changed files. */
export function jsonReport(r: RunResult, version: string, impacts?: ReadonlyMap<string, FileImpact>): string {
  return JSON.stringify({
    version,
    files: r.files.map((f) => ({ f, lines: originalLines(f) })).map(({ f, lines }) => ({
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
      diff: f.status === 'changed' ? unifiedDiff(f.file, f.before, f.after, f.changes) : '',
      ...(f.error ? { error: (({ stack: _stack, ...rest }) => rest)(f.error) } : {}),
      ...(impacts?.has(f.file) ? { impact: impacts.get(f.file) } : {}),
      ...(f.verify ? { verify: f.verify } : {}),
    })),
    summary: impacts ? { ...r.summary, impact: sumImpacts([...impacts.values()]) } : r.summary,
  }, null, 2) + '\n';
}
