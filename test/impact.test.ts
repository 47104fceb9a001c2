/**
 * The impact report: layer counts, cache gains and base changes from before/after texts (pure), and the
 * base sizes against a real registry (helpers/registry.ts) seeded with images whose layer sizes are known.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { computeImpact, formatBaseChange, formatBytes, sumImpacts } from '../src/impact.js';
import { priceBases, registrySizes } from '../src/impact-sizes.js';
import { emptyDockerConfig, startRegistry, type BuiltImage, type TestRegistry } from './helpers/registry.js';
import { impactsOf } from '../src/impact-sizes.js';
import { summarize } from '../src/run.js';
import { jsonReport } from '../src/report/json.js';
import { impactText, plain } from '../src/report/human.js';
import type { FileResult } from '../src/types.js';

const layers = suite('impact: layers');

layers('counts RUN, COPY and ADD per stage and for the final stage', () => {
  const before = 'FROM node:20 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm run build\n\nFROM node:20\nCOPY --from=build /app/dist /app\nADD x.tar /opt/\nENV A=1\nCMD ["node"]\n';
  const after = 'FROM node:20 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n\nFROM node:20-slim\nCOPY --from=build /app/dist /app\nADD x.tar /opt/\nCMD ["node"]\n';
  const i = computeImpact(before, after);
  assert.equal(i.layers.before, [{ stage: 'build', layers: 3 }, { stage: '1', layers: 2 }]);
  assert.equal(i.layers.after, [{ stage: 'build', layers: 2 }, { stage: '1', layers: 2 }]);
  assert.equal(i.layers.final, { before: 2, after: 2 });
});

layers('a BOM and CRLF change nothing', () => {
  const t = 'FROM alpine\r\nRUN apk add curl\r\nCOPY . /app\r\n';
  const i = computeImpact('\uFEFF' + t, t);
  assert.equal(i.layers.final, { before: 2, after: 2 });
  assert.equal(i.cache, []);
  assert.equal(i.bases, []);
});

layers('ONBUILD RUN is not a layer of this image', () => {
  const i = computeImpact('FROM alpine\nONBUILD RUN make\nRUN true\n', 'FROM alpine\nRUN true\n');
  assert.equal(i.layers.final, { before: 1, after: 1 });
});

const cache = suite('impact: cache');

cache('an install split off behind a manifest COPY is reported', () => {
  const before = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n';
  const after = 'FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nCMD ["node", "index.js"]\n';
  assert.equal(computeImpact(before, after).cache, [{ line: 4, install: 'npm ci', stage: '0', behind: 'manifest-copy' }]);
});

cache('a hoisted system install now sits before any COPY', () => {
  const before = 'FROM debian:12\nWORKDIR /app\nCOPY . .\nRUN apt-get update && apt-get install -y curl\n';
  const after = 'FROM debian:12\nRUN apt-get update && apt-get install -y curl\nWORKDIR /app\nCOPY . .\n';
  assert.equal(computeImpact(before, after).cache, [{ line: 2, install: 'apt-get install', stage: '0', behind: 'no-copy' }]);
});

cache('an install still behind COPY . . (or never behind it) is not reported', () => {
  const same = 'FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n';
  assert.equal(computeImpact(same, same.replace('FROM python:3.12', 'FROM python:3.12-slim')).cache, []);
  const never = 'FROM python:3.12\nCOPY requirements.txt .\nRUN python -m pip install -r requirements.txt\nCOPY . .\n';
  assert.equal(computeImpact(never, never + 'USER 1001\n').cache, []);
});

cache('COPY --from and stage inheritance', () => {
  // the stage builds on `deps`, which copied the whole source: its install stays behind it
  const before = 'FROM node:20 AS deps\nCOPY . .\nFROM deps\nRUN npm ci\n';
  const after = 'FROM node:20 AS deps\nCOPY . .\nFROM deps\nRUN npm ci\nUSER 1001\n';
  assert.equal(computeImpact(before, after).cache, []);
  // COPY --from=other . . does not copy the build context
  const b2 = 'FROM node:20\nCOPY . .\nRUN npm ci\n';
  const a2 = 'FROM node:20\nCOPY --from=src . .\nRUN npm ci\n';
  assert.equal(computeImpact(b2, a2).cache, [{ line: 3, install: 'npm ci', stage: '0', behind: 'no-copy' }]);
});

const bases = suite('impact: bases');

bases('a slim variant and a new runner stage are base changes; digest pins are not', () => {
  const before = 'FROM python:3.12\nCOPY . /app\nRUN pip install /app\n';
  const after = 'FROM python:3.12 AS build\nCOPY . /app\nRUN pip install /app\n\nFROM python:3.12-slim\nCOPY --from=build /usr/local /usr/local\n';
  assert.equal(computeImpact(before, after).bases, [{ stage: '1', before: 'python:3.12', after: 'python:3.12-slim' }]);
  const pinned = 'FROM python:3.12@sha256:' + 'a'.repeat(64) + '\nCOPY . /app\nRUN pip install /app\n';
  assert.equal(computeImpact(before, pinned).bases, []);
});

bases('a stage that builds on another stage is priced by the image at the root', () => {
  const before = 'FROM node:20 AS base\nFROM base AS run\nCMD ["node"]\n';
  const after = 'FROM node:20-slim AS base\nFROM base AS run\nCMD ["node"]\n';
  assert.equal(computeImpact(before, after).bases, [{ stage: 'run', before: 'node:20', after: 'node:20-slim' }]);
});

bases('formats sizes the way people compare images', () => {
  assert.is(formatBytes(0), '0 B');
  assert.is(formatBytes(999), '999 B');
  assert.is(formatBytes(45_000_000), '45 MB');
  assert.is(formatBytes(1_020_000_000), '1.02 GB');
  assert.is(formatBytes(1536), '1.54 kB');
  assert.is(formatBaseChange({ stage: '1', before: 'python:3.12', after: 'python:3.12-slim', beforeBytes: 1_020_000_000, afterBytes: 45_000_000 }),
    'python:3.12 (1.02 GB) -> python:3.12-slim (45 MB)');
  assert.is(formatBaseChange({ stage: '1', before: 'a', after: 'b', note: 'sizes skipped: offline' }), 'a -> b [sizes skipped: offline]');
});

bases('offline: every change gets the note, no lookup runs', async () => {
  const i = computeImpact('FROM a:1\n', 'FROM a:2\n');
  await priceBases([i], null);
  assert.equal(i.bases, [{ stage: '0', before: 'a:1', after: 'a:2', note: 'sizes skipped: offline' }]);
});

bases('sums over a batch', () => {
  const a = computeImpact('FROM a:1\nRUN x\nRUN y\n', 'FROM a:2\nRUN x && y\n');
  a.bases[0]!.beforeBytes = 100; a.bases[0]!.afterBytes = 40;
  const b = computeImpact('FROM debian\nCOPY . .\nRUN apt-get install -y git\n', 'FROM debian\nRUN apt-get install -y git\nCOPY . .\n');
  assert.equal(sumImpacts([a, b]), { files: 2, finalLayers: { before: 4, after: 3 }, cache: 1, baseBytes: { before: 100, after: 40, changes: 1 } });
});

// ---- sizes from a real registry -------------------------------------------------------------

const sizes = suite('impact: base sizes from a registry');
let reg: TestRegistry;
let built: BuiltImage[];

/** Compressed size the way the helper built it: the sum of the layer sizes in the linux/amd64 manifest. */
function expectedSize(img: BuiltImage): number {
  const digest = img.children.find((c) => c.platform === 'linux/amd64')?.digest ?? img.digest;
  const m = img.manifests.find((x) => x.digest === digest)!;
  const doc = JSON.parse(m.bytes.toString('utf8')) as { layers: { size: number }[] };
  return doc.layers.reduce((n, l) => n + l.size, 0);
}

