/**
 * What is in force at each instruction of a Dockerfile, from the Dockerfile alone: the SHELL, USER,
 * WORKDIR, ENV and ARG values set so far in the stage (and in the stage it builds on via `FROM <stage>`).
 * Values set by a base image are not known here; transforms that need them keep their own tables.
 */
import type { Instruction, From } from 'dockerfile-ast';
import { execArgs, type DocView, type Stage } from './document.js';

export interface InstructionState {
  /** The stage the instruction belongs to. */
  stage: Stage;
  /** SHELL in force (exec array), or null for the image default (`/bin/sh -c` on Linux). */
  shell: string[] | null;
  /** USER in force from this Dockerfile, or null when none was set (the base image's user). */
  user: string | null;
  /** WORKDIR in force from this Dockerfile, or null (the base image's). */
  workdir: string | null;
  /** ENV values set in this Dockerfile (raw, unexpanded text after unquoting). */
  env: Map<string, string>;
  /** ARG names declared in the stage, with their default (null when none). */
  args: Map<string, string | null>;
  /** The root (non-stage) image the stage chain starts from, e.g. `node:20`, or null when unknown. */
  baseImage: string | null;
}

const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'mksh', 'zsh', 'busybox']);
const WINDOWS_IMAGE = /(^|[/:-])(windows|nanoserver|servercore|windowsservercore)([:/@-]|$)|ltsc20\d\d|mcr\.microsoft\.com\/windows/i;

/** Is the image reference (as written after FROM) a Windows image? */
export function isWindowsImage(image: string | null): boolean {
  return image !== null && WINDOWS_IMAGE.test(image);
}

/** Computes the state before each instruction (the state it runs in). */
export function instructionStates(doc: DocView): Map<Instruction, InstructionState> {
  let cached = statesCache.get(doc);
  if (!cached) { cached = computeStates(doc); statesCache.set(doc, cached); }
  return cached;
}
const statesCache = new WeakMap<DocView, Map<Instruction, InstructionState>>();

function computeStates(doc: DocView): Map<Instruction, InstructionState> {
  const out = new Map<Instruction, InstructionState>();
  const finalStates = new Map<string, InstructionState>();
  for (const stage of doc.stages()) {
    const parentName = stage.from.getImage()?.toLowerCase() ?? null;
    const parent = parentName !== null ? finalStates.get(parentName) : undefined;
    let st: InstructionState = parent
      ? { ...parent, stage, env: new Map(parent.env), args: new Map() }
      : { stage, shell: null, user: null, workdir: null, env: new Map(), args: new Map(), baseImage: stage.from.getImage() };
    for (const ins of stage.instructions) {
      out.set(ins, st);
      st = nextState(st, ins);
    }
    if (stage.name) finalStates.set(stage.name, st);
    finalStates.set(String(stage.index), st);
  }
  return out;
}

function nextState(st: InstructionState, ins: Instruction): InstructionState {
  switch (ins.getKeyword()) {
    case 'SHELL':
      // a SHELL that is not a JSON array is rejected by BuildKit: keep a marker that is not a POSIX shell
      return { ...st, shell: execArgs(ins) ?? ['<invalid SHELL>'] };
    case 'USER': {
      const args = ins.getArguments();
      return { ...st, user: args[0]?.getValue() ?? null };
    }
    case 'WORKDIR': {
      const raw = ins.getArguments()[0]?.getValue() ?? null;
      if (raw === null) return st;
      // BuildKit removes one level of quotes: WORKDIR "/app/x" is /app/x
      const dir = /^"(.*)"$|^'(.*)'$/.exec(raw)?.slice(1).find((x) => x !== undefined) ?? raw;
      const joined = dir.startsWith('/') || st.workdir === null ? (dir.startsWith('/') ? dir : '/' + dir) : `${st.workdir.replace(/\/$/, '')}/${dir}`;
      return { ...st, workdir: joined };
    }
    case 'ENV': {
      const env = new Map(st.env);
      for (const p of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
        env.set(p.getName(), p.getValue() ?? '');
      }
      return { ...st, env };
    }
    case 'ARG': {
      const args = new Map(st.args);
      for (const p of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
        args.set(p.getName(), p.getValue());
      }
      return { ...st, args };
    }
    default:
      return st;
  }
}

/** Why the shell in force at an instruction is not a POSIX shell (so shell analysis does not apply), or null. */
export function shellProblem(st: InstructionState | undefined): string | null {
  if (!st) return null;
  if (st.shell) {
    const exe = (st.shell[0] ?? '').split(/[\\/]/).pop()!.toLowerCase().replace(/\.exe$/, '');
    if (!POSIX_SHELLS.has(exe)) return `the SHELL in force (${JSON.stringify(st.shell)}) is not a POSIX shell`;
    return null;
  }
  if (isWindowsImage(st.baseImage)) return `the base image ${st.baseImage} is a Windows image (its default shell is cmd)`;
  return null;
}

/** Convenience for transforms that only need the shell check. */
export function shellOfStages(doc: DocView): { problemAt(ins: Instruction): string | null; stateAt(ins: Instruction): InstructionState | undefined } {
  const states = instructionStates(doc);
  return { problemAt: (ins) => shellProblem(states.get(ins)), stateAt: (ins) => states.get(ins) };
}

export type { From };

/**
 * Indexes of the stages a shipped image contains: the final stage and every stage it is built on through
 * `FROM <stage>` (its FROM chain). A stage that is only a `COPY --from` source, or not used at all, is a
 * builder stage: none of its layers ship. `FROM` with a variable is taken to name an image, not a stage.
 * This reads the Dockerfile alone; build intent from outside it (a `--target`, compose `target:`) is not
 * known here, and is where this function would be extended.
 */
export function shippedStages(doc: DocView): Set<number> {
  const stages = doc.stages();
  const out = new Set<number>();
  let cur = stages.length - 1;
  while (cur >= 0 && !out.has(cur)) {
    out.add(cur);
    const ref = stages[cur]!.from.getImage()?.toLowerCase() ?? null;
    if (ref === null) break;
    const earlier = stages.slice(0, cur);
    const byName = earlier.find((s) => s.name === ref);
    cur = byName ? byName.index : /^\d+$/.test(ref) && Number(ref) < cur ? Number(ref) : -1;
  }
  return out;
}
