/**
 * Prices the base-image changes of an impact report: the compressed linux/amd64 size of an image is the
 * sum of the layer sizes in its platform manifest. The lookups go through pin-digests' RegistryClient
 * (its auth, credentials, retries and HTTP rules). The client only hands out digests, so it is given a
 * fetch that keeps the manifest bodies it reads: resolving the tag for linux/amd64 reads the index (or
 * the single manifest), and resolving the picked child digest reads the platform manifest.
 */
import { RegistryClient, RegistryError, parsePlatform, type RegistryClientOptions } from './registry/client.js';
import { parseReference, type ImageRef } from './registry/reference.js';
import { computeImpact, type FileImpact } from './impact.js';
import type { FileResult } from './types.js';

/** Compressed size in bytes of an image reference for linux/amd64; rejects with a reason. */
export type SizeLookup = (image: string) => Promise<number>;

interface ManifestDoc { layers?: { size?: unknown }[]; manifests?: unknown[] }

/** A size lookup over a registry client made with `opts` (one client, and one lookup per image, per call). */
export function registrySizes(opts: RegistryClientOptions = {}): SizeLookup {
  const bodies = new Map<string, string>();
  const base = opts.fetch ?? fetch;
  const keeping: typeof fetch = async (input, init) => {
    const res = await base(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if ((init?.method ?? 'GET') === 'GET' && res.ok && url.includes('/manifests/')) {
      bodies.set(url, await res.clone().text());
    }
    return res;
  };
  // made on the first lookup: a run with no base change never touches the docker config
  let made: RegistryClient | null = null;
  const clientOf = () => (made ??= new RegistryClient({ timeoutMs: 5000, retries: 1, ...opts, fetch: keeping }));
  const amd64 = parsePlatform('linux/amd64');
  const cache = new Map<string, Promise<number>>();
  const bodyOf = (ref: ImageRef, tagOrDigest: string): ManifestDoc => {
    const suffix = `/v2/${ref.repository}/manifests/${tagOrDigest}`;
    for (const [url, body] of bodies) if (url.endsWith(suffix)) return JSON.parse(body) as ManifestDoc;
    throw new RegistryError(`no manifest body was read for ${ref.repository}:${tagOrDigest}`, undefined, 'protocol');
  };
  const sizeOf = async (image: string): Promise<number> => {
    const ref = parseReference(image);
    const tag = ref.digest ?? ref.tag ?? 'latest';
    const client = clientOf();
    const top = await client.resolve({ ...ref, tag, digest: null }, amd64);
    let doc = bodyOf(ref, tag);
    if (Array.isArray(doc.manifests)) {
      // an index: `top.digest` is the linux/amd64 child; read it by digest
      await client.resolve({ ...ref, tag: top.digest, digest: null }, amd64);
      doc = bodyOf(ref, top.digest);
    }
    if (!Array.isArray(doc.layers)) throw new RegistryError(`the manifest of ${image} lists no layers`, undefined, 'protocol');
    return doc.layers.reduce<number>((n, l) => n + (typeof l.size === 'number' ? l.size : 0), 0);
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
