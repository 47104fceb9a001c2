/**
 * The image builders verify can use, found in this order (or the one `--builder` names):
 * - `docker buildx`, only when the Docker daemon answers (a docker CLI without a daemon is no builder);
 * - `podman build`;
 * - `buildah build`. Buildah runs RUN steps in an OCI runtime by default, which needs working cgroups;
 *   dockeropt runs it with chroot isolation (no runtime, no daemon, works in containers and CI runners)
 *   unless BUILDAH_ISOLATION is set in the environment, which then wins.
 *
 * Each builder builds with its own layer cache (`--layers` for buildah and podman, as `docker build`
 * does), reads the built images through its own commands (`buildah mount`, `podman image mount` or
 * `podman image save` when not root, `docker image save`), and removes what it tagged. Storage and
 * registries are the builder's own configuration (CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF,
 * DOCKER_HOST, …): dockeropt never reaches into a storage directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { exec, type ExecResult } from './exec.js';
import { readSavedImage, walkRoot, type Tree } from './tree.js';
import type { ImageConfig, ImageSize } from './compare.js';

export type BuilderKind = 'docker' | 'podman' | 'buildah';
export const BUILDER_KINDS: readonly BuilderKind[] = ['docker', 'podman', 'buildah'];

export interface BuildRequest {
  dockerfile: string;
  context: string;
  tag: string;
  target?: string;
  buildArgs?: Readonly<Record<string, string>>;
  platform?: string;
  /** Ignore the layer cache for this build. */
  noCache?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface BuildResult {
  ok: boolean;
  timedOut: boolean;
  seconds: number;
  /** The builder's output (tail). */
  log: string;
}

export interface ImageFacts {
  config: ImageConfig;
  size: ImageSize;
}

export interface Limits {
  /** `RUN <<EOF` / `COPY <<EOF`. */
  heredocs: boolean;
  /** `COPY --link`. */
  copyLink: boolean;
  /**
   * A cache mount over a directory that already exists in the image keeps that directory in the
   * committed image (BuildKit). Buildah, and podman which builds with it, delete it (containers/buildah#4927).
   */
  keepsCacheTarget: boolean;
}

export interface Builder {
  readonly kind: BuilderKind;
  readonly version: string;
  /** e.g. `buildah 1.28.2 (chroot isolation)`. */
  readonly label: string;
  readonly limits: Limits;
  build(r: BuildRequest): Promise<BuildResult>;
  inspect(tag: string): Promise<ImageFacts>;
  /** The image's file tree, read through the builder's own commands. */
  tree(tag: string, via?: 'mount' | 'archive'): Promise<Tree>;
  /**
   * Removes the tags (and the images when nothing else uses them). Never forced: an image another build
   * is using right now (a concurrent verify of a file with the same steps) stays. Never throws.
   */
  remove(tags: readonly string[]): Promise<void>;
  /** The same, synchronously (when the process exits half-way). */
  removeSync(tags: readonly string[]): void;
}

export type Detection = { builder: Builder } | { builder: null; reason: string };

const QUICK = 20_000;

function firstLine(r: ExecResult): string {
  if (r.spawnError === 'ENOENT') return 'not installed';
  const t = (r.stderr || r.stdout).trim().split('\n').filter(Boolean);
  return (t[t.length - 1] ?? `exit ${r.code}`).replace(/^Error:\s*/i, '').slice(0, 200);
}

