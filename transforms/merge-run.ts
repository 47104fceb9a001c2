/**
 * merge-run: joins consecutive RUN instructions of one stage into one `&&` chain.
 *
 * Each RUN starts a fresh shell, so the join is only made where the later commands would see exactly
 * the state they saw before. It refuses (leaving both RUNs as they are, with the reason on the line) when:
 * - the earlier RUN changes shell state in its own shell: cd, pushd/popd, export, unset, set, shopt, umask,
 *   ulimit, alias, trap, source/., declare/typeset/readonly/local, eval, a function definition, or an
 *   assignment without a command (found with a real shell parser; subshells and pipelines don't count);
 * - the earlier RUN ends the shell early (exit, return, exec) or starts a background job (`&`);
 * - the later RUN has several top-level commands (`;`, newlines) or a top-level `||`, which `&&` would
 *   let run after an earlier failure;
 * - either RUN is exec (JSON) form or a heredoc, their flags differ (--mount, --network, --security),
 *   a SHELL that is not a POSIX shell is in force, the image is Windows, or the earlier RUN ends with a
 *   comment (the `&&` would be commented out).
 * Comment lines between the RUNs stay, in order, inside the continuation (BuildKit skips them).
 *
 * Before:  RUN apt-get update
 *          RUN apt-get install -y curl
 * After:   RUN apt-get update \
 *              && apt-get install -y curl
 */
import type { Instruction, Run } from 'dockerfile-ast';
import { isExecForm, type DocView } from '../src/document.js';
import { replaceRange, type Edit } from '../src/edits.js';
import { Op, commentOffsets, nodeType, parseShell, runShellView, stateHazard, type ParsedShell, type ShellView } from '../src/shell.js';
import { shellOfStages } from '../src/stages.js';
import type { Outcome, Transform } from '../src/types.js';

interface Analysed {
  ins: Run;
  view: ShellView | null;
  parsed: ParsedShell | null;
  /** Why this RUN can take part in no merge at all. */
  unusable: string | null;
}

export const mergeRun: Transform = {
  id: 'merge-run',
  summary: 'Merge consecutive RUN instructions into one && chain where the shell semantics stay identical',
  safety: 'build-only',
  defaults: {},
  apply(doc) {
    const outcomes: Outcome[] = [];
    const shells = shellOfStages(doc);
    for (const stage of doc.stages()) {
      let chain: Analysed[] = [];
      const flush = () => {
        if (chain.length > 1) outcomes.push(...mergeChain(doc, chain));
        chain = [];
      };
      for (const ins of stage.instructions) {
        if (ins.getKeyword() !== 'RUN') { flush(); continue; }
        const posixProblem = shells.problemAt(ins);
        chain.push(analyse(doc, ins as Run, posixProblem));
      }
      flush();
    }
    return outcomes;
  },
};

function analyse(doc: DocView, ins: Run, shellProblem: string | null): Analysed {
  const base = { ins, view: null, parsed: null };
  if (shellProblem) return { ...base, unusable: shellProblem };
  if (isExecForm(ins)) return { ...base, unusable: 'it is in exec (JSON) form, which runs without a shell' };
  if (ins.getHeredocs().length > 0) return { ...base, unusable: 'it uses a heredoc' };
  const view = runShellView(doc, ins);
  if (!view || view.text.trim() === '') return { ...base, unusable: 'it has no command' };
  const parsed = parseShell(view.text);
  if ('error' in parsed) return { ...base, view, unusable: `its shell command does not parse (${parsed.error})` };
  return { ins, view, parsed, unusable: null };
}

const flagsText = (doc: DocView, ins: Run): string[] => ins.getFlags().map((f) => doc.slice(f));

