/**
 * The pieces of verify that need no builder: the tar reader and layer application (whiteouts, opaque
 * directories, hardlinks, pax and GNU long names), the tree and config comparison with its rules, the
 * grouping of many differences, the Dockerfile facts, and the parsing of build logs. The builds
 * themselves are tested in verify.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { applyLayer, type Entry, type Tree } from '../src/verify/tree.js';
import { compareConfig, compareTrees, differenceLine, group, type Difference } from '../src/verify/compare.js';
import { dockerfileFacts, mountOptions } from '../src/verify/dockerfile.js';
import { chooseTouch, parseSteps } from '../src/verify/cache.js';
import { buildError, pullFailure } from '../src/verify/index.js';
import { versionAtLeast } from '../src/verify/builders.js';
import { cleanup, tree as tmpTree } from './helpers/tmp.js';

// ---- a tar writer for the tests (ustar headers, pax records for long names) ------------------

interface Member { name: string; type?: '0' | '1' | '2' | '5' | '3'; mode?: number; uid?: number; gid?: number; body?: string; link?: string; pax?: Record<string, string>; gnuLong?: boolean }

function header(name: string, type: string, size: number, m: Member): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s.slice(0, len), off, 'utf8');
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  put(name, 0, 100);
  put(oct(m.mode ?? 0o644, 8), 100, 8);
  put(oct(m.uid ?? 0, 8), 108, 8);
  put(oct(m.gid ?? 0, 8), 116, 8);
  put(oct(size, 12), 124, 12);
  put(oct(0, 12), 136, 12);
  h.fill(' ', 148, 156);
  put(type, 156, 1);
  put(m.link ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(oct(sum, 7) + ' ', 148, 8);
  return h;
}
const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

function tarOf(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const body = Buffer.from(m.body ?? '');
    if (m.pax) {
      const rec = Object.entries(m.pax).map(([k, v]) => {
        const line = ` ${k}=${v}\n`;
        let len = line.length + 1;
        while (`${len}${line}`.length !== len) len = `${len}${line}`.length;
        return `${len}${line}`;
      }).join('');
      parts.push(header('PaxHeader', 'x', Buffer.byteLength(rec), {}), pad(Buffer.from(rec)));
    }
    if (m.gnuLong) parts.push(header('././@LongLink', 'L', Buffer.byteLength(m.name) + 1, {}), pad(Buffer.from(m.name + '\0')));
    parts.push(header(m.gnuLong || m.pax?.path ? 'x'.repeat(20) : m.name, m.type ?? '0', body.length, m), pad(body));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
/** Feeds the bytes in small uneven chunks, as a pipe would. */
const stream = (b: Buffer) => Readable.from((function* () { for (let i = 0; i < b.length; i += 777) yield b.subarray(i, i + 777); })());

