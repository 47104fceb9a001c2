/**
 * A minimal real-build harness for the cache-mounts apt recipe (until the general one of `--verify` lands on main):
 * Debian's buildah with chroot isolation and vfs storage in a store of this process's own, and a local base
 * image made here, with no registry and no network during the builds:
 *
 * - the root file system of `debootstrap --variant=minbase bookworm` (made once from the system's Debian mirror and
 *   cached as a tarball under $DOCKEROPT_TEST_CACHE, default ~/.cache/dockeropt-test, outside the repository),
 * - /etc/apt/apt.conf.d/docker-clean exactly as Debian's official images have it (debuerreotype writes it),
 * - instead of Debian's mirror, a local apt repository in /srv/repo (`copy:` method, so apt copies the packages into
 *   its archives directory as it does for http) with small packages built here with dpkg-deb.
 *
 * Missing packages (buildah, debootstrap) are installed with apt-get when running as root; otherwise this throws,
 * saying what to install. Never skips.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** docker-clean as debuerreotype writes it into Debian's images (scripts/debuerreotype-minimizing-config). */
export const DOCKER_CLEAN = [
  'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
  'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
  '',
  'Dir::Cache::pkgcache "";',
  'Dir::Cache::srcpkgcache "";',
  '',
].join('\n');

const cacheDir = () => process.env.DOCKEROPT_TEST_CACHE || join(homedir(), '.cache', 'dockeropt-test');
const onPath = (cmd: string) => (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']).some((d) => d && existsSync(join(d, cmd)));

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-12).join('\n')}`);
  return r.stdout;
}

function ensurePackages(): void {
  const missing = [['buildah', 'buildah'], ['debootstrap', 'debootstrap'], ['dpkg-deb', 'dpkg']].filter(([c]) => !onPath(c!)).map(([, p]) => p!);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`the apt build test needs ${missing.join(', ')}: apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' });
  if (r.status !== 0) { spawnSync('apt-get', ['update', '-qq'], { env }); r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' }); }
  must(r, `apt-get install ${missing.join(' ')}`);
}

/** The cached minbase root file system (the same file name as the --verify harness uses, so it is made once per machine). */
function debianRootfs(): string {
  const tar = join(cacheDir(), 'debian-bookworm-minbase-v1.tar');
  if (existsSync(tar) && statSync(tar).size > 0) return tar;
  mkdirSync(cacheDir(), { recursive: true });
  const mirror = (spawnSync('apt-get', ['indextargets', '--format', '$(REPO_URI) $(RELEASE) $(COMPONENT)', 'Created-By: Packages'], { encoding: 'utf8' }).stdout ?? '')
    .split('\n').map((l) => l.split(' ')).find(([, rel, comp]) => rel === 'bookworm' && comp === 'main')?.[0] ?? 'http://deb.debian.org/debian/';
  const rfs = mkdtempSync(join(tmpdir(), 'dockeropt-debootstrap-'));
  try {
    must(spawnSync('debootstrap', ['--variant=minbase', 'bookworm', rfs, mirror], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }), 'debootstrap');
    for (const d of ['var/cache/apt/archives', 'var/lib/apt/lists']) for (const f of readdirSync(join(rfs, d))) if (f !== 'partial' && f !== 'lock') rmSync(join(rfs, d, f), { recursive: true, force: true });
    for (const d of ['dev', 'run']) for (const f of readdirSync(join(rfs, d))) rmSync(join(rfs, d, f), { recursive: true, force: true });
    must(spawnSync('tar', ['-C', rfs, '--numeric-owner', '-cf', `${tar}.${process.pid}`, '.'], { encoding: 'utf8' }), 'tar of the Debian root');
    renameSync(`${tar}.${process.pid}`, tar);
    return tar;
  } finally {
    rmSync(rfs, { recursive: true, force: true });
  }
}

export interface Pkg { name: string; depends?: string; files: Record<string, string> }

export interface AptHarness {
  /** Runs buildah in the private store. */
  buildah(args: string[], cwd?: string): SpawnSyncReturns<string>;
  /** Builds `dockerfile` (text) as `tag`; returns the build output. */
  build(dockerfile: string, tag: string): string;
  /** Every entry of the image's file system: path → type, mode, owner, size and content hash (or link target). */
  tree(image: string): Map<string, string>;
  /** The image's config (user, env, entrypoint, cmd, workdir, labels, …) as JSON. */
  config(image: string): string;
  /** The base image's name. */
  base: string;
  dir: string;
}

