/**
 * cache-mounts' apt recipe, proven with real builds (buildah, chroot isolation; see helpers/apt-build.ts): the original
 * and the rewritten Dockerfile build images with the same files and the same config, and the cache keeps the
 * downloaded packages although the image's docker-clean hook is in force.
 *
 * Left out of the comparison, with the reason:
 * - /var/cache/apt, the cache mount's target: buildah 1.28 drops a pre-existing cache-mount target from the commit
 *   (containers/buildah#4927); BuildKit keeps the directory as the base image has it, since the RUN's writes
 *   there go to the cache.
 * - the time stamps in apt's and dpkg's logs (they differ between two builds of the same file), the
 *   `Commandline:` line of /var/log/apt/history.log, which records the added `-oDir::Cache::Archives=…`, and the
 *   directory term.log says each package was unpacked from (`.../apt/kept/` instead of `.../apt/archives/`).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runPipeline } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { transformById } from '../transforms/index.js';
import { aptHarness, DOCKER_CLEAN } from './helpers/apt-build.js';

const test = suite('cache-mounts apt build');

const h = aptHarness([
  { name: 'dot-a', depends: 'dot-b', files: { 'usr/share/dot-a/a.txt': 'a\n' } },
  { name: 'dot-b', files: { 'usr/share/dot-b/b.txt': 'b\n' } },
  { name: 'dot-c', files: { 'usr/share/dot-c/c.txt': 'c\n' } },
]);

const original = [
  `FROM ${h.base}`,
  'RUN apt-get update \\',
  '    && apt-get install -y --no-install-recommends dot-a \\',
  '    && apt-get clean \\',
  '    && rm -rf /var/lib/apt/lists/*',
  'RUN apt update && apt install -y dot-c && rm -rf /var/lib/apt/lists/*',
  '',
].join('\n');

const rewritten = (await runPipeline(original, { transforms: [transformById('cache-mounts')!], file: 'Dockerfile', buildContext: contextFs(null) })).text;

/** The tree with the cache target left out and the logs' time stamps (and apt's command line) masked. */
function comparable(tree: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p, v] of tree) {
    if (p === '/var/cache/apt' || p.startsWith('/var/cache/apt/')) continue;
    if (/^\/var\/log\/(apt\/(history|term)|dpkg)\.log$/.test(p)) continue; // sizes follow the text, compared below
    if (p.endsWith('#text')) {
      out.set(p, v.split('\n').filter((l) => !/^(Start-Date|End-Date|Commandline|Log started|Log ended):/.test(l)).map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, '').replace('.../apt/kept/', '.../apt/archives/')).join('\n'));
      continue;
    }
    out.set(p, v);
  }
  return out;
}

test('the rewrite mounts /var/cache/apt only and passes the archive directory on the install commands', () => {
  assert.match(rewritten, /RUN --mount=type=cache,target=\/var\/cache\/apt,sharing=locked \\\n    apt-get update \\\n    && apt-get install -oDir::Cache::Archives=\/var\/cache\/apt\/kept\/ -y --no-install-recommends dot-a \\\n    && rm -rf \/var\/lib\/apt\/lists\/\*\n/);
  assert.match(rewritten, /apt install -oDir::Cache::Archives=\/var\/cache\/apt\/kept\/ -oAPT::Keep-Downloaded-Packages=true -y dot-c/);
  assert.not.match(rewritten, /docker-clean|keep-cache|\/var\/lib\/apt,/);
});

const log = { original: h.build(original, 'localhost/apt-original'), rewritten: h.build(rewritten, 'localhost/apt-rewritten') };
const before = h.tree('localhost/apt-original');
const after = h.tree('localhost/apt-rewritten');

test('original and rewritten images have the same files (owners, modes, contents) and the same config', () => {
  assert.ok(before.has('/usr/share/dot-a/a.txt') && before.has('/usr/share/dot-b/b.txt') && before.has('/usr/share/dot-c/c.txt'), 'the original installed the packages');
  const a = comparable(before), b = comparable(after);
  const diff: string[] = [];
  for (const [p, v] of a) if (b.get(p) !== v) diff.push(`${p}: ${v} | ${b.get(p) ?? 'missing'}`);
  for (const p of b.keys()) if (!a.has(p)) diff.push(`${p}: only in the rewritten image`);
  assert.equal(diff, []);
  assert.is(h.config('localhost/apt-rewritten'), h.config('localhost/apt-original'));
});

test('the apt configuration of the image is untouched: docker-clean is there with its content, nothing was added', () => {
  assert.is(after.get('/etc/apt/apt.conf.d/docker-clean'), before.get('/etc/apt/apt.conf.d/docker-clean'));
  assert.ok(before.get('/etc/apt/apt.conf.d/docker-clean')!.includes(' ' + String(DOCKER_CLEAN.length) + ' '), 'docker-clean as the base has it');
  const confs = (t: Map<string, string>) => [...t.keys()].filter((p) => p.startsWith('/etc/apt/')).sort();
  assert.equal(confs(after), confs(before));
  // auto-installed marks stay in the image (/var/lib/apt is not mounted)
  assert.ok(after.has('/var/lib/apt/extended_states'));
  assert.is(after.get('/var/lib/apt/extended_states'), before.get('/var/lib/apt/extended_states'));
});

test('the cache keeps the packages despite docker-clean, and the original image has none', () => {
  assert.not.ok([...before.keys()].some((p) => p.endsWith('.deb') && p.startsWith('/var/cache/apt/')), 'docker-clean removed the packages in the original');
  const out = h.build(`FROM ${h.base}\nRUN --mount=type=cache,target=/var/cache/apt,sharing=locked ls /var/cache/apt/kept/\n`, 'localhost/apt-cache-probe');
  for (const deb of ['dot-a_1.0_all.deb', 'dot-b_1.0_all.deb', 'dot-c_1.0_all.deb']) assert.ok(out.includes(deb), `${deb} in the cache:\n${out}`);
  assert.ok(log.rewritten.length > 0);
});

test.run();
