/**
 * pin-digests end to end through the CLI entry (src/cli.ts main, in process) against the real registry:
 * batch dedup over 50 files, per-reference errors (exit 2, the rest still pinned), the lockfile,
 * --offline with and without an entry, --update after the tag moved, flag validation, and --debug
 * output that never shows a credential or a token.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { Lockfile } from '../transforms/pin-digests/lockfile.js';
import { FileError } from '../src/errors.js';
import { BIN } from './helpers/tmp.js';
import { main } from '../src/cli.js';
import { runPipeline } from '../src/pipeline.js';
import { pinDigests } from '../transforms/pin-digests/index.js';
import { emptyDockerConfig, freePort, startProxy, startRegistry, type BuiltImage, type TestRegistry } from './helpers/registry.js';
import { cleanup, tempDir, tree } from './helpers/tmp.js';

process.env.DOCKER_CONFIG = emptyDockerConfig();

async function dockeropt(args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const status = await main(args, {
    stdout: { write: (s: string) => { stdout += s; } },
    stderr: { write: (s: string) => { stderr += s; } },
    cwd, env: { NO_COLOR: '1' },
  });
  return { status, stdout, stderr };
}

const test = suite('pin-digests (CLI, real registry)');
let reg: TestRegistry;
let node: BuiltImage, debian: BuiltImage;
test.before(async () => {
  reg = await startRegistry();
  [node, debian] = await reg.push([
    { name: 'library/node', tag: '20', kind: 'oci-index' },
    { name: 'library/debian', tag: '12', kind: 'docker-list' },
  ]) as [BuiltImage, BuiltImage];
});
test.after(async () => { await reg?.stop(); });

const map = () => ['--registry-map', `docker.io=${reg.host}`];

test('50 files using one image: one HEAD per unique reference, every file pinned', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 50; i++) files[`svc${String(i).padStart(2, '0')}/Dockerfile`] = `FROM node:20 AS build\nFROM docker.io/library/debian:12\nCOPY --from=node:20 /a /b\n`;
  const dir = tree(files);
  const proxy = await startProxy(reg.host);
  try {
    const r = await dockeropt(['--only', 'pin-digests', '--write', '--jobs', '4', '--registry-map', `docker.io=${proxy.host}`, dir], dir);
    assert.is(r.status, 0, r.stderr);
    assert.equal(proxy.requests.map((q) => `${q.method} ${q.path}`).sort(), ['HEAD /v2/library/debian/manifests/12', 'HEAD /v2/library/node/manifests/20']);
    for (const f of Object.keys(files)) {
      assert.is(readFileSync(join(dir, f), 'utf8'), `FROM node:20@${node.digest} AS build\nFROM docker.io/library/debian:12@${debian.digest}\nCOPY --from=node:20@${node.digest} /a /b\n`);
    }
  } finally { await proxy.close(); cleanup(dir); }
});

test('a failed reference is an error on its line, left as is; the rest is pinned; exit 2', async () => {
  const dir = tree({ Dockerfile: 'FROM nosuch/image:1 AS a\nFROM node:20\nCOPY --from=node:99 /a /b\n' });
  try {
    const r = await dockeropt(['--only', 'pin-digests', '--write', ...map(), dir], dir);
    assert.is(r.status, 2);
    assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), `FROM nosuch/image:1 AS a\nFROM node:20@${node.digest}\nCOPY --from=node:99 /a /b\n`);
    assert.match(r.stderr, /Dockerfile:1: pin-digests: nosuch\/image:1 was not found on docker\.io \(via 127\.0\.0\.1:\d+\)/);
    assert.match(r.stderr, /Dockerfile:3: pin-digests: node:99 was not found/);
  } finally { cleanup(dir); }
});

test('the lockfile: written sorted under --write, unchanged on a re-run, then --offline pins from it', async () => {
  const dir = tree({ 'a/Dockerfile': 'FROM node:20\n', 'b/Dockerfile': 'FROM debian:12\nFROM node:20\n' });
  const lock = join(dir, 'dockeropt.lock');
  try {
    const dry = await dockeropt(['--only', 'pin-digests', '--lockfile', lock, ...map(), dir], dir);
    assert.is(dry.status, 0, dry.stderr);
    assert.not.ok(existsSync(lock), 'nothing is written without --write');
    const r = await dockeropt(['--only', 'pin-digests', '--write', '--lockfile', lock, ...map(), dir], dir);
    assert.is(r.status, 0, r.stderr);
    const text = readFileSync(lock, 'utf8');
    const v = JSON.parse(text) as { lockfileVersion: number; images: Record<string, { digest: string; mediaType: string; resolvedAt: string }> };
    assert.is(v.lockfileVersion, 1);
    assert.equal(Object.keys(v.images), ['docker.io/library/debian:12', 'docker.io/library/node:20']);
    assert.is(v.images['docker.io/library/node:20']!.digest, node.digest);
    assert.is(v.images['docker.io/library/debian:12']!.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.ok(!Number.isNaN(Date.parse(v.images['docker.io/library/node:20']!.resolvedAt)));
    // a re-run (files reverted) resolves the same digests: the lockfile stays byte-identical
    writeFileSync(join(dir, 'a/Dockerfile'), 'FROM node:20\n');
    await dockeropt(['--only', 'pin-digests', '--write', '--lockfile', lock, ...map(), dir], dir);
    assert.is(readFileSync(lock, 'utf8'), text);

    // offline: no registry at all (a closed port), only the lockfile
    const closed = `docker.io=127.0.0.1:${await freePort()}`;
    const off = tree({ Dockerfile: 'FROM node:20\nFROM debian:12\n' });
    const ok = await dockeropt(['--only', 'pin-digests', '--write', '--diff', '--offline', '--lockfile', lock, '--registry-map', closed, off], off);
    assert.is(ok.status, 0, ok.stderr);
    assert.is(readFileSync(join(off, 'Dockerfile'), 'utf8'), `FROM node:20@${node.digest}\nFROM debian:12@${debian.digest}\n`);
    assert.ok(ok.stdout.includes('from the lockfile'), ok.stdout);
    writeFileSync(join(off, 'Dockerfile'), 'FROM python:3.12\nFROM node:20\n');
    const miss = await dockeropt(['--only', 'pin-digests', '--write', '--offline', '--lockfile', lock, '--registry-map', closed, off], off);
    assert.is(miss.status, 2);
    assert.ok(miss.stderr.includes(`Dockerfile:1: pin-digests: python:3.12 is not in ${lock} (--offline)`), miss.stderr);
    assert.is(readFileSync(join(off, 'Dockerfile'), 'utf8'), `FROM python:3.12\nFROM node:20@${node.digest}\n`);
    cleanup(off);
  } finally { cleanup(dir); }
});

test('a relative --lockfile is relative to the run\'s working directory, not the process\'s', async () => {
  const dir = tree({ Dockerfile: 'FROM node:20\n' });
  try {
    assert.is.not(process.cwd(), dir);
    const r = await dockeropt(['--only', 'pin-digests', '--write', '--lockfile', 'dockeropt.lock', ...map(), '.'], dir);
    assert.is(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'dockeropt.lock')), '~> written next to the Dockerfile (the run cwd)');
    assert.not.ok(existsSync(join(process.cwd(), 'dockeropt.lock')), '~> not in the process cwd');
  } finally { cleanup(dir); }
});

test('--update re-resolves a digest after the tag moved and shows the change in the diff', async () => {
  const [v1] = await reg.push([{ name: 'library/moving', tag: '1', kind: 'oci-index' }]);
  const dir = tree({ Dockerfile: 'FROM moving:1\n' });
  try {
    assert.is((await dockeropt(['--only', 'pin-digests', '--write', ...map(), dir], dir)).status, 0);
    assert.is(readFileSync(join(dir, 'Dockerfile'), 'utf8'), `FROM moving:1@${v1!.digest}\n`);
    const [v2] = await reg.push([{ name: 'library/moving', tag: '1', kind: 'oci-index', salt: 'v2' }]);
    assert.is.not(v2!.digest, v1!.digest);
    const without = await dockeropt(['--only', 'pin-digests', ...map(), dir], dir);
    assert.not.ok(without.stdout.includes('+FROM'), 'a pinned reference is left alone without --update');
    const r = await dockeropt(['--only', 'pin-digests', '--update', ...map(), dir], dir);
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`-FROM moving:1@${v1!.digest}\n+FROM moving:1@${v2!.digest}\n`), r.stdout);
    assert.ok(r.stdout.includes('the tag moved'), r.stdout);
  } finally { cleanup(dir); }
});

test('bad flags are usage errors (exit 2)', async () => {
  const dir = tree({ Dockerfile: 'FROM node:20\n' });
  try {
    for (const [args, why] of [[['--jobs', '0'], /--jobs must be/], [['--platform', 'arm64'], /--platform: invalid platform/], [['--registry-timeout', 'x'], /--registry-timeout must be/], [['--registry-map', 'nohost'], /--registry-map wants/]] as const) {
      const r = await dockeropt(['--only', 'pin-digests', ...args, dir], dir);
      assert.is(r.status, 2);
      assert.match(r.stderr, why);
    }
  } finally { cleanup(dir); }
});

/** The built CLI in a child process (for runs at the same time). */
function cliAsync(args: string[], cwd: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', DOCKER_CONFIG: process.env.DOCKER_CONFIG ?? '', NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('exit', (status) => resolve({ status, stderr }));
  });
}

