/**
 * Registry benchmark (a script, not a test): pin-digests over 500 Dockerfiles that reference 40 unique
 * images, against the real registry (Debian's docker-registry, started by test/helpers/registry.ts) behind
 * a delaying proxy that adds 50 ms to every request, the way a remote registry would.
 *
 * It runs the library (`run()` from src/run.ts with transforms = [pinDigests] and docker.io mapped to
 * the proxy), prints the wall time and the number of requests the proxy (so the registry) saw, and writes
 * the numbers to bench/registry-results.json (not committed). Target: well under 2 s, because each unique
 * reference is resolved once (one HEAD) and the lookups run concurrently.
 *
 * The temp directory gets an empty .git, as a monorepo's root has (--no-git leaves it out).
 *
 * Usage: node --import tsx scripts/bench-registry.ts [--files 500] [--images 40] [--delay 50] [--no-git] [--concurrency N]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/run.js';
import { pinDigests } from '../transforms/pin-digests/index.js';
import { emptyDockerConfig, startRegistry, type ImageKind, type ImageSpec } from '../test/helpers/registry.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? def : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} wants a positive integer`);
  return v;
};
const FILES = arg('files', 500), IMAGES = arg('images', 40), DELAY_MS = arg('delay', 50);
/** Files processed at once by run() (its default, 8, unless --concurrency N). */
const CONCURRENCY = process.argv.includes('--concurrency') ? arg('concurrency', 8) : null;
const TARGET_MS = 2000;
const root = fileURLToPath(new URL('..', import.meta.url));

/** A proxy that holds every request DELAY_MS before passing it to the registry, and counts them. */
async function delayingProxy(target: string, delayMs: number) {
  const [th, tp] = target.split(':') as [string, string];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const requests: string[] = [];
  const stats = { first: 0, last: 0, inFlight: 0, maxInFlight: 0 };
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const now = performance.now();
    if (!stats.first) stats.first = now;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    res.on('close', () => { stats.inFlight--; stats.last = performance.now(); });
    setTimeout(() => {
      const up = http.request({ host: th, port: Number(tp), method: req.method, path: req.url, headers: { ...req.headers, host: target }, agent }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    stats,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); agent.destroy(); server.close(() => r()); }),
  };
}

const KINDS: ImageKind[] = ['oci-index', 'docker-list', 'oci', 'docker'];
const specs: ImageSpec[] = Array.from({ length: IMAGES }, (_, i) => ({
  name: i % 2 ? `library/base${String(i).padStart(2, '0')}` : `team${i % 5}/svc${String(i).padStart(2, '0')}`,
  tag: `1.${i % 7}`,
  kind: KINDS[i % KINDS.length]!,
}));
/** How a Dockerfile writes image i: `base07:1.0`, `team2/svc12:1.5`. */
const written = (i: number) => `${specs[i]!.name.replace(/^library\//, '')}:${specs[i]!.tag}`;

