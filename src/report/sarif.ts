/**
 * `--format sarif`: SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) for
 * GitHub code scanning and other viewers. One rule per transform; one result per outcome: pending
 * rewrites are `warning`s carrying the change as a `fix`, refusals and notes are `note`s, transform
 * errors are `error`s; files that failed become tool execution notifications. Paths are relative to the
 * repository root (`%SRCROOT%`), positions are in the file as it is on disk.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { RunResult } from '../run.js';
import type { Transform } from '../types.js';
import { locate, type Located, type Pos } from './locate.js';
import { differenceLine } from '../verify/compare.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/**
 * No `informationUri` / `helpUri` yet: the project has no public home. Once it is published, set them to
 * its page (helpUri `PAGE#<transform id>`, the README's table anchors).
 */

export interface SarifOptions {
  version: string;
  /** The transforms that ran (one rule each), in pipeline order. */
  transforms: readonly Pick<Transform<any>, 'id' | 'summary' | 'safety'>[];
  /** Directory the file names in the result are relative to. */
  cwd: string;
  /** Repository root the URIs are relative to. */
  root: string;
  /** Also report refusals and notes (default true; the CLI passes --report-refusals). */
  refusals?: boolean;
}

/** A path for SARIF/patches: relative to the root with `/`, or absolute when outside it. */
export function rootRelative(file: string, cwd: string, root: string): string {
  const abs = resolve(cwd, file);
  const r = relative(root, abs);
  if (r === '' || r.startsWith('..') || isAbsolute(r)) return abs.split(sep).join('/');
  return r.split(sep).join('/');
}

const uriOf = (path: string) => path.split('/').map(encodeURIComponent).join('/');

const region = (s: Pos, e: Pos) => ({ startLine: s.line, startColumn: s.column, endLine: e.line, endColumn: e.column });

/** The first differences of a verification (the build-only one when the file has both kinds of change), for a message. */
function verifiedDifferences(v: import('../verify/run.js').FileVerification): string {
  const r = v.buildOnly ?? v;
  const lines = r.differences.slice(0, 3).map(differenceLine);
  return lines.join('; ') + (r.differences.length > 3 ? `; and ${r.differences.length - 3} more` : '');
}

/**
 * The SARIF log as a JSON string (stable: sorted files, no timestamps). `located` (by file): what
 * locate() gave while the file's texts were there (a batch computes it as each file finishes and lets
 * go of the texts, so memory stays bounded); a file without it is located now.
 */
export function sarifReport(r: RunResult, o: SarifOptions, located?: ReadonlyMap<string, Located[]>): string {
  return JSON.stringify(sarifDocument(r, o, located), null, 2) + '\n';
}

/** The SARIF log as an object (sarifReport's text is `JSON.stringify(it, null, 2)`; the CLI writes it with writeJson). */
export function sarifDocument(r: RunResult, o: SarifOptions, located?: ReadonlyMap<string, Located[]>): object {
  const ruleIndex = new Map<string, number>();
  const rules = o.transforms.map((t, i) => {
    ruleIndex.set(t.id, i);
    return {
      id: t.id,
      name: t.id.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
      shortDescription: { text: t.summary },
      defaultConfiguration: { level: 'warning' },
      properties: { tags: [t.safety], safety: t.safety },
    };
  });
  const results: unknown[] = [];
  const notifications: unknown[] = [];
  for (const f of r.files) {
    const path = rootRelative(f.file, o.cwd, o.root);
    const artifactLocation = isAbsolute(path) || /^[a-zA-Z]:\//.test(path) ? { uri: `file://${uriOf(path)}` } : { uri: uriOf(path), uriBaseId: '%SRCROOT%' };
    if (f.status === 'error') {
      notifications.push({
        level: 'error',
        message: { text: `${f.error?.message ?? 'failed'}${f.error?.hint ? ` (${f.error.hint})` : ''}` },
        locations: [{ physicalLocation: { artifactLocation, ...(f.error?.line ? { region: { startLine: f.error.line } } : {}) } }],
      });
      continue;
    }
    for (const l of located?.get(f.file) ?? locate(f)) {
      const out = l.outcome;
      if (!ruleIndex.has(out.transform)) continue;
      if (o.refusals === false && (out.kind === 'refuse' || out.kind === 'note')) continue;
      // --verify found the image changed by a build-only rewrite: a bug, reported as an error
      const bug = Boolean(f.verify?.bug) && out.kind === 'rewrite' && (out.safety ?? 'build-only') === 'build-only';
      const level = bug || out.kind === 'error' ? 'error' : out.kind === 'rewrite' ? 'warning' : 'note';
      const label = (out.kind === 'rewrite' ? `[${out.safety ?? 'build-only'}] ` : out.kind === 'refuse' ? 'not changed: ' : '')
        + (bug ? `verified different with ${f.verify!.builder} (a dockeropt bug, not written: ${verifiedDifferences(f.verify!)}): ` : '');
      results.push({
        ruleId: out.transform,
        ruleIndex: ruleIndex.get(out.transform),
        level,
        message: { text: `${label}${out.message}` },
        locations: [{ physicalLocation: { artifactLocation, region: region(l.start, l.end) } }],
        ...(l.fix ? {
          fixes: [{
            description: { text: out.message },
            artifactChanges: [{
              artifactLocation,
              replacements: l.fix.map((x) => ({ deletedRegion: region(x.start, x.end), insertedContent: { text: x.text } })),
            }],
          }],
        } : {}),
        properties: { kind: out.kind, ...(out.safety ? { safety: out.safety } : {}), ...(f.written ? { written: true } : {}), ...(f.verify && out.kind === 'rewrite' ? { verify: f.verify.status } : {}) },
      });
    }
  }
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'dockeropt', version: o.version, semanticVersion: o.version, rules } },
      invocations: [{ executionSuccessful: !r.files.some((f) => f.status === 'error') && !r.summary.errors, ...(notifications.length ? { toolExecutionNotifications: notifications } : {}) }],
      columnKind: 'utf16CodeUnits',
      results,
    }],
  };
  return log;
}
