import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { RunResult } from '../run.js';
import type { FileResult } from '../types.js';

export interface Colors { red(s: string): string; green(s: string): string; cyan(s: string): string; bold(s: string): string; dim(s: string): string; yellow(s: string): string }

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
export const ansi: Colors = { red: wrap(31, 39), green: wrap(32, 39), cyan: wrap(36, 39), bold: wrap(1, 22), dim: wrap(2, 22), yellow: wrap(33, 39) };
const id = (s: string) => s;
export const plain: Colors = { red: id, green: id, cyan: id, bold: id, dim: id, yellow: id };

/** Colour on a TTY; NO_COLOR turns it off and FORCE_COLOR on (https://no-color.org, https://force-color.org). */
export function useColor(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  return isTTY;
}

/** A unified diff with `a/` and `b/` paths, as `git apply` takes it. */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  const strip = (s: string) => (s.startsWith('\uFEFF') ? s.slice(1) : s);
  return createTwoFilesPatch(`a/${file.replace(/^\/+/, "")}`, `b/${file.replace(/^\/+/, "")}`, strip(before), strip(after), undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
}

export function colorDiff(d: string, c: Colors): string {
  return d.split('\n').map((l) => {
    if (l.startsWith('+++') || l.startsWith('---')) return c.bold(l);
    if (l.startsWith('@@')) return c.cyan(l);
    if (l.startsWith('+')) return c.green(l);
    if (l.startsWith('-')) return c.red(l);
    return l;
  }).join('\n');
}

/** The labelled change list of one file: `  [build-only] merge-run:3 merged 2 RUN instructions`. */
export function outcomeLines(f: FileResult, c: Colors, withRefusals: boolean): string[] {
  const out: string[] = [];
  for (const o of f.outcomes) {
    if (o.kind === 'rewrite') {
      const label = o.safety === 'runtime' ? c.yellow('[runtime]') : c.green('[build-only]');
      out.push(`  ${label} ${o.transform}:${o.line} ${o.message}`);
    } else if (withRefusals) {
      out.push(c.dim(`  [${o.kind === 'refuse' ? 'skipped' : 'note'}] ${o.transform}:${o.line} ${o.message}`));
    }
  }
  return out;
}

export function formatError(f: FileResult): string {
  const where = f.error?.line !== undefined ? `${f.file}:${f.error.line}` : f.file;
  return `${where}: ${f.error?.message ?? 'failed'}${f.error?.hint ? ` (${f.error.hint})` : ''}`;
}

/** The per-run summary: files, then per transform applied/refused with the most common refusal reasons. */
export function summaryText(r: RunResult, c: Colors, mode: { write: boolean }): string {
  const s = r.summary;
  const lines: string[] = [];
  const verb = mode.write ? 'written' : 'would change';
  lines.push(c.bold(`${s.scanned} file${s.scanned === 1 ? '' : 's'} scanned: ${mode.write ? s.written : s.changed} ${verb}, ${s.unchanged} unchanged${s.ignored ? `, ${s.ignored} ignored` : ''}, ${s.failed} failed`));
  const ids = Object.keys(s.transforms).sort();
  for (const idn of ids) {
    const t = s.transforms[idn]!;
    lines.push(`  ${idn}: ${t.applied} applied, ${t.refused} refused`);
    const reasons = new Map<string, number>();
    for (const f of r.files) for (const o of f.outcomes) {
      if (o.transform === idn && o.kind === 'refuse') {
        const key = o.message.replace(/^not merged with the RUN on line \d+: /, '').replace(/line \d+/g, 'line N');
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
    }
    const top = [...reasons].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
    for (const [reason, n] of top) lines.push(c.dim(`    ${n}× ${reason}`));
  }
  for (const f of r.files) if (f.status === 'error') lines.push(c.red(`error: ${formatError(f)}`));
  return lines.join('\n');
}
