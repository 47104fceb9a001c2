/**
 * What the build stage's COPY/ADD lines take from the build context, read from the context itself: the
 * files (after the ignore file), where each lands in the image, and the line that copies it. runner-stage
 * uses it to prove that the runner has what the app reads at run time (runtime-files.ts) and to read the
 * lockfile the install used (recipes/node.ts).
 */
import type { Instruction } from 'dockerfile-ast';
import dockerignore from '@balena/dockerignore';
import { execArgs, type DocView } from '../../src/document.js';
import { dockerignoreOf } from '../../src/build-context.js';
import type { ContextFs } from '../../src/types.js';
import { base, flagsOf, norm } from './common.js';
import type { StageFacts } from './facts.js';
import type { Refusal } from './recipe.js';

const ignoreFactory = ((dockerignore as unknown as { default?: typeof dockerignore }).default ?? dockerignore) as unknown as (typeof import('@balena/dockerignore'))['default'];

/** One file a COPY/ADD puts into the build stage. */
export interface CopiedFile {
  /** Path in the build context, relative to its root (`templates/index.html`). */
  ctx: string;
  /** Absolute path in the image. */
  image: string;
  /** 1-based line of the COPY/ADD. */
  line: number;
}

/** More files than this in what the COPY lines send: runner-stage does not read them all, and refuses. */
export const MAX_CONTEXT_FILES = 20_000;

const hasGlob = (s: string) => /[*?[]/.test(s);
const globRe = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);

/** A context-relative path, or null when it leaves the context. */
function ctxPath(src: string): string | null {
  const out: string[] = [];
  for (const part of src.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { if (out.length === 0) return null; out.pop(); } else out.push(part);
  }
  return out.join('/');
}

/**
 * Every file the stage's COPY/ADD lines take from the build context, or why that cannot be told (the
 * context is unknown, a COPY copies from another image or stage, a source uses a variable, a URL or an
 * archive ADD extracts). `what` says, for the refusal, what runner-stage needs the files for.
 */
export function copiedFiles(doc: DocView, f: StageFacts, context: ContextFs, what: string): CopiedFile[] | Refusal {
  const first = f.copies[0];
  if (first && context.root === null) return { line: doc.lineOfNode(first.ins), refuse: `the build context is not known (no directory to read), so ${what} cannot be told; run dockeropt on the Dockerfile in its build context` };
  const ig = dockerignoreOf(context);
  const lines = ig ? ig.text.split(/\r?\n/) : [];
  const matcher = ignoreFactory().add(lines);
  const negates = lines.some((l) => l.trim().startsWith('!'));
  const workdirs = new Set<string>([...f.states.values()].map((s) => s.workdir).filter((w): w is string => w !== null));
  const out: CopiedFile[] = [];
  let budget = MAX_CONTEXT_FILES;
  for (const c of f.copies) {
    const line = doc.lineOfNode(c.ins);
    const kw = c.ins.getKeyword();
    const r = sourcesOf(c.ins);
    if (r === null) return { line, refuse: `the ${kw} uses a heredoc or cannot be read, so ${what} cannot be told` };
    if (flagsOf(c.ins).some((fl) => fl.getName() === 'from')) return { line, refuse: `the ${kw} copies from another image or stage, whose files dockeropt cannot read, so ${what} cannot be told` };
    if (c.dest === null) return { line, refuse: `the ${kw} destination uses a variable, so ${what} cannot be told` };
    const destIsDir = r.dest.endsWith('/') || r.dest === '.' || r.srcs.length > 1 || workdirs.has(c.dest) || out.some((o) => o.image.startsWith(c.dest + '/'));
    for (const src of r.srcs) {
      if (src.includes('$')) return { line, refuse: `the ${kw} source ${src} uses a variable, so ${what} cannot be told` };
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) || src.startsWith('git@')) return { line, refuse: `the ${kw} downloads ${src}, so ${what} cannot be told` };
      const rel = ctxPath(src);
      if (rel === null) return { line, refuse: `the ${kw} source ${src} leaves the build context` };
      if (kw === 'ADD' && /\.(tar|tgz|tbz2?|txz|tar\.(gz|bz2|xz|zst))$/i.test(rel)) return { line, refuse: `the ADD extracts the archive ${src}, whose files dockeropt does not read, so ${what} cannot be told` };
      const parts = rel === '' ? [] : rel.split('/');
      const globAt = parts.findIndex(hasGlob);
      let matches: string[];
      if (globAt === -1) {
        if (!context.exists(rel || '.')) continue; // the build fails on a missing source; nothing is copied
        matches = [rel];
      } else {
        if (globAt !== parts.length - 1) return { line, refuse: `the ${kw} source ${src} has a pattern in a directory name, which dockeropt does not expand, so ${what} cannot be told` };
        const dir = parts.slice(0, -1).join('/');
        const re = globRe(parts[parts.length - 1]!);
        matches = context.list(dir || '.').filter((n) => re.test(n)).map((n) => (dir ? `${dir}/${n}` : n));
      }
      for (const m of matches) {
        if (m !== '' && matcher.ignores(m)) continue;
        const isDir = context.stat(m || '.')?.type === 'dir';
        if (!isDir) {
          if (--budget < 0) return { line, refuse: `the COPY lines send more than ${MAX_CONTEXT_FILES} files, more than runner-stage reads, so ${what} cannot be told` };
          out.push({ ctx: m, image: destIsDir || globAt !== -1 ? norm(`${c.dest}/${base(m)}`) : c.dest, line });
          continue;
        }
        const stack: string[] = [m];
        while (stack.length) {
          const d = stack.pop()!;
          for (const n of context.list(d || '.')) {
            const p = d ? `${d}/${n}` : n;
            const ignored = matcher.ignores(p);
            const t = context.stat(p)?.type;
            if (t === 'dir') { if (!ignored || negates) stack.push(p); continue; }
            if (ignored) continue;
            if (--budget < 0) return { line, refuse: `the COPY lines send more than ${MAX_CONTEXT_FILES} files, more than runner-stage reads, so ${what} cannot be told` };
            out.push({ ctx: p, image: norm(`${c.dest}/${m ? p.slice(m.length + 1) : p}`), line });
          }
        }
      }
    }
  }
  return out;
}

/** The sources and the destination of a COPY/ADD as written (flags left out), or null for a heredoc. */
function sourcesOf(ins: Instruction): { srcs: string[]; dest: string } | null {
  if ((ins as unknown as { getHeredocs?(): unknown[] }).getHeredocs?.().length) return null;
  const words = (execArgs(ins) ?? ins.getArguments().map((a) => a.getValue())).filter((w) => !w.startsWith('--'));
  if (words.length < 2) return null;
  return { srcs: words.slice(0, -1), dest: words[words.length - 1]! };
}

/** The context file the stage's COPY lines put at `image` (the last COPY that does wins), or null. */
export function contextFileAt(files: CopiedFile[], image: string): CopiedFile | null {
  for (let k = files.length - 1; k >= 0; k--) if (files[k]!.image === image) return files[k]!;
  return null;
}
