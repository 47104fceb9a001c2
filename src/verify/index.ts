/**
 * Verification: build the original and the rewritten Dockerfile with the same context, target, build
 * args and platform, and compare the two images (files, config, sizes; see compare.ts).
 *
 * Result: `identical`, `different` (with the differences), or `unverified` with the reason: no builder,
 * the original does not build either, a base image cannot be pulled, a timeout, or a builder limit
 * (heredocs or COPY --link on an old buildah; buildah dropping a cache-mount target that already
 * existed, containers/buildah#4927). The builds run in a temporary copy of the context, tagged
 * `localhost/dockeropt-verify-<random>:original|rewritten`, and the tags are removed afterwards (the
 * builder's layer cache stays, as after any build).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Builder, Detection } from './builders.js';
import { compareConfig, compareTrees, type Difference, type ImageSize } from './compare.js';
import { dockerfileFacts, stripBom, type DockerfileFacts } from './dockerfile.js';
import type { BuildRequest } from './builders.js';
import { cacheExperiment, type CacheReport } from './cache.js';

export type VerifyStatus = 'identical' | 'different' | 'unverified';

export interface VerifyResult {
  status: VerifyStatus;
  /** The builder used, e.g. `buildah 1.28.2 (chroot isolation)`; null when there was none. */
  builder: string | null;
  differences: Difference[];
  /** Total file differences before grouping (differences may group them by directory). */
  fileDifferences?: number;
  sizes?: { before: ImageSize; after: ImageSize };
  reason?: string;
  /** What was deliberately not compared, with counts (see compare.ts), and builder caveats. */
  notes: string[];
  cache?: CacheReport;
}

export interface VerifyInput {
  /** The original and the rewritten Dockerfile's text. */
  before: string;
  after: string;
  /** The build context directory (copied before building); null builds with an empty context. */
  context: string | null;
  /** The Dockerfile's file name (the temporary copies get it, so `<name>.dockerignore` applies). */
  dockerfileName?: string;
  /** The Dockerfile's own ignore file (`<Dockerfile>.dockerignore`) to carry along, if any. */
  dockerignore?: string | null;
  target?: string;
  buildArgs?: Readonly<Record<string, string>>;
  platform?: string;
  /** Per build. Default 20 minutes. */
  timeoutMs?: number;
  /** Run the cache experiment (change one source file, rebuild both with the layer cache). */
  cache?: boolean;
  /** The context file the cache experiment changes (default: chosen, see cache.ts). */
  touch?: string;
  /** File differences listed one by one before grouping by directory. Default 20. */
  maxFileLines?: number;
  signal?: AbortSignal;
}

export const DEFAULT_TIMEOUT_MS = 20 * 60_000;

const unverified = (builder: string | null, reason: string, notes: string[] = []): VerifyResult => ({ status: 'unverified', builder, differences: [], reason, notes });

