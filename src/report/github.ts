/**
 * `--format github`: GitHub Actions workflow commands, one per outcome, so a job shows them as
 * annotations on the Dockerfile lines (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
 * Pending rewrites are `warning`s, refusals and notes `notice`s, failures `error`s.
 */
import type { RunResult } from '../run.js';
import { locate } from './locate.js';
import { rootRelative } from './sarif.js';

/** Escapes a command's message (data). */
export const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** Escapes a command property value. */
export const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `refusals`: also report refusals and notes as notices (default true; the CLI passes --report-refusals). */
export function githubReport(r: RunResult, o: { cwd: string; root: string; refusals?: boolean }): string {
  const lines: string[] = [];
  for (const f of r.files) {
    const file = escapeProperty(rootRelative(f.file, o.cwd, o.root));
    if (f.status === 'error') {
      const msg = `${f.error?.message ?? 'failed'}${f.error?.hint ? ` (${f.error.hint})` : ''}`;
      lines.push(`::error file=${file}${f.error?.line ? `,line=${f.error.line}` : ''},title=${escapeProperty('dockeropt: file failed')}::${escapeData(msg)}`);
      continue;
    }
    for (const l of locate(f)) {
      const out = l.outcome;
      if (o.refusals === false && (out.kind === 'refuse' || out.kind === 'note')) continue;
      const cmd = out.kind === 'rewrite' ? 'warning' : out.kind === 'error' ? 'error' : 'notice';
      const title = out.kind === 'rewrite' ? `dockeropt ${out.transform} [${out.safety ?? 'build-only'}]` : `dockeropt ${out.transform}${out.kind === 'refuse' ? ' (not changed)' : ''}`;
      const where = `file=${file},line=${l.start.line}${l.fix ? `,col=${l.start.column},endLine=${l.end.line}` : ''}`;
      lines.push(`::${cmd} ${where},title=${escapeProperty(title)}::${escapeData(out.message)}`);
    }
  }
  const s = r.summary;
  lines.push(`dockeropt: ${s.scanned} file${s.scanned === 1 ? '' : 's'} scanned: ${s.written || s.changed} ${s.written ? 'written' : 'would change'}, ${s.unchanged} unchanged, ${s.failed} failed`);
  return lines.join('\n') + '\n';
}
