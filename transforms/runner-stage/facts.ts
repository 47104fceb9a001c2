/**
 * What the instructions of the single stage do, read once for every runner-stage recipe: each simple
 * command of each RUN (through the shell parser, with its working directory and environment), the COPY
 * destinations, the RUN --mount targets and the start command (ENTRYPOINT and CMD as one argv).
 */
import type { Instruction } from 'dockerfile-ast';
import { execArgs, isExecForm, type DocView, type Stage } from '../../src/document.js';
import type { ImageRef } from '../../src/base-images.js';
import { nodeType, parseView, runShellView, simpleCommands, wordLit, type ParsedShell, type ShellView, type ShNode } from '../../src/shell.js';
import { instructionStates, shellProblem, type InstructionState } from '../../src/stages.js';
import { flagsOf, resolve } from './common.js';
import type { Refusal } from './recipe.js';

/** One simple command of a RUN, with what the recipe needs to judge it. */
export interface Cmd {
  words: (string | null)[];
  call: ShNode;
  ins: Instruction;
  line: number;
  /** Working directory (null when a `cd` earlier in the same RUN makes it unknown). */
  cwd: string | null;
  env: ReadonlyMap<string, string>;
  /** Variable assignments written before the command (`CGO_ENABLED=0 go build`). */
  assigns: Map<string, string | null>;
  view: ShellView;
  parsed: ParsedShell;
}

/** What the instructions of the stage do at run time, collected once for every recipe. */
export interface StageFacts {
  stage: Stage;
  ref: ImageRef;
  cmds: Cmd[];
  copies: { ins: Instruction; dest: string | null; chown: string | null }[];
  start: Start;
  /** WORKDIR in force at the start command (the image's own when the file sets none). */
  runtimeWorkdir: string | null;
  states: Map<Instruction, InstructionState>;
  /** RUN --mount targets: what is built there is not in the stage's file system. */
  mounts: { dir: string; line: number }[];
}

export interface Start {
  argv: (string | null)[];
  shellForm: boolean;
  ins: Instruction;
  hasEntrypoint: boolean;
}

