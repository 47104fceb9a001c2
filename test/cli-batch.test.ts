// Issue 16, batch at scale: one CLI test per item, each spawning the real binary (bin/dockeropt.js).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cleanup, tree } from './helpers/tmp.js';

const tmpDir = () => mkdtempSync(join(tmpdir(), 'dockeropt-help-'));
const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';
const M = ['--only', 'merge-run'];

const discovery = suite('cli: discovery names (Renovate\'s defaults)');
discovery('finds Dockerfile, dockerfile, Dockerfile.x/-x/_x, x.Dockerfile, x.dockerfile and the Containerfile variants', () => {
  const names = ['Dockerfile', 'dockerfile', 'Dockerfile.prod', 'Dockerfile-windows', 'Dockerfile_arm', 'api.Dockerfile', 'web.dockerfile',
    'Containerfile', 'containerfile', 'Containerfile.dev', 'Containerfile-x', 'Containerfile_y', 'a.Containerfile', 'b.containerfile'];
  const dir = tree({ ...Object.fromEntries(names.map((n, i) => [`d${String(i).padStart(2, '0')}/${n}`, MERGEABLE])), 'z/Dockerfile.dockerignore': 'x\n', 'z/Dockerfiles.md': 'x', 'z/MyDockerfile': 'x',
    // a directory named like a Dockerfile (buildkit's frontend/dockerfile) is searched, not reported
    'zz/dockerfile/cmd/README.md': 'x', 'zz/dockerfile-utils/Dockerfile': MERGEABLE });
  const r = cli([...M, '--check'], dir);
  assert.is(r.status, 1, r.stderr);
  assert.is(r.stdout, names.map((n, i) => `d${String(i).padStart(2, '0')}/${n}\n`).join('') + 'zz/dockerfile-utils/Dockerfile\n');
  assert.is(r.stderr.includes('is a directory'), false, r.stderr);
  cleanup(dir);
});
discovery.run();

const nothing = suite('cli: nothing matched, ignored files named');
nothing('an empty directory is an error on stderr with exit 2, under --check too', () => {
  const dir = tree({ 'empty/README.md': 'x' });
  for (const args of [['empty'], ['--check', 'empty'], ['--write', 'empty']]) {
    const r = cli([...M, ...args], dir);
    assert.is(r.status, 2, args.join(' '));
    assert.ok(r.stderr.includes('dockeropt: empty: no Dockerfile found in this directory'), r.stderr);
    assert.not.ok((r.stdout + r.stderr).includes('All Dockerfiles are optimized'));
  }
  const g = cli([...M, '--check', 'svc/*/Dockerfile'], dir);
  assert.is(g.status, 2);
  assert.ok(g.stderr.includes('no files match this pattern'));
  cleanup(dir);
});
nothing('a file named on the command line that .dockeroptignore excludes is reported as ignored, with the pattern', () => {
  const dir = tree({ '.dockeroptignore': '# legacy\nlegacy/\n', 'legacy/Dockerfile': MERGEABLE, 'app/Dockerfile': MERGEABLE });
  const r = cli([...M, 'legacy/Dockerfile', 'app/Dockerfile'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes('dockeropt: legacy/Dockerfile: ignored (.dockeroptignore:2 "legacy/")'), r.stderr);
  assert.ok(r.stdout.includes('app/Dockerfile'));
  const only = cli([...M, '--check', 'legacy'], dir);
  assert.is(only.status, 2);
  assert.ok(only.stderr.includes('every Dockerfile found (1) is ignored'), only.stderr);
  cleanup(dir);
});
nothing.run();

const stderr = suite('cli: errors go to stderr in every mode');
stderr('a failed file never appears on stdout: the patch stays clean, the error is visible', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': Buffer.from('FROM x\0\n') });
  for (const args of [[], ['--write'], ['--check'], ['--format', 'json'], ['--format', 'sarif'], ['--format', 'github'], ['--quiet']]) {
    const d = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': Buffer.from('FROM x\0\n') });
    const r = cli([...M, ...args], d);
    assert.is(r.status, 2, args.join(' '));
    assert.ok(r.stderr.includes('dockeropt: b/Dockerfile:1: looks like a binary file'), `${args.join(' ')}: ${r.stderr}`);
    if (args.length === 0 || args[0] === '--quiet') assert.not.ok(r.stdout.includes('binary'), args.join(' '));
    cleanup(d);
  }
  const patch = cli([...M, '--quiet'], dir);
  assert.ok(patch.stdout.startsWith('--- a/a/Dockerfile\n'));
  cleanup(dir);
});
stderr.run();

