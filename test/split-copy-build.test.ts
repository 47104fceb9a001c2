/**
 * split-copy proven with real builds: the original and the rewritten Dockerfile are built with
 * Debian's buildah (chroot isolation, a local Node base image from this machine's node and npm; only the
 * npm registry is reached) and the images must hold the same files (type, mode, owner, size, content,
 * link target) and the same config. Both styles: `copy` (a manifest COPY) and `bind` (the manifests
 * bind-mounted into the install), and bind together with cache-mounts on the same RUN.
 *
 * What is not compared: npm's time-stamped logs (/root/.npm/_logs), and the content of its cache index
 * (/root/.npm/_cacache/index-v5: each entry records the time it was written; the file names are compared).
 * With cache-mounts, /root/.npm is the cache mount's target, which that transform moves out of the image
 * by design, so it is left out of that comparison.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { splitCopy } from '../transforms/split-copy/index.js';
import { cacheMounts } from '../transforms/cache-mounts/index.js';
import { NODE_IMAGE, imageTree, nodeHarness, treeDiff } from './helpers/split-build.js';

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
  `FROM ${NODE_IMAGE}`,
  'WORKDIR /app',
  'COPY . .',
  'RUN npm ci --omit=dev && node -e "console.log(require(\'ms\')(90000))" > /app/installed.txt',
  'RUN node src/index.js > /app/built.txt',
  'CMD ["node", "src/index.js"]',
  '',
].join('\n');

function context(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-split-ctx-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify(PACKAGE, null, 2) + '\n');
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(LOCK, null, 2) + '\n');
  writeFileSync(join(dir, '.dockerignore'), 'node_modules\n.git\nDockerfile*\n');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/index.js'), "console.log(require('ms')(2 * 60000));\n");
  return dir;
}

const npmLogs = (p: string) => p === '/root/.npm/_logs' || p.startsWith('/root/.npm/_logs/');
const npmIndex = (p: string) => p.startsWith('/root/.npm/_cacache/index-v5/');
const npmCache = (p: string) => p === '/root/.npm' || p.startsWith('/root/.npm/');

const test = suite('split-copy: real builds (buildah) give the same image');
const ctxDir = context();
let original: ReturnType<typeof imageTree> | null = null;

async function rewritten(style: 'copy' | 'bind', withCacheMounts: boolean): Promise<string> {
  const opts = {
    transforms: withCacheMounts ? [splitCopy, cacheMounts] : [splitCopy], buildContext: contextFs(ctxDir), file: join(ctxDir, 'Dockerfile'),
    options: { 'split-copy': { style } },
  };
  const once = await runPipeline(ORIGINAL, opts);
  const twice = await runPipeline(once.text, opts);
  assert.is(twice.text, once.text, 'a second run changes nothing');
  return once.text;
}

function buildAndCompare(text: string, tag: string, skip: (p: string) => boolean) {
  const h = nodeHarness();
  if (!original) {
    writeFileSync(join(ctxDir, 'Dockerfile.original'), ORIGINAL);
    h.build(join(ctxDir, 'Dockerfile.original'), ctxDir, 'localhost/split-original:test');
    original = imageTree(h, 'localhost/split-original:test', npmLogs, npmIndex);
  }
  writeFileSync(join(ctxDir, `Dockerfile.${tag}`), text);
  h.build(join(ctxDir, `Dockerfile.${tag}`), ctxDir, `localhost/split-${tag}:test`);
  const got = imageTree(h, `localhost/split-${tag}:test`, (p) => npmLogs(p) || skip(p), npmIndex);
  const want = new Map([...original.files].filter(([p]) => !skip(p)));
  assert.equal(treeDiff(want, got.files), [], `${tag}: the image files differ`);
  assert.equal(got.config, original.config, `${tag}: the image config differs`);
  // the install really ran, and the build saw the source
  assert.ok(got.files.get('/app/node_modules/ms/package.json')?.type === 'file');
  assert.ok(got.files.get('/app/installed.txt')!.size > 0 && got.files.get('/app/built.txt')!.size > 0);
}

test('copy style: manifest COPY, npm ci, COPY . ., the rest of the RUN', async () => {
  const text = await rewritten('copy', false);
  assert.match(text, /^COPY package\.json package-lock\.json \.\/\nRUN npm ci --omit=dev\nCOPY \. \.\nRUN node -e/m);
  buildAndCompare(text, 'copy', () => false);
});

test('bind style: the manifests bind-mounted into npm ci, no manifest COPY', async () => {
  const text = await rewritten('bind', false);
  assert.match(text, /^RUN --mount=type=bind,source=package\.json,target=\/app\/package\.json \\\n    --mount=type=bind,source=package-lock\.json,target=\/app\/package-lock\.json \\\n    npm ci --omit=dev\nCOPY \. \.\n/m);
  assert.not.match(text, /^COPY package/m);
  buildAndCompare(text, 'bind', () => false);
});

test('bind style with cache-mounts on the same RUN (idempotent together)', async () => {
  const text = await rewritten('bind', true);
  assert.match(text, /--mount=type=bind,source=package-lock\.json,target=\/app\/package-lock\.json \\\n    --mount=type=cache,target=\/root\/\.npm/);
  buildAndCompare(text, 'bind-cache', npmCache);
});

test('the comparison sees a difference: a planted wrong split (COPY src src instead of COPY . .) differs', async () => {
  const text = (await rewritten('copy', false)).replace(/^COPY \. \.$/m, 'COPY src src');
  assert.ok(text.includes('COPY src src'));
  const h = nodeHarness();
  writeFileSync(join(ctxDir, 'Dockerfile.planted'), text);
  h.build(join(ctxDir, 'Dockerfile.planted'), ctxDir, 'localhost/split-planted:test');
  const got = imageTree(h, 'localhost/split-planted:test', npmLogs, npmIndex);
  const diff = treeDiff(original!.files, got.files);
  assert.ok(diff.includes('only in the first: /app/package.json') === false && diff.some((d) => d.includes('/app/.dockerignore')), diff.join('\n'));
});

test.after(() => rmSync(ctxDir, { recursive: true, force: true }));
test.run();
