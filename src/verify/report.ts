/** Verification results for people: one headline, then the differences, notes and sizes under it. */
import { differenceLine, sizeText } from './compare.js';
import { cacheText } from './cache.js';
import type { VerifyResult } from './index.js';

export interface Paint { red(s: string): string; green(s: string): string; yellow(s: string): string; dim(s: string): string }
const none: Paint = { red: (s) => s, green: (s) => s, yellow: (s) => s, dim: (s) => s };

/** `identical (buildah 1.28.2 (chroot isolation); 121 MB, 3 layers -> 121 MB, 2 layers)` */
export function verifyHeadline(r: VerifyResult, c: Paint = none): string {
  const sizes = r.sizes ? `; ${sizeText(r.sizes.before)} -> ${sizeText(r.sizes.after)}` : '';
  if (r.status === 'unverified') return `${c.yellow('unverified')}: ${r.reason ?? 'not verified'}${r.builder ? ` (${r.builder})` : ''}`;
  const word = r.status === 'identical' ? c.green('identical') : c.red('different');
  const config = r.differences.filter((d) => d.kind === 'config').length;
  const files = r.fileDifferences ?? r.differences.filter((d) => d.kind === 'file').length;
  const build = r.differences.some((d) => d.kind === 'build');
  const parts = [config ? `${config} config` : '', files ? `${files} file` : ''].filter(Boolean);
  const n = r.status === 'different' && !build ? `: ${parts.join(' and ')} difference${config + files === 1 ? '' : 's'}` : '';
  return `${word} (${r.builder}${sizes})${n}`;
}

/** The lines under the headline, each prefixed with `indent`. */
export function verifyDetails(r: VerifyResult, indent: string, c: Paint = none): string[] {
  const out: string[] = [];
  for (const d of r.differences) out.push(`${indent}${differenceLine(d)}`);
  const counted = r.differences.reduce((n, d) => n + (d.kind === 'files' ? d.count : d.kind === 'file' ? 1 : 0), 0);
  if (r.fileDifferences !== undefined && r.fileDifferences > counted) out.push(`${indent}… ${r.fileDifferences - counted} more file differences`);
  for (const n of r.notes) out.push(c.dim(`${indent}note: ${n}`));
  if (r.cache) out.push(`${indent}${cacheText(r.cache)}`);
  return out;
}

/** The lines printed under a changed file in a `--verify` run. */
export function fileVerifyLines(v: import('./run.js').FileVerification, c: Paint = none, write = false): string[] {
  const out: string[] = [];
  const block = (label: string, r: VerifyResult) => {
    out.push(`  ${label}: ${verifyHeadline(r, c)}`);
    out.push(...verifyDetails(r, '    ', c));
  };
  if (v.changes === 'both') {
    block('verify (build-only changes)', v.buildOnly!);
    block('verify (all changes)', v);
  } else {
    block(v.changes === 'runtime' ? 'verify (runtime changes)' : 'verify', v);
  }
  if (v.bug) out.push(c.red('  a build-only change changed the image: this is a bug in dockeropt (please report it with the Dockerfile); the file is not written'));
  else if (write && !v.writable) out.push(c.yellow(`  not written: ${v.changes === 'runtime' ? 'the change could not be verified' : 'its build-only changes did not verify identical'}`));
  return out;
}
