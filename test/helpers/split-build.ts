/**
 * A minimal real-build harness for split-copy's build tests (the general `--verify` harness is on its
 * own branch): Debian's buildah with BUILDAH_ISOLATION=chroot, a private store per test process, and a
 * local Node base image made from this machine's own files, so nothing but the npm registry is reached:
 * FROM scratch + Debian's static busybox (every applet a symlink in /bin, so `RUN` has /bin/sh) + this
 * machine's `node` with the shared libraries `ldd` lists + its npm under /usr/local/lib/node_modules +
 * the CA bundle (npm reaches its registry the way this machine does).
 *
 * Missing packages (buildah, busybox-static) are installed with apt-get as root; otherwise it throws,
 * saying what to install. Never skips.
 *
 * `imageTree` reads an image's file tree (type, mode, owner, size, content hash, link target per path)
 * and its config, for comparing two builds.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const NODE_IMAGE = 'localhost/split-copy-node:test';

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
/** Debian's busybox-static (ldd finds no dynamic section in it). */
const staticBusybox = () => existsSync('/bin/busybox') && spawnSync('ldd', ['/bin/busybox'], { encoding: 'utf8' }).status !== 0;

/** Installs buildah and busybox-static with apt-get when missing (as root); throws when it cannot. */
export function ensurePackages(): void {
  const missing: string[] = [];
  if (!onPath('buildah')) missing.push('buildah');
  if (!staticBusybox()) missing.push('busybox-static');
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`the split-copy build tests need the Debian packages ${missing.join(', ')}: apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' });
  }
  if (r.status !== 0 || !onPath('buildah') || !staticBusybox()) throw new Error(`apt-get install ${missing.join(' ')} failed: ${r.stderr}`);
}

export interface Harness {
  buildah(args: string[], cwd?: string): SpawnSyncReturns<string>;
  /** Builds `dockerfile` (a path) with `context` as image `tag`; throws with buildah's output on failure. */
  build(dockerfile: string, context: string, tag: string): void;
  dir: string;
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-15).join('\n')}`);
  return r.stdout;
}

let harness: Harness | null = null;

/** The process's harness: a private store with the Node base image (made on first use, removed at exit). */
export function nodeHarness(): Harness {
  if (harness) return harness;
  ensurePackages();
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-split-build-'));
  writeFileSync(join(dir, 'storage.conf'), `[storage]\ndriver = "${process.env.DOCKEROPT_TEST_STORAGE_DRIVER || 'overlay'}"\ngraphroot = "${dir}/storage"\nrunroot = "${dir}/run"\n`);
  writeFileSync(join(dir, 'registries.conf'), 'unqualified-search-registries = []\nshort-name-mode = "permissive"\n');
  const env = { ...process.env, CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'), CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'), BUILDAH_ISOLATION: 'chroot' };
  const buildah = (args: string[], cwd?: string) => spawnSync('buildah', args, { encoding: 'utf8', env, cwd, maxBuffer: 256 << 20 });
  process.on('exit', () => {
    buildah(['rm', '--all']);
    buildah(['rmi', '--all', '--force']);
    rmSync(dir, { recursive: true, force: true });
  });
  const h: Harness = {
    buildah, dir,
    build(dockerfile, context, tag) {
      must(buildah(['bud', '--isolation', 'chroot', '--pull=never', '--layers=false', '-f', dockerfile, '-t', tag, context]), `buildah bud ${dockerfile}`);
    },
  };
  makeNodeImage(h);
  harness = h;
  return h;
}