test('runs with the same --lockfile at once keep every run\'s entries (the lock: <lockfile>.lock)', async () => {
  const [alpine] = await reg.push([{ name: 'library/alpine', tag: '3', kind: 'oci' }]);
  const want = { 'docker.io/library/node:20': node.digest, 'docker.io/library/debian:12': debian.digest, 'docker.io/library/alpine:3': alpine!.digest };
  for (let round = 0; round < 3; round++) {
    const dir = tree({ 'a/Dockerfile': 'FROM node:20\n', 'b/Dockerfile': 'FROM debian:12\n', 'c/Dockerfile': 'FROM alpine:3\n' });
    try {
      const runs = await Promise.all(['a', 'b', 'c'].map((d) => cliAsync(['--only', 'pin-digests', '--write', '--lockfile', 'dockeropt.lock', ...map(), d], dir)));
      for (const r of runs) assert.is(r.status, 0, r.stderr);
      const images = (JSON.parse(readFileSync(join(dir, 'dockeropt.lock'), 'utf8')) as { images: Record<string, { digest: string }> }).images;
      assert.equal(Object.fromEntries(Object.entries(images).map(([k, v]) => [k, v.digest])), want, `~> round ${round}: an entry was lost`);
      assert.equal(readdirSync(dir).sort(), ['a', 'b', 'c', 'dockeropt.lock'], '~> no lock or temp file left');
    } finally { cleanup(dir); }
  }
});

