/**
 * Shell analysis of RUN instructions through a real shell parser (mvdan-sh, the parser behind shfmt).
 * Never regular expressions over shell text: quoting, continuations and nesting decide what a word means.
 *
 * `runShellView` builds the command line exactly as BuildKit hands it to `/bin/sh -c` (escape+newline
 * removed, comment lines inside the continuation dropped) and keeps a map from every character of it
 * back to the Dockerfile offset, so analysis results can become text edits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import type { Instruction } from 'dockerfile-ast';
import type { DocView } from './document.js';

// Loaded as CommonJS, not imported: ESM would run Node's CommonJS export scanner over the 1.5 MB GopherJS
// bundle on every start (~120 ms here). Loaded on the first parse, not with this module: a run that never
// parses a RUN (a file without RUNs) does not pay for it. Compiling the bundle costs ~110 ms of a cold
// start, so it is compiled through V8's code cache when `npm run build` wrote one for this Node.js
// (SHELL_CODE_CACHE, next to this module in dist/; V8 rejects a cache of another version or flags, and
// the bundle is then compiled as usual). The bundle runs exactly as require() would run it: Node's
// module wrapper, its own require, module and exports.
type Syntax = typeof import('mvdan-sh').default['syntax'];
let loaded: Syntax | null = null;
const sh = (): Syntax => {
  if (loaded === null) loaded = loadMvdanSh().exports.syntax;
  return loaded;
};

/** The V8 code cache of the mvdan-sh bundle, written by `npm run build` (scripts/code-cache.mjs). */
export const SHELL_CODE_CACHE = fileURLToPath(new URL('./mvdan-sh.v8cache', import.meta.url));

function loadMvdanSh(useCache = true): { exports: typeof import('mvdan-sh').default; script: Script } {
  const file = createRequire(import.meta.url).resolve('mvdan-sh');
  let cachedData: Buffer | undefined;
  if (useCache) { try { cachedData = readFileSync(SHELL_CODE_CACHE); } catch { /* no cache: compile */ } }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as typeof import('mvdan-sh').default, id: file, filename: file, loaded: false };
  (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return { exports: module.exports, script };
}

/**
 * Writes SHELL_CODE_CACHE (for `npm run build`): compiles the bundle, parses `samples` so that the
 * parser's functions are compiled too, and stores V8's code for all of it. Returns the cache's size.
 */
export function writeShellCodeCache(samples: readonly string[]): number {
  const { exports, script } = loadMvdanSh(false);
  const syntax = exports.syntax;
  for (const variant of [syntax.LangBash, syntax.LangPOSIX]) {
    const p = syntax.NewParser(syntax.KeepComments(true), syntax.Variant(variant));
    for (const s of samples) { try { p.Parse(s, ''); } catch { /* a sample may be bash-only */ } }
  }
  const data = script.createCachedData();
  writeFileSync(SHELL_CODE_CACHE, data);
  return data.length;
}

/* mvdan-sh is GopherJS output without type declarations; its nodes are Go structs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ShNode = any;

export interface ShellView {
  /** The command text the shell receives. */
  readonly text: string;
  /** Dockerfile offset of the character at `shellOffset` (a character index into `text`). */
  toDoc(shellOffset: number): number;
  /** Dockerfile offset just after the character before `shellOffset`: use for the end of a range. */
  toDocEnd(shellOffset: number): number;
  /** Dockerfile offset range the view covers. */
  readonly docStart: number;
  readonly docEnd: number;
}

/**
 * The shell command of a shell-form RUN (or CMD/ENTRYPOINT), as BuildKit passes it to the shell.
 * Returns null when the instruction has no arguments.
 */
export function runShellView(doc: DocView, ins: Instruction): ShellView | null {
  const cached = viewCache.get(ins);
  if (cached !== undefined) return cached;
  const argRange = ins.getArgumentsRange();
  const view = argRange ? shellViewOf(doc.text, doc.offsetAt(argRange.start), doc.span(ins).end, doc.escapeChar) : null;
  viewCache.set(ins, view);
  return view;
}
const viewCache = new WeakMap<Instruction, ShellView | null>();

