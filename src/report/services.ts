/**
 * The per-directory part of the summary: one line per directory holding Dockerfiles (a service), so a
 * batch over many services shows where the changes, refusals and failures are.
 */
import { dirname } from 'node:path';
import type { RunResult } from '../run.js';
import type { Colors } from './human.js';

/** At most this many service lines; the JSON/SARIF output has every file. */
export const MAX_SERVICE_LINES = 50;

interface Tally { files: number; changed: number; written: number; failed: number; applied: number; refused: number; declined: number }

/** Empty when every file is in one directory (the file lines already say it all). */
export function serviceSummary(r: RunResult, c: Colors): string {
  const by = new Map<string, Tally>();
  for (const f of r.files) {
    const dir = dirname(f.file);
    const t = by.get(dir) ?? { files: 0, changed: 0, written: 0, failed: 0, applied: 0, refused: 0, declined: 0 };
    by.set(dir, t);
    t.files++;
    if (f.status === 'changed') t.changed++;
    if (f.status === 'error') t.failed++;
    if (f.written) t.written++;
    for (const o of f.outcomes) {
      if (o.kind === 'rewrite') t.applied++;
      else if (o.kind === 'refuse') t.refused++;
      else if (o.kind === 'note' && o.message.startsWith('declined in review')) t.declined++;
    }
  }
  if (by.size < 2) return '';
  const dirs = [...by.keys()].sort();
  const lines = [c.bold('by directory:')];
  for (const d of dirs.slice(0, MAX_SERVICE_LINES)) {
    const t = by.get(d)!;
    const parts = [`${t.files} file${t.files === 1 ? '' : 's'}`];
    if (t.written) parts.push(`${t.written} written`);
    else if (t.changed) parts.push(`${t.changed} would change`);
    if (t.applied) parts.push(`${t.applied} change${t.applied === 1 ? '' : 's'}`);
    if (t.declined) parts.push(`${t.declined} declined`);
    if (t.refused) parts.push(`${t.refused} refused`);
    if (t.failed) parts.push(c.red(`${t.failed} failed`));
    lines.push(`  ${d}: ${parts.join(', ')}`);
  }
  if (dirs.length > MAX_SERVICE_LINES) lines.push(c.dim(`  … and ${dirs.length - MAX_SERVICE_LINES} more directories (--format json lists every file)`));
  return lines.join('\n');
}
