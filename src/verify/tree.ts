/**
 * An image's file system as a map of absolute path -> facts: type, permission bits (setuid, setgid and
 * sticky included), owner, size and sha256 of regular files, symlink targets, device numbers. Times are
 * not recorded: they differ on every build.
 *
 * Two ways to read it: walk a mounted root (`buildah mount`, `podman image mount`), or apply the layer
 * tars of a saved image in order with their whiteouts (`docker image save`).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { TarReader, type TarHeader } from './tar.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket' | 'other';

export interface Entry {
  type: EntryType;
  /** Permission bits including setuid (04000), setgid (02000) and sticky (01000). */
  mode: number;
  uid: number;
  gid: number;
  /** Regular files. */
  size?: number;
  /** Regular files: `sha256:<hex>` of the content. */
  digest?: string;
  /** Symlinks. */
  link?: string;
  /** Devices: `major:minor`. */
  rdev?: string;
}

export type Tree = Map<string, Entry>;

/** Bytes of file content that walkRoot/readSavedImage hashed (for timings in --debug). */
export interface TreeStats { entries: number; fileBytes: number }

export function treeStats(t: Tree): TreeStats {
  let fileBytes = 0;
  for (const e of t.values()) if (e.type === 'file') fileBytes += e.size ?? 0;
  return { entries: t.size, fileBytes };
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await fsp.open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return `sha256:${h.digest('hex')}`;
}

function typeOf(st: import('node:fs').Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'other';
}

/** Walks a mounted image root (as root, so every file can be read). The root itself is not an entry. */
export async function walkRoot(root: string): Promise<Tree> {
  const out: Tree = new Map();
  const dirs: string[] = ['/'];
  const files: { rel: string; abs: string; e: Entry }[] = [];
  const visit = async (rel: string) => {
    const names = await fsp.readdir(join(root, rel));
    await Promise.all(names.map(async (name) => {
      const p = rel === '/' ? `/${name}` : `${rel}/${name}`;
      const abs = join(root, p);
      const st = await fsp.lstat(abs);
      const e: Entry = { type: typeOf(st), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (e.type === 'file') { e.size = st.size; files.push({ rel: p, abs, e }); }
      else if (e.type === 'symlink') e.link = await fsp.readlink(abs);
      else if (e.type === 'char' || e.type === 'block') e.rdev = `${Math.floor(st.rdev / 256) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}`;
      else if (e.type === 'dir') dirs.push(p);
      out.set(p, e);
    }));
  };
  // a few directories at a time: lstat round trips, not the CPU, bound the walk
  while (dirs.length) await Promise.all(dirs.splice(0, 16).map(visit));
  // hash with a little concurrency: reading is mostly page cache, hashing is the cost
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      f.e.digest = await hashFile(f.abs);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

/** `./usr/bin/` -> `/usr/bin`; null for the root itself. */
export function normalizeTarPath(name: string): string | null {
  const parts = name.split('/').filter((s) => s !== '' && s !== '.');
  const stack: string[] = [];
  for (const s of parts) {
    if (s === '..') stack.pop();
    else stack.push(s);
  }
  return stack.length === 0 ? null : `/${stack.join('/')}`;
}

const TAR_TYPES: Record<TarHeader['type'], EntryType> = { file: 'file', hardlink: 'file', symlink: 'symlink', char: 'char', block: 'block', dir: 'dir', fifo: 'fifo', other: 'other' };

/** Removes `path` and everything below it. */
function removeSubtree(t: Tree, path: string): void {
  t.delete(path);
  const prefix = `${path}/`;
  for (const k of t.keys()) if (k.startsWith(prefix)) t.delete(k);
}

/**
 * Applies one layer tar (a stream of its bytes, gzip detected) to the tree: OCI whiteouts
 * (`.wh.NAME` removes NAME, `.wh..wh..opq` empties the directory of what lower layers put there),
 * hardlinks take their target's facts.
 */
export async function applyLayer(t: Tree, bytes: NodeJS.ReadableStream): Promise<void> {
  const own = new Set<string>();
  let first = true;
  let reader: TarReader;
  const onEntry = (h: TarHeader) => {
    const path = normalizeTarPath(h.name);
    if (path === null) return null;
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash) || '/';
    const base = path.slice(slash + 1);
    if (base === '.wh..wh..opq') {
      const prefix = dir === '/' ? '/' : `${dir}/`;
      for (const k of [...t.keys()]) if (k.startsWith(prefix) && !own.has(k)) t.delete(k);
      return null;
    }
    if (base.startsWith('.wh.')) {
      removeSubtree(t, `${dir === '/' ? '' : dir}/${base.slice(4)}`);
      return null;
    }
    const type = TAR_TYPES[h.type];
    const existing = t.get(path);
    if (existing && (existing.type === 'dir') !== (type === 'dir')) removeSubtree(t, path);
    own.add(path);
    if (h.type === 'hardlink') {
      const target = t.get(normalizeTarPath(h.linkname) ?? '/');
      t.set(path, target ? { ...target, mode: target.mode, uid: target.uid, gid: target.gid } : { type: 'file', mode: h.mode, uid: h.uid, gid: h.gid, size: 0, digest: 'sha256:unknown-hardlink-target' });
      return null;
    }
    const e: Entry = { type, mode: h.mode, uid: h.uid, gid: h.gid };
    if (type === 'symlink') e.link = h.linkname;
    if (type === 'char' || type === 'block') e.rdev = `${h.devmajor}:${h.devminor}`;
    t.set(path, e);
    if (type !== 'file') return null;
    e.size = h.size;
    const hash = createHash('sha256');
    return { data: (c: Buffer) => { hash.update(c); }, end: () => { e.digest = `sha256:${hash.digest('hex')}`; } };
  };
  reader = new TarReader(onEntry);
  await new Promise<void>((resolve, reject) => {
    let gunzip: ReturnType<typeof createGunzip> | null = null;
    const feed = (c: Buffer) => { try { reader.write(c); } catch (e) { reject(e); } };
    bytes.on('error', reject);
    bytes.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
          gunzip = createGunzip();
          gunzip.on('data', feed);
          gunzip.on('error', reject);
          gunzip.on('end', () => { try { reader.end(); resolve(); } catch (e) { reject(e); } });
        } else if (chunk[0] === 0x28 && chunk[1] === 0xb5 && chunk[2] === 0x2f && chunk[3] === 0xfd) {
          reject(new Error('the layer is zstd-compressed, which this reader does not support'));
          return;
        }
      }
      if (gunzip) gunzip.write(chunk);
      else feed(chunk);
    });
    bytes.on('end', () => {
      if (gunzip) gunzip.end();
      else { try { reader.end(); resolve(); } catch (e) { reject(e); } }
    });
  });
}