/** The shell text of `src[start, end)` with Dockerfile line continuations resolved; exported for tests. */
export function shellViewOf(src: string, docStart: number, docEnd: number, escape: string): ShellView {
  // segments of the shell text, each a verbatim slice of the Dockerfile: [shell start, doc start, length]
  const segs: [number, number, number][] = [];
  let text = '';
  let i = docStart;
  let segStart = docStart;
  const cut = (end: number) => {
    if (end > segStart) { segs.push([text.length, segStart, end - segStart]); text += src.slice(segStart, end); }
  };
  while (i < docEnd) {
    const k = src.indexOf(escape, i);
    if (k === -1 || k >= docEnd) break;
    // escape char, optional trailing blanks, then the line break: a continuation
    let j = k + 1;
    while (j < docEnd && (src[j] === ' ' || src[j] === '\t')) j++;
    if (src[j] === '\r' && src[j + 1] === '\n') j++;
    if (!(src[j] === '\n' || j >= docEnd)) { i = k + 1; continue; }
    cut(k);
    i = j + 1;
    // BuildKit drops empty lines and comment lines inside a continued instruction
    while (i < docEnd) {
      const nl = src.indexOf('\n', i);
      const lineEnd = nl === -1 || nl > docEnd ? docEnd : nl;
      const trimmed = src.slice(i, lineEnd).replace(/\r$/, '').trimStart();
      if (trimmed !== '' && !trimmed.startsWith('#')) break;
      i = lineEnd + 1;
    }
    segStart = Math.min(i, docEnd);
  }
  cut(docEnd);
  const find = (o: number): [number, number, number] | undefined => {
    let lo = 0, hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]![0] <= o) lo = mid; else hi = mid - 1;
    }
    return segs[lo];
  };
  return {
    text,
    docStart,
    docEnd,
    toDoc: (o) => {
      if (o >= text.length) return docEnd;
      const sg = find(Math.max(0, o));
      return sg ? sg[1] + (Math.max(0, o) - sg[0]) : docStart;
    },
    toDocEnd: (o) => {
      if (o <= 0) return segs[0]?.[1] ?? docStart;
      const sg = find(o - 1)!;
      return sg[1] + (o - 1 - sg[0]) + 1;
    },
  };
}

/** Shell text longer than this is not analysed (bounded time on hostile input); no real RUN comes close. */
export const MAX_SHELL_CHARS = 200_000;
let parser: ShNode | null = null;

export interface ParsedShell {
  file: ShNode;
  /** Character index (into the parsed text) of a node position (mvdan-sh reports UTF-8 byte offsets). */
  offset(pos: ShNode): number;
}

/**
 * parseShell of a RUN's shell view, kept with the view (views are kept per instruction): every transform
 * of a pass asks for the same RUNs, and a file with more RUNs than parseShell's cache holds would otherwise
 * have them parsed again by each transform.
 */
export function parseView(view: ShellView): ParsedShell | { error: string } {
  let p = parsedByView.get(view);
  if (p === undefined) { p = parseShell(view.text); parsedByView.set(view, p); }
  return p;
}
const parsedByView = new WeakMap<ShellView, ParsedShell | { error: string }>();

/** Parses shell text (bash dialect: a superset of what `/bin/sh` images accept), or returns the error. */
export function parseShell(text: string): ParsedShell | { error: string } {
  // several transforms, and every pass, parse the same RUN: keep the last results (trees are never mutated)
  const hit = parseCache.get(text);
  if (hit) return hit;
  const r = parseShellUncached(text);
  if (parseCache.size >= PARSE_CACHE_SIZE) parseCache.delete(parseCache.keys().next().value!);
  parseCache.set(text, r);
  return r;
}
const PARSE_CACHE_SIZE = 512;
const parseCache = new Map<string, ParsedShell | { error: string }>();

function parseShellUncached(text: string): ParsedShell | { error: string } {
  if (text.length > MAX_SHELL_CHARS) return { error: `it is ${text.length} characters long, more than the ${MAX_SHELL_CHARS} this tool analyses` };
  // one parser for the process: creating one costs more than parsing a typical RUN
  if (parser === null) { const syntax = sh(); parser = syntax.NewParser(syntax.KeepComments(true), syntax.Variant(syntax.LangBash)); }
  let file: ShNode;
  try {
    file = toPlain(parser.Parse(text, '').__internal_object__);
  } catch (e) {
    const err = e as { Error?: () => string };
    if (e instanceof RangeError) return { error: 'it is nested too deeply to analyse' };
    const msg = typeof err?.Error === 'function' ? err.Error() : String(e);
    return { error: msg.replace(/^:?\d+:\d+: /, '') };
  }
  const byteToChar = byteIndexMap(text);
  return {
    file,
    offset: (pos: ShNode) => {
      const b = pos.Offset() as number;
      return byteToChar ? (byteToChar[b] ?? text.length) : b;
    },
  };
}

