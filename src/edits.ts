import { InternalError } from './errors.js';

/** Replace text[start, end) with `text`. Offsets index the BOM-stripped document. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export const replaceRange = (start: number, end: number, text: string): Edit => ({ start, end, text });
export const insertAt = (offset: number, text: string): Edit => ({ start: offset, end: offset, text });
export const removeRange = (start: number, end: number): Edit => ({ start, end, text: '' });

/** Sorts edits by start (stable: inserts at one offset keep their order) and throws on overlap. */
export function sortEdits(edits: readonly Edit[]): Edit[] {
  const sorted = edits
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i)
    .map((x) => x.e);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1]!, cur = sorted[k]!;
    if (cur.start < prev.end) {
      throw new InternalError(`overlapping edits at offsets ${prev.start}-${prev.end} and ${cur.start}-${cur.end}`);
    }
  }
  return sorted;
}

/** Applies non-overlapping edits; overlap is a programming error (InternalError), never resolved silently. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return text;
  const sorted = sortEdits(edits);
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    if (e.start < 0 || e.end > text.length || e.start > e.end) {
      throw new InternalError(`edit out of range: ${e.start}-${e.end} in a text of ${text.length} characters`);
    }
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/** True when two edit sets touch overlapping ranges (inserts at the same point count as overlapping). */
export function editsOverlap(a: readonly Edit[], b: readonly Edit[]): boolean {
  for (const x of a) for (const y of b) {
    if (x.start < y.end && y.start < x.end) return true;
    if (x.start === y.start && (x.start === x.end || y.start === y.end)) return true;
  }
  return false;
}