sizes.before(async () => {
  reg = await startRegistry();
  built = await reg.push([
    { name: 'library/python', tag: '3.12', kind: 'oci-index' },
    { name: 'library/python', tag: '3.12-slim', kind: 'docker' },
    { name: 'team/arm-only', tag: '1', kind: 'oci-index', platforms: ['linux/arm64/v8'] },
  ]);
});
sizes.after(async () => { await reg?.stop(); });

sizes('sums the linux/amd64 layer sizes of an index and of a single manifest', async () => {
  const lookup = registrySizes({ dockerConfigDir: emptyDockerConfig() });
  const full = `${reg.host}/library/python:3.12`, slim = `${reg.host}/library/python:3.12-slim`;
  const want = [expectedSize(built[0]!), expectedSize(built[1]!)];
  assert.ok(want[0]! > 0 && want[1]! > 0);
  assert.is(await lookup(full), want[0]);
  assert.is(await lookup(slim), want[1]);
  const i = computeImpact(`FROM ${full}\nCOPY . /app\n`, `FROM ${slim}\nCOPY . /app\n`);
  await priceBases([i], lookup);
  assert.equal(i.bases, [{ stage: '0', before: full, after: slim, beforeBytes: want[0], afterBytes: want[1] }]);
  assert.ok(formatBaseChange(i.bases[0]!).includes(` (${formatBytes(want[0]!)}) -> `));
});

