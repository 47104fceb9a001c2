/**
 * Writing files without losing anything: every file dockeropt writes (Dockerfiles, the lockfile, the
 * --diff-out patch) is replaced atomically, through a temp file in the same directory and a rename, and
 * keeps what it is. What writeAtomic guarantees, and the order it works in:
 * - A symlink is resolved: its target is written and the link kept.
 * - A descriptor on the original is opened first and kept until the end. The bytes read through it must
 *   be the ones the caller read (else "changed on disk since it was read").
 * - The file keeps its mode (setuid, setgid and sticky bits included: chmod comes after chown, which
 *   clears them), its owner and its group. A file that cannot keep them is refused, never replaced: one
 *   owned by another user (unless running as root), one whose group the user is not in, one with more
 *   than one hard link (replacing it would split the links into two different files).
 * - A hard link of the original is made under a temp name, so it can be renamed back.
 * - Immediately before the rename, the path must still name the inode that was read (a save by rename
 *   since then is caught here) and its bytes must still be the original's.
 * - After the rename, the original (through the kept descriptor) must still hold the bytes it was read
 *   with: an in-place save that came in since the check, or through a descriptor opened before the
 *   rename, changed it. Then the original is renamed back (the other program's save wins, dockeropt's
 *   change is dropped) or, where hard links are not supported, its bytes go to `<file>.dockeropt-conflict`;
 *   either way the write fails with a message that says so.
 * What remains: a save by rename that lands between that last check and the rename (well under a
 * millisecond) is replaced unseen, and so is an in-place write through a descriptor opened before the
 * rename that comes after the check after it (see docs/reliability.md).
 *
 * Temp files are named `.<name>.dockeropt-<pid>-<random>.tmp`; the ones in use are removed when SIGINT or
 * SIGTERM ends the process (installSignalCleanup), and a later run reports (and after a day removes) the
 * ones an interrupted run left (staleTempFiles).
 */
import { randomBytes } from 'node:crypto';
import { constants, lstatSync, promises as fsp, readdirSync, readlinkSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FileError } from './errors.js';

export interface FileStat { mode: number; uid: number; gid: number; dev: number; ino: number; nlink: number; size: number; mtimeMs: number }

/** A read-only descriptor on the original file. */
export interface ReadHandle {
  stat(): Promise<FileStat>;
  /** The whole file, read from offset 0 (whatever was read before). */
  readAll(): Promise<Buffer>;
  close(): Promise<void>;
}

