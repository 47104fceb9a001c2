import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cli, cleanup, tree } from './helpers/tmp.js';

const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';
const MERGED = 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y curl\n';
const CLEAN = 'FROM debian:12\nRUN apt-get update && apt-get install -y curl\n';
/** Most tests pin the transform so their expected diffs stay exact as transforms are added. */
const M = ['--only', 'merge-run'];
/** Only merge-run has something to do here, even in the default pipeline. */
const ONLY_MERGE = 'FROM debian:12\nRUN echo a\nRUN echo b\nUSER 1001\n';

function filesIn(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e), r = rel ? `${rel}/${e}` : e;
      if (statSync(p).isDirectory()) walk(p, r); else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

const dry = suite('cli: dry run');
dry('prints a labelled unified diff and a summary, writes nothing, exits 0', () => {
  const dir = tree({ 'svc/Dockerfile': MERGEABLE });
  const r = cli(M, dir);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes('[build-only] merge-run:2 merges 2 consecutive RUN instructions'));
  assert.ok(r.stdout.includes('--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n'));
  assert.ok(r.stdout.includes('-RUN apt-get update\n-RUN apt-get install -y curl\n+RUN apt-get update \\\n+    && apt-get install -y curl\n'));
  assert.ok(r.stdout.includes('1 file scanned: 1 would change, 0 unchanged, 0 failed'));
  assert.is(readFileSync(join(dir, 'svc/Dockerfile'), 'utf8'), MERGEABLE);
  cleanup(dir);
});
dry('finds every Dockerfile name below a directory, sorted, skipping node_modules and .git', () => {
  const dir = tree({
    'b/Dockerfile': MERGEABLE, 'a/Dockerfile.prod': MERGEABLE, 'c/api.Dockerfile': MERGEABLE, 'd/Containerfile': MERGEABLE,
    'e/web.dockerfile': MERGEABLE, 'f/Containerfile.dev': MERGEABLE, 'node_modules/x/Dockerfile': MERGEABLE,
    '.git/Dockerfile': MERGEABLE, 'g/Dockerfile.dockerignore': 'node_modules\n', 'h/README.md': 'x',
  });
  const r = cli([...M, '--check'], dir);
  assert.is(r.status, 1);
  assert.is(r.stdout, 'a/Dockerfile.prod\nb/Dockerfile\nc/api.Dockerfile\nd/Containerfile\ne/web.dockerfile\nf/Containerfile.dev\n');
  cleanup(dir);
});
dry('does not follow symlinked directories', () => {
  const dir = tree({ 'real/Dockerfile': MERGEABLE });
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  const r = cli([...M, '--check'], dir);
  assert.is(r.stdout, 'real/Dockerfile\n');
  cleanup(dir);
});
dry('a file path means that file whatever its name; a glob selects files', () => {
  const dir = tree({ 'build/odd-name': MERGEABLE, 'x/Dockerfile': MERGEABLE, 'y/Dockerfile': CLEAN });
  assert.is(cli([...M, '--check', 'build/odd-name'], dir).stdout, 'build/odd-name\n');
  assert.is(cli([...M, '--check', '*/Dockerfile'], dir).stdout, 'x/Dockerfile\n');
  cleanup(dir);
});
dry('colour only when asked: FORCE_COLOR on, NO_COLOR off', () => {
  const dir = tree({ Dockerfile: MERGEABLE });
  assert.ok(cli(M, dir, { FORCE_COLOR: '1', NO_COLOR: '' }).stdout.includes('\u001b[32m+'));
  assert.not.ok(cli(M, dir, { NO_COLOR: '1' }).stdout.includes('\u001b['));
  cleanup(dir);
});
dry.run();

const write = suite('cli: --write');
write('writes the change, keeps the mode, and a second run finds nothing', () => {
  const dir = tree({ Dockerfile: MERGEABLE });
  chmodSync(join(dir, 'Dockerfile'), 0o640);
  const r = cli([...M, '--write'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes('1 written'));
  assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), MERGED);
  assert.is(statSync(join(dir, 'Dockerfile')).mode & 0o777, 0o640);
  const again = cli([...M, '--check'], dir);
  assert.is(again.status, 0);
  assert.is(again.stdout, '');
  cleanup(dir);
});
write('keeps CRLF and the BOM byte-for-byte', () => {
  const dir = tree({ Dockerfile: '\uFEFF' + MERGEABLE.replace(/\n/g, '\r\n') });
  assert.is(cli([...M, '--write'], dir).status, 0);
  assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), '\uFEFF' + MERGED.replace(/\n/g, '\r\n'));
  cleanup(dir);
});
write('does not touch unchanged files (mtime kept) and leaves no temp files', () => {
  const dir = tree({ 'a/Dockerfile': CLEAN, 'b/Dockerfile': MERGEABLE });
  const before = statSync(join(dir, 'a/Dockerfile')).mtimeMs;
  cli([...M, '--write'], dir);
  assert.is(statSync(join(dir, 'a/Dockerfile')).mtimeMs, before);
  assert.equal(filesIn(dir), ['a/Dockerfile', 'b/Dockerfile']);
  cleanup(dir);
});
write('honours # dockeropt ignore-file', () => {
  const text = '# dockeropt ignore-file\n' + MERGEABLE;
  const dir = tree({ Dockerfile: text });
  const r = cli([...M, '--write'], dir);
  assert.is(r.status, 0);
  assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), text);
  assert.ok(r.stdout.includes('1 ignored'));
  cleanup(dir);
});
write.run();

