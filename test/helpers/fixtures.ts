/**
 * Snapshot cases: snapshots/<transform-id>/<case>/ holds input.Dockerfile, optionally output.Dockerfile
 * (absent: the input must come out byte-identical), report.txt (expected outcomes, one per line:
 * "<line> <rewrite|refuse|note> <message>"), options.json (transform options) and context/ (the build
 * context). snapshots/pipeline/<case>/ runs every default transform.
 *
 * UPDATE_SNAPSHOTS=1 rewrites output.Dockerfile and report.txt of failing cases (never under CI, and it
 * never creates output.Dockerfile for a case that has none unless UPDATE_SNAPSHOTS=new).
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SNAPSHOTS = fileURLToPath(new URL('../../snapshots/', import.meta.url));

export interface Case {
  transform: string;
  name: string;
  dir: string;
  input: string;
  output: string | null;
  report: string[] | null;
  options: Record<string, unknown> | null;
  contextDir: string | null;
}

export function loadCases(): Case[] {
  const out: Case[] = [];
  for (const transform of readdirSync(SNAPSHOTS).sort()) {
    const tdir = join(SNAPSHOTS, transform);
    if (!statSync(tdir).isDirectory()) continue;
    for (const name of readdirSync(tdir).sort()) {
      const dir = join(tdir, name);
      const inputPath = join(dir, 'input.Dockerfile');
      if (!existsSync(inputPath)) continue;
      const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null);
      const report = read('report.txt');
      const options = read('options.json');
      out.push({
        transform,
        name,
        dir,
        input: readFileSync(inputPath, 'utf8'),
        output: read('output.Dockerfile'),
        report: report === null ? null : report.split('\n').filter((l) => l.trim() !== ''),
        options: options === null ? null : (JSON.parse(options) as Record<string, unknown>),
        contextDir: existsSync(join(dir, 'context')) ? join(dir, 'context') : null,
      });
    }
  }
  return out;
}

export const updating = (): 'all' | 'new' | false => {
  const v = process.env.UPDATE_SNAPSHOTS;
  if (!v || v === '0') return false;
  if (process.env.CI) throw new Error('UPDATE_SNAPSHOTS is refused under CI: snapshots are reviewed, not regenerated');
  return v === 'new' ? 'new' : 'all';
};

export function writeGolden(c: Case, file: 'output.Dockerfile' | 'report.txt', text: string): void {
  writeFileSync(join(c.dir, file), text);
}

export const toCrlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
