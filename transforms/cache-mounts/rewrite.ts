/**
 * The edits for one RUN: removing the flags, inline variables and clean-ups that defeat or empty a mounted
 * cache (from the ecosystem table), the ecosystems' own command edits, and the re-parse check of the result.
 */
import type { Instruction, Run } from 'dockerfile-ast';
import { DocView } from '../../src/document.js';
import { applyEdits, insertAt, removeRange, replaceRange, type Edit } from '../../src/edits.js';
import { Op, nodeType, parseView, runShellView, simpleCommands, type ParsedShell, type ShNode, type ShellView, type SimpleCommand } from '../../src/shell.js';
import { cleanupEco } from './detect.js';
import { ECOSYSTEMS } from './ecosystems.js';
import type { Resolver } from './resolve.js';
import { Refusal, refuse, type CommandEdits, type Eco, type EcoContext, type Mount, type ToolCmd } from './types.js';
import { base, inside, normPath, wordValue } from './words.js';

interface RunEdits {
  edits: Edit[];
  /** Expected simple-command words after the edit, for the re-parse check. */
  expected: (string | null)[][];
  notes: string[];
}

type Plan = RunEdits;

interface Parent { kind: 'list'; list: ShNode[]; index: number; top: boolean }
interface BinParent { kind: 'bin'; bin: ShNode; side: 'X' | 'Y' }

/** A statement's identity: mvdan-sh (GopherJS) hands out a fresh wrapper object on every field access. */
const stmtKey = (s: ShNode): string => `${s.Pos().Offset()}:${s.End().Offset()}`;

function parentsOf(file: ShNode): Map<string, Parent | BinParent> {
  const out = new Map<string, Parent | BinParent>();
  const visitList = (stmts: ShNode[], top: boolean) => stmts.forEach((s, i) => { out.set(stmtKey(s), { kind: 'list', list: stmts, index: i, top }); visitStmt(s); });
  const visitStmt = (s: ShNode) => {
    const c = s?.Cmd;
    const t = nodeType(c);
    if (t === 'BinaryCmd') {
      out.set(stmtKey(c.X), { kind: 'bin', bin: c, side: 'X' });
      out.set(stmtKey(c.Y), { kind: 'bin', bin: c, side: 'Y' });
      visitStmt(c.X); visitStmt(c.Y);
    } else if (t === 'Block' || t === 'Subshell') visitList(c.Stmts, false);
  };
  visitList(file.Stmts, true);
  return out;
}

