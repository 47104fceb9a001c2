/**
 * Which lines a run changed, recorded from the edits themselves (no diff search): the pipeline turns each
 * transform's edits into blocks of lines and composes them across transforms and passes, so the unified
 * diff (src/diff.ts) can be built in linear time. A block may hold unchanged lines too (an edit covers
 * every line it touches); lines outside every block are identical in both texts, in the same order.
 */
import type { Edit } from './edits.js';
import type { LineChange } from './types.js';

/** Line i is the i-th stretch of text ending in `\n` (or the rest of the text after the last one). */
function newlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The blocks of lines that `edits` (sorted, non-overlapping, offsets into `text`) change: from the line
 * holding an edit's start to the line holding its end, and the lines its text becomes. Blocks that share
 * or touch a line are one block. Line numbers are 0-based and may reach one past the last line (an edit
 * at the very end of a text ending in `\n`); see clipChanges.
 */
export function editLineChanges(text: string, edits: readonly Edit[]): LineChange[] {
  const out: LineChange[] = [];
  let pos = 0, line = 0, delta = 0;
  for (const e of edits) {
    line += newlines(text, pos, e.start);
    const k = newlines(text, e.start, e.end);
    const kn = newlines(e.text, 0, e.text.length);
    const oldStart = line, oldEnd = line + k + 1;
    const after = delta + kn - k;
    const prev = out[out.length - 1];
    if (prev && oldStart <= prev.oldEnd) {
      out[out.length - 1] = { oldStart: prev.oldStart, oldEnd, newStart: prev.newStart, newEnd: oldEnd + after };
    } else {
      out.push({ oldStart, oldEnd, newStart: oldStart + delta, newEnd: oldEnd + after });
    }
    delta = after;
    line += k;
    pos = e.end;
  }
  return out;
}

/**
 * Composes `a` (text 0 → text 1) with `b` (text 1 → text 2) into the blocks of text 0 → text 2: blocks of
 * either that overlap or touch on text 1 become one. Linear in the number of blocks.
 */
export function composeChanges(a: readonly LineChange[], b: readonly LineChange[]): LineChange[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  const out: LineChange[] = [];
  let i = 0, j = 0;
  let da = 0, db = 0; // (text 1 − text 0) lines of the a-blocks before, (text 2 − text 1) of the b-blocks before
  while (i < a.length || j < b.length) {
    // start a cluster with whichever block begins first on text 1
    const takeA = j >= b.length || (i < a.length && a[i]!.newStart <= b[j]!.oldStart);
    const s = takeA ? a[i]!.newStart : b[j]!.oldStart;
    let e = s;
    let growA = 0, growB = 0;
    for (;;) {
      if (i < a.length && a[i]!.newStart <= e) {
        const x = a[i++]!;
        e = Math.max(e, x.newEnd);
        growA += (x.newEnd - x.newStart) - (x.oldEnd - x.oldStart);
      } else if (j < b.length && b[j]!.oldStart <= e) {
        const y = b[j++]!;
        e = Math.max(e, y.oldEnd);
        growB += (y.newEnd - y.newStart) - (y.oldEnd - y.oldStart);
      } else break;
    }
    out.push({ oldStart: s - da, oldEnd: e - da - growA, newStart: s + db, newEnd: e + db + growB });
    da += growA;
    db += growB;
  }
  return out;
}

/** `changes` with every end clipped to the texts' numbers of lines (see editLineChanges). */
export function clipChanges(changes: readonly LineChange[], oldLines: number, newLines: number): LineChange[] {
  return changes.map((c) => ({
    oldStart: Math.min(c.oldStart, oldLines), oldEnd: Math.min(c.oldEnd, oldLines),
    newStart: Math.min(c.newStart, newLines), newEnd: Math.min(c.newEnd, newLines),
  }));
}

/** The number of lines of `text` as the unified diff counts them (a last line without `\n` counts). */
export function lineCount(text: string): number {
  if (text === '') return 0;
  return newlines(text, 0, text.length) + (text.endsWith('\n') ? 0 : 1);
}
