import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filePatch, unifiedPatch } from '../src/patch.js';
import { optimize } from '../src/index.js';
import { mergeRun } from '../transforms/merge-run.js';
import { cleanup, cli, tree } from './helpers/tmp.js';

const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';
const MERGED = 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y curl\n';

function git(cwd: string, ...args: string[]) {
  const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A git repository with one commit holding these files. */
function repo(files: Record<string, string | Buffer>): string {
  const dir = tree(files);
  git(dir, 'init', '-q');
  git(dir, 'config', 'core.autocrlf', 'false');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

const FILES = {
  'services/api/Dockerfile': MERGEABLE,
  'services/web/Dockerfile': MERGEABLE.replace(/\n/g, '\r\n'),
  'services/bom/Dockerfile': '\uFEFF' + MERGEABLE,
  'services/no-eol/Dockerfile': MERGEABLE.slice(0, -1),
  'services/with space/Dockerfile': MERGEABLE,
  'services/clean/Dockerfile': 'FROM debian:12\nRUN true\n',
};

const patch = suite('--diff-out');
patch('one patch, paths relative to the repository root even when run from a subdirectory, that git apply takes', () => {
  const dir = repo(FILES);
  const r = cli(['--diff-out', '../changes.patch', '--only', 'merge-run', '.'], join(dir, 'services'));
  assert.is(r.status, 0, r.stderr);
  const p = readFileSync(join(dir, 'changes.patch'), 'utf8');
  assert.ok(p.startsWith('--- a/services/api/Dockerfile\n+++ b/services/api/Dockerfile\n'), p);
  assert.ok(p.includes('--- a/services/with space/Dockerfile\n'));
  assert.not.ok(p.includes('services/clean'));
  const check = git(dir, 'apply', '--check', '-v', 'changes.patch');
  assert.is(check.status, 0, check.out);
  // applying the patch gives exactly what --write writes
  const copy = mkdtempSync(join(tmpdir(), 'dockeropt-test-'));
  cpSync(dir, copy, { recursive: true });
  assert.is(git(dir, 'apply', 'changes.patch').status, 0);
  assert.is(cli(['--write', '--only', 'merge-run', 'services'], copy).status, 0);
  for (const f of Object.keys(FILES)) assert.is(readFileSync(join(dir, f), 'utf8'), readFileSync(join(copy, f), 'utf8'), f);
  assert.is(readFileSync(join(dir, 'services/web/Dockerfile'), 'utf8'), MERGED.replace(/\n/g, '\r\n'));
  assert.is(readFileSync(join(dir, 'services/bom/Dockerfile'), 'utf8'), '\uFEFF' + MERGED);
  cleanup(dir);
  cleanup(copy);
});
patch('outside a git repository the paths are relative to the working directory; no change gives an empty patch', async () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE });
  const r = await optimize({ cwd: dir, transforms: [mergeRun], config: false });
  assert.is(r.root, dir);
  assert.ok(unifiedPatch(r.files, { cwd: dir, root: r.root }).startsWith('--- a/a/Dockerfile\n+++ b/a/Dockerfile\n@@ -1,3 +1,3 @@\n'));
  const clean = tree({ Dockerfile: 'FROM x\n' });
  assert.is(cli(['--diff-out', 'out.patch', '--only', 'merge-run'], clean).status, 0);
  assert.is(readFileSync(join(clean, 'out.patch'), 'utf8'), '');
  cleanup(dir);
  cleanup(clean);
});
patch('the patch keeps a BOM in the context so git can match line 1', () => {
  const p = filePatch('Dockerfile', '\uFEFFFROM a\nRUN x\n', '\uFEFFFROM a\nRUN y\n');
  assert.ok(p.includes('\n \uFEFFFROM a\n'));
});
patch('with --interactive the patch holds only the accepted changes', () => {
  const dir = repo({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE });
  const r = cli(['-i', '--only', 'merge-run', '--diff-out', 'accepted.patch'], dir, {}, 'y\nn\n');
  assert.is(r.status, 0, r.stderr);
  const p = readFileSync(join(dir, 'accepted.patch'), 'utf8');
  assert.ok(p.includes('a/a/Dockerfile'));
  assert.not.ok(p.includes('b/Dockerfile'));
  git(dir, 'stash', '-q');
  assert.is(git(dir, 'apply', '--check', 'accepted.patch').status, 0);
  cleanup(dir);
});
patch('a patch file that cannot be written is an error (exit 2)', () => {
  const dir = tree({ Dockerfile: MERGEABLE });
  const r = cli(['--diff-out', 'missing-dir/x.patch', '--only', 'merge-run'], dir);
  assert.is(r.status, 2);
  // checked before anything runs or is written
  assert.ok(r.stderr.includes('--diff-out missing-dir/x.patch: its directory missing-dir does not exist or is not writable (ENOENT)'), r.stderr);
  cleanup(dir);
});
patch.run();
