/**
 * Corpus check: runs the default pipeline (every transform that needs no network) over each file in
 * ../shared/corpus/dockerfiles and fails on any crash, any output that no longer parses, any file a
 * second run would change again, and any file reported unchanged whose bytes changed.
 * Runtime changes: the default run (as a plain `--write`) must add no USER and no FROM to any file; the
 * run with runtime changes (`--runtime`) must add no USER and no FROM to a base or toolchain image (the
 * files of the docker-library, adoptium, maven, gradle, composer, node, rust and golang image repositories,
 * by SOURCES.tsv's repo column; the check fails when SOURCES.tsv names none of the files). Both counts are
 * printed.
 * Diffs: every changed file's unified diff (the default run's and the --runtime run's), as the human
 * output (BOM stripped) and --diff-out (BOM kept) print it, must be byte-identical to the diff library's
 * createTwoFilesPatch of the same texts (src/diff.ts builds it from the pipeline's recorded changes).
 * Uses BuildKit's own parser (bkparse) as the parse oracle when it is on PATH, dockerfile-utils otherwise.
 * Usage: npm run corpus [-- DIR] [--verbose]
 */
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { validate } from 'dockerfile-utils';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { unifiedDiff } from '../src/report/human.js';
import { filePatch } from '../src/patch.js';
import type { PipelineResult } from '../src/pipeline.js';
import { runPipeline } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { transforms } from '../transforms/index.js';

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const dir = resolve(args.find((a) => !a.startsWith('--')) ?? '../shared/corpus/dockerfiles');
const offline = transforms.filter((t) => !t.network);
const hasBkparse = spawnSync('bkparse', ['-version'], { encoding: 'utf8' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'dockeropt-corpus-'));

const bkErrors = (text: string): string | null => {
  const f = join(tmp, 'Dockerfile');
  writeFileSync(f, text);
  const r = spawnSync('bkparse', ['-q', f], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stdout + r.stderr).trim().replace(f, '<file>');
};
const duErrors = (text: string) => validate(text).filter((d) => d.severity === 1).map((d) => d.message);

