/**
 * `dockeropt.lock`: the digest each image reference resolved to, so a later `--offline` run pins the same
 * digests without a registry. JSON, keys sorted, one entry per resolved reference:
 *
 *   { "lockfileVersion": 1,
 *     "images": { "docker.io/library/node:20": { "digest": "sha256:…", "mediaType": "…", "resolvedAt": "…" },
 *                 "docker.io/library/node:20 platform=linux/arm64/v8": { … } } }
 *
 * Entries are merged: a run over some files keeps the entries of the others. An entry whose digest did
 * not change keeps its `resolvedAt` (the time that digest was first resolved), so re-running does not
 * churn the file.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UsageError } from '../../src/errors.js';

export interface LockEntry {
  digest: string;
  mediaType?: string;
  resolvedAt: string;
}

export const LOCKFILE_VERSION = 1;

export function lockKey(canonicalRef: string, platform: string | null): string {
  return platform ? `${canonicalRef} platform=${platform}` : canonicalRef;
}

export class Lockfile {
  private readonly entries = new Map<string, LockEntry>();
  private dirty = false;

  constructor(readonly path: string, initial: Record<string, LockEntry> = {}) {
    for (const [k, v] of Object.entries(initial)) this.entries.set(k, v);
  }

  /** Reads a lockfile; a missing file is an empty lock, a malformed one is a usage error. */
  static read(path: string): Lockfile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Lockfile(path);
      throw new UsageError(`cannot read the lockfile ${path} (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    let v: { lockfileVersion?: unknown; images?: unknown };
    try {
      v = JSON.parse(text) as typeof v;
    } catch {
      throw new UsageError(`the lockfile ${path} is not valid JSON`, 'fix it, or delete it and run again with --lockfile and --write');
    }
    if (v.lockfileVersion !== LOCKFILE_VERSION || !v.images || typeof v.images !== 'object') {
      throw new UsageError(`the lockfile ${path} is not a dockeropt lockfile version ${LOCKFILE_VERSION}`);
    }
    const images: Record<string, LockEntry> = {};
    for (const [k, e] of Object.entries(v.images as Record<string, unknown>)) {
      const en = e as Partial<LockEntry> | null;
      if (!en || typeof en.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(en.digest)) {
        throw new UsageError(`the lockfile ${path} has an invalid entry for ${k}`);
      }
      images[k] = { digest: en.digest, resolvedAt: typeof en.resolvedAt === 'string' ? en.resolvedAt : '', ...(typeof en.mediaType === 'string' ? { mediaType: en.mediaType } : {}) };
    }
    return new Lockfile(path, images);
  }

  get(key: string): LockEntry | undefined {
    return this.entries.get(key);
  }

  /** Records a resolution; keeps the old entry (and its time) when the digest is the same. */
  set(key: string, digest: string, mediaType: string | undefined, now: Date = new Date()): void {
    const old = this.entries.get(key);
    if (old && old.digest === digest) return;
    this.entries.set(key, { digest, ...(mediaType ? { mediaType } : {}), resolvedAt: now.toISOString() });
    this.dirty = true;
  }

  get changed(): boolean { return this.dirty; }

  serialize(): string {
    const images: Record<string, LockEntry> = {};
    for (const k of [...this.entries.keys()].sort()) {
      const e = this.entries.get(k)!;
      images[k] = { digest: e.digest, ...(e.mediaType ? { mediaType: e.mediaType } : {}), resolvedAt: e.resolvedAt };
    }
    return JSON.stringify({ lockfileVersion: LOCKFILE_VERSION, images }, null, 2) + '\n';
  }

  /** Writes atomically (temp file in the same directory, then rename). */
  async write(): Promise<void> {
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    await fsp.writeFile(tmp, this.serialize());
    await fsp.rename(tmp, this.path);
    this.dirty = false;
  }
}
