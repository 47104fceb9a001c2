/**
 * `--diff-out FILE`: one unified patch for every changed file, with `a/` `b/` paths relative to the
 * repository root, so `git apply` (run at the root) takes it. Unlike the on-screen diff, the patch keeps
 * a BOM (git compares bytes, so line 1's context must carry it); CRLF lines keep their `\r`.
 */
import type { FileResult, LineChange } from './types.js';
import { twoFilesPatch } from './diff.js';
import { rootRelative } from './report/sarif.js';
import { replaceFile, type WriteFs } from './write.js';

/** The patch for one file (empty when unchanged); `path` is root-relative with `/`; `changes` as in unifiedDiff. */
export function filePatch(path: string, before: string, after: string, changes?: readonly LineChange[]): string {
  if (before === after) return '';
  const p = twoFilesPatch(`a/${path}`, `b/${path}`, before, after, changes);
  // git wants `diff --git` headers only for renames/modes; plain ---/+++ patches apply as they are
  return p;
}

/** All changed files' patches, in the (sorted) order of the results. */
export function unifiedPatch(files: readonly FileResult[], o: { cwd: string; root: string }): string {
  let out = '';
  for (const f of files) {
    if (f.status !== 'changed') continue;
    out += filePatch(rootRelative(f.file, o.cwd, o.root), f.before, f.after, f.changes);
  }
  return out;
}

/**
 * Writes the patch to `path` like every file dockeropt writes (src/write.ts): a temp file and a rename,
 * so a full disk never leaves a truncated patch; a symlink keeps its link. Throws a FileError naming
 * `display` when it cannot (the old patch, if any, is then unchanged).
 */
export async function writePatchFile(path: string, display: string, files: readonly FileResult[], o: { cwd: string; root: string }, fs?: Partial<WriteFs>): Promise<void> {
  await replaceFile(path, display, unifiedPatch(files, o), fs);
}