/** Why `a && b` could behave differently from RUN a; RUN b, with the line to report; null when it cannot. */
function pairHazard(doc: DocView, a: Analysed, b: Analysed): { line: number; reason: string } | null {
  const bLine = doc.lineOfNode(b.ins);
  const aLine = doc.lineOfNode(a.ins);
  if (a.unusable) return { line: aLine, reason: `not merged with the RUN on line ${bLine}: ${a.unusable}` };
  if (b.unusable) return { line: bLine, reason: `not merged with the RUN on line ${aLine}: ${b.unusable}` };
  const fa = flagsText(doc, a.ins), fb = flagsText(doc, b.ins);
  if (fa.join('\u0000') !== fb.join('\u0000')) {
    return { line: bLine, reason: `not merged with the RUN on line ${aLine}: their flags differ (${fa.join(' ') || 'none'} vs ${fb.join(' ') || 'none'})` };
  }
  const pa = a.parsed!, pb = b.parsed!, va = a.view!;
  const hz = stateHazard(pa);
  if (hz) {
    return { line: doc.lineOf(va.toDoc(hz.offset)), reason: `not merged with the RUN on line ${bLine}: ${hz.reason}` };
  }
  const lastStmt = pa.file.Stmts[pa.file.Stmts.length - 1];
  const aEnd = lastStmt ? pa.offset(lastStmt.End()) : 0;
  if (commentOffsets(pa).some((o) => o >= aEnd)) {
    return { line: aLine, reason: `not merged with the RUN on line ${bLine}: it ends with a shell comment, which would swallow the joined commands` };
  }
  const aEndLine = doc.lineIndexAt(doc.span(a.ins).end);
  if (doc.lineText(aEndLine).trimStart().startsWith('#')) {
    return { line: aLine, reason: `not merged with the RUN on line ${bLine}: it ends with a comment line inside its continuation` };
  }
  const stmtsB = pb.file.Stmts;
  if (stmtsB.length > 1) {
    return { line: bLine, reason: `not merged with the RUN on line ${aLine}: it has several commands separated by ';' or newlines, which after '&&' would still run when an earlier command failed` };
  }
  if (stmtsB[0]?.Background) {
    return { line: bLine, reason: `not merged with the RUN on line ${aLine}: it ends with '&', which after '&&' would send the earlier RUN's commands to the background too` };
  }
  // `A && x || y && z` groups as `((A && x) || y) && z`: any top-level `||` of the later RUN, not only its
  // last operator, would also catch a failure of A. The and-or list is the left spine of BinaryCmds.
  let node = stmtsB[0]?.Cmd;
  while (nodeType(node) === 'BinaryCmd' && (node.Op === Op.And || node.Op === Op.Or)) {
    if (node.Op === Op.Or) {
      return { line: bLine, reason: `not merged with the RUN on line ${aLine}: its top-level '||' would also catch a failure of the earlier RUN's commands` };
    }
    node = node.X?.Cmd;
  }
  const joined = parseShell(`${va.text} && ${b.view!.text}`);
  if ('error' in joined || joined.file.Stmts.length !== pa.file.Stmts.length) {
    return { line: aLine, reason: `not merged with the RUN on line ${bLine}: the joined command would not parse as the same commands` };
  }
  return null;
}

function mergeChain(doc: DocView, chain: Analysed[]): Outcome[] {
  const outcomes: Outcome[] = [];
  let group: Analysed[] = [chain[0]!];
  const emit = () => {
    if (group.length > 1) outcomes.push(joinGroup(doc, group));
    group = [];
  };
  for (let k = 1; k < chain.length; k++) {
    const a = chain[k - 1]!, b = chain[k]!;
    const hz = pairHazard(doc, a, b);
    if (hz) {
      outcomes.push({ kind: 'refuse', line: hz.line, reason: hz.reason });
      emit();
      group = [b];
    } else {
      group.push(b);
    }
  }
  emit();
  return outcomes;
}

/** One rewrite: every gap between the RUNs of the group becomes a `&&` continuation. */
function joinGroup(doc: DocView, group: Analysed[]): Outcome {
  const esc = doc.escapeChar;
  const trailing = group.some((g) => usesTrailingAnd(doc, g.ins));
  const indent = doc.continuationIndentOf(group.map((g) => g.ins));
  const edits: Edit[] = [];
  for (let k = 1; k < group.length; k++) {
    const a = group[k - 1]!.ins, b = group[k]!.ins;
    const start = doc.span(a).end;
    const end = doc.offsetAt(b.getArgumentsRange()!.start);
    // keep the comment lines between the two RUNs, in order; blank lines go (BuildKit warns on empty continuation lines)
    const between: string[] = [];
    for (let l = doc.lineIndexAt(start) + 1; l < b.getRange().start.line; l++) {
      const t = doc.lineText(l);
      if (t.trimStart().startsWith('#')) between.push(t + doc.eol);
    }
    const head = trailing ? ` && ${esc}${doc.eol}` : ` ${esc}${doc.eol}`;
    const tail = trailing ? indent : `${indent}&& `;
    edits.push(replaceRange(start, end, head + between.join('') + tail));
  }
  const first = group[0]!.ins;
  return {
    kind: 'rewrite',
    line: doc.lineOfNode(first),
    message: `merged ${group.length} consecutive RUN instructions (lines ${group.map((g) => doc.lineOfNode(g.ins)).join(', ')}) into one`,
    edits,
  };
}

/** True when the instruction continues lines as `cmd && \` rather than starting them with `&& cmd`. */
function usesTrailingAnd(doc: DocView, ins: Instruction): boolean {
  const r = ins.getRange();
  for (let l = r.start.line; l < r.end.line; l++) {
    const t = doc.lineText(l).trimEnd();
    if (t.endsWith(doc.escapeChar) && /&&\s*$/.test(t.slice(0, -1))) return true;
  }
  return false;
}
