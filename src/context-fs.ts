import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import type { ContextFs } from './types.js';

/** A read-only view of a build context directory; paths that escape it read as missing. */
export function contextFs(root: string | null): ContextFs {
  const resolve = (rel: string): string | null => {
    if (root === null) return null;
    const p = normalize(join(root, rel));
    const r = relative(root, p);
    if (r === '..' || r.startsWith('..' + sep) || isAbsolute(r)) return null;
    return p;
  };
  return {
    root,
    exists: (rel) => { const p = resolve(rel); return p !== null && existsSync(p); },
    isDirectory: (rel) => {
      const p = resolve(rel);
      try { return p !== null && statSync(p).isDirectory(); } catch { return false; }
    },
    readText: (rel) => {
      const p = resolve(rel);
      try { return p === null ? null : readFileSync(p, 'utf8'); } catch { return null; }
    },
    list: (rel) => {
      const p = resolve(rel);
      try { return p === null ? [] : readdirSync(p).sort(); } catch { return []; }
    },
    stat: (rel) => {
      const p = resolve(rel);
      if (p === null) return null;
      try {
        const st = lstatSync(p);
        const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
        return { type, mode: st.mode & 0o7777 };
      } catch { return null; }
    },
  };
}

/** A context with no files: for text without a known location. */
export const emptyContext: ContextFs = contextFs(null);