let posixParser: ShNode | null = null;

/**
 * Why the text does not parse as POSIX sh (bash-only syntax such as `<(…)`, arrays, `${x/a/b}`, which
 * dash and BusyBox reject), or null when it does. Call it on text parseShell accepted (bounded length).
 */
export function posixSyntaxError(text: string): string | null {
  if (posixParser === null) { const syntax = sh(); posixParser = syntax.NewParser(syntax.Variant(syntax.LangPOSIX)); }
  try {
    posixParser.Parse(text, '');
    return null;
  } catch (e) {
    if (e instanceof RangeError) return 'it is nested too deeply to analyse';
    const err = e as { Error?: () => string };
    const msg = typeof err?.Error === 'function' ? err.Error() : String(e);
    return msg.replace(/^:?\d+:\d+: /, '');
  }
}

/** A source position as the tree exposes it: `Offset()` is the UTF-8 byte offset (use ParsedShell.offset). */
interface PlainPos { Offset(): number; IsValid(): boolean }
const posOf = (offs: number): PlainPos => ({ Offset: () => offs, IsValid: () => offs > 0 });

/**
 * Converts mvdan-sh's GopherJS tree into plain objects once, at native speed. Reading the tree through
 * GopherJS's JavaScript wrappers costs ~40 µs per property (a wrapper is built on every access), which
 * made analysis 20x slower than parsing; the internal objects are read directly instead. Field names
 * stay Go's (Stmts, Cmd, Args, Parts, Value, Op, …); `type` holds the node type; slices become arrays;
 * Go strings (UTF-8 byte strings in GopherJS) become JavaScript strings; nodes keep Pos()/End().
 */
const shapes = new Map<unknown, { pos: boolean; type: string | undefined; keys: string[] | null }>();
function toPlain(v: ShNode): ShNode {
  if (v === null || v === undefined) return null;
  const t = typeof v;
  if (t === 'string') return decodeGoString(v as string);
  if (t !== 'object') return v;
  if (v.$array !== undefined && typeof v.$length === 'number') {
    const out = new Array(v.$length);
    for (let i = 0; i < v.$length; i++) out[i] = toPlain(v.$array[v.$offset + i]);
    return out;
  }
  const ctor = v.constructor;
  if (ctor && ctor.nil === v) return null; // a nil Go pointer is a sentinel object in GopherJS
  // a Go struct type's name and fields are the same for every value of it: kept per constructor
  let shape = shapes.get(ctor);
  if (shape === undefined) {
    const name = ctor?.string as string | undefined;
    shape = { pos: name !== undefined && name.endsWith('syntax.Pos'), type: name ? name.replace(/^\*?syntax\./, '') : undefined, keys: null };
    if (ctor) shapes.set(ctor, shape);
  }
  if (shape.pos) return posOf(v.offs as number);
  const out: ShNode = { type: shape.type };
  // (a GopherJS struct's constructor sets every field, so its values all have the same own keys)
  const keys = shape.keys ?? (shape.keys = Object.keys(v).filter((k) => k !== '$val'));
  for (const k of keys) out[k] = toPlain(v[k]);
  if (typeof v.Pos === 'function' && typeof v.End === 'function') {
    out.Pos = () => posOf(v.Pos().offs as number);
    out.End = () => posOf(v.End().offs as number);
  }
  if (out.type === 'Word') out.Lit = () => (out.Parts as ShNode[]).every((p) => p.type === 'Lit') ? (out.Parts as ShNode[]).map((p) => p.Value).join('') : '';
  return out;
}

function decodeGoString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x80-\xff]/.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

/** Visits every node of a plain tree (depth first, source order); return false to skip a node's children. */
export function walk(node: ShNode, visit: (n: ShNode) => boolean | void): void {
  // pre-order, children in field order; an explicit stack, since a long && chain nests as deep as it is long
  const stack: ShNode[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (n === null || typeof n !== 'object') continue;
    if (Array.isArray(n)) { for (let i = n.length - 1; i >= 0; i--) stack.push(n[i]); continue; }
    if (n.type === undefined) continue;
    if (visit(n) === false) continue;
    const keys = Object.keys(n);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (k === 'type') continue;
      const c = n[k];
      if (c !== null && typeof c === 'object') stack.push(c);
    }
  }
}

function byteIndexMap(text: string): number[] | null {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return null;
  const map: number[] = [];
  let ci = 0;
  for (const ch of text) {
    const bytes = Buffer.byteLength(ch, 'utf8');
    for (let k = 0; k < bytes; k++) map.push(ci);
    ci += ch.length;
  }
  map.push(ci);
  return map;
}