/** Why a failed build failed, in one line: the builder's error plus the command's last complaint. */
export function buildError(log: string): string {
  const lines = log.split('\n').map((l) => l.trimEnd()).filter((l) => l && !/^(Copying|Getting|Writing|Storing|STEP \d|\[\d+\/\d+\] STEP|-->|COMMIT|time=)/.test(l));
  let errIdx = -1;
  for (let i = lines.length - 1; i >= 0; i--) if (/^(Error|ERROR|error)[: ]/.test(lines[i]!)) { errIdx = i; break; }
  const err = errIdx === -1 ? lines[lines.length - 1] ?? 'the build failed' : lines[errIdx]!;
  const before = errIdx > 0 ? lines.slice(Math.max(0, errIdx - 3), errIdx).filter((l) => !/^(error running container|subprocess exited)/.test(l)).pop() : undefined;
  const text = err.replace(/^(Error|ERROR|error):\s*/, '') + (before && !err.includes(before) ? ` (${before.trim()})` : '');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/** A failed FROM: the base image could not be found or pulled. Returns the image when it can tell. */
export function pullFailure(log: string): string | null {
  const m = /initializing source docker:\/\/(\S+?):\s/.exec(log)
    ?? /failed to resolve source metadata for (\S+?):\s/.exec(log)
    ?? /(?:pull access denied for|manifest for|image not known:?) ([^\s,]+)/.exec(log);
  if (m) return m[1]!;
  if (/creating build container:|pinging container registry|short-name resolution|manifest unknown|failed to resolve source metadata/.test(log)) return '';
  return null;
}

/** The last clause of a pull error (`connection refused`, `manifest unknown`). */
function pullCause(log: string): string {
  const err = buildError(log).replace(/\s*\(.*\)$/, '');
  const parts = err.split(/:\s+/);
  return parts[parts.length - 1] || err;
}

/** Verifies one pair with a builder (or the detection that found none). */
export async function verifyPair(found: Builder | Detection, input: VerifyInput): Promise<VerifyResult> {
  const builder: Builder | null = 'kind' in found ? found : found.builder;
  if (!builder) return unverified(null, (found as { reason: string }).reason);
  const label = builder.label;
  let fa: DockerfileFacts, fb: DockerfileFacts;
  try {
    fa = dockerfileFacts(input.before);
    fb = dockerfileFacts(input.after);
  } catch (e) {
    return unverified(label, `the Dockerfile could not be parsed (${(e as Error).message})`);
  }
  const limit = limitProblem(builder, fa, fb);
  if (limit) return unverified(label, limit);
  if (input.target) {
    for (const [facts, which] of [[fa, 'original'], [fb, 'rewritten']] as const) {
      if (!facts.stages.includes(input.target.toLowerCase())) return unverified(label, `the ${which} Dockerfile has no stage named ${input.target} (--target)`);
    }
  }
  const work = await fsp.mkdtemp(join(tmpdir(), 'dockeropt-verify-'));
  const id = randomBytes(6).toString('hex');
  const tags = { before: `localhost/dockeropt-verify-${id}:original`, after: `localhost/dockeropt-verify-${id}:rewritten` };
  const made: string[] = [];
  try {
    const context = join(work, 'context');
    if (input.context) await fsp.cp(input.context, context, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    else await fsp.mkdir(context);
    const name = input.dockerfileName ?? 'Dockerfile';
    const files = { before: join(work, 'original', name), after: join(work, 'rewritten', name) };
    for (const [k, text] of [['before', input.before], ['after', input.after]] as const) {
      await fsp.mkdir(join(work, k === 'before' ? 'original' : 'rewritten'));
      await fsp.writeFile(files[k], text.startsWith('\uFEFF') ? text.slice(1) : text);
      if (input.dockerignore && existsSync(input.dockerignore)) await fsp.copyFile(input.dockerignore, `${files[k]}.dockerignore`);
    }
    const common = {
      context,
      ...(input.target ? { target: input.target } : {}),
      ...(input.buildArgs ? { buildArgs: input.buildArgs } : {}),
      ...(input.platform ? { platform: input.platform } : {}),
      timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(input.signal ? { signal: input.signal } : {}),
    };
    const a = await builder.build({ ...common, dockerfile: files.before, tag: tags.before });
    made.push(tags.before);
    if (!a.ok) {
      if (a.timedOut) return unverified(label, `the original build timed out after ${Math.round(common.timeoutMs / 1000)} s`);
      const pulled = pullFailure(a.log);
      if (pulled !== null) return unverified(label, `a base image cannot be pulled (${pulled ? `${pulled}: ` : ''}${pullCause(a.log)})`);
      return unverified(label, `the original does not build either: ${buildError(a.log)}`);
    }
    const b = await builder.build({ ...common, dockerfile: files.after, tag: tags.after });
    made.push(tags.after);
    if (!b.ok) {
      if (b.timedOut) return unverified(label, `the rewritten build timed out after ${Math.round(common.timeoutMs / 1000)} s`);
      const pulled = pullFailure(b.log);
      if (pulled !== null) return unverified(label, `a base image of the rewritten file cannot be pulled (${pulled ? `${pulled}: ` : ''}${pullCause(b.log)})`);
      const sizeA = (await builder.inspect(tags.before)).size;
      return { status: 'different', builder: label, differences: [{ kind: 'build', message: `the rewritten Dockerfile does not build: ${buildError(b.log)}` }], notes: [], sizes: { before: sizeA, after: { bytes: 0, layers: 0 } } };
    }
    // buildah commits a RUN without its cache-mount targets (containers/buildah#4927): find out which
    // targets existed before their RUN (BuildKit keeps those, with what was there) and which are new
    // (BuildKit leaves an empty mount point): a probe build of the rewritten file up to that RUN
    let existed: string[] = [];
    let mountPoints: string[] = [];
    if (!builder.limits.keepsCacheTarget && fb.cacheRuns.length) {
      const probe = await probeTargets(builder, input.after, fb, { ...common, dockerfile: join(work, 'rewritten', name) }, tags.after, made);
      if (probe === null) return unverified(label, `${builder.kind} leaves cache-mount targets out of the committed image (containers/buildah#4927), and a probe build could not tell whether they existed before their RUN`);
      existed = [...probe].filter(([, e]) => e).map(([t]) => t);
      mountPoints = [...probe].filter(([, e]) => !e).map(([t]) => t);
    }
    const [ia, ib, ta, tb] = await Promise.all([builder.inspect(tags.before), builder.inspect(tags.after), builder.tree(tags.before), builder.tree(tags.after)]);
    const cmp = compareTrees(ta, tb, { cacheTargets: fb.cacheTargets.map((c) => c.target), mountPoints, skip: existed, ...(input.maxFileLines ? { maxFileLines: input.maxFileLines } : {}) });
    const differences: Difference[] = [...compareConfig(ia.config, ib.config), ...cmp.differences];
    const notes = [...cmp.notes];
    const result: VerifyResult = {
      status: differences.length ? 'different' : 'identical',
      builder: label,
      differences,
      fileDifferences: cmp.fileDifferences,
      sizes: { before: ia.size, after: ib.size },
      notes,
    };
    if (existed.length) {
      const why = `${builder.kind} drops a cache-mount target that already exists before its RUN (${existed.join(', ')}) from the committed image, where BuildKit keeps it with its content (containers/buildah#4927), so that directory cannot be compared with this builder`;
      if (result.status === 'identical') { result.status = 'unverified'; result.reason = why; }
      else notes.push(why);
    }
    if (input.cache) {
      result.cache = await cacheExperiment(builder, {
        ...common, files, tags: { before: `${tags.before}-touched`, after: `${tags.after}-touched` }, made,
        ...(input.touch ? { touch: input.touch } : {}),
        binds: fb.contextBinds.length > 0 || fa.contextBinds.length > 0,
      });
    }
    return result;
  } catch (e) {
    return unverified(label, `verification failed: ${(e as Error).message}`);
  } finally {
    await builder.remove(made);
    await fsp.rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * For each cache-mount target of the rewritten file: did it exist right before its RUN? Builds the
 * rewritten file up to each such RUN (the layer cache of the main build makes that cheap) plus one RUN
 * that says. Null when a probe fails (no shell in the image, for instance).
 */
async function probeTargets(builder: Builder, after: string, facts: DockerfileFacts, req: Omit<BuildRequest, 'tag'>, tag: string, made: string[]): Promise<Map<string, boolean> | null> {
  const text = stripBom(after);
  const out = new Map<string, boolean>();
  const nonce = randomBytes(4).toString('hex');
  for (const [i, run] of facts.cacheRuns.entries()) {
    let prefix = text.slice(0, run.start);
    if (prefix !== '' && !prefix.endsWith('\n')) prefix += '\n';
    const q = (t: string) => `'${t.replace(/'/g, `'\\''`)}'`;
    const probe = `${prefix}RUN echo dockeropt-probe-${nonce}; for t in ${run.targets.map(q).join(' ')}; do if [ -e "$t" ]; then echo "dockeropt-probe exists $t"; else echo "dockeropt-probe absent $t"; fi; done\n`;
    const file = `${req.dockerfile}.probe${i}`;
    await fsp.writeFile(file, probe);
    const probeTag = `${tag}-probe${i}`;
    const { target: _t, ...rest } = req;
    const r = await builder.build({ ...rest, dockerfile: file, tag: probeTag });
    made.push(probeTag);
    if (!r.ok) return null;
    for (const t of run.targets) {
      const m = new RegExp(`^dockeropt-probe (exists|absent) ${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm').exec(r.log);
      if (!m) return null;
      // a target that existed before any of its RUNs is one buildah drops
      out.set(t, (out.get(t) ?? false) || m[1] === 'exists');
    }
  }
  return out;
}

function limitProblem(b: Builder, fa: DockerfileFacts, fb: DockerfileFacts): string | null {
  const where = (orig: number[], rew: number[]) => [orig.length ? `the original, line ${orig.join(', ')}` : '', rew.length ? `the rewritten file, line ${rew.join(', ')}` : ''].filter(Boolean).join('; ');
  if (!b.limits.heredocs && (fa.heredocs.length || fb.heredocs.length)) {
    return `${b.kind} ${b.version} does not support heredocs (${where(fa.heredocs, fb.heredocs)}); buildah 1.33+, podman 4.8+ or docker buildx do`;
  }
  if (!b.limits.copyLink && (fa.copyLink.length || fb.copyLink.length)) {
    return `${b.kind} ${b.version} does not support COPY --link (${where(fa.copyLink, fb.copyLink)}); buildah 1.33+, podman 4.8+ or docker buildx do`;
  }
  return null;
}

export type { Difference, ImageSize } from './compare.js';
export { differenceLine, sizeText, formatBytes } from './compare.js';
export { detectBuilder, type Builder, type BuilderKind, type Detection } from './builders.js';
