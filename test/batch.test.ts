/**
 * The "Done when" scenario of the batch workflow: a repository with a dozen services in subdirectories
 * (some with a config file, one that does not parse, one read-only) is checked in CI with a SARIF file
 * that validates against the schema, exported as a patch that `git apply` accepts, reviewed
 * interactively through a pipe, and configured per directory.
 *
 * Read-only: the tests run as root, so chmod does not stop a write. The read-only service is made
 * immutable with `chattr +i` (rename over it fails with EPERM even for root). Where chattr is not
 * available or the file system does not support it, the same failure is injected through the WriteFs
 * of src/write.ts via the library API instead; the test says which one ran.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { optimize } from '../src/index.js';
import { nodeWriteFs, type WriteFs } from '../src/write.js';
import { cleanup, cli, tree } from './helpers/tmp.js';
import { sarifValidator } from './helpers/batch.js';

const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';
const MERGED = 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y curl\n';
const MERGEABLE_NODE = 'FROM node:20\nWORKDIR /app\nRUN npm ci\nRUN node scripts/build.js\n';

const SERVICES: Record<string, string> = {
  // the repository's config: only merge-run, so the scenario does not move with the other transforms
  '.dockeroptrc.json': JSON.stringify({ only: ['merge-run'] }),
  '.dockeroptignore': '# generated, never edited by hand\nservices/legacy/\n',
  'services/api/Dockerfile': MERGEABLE,
  'services/auth/Dockerfile': MERGEABLE,
  'services/billing/Dockerfile': MERGEABLE_NODE,
  'services/broken/Dockerfile': 'FROM debian:12\nRUN echo "unterminated\nRUN make\n',
  'services/clean/Dockerfile': 'FROM debian:12\nRUN apt-get update && apt-get install -y curl\n',
  // per-directory configs: a different transform with an option, a skip, an ignore, a package.json key
  'services/gateway/.dockeroptrc.json': JSON.stringify({ only: ['non-root'], runtime: true, options: { 'non-root': { user: '10001' } } }),
  'services/gateway/Dockerfile': 'FROM debian:12\nRUN apt-get update\nCMD ["gateway"]\n',
  'services/legacy/Dockerfile': MERGEABLE,
  'services/payments/dockeropt.config.json': JSON.stringify({ skip: ['merge-run', 'non-root', 'cache-mounts', 'split-copy', 'runner-stage', 'hoist-system-deps'] }),
  'services/payments/Dockerfile': MERGEABLE,
  'services/readonly/Dockerfile': MERGEABLE,
  'services/search/Dockerfile.prod': MERGEABLE,
  'services/search/Dockerfile.dev': MERGEABLE,
  'services/search/.dockeroptrc.json': JSON.stringify({ only: ['merge-run'], ignore: ['Dockerfile.dev'] }),
  'services/web/package.json': JSON.stringify({ name: 'web', private: true, dockeropt: { only: ['merge-run'] } }),
  'services/web/Dockerfile': MERGEABLE_NODE,
  'services/worker/Dockerfile': MERGEABLE,
};

function git(cwd: string, ...args: string[]) {
  const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function setup(): { dir: string; immutable: boolean } {
  const dir = tree(SERVICES);
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'services');
  const immutable = spawnSync('chattr', ['+i', join(dir, 'services/readonly/Dockerfile')]).status === 0;
  return { dir, immutable };
}

function teardown(dir: string) {
  spawnSync('chattr', ['-i', join(dir, 'services/readonly/Dockerfile')]);
  cleanup(dir);
}

const read = (dir: string, p: string) => readFileSync(join(dir, p), 'utf8');
const PENDING = ['services/api/Dockerfile', 'services/auth/Dockerfile', 'services/billing/Dockerfile', 'services/gateway/Dockerfile', 'services/readonly/Dockerfile', 'services/search/Dockerfile.prod', 'services/web/Dockerfile', 'services/worker/Dockerfile'];

const batch = suite('batch: a dozen services');
batch('CI: --check --format sarif exits 1, lists every pending change, and validates against the SARIF 2.1.0 schema', () => {
  const { dir } = setup();
  try {
    const r = cli(['--check', '--format', 'sarif', '--report-refusals'], dir, { CI: 'true' });
    assert.is(r.status, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(sarifValidator()(doc), []);
    const results = doc.runs[0].results as { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
    const warned = [...new Set(results.filter((x) => x.level === 'warning').map((x) => x.locations[0]!.physicalLocation.artifactLocation.uri))].sort();
    assert.equal(warned, PENDING);
    // the Dockerfile that does not parse is reported (a note naming the parse error), never changed
    const broken = results.find((x) => x.locations[0]!.physicalLocation.artifactLocation.uri === 'services/broken/Dockerfile')!;
    assert.is(broken.level, 'note');
    assert.ok(JSON.stringify(broken).includes('does not parse'));
    // ignored: .dockeroptignore (legacy) and a directory config's ignore (search/Dockerfile.dev)
    assert.not.ok(r.stdout.includes('services/legacy'));
    assert.not.ok(r.stdout.includes('Dockerfile.dev'));
    // GitHub annotations for the same run
    const gh = cli(['--check', '--format', 'github'], dir, { CI: 'true' });
    assert.is(gh.status, 1);
    assert.ok(gh.stdout.includes('::warning file=services/gateway/Dockerfile,line=3,col=1,endLine=3,title=dockeropt non-root [runtime]::adds USER 10001'), gh.stdout);
  } finally {
    teardown(dir);
  }
});
batch('configured per directory: each service gets its nearest config', () => {
  const { dir } = setup();
  try {
    const r = cli(['--format', 'json'], dir);
    const doc = JSON.parse(r.stdout) as { files: { file: string; status: string; outcomes: { transform: string }[]; diff: string }[] };
    const byFile = new Map(doc.files.map((f) => [f.file, f]));
    assert.ok(byFile.get('services/gateway/Dockerfile')!.diff.includes('+USER 10001'));
    assert.equal([...new Set(byFile.get('services/gateway/Dockerfile')!.outcomes.map((o) => o.transform))], ['non-root']);
    assert.is(byFile.get('services/payments/Dockerfile')!.status, 'unchanged');
    assert.is(byFile.get('services/web/Dockerfile')!.status, 'changed');
    assert.equal(doc.files.map((f) => f.file), [
      'services/api/Dockerfile', 'services/auth/Dockerfile', 'services/billing/Dockerfile', 'services/broken/Dockerfile', 'services/clean/Dockerfile',
      'services/gateway/Dockerfile', 'services/payments/Dockerfile', 'services/readonly/Dockerfile', 'services/search/Dockerfile.prod', 'services/web/Dockerfile', 'services/worker/Dockerfile',
    ]);
    // a bad config anywhere stops the run with the file and the key
    const bad = cli(['--check', '--config', 'services/web/package.json', '--only', 'nope'], dir);
    assert.is(bad.status, 2);
  } finally {
    teardown(dir);
  }
});
batch('exported as one patch that git apply accepts at the repository root', () => {
  const { dir } = setup();
  try {
    const r = cli(['--diff-out', 'dockeropt.patch', '--quiet'], join(dir, 'services'));
    assert.is(r.status, 0, r.stderr);
    const patch = read(dir, 'services/dockeropt.patch');
    const files = [...patch.matchAll(/^\+\+\+ b\/(.*)$/gm)].map((m) => m[1]);
    assert.equal(files, PENDING);
    const check = git(dir, 'apply', '--check', '-v', 'services/dockeropt.patch');
    assert.is(check.status, 0, check.out);
  } finally {
    teardown(dir);
  }
});
batch('reviewed interactively through a pipe: accepted changes are written, the read-only service fails alone, the summary says so', async () => {
  const { dir, immutable } = setup();
  try {
    // files in order: api y, auth n, billing y, gateway y, readonly y (fails), search y, web a, worker (all of merge-run)
    const answers = ['y', 'n', 'y', 'y', 'y', 'y', 'a'].join('\n') + '\n';
    if (immutable) {
      const r = cli(['--interactive', '--verbose'], dir, {}, answers);
      assert.is(r.status, 2, r.stderr);
      // an immutable file is not writable (access(2) says so): refused before the rename is tried
      assert.ok(r.stderr.includes('dockeropt: services/readonly/Dockerfile: not written (EACCES): the file is read-only'), r.stderr);
      assert.ok(r.stdout.includes('services/worker/Dockerfile: accepted (all of merge-run)'));
      assert.ok(r.stdout.includes('by directory:\n'), r.stdout);
      assert.ok(r.stdout.includes('  services/auth: 1 file, 1 would change, 1 declined'), r.stdout);
      assert.ok(r.stdout.includes('  services/readonly: 1 file, 1 change, 1 failed'), r.stdout);
      assert.not.ok(r.stdout.includes('not written'), 'errors go to stderr');
      console.log('    (read-only simulated with chattr +i)');
    } else {
      // no chattr: the same review through the library, the read-only file's rename failing like EPERM
      const { prepareOptimize } = await import('../src/index.js');
      const { review, linePrompter } = await import('../src/interactive.js');
      const { Readable } = await import('node:stream');
      const writeFs: WriteFs = { ...nodeWriteFs, rename: async (from, to) => { if (to.endsWith('readonly/Dockerfile')) throw Object.assign(new Error('EPERM'), { code: 'EPERM' }); return nodeWriteFs.rename(from, to); } };
      const { plan, run } = await prepareOptimize({ cwd: dir, writeFs });
      const result = await review(plan, run, { perChange: false, prompter: linePrompter(Readable.from([answers]), { write: () => 0 }, false), out: { write: () => 0 } });
      assert.is(result.files.find((f) => f.file === 'services/readonly/Dockerfile')!.status, 'error');
      console.log('    (read-only simulated through WriteFs: chattr unavailable)');
    }
    for (const s of ['api', 'worker']) assert.is(read(dir, `services/${s}/Dockerfile`), MERGED, s);
    assert.is(read(dir, 'services/search/Dockerfile.prod'), MERGED);
    assert.is(read(dir, 'services/auth/Dockerfile'), MERGEABLE);
    assert.is(read(dir, 'services/readonly/Dockerfile'), MERGEABLE);
    assert.is(read(dir, 'services/broken/Dockerfile'), SERVICES['services/broken/Dockerfile']);
    assert.is(read(dir, 'services/legacy/Dockerfile'), MERGEABLE);
    assert.is(read(dir, 'services/search/Dockerfile.dev'), MERGEABLE);
    assert.ok(read(dir, 'services/gateway/Dockerfile').includes('USER 10001'));
    // CI afterwards: only the declined and the unwritable service are still pending
    const after = cli(['--check'], dir);
    assert.is(after.status, 1);
    assert.is(after.stdout, 'services/auth/Dockerfile\nservices/readonly/Dockerfile\n');
  } finally {
    teardown(dir);
  }
});
batch('the library gives the same picture: optimize() over the repository', async () => {
  const { dir } = setup();
  try {
    const r = await optimize({ cwd: dir });
    assert.equal(r.files.filter((f) => f.status === 'changed').map((f) => f.file), PENDING);
    assert.is(r.summary.failed, 0);
  } finally {
    teardown(dir);
  }
});
batch.run();

const integration = suite('batch: integration');
integration('the pre-commit hooks run dockeropt on the changed Dockerfiles their pattern selects', async () => {
  const { parse } = await import('yaml');
  const hooks = parse(readFileSync(new URL('../.pre-commit-hooks.yaml', import.meta.url), 'utf8')) as { id: string; entry: string; files: string; exclude: string; pass_filenames: boolean }[];
  assert.equal(hooks.map((h) => h.id), ['dockeropt', 'dockeropt-fix']);
  const check = hooks[0]!;
  assert.is(check.entry, 'dockeropt --check');
  const selects = (f: string) => new RegExp(check.files).test(f) && !new RegExp(check.exclude).test(f);
  assert.equal(['Dockerfile', 'svc/Dockerfile.prod', 'svc/api.Dockerfile', 'Containerfile', 'svc/Dockerfile.dockerignore', 'README.md', 'package.json'].map(selects), [true, true, true, true, false, false, false]);
  // pre-commit passes the file names: files ignored by .dockeroptignore stay ignored
  const { dir } = setup();
  try {
    const args = check.entry.split(' ').slice(1);
    const r = cli([...args, 'services/api/Dockerfile', 'services/legacy/Dockerfile', 'services/clean/Dockerfile'], dir);
    assert.is(r.status, 1);
    assert.is(r.stdout, 'services/api/Dockerfile\n');
    assert.is(cli([...args, 'services/legacy/Dockerfile', 'services/clean/Dockerfile'], dir).status, 0);
  } finally {
    teardown(dir);
  }
});
integration('no progress line when stderr is piped (and none in CI)', () => {
  const { dir } = setup();
  try {
    const r = cli([], dir);
    assert.not.ok(/\d+\/\d+ files/.test(r.stderr), r.stderr);
  } finally {
    teardown(dir);
  }
});
integration.run();
