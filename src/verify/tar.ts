/**
 * A small streaming tar reader (ustar, pax and GNU long names), enough to read image layers as
 * `docker image save` / `podman image save` write them, without extracting anything to disk. It is fed
 * chunks and calls `onEntry` per member; the member's data goes to the sink `onEntry` returns (or is
 * skipped). Numbers may be octal or GNU base-256.
 */

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other';

export interface TarHeader {
  /** As stored, e.g. `./usr/bin/env` or `usr/bin/`. */
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

export interface TarSink {
  data(chunk: Buffer): void;
  end(): void;
}

const BLOCK = 512;

function str(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return (nul === -1 ? s : s.subarray(0, nul)).toString('utf8');
}

function num(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian, the first byte's top bit is the marker
    let v = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    return v;
  }
  const s = str(b, off, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

const TYPES: Record<string, TarType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

/** Parses pax records (`LEN key=value\n`). */
function paxRecords(buf: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    if (sp === -1) break;
    const len = parseInt(buf.subarray(i, sp).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = buf.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq !== -1) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

export class TarReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of member data still to pass on (then padding to skip). */
  private remaining = 0;
  private padding = 0;
  private sink: TarSink | null = null;
  /** Collects the body of a pax or GNU long-name member. */
  private meta: { kind: 'pax' | 'gpax' | 'longname' | 'longlink'; parts: Buffer[] } | null = null;
  private nextPax = new Map<string, string>();
  private globalPax = new Map<string, string>();
  private longName: string | null = null;
  private longLink: string | null = null;
  private done = false;

  constructor(private readonly onEntry: (h: TarHeader) => TarSink | null) {}

  write(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.done) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - off);
        const part = chunk.subarray(off, off + n);
        if (this.meta) this.meta.parts.push(Buffer.from(part));
        else this.sink?.data(part);
        this.remaining -= n;
        off += n;
        if (this.remaining === 0) this.finishMember();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - off);
        this.padding -= n;
        off += n;
        continue;
      }
      // collect a full header block
      const need = BLOCK - this.pendingBytes;
      const n = Math.min(need, chunk.length - off);
      this.pending.push(chunk.subarray(off, off + n));
      this.pendingBytes += n;
      off += n;
      if (this.pendingBytes === BLOCK) {
        const block = Buffer.concat(this.pending);
        this.pending = [];
        this.pendingBytes = 0;
        this.header(block);
      }
    }
  }

  end(): void {
    if (this.remaining > 0) throw new Error('tar archive ends inside a member');
  }

  private header(b: Buffer): void {
    if (b.every((x) => x === 0)) { this.done = true; return; }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
    if (sum !== num(b, 148, 8)) throw new Error('not a tar archive (bad header checksum)');
    const flag = String.fromCharCode(b[156]!);
    const size = num(b, 124, 12);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      this.meta = { kind: flag === 'x' ? 'pax' : flag === 'g' ? 'gpax' : flag === 'L' ? 'longname' : 'longlink', parts: [] };
      this.startData(size);
      return;
    }
    const magic = str(b, 257, 6);
    const prefix = magic.startsWith('ustar') ? str(b, 345, 155) : '';
    let name = prefix ? `${prefix}/${str(b, 0, 100)}` : str(b, 0, 100);
    let linkname = str(b, 157, 100);
    const pax = new Map([...this.globalPax, ...this.nextPax]);
    if (this.longName !== null) name = this.longName;
    if (this.longLink !== null) linkname = this.longLink;
    if (pax.has('path')) name = pax.get('path')!;
    if (pax.has('linkpath')) linkname = pax.get('linkpath')!;
    const h: TarHeader = {
      name,
      type: TYPES[flag] ?? 'other',
      mode: num(b, 100, 8) & 0o7777,
      uid: pax.has('uid') ? Number(pax.get('uid')) : num(b, 108, 8),
      gid: pax.has('gid') ? Number(pax.get('gid')) : num(b, 116, 8),
      size: pax.has('size') ? Number(pax.get('size')) : size,
      linkname,
      devmajor: num(b, 329, 8),
      devminor: num(b, 337, 8),
    };
    this.nextPax = new Map();
    this.longName = null;
    this.longLink = null;
    this.sink = this.onEntry(h);
    const dataSize = h.type === 'file' || h.type === 'other' ? h.size : 0;
    this.startData(dataSize);
  }

  private startData(size: number): void {
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.finishMember();
  }

  private finishMember(): void {
    if (this.meta) {
      const body = Buffer.concat(this.meta.parts);
      if (this.meta.kind === 'pax') this.nextPax = paxRecords(body);
      else if (this.meta.kind === 'gpax') for (const [k, v] of paxRecords(body)) this.globalPax.set(k, v);
      else if (this.meta.kind === 'longname') this.longName = str(body, 0, body.length);
      else this.longLink = str(body, 0, body.length);
      this.meta = null;
      return;
    }
    this.sink?.end();
    this.sink = null;
  }
}
