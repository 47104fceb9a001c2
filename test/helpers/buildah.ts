/**
 * Real image builds for tests, without a Docker engine or a registry: Debian's `buildah` (chroot
 * isolation, which dockeropt's verify uses by default), and local base images this harness makes:
 *
 * - `busybox` (`docker.io/library/busybox:latest`): FROM scratch + Debian's static busybox, every applet
 *   a symlink in /bin, /etc/passwd and /etc/group with root and nobody.
 * - `debian:12` (`docker.io/library/debian:{12,bookworm}`): `debootstrap --variant=minbase bookworm` from
 *   the system's Debian mirror, plus the apt settings of the official image (docker-clean,
 *   docker-gzip-indexes, docker-no-languages, docker-autoremove-suggests, policy-rc.d);
 *   `debian:12-slim` (`debian:bookworm-slim`): the same without /usr/share/{doc,man,info,locale}.
 * - `node:20` (`docker.io/library/node:{20,20-bookworm}`): debian:12 plus this machine's own Node.js 20
 *   and npm under /usr/local (the official image's layout), the `node` user (1000), CMD ["node"];
 *   `node:20-slim`: the same in one layer without /usr/share/{doc,man,info,locale}. Stand-ins with the
 *   official images' names, layout and Debian release, so an unmodified `FROM node:20` builds offline.
 *
 * Everything is cached under $DOCKEROPT_TEST_CACHE (default ~/.cache/dockeropt-test): the Debian root
 * file system as a tarball (debootstrap runs once, 1-2 minutes), and a store holding the base images
 * (made once, under a lock). Each test process builds in its own empty store that lists the cached one
 * as a read-only additional image store, and removes it at exit.
 *
 * Missing packages (buildah, debootstrap, busybox-static) are installed with apt-get when running as
 * root; otherwise this throws, saying what to install. Build tests never skip.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/** Bump when the cached Debian root file system must be rebuilt. */
const DEBIAN_ROOTFS_VERSION = 1;

export const IMAGES = {
  busybox: 'docker.io/library/busybox:latest',
  debian: 'docker.io/library/debian:12',
  debianSlim: 'docker.io/library/debian:12-slim',
  node: 'docker.io/library/node:20',
  nodeSlim: 'docker.io/library/node:20-slim',
} as const;

export interface BuildahHarness {
  /** The environment dockeropt (and buildah) must run with: the private store and registries.conf. */
  env: Record<string, string>;
  /** Runs buildah in the private store (synchronously). */
  buildah(args: string[]): SpawnSyncReturns<string>;
  /** The private store's directory (removed at exit). */
  dir: string;
}

export const cacheDir = () => process.env.DOCKEROPT_TEST_CACHE || join(homedir(), '.cache', 'dockeropt-test');

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']).some((d) => d && existsSync(join(d, cmd)));
}

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

/** Installs buildah, debootstrap and busybox-static from Debian when missing; throws when it cannot. */
export function ensureBuildPackages(): void {
  const missing: string[] = [];
  if (!onPath('buildah')) missing.push('buildah');
  if (!onPath('debootstrap')) missing.push('debootstrap');
  if (!busyboxOk()) missing.push('busybox-static');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error(`the build tests need the Debian packages ${missing.join(', ')}; install them with: apt-get install ${missing.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' });
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    r = install();
  }
  if (r.status !== 0 || !onPath('buildah') || !onPath('debootstrap') || !busyboxOk()) {
    throw new Error(`apt-get install ${missing.join(' ')} failed:\n${r.stderr ?? ''}`);
  }
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
const DOCKER_APT: Record<string, string> = {
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
  writeFileSync(file, `[storage]\ndriver = "${storageDriver()}"\ngraphroot = "${graphroot}"\nrunroot = "${runroot}"\n${extra.length ? `[storage.options]\nadditionalimagestores = [${extra.map((e) => JSON.stringify(e)).join(', ')}]\n` : ''}`);
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
  const ready = join(graphroot, 'dockeropt-ready');
  if (existsSync(ready)) return graphroot;
  return withLock('images', () => {
    if (existsSync(ready)) return graphroot;
    rmSync(graphroot, { recursive: true, force: true });
    const tmp = mkdtempSync(join(tmpdir(), 'dockeropt-base-'));
    try {
      const env = { CONTAINERS_STORAGE_CONF: storageConf(tmp, graphroot, join(tmp, 'run')), CONTAINERS_REGISTRIES_CONF: registriesConf(tmp) };
      const h = { env, buildah: runner(env), dir: tmp };
      makeBusybox(h);
      makeDebian(h);
      makeNode(h);
      writeFileSync(ready, `${new Date().toISOString()}\n`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return graphroot;
  });
}

let harness: BuildahHarness | null = null;

/**
 * The test process's own store with every base image (busybox, debian:12, node:20, node:20-slim)
 * available; removed when the process exits.
 */
export function baseImages(): BuildahHarness {
  if (harness) return harness;
  ensureBuildPackages();
  const base = baseStore();
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-buildah-'));
  const env = { CONTAINERS_STORAGE_CONF: storageConf(dir, join(dir, 'storage'), join(dir, 'run'), [base]), CONTAINERS_REGISTRIES_CONF: registriesConf(dir) };
  const buildah = runner(env);
  process.on('exit', () => {
    buildah(['umount', '--all']);
    buildah(['rm', '--all']);
    buildah(['rmi', '--all', '--force']);
    // a mount left behind (a build killed half-way) would make the removal fail: unmount what is under dir
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m]);
    try { rmSync(dir, { recursive: true, force: true }); } catch (e) { process.stderr.write(`test/helpers/buildah.ts: could not remove ${dir}: ${(e as Error).message}\n`); }
  });
  harness = { env, buildah, dir };
  return harness;
}

/** A container from scratch, filled by `fill(root)`, committed as `image` with `config` and extra tags. */
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

// ---- running dockeropt without blocking (builds of several tests overlap) --------------------

const BIN = fileURLToPath(new URL('../../bin/dockeropt.js', import.meta.url));

export interface Ran { status: number | null; stdout: string; stderr: string; seconds: number }

/** Runs the built CLI in `cwd` with the harness's store (asynchronously). */
export function dockeropt(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  const h = baseImages();
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...h.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
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