export const nodeType = (n: ShNode): string => (n?.type as string | undefined) ?? '';

/** mvdan-sh BinaryCmd operators. */
export const Op = { And: 10, Or: 11, Pipe: 12, PipeAll: 13 } as const;

/** The static value of a word when it has no expansions (quotes removed), else null. */
export function wordLit(word: ShNode): string | null {
  if (!word) return null;
  let out = '';
  for (const part of word.Parts as ShNode[]) {
    const t = nodeType(part);
    if (t === 'Lit') out += (part.Value as string).replace(/\\(.)/g, '$1');
    else if (t === 'SglQuoted') out += part.Value as string;
    else if (t === 'DblQuoted') {
      for (const p of part.Parts as ShNode[]) {
        if (nodeType(p) !== 'Lit') return null;
        out += p.Value as string;
      }
    } else return null;
  }
  return out;
}

/** A simple command found in the tree, with the statement that holds it. */
export interface SimpleCommand {
  call: ShNode;
  stmt: ShNode;
  /** Static words (null where a word has expansions). */
  words: (string | null)[];
  /** Whether it runs in the shell the RUN started (not in a subshell, pipeline part, or substitution). */
  inMainShell: boolean;
}

/**
 * Every simple command, in source order, including those in subshells, pipelines, blocks, loops and
 * command substitutions; `inMainShell` tells which would affect the state of the RUN's own shell.
 */
export function simpleCommands(file: ShNode): SimpleCommand[] {
  // the analysis of a parsed RUN, shared: every transform asks for the commands of the same (cached) tree,
  // so they are listed once per tree (frozen: a caller that changed them would change them for all)
  const hit = commandsCache.get(file);
  if (hit) return hit;
  const out = listCommands(file);
  for (const c of out) Object.freeze(c.words);
  commandsCache.set(file, Object.freeze(out) as SimpleCommand[]);
  return out;
}
const commandsCache = new WeakMap<ShNode, SimpleCommand[]>();

function listCommands(file: ShNode): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  const visitStmts = (stmts: ShNode[], main: boolean) => { for (const s of stmts) visitStmt(s, main); };
  const visitStmt = (stmt: ShNode, main: boolean) => {
    if (!stmt) return;
    const cmd = stmt.Cmd;
    const inMain = main && !stmt.Background;
    visitCmd(cmd, stmt, inMain);
  };
  const visitCmd = (cmd: ShNode, stmt: ShNode, main: boolean) => {
    const t = nodeType(cmd);
    switch (t) {
      case 'CallExpr':
        out.push({ call: cmd, stmt, words: (cmd.Args as ShNode[]).map(wordLit), inMainShell: main });
        for (const w of cmd.Args as ShNode[]) visitWord(w);
        for (const a of cmd.Assigns as ShNode[]) if (a.Value) visitWord(a.Value);
        break;
      case 'BinaryCmd': {
        if (cmd.Op === Op.And || cmd.Op === Op.Or) {
          // a && / || chain nests to the left as deep as it is long: walk down it, not recursively
          const rights: ShNode[] = [];
          let c = cmd, left: ShNode = cmd.X;
          for (;;) {
            rights.push(c.Y);
            left = c.X;
            if (!left || left.Background || nodeType(left.Cmd) !== 'BinaryCmd' || (left.Cmd.Op !== Op.And && left.Cmd.Op !== Op.Or)) break;
            c = left.Cmd;
          }
          visitStmt(left, main);
          for (let i = rights.length - 1; i >= 0; i--) visitStmt(rights[i], main);
          break;
        }
        const pipe = cmd.Op === Op.Pipe || cmd.Op === Op.PipeAll;
        visitStmt(cmd.X, main && !pipe);
        visitStmt(cmd.Y, main && !pipe);
        break;
      }
      case 'Subshell': visitStmts(cmd.Stmts, false); break;
      case 'Block': visitStmts(cmd.Stmts, main); break;
      case 'IfClause': {
        let c = cmd;
        while (c) { visitStmts(c.Cond, main); visitStmts(c.Then, main); c = c.Else; }
        break;
      }
      case 'WhileClause': visitStmts(cmd.Cond, main); visitStmts(cmd.Do, main); break;
      case 'ForClause': visitStmts(cmd.Do, main); break;
      case 'CaseClause': for (const it of cmd.Items as ShNode[]) visitStmts(it.Stmts, main); break;
      case 'FuncDecl': visitStmt(cmd.Body, false); break;
      case 'DeclClause':
        out.push({ call: cmd, stmt, words: [cmd.Variant.Value as string], inMainShell: main });
        break;
      default: break;
    }
  };
  const visitWord = (w: ShNode) => {
    if (!w) return;
    for (const p of w.Parts as ShNode[]) {
      const t = nodeType(p);
      if (t === 'CmdSubst') visitStmts(p.Stmts, false);
      else if (t === 'DblQuoted') visitWord(p);
    }
  };
  visitStmts(file.Stmts, true);
  return out;
}

