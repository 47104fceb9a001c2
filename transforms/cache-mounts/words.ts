/** Words and paths: command names, subcommands, option values, word values with `~`/`$HOME` expanded, mount targets. */
import type { Instruction } from 'dockerfile-ast';
import { execArgs, type DocView } from '../../src/document.js';
import { nodeType, parseView, runShellView, simpleCommands, wordLit, type ShNode, type SimpleCommand } from '../../src/shell.js';
import type { Resolver } from './resolve.js';
import { refuse } from './types.js';

/** The command name of a word: its basename (`/usr/bin/pip3` → `pip3`). */
export const base = (w: string | null | undefined): string | null => (w ? w.split('/').pop()! : null);

/** The first word that is not an option (and not the value of an option that takes one). */
export function subcommand(words: readonly (string | null)[], from: number, optsWithValue: readonly string[] = []): { name: string | null; index: number } {
  for (let i = from; i < words.length; i++) {
    const w = words[i];
    if (w === null || w === undefined) return { name: null, index: i };
    if (w === '--') return { name: words[i + 1] ?? null, index: i + 1 };
    if (w.startsWith('-')) {
      if (optsWithValue.includes(w)) i++;
      continue;
    }
    return { name: w, index: i };
  }
  return { name: null, index: -1 };
}

/**
 * The words of each simple command of a RUN, CMD or ENTRYPOINT (the exec array for exec form). Kept per
 * instruction (read-only): the checks ask for every later RUN of every RUN that gets a mount.
 */
export function commandWordsOf(doc: DocView, ins: Instruction): readonly (readonly (string | null)[])[] {
  let out = wordsByIns.get(ins);
  if (!out) { out = commandWordsUncached(doc, ins); wordsByIns.set(ins, out); }
  return out;
}
const wordsByIns = new WeakMap<Instruction, readonly (readonly (string | null)[])[]>();

function commandWordsUncached(doc: DocView, ins: Instruction): (string | null)[][] {
  const arr = execArgs(ins);
  if (arr) return [arr];
  const v = runShellView(doc, ins);
  const p = v ? parseView(v) : null;
  if (!p || 'error' in p) return [];
  return simpleCommands(p.file).map((c) => c.words);
}

/** A word's value with `~`, `$HOME` and known variables expanded; null when it cannot be known. */
export function wordValue(word: ShNode, r: Resolver): string | null {
  const lit = wordLit(word);
  if (lit !== null) {
    if (lit === '~' || lit.startsWith('~/')) {
      if ((word.Parts[0] && nodeType(word.Parts[0]) !== 'Lit')) return lit; // quoted ~ is literal
      return r.home() + lit.slice(1);
    }
    return lit;
  }
  let out = '';
  const param = (p: ShNode): string | null => {
    if (p.Exp || p.Slice || p.Repl || p.Length || p.Excl || p.Index || p.Names) return null;
    const name = p.Param?.Value as string;
    if (name === 'HOME') return r.home();
    return r.env(name) ?? null;
  };
  for (const part of word.Parts as ShNode[]) {
    const t = nodeType(part);
    if (t === 'Lit') out += (part.Value as string).replace(/\\(.)/g, '$1');
    else if (t === 'SglQuoted') out += part.Value as string;
    else if (t === 'ParamExp') { const v = param(part); if (v === null) return null; out += v; }
    else if (t === 'DblQuoted') {
      for (const p of part.Parts as ShNode[]) {
        const tt = nodeType(p);
        if (tt === 'Lit') out += p.Value as string;
        else if (tt === 'ParamExp') { const v = param(p); if (v === null) return null; out += v; }
        else return null;
      }
    } else return null;
  }
  return out;
}

/** Normalises an absolute path: no trailing slash, no `//`, `.` and `..` resolved; null when relative. */
export function normPath(p: string): string | null {
  if (!p.startsWith('/')) return null;
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop(); else parts.push(seg);
  }
  return '/' + parts.join('/');
}

export const inside = (p: string, dir: string) => p === dir || dir === '/' || p.startsWith(dir + '/');
export const overlaps = (a: string, b: string) => inside(a, b) || inside(b, a);

/** Value of an option in `--opt X`, `--opt=X` or `-o X` form among the command's words (first match). */
export function optionValue(sc: SimpleCommand, r: Resolver, names: string[], from: number): { value: string | null; present: boolean } {
  const args = sc.call.Args as ShNode[];
  for (let i = from; i < args.length; i++) {
    const lit = sc.words[i];
    if (lit === null || lit === undefined) continue;
    for (const n of names) {
      if (lit === n) return { value: args[i + 1] ? wordValue(args[i + 1], r) : null, present: true };
      if (n.startsWith('--') && lit.startsWith(n + '=')) return { value: lit.slice(n.length + 1), present: true };
      if (!n.startsWith('--') && n.length === 2 && lit.startsWith(n) && lit.length > 2 && n !== '-o') return { value: lit.slice(2), present: true };
    }
  }
  return { value: null, present: false };
}

export function absTarget(path: string | undefined | null, what: string): string {
  if (path === undefined || path === null) return refuse(`${what} is not known`);
  const n = normPath(path);
  if (n === null) return refuse(`${what} (${path}) is a relative path, so the cache directory depends on the working directory`);
  if (n === '/') return refuse(`${what} is /, which cannot be a cache mount`);
  if (/[,="'\s$`\\]/.test(n)) return refuse(`${what} (${n}) contains characters a --mount option cannot hold`);
  return n;
}

export const noCacheValue = (v: string | undefined) => v !== undefined && !['', '0', 'false', 'off', 'no'].includes(v.toLowerCase());
export const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
export const falsy = (v: string | undefined) => v !== undefined && ['0', 'false', 'no', 'off'].includes(v.toLowerCase());
