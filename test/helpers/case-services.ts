/**
 * Services and extra options a snapshot case needs beyond its files. The default is none.
 *
 * pin-digests: a case folder with a `registry.json` gets the real registry (test/helpers/registry.ts),
 * started once per test process and seeded with the images it lists; the case's options then dial that
 * registry for the listed registries (default docker.io), and read credentials from an empty docker
 * config dir, never the developer's own.
 *
 *   { "images": [{ "name": "library/node", "tag": "20", "kind": "oci-index" }], "registries": ["docker.io"] }
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Case } from './fixtures.js';
import type { Services } from '../../src/types.js';
import { emptyDockerConfig, startRegistry, type ImageSpec, type TestRegistry } from './registry.js';

export interface CaseSetup {
  services: Services;
  options: Record<string, unknown>;
  cleanup(): Promise<void>;
}

let shared: Promise<TestRegistry> | null = null;
const seeded = new Map<string, Promise<unknown>>();
let dockerConfig: string | null = null;

export async function setupCase(c: Case): Promise<CaseSetup> {
  const none: CaseSetup = { services: {}, options: {}, cleanup: async () => {} };
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