const tar = suite('verify: layers');
tar('applies layers in order: files, dirs, symlinks, hardlinks, whiteouts and opaque directories', async () => {
  const t: Tree = new Map();
  await applyLayer(t, stream(tarOf([
    { name: './etc/', type: '5', mode: 0o755 },
    { name: './etc/passwd', body: 'root:x:0:0\n' },
    { name: './usr/bin/', type: '5', mode: 0o755 },
    { name: './usr/bin/su', body: 'su', mode: 0o4755 },
    { name: './usr/bin/sudo', type: '1', link: 'usr/bin/su' },
    { name: './tmp/', type: '5', mode: 0o1777 },
    { name: './old/', type: '5' },
    { name: './old/a', body: 'a' },
    { name: './opq/', type: '5' },
    { name: './opq/lower', body: 'lower' },
    { name: './bin', type: '2', link: 'usr/bin' },
  ])));
  await applyLayer(t, stream(gzipSync(tarOf([
    { name: 'old/.wh..wh..opq', body: '' },
    { name: 'opq/.wh..wh..opq' },
    { name: 'opq/upper', body: 'upper', uid: 1001, gid: 1001 },
    { name: 'etc/.wh.passwd' },
    { name: 'var/lib/app/data.json', body: '{}', mode: 0o600 },
  ]))));
  assert.equal(t.get('/usr/bin/su'), { type: 'file', mode: 0o4755, uid: 0, gid: 0, size: 2, digest: sha('su') });
  assert.equal(t.get('/usr/bin/sudo'), t.get('/usr/bin/su'), 'a hardlink has its target\'s facts');
  assert.is(t.get('/tmp')!.mode, 0o1777);
  assert.equal(t.get('/bin'), { type: 'symlink', mode: 0o644, uid: 0, gid: 0, link: 'usr/bin' });
  assert.not.ok(t.has('/etc/passwd'), 'a whiteout removes the lower file');
  assert.ok(t.has('/etc'));
  assert.not.ok(t.has('/old/a'), 'an opaque directory hides the lower layers\' content');
  assert.ok(t.has('/old'));
  assert.not.ok(t.has('/opq/lower'));
  assert.equal(t.get('/opq/upper'), { type: 'file', mode: 0o644, uid: 1001, gid: 1001, size: 5, digest: sha('upper') }, 'what the opaque layer itself adds stays');
  assert.is(t.get('/var/lib/app/data.json')!.mode, 0o600);
});
tar('long names from pax records and GNU long-name members; a file replacing a directory drops its content', async () => {
  const long = `deep/${'d'.repeat(120)}/file.txt`;
  const t: Tree = new Map();
  await applyLayer(t, stream(tarOf([
    { name: long, pax: { path: long, uid: '2000000', gid: '7' }, body: 'pax' },
    { name: `gnu/${'g'.repeat(130)}`, gnuLong: true, body: 'gnu' },
    { name: 'x/', type: '5' },
    { name: 'x/inner', body: 'i' },
  ])));
  await applyLayer(t, stream(tarOf([{ name: 'x', body: 'now a file' }])));
  assert.equal(t.get(`/${long}`), { type: 'file', mode: 0o644, uid: 2000000, gid: 7, size: 3, digest: sha('pax') });
  assert.is(t.get(`/gnu/${'g'.repeat(130)}`)!.digest, sha('gnu'));
  assert.is(t.get('/x')!.type, 'file');
  assert.not.ok(t.has('/x/inner'));
});
tar('a damaged archive is an error, not a silent partial tree', async () => {
  const bad = tarOf([{ name: 'a', body: 'x' }]);
  bad[148] = 0x37; // checksum
  try {
    await applyLayer(new Map(), stream(bad));
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /checksum/);
  }
});
tar.run();

// ---- comparison ------------------------------------------------------------------------------

const f = (body: string, more: Partial<Entry> = {}): Entry => ({ type: 'file', mode: 0o644, uid: 0, gid: 0, size: body.length, digest: sha(body), ...more });
const d = (more: Partial<Entry> = {}): Entry => ({ type: 'dir', mode: 0o755, uid: 0, gid: 0, ...more });
const treeOf = (o: Record<string, Entry>): Tree => new Map(Object.entries(o));