sizes('a missing tag or platform leaves a note instead of a size', async () => {
  const lookup = registrySizes({ dockerConfigDir: emptyDockerConfig() });
  const i = computeImpact(`FROM ${reg.host}/team/arm-only:1\n`, `FROM ${reg.host}/library/python:9.99\n`);
  await priceBases([i], lookup);
  const c = i.bases[0]!;
  assert.is(c.beforeBytes, undefined);
  assert.is(c.afterBytes, undefined);
  assert.match(c.note ?? '', /no linux\/amd64 image/);
  assert.match(c.note ?? '', /not found/);
});

const output = suite('impact: in the reports');

output('--json carries the impact per changed file and summed; the summary shows it', async () => {
  const before = 'FROM debian:12\nWORKDIR /app\nCOPY . .\nRUN apt-get update && apt-get install -y curl\n';
  const after = 'FROM debian:12\nRUN apt-get update && apt-get install -y curl\nWORKDIR /app\nCOPY . .\n';
  const files: FileResult[] = [
    { file: 'a/Dockerfile', status: 'changed', before, after, outcomes: [] },
    { file: 'b/Dockerfile', status: 'unchanged', before, after: before, outcomes: [] },
  ];
  const impacts = await impactsOf(files, null);
  assert.equal([...impacts.keys()], ['a/Dockerfile']);
  const doc = JSON.parse(jsonReport({ files, summary: summarize(files) }, '0.0.0', impacts)) as {
    files: { impact?: unknown }[]; summary: { impact: unknown };
  };
  assert.equal(doc.files[0]!.impact, {
    layers: { before: [{ stage: '0', layers: 2 }], after: [{ stage: '0', layers: 2 }], final: { before: 2, after: 2 } },
    cache: [{ line: 2, install: 'apt-get install', stage: '0', behind: 'no-copy' }],
    bases: [],
  });
  assert.is(doc.files[1]!.impact, undefined);
  assert.equal(doc.summary.impact, { files: 1, finalLayers: { before: 2, after: 2 }, cache: 1, baseBytes: { before: 0, after: 0, changes: 0 } });
  assert.is(impactText(impacts, plain), [
    'impact: final-stage layers 2 -> 2, 1 install no longer re-run on a source change',
    '  a/Dockerfile: line 2 apt-get install no longer re-runs on a source change (before any COPY)',
  ].join('\n'));
});

output('without impacts the JSON document is as before', () => {
  const files: FileResult[] = [{ file: 'x', status: 'unchanged', before: 'FROM a\n', after: 'FROM a\n', outcomes: [] }];
  const doc = JSON.parse(jsonReport({ files, summary: summarize(files) }, '0.0.0')) as { summary: Record<string, unknown> };
  assert.not.ok('impact' in doc.summary);
});

layers.run();
output.run();
cache.run();
bases.run();
sizes.run();