let files = 0, changed = 0, refused = 0, failed = 0, rejected = 0;
/** Base and toolchain image repositories of the corpus (SOURCES.tsv's repo column): they must get no USER. */
const BASE_REPOS = /^(docker-library\/|adoptium\/containers$|carlossg\/docker-maven$|keeganwitt\/docker-gradle$|gradle\/docker-gradle$|composer\/docker$|nodejs\/docker-node$|rust-lang\/docker-rust$|docker-library\/golang$)/;
const sources = new Map<string, string>();
try {
  for (const line of readFileSync(join(dir, '..', 'SOURCES.tsv'), 'utf8').split('\n').slice(1)) {
    const [file, repo] = line.split('\t');
    if (file && repo) sources.set(file, repo);
  }
} catch { /* a directory without SOURCES.tsv: no base-image check */ }
const count = (t: string, re: RegExp) => (t.match(re) ?? []).length;
const added = (before: string, after: string, kw: string) => count(after, new RegExp(`^[ \\t]*${kw}[ \\t]`, 'gim')) - count(before, new RegExp(`^[ \\t]*${kw}[ \\t]`, 'gim'));
const tally = { plainUser: 0, plainFrom: 0, runtimeUser: 0, runtimeFrom: 0, baseFiles: 0 };
const problems: string[] = [];
let diffs = 0;
const diffMs = { ours: 0, library: 0 };
/** The linear diff of a run against the library's, as the human output and as --diff-out print it. */
const checkDiff = (name: string, text: string, r: PipelineResult, label: string) => {
  if (r.text === text) return;
  const strip = (s: string) => (s.startsWith('\uFEFF') ? s.slice(1) : s);
  const lib = (a: string, b: string) => createTwoFilesPatch(`a/${name}`, `b/${name}`, a, b, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
  let t0 = performance.now();
  const ours = unifiedDiff(name, text, r.text, r.changes);
  diffMs.ours += performance.now() - t0;
  t0 = performance.now();
  const theirs = lib(strip(text), strip(r.text));
  diffMs.library += performance.now() - t0;
  if (ours !== theirs) throw new Error(`the diff of the ${label} run is not the diff library's`);
  if (filePatch(name, text, r.text, r.changes) !== lib(text, r.text)) throw new Error(`the --diff-out patch of the ${label} run is not the diff library's`);
  diffs++;
};
for (const name of readdirSync(dir).sort()) {
  files++;
  const text = readFileSync(join(dir, name), 'utf8');
  try {
    const opts = { transforms: offline, file: name, buildContext: contextFs(null) };
    const once = await runPipeline(text, opts);
    const rewrites = once.outcomes.filter((o) => o.kind === 'rewrite');
    refused += once.outcomes.filter((o) => o.kind === 'refuse').length;
    if (rewrites.length === 0 && once.text !== text) throw new Error('reported unchanged but its bytes changed');
    if (once.text !== text) {
      changed++;
      if (hasBkparse) {
        const before = bkErrors(text), after = bkErrors(once.text);
        if (after && !before) throw new Error(`output does not parse (BuildKit): ${after}`);
      }
      const before = duErrors(text);
      for (const e of duErrors(once.text)) if (!before.includes(e)) throw new Error(`output has a new parse error: ${e}`);
    }
    checkDiff(name, text, once, 'default');
    const twice = await runPipeline(once.text, opts);
    if (twice.text !== once.text) throw new Error(`not idempotent: a second run changes it again (${twice.outcomes.filter((o) => o.kind === 'rewrite').map((o) => `${o.transform}:${o.line}`).join(', ')})`);
    if (verbose) for (const o of once.outcomes) console.log(`${name}:${o.line} ${o.transform} ${o.kind} ${o.message}`);
    // a plain run never changes what runs
    if (added(text, once.text, 'USER') > 0) { tally.plainUser++; throw new Error('the default run (no --runtime) added a USER'); }
    if (added(text, once.text, 'FROM') > 0) { tally.plainFrom++; throw new Error('the default run (no --runtime) added a FROM'); }
    const rt = await runPipeline(text, { ...opts, runtime: true });
    checkDiff(name, text, rt, '--runtime');
    const isBase = BASE_REPOS.test(sources.get(name) ?? '');
    if (isBase) tally.baseFiles++;
    if (added(text, rt.text, 'USER') > 0) {
      tally.runtimeUser++;
      if (isBase) throw new Error(`--runtime added a USER to a base or toolchain image (${sources.get(name)})`);
    }
    if (added(text, rt.text, 'FROM') > 0) {
      tally.runtimeFrom++;
      if (isBase) throw new Error(`--runtime added a FROM (a runner stage) to a base or toolchain image (${sources.get(name)})`);
    }
    const rt2 = await runPipeline(rt.text, { ...opts, runtime: true });
    if (rt2.text !== rt.text) throw new Error(`not idempotent with --runtime (${rt2.outcomes.filter((o) => o.kind === 'rewrite').map((o) => `${o.transform}:${o.line}`).join(', ')})`);
  } catch (e) {
    // a file dockeropt rejects as invalid must be one BuildKit rejects too (never a valid file refused)
    const message = (e as Error).message;
    if (message.startsWith('is not a valid Dockerfile') && (hasBkparse ? bkErrors(text) !== null : duErrors(text).length > 0)) { rejected++; continue; }
    failed++;
    problems.push(`${name}: ${message}`);
  }
}
rmSync(tmp, { recursive: true, force: true });
// the base-image check must have had files to check: SOURCES.tsv names the corpus files by their file name
if (sources.size > 0 && tally.baseFiles === 0) {
  failed++;
  problems.push('SOURCES.tsv names no file of the base and toolchain image repositories: the --runtime base-image check checked nothing');
}
for (const p of problems) console.error(`corpus: ${p}`);
console.log(`corpus: ${files} files, ${changed} changed, ${refused} refused, ${rejected} rejected as invalid (the parser agrees), ${failed} failed${hasBkparse ? ' (parse oracle: bkparse)' : ' (parse oracle: dockerfile-utils)'}`);
console.log(`corpus: ${diffs} diffs (default and --runtime runs) byte-identical to the diff library's (built in ${Math.round(diffMs.ours)} ms from the recorded changes; the library's search: ${Math.round(diffMs.library)} ms)`);
console.log(`corpus: USER added in ${tally.plainUser} files and FROM in ${tally.plainFrom} by default; with --runtime USER in ${tally.runtimeUser}, FROM in ${tally.runtimeFrom} (none of the ${tally.baseFiles} base and toolchain image files)`);
process.exit(failed ? 1 : 0);
