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
  env: ReadonlyMap<string, string>;
  /** ARG names declared in the stage, with their default (null when none). */
  args: ReadonlyMap<string, string | null>;
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
    // the stage shares its parent's ENV values (a layer over them, never a copy: copies made long
    // chains of stages quadratic)
    let st: InstructionState = parent
      ? { ...parent, stage, args: Scope.empty() }
      : { stage, shell: null, user: null, workdir: null, env: Scope.empty(), args: Scope.empty(), baseImage: stage.from.getImage() };
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
      const own = new Map<string, string>();
      for (const p of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
        own.set(p.getName(), p.getValue() ?? '');
      }
      return { ...st, env: (st.env as Scope<string>).with(own) };
    }
    case 'ARG': {
      const own = new Map<string, string | null>();
      for (const p of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
        own.set(p.getName(), p.getValue());
      }
      return { ...st, args: (st.args as Scope<string | null>).with(own) };
    }
    default:
      return st;
  }
}

/**
 * A read-only map made of layers: each ENV (or ARG) adds one layer of its own values over the ones in
 * force, so a state costs what its instruction sets, not what the whole chain of stages has set. A
 * lookup walks at most MAX_DEPTH layers: a deeper scope is flattened into one layer first.
 */
export class Scope<V> implements ReadonlyMap<string, V> {
  private static readonly MAX_DEPTH = 32;
  private flat: Map<string, V> | null = null;

  private constructor(private readonly own: ReadonlyMap<string, V>, private readonly parent: Scope<V> | null, private readonly depth: number) {}

  static empty<V>(): Scope<V> { return new Scope<V>(new Map(), null, 0); }

  /** This scope with `own` over it. */
  with(own: ReadonlyMap<string, V>): Scope<V> {
    if (this.depth + 1 < Scope.MAX_DEPTH) return new Scope(own, this, this.depth + 1);
    const all = new Map(this.all());
    for (const [k, v] of own) all.set(k, v);
    return new Scope(all, null, 0);
  }

  get(key: string): V | undefined {
    for (let s: Scope<V> | null = this; s; s = s.parent) if (s.own.has(key)) return s.own.get(key);
    return undefined;
  }

  has(key: string): boolean {
    for (let s: Scope<V> | null = this; s; s = s.parent) if (s.own.has(key)) return true;
    return false;
  }

  /** Every entry in force (built once, when someone iterates). */
  private all(): Map<string, V> {
    if (this.flat) return this.flat;
    const chain: Scope<V>[] = [];
    for (let s: Scope<V> | null = this; s; s = s.parent) chain.push(s);
    const m = new Map<string, V>();
    for (let i = chain.length - 1; i >= 0; i--) for (const [k, v] of chain[i]!.own) m.set(k, v);
    this.flat = m;
    return m;
  }

  get size(): number { return this.all().size; }
  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void { this.all().forEach((v, k) => fn(v, k, this)); }
  entries(): MapIterator<[string, V]> { return this.all().entries(); }
  keys(): MapIterator<string> { return this.all().keys(); }
  values(): MapIterator<V> { return this.all().values(); }
  [Symbol.iterator](): MapIterator<[string, V]> { return this.all()[Symbol.iterator](); }
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
