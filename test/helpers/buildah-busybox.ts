/**
 * A small real-build harness for fold-permissions' proof: Debian's buildah (chroot isolation, vfs
 * storage in a private store under the temp dir, removed at exit) and one local base image made here,
 * `localhost/fold-busybox:latest`: FROM scratch + Debian's static busybox (every applet a symlink in
 * /bin), /etc/passwd and /etc/group with root, app (1000:1000), nobody, and the usual directories.
 *
 * Missing packages (buildah, busybox-static) are installed with apt-get when running as root; otherwise
 * this throws, naming what to install. It never skips.
 *
 * (The `verify` branch has a general harness in test/helpers/buildah.ts; this one is self-contained
 * until they are unified.)
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const BASE = 'localhost/fold-busybox:latest';
/** overlay is about twice as fast as vfs on this kernel; DOCKEROPT_TEST_STORAGE_DRIVER=vfs where overlay cannot mount. */
const DRIVER = process.env.DOCKEROPT_TEST_STORAGE_DRIVER || 'overlay';

const onPath = (cmd: string) => (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']).some((d) => d && existsSync(join(d, cmd)));

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

function ensurePackages(): void {
  const missing: string[] = [];
  if (!onPath('buildah')) missing.push('buildah');
  if (!busyboxOk()) missing.push('busybox-static');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) throw new Error(`the build test needs the Debian packages ${missing.join(', ')}; install them with: apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' });
  let r = install();
  if (r.status !== 0) { spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' }); r = install(); }
  if (r.status !== 0 || !onPath('buildah') || !busyboxOk()) throw new Error(`apt-get install ${missing.join(' ')} failed:\n${r.stderr ?? ''}`);
}

export interface Entry { path: string; type: string; mode: string; owner: string; size: number; sha256: string | null; link: string | null }
/** size: the summed uncompressed layer tars. */
export interface Image { tree: Entry[]; config: Record<string, unknown>; size: number; layers: number }

export interface Harness {
  /** Builds with a layer per instruction; `cache` lets it reuse the layers of earlier builds. */
  build(dockerfile: string, context: string, tag: string, opts?: { cache?: boolean }): Image;
  cleanup(): void;
}

const must = (r: SpawnSyncReturns<string>, what: string): string => {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-10).join('\n')}`);
  return r.stdout;
};

export function startHarness(): Harness {
  ensurePackages();
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-fold-buildah-'));
  const storage = join(dir, 'storage.conf');
  writeFileSync(storage, `[storage]\ndriver = "${DRIVER}"\ngraphroot = "${join(dir, 'root')}"\nrunroot = "${join(dir, 'run')}"\n`);
  const registries = join(dir, 'registries.conf');
  writeFileSync(registries, 'unqualified-search-registries = []\nshort-name-mode = "permissive"\n');
  const env = { ...process.env, CONTAINERS_STORAGE_CONF: storage, CONTAINERS_REGISTRIES_CONF: registries, BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: DRIVER };
  const bh = (args: string[]) => spawnSync('buildah', args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const cleanup = () => {
    bh(['rm', '--all']);
    bh(['rmi', '--all', '--force']);
    spawnSync('umount', ['-R', join(dir, 'root')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', () => { try { cleanup(); } catch { /* best effort */ } });

  // the base image
  const stage = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home', 'usr/bin', 'usr/local/bin', 'opt', 'srv', 'var']) mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(realpathSync('/bin/busybox'), join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  const applets = must(spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }), 'busybox --list').split('\n').filter(Boolean);
  for (const a of applets) if (!existsSync(join(stage, 'bin', a))) symlinkSync('busybox', join(stage, 'bin', a));
  writeFileSync(join(stage, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(stage, 'etc/group'), 'root:x:0:\nstaff:x:50:\napp:x:1000:\nnogroup:x:65534:\n');
  chmodSync(join(stage, 'tmp'), 0o1777);
  chmodSync(join(stage, 'root'), 0o700);
  const tar = join(dir, 'rootfs.tar');
  must(spawnSync('tar', ['-C', stage, '--numeric-owner', '--owner=0', '--group=0', '-cf', tar, '.'], { encoding: 'utf8' }), 'tar of the base rootfs');
  const ctr = must(bh(['from', '--quiet', 'scratch']), 'buildah from scratch').trim();
  const mnt = must(bh(['mount', ctr]), 'buildah mount').trim();
  must(spawnSync('tar', ['-C', mnt, '--numeric-owner', '-xpf', tar], { encoding: 'utf8' }), 'tar into the base image');
  must(bh(['umount', ctr]), 'buildah umount');
  must(bh(['config', '--os', 'linux', '--arch', 'amd64', '--env', 'PATH=/bin:/usr/bin:/usr/local/bin', '--cmd', 'sh', '--workingdir', '/', ctr]), 'buildah config');
  must(bh(['commit', '--quiet', '--rm', ctr, BASE]), 'buildah commit');

  const treeOf = (root: string): Entry[] => {
    const out: Entry[] = [];
    const visit = (rel: string) => {
      const abs = join(root, rel);
      const st = lstatSync(abs);
      const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
      out.push({
        path: '/' + rel,
        type,
        mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
        owner: `${st.uid}:${st.gid}`,
        size: type === 'file' ? st.size : 0,
        sha256: type === 'file' ? createHash('sha256').update(readFileSync(abs)).digest('hex') : null,
        link: type === 'symlink' ? readlinkSync(abs) : null,
      });
      if (type === 'dir') for (const n of readdirSync(abs).sort()) visit(rel ? `${rel}/${n}` : n);
    };
    visit('');
    return out;
  };

  return {
    build(dockerfile, context, tag, opts = {}) {
      const file = join(dir, `${tag}.Dockerfile`);
      writeFileSync(file, dockerfile);
      const args = ['build', '--layers', ...(opts.cache ? [] : ['--no-cache']), '--pull=never', '--isolation', 'chroot', '-f', file, '-t', tag, context];
      let r = bh(args);
      // buildah 1.28's chroot re-exec rarely fails with "Close_Fd sealing memfd copy": retry that only
      for (let k = 0; k < 2 && r.status !== 0 && /memfd/.test(r.stderr); k++) r = bh(args);
      must(r, `buildah build of ${tag}`);
      const ctr = must(bh(['from', '--quiet', '--pull=never', tag]), 'buildah from').trim();
      const mnt = must(bh(['mount', ctr]), 'buildah mount').trim();
      let tree: Entry[];
      try { tree = treeOf(mnt); } finally { bh(['umount', ctr]); bh(['rm', ctr]); }
      const inspect = JSON.parse(must(bh(['inspect', '--type', 'image', tag]), 'buildah inspect')) as { OCIv1: { config?: Record<string, unknown> }; Manifest: string };
      // the layers as stored: uncompressed tar sizes
      const layers = (JSON.parse(inspect.Manifest) as { layers: { size: number }[] }).layers;
      return { tree, config: inspect.OCIv1.config ?? {}, size: layers.reduce((n, l) => n + l.size, 0), layers: layers.length };
    },
    cleanup,
  };
}
