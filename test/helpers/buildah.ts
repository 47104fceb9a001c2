/**
 * The one build harness of the tests: real image builds without a Docker engine or a registry, with
 * Debian's `buildah` (chroot isolation, which dockeropt's verify uses by default) and local base images
 * this harness makes, stand-ins with the official images' names, layout and Debian release, so an
 * unmodified `FROM node:20` builds offline:
 *
 * - `busybox` (`docker.io/library/busybox:latest`): FROM scratch + Debian's static busybox, every applet
 *   a symlink in /bin, /etc/passwd and /etc/group with root and nobody.
 * - `debian:12` (`docker.io/library/debian:{12,bookworm}`): `debootstrap --variant=minbase bookworm` from
 *   the system's Debian mirror, plus the apt settings of the official image (docker-clean,
 *   docker-gzip-indexes, docker-no-languages, docker-autoremove-suggests, policy-rc.d);
 *   `debian:12-slim` (`debian:bookworm-slim`): the same without /usr/share/{doc,man,info,locale}.
 * - `node:20` (`docker.io/library/node:{20,20-bookworm}`): debian:12 plus this machine's own Node.js 20
 *   and npm under /usr/local (the official image's layout), the `node` user (1000), CMD ["node"];
 *   `node:20-slim`: the same in one layer without /usr/share/{doc,man,info,locale}.
 * - `golang:1.19` (`docker.io/library/golang:{1.19,1.19-bookworm}`), made only for a test that calls
 *   `golangImage()`, in a cached store of its own (so no other test waits for it): debian:12 (one layer)
 *   plus Debian's golang-go (Go 1.19, /usr/lib/go) and the C toolchain the official image has (g++ gcc
 *   libc6-dev make pkg-config), installed with apt-get from the Debian mirror in a `buildah run`, and
 *   the official image's GOPATH=/go, PATH (/go/bin, then the Go toolchain's bin), WORKDIR /go.
 *   test/helpers/goproxy.ts makes a Go module proxy on disk for it (GOPROXY=file:///…).
 *
 * Packages (buildah, debootstrap, dpkg, busybox-static) are installed with apt-get as root through
 * helpers/packages.ts; otherwise this throws, saying what to install. Build tests never skip.
 *
 * Cache: under $DOCKEROPT_TEST_CACHE (default ~/.cache/dockeropt-test) the Debian root file system as a
 * tarball (debootstrap runs once, 1-2 minutes) and a store holding the base images, made once under a
 * lock and then only read; the golang image's store the same way, under its own lock, on first use.
 *
 * Store and cleanup: each test process builds in its own store (`baseImages()`), which lists the cached
 * one as a read-only additional image store, and has its own TMPDIR (buildah's cache mounts, verify's
 * temporary contexts, `scratchDir()`). A test's own fixture images (`derive()`, `localAptImage()`) are
 * layers on a base image in that store. At exit, and on SIGINT/SIGTERM (which exit through the same
 * path), running builds and dockeropt processes are stopped and the store is removed with everything in it.
 *
 * Comparison: `build()`, `image()` and `compareImages()` go through src/verify's own builder (the
 * `buildah build --layers` and `buildah mount` + tree walk that `dockeropt verify` uses) and its
 * comparison rules (`compareTrees`, `compareConfig`), so the build tests prove the product's comparison.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { closeSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensurePackages } from './packages.js';
import { detectBuilder, type Builder } from '../../src/verify/builders.js';
import { compareConfig, compareTrees, differenceLine, type CompareOptions, type ImageConfig, type ImageSize } from '../../src/verify/compare.js';
import { atExit } from '../../src/verify/exec.js';
import type { Tree } from '../../src/verify/tree.js';

/** Bump when the cached Debian root file system must be rebuilt. */
const DEBIAN_ROOTFS_VERSION = 1;