const summary = suite('cli: summary and exit code agree');
summary('a file with an error outcome counts as failed; the summary ends with the headline', () => {
  // pin-digests against a registry that refuses connections: an error outcome on the FROM line
  const dir = tree({ Dockerfile: 'FROM 127.0.0.1:9/base:1\nRUN echo a\n' });
  const r = cli(['--only', 'pin-digests', '--insecure-registry', '127.0.0.1:9', '--registry-timeout', '1'], dir);
  assert.is(r.status, 2, r.stdout + r.stderr);
  const last = r.stdout.trimEnd().split('\n').pop()!;
  assert.is(last, '1 file scanned: 0 would change, 0 unchanged, 1 failed');
  assert.ok(r.stderr.includes('Dockerfile:1: pin-digests:'), r.stderr);
  cleanup(dir);
});
summary('files declined in interactive review are counted as declined', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE });
  const r = cli([...M, '--interactive'], dir, {}, 'n\ny\n');
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.trimEnd().endsWith('2 files scanned: 1 written, 0 unchanged, 0 failed, 1 declined'), r.stdout);
  cleanup(dir);
});
summary.run();

const readOnly = suite('cli: read-only files, --diff-out');
readOnly('a read-only file is not replaced by --write, even in a writable directory: EACCES, exit 2', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE });
  chmodSync(join(dir, 'a/Dockerfile'), 0o444);
  const r = cli([...M, '--write'], dir);
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('dockeropt: a/Dockerfile: not written (EACCES): the file is read-only'), r.stderr);
  assert.is(readFileSync(join(dir, 'a/Dockerfile'), 'utf8'), MERGEABLE);
  assert.ok(readFileSync(join(dir, 'b/Dockerfile'), 'utf8') !== MERGEABLE);
  cleanup(dir);
});
readOnly('--diff-out\'s target is checked before anything is written; the run says where it wrote the patch', () => {
  const dir = tree({ Dockerfile: MERGEABLE });
  const bad = cli([...M, '--write', '--diff-out', 'no/such/dir/x.patch'], dir);
  assert.is(bad.status, 2);
  assert.ok(bad.stderr.includes('--diff-out no/such/dir/x.patch: its directory no/such/dir does not exist'), bad.stderr);
  assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), MERGEABLE);
  const isDir = cli([...M, '--diff-out', '.'], dir);
  assert.is(isDir.status, 2);
  assert.ok(isDir.stderr.includes('--diff-out .: is a directory'));
  const ok = cli([...M, '--diff-out', 'c.patch'], dir);
  assert.is(ok.status, 0, ok.stderr);
  assert.ok(ok.stderr.includes('dockeropt: wrote the patch of 1 file to c.patch'), ok.stderr);
  assert.ok(readFileSync(join(dir, 'c.patch'), 'utf8').startsWith('--- a/Dockerfile'));
  cleanup(dir);
});
readOnly.run();

const pragmas = suite('cli: pragmas');
pragmas('an unknown transform id in # dockeropt ignore= is a warning naming it and the closest known one', () => {
  const dir = tree({ Dockerfile: 'FROM debian:12\n# dockeropt ignore=merge-runs\nRUN a\nRUN b\n' });
  const r = cli(M, dir);
  assert.ok(r.stderr.includes('dockeropt: Dockerfile:2: warning: unknown transform "merge-runs" in # dockeropt ignore= (did you mean merge-run?)'), r.stderr);
  cleanup(dir);
});
pragmas.run();

const typed = suite('cli: what people type');
typed('did-you-mean for mistyped flags and transform ids', () => {
  const dir = tree({ Dockerfile: MERGEABLE });
  const f = cli(['--chek'], dir);
  assert.is(f.status, 2);
  assert.ok(f.stderr.includes("Unknown option '--chek'") && f.stderr.includes('Did you mean --check?'), f.stderr);
  const t = cli(['--only', 'merge-runs'], dir);
  assert.is(t.status, 2);
  assert.ok(t.stderr.includes('unknown transform "merge-runs" (did you mean merge-run?)'), t.stderr);
  cleanup(dir);
});
typed('-l / --list-different is --check', () => {
  const dir = tree({ Dockerfile: MERGEABLE });
  for (const flag of ['-l', '--list-different']) {
    const r = cli([...M, flag], dir);
    assert.is(r.status, 1);
    assert.is(r.stdout, 'Dockerfile\n');
  }
  cleanup(dir);
});
typed.run();