/** `1.28.2` >= `1.33` ? */
export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split(/[.+-]/).map((x) => parseInt(x, 10));
  const b = min.split('.').map((x) => parseInt(x, 10));
  for (let i = 0; i < b.length; i++) {
    const x = Number.isNaN(a[i]!) || a[i] === undefined ? 0 : a[i]!, y = b[i]!;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Finds a builder. `name` picks one (its absence is then the reason); `env` is the environment the
 * builder runs with (its storage and registry configuration).
 */
export async function detectBuilder(name: BuilderKind | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Detection> {
  const reasons: string[] = [];
  for (const kind of name ? [name] : BUILDER_KINDS) {
    const found = kind === 'docker' ? await probeDocker(env) : kind === 'podman' ? await probePodman(env) : await probeBuildah(env);
    if ('builder' in found) return { builder: found.builder };
    reasons.push(`${kind}: ${found.reason}`);
  }
  return { builder: null, reason: name ? `the builder ${name} cannot be used (${reasons[0]!.replace(/^\w+: /, '')})` : `no image builder found (${reasons.join('; ')}); install docker with buildx, podman or buildah` };
}


/** The build command's tail every builder shares: target, build args, platform, no-cache, then the context. */
function requestArgs(r: BuildRequest): string[] {
  const args: string[] = [];
  if (r.target) args.push('--target', r.target);
  for (const [k, v] of Object.entries(r.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  if (r.platform) args.push('--platform', r.platform);
  if (r.noCache) args.push('--no-cache');
  args.push(r.context);
  return args;
}

// ---- buildah ----------------------------------------------------------------------------------

async function probeBuildah(env: NodeJS.ProcessEnv): Promise<{ builder: Builder } | { reason: string }> {
  const r = await exec('buildah', ['version', '--json'], { env, timeoutMs: QUICK });
  if (r.code !== 0) return { reason: firstLine(r) };
  let version = '';
  try { version = (JSON.parse(r.stdout) as { version?: string }).version ?? ''; } catch { version = /(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? ''; }
  return { builder: new Buildah(version, env) };
}

/**
 * Build failures worth a retry: buildah's chroot re-exec on some kernels (about once in 60 builds), and
 * its layer-cache lookup racing another process that removes an image at that moment.
 */
const TRANSIENT = /sealing memfd copy: Device or resource busy|checking if cached image exists from a previous build: .*(layer|image) not known/;

class Buildah implements Builder {
  readonly kind = 'buildah' as const;
  readonly label: string;
  readonly limits: Limits;
  private readonly isolation: string;
  constructor(readonly version: string, private readonly env: NodeJS.ProcessEnv) {
    this.isolation = env.BUILDAH_ISOLATION || 'chroot';
    this.label = `buildah ${version} (${this.isolation} isolation)`;
    // heredocs and COPY --link arrived in buildah 1.33
    this.limits = { heredocs: versionAtLeast(version, '1.33'), copyLink: versionAtLeast(version, '1.33'), keepsCacheTarget: false };
  }
  private run(args: string[], timeoutMs = QUICK) {
    return exec('buildah', args, { env: { ...this.env, BUILDAH_ISOLATION: this.isolation }, timeoutMs });
  }
  async build(r: BuildRequest): Promise<BuildResult> {
    const args = ['build', '--format', 'docker', '--layers', '--isolation', this.isolation, '-f', r.dockerfile, '-t', r.tag];
    args.push(...requestArgs(r));
    return buildWithRetry('buildah', args, { ...this.env, BUILDAH_ISOLATION: this.isolation }, r);
  }
  async inspect(tag: string): Promise<ImageFacts> {
    const r = await this.run(['inspect', '--type', 'image', tag]);
    if (r.code !== 0) throw new Error(`buildah inspect ${tag}: ${firstLine(r)}`);
    const j = JSON.parse(r.stdout) as { Docker?: { config?: ImageConfig }; OCIv1?: { config?: ImageConfig; rootfs?: { diff_ids?: string[] } }; Manifest?: string };
    const config = j.Docker?.config ?? j.OCIv1?.config ?? {};
    let bytes = 0;
    try { for (const l of (JSON.parse(j.Manifest ?? '{}') as { layers?: { size: number }[] }).layers ?? []) bytes += l.size; } catch { /* unknown */ }
    return { config, size: { bytes, layers: j.OCIv1?.rootfs?.diff_ids?.length ?? 0 } };
  }
  async tree(tag: string, via: 'mount' | 'archive' = 'mount'): Promise<Tree> {
    if (via === 'archive') {
      const dir = await mkdtemp(join(tmpdir(), 'dockeropt-save-'));
      try {
        const file = join(dir, 'image.tar');
        const r = await this.run(['push', '--quiet', tag, `docker-archive:${file}`], 600_000);
        if (r.code !== 0) throw new Error(`buildah push ${tag} docker-archive: ${firstLine(r)}`);
        return (await readSavedImage(file)).tree;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const from = await this.run(['from', '--quiet', '--pull=never', tag]);
    if (from.code !== 0) throw new Error(`buildah from ${tag}: ${firstLine(from)}`);
    const ctr = from.stdout.trim().split('\n').pop()!;
    try {
      const m = await this.run(['mount', ctr]);
      if (m.code !== 0) throw new Error(`buildah mount ${ctr}: ${firstLine(m)}`);
      return await walkRoot(m.stdout.trim());
    } finally {
      await this.run(['umount', ctr]);
      await this.run(['rm', ctr]);
    }
  }
  async remove(tags: readonly string[]): Promise<void> {
    for (const t of tags) await this.run(['rmi', t]);
  }
  removeSync(tags: readonly string[]): void {
    for (const t of tags) spawnSync('buildah', ['rmi', t], { env: this.env, stdio: 'ignore', timeout: QUICK });
  }
}

async function buildWithRetry(cmd: string, args: string[], env: NodeJS.ProcessEnv, r: BuildRequest): Promise<BuildResult> {
  let last: ExecResult | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    last = await exec(cmd, args, { env, ...(r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}), ...(r.signal ? { signal: r.signal } : {}) });
    if (last.code === 0 || last.timedOut || !TRANSIENT.test(last.log)) break;
  }
  const res = last!;
  return { ok: res.code === 0 && !res.timedOut, timedOut: res.timedOut, seconds: res.seconds, log: res.spawnError ? `${cmd}: ${res.spawnError}` : res.log };
}

// ---- podman -----------------------------------------------------------------------------------

async function probePodman(env: NodeJS.ProcessEnv): Promise<{ builder: Builder } | { reason: string }> {
  const r = await exec('podman', ['version', '--format', '{{.Client.Version}}'], { env, timeoutMs: QUICK });
  if (r.code !== 0) return { reason: firstLine(r) };
  return { builder: new Podman(r.stdout.trim(), env) };
}

class Podman implements Builder {
  readonly kind = 'podman' as const;
  readonly label: string;
  readonly limits: Limits;
  constructor(readonly version: string, private readonly env: NodeJS.ProcessEnv) {
    this.label = `podman ${version}`;
    // podman 4.8 vendors buildah 1.33 (heredocs, COPY --link); it builds with buildah, so #4927 applies
    this.limits = { heredocs: versionAtLeast(version, '4.8'), copyLink: versionAtLeast(version, '4.8'), keepsCacheTarget: false };
  }
  private run(args: string[], timeoutMs = QUICK) { return exec('podman', args, { env: this.env, timeoutMs }); }
  async build(r: BuildRequest): Promise<BuildResult> {
    const args = ['build', '--format', 'docker', '--layers', '-f', r.dockerfile, '-t', r.tag];
    args.push(...requestArgs(r));
    return buildWithRetry('podman', args, this.env, r);
  }
  async inspect(tag: string): Promise<ImageFacts> {
    const r = await this.run(['image', 'inspect', tag]);
    if (r.code !== 0) throw new Error(`podman image inspect ${tag}: ${firstLine(r)}`);
    const [j] = JSON.parse(r.stdout) as { Config?: ImageConfig; Size?: number; RootFS?: { Layers?: string[] }; HealthCheck?: unknown; Healthcheck?: unknown }[];
    const config: ImageConfig = { ...(j?.Config ?? {}) };
    if (config.Healthcheck === undefined && (j?.HealthCheck ?? j?.Healthcheck) !== undefined) config.Healthcheck = j?.HealthCheck ?? j?.Healthcheck;
    return { config, size: { bytes: j?.Size ?? 0, layers: j?.RootFS?.Layers?.length ?? 0 } };
  }
  async tree(tag: string, via: 'mount' | 'archive' = typeof process.getuid === 'function' && process.getuid() === 0 ? 'mount' : 'archive'): Promise<Tree> {
    if (via === 'mount') {
      const m = await this.run(['image', 'mount', tag]);
      if (m.code !== 0) throw new Error(`podman image mount ${tag}: ${firstLine(m)}`);
      try { return await walkRoot(m.stdout.trim()); } finally { await this.run(['image', 'unmount', tag]); }
    }
    const dir = await mkdtemp(join(tmpdir(), 'dockeropt-save-'));
    try {
      const file = join(dir, 'image.tar');
      const r = await this.run(['image', 'save', '--format', 'docker-archive', '-o', file, tag], 600_000);
      if (r.code !== 0) throw new Error(`podman image save ${tag}: ${firstLine(r)}`);
      return (await readSavedImage(file)).tree;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  async remove(tags: readonly string[]): Promise<void> {
    for (const t of tags) await this.run(['rmi', t]);
  }
  removeSync(tags: readonly string[]): void {
    for (const t of tags) spawnSync('podman', ['rmi', t], { env: this.env, stdio: 'ignore', timeout: QUICK });
  }
}

// ---- docker buildx ----------------------------------------------------------------------------

async function probeDocker(env: NodeJS.ProcessEnv): Promise<{ builder: Builder } | { reason: string }> {
  const info = await exec('docker', ['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: QUICK });
  if (info.code !== 0 || !info.stdout.trim()) return { reason: info.spawnError === 'ENOENT' ? 'not installed' : `the daemon does not answer (${firstLine(info)})` };
  const bx = await exec('docker', ['buildx', 'version'], { env, timeoutMs: QUICK });
  if (bx.code !== 0) return { reason: `docker buildx is missing (${firstLine(bx)})` };
  return { builder: new Docker(info.stdout.trim(), /v?(\d+\.\d+\.\d+)/.exec(bx.stdout)?.[1] ?? '', env) };
}

class Docker implements Builder {
  readonly kind = 'docker' as const;
  readonly label: string;
  readonly limits: Limits = { heredocs: true, copyLink: true, keepsCacheTarget: true };
  constructor(readonly version: string, buildx: string, private readonly env: NodeJS.ProcessEnv) {
    this.label = `docker ${version} (buildx ${buildx || '?'})`;
  }
  private run(args: string[], timeoutMs = QUICK) { return exec('docker', args, { env: this.env, timeoutMs }); }
  async build(r: BuildRequest): Promise<BuildResult> {
    const args = ['buildx', 'build', '--load', '--progress=plain', '-f', r.dockerfile, '-t', r.tag];
    args.push(...requestArgs(r));
    return buildWithRetry('docker', args, this.env, r);
  }
  async inspect(tag: string): Promise<ImageFacts> {
    const r = await this.run(['image', 'inspect', tag]);
    if (r.code !== 0) throw new Error(`docker image inspect ${tag}: ${firstLine(r)}`);
    const [j] = JSON.parse(r.stdout) as { Config?: ImageConfig; Size?: number; RootFS?: { Layers?: string[] } }[];
    return { config: j?.Config ?? {}, size: { bytes: j?.Size ?? 0, layers: j?.RootFS?.Layers?.length ?? 0 } };
  }
  async tree(tag: string): Promise<Tree> {
    const dir = await mkdtemp(join(tmpdir(), 'dockeropt-save-'));
    try {
      const file = join(dir, 'image.tar');
      const r = await this.run(['image', 'save', '-o', file, tag], 600_000);
      if (r.code !== 0) throw new Error(`docker image save ${tag}: ${firstLine(r)}`);
      return (await readSavedImage(file)).tree;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  async remove(tags: readonly string[]): Promise<void> {
    if (tags.length) await this.run(['image', 'rm', ...tags]);
  }
  removeSync(tags: readonly string[]): void {
    if (tags.length) spawnSync('docker', ['image', 'rm', ...tags], { env: this.env, stdio: 'ignore', timeout: QUICK });
  }
}
