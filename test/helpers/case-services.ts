/**
 * Services and extra options a snapshot case needs beyond its files. The default is none.
 *
 * pin-digests: a case folder with a `registry.json` gets the real registry (test/helpers/registry.ts),
 * started once per test process and seeded with the images it lists; the case's options then dial that
 * registry for the listed registries (default docker.io), and read credentials from an empty docker
 * config dir, never the developer's own.
 *
 *   { "images": [{ "name": "library/node", "tag": "20", "kind": "oci-index" }], "registries": ["docker.io"] }
 *
 * Modes: git keeps only 644 and 755, so a case whose context needs other modes (fold-permissions) has a
 * `modes.json` next to `context/`, `{ "run.sh": "640", "bin/tool": "4755" }` (octal, paths relative to
 * the context); the case then runs on a temporary copy of the context with those modes set, removed by
 * `cleanup`.
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Case } from './fixtures.js';
import type { Services } from '../../src/types.js';
import { prepareTransforms, resolveOptions, runPipeline, type PipelineResult } from '../../src/pipeline.js';
import { contextFs } from '../../src/context-fs.js';
import { selectTransforms, transformById } from '../../transforms/index.js';
import { emptyDockerConfig, startRegistry, type ImageSpec, type TestRegistry } from './registry.js';

export interface CaseSetup {
  services: Services;
  options: Record<string, unknown>;
  /** The build context to use instead of the case's `context/` (a copy with `modes.json` applied). */
  contextDir?: string;
  cleanup(): Promise<void>;
}

let shared: Promise<TestRegistry> | null = null;
const seeded = new Map<string, Promise<unknown>>();
let dockerConfig: string | null = null;

export async function setupCase(c: Case): Promise<CaseSetup> {
  const none: CaseSetup = { services: {}, options: {}, cleanup: async () => {} };
  const modesFile = join(c.dir, 'modes.json');
  if (c.contextDir && existsSync(modesFile)) {
    const dir = mkdtempSync(join(tmpdir(), 'dockeropt-case-context-'));
    cpSync(c.contextDir, dir, { recursive: true });
    for (const [rel, mode] of Object.entries(JSON.parse(readFileSync(modesFile, 'utf8')) as Record<string, string>)) chmodSync(join(dir, rel), parseInt(mode, 8));
    return { ...none, contextDir: dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (c.transform !== 'pin-digests') return none;
  dockerConfig ??= emptyDockerConfig();
  const file = join(c.dir, 'registry.json');
  if (!existsSync(file)) return { ...none, options: { dockerConfig } };
  const spec = JSON.parse(readFileSync(file, 'utf8')) as { images?: ImageSpec[]; registries?: string[] };
  // one registry per test process; it is killed when the process exits
  shared ??= startRegistry();
  const reg = await shared;
  for (const img of spec.images ?? []) {
    const key = JSON.stringify(img);
    if (!seeded.has(key)) seeded.set(key, reg.push([img]));
    await seeded.get(key);
  }
  const registryMap = Object.fromEntries((spec.registries ?? ['docker.io']).map((r) => [r, reg.host]));
  return { ...none, options: { dockerConfig, registryMap } };
}

/**
 * A snapshot case's pipeline run on `input`, as test/snapshots.test.ts defines it: the case's transform (or the
 * whole pipeline), its options.json, its context and services. options.json may say "runtime": false to show a
 * plain --write (runtime rewrites held back); the default is --runtime. The snapshots were made when cache-mounts
 * added the syntax directive by default; they keep it (--syntax-directive) so its placement stays covered; the
 * default (none) is tested in cli-batch.
 */
export async function runSnapshotCase(c: Case, input: string): Promise<PipelineResult> {
  const setup = await setupCase(c);
  try {
    const selected = c.transform === 'pipeline' ? selectTransforms() : [transformById(c.transform)!];
    const { runtime = true, ...given } = (c.options ?? {}) as { runtime?: boolean };
    const legacy = (id: string) => (id === 'cache-mounts' ? { syntaxDirective: true } : {});
    const options = resolveOptions(selected, Object.fromEntries(selected.map((t) => [t.id, { ...legacy(t.id), ...setup.options, ...given }])));
    return await runPipeline(input, {
      transforms: selected,
      options,
      state: await prepareTransforms(selected, options),
      file: `${c.transform}/${c.name}/input.Dockerfile`,
      buildContext: contextFs(setup.contextDir ?? c.contextDir),
      services: setup.services,
      runtime,
    });
  } finally {
    await setup.cleanup();
  }
}