const output = suite('cli: output that scales');
output('--write prints one line per written file and the summary; --diff also prints the diffs', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE, 'c/Dockerfile': 'FROM debian:12\n' });
  const r = cli([...M, '--write'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'a/Dockerfile: written (merge-run)\nb/Dockerfile: written (merge-run)\n  merge-run: 2 applied, 0 refused\n'
    + 'impact: final-stage layers 4 -> 2, 0 installs no longer re-run on a source change\n3 files scanned: 2 written, 1 unchanged, 0 failed\n');
  const d = tree({ Dockerfile: MERGEABLE });
  const w = cli([...M, '--write', '--diff'], d);
  assert.ok(w.stdout.startsWith('Dockerfile\n  [build-only] merge-run:2 '), w.stdout);
  assert.ok(w.stdout.includes('--- a/Dockerfile\n+++ b/Dockerfile\n'));
  assert.is(cli([...M, '--diff'], d).status, 2);
  cleanup(dir); cleanup(d);
});
output('dry run: each file\'s header first, then its changes, then its diff; the summary ends with the headline', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE });
  const r = cli(M, dir);
  const a = r.stdout.indexOf('a/Dockerfile\n  [build-only] merge-run:2 '), ad = r.stdout.indexOf('--- a/a/Dockerfile'), b = r.stdout.indexOf('b/Dockerfile\n  [build-only]');
  assert.ok(a === 0 && ad > a && b > ad, r.stdout);
  assert.ok(r.stdout.endsWith('2 files scanned: 2 would change, 0 unchanged, 0 failed\n'), r.stdout);
  cleanup(dir);
});
output('refusal reasons are grouped per transform with counts; --verbose lists every site and the per-directory lines', () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 3; i++) files[`s${i}/Dockerfile`] = 'FROM debian:12\nRUN echo a\nRUN ["echo", "b"]\n';
  const dir = tree(files);
  const r = cli(M, dir);
  assert.ok(/ {2}merge-run: 0 applied, 3 refused\n {4}3× .+\n3 files scanned/.test(r.stdout), r.stdout);
  assert.not.ok(r.stdout.includes('by directory'));
  const v = cli([...M, '--verbose'], dir);
  for (let i = 0; i < 3; i++) assert.ok(v.stdout.includes(`s${i}/Dockerfile\n  [skipped] merge-run:`), v.stdout);
  assert.ok(v.stdout.includes('by directory:'));
  cleanup(dir);
});
output('sarif and github report pending rewrites and errors by default; refusals and notes only with --report-refusals', () => {
  const dir = tree({ Dockerfile: 'FROM debian:12\nRUN echo a\nRUN echo b\nRUN ["echo", "c"]\n' });
  const g = cli([...M, '--format', 'github'], dir);
  assert.ok(g.stdout.includes('::warning file=Dockerfile,line=2'), g.stdout);
  assert.not.ok(g.stdout.includes('::notice'));
  assert.ok(cli([...M, '--format', 'github', '--report-refusals'], dir).stdout.includes('::notice file=Dockerfile'));
  const levels = (args: string[]) => (JSON.parse(cli([...M, '--format', 'sarif', ...args], dir).stdout).runs[0].results as { level: string }[]).map((x) => x.level);
  assert.equal(levels([]), ['warning']);
  assert.equal(levels(['--report-refusals']).sort(), ['note', 'warning']);
  cleanup(dir);
});
output.run();

const invalid = suite('cli: invalid Dockerfiles are reported, not rewritten');
// each case is what BuildKit's own parser rejects (checked with ../shared/tools/bkparse -q): the message
// names the line and what is wrong, exit 2, nothing written, never "internal error"
const INVALID: [string, string, string][] = [
  ['FROM debian:12\nFORM x\nRUN a\nRUN b\n', '2', 'unknown instruction: FORM (did you mean FROM?)'],
  ['FROM\nRUN a\nRUN b\n', '1', 'FROM requires either one or three arguments'],
  ['FROM a b c\nRUN a\nRUN b\n', '1', 'FROM requires either one or three arguments'],
  ['FROM debian:12\nCOPY onlyone\nRUN a\nRUN b\n', '2', 'COPY requires at least two arguments'],
  ['FROM debian:12\nRUN a\nRUN b\nWORKDIR\n', '4', 'WORKDIR requires an argument'],
  ['LABEL a=b\nFROM debian:12\nRUN a\nRUN b\n', '1', 'LABEL before the first FROM: no build stage in current context'],
];
invalid('an unknown instruction, a FROM without an image, missing arguments: file:line: what is wrong', () => {
  for (const [text, line, message] of INVALID) {
    const dir = tree({ Dockerfile: text });
    const r = cli([...M, '--write'], dir);
    assert.is(r.status, 2, text);
    assert.ok(r.stderr.includes(`dockeropt: Dockerfile:${line}: is not a valid Dockerfile: ${message}`), r.stderr);
    assert.not.ok(r.stderr.includes('internal error'));
    assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), text);
    cleanup(dir);
  }
});
invalid('UTF-16 is named as UTF-16, not binary', () => {
  const dir = tree({ 'le/Dockerfile': Buffer.from('\ufeffFROM debian:12\nRUN a\n', 'utf16le'), 'nobom/Dockerfile': Buffer.from('FROM debian:12\n', 'utf16le') });
  const r = cli(M, dir);
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('dockeropt: le/Dockerfile: is UTF-16 text (UTF-16LE), not UTF-8; skipped (convert it to UTF-8, e.g. iconv -f UTF-16LE -t UTF-8)'), r.stderr);
  assert.ok(r.stderr.includes('dockeropt: nobom/Dockerfile: is UTF-16 text (UTF-16LE)'), r.stderr);
  assert.not.ok(r.stderr.includes('binary'));
  cleanup(dir);
});
invalid.run();

