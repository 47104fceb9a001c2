/**
 * Unified diffs in linear time, byte for byte what the `diff` library's `createTwoFilesPatch` prints.
 *
 * The library runs Myers' search over the whole files: O((N+M)·D), quadratic when much changes (a
 * 20,000-line file of RUNs that merge-run joins took minutes). Here the pipeline says which lines
 * changed (`changes`, see src/line-changes.ts); lines outside those blocks are equal, and only each
 * block, with up to PAD equal lines after it, goes through the library's search (`diffArrays` on the
 * lines: the algorithm `diffLines` runs). The search starts where the first line differs, as the
 * whole-file one does; where lines repeat it may place an edit further down, so a block's window grows
 * until the search ends on PAD equal lines. Blocks closer than PAD lines are searched together. The
 * hunks are then built as the library builds them (3 lines of context, hunks joined across at most 6
 * equal lines) and printed by its own `formatPatch`. test/diff.test.ts and `npm run corpus` compare the
 * bytes with the library's; on adversarial texts (a few distinct lines repeated, random edits) about
 * one in 20,000 diffs places an edit on another of the equal lines than the library would: still a
 * correct, minimal patch.
 *
 * Without change information (two arbitrary texts), or when it does not match the texts, the whole
 * text is one block. Every search is bounded: when a block's changed lines have nothing in common, the
 * library's answer (all removed, then all added) is known without searching; otherwise the search stops
 * after MAX_EDITS edits and the block (minus its common first and last lines) is printed as removed,
 * then added: a correct diff, not the shortest. Nothing here is quadratic in the file's size.
 */
import { diffArrays, formatPatch, type StructuredPatchHunk } from 'diff';
import type { LineChange } from './types.js';
import { clipChanges } from './line-changes.js';

/** Equal lines searched after each changed block, so that the search places the edits as the whole-file search would. */
const PAD = 16;
/** How many times a block's window may grow (doubling) when its edits reach into those lines. */
const MAX_WIDEN = 6;
/** The edit distance after which a block's search gives up (its cost grows with the square of it). */
export const MAX_EDITS = 2000;
/**
 * Close blocks are searched together while (their changed lines)² stays under this: a search costs about
 * the square of the lines it changes, so each costs at most this and the total stays linear.
 */
const SEARCH_BUDGET = 2500;

/** One run of the line diff: `count` lines equal (`=`), removed (`-`) or added (`+`). */
export interface DiffPart { kind: '=' | '-' | '+'; count: number }

/** The lines of `text` as the library's line diff splits them: each with its `\n` (or `\r\n`). */
export function diffLinesOf(text: string): string[] {
  const out: string[] = [];
  let pos = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', pos)) {
    out.push(text.slice(pos, nl + 1));
    pos = nl + 1;
  }
  if (pos < text.length) out.push(text.slice(pos));
  return out;
}

/** Blocks sorted and consistent with the two line arrays (lines outside them equal), or null. */
function checked(a: readonly string[], b: readonly string[], changes: readonly LineChange[]): LineChange[] | null {
  const blocks = clipChanges(changes, a.length, b.length);
  let oa = 0, ob = 0;
  for (const c of blocks) {
    if (c.oldStart < oa || c.newStart < ob || c.oldEnd < c.oldStart || c.newEnd < c.newStart) return null;
    if (c.oldStart - oa !== c.newStart - ob) return null;
    for (let k = 0; k < c.oldStart - oa; k++) if (a[oa + k] !== b[ob + k]) return null;
    oa = c.oldEnd;
    ob = c.newEnd;
  }
  if (a.length - oa !== b.length - ob) return null;
  for (let k = 0; k < a.length - oa; k++) if (a[oa + k] !== b[ob + k]) return null;
  return blocks;
}

/**
 * The line diff of `a` and `b` (line arrays as diffLinesOf gives them) as runs, the library's answer for
 * real edits; `changes` (optional) says which blocks of lines differ.
 */
export function diffParts(a: readonly string[], b: readonly string[], changes?: readonly LineChange[]): DiffPart[] {
  const given = changes ? checked(a, b, changes) : null;
  const blocks = (given ?? [{ oldStart: 0, oldEnd: a.length, newStart: 0, newEnd: b.length }]).filter((c) => c.oldStart < c.oldEnd || c.newStart < c.newEnd);
  // blocks closer than PAD lines are searched as one, while that search stays cheap
  const clusters: (LineChange & { changed: number })[] = [];
  for (const c of blocks) {
    const changed = (c.oldEnd - c.oldStart) + (c.newEnd - c.newStart);
    const last = clusters[clusters.length - 1];
    if (last && c.oldStart - last.oldEnd < PAD && (last.changed + changed) ** 2 <= SEARCH_BUDGET) {
      last.oldEnd = c.oldEnd; last.newEnd = c.newEnd; last.changed += changed;
      continue;
    }
    clusters.push({ ...c, changed });
  }
  const out: DiffPart[] = [];
  const push = (kind: DiffPart['kind'], count: number) => {
    if (count === 0) return;
    const last = out[out.length - 1];
    if (last && last.kind === kind) last.count += count; else out.push({ kind, count });
  };
  // Each cluster is searched with the equal lines after it (up to the next cluster): the search starts
  // where the first line differs, as the whole-file search does, but may place an edit further down
  // where lines repeat (a removed line like the ones after it). The window then grows until the search
  // ends with PAD equal lines, so it places the edits as it would with the rest of the file after them.
  let oa = 0;
  for (const [k, c] of clusters.entries()) {
    const room = (k + 1 < clusters.length ? clusters[k + 1]!.oldStart : a.length) - c.oldEnd;
    push('=', c.oldStart - oa);
    let fwd = Math.min(PAD, room);
    let parts: DiffPart[];
    for (let tries = 0; ; tries++) {
      parts = blockParts(a.slice(c.oldStart, c.oldEnd + fwd), b.slice(c.newStart, c.newEnd + fwd));
      const last = parts[parts.length - 1]!;
      const trailing = last.kind === '=' ? last.count : 0;
      if (trailing >= PAD || fwd === room || tries === MAX_WIDEN) break;
      fwd = Math.min(room, Math.max(2 * fwd, fwd - trailing + PAD));
    }
    for (const p of parts) push(p.kind, p.count);
    oa = c.oldEnd + fwd;
  }
  push('=', a.length - oa);
  return out;
}

