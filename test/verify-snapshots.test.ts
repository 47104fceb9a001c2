/**
 * Every snapshot case (snapshots/<transform>/<case>/) that changes and whose base images are local
 * (busybox, debian:12, debian:12-slim, node:20, node:20-slim: test/helpers/buildah.ts) is built before
 * and after with `--verify`'s own verifier: the build-only changes alone must be identical, so the
 * labels stay honest. Runtime changes are built and their differences printed, never a failure.
 *
 * A build-only case fails the suite when it verifies `different`, or `unverified` for any reason but
 * these: the original does not build here (most cases' contexts are placeholders: a two-byte
 * package-lock.json, a `make` with no Makefile), a buildah 1.28 limit (heredocs, COPY --link), or
 * buildah dropping a pre-existing cache-mount target (containers/buildah#4927). KNOWN lists the cases
 * whose build-only rewrite is known to change the image, with the exact differences: the test fails
 * when a listed case changes in any way (fixed, or different otherwise), so the list cannot go stale.
 *
 * The builds take minutes (apt and npm downloads), so they run only with DOCKEROPT_SLOW_TESTS=1, which
 * .ci/run sets; the selection itself is always checked. SNAPSHOT_FILTER=split-copy builds only matching cases.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareTransforms, resolveOptions, runPipeline, type PipelineOptions } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { DocView } from '../src/document.js';
import { selectTransforms, transformById } from '../transforms/index.js';
import { loadCases, type Case } from './helpers/fixtures.js';
import { setupCase } from './helpers/case-services.js';
import { baseImages, limiter } from './helpers/buildah.js';
import { makeVerifier, type FileVerification } from '../src/verify/run.js';
import { differenceLine } from '../src/verify/compare.js';

/** Names the harness's local images answer to (with or without docker.io/library/). */
const LOCAL = new Set(['scratch', 'busybox', 'busybox:latest', 'debian:12', 'debian:bookworm', 'debian:12-slim', 'debian:bookworm-slim', 'node:20', 'node:20-bookworm', 'node:20-slim', 'node:20-bookworm-slim']);
const isLocal = (ref: string) => LOCAL.has(ref.replace(/^docker\.io\/(library\/)?/, '').toLowerCase());

/** Build-only rewrites known to change the image (transform bugs found by this suite), with what differs. */
const KNOWN: Record<string, { why: string; differences: string[] }> = {
  'cache-mounts/adds-apt-mounts-and-docker-clean-step': {
    why: "the apt step removes /etc/apt/apt.conf.d/docker-clean and writes keep-cache: the image's apt configuration changes",
    differences: ['- /etc/apt/apt.conf.d/docker-clean', '+ /etc/apt/apt.conf.d/keep-cache'],
  },
  'cache-mounts/adds-apt-removes-rm-of-mounted-dir': {
    why: "the apt step removes /etc/apt/apt.conf.d/docker-clean and writes keep-cache: the image's apt configuration changes",
    differences: ['- /etc/apt/apt.conf.d/docker-clean', '+ /etc/apt/apt.conf.d/keep-cache'],
  },
  'split-copy/joins-copy-dot-slash': {
    why: "`npm install` rewrites the out-of-date package-lock.json, and the full `COPY ./ ./` that now follows the install puts the context's old lockfile back over it",
    differences: ['~ /app/package-lock.json'],
  },
};