const syntax = suite('cli: the # syntax= directive');
const APT = 'FROM debian:12\nRUN apt-get update && apt-get install -y curl\n';
syntax('is not added by default; --syntax-directive adds it; after a UTF-8 BOM the outcome says why it is not', () => {
  const dir = tree({ Dockerfile: APT, 'bom/Dockerfile': '\ufeff' + APT });
  const plain = cli(['--only', 'cache-mounts', 'Dockerfile'], dir);
  assert.is(plain.status, 0, plain.stderr);
  assert.ok(plain.stdout.includes('--mount=type=cache'), plain.stdout);
  assert.not.ok(plain.stdout.includes('# syntax='));
  const asked = cli(['--only', 'cache-mounts', '--syntax-directive', 'Dockerfile'], dir);
  assert.ok(asked.stdout.includes('+# syntax=docker/dockerfile:1\n'), asked.stdout);
  const bom = cli(['--only', 'cache-mounts', '--syntax-directive', 'bom/Dockerfile'], dir);
  assert.not.ok(bom.stdout.includes('+# syntax='));
  assert.ok(bom.stdout.includes('# syntax=docker/dockerfile:1 is not added: the file starts with a UTF-8 byte-order mark'), bom.stdout);
  cleanup(dir);
});
syntax('--drop-bom removes the BOM only when the directive is added, so BuildKit sees it; a second run changes nothing', () => {
  const dir = tree({ 'bom/Dockerfile': '\ufeff' + APT, 'other/Dockerfile': '\ufeffFROM debian:12\nRUN echo hi\n' });
  const w = cli(['--only', 'cache-mounts', '--syntax-directive', '--drop-bom', '--write', '.'], dir);
  assert.is(w.status, 0, w.stderr);
  const out = readFileSync(join(dir, 'bom/Dockerfile'), 'utf8');
  assert.ok(out.startsWith('# syntax=docker/dockerfile:1\nFROM debian:12\n'), JSON.stringify(out));
  // nothing to add there: its BOM stays
  assert.is(readFileSync(join(dir, 'other/Dockerfile'), 'utf8'), '\ufeffFROM debian:12\nRUN echo hi\n');
  const again = cli(['--only', 'cache-mounts', '--syntax-directive', '--drop-bom', '--check', '.'], dir);
  assert.is(again.status, 0, again.stdout + again.stderr);
  // without --syntax-directive the option does nothing
  const d2 = tree({ Dockerfile: '\ufeff' + APT });
  cli(['--only', 'cache-mounts', '--drop-bom', '--write', '.'], d2);
  assert.ok(readFileSync(join(d2, 'Dockerfile'), 'utf8').startsWith('\ufeffFROM debian:12\nRUN --mount=type=cache'));
  cleanup(dir); cleanup(d2);
});
syntax('a one-line RUN whose mounts would make it longer than 120 characters gets them on continuation lines', () => {
  const long = 'FROM python:3.12\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev curl git && pip install --no-cache-dir -r requirements.txt\n';
  const dir = tree({ Dockerfile: long, 'requirements.txt': 'flask\n' });
  const r = cli(['--only', 'cache-mounts', 'Dockerfile'], dir);
  assert.is(r.status, 0, r.stderr);
  const added = r.stdout.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
  assert.ok(added.length >= 3, r.stdout);
  assert.ok(added.every((l) => l.length <= 121 || !l.includes('--mount')), r.stdout);
  assert.ok(added[0]!.startsWith('+RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\'), r.stdout);
  cleanup(dir);
});
syntax.run();

const stdin = suite('cli: --stdin-filepath, --print-config, .gitignore, --help, interactive');
stdin('--stdin-filepath reads stdin, uses PATH for config and messages, prints the result; --check gives only the exit code', () => {
  const dir = tree({ 'svc/.dockeroptrc.json': JSON.stringify({ only: ['merge-run'] }), '.dockeroptignore': 'legacy/\n' });
  const r = cli(['--stdin-filepath', 'svc/Dockerfile'], dir, {}, MERGEABLE);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y curl\n');
  const c = cli(['--stdin-filepath', 'svc/Dockerfile', '--check'], dir, {}, MERGEABLE);
  assert.is(c.status, 1);
  assert.is(c.stdout, '');
  const bad = cli(['--stdin-filepath', 'svc/Dockerfile'], dir, {}, 'FROM debian:12\nFORM x\n');
  assert.is(bad.status, 2);
  assert.is(bad.stdout, '');
  assert.ok(bad.stderr.includes('dockeropt: svc/Dockerfile:2: is not a valid Dockerfile: unknown instruction: FORM'), bad.stderr);
  const ig = cli(['--stdin-filepath', 'legacy/Dockerfile'], dir, {}, MERGEABLE);
  assert.is(ig.stdout, MERGEABLE);
  assert.ok(ig.stderr.includes('legacy/Dockerfile: ignored (.dockeroptignore:1 "legacy/")'), ig.stderr);
  cleanup(dir);
});
stdin('--print-config FILE shows the configuration that applies and where it came from', () => {
  const dir = tree({ 'svc/.dockeroptrc.json': JSON.stringify({ only: ['merge-run', 'cache-mounts'], options: { 'cache-mounts': { syntaxDirective: true } } }), 'svc/Dockerfile': MERGEABLE });
  const r = cli(['--print-config', 'svc/Dockerfile'], dir);
  assert.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.configFile, 'svc/.dockeroptrc.json');
  assert.equal([...doc.transforms].sort(), ['cache-mounts', 'merge-run']);
  assert.is(doc.options['cache-mounts'].syntaxDirective, true);
  assert.is(doc.ignored, null);
  cleanup(dir);
});
stdin('.gitignore is honoured by directory discovery; --no-gitignore turns it off', () => {
  const dir = tree({ '.gitignore': 'build/\n', 'build/Dockerfile': MERGEABLE, 'app/Dockerfile': MERGEABLE });
  assert.is(cli([...M, '--check'], dir).stdout, 'app/Dockerfile\n');
  assert.is(cli([...M, '--check', '--no-gitignore'], dir).stdout, 'app/Dockerfile\nbuild/Dockerfile\n');
  // in a git repository, git decides (nested .gitignore files too)
  spawnSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(join(dir, 'app/.gitignore'), 'Dockerfile\n');
  assert.is(cli([...M, '--check'], dir).status, 2, 'nothing left: every Dockerfile is ignored');
  assert.is(cli([...M, '--check', 'app/Dockerfile'], dir).stdout, 'app/Dockerfile\n', 'a file named on the command line is taken');
  cleanup(dir);
});
stdin('--help lists each flag once and wraps its lines', () => {
  const r = cli(['--help'], tmpDir());
  const flags = [...r.stdout.matchAll(/^ {2}(?:-\w, | {4})(--[\w-]+)/gm)].map((m) => m[1]!);
  assert.ok(flags.includes('--jobs') && flags.includes('--stdin-filepath'));
  assert.equal(flags.filter((f, i) => flags.indexOf(f) !== i), []);
  assert.ok(/--jobs N .*; \[pin-digests\] registry/.test(r.stdout), 'a shared flag says what it also does');
  for (const l of r.stdout.split('\n')) assert.ok(l.length <= 100, l);
});
stdin('interactive: [a]ll names the transforms it accepts, ? shows the choices', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE });
  const r = cli([...M, '--interactive'], dir, {}, '?\na\n');
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes('[y]es / [n]o / [a]ll of merge-run / [q]uit / [?] help? '), r.stdout);
  assert.ok(r.stdout.includes('  a  all: accept this and every later change of merge-run, without asking again'));
  assert.ok(r.stdout.includes('b/Dockerfile: accepted (all of merge-run)'));
  assert.not.ok(readFileSync(join(dir, 'b/Dockerfile'), 'utf8') === MERGEABLE);
  cleanup(dir);
});
stdin.run();
