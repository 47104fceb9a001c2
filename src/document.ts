import { DockerfileParser, Instruction as InstructionClass } from 'dockerfile-ast';
import type { Argument, Dockerfile, Instruction, From } from 'dockerfile-ast';

// dockerfile-ast splits an instruction's text into arguments on every call of getRawArguments, and its own
// constructors and getters call it several times per instruction while parsing (a third of a parse). The
// text behind an instruction never changes, so the split is kept per instance; each call gets its own
// copy of the array, as before (ModifiableInstruction.getArguments shifts the flags off the array it gets).
{
  const proto = InstructionClass.prototype as unknown as { getRawArguments(): Argument[] };
  const split = proto.getRawArguments;
  const kept = new WeakMap<object, Argument[]>();
  proto.getRawArguments = function getRawArguments(this: object): Argument[] {
    let args = kept.get(this);
    if (args === undefined) { args = split.call(this); kept.set(this, args); }
    return args.slice();
  };
}

/** LSP-style position and range, as dockerfile-ast reports them (0-based). */
export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

export const BOM = '\uFEFF';

/** Something dockerfile-ast gives a range for. */
export interface Ranged { getRange(): Range }

/** A stage: its FROM and the instructions after it up to the next FROM. */
export interface Stage {
  index: number;
  from: From;
  /** `AS name`, lower-cased as BuildKit compares it, or null. */
  name: string | null;
  instructions: Instruction[];
}

/**
 * Characters on which the readers of a Dockerfile disagree. BuildKit splits lines on `\n` only (a `\r`
 * directly before it is dropped) and trims Go's unicode.IsSpace (`\v`, `\f`, U+0085, U+00A0, U+1680,
 * U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) around lines and words; dockerfile-ast breaks
 * lines on `\r` too and knows only space and tab as blanks; JavaScript's `\s`, `trim()` and `^`/`$`
 * (which transforms use on instruction text) add U+FEFF and read U+2028/U+2029 as line breaks. A text
 * with one of these is never edited (see readingHazard); other control characters are ordinary
 * characters to all of them.
 */
const HAZARD = /\r(?!\n)|[\v\f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const HAZARD_NAMES: Record<string, string> = {
  '\v': 'a vertical tab (U+000B)', '\f': 'a form feed (U+000C)', '\u0085': 'a next-line character (U+0085)',
  '\u00a0': 'a no-break space (U+00A0)', '\u2028': 'a line separator (U+2028)', '\u2029': 'a paragraph separator (U+2029)',
  '\u202f': 'a narrow no-break space (U+202F)', '\u3000': 'an ideographic space (U+3000)',
};

export interface ReadingHazard {
  /** 1-based line as BuildKit counts lines (on `\n`). */
  line: number;
  offset: number;
  message: string;
  hint: string;
}

/**
 * The first character of a BOM-stripped text on which BuildKit's reading of the lines and words differs
 * from dockeropt's (dockerfile-ast and the transforms), or null. Such a file is refused, never edited:
 * edits computed on a view that puts line breaks elsewhere cut through what BuildKit reads as one line.
 */
export function readingHazard(text: string): ReadingHazard | null {
  const m = HAZARD.exec(text);
  if (!m) return null;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) line++;
  const c = m[0];
  if (c === '\r') {
    return { line, offset: m.index, message: 'a carriage return without a line feed; BuildKit reads it as part of the line', hint: 'make it a line break (\\n or \\r\\n), or remove it' };
  }
  const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const name = HAZARD_NAMES[c] ?? (c === '\ufeff' ? 'a byte-order mark (U+FEFF) after the start of the file' : `a Unicode space (${code})`);
  const message = c === '\ufeff'
    ? `${name}; BuildKit reads it as part of a word, dockeropt's text handling as a space`
    : `${name}; BuildKit reads it as a space, dockeropt's Dockerfile parser as part of a word${c === '\u2028' || c === '\u2029' ? ' (and JavaScript as a line break)' : ''}`;
  return { line, offset: m.index, message, hint: c === '\ufeff' ? 'remove it' : 'replace it with a space, or remove it' };
}