/** The file operations writing uses; tests inject failures and concurrent writers through this. */
export interface WriteFs {
  realpath(path: string): Promise<string>;
  open(path: string): Promise<ReadHandle>;
  stat(path: string): Promise<FileStat>;
  /** Creates the file (it must not exist), writes and syncs it. */
  writeFile(path: string, data: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const nodeWriteFs: WriteFs = {
  realpath: (p) => fsp.realpath(p),
  open: async (p) => {
    const fh = await fsp.open(p, constants.O_RDONLY | constants.O_NOFOLLOW);
    return {
      stat: () => fh.stat(),
      readAll: async () => {
        const chunks: Buffer[] = [];
        for (let pos = 0; ;) {
          const buf = Buffer.allocUnsafe(64 * 1024);
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) break;
          chunks.push(buf.subarray(0, bytesRead));
          pos += bytesRead;
        }
        return Buffer.concat(chunks);
      },
      close: () => fh.close(),
    };
  },
  stat: (p) => fsp.stat(p),
  writeFile: async (p, data, mode) => {
    const fh = await fsp.open(p, 'wx', mode);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  chown: (p, u, g) => fsp.chown(p, u, g),
  chmod: (p, m) => fsp.chmod(p, m),
  link: (a, b) => fsp.link(a, b),
  rename: (a, b) => fsp.rename(a, b),
  unlink: (p) => fsp.unlink(p),
};

/** Temp files (and locks) this process has made and not yet renamed or removed. */
const live = new Set<string>();
export const trackTemp = (p: string) => { live.add(p); };
export const untrackTemp = (p: string) => { live.delete(p); };

/** A temp name next to `target`: `.<name>.dockeropt-<pid>-<random>.tmp`. */
export function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.dockeropt-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}
const TEMP = /^\..*\.dockeropt-(\d+)-[0-9a-f]{8}\.tmp$/;

/**
 * Replaces `path` with `text` atomically (see the module comment). `original` is what the caller read:
 * the file must still hold exactly those bytes; null means the file must not exist (it is created, and
 * never over one that appeared meanwhile).
 */
export async function writeAtomic(path: string, display: string, original: Buffer | null, text: string, given: Partial<WriteFs> = nodeWriteFs): Promise<void> {
  const fs: WriteFs = { ...nodeWriteFs, ...given };
  if (original === null) return createNew(path, display, text, fs);
  let target: string;
  try {
    target = await fs.realpath(path);
  } catch (e) {
    throw new FileError(`cannot write: the file no longer exists (${code(e)})`, display, { hint: 're-run dockeropt', cause: e });
  }
  let fh: ReadHandle;
  let st: FileStat;
  let current: Buffer;
  try {
    fh = await fs.open(target);
  } catch (e) {
    throw new FileError(`cannot write: the file could not be read again (${code(e)})`, display, { hint: 're-run dockeropt', cause: e });
  }
  const tmp = tempName(target);
  const backup = tempName(target);
  let haveBackup = false;
  try {
    try {
      st = await fh.stat();
      current = await fh.readAll();
    } catch (e) {
      throw new FileError(`cannot write: the file could not be read again (${code(e)})`, display, { hint: 're-run dockeropt', cause: e });
    }
    if (!current.equals(original)) throw changedSinceRead(display);
    await refuseWhatCannotBeKept(target, display, st);
    trackTemp(tmp);
    try {
      await fs.writeFile(tmp, text, st.mode & 0o777);
      // owner and group first: chown clears setuid and setgid, so the mode comes after it
      try { await fs.chown(tmp, st.uid, st.gid); } catch { /* checked below */ }
      await fs.chmod(tmp, st.mode & 0o7777);
      const t = await fs.stat(tmp);
      if (t.uid !== st.uid || t.gid !== st.gid) {
        throw new FileError(`not written: its ${t.uid !== st.uid ? `owner (uid ${st.uid})` : `group (gid ${st.gid}) is not one of yours, so its group`} could not be kept on the new file; the original file is unchanged`, display,
          { hint: t.uid !== st.uid ? 'run dockeropt as the file\'s owner (or root)' : 'run dockeropt as a member of the file\'s group (or root)' });
      }
      if ((t.mode & 0o7777) !== (st.mode & 0o7777)) {
        throw new FileError(`not written: its mode ${octal(st.mode)} could not be kept on the new file (it got ${octal(t.mode)}); the original file is unchanged`, display, { hint: 'run dockeropt as the file\'s owner (or root)' });
      }
      trackTemp(backup);
      try { await fs.link(target, backup); haveBackup = true; } catch { untrackTemp(backup); /* no hard links here: a conflict file instead */ }
      // the last check, immediately before the rename: the same inode, still the original bytes
      const now = await fs.stat(target);
      if (now.ino !== st.ino || now.dev !== st.dev || !(await fh.readAll()).equals(original)) throw changedSinceRead(display);
      await fs.rename(tmp, target);
      untrackTemp(tmp);
    } catch (e) {
      if (live.has(tmp)) {
        try { await fs.unlink(tmp); } catch { /* never created */ }
        untrackTemp(tmp);
      }
      if (e instanceof FileError) throw e;
      throw notWritten(e, display);
    }
    // after the rename: had the original changed meanwhile, a save would be lost; put it back
    const after = await fh.readAll();
    if (!after.equals(original)) await putBack(fs, target, display, backup, haveBackup, after);
  } finally {
    if (haveBackup && live.has(backup)) {
      try { await fs.unlink(backup); } catch { /* renamed back */ }
    }
    untrackTemp(backup);
    await fh.close().catch(() => undefined);
  }
}

/** Another program saved the file between the last check and the rename: its version goes back. */
async function putBack(fs: WriteFs, target: string, display: string, backup: string, haveBackup: boolean, theirs: Buffer): Promise<never> {
  const hint = 're-run dockeropt to see changes against the new content';
  if (haveBackup) {
    try {
      await fs.rename(backup, target);
      untrackTemp(backup);
      throw new FileError('not written: another program wrote the file while dockeropt was replacing it; its version was put back, dockeropt\'s change was not kept', display, { hint });
    } catch (e) {
      if (e instanceof FileError) throw e;
    }
  }
  const conflict = `${target}.dockeropt-conflict`;
  try {
    await fsp.writeFile(conflict, theirs, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    throw new FileError(`written, but another program wrote the file at the same time and its version could not be saved to ${conflict} (${code(e)})`, display, { hint: 'check the file: it holds dockeropt\'s version' });
  }
  throw new FileError(`another program wrote the file while dockeropt was replacing it: the file holds dockeropt's version, the other program's is in ${basename(conflict)}`, display, { hint: `compare the two and keep what you want, then delete ${basename(conflict)}` });
}

/** A new file (there was none): created through a temp file and a hard link, so one that appeared meanwhile is never overwritten. */
async function createNew(path: string, display: string, text: string, fs: WriteFs): Promise<void> {
  const target = resolveLink(path);
  const tmp = tempName(target);
  trackTemp(tmp);
  try {
    await fs.writeFile(tmp, text, 0o666);
    try {
      await fs.link(tmp, target);
    } catch (e) {
      if (code(e) === 'EEXIST') throw new FileError('not written: the file was created by another program meanwhile', display, { hint: 're-run dockeropt' });
      // no hard links on this file system: a rename, after checking that nothing is there
      try { await fs.stat(target); throw new FileError('not written: the file was created by another program meanwhile', display, { hint: 're-run dockeropt' }); } catch (s) { if (s instanceof FileError) throw s; }
      await fs.rename(tmp, target);
      untrackTemp(tmp);
    }
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw notWritten(e, display, false);
  } finally {
    if (live.has(tmp)) {
      try { await fs.unlink(tmp); } catch { /* already gone */ }
      untrackTemp(tmp);
    }
  }
}

/** A path whose last component is a symlink (perhaps dangling) names the file the link points to. */
function resolveLink(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try { st = lstatSync(p); } catch { return p; }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  return p;
}

/**
 * Replaces (or creates) a file dockeropt owns the content of, e.g. the patch: whatever it holds is read
 * first and must not change until the rename; the same rules as writeAtomic apply.
 */
export async function replaceFile(path: string, display: string, text: string, fs: Partial<WriteFs> = nodeWriteFs): Promise<void> {
  let current: Buffer | null;
  try {
    current = await fsp.readFile(path);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw new FileError(`cannot write: the existing file could not be read (${code(e)})`, display, { hint: code(e) === 'EISDIR' ? 'name a file, not a directory' : 'check its permissions', cause: e });
    current = null;
  }
  return writeAtomic(path, display, current, text, fs);
}

/** Hard links, another owner: a replacement would not be the same file, so it is refused. */
async function refuseWhatCannotBeKept(target: string, display: string, st: FileStat): Promise<void> {
  // a file the user may not write is not replaced, even though the directory would allow the rename (as
  // prettier does); a file with no write bit at all counts as read-only for root too
  let writable = true;
  try { await fsp.access(target, constants.W_OK); } catch { writable = false; }
  const me = process.getuid?.();
  if ((st.mode & 0o222) === 0 || (!writable && st.uid === me)) {
    throw new FileError('not written (EACCES): the file is read-only', display, { hint: 'make it writable (chmod u+w) to let dockeropt replace it' });
  }
  if (st.nlink > 1) {
    throw new FileError(`not written: the file has ${st.nlink} hard links, and replacing it would split them into different files; the original file is unchanged`, display,
      { hint: 'to make this one a file of its own, copy it over itself first (cp FILE FILE.new && mv FILE.new FILE) and re-run' });
  }
  if (me === undefined || me === 0 || st.uid === me) return;
  throw new FileError(writable
    ? `not written: the file belongs to uid ${st.uid} and a replacement written by you (uid ${me}) would belong to you; the original file is unchanged`
    : `not written: the file belongs to uid ${st.uid} and you (uid ${me}) cannot write it; the original file is unchanged`, display, { hint: 'run dockeropt as the file\'s owner' });
}

function changedSinceRead(display: string): FileError {
  return new FileError('not written: the file changed on disk since it was read', display, { hint: 're-run dockeropt to see changes against the new content' });
}

function notWritten(e: unknown, display: string, existed = true): FileError {
  const c = code(e);
  const hint = c === 'EACCES' || c === 'EPERM' || c === 'EROFS'
    ? 'the directory is not writable; check its permissions'
    : c === 'ENOSPC' || c === 'EDQUOT' ? 'the disk is full; free space and re-run'
      : c === 'ENOENT' || c === 'ENOTDIR' ? 'its directory does not exist' : 're-run dockeropt';
  return new FileError(`not written (${c})${existed ? '; the original file is unchanged' : ''}`, display, { hint, cause: e });
}

const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');

function code(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ?? err?.message ?? String(e);
}

/** Removes this process's temp files now (synchronously: called on the way out). */
export function removeTempFiles(): void {
  for (const p of live) {
    try { unlinkSync(p); } catch { /* gone */ }
  }
}

let installed = false;
/**
 * SIGINT and SIGTERM remove the temp files in use, then end the process as the signal would. A create
 * already on its way in the thread pool can land just after the first pass, so there is a second one.
 */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      removeTempFiles();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
      removeTempFiles();
      process.kill(process.pid, sig);
    });
  }
}

export interface StaleTemp { path: string; ageMs: number; removed: boolean }

/** Temp files an earlier, interrupted run left in these directories; with `remove`, those older than a day go. */
export function staleTempFiles(dirs: Iterable<string>, remove: boolean, now = Date.now()): StaleTemp[] {
  const out: StaleTemp[] = [];
  for (const dir of new Set(dirs)) {
    let names: string[];
    try { names = readdirSync(dir); } catch { continue; }
    for (const n of names) {
      const m = TEMP.exec(n);
      if (!m || Number(m[1]) === process.pid) continue;
      const p = join(dir, n);
      let ageMs: number;
      try { ageMs = now - statSync(p).mtimeMs; } catch { continue; }
      let removed = false;
      if (remove && ageMs > 24 * 3600 * 1000) {
        try { unlinkSync(p); removed = true; } catch { /* leave it */ }
      }
      out.push({ path: p, ageMs, removed });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