/** The members of a tar file: name -> offset and size of its data (for reading a saved image). */
export async function indexTar(path: string): Promise<Map<string, { offset: number; size: number }>> {
  const out = new Map<string, { offset: number; size: number }>();
  const fh = await fsp.open(path, 'r');
  try {
    const block = Buffer.alloc(512);
    let pos = 0;
    let longName: string | null = null;
    let paxPath: string | null = null;
    for (;;) {
      const { bytesRead } = await fh.read(block, 0, 512, pos);
      if (bytesRead < 512 || block.every((x) => x === 0)) break;
      const flag = String.fromCharCode(block[156]!);
      const sizeField = block.subarray(124, 136);
      const size = sizeField[0]! & 0x80 ? Number(sizeField.readBigUInt64BE(4)) : parseInt(sizeField.toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
      const data = pos + 512;
      if (flag === 'L' || flag === 'x') {
        const body = Buffer.alloc(size);
        await fh.read(body, 0, size, data);
        if (flag === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
        else { const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8')); paxPath = m ? m[1]! : null; }
      } else {
        const raw = block.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
        const magic = block.subarray(257, 262).toString('ascii');
        const prefix = magic === 'ustar' ? block.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '') : '';
        const name = paxPath ?? longName ?? (prefix ? `${prefix}/${raw}` : raw);
        out.set(name.replace(/^\.\//, ''), { offset: data, size });
        longName = null;
        paxPath = null;
      }
      pos = data + Math.ceil(size / 512) * 512;
    }
  } finally {
    await fh.close();
  }
  return out;
}

/**
 * The tree of an image saved as a tar (`docker image save`, `podman image save`, docker-archive): reads
 * manifest.json for the layer order, then applies each layer.
 */
export async function readSavedImage(archive: string): Promise<{ tree: Tree; config: unknown; layers: number }> {
  const index = await indexTar(archive);
  const member = async (name: string): Promise<Buffer> => {
    const m = index.get(name);
    if (!m) throw new Error(`the saved image has no ${name}`);
    const fh = await fsp.open(archive, 'r');
    try {
      const b = Buffer.alloc(m.size);
      await fh.read(b, 0, m.size, m.offset);
      return b;
    } finally {
      await fh.close();
    }
  };
  const manifest = JSON.parse((await member('manifest.json')).toString('utf8')) as { Config: string; Layers: string[] }[];
  const first = manifest[0];
  if (!first) throw new Error('the saved image has an empty manifest.json');
  const config = JSON.parse((await member(first.Config)).toString('utf8')) as unknown;
  const tree: Tree = new Map();
  for (const layer of first.Layers) {
    const m = index.get(layer);
    if (!m) throw new Error(`the saved image has no layer ${layer}`);
    if (m.size === 0) continue;
    await applyLayer(tree, createReadStream(archive, { start: m.offset, end: m.offset + m.size - 1 }));
  }
  return { tree, config, layers: first.Layers.length };
}