/** A private store with the local base image (Debian bookworm minbase + docker-clean + a local apt repository holding `pkgs`). */
export function aptHarness(pkgs: Pkg[]): AptHarness {
  ensurePackages();
  const rootfs = debianRootfs();
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-aptbuild-'));
  writeFileSync(join(dir, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/graph"\nrunroot = "${dir}/run"\n`);
  // buildah keeps cache mounts under $TMPDIR/buildah-cache-<uid>: this process's own
  mkdirSync(join(dir, 'tmp'));
  const env = { ...process.env, CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'), BUILDAH_ISOLATION: 'chroot', TMPDIR: join(dir, 'tmp') };
  const buildah = (args: string[], cwd?: string) => spawnSync('buildah', args, { encoding: 'utf8', env, cwd, maxBuffer: 256 << 20 });
  process.on('exit', () => { buildah(['rm', '--all']); buildah(['rmi', '--all', '--force']); rmSync(dir, { recursive: true, force: true }); });

  // the packages, and the repository index apt reads
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  const index: string[] = [];
  for (const p of pkgs) {
    const src = join(dir, 'pkg', p.name);
    mkdirSync(join(src, 'DEBIAN'), { recursive: true });
    writeFileSync(join(src, 'DEBIAN/control'), `Package: ${p.name}\nVersion: 1.0\nArchitecture: all\nMaintainer: dockeropt tests <test@localhost>\n${p.depends ? `Depends: ${p.depends}\n` : ''}Description: dockeropt test package\n`);
    for (const [f, text] of Object.entries(p.files)) { mkdirSync(join(src, f, '..'), { recursive: true }); writeFileSync(join(src, f), text); }
    const deb = `${p.name}_1.0_all.deb`;
    must(spawnSync('dpkg-deb', ['--root-owner-group', '--build', src, join(repo, deb)], { encoding: 'utf8' }), `dpkg-deb --build ${p.name}`);
    const data = readFileSync(join(repo, deb));
    const control = readFileSync(join(src, 'DEBIAN/control'), 'utf8').trimEnd();
    index.push(`${control}\nFilename: ./${deb}\nSize: ${data.length}\nSHA256: ${createHash('sha256').update(data).digest('hex')}\n`);
  }
  writeFileSync(join(repo, 'Packages'), index.join('\n'));

  const base = 'localhost/dockeropt-apt-base:bookworm';
  const ctr = must(buildah(['from', '--quiet', 'scratch']), 'buildah from scratch').trim();
  const mnt = must(buildah(['mount', ctr]), 'buildah mount').trim();
  must(spawnSync('tar', ['-C', mnt, '--numeric-owner', '-xpf', rootfs], { encoding: 'utf8' }), 'tar -x of the Debian root');
  writeFileSync(join(mnt, 'etc/apt/apt.conf.d/docker-clean'), DOCKER_CLEAN);
  // no network: the only source is the local repository
  for (const f of ['etc/apt/sources.list', 'etc/apt/sources.list.d/debian.sources']) rmSync(join(mnt, f), { force: true });
  writeFileSync(join(mnt, 'etc/apt/sources.list.d/local.list'), 'deb [trusted=yes] copy:/srv/repo ./\n');
  must(spawnSync('cp', ['-a', repo, join(mnt, 'srv/repo')], { encoding: 'utf8' }), 'cp of the repository');
  must(buildah(['umount', ctr]), 'buildah umount');
  must(buildah(['config', '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--cmd', 'bash', ctr]), 'buildah config');
  must(buildah(['commit', '--quiet', '--rm', ctr, base]), 'buildah commit');

  const build = (dockerfile: string, tag: string) => {
    const ctx = mkdtempSync(join(dir, 'ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
    const r = buildah(['build', '--pull=never', '--layers=false', '-t', tag, ctx], ctx);
    return must(r, `buildah build ${tag}`) + r.stderr;
  };
  const tree = (image: string) => {
    const c = must(buildah(['from', '--quiet', '--pull=never', image]), `buildah from ${image}`).trim();
    try {
      const root = must(buildah(['mount', c]), 'buildah mount').trim();
      const out = new Map<string, string>();
      const walk = (rel: string) => {
        for (const name of readdirSync(join(root, rel)).sort()) {
          const p = `${rel}/${name}`;
          const st = lstatSync(join(root, p));
          const head = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
          if (st.isSymbolicLink()) out.set(p, `link ${head} -> ${readlinkSync(join(root, p))}`);
          else if (st.isDirectory()) { out.set(p, `dir ${head}`); walk(p); }
          else if (st.isFile()) out.set(p, `file ${head} ${st.size} ${createHash('sha256').update(readFileSync(join(root, p))).digest('hex')}`);
          else out.set(p, `other ${head}`);
        }
      };
      walk('');
      // the text of apt's and dpkg's logs, for the comparison that leaves out their time stamps
      for (const f of ['/var/log/apt/history.log', '/var/log/apt/term.log', '/var/log/dpkg.log']) if (existsSync(join(root, f))) out.set(`${f}#text`, readFileSync(join(root, f), 'utf8'));
      return out;
    } finally {
      buildah(['rm', c]);
    }
  };
  const config = (image: string) => {
    const j = JSON.parse(must(buildah(['inspect', '--type', 'image', image]), `buildah inspect ${image}`)) as { OCIv1: { config: unknown } };
    return JSON.stringify(j.OCIv1.config);
  };
  return { buildah, build, tree, config, base, dir };
}