/** Builtins that change the state of the shell they run in (and so of every command after them). */
const STATE_BUILTINS: Record<string, string> = {
  cd: 'changes the working directory',
  pushd: 'changes the working directory',
  popd: 'changes the working directory',
  export: 'exports a variable',
  unset: 'unsets a variable or function',
  set: 'changes shell options',
  shopt: 'changes shell options',
  umask: 'changes the file-creation mask',
  ulimit: 'changes resource limits',
  alias: 'defines an alias',
  unalias: 'removes an alias',
  trap: 'sets a trap',
  source: 'sources a script into the shell',
  '.': 'sources a script into the shell',
  declare: 'declares a variable',
  typeset: 'declares a variable',
  readonly: 'declares a read-only variable',
  local: 'declares a variable',
  eval: 'evaluates code in the shell',
  shift: 'shifts the positional parameters',
  hash: 'changes the command lookup table',
  enable: 'enables or disables builtins',
};
const EXIT_BUILTINS: Record<string, string> = {
  exit: 'exits the shell early',
  return: 'returns from the shell early',
  exec: 'replaces the shell process',
};

export interface Hazard { offset: number; reason: string }

/**
 * Why merging `this && next` could change what `next` sees or whether it runs; null when nothing in
 * the main shell carries state over. Offsets are character indexes into the parsed text.
 */
export function stateHazard(parsed: ParsedShell): Hazard | null {
  const { file } = parsed;
  // a background job anywhere (even in a subshell) may outlive its statement
  let bg: Hazard | null = null;
  walk(file, (n: ShNode) => {
    if (!bg && nodeType(n) === 'Stmt' && n.Background) {
      bg = { offset: parsed.offset(n.Pos()), reason: 'runs a command in the background (&), which could still be running when the next command starts' };
    }
    return !bg;
  });
  if (bg) return bg;
  for (const c of simpleCommands(file)) {
    if (nodeType(c.stmt.Cmd) === 'FuncDecl') continue;
    if (!c.inMainShell) continue;
    const off = parsed.offset(c.call.Pos());
    if (nodeType(c.call) === 'DeclClause') {
      const name = c.words[0]!;
      return { offset: off, reason: `\`${name}\` ${STATE_BUILTINS[name] ?? 'declares a variable'} that the next RUN would inherit` };
    }
    let words = c.words;
    if (words.length === 0 && (c.call.Assigns as ShNode[]).length > 0) {
      return { offset: off, reason: 'a variable assignment without a command sets a shell variable that the next RUN would inherit' };
    }
    // `command cd`, `builtin cd` run the builtin all the same
    while (words[0] === 'command' || words[0] === 'builtin') words = words.slice(1);
    const name = words[0];
    if (name === null || name === undefined) {
      if ((c.call.Args as ShNode[]).length > 0) return { offset: off, reason: 'runs a command whose name is only known at run time' };
      continue;
    }
    if (name in EXIT_BUILTINS) return { offset: off, reason: `\`${name}\` ${EXIT_BUILTINS[name]}, so the next RUN's commands would be skipped` };
    if (name in STATE_BUILTINS) return { offset: off, reason: `\`${name}\` ${STATE_BUILTINS[name]}, which the next RUN would inherit` };
  }
  for (const c of allFuncDecls(file)) return { offset: parsed.offset(c.Pos()), reason: 'defines a shell function that the next RUN would inherit' };
  return null;
}

function allFuncDecls(file: ShNode): ShNode[] {
  const out: ShNode[] = [];
  walk(file, (n: ShNode) => {
    if (nodeType(n) === 'FuncDecl') out.push(n);
  });
  return out;
}

/** Comments of the parsed text, as character offsets of their `#`. */
export function commentOffsets(parsed: ParsedShell): number[] {
  const out: number[] = [];
  walk(parsed.file, (n: ShNode) => {
    if (nodeType(n) === 'Comment') out.push(parsed.offset(n.Hash));
  });
  return out.sort((a, b) => a - b);
}
