/**
 * --verify and `dockeropt verify` with real builds: Debian's buildah (chroot isolation, no daemon), the
 * local base images and the process's own store of test/helpers/buildah.ts (busybox, debian:12, node:20,
 * node:20-slim). The npm cases reach npm's registry and the apt case Debian's mirror, as the builds would
 * anywhere.
 *
 * Every run is started up front (at most three at once) and each test awaits its own, so the builds
 * overlap; the tests then only read results.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseImages, builder, dockeropt, IMAGES, limiter, type Ran } from './helpers/buildah.js';
import { cleanup, tree } from './helpers/tmp.js';
import { freePort } from './helpers/registry.js';
import { makeVerifier } from '../src/verify/run.js';
import { optimize, sarifReport, jsonReport } from '../src/index.js';
import { insertAt } from '../src/edits.js';
import type { Transform } from '../src/types.js';

const h = baseImages();
const dirs: string[] = [];
const dir = (files: Record<string, string>) => { const d = tree(files); dirs.push(d); return d; };
const pool = limiter(3);
const run = (args: string[], cwd: string) => pool(() => dockeropt(args, cwd));
const json = (r: Ran) => JSON.parse(r.stdout) as { files: { file: string; status: string; written?: boolean; verify?: Record<string, any> }[]; summary: Record<string, any> };
const show = (r: Ran) => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

// a tiny npm project: one dependency, a lockfile npm ci accepts
const LOCK = JSON.stringify({
  name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { ms: '2.1.3' } },
    'node_modules/ms': { version: '2.1.3', resolved: 'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz', integrity: 'sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==', license: 'MIT' },
  },
}, null, 2) + '\n';
const npmProject = (dockerfile: string, extra: Record<string, string> = {}) => ({
  'Dockerfile': dockerfile,
  'package.json': JSON.stringify({ name: 'app', version: '1.0.0', private: true, scripts: { build: 'node build.js', start: 'node dist/server.js' }, dependencies: { ms: '2.1.3' } }) + '\n',
  'package-lock.json': LOCK,
  '.dockerignore': 'node_modules\n',
  'build.js': "require('fs').mkdirSync('dist', { recursive: true }); require('fs').copyFileSync('src/server.js', 'dist/server.js');\n",
  'src/server.js': "console.log(require('ms')(60000));\n",
  ...extra,
});

// ---- dockeropt verify A B ------------------------------------------------------------------------

const BB = `FROM ${IMAGES.busybox}\n`;
const pairDir = dir({
  'A.Dockerfile': `${BB}RUN echo a > /a\nRUN echo b > /b\nCMD ["sh"]\n`,
  'merged.Dockerfile': `${BB}RUN echo a > /a && echo b > /b\nCMD ["sh"]\n`,
  'changed.Dockerfile': `${BB}RUN echo a > /a && echo b > /b && chmod 4755 /b\nUSER 1001\nCMD ["sh"]\n`,
  'broken.Dockerfile': `${BB}RUN ./configure\n`,
  'heredoc.Dockerfile': `# syntax=docker/dockerfile:1\n${BB}RUN <<EOF\necho a > /a\nEOF\n`,
});
const port = await freePort();
writeFileSync(join(pairDir, 'unpullable.Dockerfile'), `FROM 127.0.0.1:${port}/nope/base:1\nRUN true\n`);
const pairs = {
  identical: run(['verify', 'A.Dockerfile', 'merged.Dockerfile'], pairDir),
  identicalJson: run(['verify', '--json', 'A.Dockerfile', 'merged.Dockerfile'], pairDir),
  different: run(['verify', 'A.Dockerfile', 'changed.Dockerfile'], pairDir),
  broken: run(['verify', 'broken.Dockerfile', 'merged.Dockerfile'], pairDir),
  unpullable: run(['verify', 'unpullable.Dockerfile', 'unpullable.Dockerfile'], pairDir),
  heredoc: run(['verify', 'A.Dockerfile', 'heredoc.Dockerfile'], pairDir),
  docker: run(['verify', '--builder', 'docker', 'A.Dockerfile', 'merged.Dockerfile'], pairDir),
};

// ---- --verify runs -------------------------------------------------------------------------------

const mergeDir = dir({ 'svc/Dockerfile': `FROM ${IMAGES.debian}\nRUN mkdir -p /srv/data\nRUN echo ready > /srv/data/state\nCMD ["cat", "/srv/data/state"]\n` });
const mergeWriteDir = dir({ 'svc/Dockerfile': `FROM ${IMAGES.debian}\nRUN mkdir -p /srv/data\nRUN echo ready > /srv/data/state\nCMD ["cat", "/srv/data/state"]\n` });
const splitDir = dir(npmProject(`FROM ${IMAGES.node}\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "src/server.js"]\n`));
const splitOriginal = readFileSync(join(splitDir, 'src/server.js'), 'utf8');
const npmCacheDir = dir(npmProject(`FROM ${IMAGES.node}\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci && npm cache clean --force\nCOPY . .\nCMD ["node", "src/server.js"]\n`));
const aptDir = dir({ 'Dockerfile': `FROM ${IMAGES.debian}\nRUN apt-get update && apt-get install -y --no-install-recommends netbase && rm -rf /var/lib/apt/lists/*\n` });
const nonRootDir = dir({ 'Dockerfile': `FROM ${IMAGES.debian}\nWORKDIR /srv\nCOPY app.sh .\nCMD ["/srv/app.sh"]\n`, 'app.sh': '#!/bin/sh\necho hello\n' });
const runnerDir = dir(npmProject(`FROM node:20\nWORKDIR /usr/src/app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nENV NODE_ENV=production\nEXPOSE 3000\nCMD ["npm", "start"]\n`));
const brokenDir = dir({ 'Dockerfile': `FROM ${IMAGES.debian}\nRUN mkdir /x\nRUN ./configure\n` });

// the split run's cache experiment needs the layers its own builds left in the shared store: the other
// runs FROM the node image (npmCache, runner) start after it, so that their builds and removals of the
// same first layers cannot make its rebuild miss the cache (seen once in CI: COPY and npm ci re-ran)
const split = run(['--only', 'split-copy', '--verify=cache', '--json', '.'], splitDir);
const afterSplit = (args: string[], cwd: string) => split.then(() => run(args, cwd));
const runs = {
  merge: run(['--only', 'merge-run', '--verify', '--json', '.'], mergeDir),
  mergeWrite: run(['--only', 'merge-run', '--verify', '--write', '.'], mergeWriteDir),
  split,
  npmCache: afterSplit(['--only', 'cache-mounts', '--verify', '--json', '.'], npmCacheDir),
  apt: run(['--only', 'cache-mounts', '--verify', '--write', '.'], aptDir),
  nonRoot: run(['--only', 'non-root', '--runtime', '--verify', '--write', '.'], nonRootDir),
  runner: afterSplit(['--only', 'runner-stage', '--runtime', '--verify', '.'], runnerDir),
  broken: run(['--only', 'merge-run', '--verify', '--json', '.'], brokenDir),
};

const pair = suite('dockeropt verify BEFORE AFTER');
pair('identical images: exit 0, the builder and both sizes', async () => {
  const r = await pairs.identical;
  assert.is(r.status, 0, show(r));
  assert.match(r.stdout, /^identical \(buildah [\d.]+ \(chroot isolation\); [\d.]+ MB, 3 layers -> [\d.]+ MB, 2 layers\)\n/);
  const j = JSON.parse((await pairs.identicalJson).stdout) as { verify: { status: string; differences: unknown[]; sizes: { before: { layers: number }; after: { layers: number } } } };
  assert.is(j.verify.status, 'identical');
  assert.equal(j.verify.differences, []);
  assert.equal([j.verify.sizes.before.layers, j.verify.sizes.after.layers], [3, 2]);
});
pair('different images: exit 1, each difference named (a setuid bit, the User)', async () => {
  const r = await pairs.different;
  assert.is(r.status, 1, show(r));
  assert.match(r.stdout, /^different \(buildah .*\): 1 config and 1 file differences\n/);
  assert.ok(r.stdout.includes('  config User: (unset) -> "1001"\n'), r.stdout);
  assert.ok(r.stdout.includes('  ~ /b: mode 0644 -> 4755\n'), r.stdout);
});
pair('the original does not build: exit 2, unverified with the failing step', async () => {
  const r = await pairs.broken;
  assert.is(r.status, 2, show(r));
  assert.match(r.stdout, /^unverified: the original does not build either: building at STEP "RUN \.\/configure": exit status 127 \(.*\.\/configure: not found\)/);
});
pair('a base image that cannot be pulled: exit 2, unverified naming it', async () => {
  const r = await pairs.unpullable;
  assert.is(r.status, 2, show(r));
  assert.ok(r.stdout.startsWith(`unverified: a base image cannot be pulled (127.0.0.1:${port}/nope/base:1: connection refused)`), r.stdout);
});
pair('a builder limit: buildah 1.28 has no heredocs, so the pair is unverified, not built', async () => {
  const r = await pairs.heredoc;
  assert.is(r.status, 2, show(r));
  assert.match(r.stdout, /^unverified: buildah 1\.28\.\d+ does not support heredocs \(the rewritten file, line 3\); buildah 1\.33\+, podman 4\.8\+ or docker buildx do/);
});
pair('--builder docker without a daemon is no builder: unverified with the reason', async () => {
  const r = await pairs.docker;
  assert.is(r.status, 2, show(r));
  assert.match(r.stdout, /^unverified: the builder docker cannot be used \((the daemon does not answer|not installed)/);
});
pair('usage errors: exit 2 with the problem', async () => {
  const r = await dockeropt(['verify', 'A.Dockerfile'], pairDir);
  assert.is(r.status, 2);
  assert.match(r.stderr, /expected two Dockerfiles/);
  const b = await dockeropt(['verify', '--builder', 'kaniko', 'A.Dockerfile', 'A.Dockerfile'], pairDir);
  assert.is(b.status, 2);
  assert.match(b.stderr, /--builder must be one of docker, podman, buildah/);
});
pair('a saved image (what docker image save gives) reads the same as the mounted one', async () => {
  const b = await builder();
  assert.is(b.kind, 'buildah');
  for (const img of [IMAGES.busybox, IMAGES.node]) {
    const [mounted, saved] = await Promise.all([b.tree(img, 'mount'), b.tree(img, 'archive')]);
    assert.ok(mounted.size > 100, `${img}: ${mounted.size} entries`);
    assert.equal([...saved].sort((a, b) => (a[0] < b[0] ? -1 : 1)), [...mounted].sort((a, b) => (a[0] < b[0] ? -1 : 1)), img);
  }
});
pair.run();

const verify = suite('--verify');
verify('merge-run: identical; JSON carries status, builder, differences and sizes', async () => {
  const r = await runs.merge;
  assert.is(r.status, 0, show(r));
  const f = json(r).files[0]!;
  assert.is(f.verify?.status, 'identical', JSON.stringify(f.verify));
  assert.match(f.verify!.builder, /^buildah /);
  assert.equal(f.verify!.differences, []);
  assert.equal([f.verify!.sizes.before.layers - f.verify!.sizes.after.layers], [1]);
  assert.equal(json(r).summary.verify, { identical: 1, different: 0, unverified: 0, bugs: 0, buildOnly: { identical: 1, different: 0, unverified: 0 } });
});
verify('--write --verify writes a build-only change that verified identical, and prints one line for it', async () => {
  const r = await runs.mergeWrite;
  assert.is(r.status, 0, show(r));
  assert.match(r.stdout, /\n {2}verify: identical \(buildah .*; [\d.]+ MB, 3 layers -> [\d.]+ MB, 2 layers\)\n/);
  assert.match(readFileSync(join(mergeWriteDir, 'svc/Dockerfile'), 'utf8'), /RUN mkdir -p \/srv\/data \\\n {4}&& echo ready/);
  assert.match(r.stdout, /\nverify: 1 identical, 0 different, 0 unverified; build-only changes: 1 identical, 0 different, 0 unverified\n/);
});
verify('split-copy (npm, its registry): identical, and the cache experiment shows npm ci no longer re-runs', async () => {
  const r = await runs.split;
  assert.is(r.status, 0, show(r));
  const v = json(r).files[0]!.verify!;
  assert.is(v.status, 'identical', JSON.stringify(v, null, 1));
  assert.is(v.cache.touched, 'src/server.js');
  assert.ok(v.cache.before.reranRuns.includes('npm ci'), JSON.stringify(v.cache));
  assert.equal(v.cache.after.reranRuns, [], JSON.stringify(v.cache));
  assert.ok(v.cache.after.reran < v.cache.before.reran);
  assert.is(readFileSync(join(splitDir, 'src/server.js'), 'utf8'), splitOriginal, 'the experiment changes a copy of the context, never the project');
});
verify('cache-mounts for npm: identical; the download cache is what leaves the image, and it is said', async () => {
  const r = await runs.npmCache;
  assert.is(r.status, 0, show(r));
  const v = json(r).files[0]!.verify!;
  assert.is(v.status, 'identical', JSON.stringify(v, null, 1));
  assert.ok(v.notes.some((n: string) => /the cache mount point \/root\/\.npm not compared/.test(n)), JSON.stringify(v.notes));
});
verify('cache-mounts for apt: never reported identical with buildah (it drops the pre-existing /var/cache/apt); not written', async () => {
  const r = await runs.apt;
  const text = readFileSync(join(aptDir, 'Dockerfile'), 'utf8');
  // only /var/cache/apt is mounted (apt-get install downloads into it with -oDir::Cache::Archives), and the
  // base image has it: buildah drops such a target from the commit, so the comparison cannot be made
  assert.is(r.status, 0, show(r));
  assert.match(r.stdout, /verify: unverified: buildah drops a cache-mount target that already exists before its RUN \(\/var\/cache\/apt\)/, show(r));
  assert.match(r.stdout, /not written: its build-only changes did not verify identical/, show(r));
  assert.not.match(text, /--mount/);
});
verify('non-root: different, naming the User; a runtime change is no bug and is written under --write', async () => {
  const r = await runs.nonRoot;
  assert.is(r.status, 0, show(r));
  assert.match(r.stdout, /\n {2}verify \(runtime changes\): different \(buildah .*\): 1 config difference\n {4}config User: \(unset\) -> "1001"\n/);
  assert.match(readFileSync(join(nonRootDir, 'Dockerfile'), 'utf8'), /\nUSER 1001\nCMD/);
});
verify('runner-stage: different, with both sizes (the slim runner is smaller)', async () => {
  const r = await runs.runner;
  assert.is(r.status, 0, show(r));
  const m = /verify \(runtime changes\): different \(buildah [^;]+; ([\d.]+) MB, (\d+) layers -> ([\d.]+) MB, (\d+) layers\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m![3]) < Number(m![1]), `${m![1]} MB -> ${m![3]} MB`);
  assert.match(r.stdout, /files under \/usr\/share\/locale only in the original/);
});
verify('a build that fails before the change: unverified, not written, exit 0', async () => {
  const r = await runs.broken;
  assert.is(r.status, 0, show(r));
  const v = json(r).files[0]!.verify!;
  assert.is(v.status, 'unverified');
  assert.match(v.reason, /^the original does not build either: building at STEP "RUN \.\/configure"/);
  assert.equal(json(r).summary.verify, { identical: 0, different: 0, unverified: 1, bugs: 0, buildOnly: { identical: 0, different: 0, unverified: 1 } });
});
verify('a build-only change that changes the image is a bug: not written, an error in SARIF', async () => {
  // a transform that claims build-only but adds a file: what --verify exists to catch
  const planted: Transform = {
    id: 'planted', summary: 'adds a file, claiming build-only', safety: 'build-only', defaults: {},
    apply: (doc) => (doc.text.includes('/planted') ? [] : [{ kind: 'rewrite', line: 1, message: 'adds a RUN', edits: [insertAt(doc.text.length, 'RUN touch /planted\n')] }]),
  };
  const d = dir({ 'Dockerfile': `${BB}CMD ["sh"]\n` });
  const result = await optimize({ cwd: d, transforms: [planted], write: true, config: false, verify: makeVerifier({ env: { ...process.env, ...h.env } }) });
  const f = result.files[0]!;
  assert.is(f.verify?.status, 'different');
  assert.ok(f.verify?.bug);
  assert.not.ok(f.written);
  assert.is(readFileSync(join(d, 'Dockerfile'), 'utf8'), `${BB}CMD ["sh"]\n`);
  assert.equal(f.verify!.differences.map((x: { kind: string; path?: string }) => x.path), ['/planted']);
  const sarif = JSON.parse(sarifReport(result, { version: '0', transforms: [planted], cwd: d, root: d })) as { runs: { results: { level: string; message: { text: string } }[] }[] };
  const res = sarif.runs[0]!.results[0]!;
  assert.is(res.level, 'error');
  assert.match(res.message.text, /^\[build-only\] verified different with buildah .*\(a dockeropt bug, not written: \+ \/planted/);
  assert.is(JSON.parse(jsonReport(result, '0')).summary.verify.bugs, 1);
});
verify.run();

process.on('exit', () => { for (const d of dirs) cleanup(d); });