const check = suite('cli: --check and exit codes');
check('exit 1 and file names when changes are pending; 0 when clean', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': CLEAN });
  const r = cli([...M, '--check'], dir);
  assert.is(r.status, 1);
  assert.is(r.stdout, 'a/Dockerfile\n');
  assert.ok(r.stderr.includes('1 file would be rewritten'));
  assert.is(cli([...M, '--check', 'b'], dir).status, 0);
  cleanup(dir);
});
check('usage errors exit 2 with a sentence', () => {
  const dir = tree({ Dockerfile: CLEAN });
  const unknown = cli(['--only', 'nope'], dir);
  assert.is(unknown.status, 2);
  assert.ok(unknown.stderr.includes('unknown transform "nope"'));
  const both = cli(['--check', '--write'], dir);
  assert.is(both.status, 2);
  assert.ok(both.stderr.includes('--check and --write cannot be used together'));
  const flag = cli(['--frobnicate'], dir);
  assert.is(flag.status, 2);
  assert.ok(flag.stderr.includes("Unknown option '--frobnicate'"));
  const same = cli(['--only', 'merge-run', '--skip', 'merge-run'], dir);
  assert.is(same.status, 2);
  cleanup(dir);
});
check('--skip merge-run leaves the file alone; --only merge-run runs it', () => {
  const dir = tree({ Dockerfile: ONLY_MERGE });
  assert.is(cli(['--check', '--skip', 'merge-run'], dir).status, 0);
  assert.is(cli(['--check', '--only', 'merge-run'], dir).status, 1);
  cleanup(dir);
});
check('--list, --help and --version', () => {
  const dir = tree({});
  const list = cli(['--list'], dir);
  assert.is(list.status, 0);
  assert.ok(/^merge-run\s+build-only\s+Merge consecutive RUN/m.test(list.stdout));
  assert.ok(cli(['--help'], dir).stdout.startsWith('Usage: dockeropt'));
  assert.ok(/^\d+\.\d+\.\d+\n$/.test(cli(['--version'], dir).stdout));
  cleanup(dir);
});

check('the default pipeline labels each change: build-only, runtime for a new user', () => {
  const dir = tree({ Dockerfile: 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nCMD ["curl", "--version"]\n' });
  const r = cli(['--runtime'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes('[build-only] merge-run:2'), r.stdout);
  assert.ok(r.stdout.includes('[build-only] cache-mounts:'), r.stdout);
  assert.ok(r.stdout.includes('[runtime] non-root:'), r.stdout);
  assert.ok(r.stdout.includes('+USER 1001'));
  assert.not.ok(r.stdout.includes('pin-digests'), '~> network transforms are opt-in');
  cleanup(dir);
});
check('a plain run holds runtime changes back, counts them in the summary, and --check agrees with --write', () => {
  const text = 'FROM debian:12\nCOPY app /usr/local/bin/app\nCMD ["app"]\n';
  const dir = tree({ Dockerfile: text });
  const r = cli([], dir);
  assert.is(r.status, 0, r.stderr);
  assert.not.ok(r.stdout.includes('+USER 1001'), r.stdout);
  assert.ok(r.stdout.includes('1 runtime change not applied (non-root ×1); review it and pass --runtime'), r.stdout);
  // only a runtime change is pending: --write would change nothing, so --check passes (and says what is held back)
  const c = cli(['--check'], dir);
  assert.is(c.status, 0, c.stderr);
  assert.ok(c.stderr.includes('1 runtime change not applied (non-root ×1)'), c.stderr);
  assert.is(cli(['--write'], dir).status, 0);
  assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), text);
  // with --runtime both see the change
  assert.is(cli(['--check', '--runtime'], dir).status, 1);
  assert.is(cli(['--write', '--runtime'], dir).status, 0);
  assert.ok(readFileSync(join(dir, 'Dockerfile'), 'utf8').includes('USER 1001\nCMD'));
  assert.is(cli(['--check', '--runtime'], dir).status, 0);
  // --safe-only is accepted (it is the default) and cannot be combined with --runtime
  assert.is(cli(['--safe-only'], dir).status, 0);
  const both = cli(['--safe-only', '--runtime'], dir);
  assert.is(both.status, 2);
  assert.ok(both.stderr.includes('--runtime and --safe-only cannot be used together'), both.stderr);
  cleanup(dir);
});
check('--target names the stage that ships: the USER goes there, other runnable stages get a note', () => {
  const dir = tree({ Dockerfile: 'FROM debian:12 AS app\nCOPY app /usr/local/bin/app\nCMD ["app"]\n\nFROM debian:12 AS debug\nCOPY app /usr/local/bin/app\nCMD ["app", "--debug"]\n' });
  const r = cli(['--runtime', '--target', 'app', '--only', 'non-root', '--json'], dir);
  const f = (JSON.parse(r.stdout) as { files: { diff: string; outcomes: { kind: string; line: number; message?: string }[] }[] }).files[0]!;
  assert.ok(f.diff.includes('+USER 1001\n CMD ["app"]'), f.diff);
  assert.ok(f.outcomes.some((o) => o.kind === 'note' && o.line === 7 && /does not ship \(--target builds it\)/.test(o.message ?? '')), JSON.stringify(f.outcomes));
  const bad = cli(['--runtime', '--target', 'nope', '--only', 'non-root', '--json'], dir);
  assert.ok(bad.stdout.includes('--target nope names no stage of this Dockerfile'), bad.stdout);
  cleanup(dir);
});
check.run();

const json = suite('cli: --json');
json('one JSON document with status, outcomes and diff per file', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': 'FROM debian:12\nRUN cd /x\nRUN make\n', 'c/Dockerfile': 'FROM x\nRUN a\u0000\n' });
  const r = cli([...M, '--json'], dir);
  assert.is(r.status, 2);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.files.map((f: { file: string; status: string }) => [f.file, f.status]), [['a/Dockerfile', 'changed'], ['b/Dockerfile', 'unchanged'], ['c/Dockerfile', 'error']]);
  assert.equal(doc.files[0].outcomes, [{ transform: 'merge-run', line: 2, kind: 'rewrite', message: 'merges 2 consecutive RUN instructions (lines 2, 3) into one', safety: 'build-only' }]);
  assert.ok(doc.files[0].diff.startsWith('--- a/a/Dockerfile\n+++ b/a/Dockerfile\n@@'));
  assert.is(doc.files[1].outcomes[0].kind, 'refuse');
  assert.ok(doc.files[1].outcomes[0].reason.includes('`cd` changes the working directory'));
  assert.ok(doc.files[2].error.message.includes('NUL byte'));
  assert.equal(doc.summary.transforms['merge-run'], { applied: 1, refused: 1 });
  cleanup(dir);
});
json.run();