export const IMAGES = {
  busybox: 'docker.io/library/busybox:latest',
  debian: 'docker.io/library/debian:12',
  debianSlim: 'docker.io/library/debian:12-slim',
  node: 'docker.io/library/node:20',
  nodeSlim: 'docker.io/library/node:20-slim',
  /** Made only for a test that calls `golangImage()` (it must, before building FROM it). */
  golang: 'docker.io/library/golang:1.19',
} as const;

export interface BuildahHarness {
  /** The environment dockeropt (and buildah) must run with: the private store, registries.conf, chroot isolation, TMPDIR. */
  env: Record<string, string>;
  /** Runs buildah in the private store (synchronously). */
  buildah(args: string[]): SpawnSyncReturns<string>;
  /** The private store's directory (removed at exit). */
  dir: string;
}

export const cacheDir = () => process.env.DOCKEROPT_TEST_CACHE || join(homedir(), '.cache', 'dockeropt-test');

/** Is the ELF file statically linked (no PT_INTERP program header)? */
function isStatic(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false;
    const phoff = Number(h.readBigUInt64LE(32)), phentsize = h.readUInt16LE(54), phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

const busyboxOk = () => existsSync('/bin/busybox') && isStatic(realpathSync('/bin/busybox'));

/** Installs buildah, debootstrap, dpkg-deb and a static busybox from Debian when missing; throws when it cannot. */
export function ensureBuildPackages(): void {
  ensurePackages([['buildah', 'buildah'], ['debootstrap', 'debootstrap'], ['dpkg-deb', 'dpkg'], { package: 'busybox-static', ok: busyboxOk }], 'the build tests');
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-8).join('\n')}`);
  return r.stdout;
}

/** A lock directory shared by concurrent test processes (other checkouts on the same machine). */
function withLock<T>(name: string, fn: () => T): T {
  const lock = join(cacheDir(), `${name}.lock`);
  mkdirSync(cacheDir(), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let pid = 0;
      try { pid = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being created */ }
      let alive = true;
      if (pid) try { process.kill(pid, 0); } catch { alive = false; }
      if (!alive) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      spawnSync('sleep', ['1']);
    }
  }
  try { return fn(); } finally { rmSync(lock, { recursive: true, force: true }); }
}

function debianMirror(): string {
  const r = spawnSync('apt-get', ['indextargets', '--format', '$(REPO_URI) $(RELEASE) $(COMPONENT)', 'Created-By: Packages'], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    const [uri, rel, comp] = line.split(' ');
    if (rel === 'bookworm' && comp === 'main' && uri) return uri;
  }
  return 'http://deb.debian.org/debian/';
}

/** The cached minbase root file system tarball (made with debootstrap the first time). */
export function debianRootfs(): string {
  const tar = join(cacheDir(), `debian-bookworm-minbase-v${DEBIAN_ROOTFS_VERSION}.tar`);
  if (existsSync(tar) && statSync(tar).size > 0) return tar;
  return withLock('debian-rootfs', () => {
    if (existsSync(tar) && statSync(tar).size > 0) return tar;
    const rfs = mkdtempSync(join(tmpdir(), 'dockeropt-debootstrap-'));
    try {
      const r = spawnSync('debootstrap', ['--variant=minbase', 'bookworm', rfs, debianMirror()], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
      if (r.status !== 0) throw new Error(`debootstrap failed: ${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
      // what the official image does not ship either
      for (const d of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
        for (const f of readdirSync(join(rfs, d))) if (f !== 'partial' && f !== 'lock') rmSync(join(rfs, d, f), { recursive: true, force: true });
      }
      for (const f of readdirSync(join(rfs, 'var/log'))) if (f.endsWith('.log')) rmSync(join(rfs, 'var/log', f), { force: true });
      rmSync(join(rfs, 'var/cache/ldconfig/aux-cache'), { force: true });
      for (const d of ['dev', 'run']) for (const f of readdirSync(join(rfs, d))) rmSync(join(rfs, d, f), { recursive: true, force: true });
      must(spawnSync('tar', ['-C', rfs, '--numeric-owner', '-cf', `${tar}.tmp`, '.'], { encoding: 'utf8' }), 'tar of the Debian root');
      renameSync(`${tar}.tmp`, tar);
      return tar;
    } finally {
      rmSync(rfs, { recursive: true, force: true });
    }
  });
}