const cmp = suite('verify: comparison');
cmp('files: every fact but times; one line per difference', () => {
  const a = treeOf({ '/app': d(), '/app/a.js': f('a'), '/app/s': f('s', { mode: 0o755 }), '/app/l': { type: 'symlink', mode: 0o777, uid: 0, gid: 0, link: 'a.js' }, '/app/o': f('o'), '/gone': f('g') });
  const b = treeOf({ '/app': d({ uid: 1001 }), '/app/a.js': f('b'), '/app/s': f('s', { mode: 0o4755 }), '/app/l': { type: 'symlink', mode: 0o777, uid: 0, gid: 0, link: 's' }, '/app/o': f('o', { gid: 5 }), '/new': d({ mode: 0o1777 }) });
  const r = compareTrees(a, b);
  assert.equal(r.differences.map(differenceLine), [
    '~ /app: uid 0 -> 1001',
    '~ /app/a.js: content differs',
    '~ /app/l: link a.js -> s',
    '~ /app/o: gid 0 -> 5',
    '~ /app/s: mode 0755 -> 4755',
    '- /gone (only in the original: file 0644 0:0 1 B)',
    '+ /new (only in the rewritten image: dir 1777 0:0)',
  ]);
  assert.is(r.fileDifferences, 7);
  assert.equal(compareTrees(a, new Map(a)).differences, []);
});
cmp('not differences: builder mount points, the content of build logs, time-stamped log names, the download cache under a cache-mount target', () => {
  const a = treeOf({
    '/etc/hosts': f(''), '/etc/resolv.conf': f('x'), '/run': d(),
    '/var/log/dpkg.log': f('2024-01-01 install curl'), '/var/cache/ldconfig/aux-cache': f('1'),
    '/root/.npm': d(), '/root/.npm/_cacache/content-v2/sha512/ab': f('tgz'), '/root/.npm/_logs/2024-debug-0.log': f('log'),
  });
  const b = treeOf({ '/var/log/dpkg.log': f('2025-02-02 install curl!'), '/var/cache/ldconfig/aux-cache': f('22'), '/root/.npm': d() });
  const r = compareTrees(a, b, { cacheTargets: ['/root/.npm'] });
  assert.equal(r.differences, []);
  assert.equal(r.notes, [
    "1 file of the download cache under /root/.npm no longer in the image (the cache mount's target)",
    '2 files whose content changes on every build (logs, caches with time stamps) compared without their content',
    "1 time-stamped build log (npm's _logs) not compared",
    '3 builder mount points (/etc/hosts, /etc/resolv.conf, /run, …) not compared',
  ]);
  // but a log's presence and metadata still count, and so does what the rewritten image adds under a target
  const c = treeOf({ '/var/log/dpkg.log': f('x', { mode: 0o600 }), '/var/cache/ldconfig/aux-cache': f('1'), '/root/.npm': d(), '/root/.npm/new': f('n') });
  assert.equal(compareTrees(a, c, { cacheTargets: ['/root/.npm'] }).differences.map(differenceLine), [
    '+ /root/.npm/new (only in the rewritten image: file 0644 0:0 1 B)',
    '~ /var/log/dpkg.log: mode 0644 -> 0600',
  ]);
  // a /run with content is not the builder's
  assert.equal(compareTrees(treeOf({ '/run': d(), '/run/app.pid': f('1') }), new Map()).differences.map(differenceLine), ['- /run (only in the original: dir 0755 0:0)', '- /run/app.pid (only in the original: file 0644 0:0 1 B)']);
});
cmp("Go's build cache: action entries and trim.txt carry time stamps (content not compared); its outputs are compared", () => {
  const e = `/root/.cache/go-build/3f/${'3f'.repeat(32)}`;
  const a = treeOf({ [`${e}-a`]: f('v1 1701000000'), [`${e}-d`]: f('object'), '/root/.cache/go-build/trim.txt': f('1701000000') });
  const b = treeOf({ [`${e}-a`]: f('v1 1702000000'), [`${e}-d`]: f('object'), '/root/.cache/go-build/trim.txt': f('1702000000') });
  const r = compareTrees(a, b);
  assert.equal(r.differences, []);
  assert.ok(r.notes.includes('2 files whose content changes on every build (logs, caches with time stamps) compared without their content'), r.notes.join('\n'));
  const c = treeOf({ [`${e}-a`]: f('v1 1702000000'), [`${e}-d`]: f('other object'), '/root/.cache/go-build/trim.txt': f('1702000000') });
  assert.equal(compareTrees(a, c).differences.map(differenceLine).length, 1);
});
cmp('mount points and skipped subtrees (buildah#4927) are left out and said', () => {
  const a = treeOf({ '/root/.npm': d(), '/var/lib/apt': d(), '/var/lib/apt/extended_states': f('x') });
  const r = compareTrees(a, new Map(), { cacheTargets: ['/root/.npm', '/var/lib/apt'], mountPoints: ['/root/.npm'], skip: ['/var/lib/apt'] });
  assert.equal(r.differences, []);
  assert.ok(r.notes.some((n) => n.includes('mount point /root/.npm not compared')));
});
cmp('many differences are grouped by directory at the deepest level that fits', () => {
  const a: Tree = new Map(), b: Tree = new Map();
  for (let i = 0; i < 412; i++) a.set(`/usr/lib/x86_64-linux-gnu/lib${i}.so`, f(String(i)));
  for (let i = 0; i < 30; i++) a.set(`/usr/share/doc/p${i}/copyright`, f('c'));
  b.set('/app/server', f('bin'));
  for (let i = 0; i < 25; i++) { a.set(`/etc/x${i}`, f('1')); b.set(`/etc/x${i}`, f('2')); }
  const r = compareTrees(a, b, { maxFileLines: 5 });
  assert.equal(r.differences.map(differenceLine), [
    '+ /app/server (only in the rewritten image: file 0644 0:0 3 B)',
    '25 files under /etc differ',
    '412 files under /usr/lib/x86_64-linux-gnu only in the original',
    '30 files under /usr/share/doc only in the original',
  ]);
  assert.is(r.fileDifferences, 468);
  const lines = group(r.differences.filter((x): x is Extract<Difference, { kind: 'file' }> => x.kind === 'file'), 20);
  assert.is(lines.length, 1);
});
cmp('config: each field, Env and Labels per key, empty equals unset', () => {
  const a = { User: '', Cmd: ['node', 'a.js'], Env: ['PATH=/bin', 'A=1'], Labels: { x: '1' }, ExposedPorts: {}, Healthcheck: { Test: ['CMD', 'true'] }, Shell: ['/bin/sh', '-c'], StopSignal: 'SIGTERM' };
  const b = { User: '1001', Cmd: ['node', 'a.js'], Env: ['A=1', 'PATH=/usr/bin', 'B=2'], Labels: { x: '1', y: '2' }, Volumes: null, Healthcheck: { Test: ['CMD', 'false'] }, Shell: ['/bin/sh', '-c'], StopSignal: 'SIGTERM' };
  assert.equal(compareConfig(a, b).map(differenceLine), [
    'config User: (unset) -> "1001"',
    'config Env B: (unset) -> "2"',
    'config Env PATH: "/bin" -> "/usr/bin"',
    'config Labels y: (unset) -> "2"',
    'config Healthcheck: {"Test":["CMD","true"]} -> {"Test":["CMD","false"]}',
  ]);
  assert.equal(compareConfig(a, { ...a, Env: ['A=1', 'PATH=/bin'] }), [], 'Env order is not a difference');
});
cmp.run();

