/**
 * The lines runner-stage carries into the runner (ENV, WORKDIR and USER copied; LABEL, EXPOSE, VOLUME,
 * STOPSIGNAL, HEALTHCHECK, ENTRYPOINT and CMD moved, with their comment lines): which of them cannot go as
 * they are, and the edits that name the build stage, move the lines and append the runner stage.
 */
import type { Flag, Instruction } from 'dockerfile-ast';
import type { DocView } from '../../src/document.js';
import { insertAt, removeRange, replaceRange, type Edit } from '../../src/edits.js';
import { lookupImage, parseImageRef, type Toolchain } from '../../src/base-images.js';
import { base } from './common.js';
import type { StageFacts } from './facts.js';
import type { RecipeResult, Refusal, Runner } from './recipe.js';

const COPIED = new Set(['ENV', 'WORKDIR', 'USER']);
const MOVED = new Set(['LABEL', 'MAINTAINER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD']);
/** Runner settings that go after the COPY lines. */
const AFTER_COPY = new Set(['USER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD']);
/** Instructions whose arguments the Dockerfile expands ($VAR), so an ARG they use must exist in the runner. */
const EXPANDS = new Set(['ENV', 'WORKDIR', 'USER', 'LABEL', 'EXPOSE', 'VOLUME', 'STOPSIGNAL']);

/** The lines that move or are copied into the runner, or why one of them cannot go. */
export function carriedLines(doc: DocView, facts: StageFacts, runner: Runner, toolchain: Toolchain): Instruction[] | Refusal {
  const carried: Instruction[] = [];
  for (const ins of facts.stage.instructions) {
    const kw = ins.getKeyword();
    if (kw === 'SHELL' || kw === 'ONBUILD') return { line: doc.lineOfNode(ins), refuse: `${kw} is not carried into a runner stage; split the file by hand` };
    if (COPIED.has(kw) || MOVED.has(kw)) carried.push(ins);
  }
  for (const ins of carried) {
    const r = carriedProblem(doc, ins, facts, runner, toolchain);
    if (r) return { line: doc.lineOfNode(ins), refuse: r };
  }
  return carried;
}

/** Why a line cannot go into the runner as it is, or null. */
function carriedProblem(doc: DocView, ins: Instruction, facts: StageFacts, runner: Runner, toolchain: Toolchain): string | null {
  const kw = ins.getKeyword();
  const st = facts.states.get(ins);
  if (EXPANDS.has(kw) && st) {
    const text = doc.slice(ins);
    for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const name = m[1]!;
      if (st.args.has(name) && !st.env.has(name)) return `it uses the build argument ${name}, which the runner stage would not declare`;
    }
  }
  if (kw === 'USER') {
    const u = (ins.getArguments()[0]?.getValue() ?? '').split(':')[0]!;
    if (!/^\d+$/.test(u) && u !== 'root') {
      const runnerRef = parseImageRef(runner.image);
      const users = runnerRef ? lookupImage(runnerRef)?.users ?? {} : {};
      if (!(u in users)) return `USER ${u} names a user the runner image ${runner.image} does not have (use a numeric uid)`;
    }
  }
  if (kw === 'VOLUME') {
    const k = facts.stage.instructions.indexOf(ins);
    if (facts.stage.instructions.slice(k + 1).some((i) => i.getKeyword() === 'RUN')) return 'a RUN after this VOLUME would behave differently once the VOLUME moves to the runner';
  }
  if (kw === 'HEALTHCHECK') {
    const args = ins.getArguments().map((a) => a.getValue());
    if (args[0]?.toUpperCase() === 'NONE') return null;
    const cmdIdx = args.findIndex((a) => a.toUpperCase() === 'CMD');
    const rest = doc.slice(ins).slice(doc.slice(ins).search(/\bCMD\b/i) + 3).trim();
    let prog: string | null = null;
    if (rest.startsWith('[')) {
      try { prog = (JSON.parse(rest) as string[])[0] ?? null; } catch { prog = null; }
      if (prog === 'CMD-SHELL') return 'the HEALTHCHECK runs a shell command, which the runner may not be able to run';
    } else {
      if (runner.distroless) return 'the shell-form HEALTHCHECK needs /bin/sh, which the runner lacks';
      prog = args[cmdIdx + 1] ?? null;
    }
    const startProg = facts.start.argv[0] ?? null;
    const ok = prog !== null && (prog === startProg || (toolchain === 'node' && base(prog) === 'node') || (toolchain === 'python' && /^python[\d.]*$/.test(base(prog))) || (toolchain === 'java' && base(prog) === 'java'));
    if (!ok) return `the HEALTHCHECK runs ${prog ?? 'a command'}, which the runner image ${runner.image} may not have`;
  }
  return null;
}