/** The edits for the RUN's commands (the mount flags and the apt step are the caller's). */
export function planEdits(doc: DocView, view: ShellView, parsed: ParsedShell, all: SimpleCommand[], tools: ToolCmd[], mounts: Mount[], mounted: Set<Eco>, resolvers: Map<ToolCmd, Resolver>, ec: EcoContext): Plan {
  const edits: Edit[] = [];
  const notes: string[] = [];
  const parents = parentsOf(parsed.file);
  const removedCmds = new Set<SimpleCommand>();
  const removedArgs = new Map<SimpleCommand, Set<number>>();
  const replacedArgs = new Map<SimpleCommand, Map<number, string>>();
  const insertedAfter = new Map<SimpleCommand, Map<number, string>>();
  const targets = mounts.map((m) => m.target);
  const r0 = resolvers.get(tools[0]!)!;

  const docRange = (a: number, b: number) => ({ start: view.toDoc(a), end: view.toDocEnd(b) });
  const noComment = (start: number, end: number, what: string) => {
    const text = doc.text.slice(start, end);
    if (text.split(/\r?\n/).slice(1).some((l) => l.trimStart().startsWith('#'))) refuse(`removing ${what} would also delete a comment line inside the RUN; remove it by hand`);
  };
  const removeWord = (sc: SimpleCommand, i: number, what: string) => {
    const args = sc.call.Args as ShNode[];
    const prevEnd = parsed.offset(args[i - 1].End());
    const { start, end } = docRange(prevEnd, parsed.offset(args[i].End()));
    noComment(start, end, what);
    edits.push(removeRange(start, end));
    if (!removedArgs.has(sc)) removedArgs.set(sc, new Set());
    removedArgs.get(sc)!.add(i);
  };
  const removeCommand = (sc: SimpleCommand, what: string) => {
    const stmt = sc.stmt;
    if (nodeType(stmt.Cmd) !== 'CallExpr' || stmt.Negated || stmt.Background || (stmt.Redirs ?? []).length) refuse(`${what} is not a plain command, so it cannot be removed cleanly; remove it by hand`);
    const p = parents.get(stmtKey(stmt));
    let a: number, b: number;
    if (p?.kind === 'bin') {
      if (p.bin.Op !== Op.And) refuse(`${what} is joined with '||' or a pipe, so it cannot be removed cleanly; remove it by hand`);
      if (p.side === 'Y') { a = parsed.offset(p.bin.X.End()); b = parsed.offset(stmt.End()); }
      else { a = parsed.offset(stmt.Pos()); b = parsed.offset(p.bin.Y.Pos()); }
    } else if (p?.kind === 'list' && p.list.length > 1) {
      if (p.index > 0) { a = parsed.offset(p.list[p.index - 1].End()); b = parsed.offset(stmt.End()); }
      else { a = parsed.offset(stmt.Pos()); b = parsed.offset(p.list[1].Pos()); }
    } else {
      return refuse(`${what} is the only command of its block, so removing it would leave nothing; remove it by hand`);
    }
    const { start, end } = docRange(a, b);
    noComment(start, end, what);
    edits.push(removeRange(start, end));
    removedCmds.add(sc);
  };

  /** What an ecosystem's edit hook may do to its command. */
  const commandEdits = (sc: SimpleCommand): CommandEdits => {
    const args = sc.call.Args as ShNode[];
    return {
      removeWord: (i, what) => removeWord(sc, i, what),
      replaceWord: (i, text) => {
        edits.push(replaceRange(view.toDoc(parsed.offset(args[i].Pos())), view.toDocEnd(parsed.offset(args[i].End())), text));
        if (!replacedArgs.has(sc)) replacedArgs.set(sc, new Map());
        replacedArgs.get(sc)!.set(i, text);
      },
      insertAfter: (i, text) => {
        edits.push(insertAt(view.toDocEnd(parsed.offset(args[i].End())), ` ${text}`));
        if (!insertedAfter.has(sc)) insertedAfter.set(sc, new Map());
        insertedAfter.get(sc)!.set(i, text);
      },
      insertBefore: (text) => { edits.push(insertAt(view.toDoc(parsed.offset(args[0].Pos())), text)); },
      note: (message) => { notes.push(message); },
    };
  };

  // defeating flags and inline variables on the commands that get a mount, then the ecosystem's own edits
  for (const t of tools) {
    if (!mounted.has(t.eco)) continue;
    const eco = ECOSYSTEMS[t.eco];
    const args = t.sc.call.Args as ShNode[];
    for (const f of eco.dropFlags ?? []) {
      for (let i = t.at + 1; i < args.length; i++) {
        if (t.sc.words[i] === f || (t.sc.words[i] ?? '').startsWith(f + '=')) { removeWord(t.sc, i, `${f}`); notes.push(`removes ${f}`); }
      }
    }
    const assigns = (t.sc.call.Assigns ?? []) as ShNode[];
    for (let k = 0; k < assigns.length; k++) {
      const a = assigns[k];
      if (!(eco.dropEnv ?? []).includes(a.Name.Value)) continue;
      const next = assigns[k + 1] ?? args[0];
      const { start, end } = docRange(parsed.offset(a.Pos()), parsed.offset(next.Pos()));
      noComment(start, end, a.Name.Value);
      edits.push(removeRange(start, end));
      notes.push(`removes ${a.Name.Value}`);
    }
    eco.edit?.(t, commandEdits(t.sc), resolvers.get(t)!, ec);
  }

  // clean-ups of a mounted cache in this RUN
  for (const c of all) {
    if (nodeType(c.call) !== 'CallExpr') continue;
    const ce = cleanupEco(c.words);
    if (ce && mounted.has(ce)) {
      if (ce === 'yarn' && !mounts.some((m) => m.eco === 'yarn' && m.target.includes('.cache/yarn'))) refuse('yarn cache clean in a Yarn 2+ project cleans the project cache; remove it by hand if it only cleans the global cache');
      removeCommand(c, c.words.join(' '));
      notes.push(`removes ${c.words.join(' ')}`);
      continue;
    }
    if (base(c.words[0]) !== 'rm') continue;
    const args = c.call.Args as ShNode[];
    const paths: { i: number; path: string | null }[] = [];
    for (let i = 1; i < args.length; i++) {
      const w = c.words[i];
      if (w !== null && w !== undefined && w.startsWith('-') && paths.length === 0) continue;
      let v: string | null = null;
      try { v = wordValue(args[i], r0); } catch (e) { if (!(e instanceof Refusal)) throw e; }
      paths.push({ i, path: v === null ? null : normPath(v.replace(/\/\*(\.[\w*]+)?$/, '').replace(/\/\*$/, '')) });
    }
    const inCache = paths.filter((p) => p.path !== null && targets.some((t) => inside(p.path!, t)));
    const above = paths.filter((p) => p.path !== null && p.path !== '/' && targets.some((t) => inside(t, p.path!) && t !== p.path));
    if (above.length) refuse(`rm removes ${above[0]!.path}, which contains the cache mount ${targets.find((t) => inside(t, above[0]!.path!))}: rm would fail on the mount point, and it also cleans more than the cache; change it by hand`);
    if (inCache.length === 0) continue;
    const shown = inCache.map((p) => c.words[p.i] ?? '?').join(' ');
    if (inCache.length === paths.length) removeCommand(c, `rm ${shown}`);
    else for (const p of inCache.reverse()) removeWord(c, p.i, c.words[p.i] ?? 'an rm argument');
    notes.push(`removes the clean-up of ${shown}`);
  }

  const expected: (string | null)[][] = [];
  for (const c of all) {
    if (removedCmds.has(c)) continue;
    const rm = removedArgs.get(c), rep = replacedArgs.get(c), insA = insertedAfter.get(c);
    const w: (string | null)[] = [];
    c.words.forEach((x, i) => {
      if (rm?.has(i)) return;
      w.push(rep?.get(i) ?? x);
      const add = insA?.get(i);
      if (add) w.push(...add.split(' '));
    });
    expected.push(w);
  }
  return { edits, expected, notes };
}

