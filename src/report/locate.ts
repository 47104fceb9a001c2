/**
 * Maps outcomes back to the original file. A transform's edits and line are positions in the text it
 * saw, which earlier transforms may already have changed; machine-readable reports (SARIF, GitHub
 * annotations) need positions in the file as it is on disk. The steps are replayed from `before`
 * (outcomes come in pipeline order) and positions are mapped back through the earlier steps' edits.
 */
import { applyEdits, sortEdits, type Edit } from '../edits.js';
import type { FileResult, ReportedOutcome } from '../types.js';

/** 1-based line and column (UTF-16 code units), as SARIF and GitHub count them. */
export interface Pos { line: number; column: number }

export interface Replacement { start: Pos; end: Pos; text: string }

export interface Located {
  outcome: ReportedOutcome;
  /** Where it applies in the original file. */
  start: Pos;
  end: Pos;
  /**
   * For rewrites: the edits as replacements in the original file, or null when an edit touches text an
   * earlier transform inserted (that change exists only on top of the earlier one).
   */
  fix: Replacement[] | null;
}

interface Step { edits: Edit[] }

/** Every outcome of the file with its position in the original text (BOM not counted). */
export function locate(f: FileResult): Located[] {
  const original = f.before.startsWith('\uFEFF') ? f.before.slice(1) : f.before;
  const steps: Step[] = [];
  const stepOf = new Map<ReportedOutcome, number>();
  const texts: string[] = [original];
  // outcomes come in step order (a step: one transform applied in one pipeline pass)
  let current: string | number | null = null;
  for (const o of f.outcomes) {
    const key = o.step ?? o.transform;
    if (key !== current) {
      current = key;
      steps.push({ edits: [] });
    }
    stepOf.set(o, steps.length - 1);
    if (o.kind === 'rewrite') steps[steps.length - 1]!.edits.push(...(o.edits ?? []));
  }
  let consistent = true;
  try {
    for (const s of steps) {
      s.edits = sortEdits(s.edits);
      texts.push(applyEdits(texts[texts.length - 1]!, s.edits));
    }
    const after = f.after.startsWith('\uFEFF') ? f.after.slice(1) : f.after;
    if (f.status === 'changed' && texts[texts.length - 1] !== after) consistent = false;
  } catch {
    consistent = false;
  }
  const origLines = lineStarts(original);
  const out: Located[] = [];
  for (const o of f.outcomes) {
    const k = stepOf.get(o)!;
    const seen = consistent ? texts[k]! : original;
    const earlier = consistent ? steps.slice(0, k) : [];
    // the outcome's line, mapped back (clamped into the enclosing earlier edit when it lies in inserted text)
    if (earlier.every((s) => s.edits.length === 0) && o.kind !== 'rewrite') {
      // nothing changed before this outcome (also: a lean result without its text): its line is the file's
      out.push({ outcome: o, start: { line: o.line, column: 1 }, end: { line: o.line, column: 1 }, fix: null });
      continue;
    }
    const seenStarts = lineStarts(seen);
    const lineOffset = seenStarts[Math.min(Math.max(o.line, 1), seenStarts.length) - 1] ?? 0;
    const at = mapBack(lineOffset, earlier, 'start', false) ?? 0;
    let start = toPos(origLines, at);
    let end = start;
    let fix: Replacement[] | null = null;
    if (o.kind === 'rewrite' && o.edits?.length && consistent) {
      const mapped: { s: number; e: number; text: string }[] = [];
      for (const e of o.edits) {
        const r = mapRange(e.start, e.end, earlier);
        if (r === null) { mapped.length = 0; break; }
        mapped.push({ s: r[0], e: r[1], text: e.text });
      }
      if (mapped.length === o.edits.length) {
        fix = mapped.map((m) => ({ start: toPos(origLines, m.s), end: toPos(origLines, m.e), text: m.text }));
        start = fix.reduce((a, r) => (before(r.start, a) ? r.start : a), fix[0]!.start);
        end = fix.reduce((a, r) => (before(a, r.end) ? r.end : a), fix[0]!.end);
      }
    }
    if (!fix) start = { line: start.line, column: 1 };
    if (!fix) end = start;
    out.push({ outcome: o, start, end, fix });
  }
  return out;
}

const before = (a: Pos, b: Pos) => a.line < b.line || (a.line === b.line && a.column < b.column);

/**
 * Maps an offset in the text after `steps` back to the original text. Strict: null when it lies inside
 * text an earlier step inserted. Loose: such an offset lands at the start of that earlier edit.
 */
function mapBack(pos: number, steps: readonly Step[], side: 'start' | 'end', strict: boolean): number | null {
  let p = pos;
  for (let i = steps.length - 1; i >= 0; i--) {
    let delta = 0;
    let mapped: number | null = null;
    for (const e of steps[i]!.edits) {
      const newStart = e.start + delta;
      const newEnd = newStart + e.text.length;
      if (p > newStart && p < newEnd) {
        if (strict) return null;
        mapped = e.start;
        break;
      }
      // at a boundary: a range's start goes after an earlier edit ending there, a range's end before one starting there
      const isBefore = side === 'start' ? newEnd <= p : newEnd < p || (newEnd === p && newStart < p);
      if (!isBefore) break;
      delta += e.text.length - (e.end - e.start);
    }
    p = mapped ?? p - delta;
  }
  return p;
}

/** Maps a range back, or null when it touches or covers anything an earlier step changed. */
function mapRange(start: number, end: number, steps: readonly Step[]): [number, number] | null {
  let s = start, e = end;
  for (let i = steps.length - 1; i >= 0; i--) {
    let delta = 0;
    for (const ed of steps[i]!.edits) {
      const newStart = ed.start + delta;
      const newEnd = newStart + ed.text.length;
      if (newStart < e && newEnd > s) return null;
      if (newStart === newEnd && s < newStart && newStart < e) return null;
      if (s === e && newStart === s && newEnd === s && ed.end > ed.start) return null;
      delta += ed.text.length - (ed.end - ed.start);
    }
    const one = mapBack(s, [steps[i]!], 'start', true), two = mapBack(e, [steps[i]!], 'end', true);
    if (one === null || two === null || two < one) return null;
    s = one; e = two;
  }
  return [s, e];
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function toPos(starts: readonly number[], offset: number): Pos {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid; else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}
