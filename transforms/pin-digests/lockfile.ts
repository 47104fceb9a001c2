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
 *
 * Writing: under an exclusive lock (`<lockfile>.lock`, created with O_EXCL, holding `pid host`), the
 * file is read again, this run's entries are merged over what is there now (so two runs at once both
 * keep their entries), and it is replaced atomically like every file dockeropt writes (src/write.ts:
 * temp file and rename, a symlink keeps its link). A lock whose process is gone (same host) is taken
 * over; one held by a live run is waited for up to LOCK_WAIT_MS.
 */
import { promises as fsp, readFileSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { FileError, UsageError } from '../../src/errors.js';
import { trackTemp, untrackTemp, writeAtomic } from '../../src/write.js';

export interface LockEntry {
  digest: string;
  mediaType?: string;
  resolvedAt: string;
}

export const LOCKFILE_VERSION = 1;
/** How long a run waits for another one's lock before giving up. */
export const LOCK_WAIT_MS = 10_000;

export function lockKey(canonicalRef: string, platform: string | null): string {
  return platform ? `${canonicalRef} platform=${platform}` : canonicalRef;
}

export class Lockfile {
  private readonly entries = new Map<string, LockEntry>();
  /** What this run recorded (merged over the file as it is when written). */
  private readonly recorded = new Map<string, LockEntry>();

  /** `display`: the path as messages show it (default: `path`). */
  constructor(readonly path: string, initial: Record<string, LockEntry> = {}, readonly display: string = path) {
    for (const [k, v] of Object.entries(initial)) this.entries.set(k, v);
  }

  /** Reads a lockfile; a missing file is an empty lock, a malformed one is a usage error. */
  static read(path: string, display: string = path): Lockfile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Lockfile(path, {}, display);
      throw new UsageError(`cannot read the lockfile ${display} (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    return new Lockfile(path, Lockfile.parse(text, display), display);
  }

  /** The entries of a lockfile's text; a malformed one is a usage error. */
  static parse(text: string, path: string): Record<string, LockEntry> {
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
    return images;
  }

  get(key: string): LockEntry | undefined {
    return this.entries.get(key);
  }

  /** Records a resolution; keeps the old entry (and its time) when the digest is the same. */
  set(key: string, digest: string, mediaType: string | undefined, now: Date = new Date()): void {
    const old = this.entries.get(key);
    if (old && old.digest === digest) return;
    const e = { digest, ...(mediaType ? { mediaType } : {}), resolvedAt: now.toISOString() };
    this.entries.set(key, e);
    this.recorded.set(key, e);
  }

  get changed(): boolean { return this.recorded.size > 0; }

  serialize(): string {
    return serializeEntries(this.entries);
  }

  /**
   * Merges this run's entries into the lockfile as it is on disk now, under `<lockfile>.lock`, and
   * replaces it atomically. Throws a FileError naming the lockfile when it cannot (then nothing changed).
   */
  async write(waitMs = LOCK_WAIT_MS): Promise<void> {
    const release = await lock(this.path, this.display, waitMs);
    try {
      let bytes: Buffer | null = null;
      try {
        bytes = await fsp.readFile(this.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FileError(`cannot read the lockfile again (${(e as NodeJS.ErrnoException).code ?? e})`, this.display);
      }
      let disk: Record<string, LockEntry>;
      try {
        disk = bytes === null ? {} : Lockfile.parse(bytes.toString('utf8'), this.display);
      } catch (e) {
        throw new FileError(`not written: the lockfile changed on disk into something that is not a lockfile (${(e as Error).message})`, this.display, { hint: 'fix or delete it and re-run' });
      }
      const merged = new Map(Object.entries(disk));
      for (const [k, e] of this.recorded) {
        const there = merged.get(k);
        if (!there || there.digest !== e.digest) merged.set(k, e);
      }
      const text = serializeEntries(merged);
      if (bytes === null || text !== bytes.toString('utf8')) await writeAtomic(this.path, this.display, bytes, text);
      this.entries.clear();
      for (const [k, e] of merged) this.entries.set(k, e);
      this.recorded.clear();
    } finally {
      await release();
    }
  }
}

function serializeEntries(entries: ReadonlyMap<string, LockEntry>): string {
  const images: Record<string, LockEntry> = {};
  for (const k of [...entries.keys()].sort()) {
    const e = entries.get(k)!;
    images[k] = { digest: e.digest, ...(e.mediaType ? { mediaType: e.mediaType } : {}), resolvedAt: e.resolvedAt };
  }
  return JSON.stringify({ lockfileVersion: LOCKFILE_VERSION, images }, null, 2) + '\n';
}

/** Is a process of this host alive? (EPERM: it is, and belongs to another user.) */
function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Takes `<path>.lock` (an exclusive create); returns its release. */
async function lock(path: string, display: string, waitMs = LOCK_WAIT_MS): Promise<() => Promise<void>> {
  const lockPath = `${path}.lock`;
  const shown = `${display}.lock`;
  const deadline = Date.now() + waitMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 250)) {
    const release = async () => { untrackTemp(lockPath); try { unlinkSync(lockPath); } catch { /* gone */ } };
    let created = false;
    try {
      trackTemp(lockPath);
      const fh = await fsp.open(lockPath, 'wx', 0o644);
      created = true;
      try { await fh.writeFile(`${process.pid} ${hostname()}\n`); } finally { await fh.close(); }
      return release;
    } catch (e) {
      if (created) await release(); else untrackTemp(lockPath);
      const c = (e as NodeJS.ErrnoException).code;
      if (c !== 'EEXIST') throw new FileError(`not written: the lock ${shown} could not be created (${c ?? e})`, display, { hint: c === 'ENOSPC' ? 'the disk is full; free space and re-run' : 'check that the directory is writable' });
    }
    let owner = '';
    try {
      owner = readFileSync(lockPath, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // just released
      throw new FileError(`not written: the lock ${shown} exists but cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`, display, { hint: `if no other dockeropt run is going on, delete ${shown} and re-run` });
    }
    const [pidText, host] = owner.split(' ');
    const pid = Number(pidText);
    // the run that held it is gone: its pid on this host is not alive, or it died before writing it
    let unfinished = false;
    if (!host) { try { unfinished = Date.now() - statSync(lockPath).mtimeMs > waitMs; } catch { continue; } }
    if (unfinished || (host === hostname() && Number.isInteger(pid) && pid > 0 && !alive(pid))) {
      try { unlinkSync(lockPath); } catch { /* someone else did */ }
      continue;
    }
    if (Date.now() > deadline) {
      throw new FileError(`not written: another dockeropt run holds the lock ${shown}${pid ? ` (pid ${pid}${host && host !== hostname() ? ` on ${host}` : ''})` : ''}`, display,
        { hint: `if no other dockeropt run is going on, delete ${shown} and re-run` });
    }
    await new Promise((r) => setTimeout(r, pause));
  }
}