/** Applies the edits, re-parses the RUN and checks it has the mounts and exactly the expected commands. */
export function verify(doc: DocView, ins: Run, edits: Edit[], flags: string[], expected: (string | null)[][]): void {
  // re-parse just this RUN (with the file's escape directive), not the whole file: it is all that changed
  const { start, end } = doc.span(ins);
  const own = edits.filter((e) => e.start >= start && e.end <= end).map((e) => ({ ...e, start: e.start - start, end: e.end - start }));
  if (own.length !== edits.length) refuse('the rewrite reaches outside the RUN; left unchanged');
  const head = doc.escapeChar === '\\' ? '' : `# escape=${doc.escapeChar}${doc.eol}`;
  const after = new DocView(`${head}FROM scratch${doc.eol}${applyEdits(doc.text.slice(start, end), own)}${doc.eol}`);
  const run = after.instructions()[1];
  const fail = (why: string): never => refuse(`the rewritten RUN did not re-parse as expected (${why}); left unchanged`);
  if (!run || run.getKeyword() !== 'RUN') return fail('the instruction moved');
  const have = (run as Run).getFlags().map((f) => after.slice(f));
  for (const f of flags) if (!have.includes(f)) fail(`missing ${f}`);
  const view = runShellView(after, run);
  if (!view) return fail('no command');
  const p = parseView(view);
  if ('error' in p) return fail(p.error);
  const got = simpleCommands(p.file).map((c) => c.words);
  if (JSON.stringify(got) !== JSON.stringify(expected)) fail(`commands ${JSON.stringify(got)} instead of ${JSON.stringify(expected)}`);
}
