/**
 * Prices the base-image changes of an impact report: the compressed linux/amd64 size of an image is the
 * sum of the layer sizes in its platform manifest. The manifests are read with pin-digests'
 * RegistryClient.manifest (its auth, credentials, retries, timeouts, redirect rules, and bytes checked
 * against their digests), configured from pin-digests' own options (registry map, insecure registries,
 * docker config, timeout), so sizes come from the same registries the pins do.
 */
import { RegistryClient, RegistryError, parsePlatform, type RegistryClientOptions } from './registry/client.js';
import { parseReference } from './registry/reference.js';
import { computeImpact, type FileImpact } from './impact.js';
import type { FileResult } from './types.js';

/** Compressed size in bytes of an image reference for linux/amd64; rejects with a reason. */
export type SizeLookup = (image: string) => Promise<number>;

/**
 * Client options from pin-digests' options as given (`--registry-map`, `--insecure-registry`,
 * `--registry-timeout`, `--jobs`, `dockerConfig`; raw, before defaults), checked by pin-digests' own parser;
 * one that does not parse is left out.
 * Without a `--registry-timeout` the sizes keep their shorter 5 s: they are an extra, not the run's work.
 */
export async function registryOptionsFrom(raw: Readonly<Record<string, unknown>> | undefined): Promise<RegistryClientOptions> {
  const { pinDigests } = await import('../transforms/pin-digests/index.js');
  const parse = (r: Record<string, unknown>) => pinDigests.parseOptions!({ ...pinDigests.defaults, ...r });
  // an option that does not parse is left out here: sizes are an extra, pin-digests reports it when it runs
  const given: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    try { parse({ [k]: v }); given[k] = v; } catch { /* left out */ }
  }
  const o = parse(given);
  return {
    registryMap: o.registryMap,
    insecureRegistries: o.insecureRegistries,
    dockerConfigDir: o.dockerConfig,
    jobs: o.jobs,
    ...(given.registryTimeout !== undefined ? { timeoutMs: o.registryTimeout * 1000 } : {}),
  };
}

/** A size lookup over a registry client made with `opts` (one client, and one lookup per image, per call). */
export function registrySizes(opts: RegistryClientOptions = {}): SizeLookup {
  // made on the first lookup: a run with no base change never touches the docker config
  let made: RegistryClient | null = null;
  const clientOf = () => (made ??= new RegistryClient({ timeoutMs: 5000, retries: 1, ...opts }));
  const amd64 = parsePlatform('linux/amd64');
  const cache = new Map<string, Promise<number>>();
  const sizeOf = async (image: string): Promise<number> => {
    const ref = parseReference(image);
    // an index is followed to its linux/amd64 manifest; a single manifest is taken as it is
    const m = await clientOf().manifest(ref, { platform: amd64 });
    const layers = m.manifest.layers;
    if (m.kind !== 'manifest' || !Array.isArray(layers)) throw new RegistryError(`the manifest of ${image} lists no layers`, undefined, 'protocol');
    return layers.reduce<number>((n, l) => n + (typeof l?.size === 'number' ? l.size : 0), 0);
  };
  return (image) => {
    let p = cache.get(image);
    if (!p) { p = sizeOf(image); cache.set(image, p); }
    return p;
  };
}

/** Fills `beforeBytes`/`afterBytes` of every base change, or a note saying why a size is missing. */
export async function priceBases(impacts: readonly FileImpact[], lookup: SizeLookup | null, offlineNote = 'sizes skipped: offline'): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (const imp of impacts) for (const c of imp.bases) {
    if (!lookup) { c.note = offlineNote; continue; }
    const one = async (image: string): Promise<number | string> => {
      if (image.includes('$')) return `${image} has a variable`;
      try { return await lookup(image); } catch (e) { return (e as Error)?.message ?? String(e); }
    };
    jobs.push(Promise.all([one(c.before), one(c.after)]).then(([x, y]) => {
      if (typeof x === 'number') c.beforeBytes = x;
      if (typeof y === 'number') c.afterBytes = y;
      const why = [x, y].filter((v): v is string => typeof v === 'string');
      if (why.length) c.note = `size not available: ${why.join('; ')}`;
    }));
  }
  await Promise.all(jobs);
}

/**
 * The impact of every changed file of a run, with base sizes looked up through `lookup` (null: skipped,
 * with the note). Keyed by the file as displayed.
 */
export async function impactsOf(files: readonly FileResult[], lookup: SizeLookup | null, offlineNote?: string): Promise<Map<string, FileImpact>> {
  const out = new Map<string, FileImpact>();
  for (const f of files) {
    if (f.status !== 'changed') continue;
    try {
      out.set(f.file, computeImpact(f.before, f.after));
    } catch { /* the report is an extra: a text it cannot read gets none */ }
  }
  await priceBases([...out.values()], lookup, offlineNote);
  return out;
}