// ---- Dockerfile facts, logs ---------------------------------------------------------------------

const facts = suite('verify: Dockerfile facts and build logs');
facts('cache-mount targets (relative ones against WORKDIR), heredocs, COPY --link, stages', () => {
  const fx = dockerfileFacts([
    '# syntax=docker/dockerfile:1',
    'FROM node:20 AS Build',
    'WORKDIR /app',
    'RUN --mount=type=cache,target=/root/.npm --mount=type=cache,dst=.cache,uid=1000 \\',
    '    npm ci',
    'RUN --mount=type=bind,target=/src true',
    'COPY --link . .',
    'RUN <<EOF',
    'echo hi',
    'EOF',
    'FROM debian:12',
  ].join('\n'));
  assert.equal(fx.cacheTargets, [{ target: '/root/.npm', line: 4 }, { target: '/app/.cache', line: 4 }]);
  assert.equal(fx.cacheRuns.map((r) => [r.line, r.targets]), [[4, ['/root/.npm', '/app/.cache']]]);
  assert.equal(fx.contextBinds, [6]);
  assert.equal(fx.copyLink, [7]);
  assert.equal(fx.heredocs, [8]);
  assert.equal(fx.stages, ['build']);
  assert.equal([...mountOptions('type=cache,"target=/a,b",sharing=locked')], [['type', 'cache'], ['target', '/a,b'], ['sharing', 'locked']]);
});
facts('steps re-run or cached: buildah/podman and buildx logs', () => {
  const buildah = ['STEP 1/4: FROM node:20', 'STEP 2/4: WORKDIR /app', '--> Using cache 1a2b', '--> 1a2b', 'STEP 3/4: COPY . .', '--> 3c4d', 'STEP 4/4: RUN npm ci', 'added 1 package', 'COMMIT x', '--> 5e6f'].join('\n');
  assert.equal(parseSteps(buildah).map((s) => [s.instruction, s.cached]), [['FROM node:20', false], ['WORKDIR /app', true], ['COPY . .', false], ['RUN npm ci', false]]);
  const multi = ['[1/2] STEP 1/2: FROM debian:12 AS build', '[1/2] STEP 2/2: RUN make', '--> Using cache 9', '[2/2] STEP 1/2: FROM debian:12', '[2/2] STEP 2/2: COPY --from=build /out /out', '--> 8'].join('\n');
  assert.equal(parseSteps(multi).filter((s) => s.cached).map((s) => s.instruction), ['RUN make']);
  const buildx = ['#1 [internal] load build definition from Dockerfile', '#5 [1/3] FROM docker.io/library/node:20', '#6 [2/3] COPY package.json ./', '#6 CACHED', '#7 [3/3] RUN npm ci', '#7 0.512 added 1 package', '#7 DONE 1.2s'].join('\n');
  assert.equal(parseSteps(buildx).map((s) => [s.instruction, s.cached]), [['FROM docker.io/library/node:20', false], ['COPY package.json ./', true], ['RUN npm ci', false]]);
});
facts('the file the cache experiment changes: a source file the build sees, not a manifest', async () => {
  const dir = tmpTree({ 'package.json': '{}', 'package-lock.json': '{}', 'README.md': 'r', 'src/index.js': 'x', 'src/secret.js': 's', 'Dockerfile': 'FROM x', 'test/a.js': 't' });
  try {
    assert.is(await chooseTouch(dir, null), 'src/index.js');
    assert.is(await chooseTouch(dir, 'src/index.js\n'), 'src/secret.js');
    assert.is(await chooseTouch(dir, 'src\ntest\nREADME.md\n'), null);
  } finally {
    cleanup(dir);
  }
});
facts('build errors and pull failures in one line', () => {
  const fail = ['STEP 2/2: RUN ./configure', '/bin/sh: 1: ./configure: not found', 'subprocess exited with status 127', 'Error: building at STEP "RUN ./configure": exit status 127'].join('\n');
  assert.is(buildError(fail), 'building at STEP "RUN ./configure": exit status 127 (/bin/sh: 1: ./configure: not found)');
  assert.is(pullFailure(fail), null);
  const pull = ['STEP 1/2: FROM 127.0.0.1:9/nope:1', 'Trying to pull 127.0.0.1:9/nope:1...', 'Error: creating build container: initializing source docker://127.0.0.1:9/nope:1: pinging container registry 127.0.0.1:9: Get "https://127.0.0.1:9/v2/": dial tcp 127.0.0.1:9: connect: connection refused'].join('\n');
  assert.is(pullFailure(pull), '127.0.0.1:9/nope:1');
  assert.is(pullFailure('ERROR: failed to solve: node:99: failed to resolve source metadata for docker.io/library/node:99: not found'), 'docker.io/library/node:99');
  assert.ok(versionAtLeast('1.33.0', '1.33') && !versionAtLeast('1.28.2', '1.33') && versionAtLeast('4.9.3', '4.8') && !versionAtLeast('4.3.1', '4.8'));
});
facts.run();