/**
 * A parsed Dockerfile with offset helpers. `text` never contains the BOM: the pipeline strips it on
 * the way in and restores it on the way out, so an insertion at offset 0 lands after the BOM.
 * All edit offsets index `text`.
 */
export class DocView {
  readonly text: string;
  readonly dockerfile: Dockerfile;
  /** The file's line ending (the first one found), used for every inserted line. */
  readonly eol: '\n' | '\r\n';
  /** `\` or the `# escape=` character. */
  readonly escapeChar: string;
  private readonly lineStarts: number[];
  private stagesCache: Stage[] | null = null;

  constructor(text: string) {
    if (text.startsWith(BOM)) throw new Error('DocView expects BOM-stripped text');
    const hazard = readingHazard(text);
    if (hazard) throw new Error(`DocView: line ${hazard.line}: ${hazard.message} (check readingHazard before parsing)`);
    this.text = text;
    this.dockerfile = DockerfileParser.parse(text);
    const crlf = text.indexOf('\r\n');
    const lf = text.indexOf('\n');
    this.eol = crlf !== -1 && crlf + 1 === lf ? '\r\n' : '\n';
    this.escapeChar = this.dockerfile.getEscapeCharacter();
    for (const ins of this.dockerfile.getInstructions()) memoize(ins);
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** Offset of an LSP position (0-based line and character). */
  offsetAt(pos: Position): number {
    const start = this.lineStarts[pos.line];
    if (start === undefined) return this.text.length;
    return Math.min(start + pos.character, this.text.length);
  }

  span(node: Ranged | Range): { start: number; end: number } {
    const r = 'getRange' in node ? node.getRange() : node;
    return { start: this.offsetAt(r.start), end: this.offsetAt(r.end) };
  }

  slice(node: Ranged | Range): string {
    const { start, end } = this.span(node);
    return this.text.slice(start, end);
  }

  /** 0-based line index of an offset. */
  lineIndexAt(offset: number): number {
    let lo = 0, hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** 1-based line number of an offset, as reports show it. */
  lineOf(offset: number): number { return this.lineIndexAt(offset) + 1; }

  /** 1-based line of a node's first line. */
  lineOfNode(node: Ranged): number { return node.getRange().start.line + 1; }

  lineStart(lineIndex: number): number { return this.lineStarts[lineIndex] ?? this.text.length; }

  /** Offset just after the line terminator of the line containing `offset` (or the end of the text). */
  lineEndWithTerminator(offset: number): number {
    const nl = this.text.indexOf('\n', offset);
    return nl === -1 ? this.text.length : nl + 1;
  }

  /** The text of a 0-based line, without its terminator. */
  lineText(lineIndex: number): string {
    const s = this.lineStart(lineIndex);
    const e = this.lineStarts[lineIndex + 1];
    const raw = e === undefined ? this.text.slice(s) : this.text.slice(s, e);
    return raw.replace(/\r?\n$/, '');
  }

  get lineCount(): number { return this.lineStarts.length; }

  /** Whole lines that the node covers, including the final line terminator: what removing it must remove. */
  lineSpan(node: Ranged): { start: number; end: number } {
    const r = node.getRange();
    return { start: this.lineStart(r.start.line), end: this.lineEndWithTerminator(this.offsetAt(r.end)) };
  }

  instructions(): Instruction[] { return this.dockerfile.getInstructions(); }

  stages(): Stage[] {
    if (this.stagesCache) return this.stagesCache;
    const out: Stage[] = [];
    let cur: Stage | null = null;
    for (const ins of this.instructions()) {
      if (ins.getKeyword() === 'FROM') {
        const from = ins as From;
        cur = { index: out.length, from, name: from.getBuildStage()?.toLowerCase() ?? null, instructions: [] };
        out.push(cur);
      } else if (cur) {
        cur.instructions.push(ins);
      }
    }
    this.stagesCache = out;
    return out;
  }

  /** The leading whitespace of a 0-based line. */
  indentOf(lineIndex: number): string {
    return /^[ \t]*/.exec(this.lineText(lineIndex))?.[0] ?? '';
  }

  /** The indentation of the first continuation line of these instructions, else the file's usual one. */
  continuationIndentOf(instructions: readonly Instruction[]): string {
    for (const ins of instructions) {
      const r = ins.getRange();
      for (let l = r.start.line + 1; l <= r.end.line; l++) {
        const t = this.lineText(l);
        if (t.trim() === '' || t.trimStart().startsWith('#')) continue;
        return this.indentOf(l) || this.continuationIndent();
      }
    }
    return this.continuationIndent();
  }

  /** The indentation that the file's continuation lines use, for new continuation lines (default 4 spaces). */
  continuationIndent(): string {
    // asked once per rewrite site: computed once per view (it reads every instruction)
    return (this.indentCache ??= this.computeContinuationIndent());
  }
  private indentCache: string | null = null;

  private computeContinuationIndent(): string {
    const counts = new Map<string, number>();
    for (const ins of this.instructions()) {
      const r = ins.getRange();
      for (let l = r.start.line + 1; l <= r.end.line; l++) {
        const t = this.lineText(l);
        if (t.trim() === '' || t.trimStart().startsWith('#')) continue;
        const ind = this.indentOf(l);
        if (ind) counts.set(ind, (counts.get(ind) ?? 0) + 1);
      }
    }
    let best = '    ', n = 0;
    for (const [ind, c] of counts) if (c > n) { best = ind; n = c; }
    return best;
  }
}

/**
 * dockerfile-ast recomputes arguments, flags and ranges from the text on every call, and transforms ask
 * often; the text behind a parsed instruction never changes, so each answer is kept on the instance.
 */
const MEMOIZED = ['getKeyword', 'getArguments', 'getArgumentsRange', 'getArgumentsRanges', 'getRawArgumentsContent', 'getArgumentsContent', 'getFlags', 'getRange', 'getHeredocs', 'getProperties', 'getImage', 'getImageName', 'getImageTag', 'getBuildStage', 'getExpandedArguments', 'getVariables'] as const;
function memoize(ins: Instruction): void {
  const obj = ins as unknown as Record<string, unknown>;
  for (const name of MEMOIZED) {
    const fn = obj[name];
    if (typeof fn !== 'function') continue;
    let done = false;
    let value: unknown;
    obj[name] = function memoized(this: unknown, ...args: unknown[]) {
      if (args.length > 0) return (fn as (...a: unknown[]) => unknown).apply(ins, args);
      if (!done) { value = (fn as () => unknown).call(ins); done = true; }
      return value;
    };
  }
}

/**
 * `compute(doc, key)`, kept per parsed document and key: what a transform derives from a DocView (whose
 * text never changes) is computed once, however often its checks ask.
 */
export function perDoc<K, V>(compute: (doc: DocView, key: K) => V): (doc: DocView, key: K) => V {
  const kept = new WeakMap<DocView, Map<K, V>>();
  return (doc, key) => {
    let byKey = kept.get(doc);
    if (!byKey) { byKey = new Map(); kept.set(doc, byKey); }
    if (byKey.has(key)) return byKey.get(key) as V;
    const value = compute(doc, key);
    byKey.set(key, value);
    return value;
  };
}

/** Is this instruction's argument an exec-form JSON array (as BuildKit decides: it parses as a JSON string array)? */
export function isExecForm(ins: Instruction): boolean {
  return execArgs(ins) !== null;
}

/** The words of an exec-form (JSON array) instruction, or null when it is in shell form. */
export function execArgs(ins: Instruction): string[] | null {
  const args = ins.getRawArgumentsContent();
  if (args === null) return null;
  const t = args.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}
