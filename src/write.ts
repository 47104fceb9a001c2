import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileError } from './errors.js';

/** The file operations writing uses; tests inject failures through this. */
export interface WriteFs {
  readFile(path: string): Promise<Buffer>;
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<{ mode: number; uid: number; gid: number }>;
  writeFile(path: string, data: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const nodeWriteFs: WriteFs = {
  readFile: (p) => fsp.readFile(p),
  realpath: (p) => fsp.realpath(p),
  stat: (p) => fsp.stat(p),
  writeFile: async (p, data, mode) => {
    const fh = await fsp.open(p, 'wx', mode);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.chmod(p, mode);
  },
  chown: (p, u, g) => fsp.chown(p, u, g),
  rename: (a, b) => fsp.rename(a, b),
  unlink: (p) => fsp.unlink(p),
};

/**
 * Replaces `path` with `text` atomically: a temp file in the same directory, then rename. A symlink is
 * resolved so its target is written and the link kept. The file's mode (and, where allowed, owner) is
 * kept. Refuses when the file's bytes are no longer `original` (changed on disk since it was read).
 */
export async function writeAtomic(path: string, display: string, original: Buffer, text: string, fs: WriteFs = nodeWriteFs): Promise<void> {
  let target: string;
  try {
    target = await fs.realpath(path);
  } catch (e) {
    throw new FileError(`cannot write: the file no longer exists (${code(e)})`, display, { hint: 're-run dockeropt', cause: e });
  }
  let current: Buffer;
  let st: { mode: number; uid: number; gid: number };
  try {
    current = await fs.readFile(target);
    st = await fs.stat(target);
  } catch (e) {
    throw new FileError(`cannot write: the file could not be read again (${code(e)})`, display, { hint: 're-run dockeropt', cause: e });
  }
  // a file the user may not write is not replaced, even though the directory would allow the rename (as
  // prettier does); a file with no write bit at all counts as read-only for root too
  if ((st.mode & 0o222) === 0 || !(await writable(target))) {
    throw new FileError('not written (EACCES): the file is read-only', display, { hint: 'make it writable (chmod u+w) to let dockeropt replace it' });
  }
  if (!current.equals(original)) {
    throw new FileError('not written: the file changed on disk since it was read', display, { hint: 're-run dockeropt to see changes against the new content' });
  }
  const tmp = join(dirname(target), `.${basename(target)}.dockeropt-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, text, st.mode & 0o7777);
    try { await fs.chown(tmp, st.uid, st.gid); } catch { /* not permitted for non-root: the new file is ours */ }
    await fs.rename(tmp, target);
  } catch (e) {
    try { await fs.unlink(tmp); } catch { /* never created */ }
    const c = code(e);
    const hint = c === 'EACCES' || c === 'EPERM' || c === 'EROFS'
      ? 'the directory is not writable; check its permissions'
      : c === 'ENOSPC' ? 'the disk is full; free space and re-run' : 're-run dockeropt';
    throw new FileError(`not written (${c}); the original file is unchanged`, display, { hint, cause: e });
  }
}

async function writable(p: string): Promise<boolean> {
  try { await fsp.access(p, fsConstants.W_OK); return true; } catch { return false; }
}

function code(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ?? err?.message ?? String(e);
}