/** One block's runs: the library's search, bounded (see the file comment). */
function blockParts(x: readonly string[], y: readonly string[]): DiffPart[] {
  let p = 0;
  while (p < x.length && p < y.length && x[p] === y[p]) p++;
  let s = 0;
  while (s < x.length - p && s < y.length - p && x[x.length - 1 - s] === y[y.length - 1 - s]) s++;
  const plain = (): DiffPart[] => ([{ kind: '=', count: p }, { kind: '-', count: x.length - p - s }, { kind: '+', count: y.length - p - s }, { kind: '=', count: s }] as DiffPart[]).filter((q) => q.count > 0);
  // no line of the changed middle of either side occurs anywhere on the other: the search can only
  // match the common first and last lines, and answers all removed, then all added
  const inX = new Set(x), inY = new Set(y);
  let disjoint = true;
  for (let k = p; k < x.length - s && disjoint; k++) if (inY.has(x[k]!)) disjoint = false;
  for (let k = p; k < y.length - s && disjoint; k++) if (inX.has(y[k]!)) disjoint = false;
  if (disjoint) return plain();
  const parts = diffArrays(x as string[], y as string[], { maxEditLength: MAX_EDITS });
  if (!parts) return plain();
  return parts.map((c) => ({ kind: c.added ? '+' : c.removed ? '-' : '=', count: c.count }));
}

/**
 * The hunks of the library's structuredPatch for these runs: `context` lines around each change, hunks
 * merged when at most 2 × context equal lines separate them, `\ No newline at end of file` after a last
 * line without one.
 */
export function hunksOf(a: readonly string[], b: readonly string[], parts: readonly DiffPart[], context = 3): StructuredPatchHunk[] {
  const hunks: StructuredPatchHunk[] = [];
  let oldRangeStart = 0, newRangeStart = 0, cur: string[] = [], oldLine = 1, newLine = 1;
  let ia = 0, ib = 0; // positions in a and b
  const close = (contextSize: number) => {
    for (let k = 0; k < contextSize; k++) cur.push(' ' + b[ib + k]!);
    hunks.push({ oldStart: oldRangeStart, oldLines: oldLine - oldRangeStart + contextSize, newStart: newRangeStart, newLines: newLine - newRangeStart + contextSize, lines: cur });
    oldRangeStart = 0; newRangeStart = 0; cur = [];
  };
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.kind !== '=') {
      if (!oldRangeStart) {
        oldRangeStart = oldLine;
        newRangeStart = newLine;
        const prev = parts[i - 1];
        if (prev && context > 0) {
          // prev is the equal run just before (a change always opens or extends a hunk)
          const n = Math.min(context, prev.count);
          for (let k = n; k > 0; k--) cur.push(' ' + b[ib - k]!);
          oldRangeStart -= n;
          newRangeStart -= n;
        }
      }
      if (part.kind === '+') {
        for (let k = 0; k < part.count; k++) cur.push('+' + b[ib + k]!);
        newLine += part.count; ib += part.count;
      } else {
        for (let k = 0; k < part.count; k++) cur.push('-' + a[ia + k]!);
        oldLine += part.count; ia += part.count;
      }
    } else {
      if (oldRangeStart) {
        if (part.count <= context * 2 && i < parts.length - 1) {
          for (let k = 0; k < part.count; k++) cur.push(' ' + b[ib + k]!);
        } else {
          close(Math.min(part.count, context));
        }
      }
      oldLine += part.count; newLine += part.count;
      ia += part.count; ib += part.count;
    }
  }
  if (oldRangeStart) close(0);
  for (const hunk of hunks) {
    const lines: string[] = [];
    for (const l of hunk.lines) {
      if (l.endsWith('\n')) lines.push(l.slice(0, -1));
      else lines.push(l, '\\ No newline at end of file');
    }
    hunk.lines = lines;
  }
  return hunks;
}

/**
 * What `createTwoFilesPatch(oldName, newName, before, after, undefined, undefined, { context: 3,
 * headerOptions: FILE_HEADERS_ONLY })` returns, in linear time (see the file comment).
 */
export function twoFilesPatch(oldName: string, newName: string, before: string, after: string, changes?: readonly LineChange[]): string {
  const a = diffLinesOf(before), b = diffLinesOf(after);
  const hunks = hunksOf(a, b, diffParts(a, b, changes));
  return formatPatch({ oldFileName: oldName, newFileName: newName, oldHeader: undefined, newHeader: undefined, hunks }, { includeIndex: false, includeUnderline: false, includeFileHeaders: true });
}