function makeNodeImage(h: Harness): void {
  const ctr = must(h.buildah(['from', '--quiet', 'scratch']), 'buildah from scratch').trim();
  const root = must(h.buildah(['mount', ctr]), 'buildah mount').trim();
  for (const d of ['bin', 'etc', 'tmp', 'root', 'usr/bin', 'usr/local/bin', 'usr/local/lib/node_modules', 'etc/ssl/certs', 'dev', 'proc', 'sys']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const applets = must(spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }), 'busybox --list').split('\n').filter(Boolean);
  for (const a of applets) if (!existsSync(join(root, 'bin', a))) symlinkSync('busybox', join(root, 'bin', a));
  // npm's `#!/usr/bin/env node`
  symlinkSync('/bin/busybox', join(root, 'usr/bin/env'));
  const node = realpathSync(process.execPath);
  copyFileSync(node, join(root, 'usr/local/bin/node'));
  chmodSync(join(root, 'usr/local/bin/node'), 0o755);
  // the shared libraries node needs, at the paths ldd reports
  const ldd = must(spawnSync('ldd', [node], { encoding: 'utf8' }), 'ldd node');
  for (const m of ldd.matchAll(/(\/\S+)\s+\(0x/g)) {
    const lib = m[1]!;
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(realpathSync(lib), join(root, lib));
  }
  const modules = [join(dirname(dirname(node)), 'lib', 'node_modules'), '/usr/lib/node_modules', '/usr/local/lib/node_modules'].find((d) => existsSync(join(d, 'npm')));
  if (!modules) throw new Error('npm is not installed next to node');
  cpSync(join(modules, 'npm'), join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
  const ca = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? process.env.NODE_EXTRA_CA_CERTS : existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : null;
  if (ca) copyFileSync(ca, join(root, 'etc/ssl/certs/ca-certificates.crt'));
  must(h.buildah(['umount', ctr]), 'buildah umount');
  must(h.buildah(['config', '--os', 'linux', '--env', 'PATH=/usr/local/bin:/usr/bin:/bin', '--env', 'NPM_CONFIG_UPDATE_NOTIFIER=false', '--env', 'NPM_CONFIG_FUND=false', '--env', 'NPM_CONFIG_AUDIT=false',
    ...(ca ? ['--env', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : []), '--cmd', 'node', ctr]), 'buildah config');
  must(h.buildah(['commit', '--quiet', '--format', 'docker', ctr, NODE_IMAGE]), 'buildah commit');
  h.buildah(['rm', ctr]);
}

export interface Entry { type: string; mode: number; uid: number; gid: number; size: number; hash: string | null; link: string | null }

/**
 * The image's file tree (path -> entry) and its runtime config. `skip(path)` leaves paths (and what is
 * under them) out; `nameOnly(path)` keeps a file but not its content (time-stamped caches).
 */
export function imageTree(h: Harness, image: string, skip: (p: string) => boolean = () => false, nameOnly: (p: string) => boolean = () => false): { files: Map<string, Entry>; config: unknown } {
  const ctr = must(h.buildah(['from', '--quiet', '--pull=never', image]), `buildah from ${image}`).trim();
  try {
    const root = must(h.buildah(['mount', ctr]), 'buildah mount').trim();
    const files = new Map<string, Entry>();
    const walk = (rel: string) => {
      for (const n of readdirSync(join(root, rel)).sort()) {
        const p = `${rel}/${n}`;
        if (skip(p)) continue;
        const st = lstatSync(join(root, p));
        const type = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
        const hash = type === 'file' && !nameOnly(p) ? createHash('sha256').update(readFileSync(join(root, p))).digest('hex') : null;
        files.set(p, { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: type === 'file' && !nameOnly(p) ? st.size : 0, hash, link: type === 'link' ? readlinkSync(join(root, p)) : null });
        if (type === 'dir') walk(p);
      }
    };
    walk('');
    const info = JSON.parse(must(h.buildah(['inspect', '--type', 'image', image]), 'buildah inspect')) as { OCIv1: { config?: Record<string, unknown> } };
    return { files, config: info.OCIv1.config ?? {} };
  } finally {
    h.buildah(['umount', ctr]);
    h.buildah(['rm', ctr]);
  }
}

/** The differences between two trees, one line each (empty when identical). */
export function treeDiff(a: Map<string, Entry>, b: Map<string, Entry>): string[] {
  const out: string[] = [];
  for (const [p, e] of a) {
    const f = b.get(p);
    if (!f) out.push(`only in the first: ${p}`);
    else if (JSON.stringify(e) !== JSON.stringify(f)) out.push(`differs: ${p} ${JSON.stringify(e)} vs ${JSON.stringify(f)}`);
  }
  for (const p of b.keys()) if (!a.has(p)) out.push(`only in the second: ${p}`);
  return out;
}