test('a lock left by a run that is gone is taken over; one held by a live run stops the write and names it', async () => {
  const dir = tree({ 'dockeropt.lock.lock': `4194303 ${hostname()}\n` });
  try {
    const stale = Lockfile.read(join(dir, 'dockeropt.lock'), 'dockeropt.lock');
    stale.set('docker.io/library/node:20', node.digest, undefined);
    await stale.write(300);
    assert.ok(readFileSync(join(dir, 'dockeropt.lock'), 'utf8').includes(node.digest));
    writeFileSync(join(dir, 'dockeropt.lock.lock'), `${process.pid} ${hostname()}\n`);
    const held = Lockfile.read(join(dir, 'dockeropt.lock'), 'dockeropt.lock');
    held.set('docker.io/library/debian:12', debian.digest, undefined);
    let err: unknown = null;
    try { await held.write(300); } catch (e) { err = e; }
    assert.instance(err, FileError);
    assert.is((err as FileError).message, `not written: another dockeropt run holds the lock dockeropt.lock.lock (pid ${process.pid})`);
    assert.not.ok(readFileSync(join(dir, 'dockeropt.lock'), 'utf8').includes(debian.digest));
  } finally { cleanup(dir); }
});

test('the lockfile and the Dockerfiles pinned from it are one transaction: when it cannot be written, they are not either', async () => {
  const dir = tree({ 'a/Dockerfile': 'FROM node:20\n', 'b/Dockerfile': `FROM debian:12@${debian.digest}\nRUN a\nRUN b\n` });
  // a full disk where root may mount one (a 64 KB tmpfs, filled), else a lockfile whose directory is missing
  const disk = join(dir, 'disk');
  spawnSync('mkdir', [disk]);
  const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]).status === 0;
  if (mounted) spawnSync('dd', ['if=/dev/zero', `of=${join(disk, 'filler')}`, 'bs=4k', 'count=64'], { stdio: 'ignore' });
  else symlinkSync(join(dir, 'missing', 'dockeropt.lock'), join(disk, 'dockeropt.lock'));
  try {
    const r = await dockeropt(['--only', 'pin-digests,merge-run', '--write', '--lockfile', 'disk/dockeropt.lock', ...map(), 'a', 'b'], dir);
    assert.is(r.status, 2, r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(out, mounted ? /disk\/dockeropt\.lock: not written.*\(ENOSPC\).*\(the disk is full/ : /disk\/dockeropt\.lock: not written \(ENOENT\)/);
    assert.ok(out.includes('a/Dockerfile: not written: the changes pin-digests made here are recorded in disk/dockeropt.lock, which could not be written, so this file was not written either'), out);
    assert.not.ok(out.includes('internal error'), out);
    assert.is(readFileSync(join(dir, 'a/Dockerfile'), 'utf8'), 'FROM node:20\n', '~> not pinned without its lockfile entry');
    assert.is(readFileSync(join(dir, 'b/Dockerfile'), 'utf8'), `FROM debian:12@${debian.digest}\nRUN a \\\n    && b\n`, '~> a file that does not depend on the lockfile is written');
    assert.equal(readdirSync(disk).sort(), mounted ? ['filler'] : ['dockeropt.lock'], '~> no temp file or lock left');
    if (!mounted) assert.ok(lstatSync(join(disk, 'dockeropt.lock')).isSymbolicLink());
    console.log(mounted ? '    (a full 64 KB tmpfs)' : '    (a lockfile in a directory that does not exist: no tmpfs mount here)');
  } finally {
    if (mounted) spawnSync('umount', [disk]);
    cleanup(dir);
  }
});