const ALLOWED_UNVERIFIED = [/^the original does not build either/, /does not support (heredocs|COPY --link)/, /containers\/buildah#4927/];

function fromRefs(text: string): string[] {
  const doc = new DocView(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const stages = new Set(doc.stages().map((s) => s.name).filter(Boolean));
  const refs: string[] = [];
  for (const s of doc.stages()) {
    const img = s.from.getImage() ?? '';
    if (!stages.has(img.toLowerCase())) refs.push(img);
  }
  for (const ins of doc.instructions()) {
    for (const f of (ins as unknown as { getFlags?(): { getName(): string; getValue(): string | null }[] }).getFlags?.() ?? []) {
      const v = f.getValue() ?? '';
      const from = f.getName() === 'from' ? v : f.getName() === 'mount' ? /(?:^|,)from=([^,]+)/.exec(v)?.[1] : undefined;
      if (from && !stages.has(from.toLowerCase()) && !/^\d+$/.test(from)) refs.push(from);
    }
  }
  return refs;
}

const buildable = loadCases().filter((c) => c.output !== null && [...fromRefs(c.input), ...fromRefs(c.output!)].every(isLocal));
// SNAPSHOT_FILTER=split-copy (or split-copy/joins-npm) builds only the matching cases
const filter = process.env.SNAPSHOT_FILTER;
const selected = buildable.filter((c) => !filter || `${c.transform}/${c.name}`.includes(filter));

async function pipelineOf(c: Case, safeOnly: boolean) {
  const setup = await setupCase(c);
  try {
    const selected = c.transform === 'pipeline' ? selectTransforms() : [transformById(c.transform)!];
    const options = resolveOptions(selected, Object.fromEntries(selected.map((t) => [t.id, { ...setup.options, ...(c.options ?? {}) }])));
    const opts: PipelineOptions = { transforms: selected, options, state: await prepareTransforms(selected, options), file: `${c.transform}/${c.name}/input.Dockerfile`, buildContext: contextFs(c.contextDir), services: setup.services, ...(safeOnly ? { safeOnly: true } : {}) };
    return await runPipeline(c.input, opts);
  } finally {
    await setup.cleanup();
  }
}

const sel = suite('verify: snapshot cases');
sel('the local base images can build a good share of the snapshot cases', () => {
  assert.ok(buildable.length >= 30, `only ${buildable.length} cases: ${buildable.map((c) => `${c.transform}/${c.name}`).join(', ')}`);
  for (const k of Object.keys(KNOWN)) assert.ok(buildable.some((c) => `${c.transform}/${c.name}` === k), `${k} is in KNOWN but not a buildable case`);
});

if (process.env.DOCKEROPT_SLOW_TESTS === '1') {
  const h = baseImages();
  const verifier = makeVerifier({ env: { ...process.env, ...h.env } });
  const pool = limiter(3);
  const empty = mkdtempSync(join(tmpdir(), 'dockeropt-empty-context-'));
  process.on('exit', () => rmSync(empty, { recursive: true, force: true }));
  const started = performance.now();
  const results = new Map(selected.map((c) => [c, pool(async () => {
    const full = await pipelineOf(c, false);
    const rewrites = full.outcomes.filter((o) => o.kind === 'rewrite');
    const mixed = rewrites.some((o) => o.safety === 'runtime') && rewrites.some((o) => o.safety !== 'runtime');
    const buildOnlyAfter = mixed ? (await pipelineOf(c, true)).text : null;
    const t0 = performance.now();
    const v = await verifier({ path: join(c.dir, 'Dockerfile'), display: `${c.transform}/${c.name}`, before: c.input, after: full.text, buildOnlyAfter, outcomes: full.outcomes, context: c.contextDir ?? empty });
    return { v, seconds: (performance.now() - t0) / 1000 };
  })]));

  for (const c of selected) {
    const label = `${c.transform}/${c.name}`;
    sel(`${label}: build-only changes identical`, async () => {
      const { v, seconds } = await results.get(c)!;
      const bo = v.changes === 'both' ? v.buildOnly! : v.changes === 'build-only' ? v : null;
      const line = (r: FileVerification | NonNullable<FileVerification['buildOnly']>) => `${r.status}${r.reason ? `: ${r.reason}` : ''}${r.differences.length ? ` [${r.differences.map(differenceLine).join('; ')}]` : ''}`;
      process.stdout.write(`\n  ${label} (${v.changes}, ${seconds.toFixed(0)} s): ${bo ? `build-only ${line(bo)}` : ''}${v.changes !== 'build-only' ? `${bo ? '; ' : ''}all ${line(v)}` : ''}\n`);
      if (!bo) return;
      const known = KNOWN[label];
      if (known) {
        assert.is(bo.status, 'different', `${label} is in KNOWN (${known.why}) but verified ${bo.status}: update KNOWN`);
        assert.equal(bo.differences.map((d) => differenceLine(d).replace(/ \(only in .*$|: .*$/, '')), known.differences, `${label}: the known differences changed`);
        return;
      }
      assert.is.not(bo.status, 'different', `${label}: a build-only change changed the image: ${bo.differences.map(differenceLine).join('; ')}`);
      if (bo.status === 'unverified') assert.ok(ALLOWED_UNVERIFIED.some((r) => r.test(bo.reason ?? '')), `${label}: unverified for an unexpected reason: ${bo.reason}`);
    });
  }
  sel('summary', async () => {
    const all = await Promise.all([...results.values()]);
    const count = (s: string) => all.filter(({ v }) => (v.buildOnly ?? v).status === s).length;
    process.stdout.write(`\n  ${selected.length} cases in ${((performance.now() - started) / 1000).toFixed(0)} s: ${count('identical')} identical, ${count('different')} different, ${count('unverified')} unverified\n`);
    if (!filter) assert.ok(count('identical') >= 5, 'at least a few cases build and verify identical');
  });
}
sel.run();