/** Reads the stage: every RUN command (through the shell parser), COPY destinations and the start command. */
export function collect(doc: DocView, stage: Stage, ref: ImageRef, imageWorkdir: string | null): StageFacts | Refusal {
  const states = instructionStates(doc);
  const cmds: Cmd[] = [];
  const copies: StageFacts['copies'] = [];
  const mounts: { dir: string; line: number }[] = [];
  let entrypoint: Instruction | null = null, cmd: Instruction | null = null;
  for (const ins of stage.instructions) {
    const st = states.get(ins)!;
    const line = doc.lineOfNode(ins);
    const kw = ins.getKeyword();
    if (kw === 'RUN') {
      const problem = shellProblem(st);
      if (problem) return { line, refuse: problem };
      if (isExecForm(ins)) return { line, refuse: 'the RUN is in exec (JSON) form; runner-stage reads only shell-form RUNs' };
      if ((ins as unknown as { getHeredocs(): unknown[] }).getHeredocs().length > 0) return { line, refuse: 'the RUN uses a heredoc, whose effect runner-stage does not read' };
      for (const fl of flagsOf(ins)) {
        if (fl.getName() !== 'mount') continue;
        const opt = (k: string) => fl.getOptions().find((o) => o.getName() === k)?.getValue() ?? null;
        const target = opt('target') ?? opt('dst') ?? opt('destination');
        if (target !== null && (opt('type') ?? 'bind') !== 'secret' && (opt('type') ?? 'bind') !== 'ssh') mounts.push({ dir: resolve(st.workdir ?? imageWorkdir ?? '/', target), line });
      }
      const view = runShellView(doc, ins);
      if (!view) continue;
      const parsed = parseView(view);
      if ('error' in parsed) return { line, refuse: `the RUN's shell command does not parse (${parsed.error})` };
      let cwd: string | null = st.workdir ?? imageWorkdir ?? '/';
      for (const c of simpleCommands(parsed.file)) {
        if (nodeType(c.call) !== 'CallExpr') return { line, refuse: `the RUN declares shell variables (${c.words[0]}), whose effect runner-stage does not follow` };
        const assigns = new Map<string, string | null>();
        for (const a of c.call.Assigns as ShNode[]) assigns.set(a.Name.Value as string, a.Value ? wordLit(a.Value) : '');
        if (c.words.length === 0) continue;
        const name = c.words[0];
        if (name === 'cd' || name === 'pushd' || name === 'popd') {
          if (!c.inMainShell) continue;
          const to = c.words[1];
          cwd = name === 'cd' && typeof to === 'string' && cwd !== null ? resolve(cwd, to) : null;
          continue;
        }
        cmds.push({ words: c.words, call: c.call, ins, line: doc.lineOf(view.toDoc(parsed.offset(c.call.Pos()))), cwd, env: st.env, assigns, view, parsed });
      }
    } else if (kw === 'COPY' || kw === 'ADD') {
      const chownFlag = flagsOf(ins).find((f) => f.getName() === 'chown');
      copies.push({ ins, dest: copyDest(ins, st), chown: chownFlag ? doc.slice(chownFlag) : null });
    } else if (kw === 'ENTRYPOINT') {
      entrypoint = ins;
    } else if (kw === 'CMD') {
      cmd = ins;
    }
  }
  const startIns = entrypoint ?? cmd;
  if (!startIns) return { line: doc.lineOfNode(stage.from), refuse: 'there is no CMD or ENTRYPOINT, so what runs (and what it needs) cannot be told' };
  const argvOf = (ins: Instruction): { argv: (string | null)[]; shellForm: boolean } | Refusal => {
    const exec = execArgs(ins);
    if (exec) return { argv: exec, shellForm: false };
    const view = runShellView(doc, ins);
    const parsed = view ? parseView(view) : null;
    if (!parsed || 'error' in parsed) return { line: doc.lineOfNode(ins), refuse: `the ${ins.getKeyword()} does not parse as a shell command` };
    const stmts = parsed.file.Stmts as ShNode[];
    if (stmts.length !== 1 || nodeType(stmts[0].Cmd) !== 'CallExpr') return { line: doc.lineOfNode(ins), refuse: `the ${ins.getKeyword()} is not a single command, so what it runs cannot be told` };
    let words = (stmts[0].Cmd.Args as ShNode[]).map(wordLit);
    if (words[0] === 'exec') words = words.slice(1);
    return { argv: words, shellForm: true };
  };
  let start: Start;
  const first = argvOf(startIns);
  if ('refuse' in first) return first;
  if (entrypoint && !first.shellForm && cmd) {
    const rest = argvOf(cmd);
    if ('refuse' in rest) return rest;
    start = { argv: [...first.argv, ...(rest.shellForm ? [] : rest.argv)], shellForm: rest.shellForm, ins: startIns, hasEntrypoint: true };
  } else {
    start = { ...first, ins: startIns, hasEntrypoint: entrypoint !== null };
  }
  if (start.argv.length === 0 || start.argv[0] === null) return { line: doc.lineOfNode(startIns), refuse: `the ${startIns.getKeyword()} runs a program whose name is only known at run time` };
  const runtimeWorkdir = states.get(startIns)?.workdir ?? imageWorkdir;
  return { stage, ref, cmds, copies, start, runtimeWorkdir, states, mounts };
}

function copyDest(ins: Instruction, st: InstructionState): string | null {
  let dest: string | undefined;
  const arr = execArgs(ins);
  if (arr) {
    dest = arr[arr.length - 1];
  } else {
    const args = ins.getArguments();
    if (args.length < 2) return null;
    dest = args[args.length - 1]!.getValue();
  }
  if (!dest || dest.includes('$')) return null;
  return resolve(st.workdir ?? '/', dest);
}
