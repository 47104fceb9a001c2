/**
 * cache-mounts' apt recipe, proven with real builds (buildah, chroot isolation; see helpers/buildah.ts): from the
 * local debian:12 stand-in whose only apt source is a local repository (no network), the original and the
 * rewritten Dockerfile build images with no difference under `dockeropt verify`'s comparison (files, owners,
 * modes, contents; config) and the same whole config, and the cache keeps the downloaded packages although the
 * image's docker-clean hook is in force.
 *
 * Left out of the comparison, with the reason:
 * - /var/cache/apt, the cache mount's target: buildah 1.28 drops a pre-existing cache-mount target from the commit
 *   (containers/buildah#4927); BuildKit keeps the directory as the base image has it, since the RUN's writes
 *   there go to the cache.
 * - in apt's and dpkg's logs (history.log, term.log, dpkg.log; their text is compared on its own): the time stamps
 *   (they differ between two builds of the same file), the `Commandline:` line of /var/log/apt/history.log, which
 *   records the added `-oDir::Cache::Archives=…`, and the directory term.log says each package was unpacked from
 *   (`.../apt/kept/` instead of `.../apt/archives/`).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runPipeline } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { transformById } from '../transforms/index.js';
import { createHash } from 'node:crypto';
import { DOCKER_APT, build, compareImages, image, localAptImage, readImageFiles, scratchDir } from './helpers/buildah.js';

const test = suite('cache-mounts apt build');

const BASE = localAptImage('localhost/dockeropt-apt-base:bookworm', [
  { name: 'dot-a', depends: 'dot-b', files: { 'usr/share/dot-a/a.txt': 'a\n' } },
  { name: 'dot-b', files: { 'usr/share/dot-b/b.txt': 'b\n' } },
  { name: 'dot-c', files: { 'usr/share/dot-c/c.txt': 'c\n' } },
]);
const DOCKER_CLEAN = DOCKER_APT['docker-clean']!;

const original = [
  `FROM ${BASE}`,
  'RUN apt-get update \\',
  '    && apt-get install -y --no-install-recommends dot-a \\',
  '    && apt-get clean \\',
  '    && rm -rf /var/lib/apt/lists/*',
  'RUN apt update && apt install -y dot-c && rm -rf /var/lib/apt/lists/*',
  '',
].join('\n');

const rewritten = (await runPipeline(original, { transforms: [transformById('cache-mounts')!], file: 'Dockerfile', buildContext: contextFs(null) })).text;

const LOGS = ['/var/log/apt/history.log', '/var/log/apt/term.log', '/var/log/dpkg.log'];

/** The logs' text without the time stamps (and apt's command line), as a build writes them. */
function logText(tag: string): Map<string, string | null> {
  const masked = (v: string | null) => v && v.split('\n').filter((l) => !/^(Start-Date|End-Date|Commandline|Log started|Log ended):/.test(l)).map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, '').replace('.../apt/kept/', '.../apt/archives/')).join('\n');
  return new Map([...readImageFiles(tag, LOGS)].map(([p, v]) => [p, masked(v)]));
}

test('the rewrite mounts /var/cache/apt only and passes the archive directory on the install commands', () => {
  assert.match(rewritten, /RUN --mount=type=cache,target=\/var\/cache\/apt,sharing=locked \\\n    apt-get update \\\n    && apt-get install -oDir::Cache::Archives=\/var\/cache\/apt\/kept\/ -y --no-install-recommends dot-a \\\n    && rm -rf \/var\/lib\/apt\/lists\/\*\n/);
  assert.match(rewritten, /apt install -oDir::Cache::Archives=\/var\/cache\/apt\/kept\/ -oAPT::Keep-Downloaded-Packages=true -y dot-c/);
  assert.not.match(rewritten, /docker-clean|keep-cache|\/var\/lib\/apt,/);
});

const ctx = scratchDir('apt-ctx-');
const log = { original: await build(original, ctx, 'localhost/apt-original'), rewritten: await build(rewritten, ctx, 'localhost/apt-rewritten') };
const [before, after] = await Promise.all([image('localhost/apt-original'), image('localhost/apt-rewritten')]);

test('original and rewritten images have the same files (owners, modes, contents), logs and config', () => {
  assert.ok(before.tree.has('/usr/share/dot-a/a.txt') && before.tree.has('/usr/share/dot-b/b.txt') && before.tree.has('/usr/share/dot-c/c.txt'), 'the original installed the packages');
  // the logs' text is compared below, without its time stamps
  assert.equal(compareImages(before, after, { skip: ['/var/cache/apt'], unstable: [/^\/var\/log\/(apt\/(history|term)|dpkg)\.log$/] }), []);
  const logs = logText('localhost/apt-original');
  assert.ok(LOGS.every((p) => logs.get(p)), 'the logs are there');
  assert.equal(logText('localhost/apt-rewritten'), logs);
});

test('the apt configuration of the image is untouched: docker-clean is there with its content, nothing was added', () => {
  const clean = '/etc/apt/apt.conf.d/docker-clean';
  assert.equal(after.tree.get(clean), before.tree.get(clean));
  assert.is(before.tree.get(clean)!.digest, `sha256:${createHash('sha256').update(DOCKER_CLEAN).digest('hex')}`, 'docker-clean as the base has it');
  const confs = (t: Map<string, unknown>) => [...t.keys()].filter((p) => p.startsWith('/etc/apt/')).sort();
  assert.equal(confs(after.tree), confs(before.tree));
  // auto-installed marks stay in the image (/var/lib/apt is not mounted)
  assert.is(after.tree.get('/var/lib/apt/extended_states')?.type, 'file');
  assert.equal(after.tree.get('/var/lib/apt/extended_states'), before.tree.get('/var/lib/apt/extended_states'));
});

test('the cache keeps the packages despite docker-clean, and the original image has none', async () => {
  assert.not.ok([...before.tree.keys()].some((p) => p.endsWith('.deb') && p.startsWith('/var/cache/apt/')), 'docker-clean removed the packages in the original');
  const out = await build(`FROM ${BASE}\nRUN --mount=type=cache,target=/var/cache/apt,sharing=locked ls /var/cache/apt/kept/\n`, ctx, 'localhost/apt-cache-probe');
  for (const deb of ['dot-a_1.0_all.deb', 'dot-b_1.0_all.deb', 'dot-c_1.0_all.deb']) assert.ok(out.includes(deb), `${deb} in the cache:\n${out}`);
  assert.ok(log.rewritten.length > 0);
});

test.run();