const bad = suite('cli: bad input');
bad('one failing file never stops the batch; exit 2; the others are still written', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x00, 0x0a]), 'c/Dockerfile': MERGEABLE });
  const r = cli([...M, '--write'], dir);
  assert.is(r.status, 2);
  assert.is(readFileSync(join(dir, 'a/Dockerfile'), 'utf8'), MERGED);
  assert.is(readFileSync(join(dir, 'c/Dockerfile'), 'utf8'), MERGED);
  // errors go to stderr, never into the diff or the summary on stdout
  assert.ok(r.stderr.includes('dockeropt: b/Dockerfile:1: looks like a binary file (it contains a NUL byte); skipped'));
  assert.not.ok(r.stdout.includes('binary'));
  cleanup(dir);
});
bad('each bad input gets a clear per-file error', () => {
  const dir = tree({ 'big/Dockerfile': 'FROM x\nRUN ' + 'a'.repeat(5 * 1024 * 1024 + 10) + '\n', 'latin/Dockerfile': Buffer.from('FROM x\nRUN echo \xe9\n', 'latin1'), 'ok/Dockerfile': CLEAN });
  mkdirSync(join(dir, 'dir/Dockerfile'), { recursive: true });
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.Dockerfile'));
  const r = cli(['--check'], dir);
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('big/Dockerfile: is 5.0 MB, over the 5 MB limit'), r.stderr);
  assert.ok(r.stderr.includes('latin/Dockerfile: is not valid UTF-8 text'), r.stderr);
  assert.ok(r.stderr.includes('dir/Dockerfile: is a directory, not a Dockerfile'), r.stderr);
  assert.ok(r.stderr.includes('dangling.Dockerfile: is a dangling symbolic link'), r.stderr);
  cleanup(dir);
});
bad('a glob that matches nothing and a missing path are errors', () => {
  const dir = tree({ Dockerfile: CLEAN });
  const r = cli(['--check', 'nothing/**/Dockerfile', 'missing-dir'], dir);
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('nothing/**/Dockerfile: no files match this pattern'), r.stderr);
  assert.ok(r.stderr.includes('missing-dir: no such file or directory'), r.stderr);
  cleanup(dir);
});
bad('a FIFO named Dockerfile is skipped with an error, not waited on', () => {
  const dir = tree({ 'ok/Dockerfile': CLEAN });
  spawnSync('mkfifo', [join(dir, 'fifo.Dockerfile')]);
  if (!existsSync(join(dir, 'fifo.Dockerfile'))) throw new Error('mkfifo is needed for this test');
  const r = cli(['--check'], dir);
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('fifo.Dockerfile: is not a regular file'), r.stderr);
  cleanup(dir);
});
bad.run();