// the official debian image's apt settings (debuerreotype)
export const DOCKER_APT: Record<string, string> = {
  'docker-clean': [
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    '', 'Dir::Cache::pkgcache "";', 'Dir::Cache::srcpkgcache "";', '',
  ].join('\n'),
  'docker-autoremove-suggests': 'Apt::AutoRemove::SuggestsImportant "false";\n',
  'docker-gzip-indexes': 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";\n',
  'docker-no-languages': 'Acquire::Languages "none";\n',
};

/** Bump when the base images change. */
const IMAGES_VERSION = 3;

function storageDriver(): string {
  return process.env.DOCKEROPT_TEST_STORAGE_DRIVER || 'overlay';
}

function storageConf(dir: string, graphroot: string, runroot: string, extra: string[] = []): string {
  const file = join(dir, 'storage.conf');
  // written whole and renamed: golangImage() rewrites it while other buildah processes may read it
  writeFileSync(`${file}.tmp`, `[storage]\ndriver = "${storageDriver()}"\ngraphroot = "${graphroot}"\nrunroot = "${runroot}"\n${extra.length ? `[storage.options]\nadditionalimagestores = [${extra.map((e) => JSON.stringify(e)).join(', ')}]\n` : ''}`);
  renameSync(`${file}.tmp`, file);
  return file;
}

function registriesConf(dir: string): string {
  const file = join(dir, 'registries.conf');
  writeFileSync(file, 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n');
  return file;
}

const runner = (env: Record<string, string>) => (args: string[]) => spawnSync('buildah', args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });

/**
 * The base images live in a store under the cache dir, made once (under a lock, so concurrent test
 * processes wait for each other) and then only read: every test process builds in its own empty store
 * that lists it as an additional (read-only) image store.
 */
function baseStore(): string {
  const graphroot = join(cacheDir(), `images-v${IMAGES_VERSION}-${storageDriver()}-node${process.versions.node}`);
  return cachedStore('images', graphroot, (h) => {
    makeBusybox(h);
    makeDebian(h);
    makeNode(h);
  });
}

