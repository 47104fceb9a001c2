import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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
  };
}

/** A context with no files: for text without a known location. */
export const emptyContext: ContextFs = contextFs(null);