/** Dockerfile n: a build stage, a final stage and a COPY --from image; every image is used. */
function dockerfile(n: number): string {
  const a = n % IMAGES, b = (n * 7 + 3) % IMAGES, c = (n * 13 + 11) % IMAGES;
  return [
    '# syntax=docker/dockerfile:1',
    `FROM ${written(a)} AS build`,
    'WORKDIR /src',
    'COPY . .',
    'RUN make build',
    '',
    `FROM ${written(b)}`,
    `COPY --from=${written(c)} /etc/dockeropt-test-image /etc/extra`,
    'COPY --from=build /src/out /app',
    'CMD ["/app/run"]',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const reg = await startRegistry();
  const dir = mkdtempSync(join(tmpdir(), 'dockeropt-bench-registry-'));
  let proxy: Awaited<ReturnType<typeof delayingProxy>> | null = null;
  try {
    await reg.push(specs);
    const seeded = performance.now() - t0;
    proxy = await delayingProxy(reg.host, DELAY_MS);
    // a monorepo: its root holds .git, where the build-context lookup (compose files in each parent
    // directory, src/build-context.ts) stops; without it that lookup reads every parent up to / per file
    if (!process.argv.includes('--no-git')) mkdirSync(join(dir, '.git'));
    for (let n = 0; n < FILES; n++) {
      const d = join(dir, `svc${String(n).padStart(3, '0')}`);
      mkdirSync(d);
      writeFileSync(join(d, 'Dockerfile'), dockerfile(n));
    }
    // the syntax directive's image is docker.io/docker/dockerfile:1 too: seed it so it pins like the rest
    await reg.push([{ name: 'docker/dockerfile', tag: '1', kind: 'oci-index' }]);
    const unique = IMAGES + 1;

    // the floor: the same run with no transform (discovery, reading, planning); it also loads the modules
    // a run needs and warms the page cache, so the pinned run below measures pinning, not start-up
    const f0 = performance.now();
    const floor = await run({ cwd: dir, paths: [dir], transforms: [] });
    const floorMs = performance.now() - f0;
    if (floor.summary.scanned !== FILES) throw new Error(`the floor run saw ${floor.summary.scanned} files`);

    const start = performance.now();
    const result = await run({
      cwd: dir,
      paths: [dir],
      transforms: [pinDigests],
      ...(CONCURRENCY ? { concurrency: CONCURRENCY } : {}),
      options: { 'pin-digests': { registryMap: { 'docker.io': proxy.host }, dockerConfig: emptyDockerConfig() } },
    });
    const wallMs = performance.now() - start;

    const s = result.summary;
    const rewrites = result.files.reduce((n, f) => n + f.outcomes.filter((o) => o.kind === 'rewrite').length, 0);
    const byMethod: Record<string, number> = {};
    for (const r of proxy.requests) byMethod[r.split(' ')[0]!] = (byMethod[r.split(' ')[0]!] ?? 0) + 1;
    const out = {
      files: s.scanned,
      changed: s.changed,
      errors: s.errors,
      pinned: rewrites,
      uniqueReferences: unique,
      delayPerRequestMs: DELAY_MS,
      concurrency: CONCURRENCY ?? 'default',
      wallMs: Math.round(wallMs),
      floorMs: Math.round(floorMs),
      registryPhaseMs: Math.round(proxy.stats.last - proxy.stats.first),
      maxRequestsInFlight: proxy.stats.maxInFlight,
      registryRequests: proxy.requests.length,
      registryRequestsByMethod: byMethod,
      targetMs: TARGET_MS,
      met: wallMs < TARGET_MS && s.errors === 0 && s.changed === FILES,
      seedMs: Math.round(seeded),
      node: process.version,
    };
    const lines = [
      `pin-digests over ${out.files} Dockerfiles, ${unique} unique images, +${DELAY_MS} ms per registry request`,
      `  wall time          ${out.wallMs} ms (target < ${TARGET_MS} ms: ${out.met ? 'met' : 'MISSED'})`,
      `  floor              ${out.floorMs} ms (the same run with no transform: discovery, reading, planning)`,
      `  registry phase     ${out.registryPhaseMs} ms from the first request to the last answer, up to ${out.maxRequestsInFlight} at once`,
      `  registry requests  ${out.registryRequests} (${Object.entries(byMethod).map(([m, k]) => `${k} ${m}`).join(', ')}) for ${unique} unique references`,
      `  files changed      ${out.changed} of ${out.files}, ${out.pinned} references pinned, ${out.errors} errors`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    mkdirSync(join(root, 'bench'), { recursive: true });
    writeFileSync(join(root, 'bench/registry-results.json'), JSON.stringify(out, null, 2) + '\n');
    process.stdout.write('  written to bench/registry-results.json\n');
    if (!out.met) process.exitCode = 1;
  } finally {
    await proxy?.close();
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
