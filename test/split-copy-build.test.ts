/**
 * split-copy proven with real builds: the original and the rewritten Dockerfile are built with
 * Debian's buildah (chroot isolation) from the local node:20-slim stand-in of test/helpers/buildah.ts
 * (this machine's node and npm; only the npm registry is reached), and the images must show no
 * difference under `dockeropt verify`'s comparison (type, mode, owner, size, content, link target of
 * every file; config) and have the same whole config. Both styles: `copy` (a manifest COPY) and `bind`
 * (the manifests bind-mounted into the install), and bind together with cache-mounts on the same RUN.
 *
 * What is not compared (verify's own rules, and UNSTABLE below): npm's time-stamped logs
 * (/root/.npm/_logs/*), and the content of its cache index (/root/.npm/_cacache/index-v5: each entry
 * records the time it was written) and of its update check's time stamp (the files' presence, modes and
 * owners are compared). With cache-mounts, /root/.npm is the cache mount's
 * target, which that transform moves out of the image by design: verify's cache-mount rule applies there
 * (the mount point and what only the original has under it are not compared).
 *
 * Every build is started up front (the original once, the rewrites at most three at a time); each test
 * awaits its own.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { splitCopy } from '../transforms/split-copy/index.js';
import { cacheMounts } from '../transforms/cache-mounts/index.js';
import { IMAGES, build, compareImages, early, image, limiter, scratchDir, type Image, type ImageComparison } from './helpers/buildah.js';

const PACKAGE = { name: 'app', version: '1.0.0', private: true, dependencies: { ms: '2.1.3' } };
const LOCK = {
  name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { ms: '2.1.3' } },
    'node_modules/ms': {
      version: '2.1.3', resolved: 'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz', license: 'MIT',
      integrity: 'sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==',
    },
  },
};

const ORIGINAL = [
  `FROM ${IMAGES.nodeSlim}`,
  'WORKDIR /app',
  'COPY . .',
  'RUN npm ci --omit=dev && node -e "console.log(require(\'ms\')(90000))" > /app/installed.txt',
  'RUN node src/index.js > /app/built.txt',
  'CMD ["node", "src/index.js"]',
  '',
].join('\n');

function context(): string {
  const dir = scratchDir('split-ctx-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify(PACKAGE, null, 2) + '\n');
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(LOCK, null, 2) + '\n');
  writeFileSync(join(dir, '.dockerignore'), 'node_modules\n.git\nDockerfile*\n');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/index.js'), "console.log(require('ms')(2 * 60000));\n");
  return dir;
}

const ctxDir = context();

/** The rewritten text, and what a second run makes of it. */
async function rewritten(style: 'copy' | 'bind', withCacheMounts: boolean): Promise<{ once: string; twice: string }> {
  const opts = {
    transforms: withCacheMounts ? [splitCopy, cacheMounts] : [splitCopy], buildContext: contextFs(ctxDir), file: join(ctxDir, 'Dockerfile'),
    options: { 'split-copy': { style } },
  };
  const once = (await runPipeline(ORIGINAL, opts)).text;
  return { once, twice: (await runPipeline(once, opts)).text };
}

const texts = { copy: await rewritten('copy', false), bind: await rewritten('bind', false), bindCache: await rewritten('bind', true) };
// a wrong split: COPY src src instead of COPY . .
const planted = texts.copy.once.replace(/^COPY \. \.$/m, 'COPY src src');

/** What npm writes differently on every run: time-stamped logs, cache index entries, the update check. */
const UNSTABLE = [/^\/root\/\.npm\/_logs\//, /^\/root\/\.npm\/_cacache\/index-v5\//, /^\/root\/\.npm\/_update-notifier-last-checked$/];

const pool = limiter(3);
const original = early(() => build(ORIGINAL, ctxDir, 'localhost/split-original:test').then(() => image('localhost/split-original:test')));
/** The original's image and the image `text` builds (after the original, so its layers are cached). */
const built = (text: string, tag: string) => early(async () => {
  const want = await original;
  return { want, got: await pool(() => build(text, ctxDir, `localhost/split-${tag}:test`).then(() => image(`localhost/split-${tag}:test`))) };
});
const images = { copy: built(texts.copy.once, 'copy'), bind: built(texts.bind.once, 'bind'), bindCache: built(texts.bindCache.once, 'bind-cache'), planted: built(planted, 'planted') };

async function sameImage(which: 'copy' | 'bind' | 'bindCache', o: ImageComparison = {}) {
  assert.is(texts[which].twice, texts[which].once, 'a second run changes nothing');
  const { want, got } = await images[which];
  assert.equal(compareImages(want, got, { unstable: UNSTABLE, ...o }), [], `${which}: the images differ`);
  // the install really ran, and the build saw the source
  assert.is(got.tree.get('/app/node_modules/ms/package.json')?.type, 'file');
  assert.ok(got.tree.get('/app/installed.txt')!.size! > 0 && got.tree.get('/app/built.txt')!.size! > 0);
}

const test = suite('split-copy: real builds (buildah) give the same image');

test('copy style: manifest COPY, npm ci, COPY . ., the rest of the RUN', async () => {
  assert.match(texts.copy.once, /^COPY package\.json package-lock\.json \.\/\nRUN npm ci --omit=dev\nCOPY \. \.\nRUN node -e/m);
  await sameImage('copy');
});

test('bind style: the manifests bind-mounted into npm ci, no manifest COPY', async () => {
  const text = texts.bind.once;
  assert.match(text, /^RUN --mount=type=bind,source=package\.json,target=\/app\/package\.json \\\n    --mount=type=bind,source=package-lock\.json,target=\/app\/package-lock\.json \\\n    npm ci --omit=dev\nCOPY \. \.\n/m);
  assert.not.match(text, /^COPY package/m);
  await sameImage('bind');
});

test('bind style with cache-mounts on the same RUN (idempotent together)', async () => {
  assert.match(texts.bindCache.once, /--mount=type=bind,source=package-lock\.json,target=\/app\/package-lock\.json \\\n    --mount=type=cache,target=\/root\/\.npm/);
  // verify's rule for a cache mount that did not exist before its RUN: the mount point is not compared,
  // and what only the original has under it is the download cache; anything the rewrite adds there counts
  await sameImage('bindCache', { cacheTargets: ['/root/.npm'], mountPoints: ['/root/.npm'] });
});

test('the comparison sees a difference: a planted wrong split (COPY src src instead of COPY . .) differs', async () => {
  assert.ok(planted.includes('COPY src src'));
  const { want, got } = await images.planted;
  // exactly the one file COPY src src leaves out
  assert.equal(compareImages(want, got, { unstable: UNSTABLE }).map((d) => d.split(' (')[0]), ['- /app/.dockerignore']);
});

test.run();
