/**
 * A Go module proxy on disk, for GOPROXY=file:///… (https://go.dev/ref/mod#goproxy-protocol): for each
 * module version `<module>/@v/list`, `<version>.info`, `<version>.mod` and `<version>.zip` (every entry
 * under `<module>@<version>/`, stored uncompressed), and the go.sum lines that match them: `h1:` is Go's
 * dirhash Hash1 (golang.org/x/mod/sumdb/dirhash): SHA-256 over the lines "<sha256 hex>  <name>\n" of
 * the files sorted by name, base64; for the zip the names are its entries' names, for go.mod the one
 * name "go.mod". The go command checks both against go.sum, so a wrong byte here fails the build.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/** A module version: its path, version and files (name -> text); `go.mod` is required. */
export interface GoModule { path: string; version: string; files: Record<string, string> }

/** dirhash.Hash1 of files (name -> content). */
export function hash1(files: Record<string, Buffer | string>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) {
    if (name.includes('\n')) throw new Error(`dirhash: file name with a newline: ${JSON.stringify(name)}`);
    h.update(`${createHash('sha256').update(files[name]!).digest('hex')}  ${name}\n`);
  }
  return `h1:${h.digest('base64')}`;
}

/** A zip archive of `entries` (name -> content), stored (method 0), with a fixed time stamp. */
export function zip(entries: Record<string, Buffer | string>): Buffer {
  const locals: Buffer[] = [], central: Buffer[] = [];
  let offset = 0;
  const DOS_TIME = 0, DOS_DATE = (2020 - 1980) << 9 | 1 << 5 | 1; // 2020-01-01 00:00
  for (const [name, content] of Object.entries(entries)) {
    const data = Buffer.from(content), file = Buffer.from(name, 'utf8'), crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(0, 8);
    local.writeUInt16LE(DOS_TIME, 10); local.writeUInt16LE(DOS_DATE, 12); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(file.length, 26); local.writeUInt16LE(0, 28);
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0); cen.writeUInt16LE(20, 4); cen.writeUInt16LE(20, 6); cen.writeUInt16LE(0x0800, 8); cen.writeUInt16LE(0, 10);
    cen.writeUInt16LE(DOS_TIME, 12); cen.writeUInt16LE(DOS_DATE, 14); cen.writeUInt32LE(crc, 16);
    cen.writeUInt32LE(data.length, 20); cen.writeUInt32LE(data.length, 24); cen.writeUInt16LE(file.length, 28);
    cen.writeUInt32LE(offset, 42);
    locals.push(local, file, data);
    central.push(cen, file);
    offset += local.length + file.length + data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8); end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** Writes the proxy for `modules` into `dir`; returns the go.sum lines for them (sorted, as go writes them). */
export function writeGoProxy(dir: string, modules: GoModule[]): string {
  const sums: string[] = [];
  for (const m of modules) {
    const mod = m.files['go.mod'];
    if (mod === undefined) throw new Error(`${m.path}@${m.version}: no go.mod`);
    // the proxy protocol escapes upper-case letters in paths; keep to lower-case module paths
    if (/[A-Z]/.test(m.path + m.version)) throw new Error(`${m.path}@${m.version}: upper-case letters need the proxy's case escaping`);
    const at = join(dir, m.path, '@v');
    mkdirSync(at, { recursive: true });
    const entries = Object.fromEntries(Object.entries(m.files).map(([f, text]) => [`${m.path}@${m.version}/${f}`, text]));
    writeFileSync(join(at, 'list'), `${m.version}\n`);
    writeFileSync(join(at, `${m.version}.info`), JSON.stringify({ Version: m.version, Time: '2020-01-01T00:00:00Z' }) + '\n');
    writeFileSync(join(at, `${m.version}.mod`), mod);
    writeFileSync(join(at, `${m.version}.zip`), zip(entries));
    sums.push(`${m.path} ${m.version} ${hash1(entries)}`, `${m.path} ${m.version}/go.mod ${hash1({ 'go.mod': mod })}`);
  }
  return sums.sort().map((l) => `${l}\n`).join('');
}