/** A store under the cache dir filled once by `make` (under the lock `lock`), then only read. */
function cachedStore(lock: string, graphroot: string, make: (h: BuildahHarness) => void): string {
  const ready = join(graphroot, 'dockeropt-ready');
  if (existsSync(ready)) return graphroot;
  return withLock(lock, () => {
    if (existsSync(ready)) return graphroot;
    rmSync(graphroot, { recursive: true, force: true });
    const tmp = mkdtempSync(join(tmpdir(), 'dockeropt-base-'));
    try {
      const env = { CONTAINERS_STORAGE_CONF: storageConf(tmp, graphroot, join(tmp, 'run')), CONTAINERS_REGISTRIES_CONF: registriesConf(tmp) };
      make({ env, buildah: runner(env), dir: tmp });
      writeFileSync(ready, `${new Date().toISOString()}\n`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return graphroot;
  });
}

/** Bump when the golang image changes. */
const GOLANG_IMAGE_VERSION = 1;

/**
 * The golang:1.19 stand-in's store, made on first use only (its own cache entry and lock, so the other
 * base images and the tests that do not ask for it are unaffected).
 */
function golangStore(): string {
  return cachedStore('golang', join(cacheDir(), `golang-v${GOLANG_IMAGE_VERSION}-debian-v${DEBIAN_ROOTFS_VERSION}-${storageDriver()}`), makeGolang);
}

let harness: BuildahHarness | null = null;
/** dockeropt processes started by `dockeropt()` that are still running (process group ids). */
const children = new Set<number>();

/** Ends the dockeropt processes still running: SIGTERM (they stop their own builds), then SIGKILL after 10 s. */
function stopChildren(): void {
  // a child that ended is a zombie until this (blocked) process reaps it: that counts as ended
  const alive = (pid: number) => { try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
  for (const pid of children) try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
  const deadline = Date.now() + 10_000;
  while ([...children].some(alive) && Date.now() < deadline) spawnSync('sleep', ['0.2']);
  for (const pid of children) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
}

/**
 * The test process's own store with every base image available, and its own TMPDIR; removed with
 * everything in it when the process exits (also on SIGINT and SIGTERM: src/verify/exec.ts's exit hook
 * turns them into an exit, stops the builds it runs, then runs this cleanup).
 */
export function baseImages(): BuildahHarness {
  if (harness) return harness;
  ensureBuildPackages();
  const base = baseStore();
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-buildah-'));
  // buildah keeps cache mounts under $TMPDIR/buildah-cache-<uid>: this process's own
  mkdirSync(join(dir, 'tmp'));
  const env = {
    CONTAINERS_STORAGE_CONF: storageConf(dir, join(dir, 'storage'), join(dir, 'run'), [base, ...extraStores]), CONTAINERS_REGISTRIES_CONF: registriesConf(dir),
    BUILDAH_ISOLATION: 'chroot', TMPDIR: join(dir, 'tmp'),
  };
  const buildah = runner(env);
  atExit(() => {
    stopChildren();
    buildah(['umount', '--all']);
    buildah(['rm', '--all']);
    buildah(['rmi', '--all', '--force']);
    // a mount left behind (a build killed half-way) would make the removal fail: unmount what is under dir
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m]);
    try { rmSync(dir, { recursive: true, force: true }); } catch (e) { process.stderr.write(`test/helpers/buildah.ts: could not remove ${dir}: ${(e as Error).message}\n`); }
  });
  harness = { env, buildah, dir };
  baseStoreDir = base;
  return harness;
}

/** Read-only stores the process's store lists besides the base images' (golangImage()). */
const extraStores: string[] = [];
let baseStoreDir = '';

/**
 * The golang:1.19 stand-in (IMAGES.golang), made the first time any test asks (a few minutes: the
 * packages come from Debian's mirror) and cached; it is added to the process's store here, so a test
 * calls this before it builds FROM it.
 */
export function golangImage(): string {
  const h = baseImages();
  if (extraStores.length === 0) {
    extraStores.push(golangStore());
    storageConf(h.dir, join(h.dir, 'storage'), join(h.dir, 'run'), [baseStoreDir, ...extraStores]);
  }
  must(h.buildah(['inspect', '--type', 'image', IMAGES.golang]), `buildah inspect ${IMAGES.golang}`);
  return IMAGES.golang;
}

/** A temporary directory in the process's store directory (removed with it at exit). */
export function scratchDir(prefix = 'work-'): string {
  return mkdtempSync(join(baseImages().dir, prefix));
}

/** A container from `from`, filled by `fill(root)`, committed as `image` with `config` and extra tags. */
function commitRoot(h: BuildahHarness, from: string, image: string, tags: string[], config: string[], fill: (root: string) => void): void {
  const ctr = must(h.buildah(['from', '--quiet', '--pull=never', from]), `buildah from ${from}`).trim().split('\n').pop()!;
  try {
    const root = must(h.buildah(['mount', ctr]), 'buildah mount').trim();
    fill(root);
    must(h.buildah(['umount', ctr]), 'buildah umount');
    must(h.buildah(['config', '--os', 'linux', '--arch', 'amd64', ...config, ctr]), 'buildah config');
    must(h.buildah(['commit', '--quiet', '--format', 'docker', '--timestamp', '0', ctr, image]), `buildah commit ${image}`);
  } finally {
    h.buildah(['rm', ctr]);
  }
  for (const t of tags) must(h.buildah(['tag', image, t]), `buildah tag ${t}`);
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function makeBusybox(h: BuildahHarness): void {
  const bb = realpathSync('/bin/busybox');
  const applets = must(spawnSync(bb, ['--list'], { encoding: 'utf8' }), 'busybox --list').split('\n').filter(Boolean);
  commitRoot(h, 'scratch', IMAGES.busybox, ['localhost/busybox:latest'], ['--env', PATH_ENV, '--cmd', 'sh'], (root) => {
    for (const d of ['bin', 'etc', 'tmp', 'root', 'home', 'usr/bin', 'usr/sbin', 'usr/local/bin', 'var', 'dev', 'proc', 'sys']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(bb, join(root, 'bin/busybox'));
    chmodSync(join(root, 'bin/busybox'), 0o755);
    for (const a of applets) if (!existsSync(join(root, 'bin', a))) symlinkSync('busybox', join(root, 'bin', a));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    chmodSync(join(root, 'tmp'), 0o1777);
    chmodSync(join(root, 'root'), 0o700);
  });
}

/** Unpacks the Debian root into `root` with the official image's apt settings; `slim` leaves out docs, man pages and locales. */
function fillDebian(root: string, slim: boolean): void {
  const excludes = slim ? ['doc', 'man', 'info', 'locale'].map((d) => `--exclude=./usr/share/${d}`) : [];
  must(spawnSync('tar', ['-C', root, '--numeric-owner', ...excludes, '-xpf', debianRootfs()], { encoding: 'utf8' }), 'tar -x of the Debian root');
  for (const [name, text] of Object.entries(DOCKER_APT)) writeFileSync(join(root, 'etc/apt/apt.conf.d', name), text);
  writeFileSync(join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n');
  chmodSync(join(root, 'usr/sbin/policy-rc.d'), 0o755);
}

function makeDebian(h: BuildahHarness): void {
  commitRoot(h, 'scratch', IMAGES.debian, ['docker.io/library/debian:bookworm', 'localhost/debian:12'], ['--env', PATH_ENV, '--cmd', 'bash'], (root) => fillDebian(root, false));
  commitRoot(h, 'scratch', IMAGES.debianSlim, ['docker.io/library/debian:bookworm-slim'], ['--env', PATH_ENV, '--cmd', 'bash'], (root) => fillDebian(root, true));
}

/** Node.js as this machine has it (the official image's layout: /usr/local/bin/node, npm and corepack under /usr/local/lib/node_modules). */
function makeNode(h: BuildahHarness): void {
  const nodeBin = realpathSync(process.execPath);
  const major = process.versions.node.split('.')[0];
  if (major !== '20') throw new Error(`the node:20 stand-in copies this machine's Node.js, which is ${process.versions.node}, not 20`);
  const modules = join(dirname(dirname(nodeBin)), 'lib', 'node_modules');
  if (!existsSync(join(modules, 'npm'))) throw new Error(`npm not found under ${modules}`);
  const fill = (slim: boolean) => (root: string) => {
    if (slim) fillDebian(root, true);
    copyFileSync(nodeBin, join(root, 'usr/local/bin/node'));
    chmodSync(join(root, 'usr/local/bin/node'), 0o755);
    mkdirSync(join(root, 'usr/local/lib/node_modules'), { recursive: true });
    for (const m of ['npm', 'corepack']) if (existsSync(join(modules, m))) cpSync(join(modules, m), join(root, 'usr/local/lib/node_modules', m), { recursive: true, verbatimSymlinks: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
    if (existsSync(join(modules, 'corepack'))) symlinkSync('../lib/node_modules/corepack/dist/corepack.js', join(root, 'usr/local/bin/corepack'));
    const add = (f: string, line: string) => writeFileSync(join(root, f), readFileSync(join(root, f), 'utf8') + line);
    add('etc/passwd', 'node:x:1000:1000::/home/node:/bin/bash\n');
    add('etc/group', 'node:x:1000:\n');
    mkdirSync(join(root, 'home/node'), { recursive: true });
    spawnSync('chown', ['1000:1000', join(root, 'home/node')]);
  };
  // npm reaches its registry the way this machine does: through a TLS-inspecting proxy, when
  // NODE_EXTRA_CA_CERTS names the trust bundle that holds its certificate
  const ca = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? process.env.NODE_EXTRA_CA_CERTS : null;
  const caFill = (inner: (root: string) => void) => (root: string) => {
    inner(root);
    if (ca) { mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true }); copyFileSync(ca, join(root, 'etc/ssl/certs/ca-certificates.crt')); }
  };
  const config = ['--env', PATH_ENV, '--env', `NODE_VERSION=${process.versions.node}`, ...(ca ? ['--env', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : []), '--cmd', 'node'];
  commitRoot(h, IMAGES.debian, IMAGES.node, ['docker.io/library/node:20-bookworm'], config, caFill(fill(false)));
  commitRoot(h, 'scratch', IMAGES.nodeSlim, ['docker.io/library/node:20-bookworm-slim'], config, caFill(fill(true)));
}

/**
 * golang:1.19 as the official image has it, from Debian's packages: debian:12 (one layer, FROM scratch, so
 * the store needs no other) plus golang-go (Go 1.19 in /usr/lib/go) and the C toolchain the official
 * image installs for cgo (g++ gcc libc6-dev make pkg-config), installed with apt-get from the Debian
 * mirror in a `buildah run`; GOPATH=/go (src/ and bin/ mode 1777), PATH with /go/bin and /usr/lib/go/bin,
 * WORKDIR /go, GOLANG_VERSION.
 */
function makeGolang(h: BuildahHarness): void {
  const ctr = must(h.buildah(['from', '--quiet', '--pull=never', 'scratch']), 'buildah from scratch').trim().split('\n').pop()!;
  try {
    const root = must(h.buildah(['mount', ctr]), 'buildah mount').trim();
    fillDebian(root, false);
    for (const d of ['go', 'go/src', 'go/bin']) { mkdirSync(join(root, d), { recursive: true }); chmodSync(join(root, d), 0o1777); }
    must(h.buildah(['umount', ctr]), 'buildah umount');
    const proxy = ['http_proxy', 'HTTP_PROXY'].flatMap((k) => (process.env[k] ? ['--env', `${k}=${process.env[k]}`] : []));
    must(h.buildah(['run', '--isolation', 'chroot', '--env', 'DEBIAN_FRONTEND=noninteractive', ...proxy, ctr, '--', 'sh', '-c',
      'apt-get update && apt-get install -y --no-install-recommends g++ gcc libc6-dev make pkg-config golang-go && rm -rf /var/lib/apt/lists/*']), 'apt-get install golang-go in the golang image');
    const version = must(h.buildah(['run', '--isolation', 'chroot', ctr, '--', '/usr/lib/go/bin/go', 'env', 'GOVERSION']), 'go env GOVERSION').trim();
    if (!/^go1\.19(\.|$)/.test(version)) throw new Error(`the golang:1.19 stand-in has ${version}, not Go 1.19`);
    const config = ['--env', `PATH=/go/bin:/usr/lib/go/bin:${PATH_ENV.slice('PATH='.length)}`, '--env', `GOLANG_VERSION=${version.slice(2)}`, '--env', 'GOPATH=/go', '--workingdir', '/go', '--cmd', 'bash'];
    must(h.buildah(['config', '--os', 'linux', '--arch', 'amd64', ...config, ctr]), 'buildah config');
    must(h.buildah(['commit', '--quiet', '--format', 'docker', '--timestamp', '0', ctr, IMAGES.golang]), `buildah commit ${IMAGES.golang}`);
  } finally {
    h.buildah(['rm', ctr]);
  }
  for (const t of ['docker.io/library/golang:1.19-bookworm']) must(h.buildah(['tag', IMAGES.golang, t]), `buildah tag ${t}`);
}

// ---- a test's own fixture images ------------------------------------------------------------

/**
 * A fixture image in the process's store: a layer on `from` (one of IMAGES) filled by `fill(root)`,
 * the config of `from` plus `config` (`buildah config` flags).
 */
export function derive(from: string, image: string, fill: (root: string) => void, config: string[] = []): string {
  commitRoot(baseImages(), from, image, [], config, fill);
  return image;
}

/** A package of the local apt repository: its name, dependencies and files (path -> text). */
export interface Pkg { name: string; depends?: string; files: Record<string, string> }

/**
 * debian:12 whose only apt source is a local repository in /srv/repo (`copy:` method, so apt copies the
 * packages into its archives directory as it does for http) holding `pkgs`, built with dpkg-deb: apt
 * without a network.
 */
export function localAptImage(image: string, pkgs: Pkg[]): string {
  const work = scratchDir('apt-repo-');
  const repo = join(work, 'repo');
  mkdirSync(repo);
  const index: string[] = [];
  for (const p of pkgs) {
    const src = join(work, 'pkg', p.name);
    mkdirSync(join(src, 'DEBIAN'), { recursive: true });
    writeFileSync(join(src, 'DEBIAN/control'), `Package: ${p.name}\nVersion: 1.0\nArchitecture: all\nMaintainer: dockeropt tests <test@localhost>\n${p.depends ? `Depends: ${p.depends}\n` : ''}Description: dockeropt test package\n`);
    for (const [f, text] of Object.entries(p.files)) { mkdirSync(dirname(join(src, f)), { recursive: true }); writeFileSync(join(src, f), text); }
    const deb = `${p.name}_1.0_all.deb`;
    must(spawnSync('dpkg-deb', ['--root-owner-group', '--build', src, join(repo, deb)], { encoding: 'utf8' }), `dpkg-deb --build ${p.name}`);
    const data = readFileSync(join(repo, deb));
    const control = readFileSync(join(src, 'DEBIAN/control'), 'utf8').trimEnd();
    index.push(`${control}\nFilename: ./${deb}\nSize: ${data.length}\nSHA256: ${createHash('sha256').update(data).digest('hex')}\n`);
  }
  writeFileSync(join(repo, 'Packages'), index.join('\n'));
  return derive(IMAGES.debian, image, (root) => {
    for (const f of ['etc/apt/sources.list', 'etc/apt/sources.list.d/debian.sources']) rmSync(join(root, f), { force: true });
    writeFileSync(join(root, 'etc/apt/sources.list.d/local.list'), 'deb [trusted=yes] copy:/srv/repo ./\n');
    must(spawnSync('cp', ['-a', repo, join(root, 'srv/repo')], { encoding: 'utf8' }), 'cp of the repository');
  });
}

// ---- builds and comparisons, through src/verify ---------------------------------------------

let found: Promise<Builder> | null = null;

/** src/verify's buildah builder, in the process's store. */
export function builder(): Promise<Builder> {
  const h = baseImages();
  found ??= detectBuilder('buildah', { ...process.env, ...h.env }).then((d) => {
    if (!d.builder) throw new Error(`buildah cannot be used: ${d.reason}`);
    return d.builder;
  });
  return found;
}

/**
 * Builds `dockerfile` (its text) with `context` as `tag` (a layer per instruction, reusing the layers of
 * earlier builds unless `noCache`); returns the build's output; throws with it when the build fails.
 */
export async function build(dockerfile: string, context: string, tag: string, o: { noCache?: boolean } = {}): Promise<string> {
  const b = await builder();
  const file = join(scratchDir('dockerfile-'), 'Dockerfile');
  writeFileSync(file, dockerfile);
  const r = await b.build({ dockerfile: file, context, tag, timeoutMs: 20 * 60_000, ...(o.noCache ? { noCache: true } : {}) });
  if (!r.ok) throw new Error(`buildah build of ${tag} failed${r.timedOut ? ' (timed out)' : ''}:\n${r.log.trim().split('\n').slice(-15).join('\n')}`);
  return r.log;
}

/**
 * What verify reads of a built image (its file tree, its config, its size: summed layer tars and layer
 * count), and the image's whole OCI config.
 */
export interface Image { tag: string; tree: Tree; config: ImageConfig; size: ImageSize; ociConfig: unknown }

export async function image(tag: string): Promise<Image> {
  const b = await builder();
  const [facts, tree] = await Promise.all([b.inspect(tag), b.tree(tag)]);
  const oci = (JSON.parse(must(baseImages().buildah(['inspect', '--type', 'image', tag]), `buildah inspect ${tag}`)) as { OCIv1?: { config?: unknown } }).OCIv1?.config ?? {};
  return { tag, tree, config: facts.config, size: facts.size, ociConfig: oci };
}

/** JSON with object keys sorted. */
function canonical(v: unknown): string | undefined {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as object).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
}

/** What a test compares: verify's options, and the paths its own rules let differ. */
export interface ImageComparison extends CompareOptions {
  /**
   * Paths whose entries may differ between two builds of the same Dockerfile (time stamps), as the test
   * names them with its reason: verify's rules still compare their type, mode and owner.
   */
  unstable?: readonly RegExp[];
}

/**
 * The differences between two images, one line each (empty when identical): first verify's config and
 * tree comparison as `dockeropt verify` prints it (every file difference listed, none grouped), then
 * what verify's rules pass over (the builder's mount points, the content of files that change on every
 * build) unless the test names it `unstable`, then the whole OCI config; so no file or config field can
 * differ unseen.
 */
export function compareImages(a: Image, b: Image, o: ImageComparison = {}): string[] {
  const { unstable = [], ...verifyOptions } = o;
  const verified = compareTrees(a.tree, b.tree, { maxFileLines: Number.MAX_SAFE_INTEGER, ...verifyOptions }).differences;
  const lines = [...compareConfig(a.config, b.config), ...verified].map(differenceLine);
  const seen = new Set(verified.map((d) => (d.kind === 'file' ? d.path : '')));
  const under = (p: string, dirs: readonly string[] = []) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
  for (const p of [...new Set([...a.tree.keys(), ...b.tree.keys()])].sort()) {
    if (seen.has(p) || unstable.some((r) => r.test(p)) || under(p, o.skip) || under(p, o.cacheTargets) || under(p, o.mountPoints)) continue;
    const x = a.tree.get(p), y = b.tree.get(p);
    if (canonical(x) !== canonical(y)) lines.push(`~ ${p} (passed over by verify's rules): ${canonical(x) ?? 'absent'} -> ${canonical(y) ?? 'absent'}`);
  }
  if (canonical(a.ociConfig) !== canonical(b.ociConfig)) lines.push(`config (all fields): ${canonical(a.ociConfig)} -> ${canonical(b.ociConfig)}`);
  return lines;
}

/** The text of files in an image (null for a missing one), read from the mounted image. */
export function readImageFiles(tag: string, paths: string[]): Map<string, string | null> {
  const h = baseImages();
  const ctr = must(h.buildah(['from', '--quiet', '--pull=never', tag]), `buildah from ${tag}`).trim().split('\n').pop()!;
  try {
    const root = must(h.buildah(['mount', ctr]), 'buildah mount').trim();
    return new Map(paths.map((p) => [p, existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : null]));
  } finally {
    h.buildah(['umount', ctr]);
    h.buildah(['rm', ctr]);
  }
}

// ---- running dockeropt without blocking (builds of several tests overlap) --------------------

const BIN = fileURLToPath(new URL('../../bin/dockeropt.js', import.meta.url));

export interface Ran { status: number | null; stdout: string; stderr: string; seconds: number }

/** Runs the built CLI in `cwd` with the harness's store (asynchronously); stopped at exit. */
export function dockeropt(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  const h = baseImages();
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...h.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    if (child.pid) children.add(child.pid);
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (status) => {
      if (child.pid) children.delete(child.pid);
      resolve({ status, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** At most `n` of the functions run at once. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try { return await fn(); } finally { active--; queue.shift()?.(); }
  };
}

/** Starts `fn` now, for a test to await later; a rejection is the awaiting test's failure, not the process's. */
export function early<T>(fn: () => Promise<T>): Promise<T> {
  const p = fn();
  p.catch(() => {});
  return p;
}