test('without a prepared state (library use) it still works', async () => {
  const r = await runPipeline('FROM node:20\n', { transforms: [pinDigests], options: { 'pin-digests': { ...pinDigests.defaults, registryMap: { 'docker.io': reg.host } } } });
  assert.is(r.text, `FROM node:20@${node.digest}\n`);
});

test.run();

const secrets = suite('pin-digests --debug never shows credentials or tokens');
secrets('token auth with credentials from config.json', async () => {
  const treg = await startRegistry({ auth: 'token' });
  const cfgDir = tempDir('dockeropt-cfg-');
  const old = process.env.DOCKER_CONFIG;
  try {
    const [app] = await treg.push([{ name: 'myorg/app', tag: '1.0', kind: 'oci' }]);
    const b64 = Buffer.from(`${treg.user}:${treg.password}`).toString('base64');
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [treg.host]: { auth: b64 } } }));
    process.env.DOCKER_CONFIG = cfgDir;
    const dir = tree({ Dockerfile: `FROM ${treg.host}/myorg/app:1.0\nFROM ${treg.host}/myorg/app:404\n` });
    // the request log goes to the process's stderr: capture it
    let logged = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => { logged += String(chunk); return true; }) as typeof process.stderr.write;
    let r;
    try {
      r = await dockeropt(['--only', 'pin-digests', '--debug', dir], dir);
    } finally { process.stderr.write = write; }
    r.stderr += logged;
    assert.is(r.status, 2);
    assert.ok(r.stdout.includes(`+FROM ${treg.host}/myorg/app:1.0@${app!.digest}`), r.stdout);
    assert.match(r.stderr, /pin-digests: GET http:\/\/127\.0\.0\.1:\d+\/token\?… -> 200/);
    assert.match(r.stderr, /pin-digests: HEAD http:\/\/127\.0\.0\.1:\d+\/v2\/myorg\/app\/manifests\/1\.0 -> 200/);
    const all = r.stdout + r.stderr;
    for (const s of [treg.password, b64, ...treg.token!.issued]) assert.not.ok(all.includes(s), 'a secret was printed');
    assert.ok(treg.token!.issued.length > 0);
    cleanup(dir);
  } finally {
    process.env.DOCKER_CONFIG = old;
    await treg.stop();
  }
});
secrets.run();