/**
 * The edits that make the runner: the build stage is named, the moved lines leave it, and the runner stage
 * (FROM the runner image, the carried lines, the recipe's COPY --from lines) is appended. Also returns the
 * stage name and the moved lines, for the message.
 */
export function runnerEdits(doc: DocView, facts: StageFacts, carried: Instruction[], recipe: RecipeResult, runner: Runner, platform: Flag | undefined): { edits: Edit[]; stageName: string; moved: Instruction[] } {
  const stage = facts.stage;
  const eol = doc.eol;
  const edits: Edit[] = [...recipe.edits];
  const upper = doc.slice(stage.from.getInstructionRange()) !== doc.slice(stage.from.getInstructionRange()).toLowerCase();
  const kw = (w: string) => (upper ? w.toUpperCase() : w.toLowerCase());
  const stageName = stage.from.getBuildStage() ?? 'build';
  if (!stage.from.getBuildStage()) edits.push(insertAt(doc.span(stage.from).end, ` ${kw('AS')} ${stageName}`));

  const moved = carried.filter((i) => MOVED.has(i.getKeyword()));
  const blockStart = new Map<Instruction, number>();
  for (const ins of moved) {
    let line = ins.getRange().start.line;
    const k = stage.instructions.indexOf(ins);
    const prevEnd = k > 0 ? stage.instructions[k - 1]!.getRange().end.line : stage.from.getRange().end.line;
    while (line - 1 > prevEnd && doc.lineText(line - 1).trimStart().startsWith('#')) line--;
    blockStart.set(ins, doc.lineStart(line));
  }
  const textOf = (ins: Instruction) => doc.text.slice(blockStart.get(ins) ?? doc.lineStart(ins.getRange().start.line), doc.span(ins).end);
  const before = carried.filter((i) => !AFTER_COPY.has(i.getKeyword())).map(textOf);
  const after = carried.filter((i) => AFTER_COPY.has(i.getKeyword())).map(textOf);
  const chown = facts.copies.find((c) => c.chown !== null)?.chown ?? null;
  const copyLines = recipe.copies.map((c) => `${kw('COPY')} --from=${stageName}${recipe.chown && chown ? ' ' + chown : ''} ${c.src} ${c.dest}`);
  const platformText = platform ? ' ' + doc.slice(platform) : '';
  const runnerLines = [`${kw('FROM')}${platformText} ${runner.image}`, ...before, ...copyLines, ...after];

  // the tail after the last instruction that stays: when it holds only blank lines and moved lines,
  // replace it whole (no stray blank lines are left); otherwise remove the moved lines one by one
  const kept = [stage.from, ...stage.instructions.filter((i) => !moved.includes(i))];
  const lastKept = kept[kept.length - 1]!;
  const tailStart = doc.lineSpan(lastKept).end;
  const endsWithEol = doc.text.endsWith('\n');
  const tailIsMovable = (() => {
    let pos = tailStart;
    const ranges = moved.map((m) => ({ start: blockStart.get(m)!, end: doc.lineSpan(m).end })).filter((r) => r.start >= tailStart).sort((a, b) => a.start - b.start);
    for (const r of ranges) {
      if (doc.text.slice(pos, r.start).trim() !== '') return false;
      pos = r.end;
    }
    return doc.text.slice(pos).trim() === '';
  })();
  const runnerText = eol + runnerLines.join(eol) + (endsWithEol ? eol : '');
  for (const m of moved) {
    const start = blockStart.get(m)!;
    if (tailIsMovable && start >= tailStart) continue;
    edits.push(removeRange(start, doc.lineSpan(m).end));
  }
  if (tailIsMovable && tailStart < doc.text.length) edits.push(replaceRange(tailStart, doc.text.length, runnerText));
  else edits.push(insertAt(doc.text.length, (doc.text.length > 0 && !endsWithEol ? eol : '') + runnerText));
  return { edits, stageName, moved };
}
