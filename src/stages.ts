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
  /** Why the file builds a Windows image (windowsReason), or null. */
  windows: string | null;
}

const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'mksh', 'zsh', 'busybox']);
const WINDOWS_IMAGE = /(^|[/:-])(windows|nanoserver|servercore|windowsservercore)([:/@-]|$)|ltsc20\d\d|mcr\.microsoft\.com\/windows/i;

/** Is the image reference (as written after FROM) a Windows image? */
export function isWindowsImage(image: string | null): boolean {
  return image !== null && WINDOWS_IMAGE.test(image);
}

/** ARGs declared before the first FROM (the ones FROM may use), with their defaults (null when none). */
export function metaArgs(doc: DocView): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const ins of doc.instructions()) {
    if (ins.getKeyword() === 'FROM') break;
    if (ins.getKeyword() !== 'ARG') continue;
    for (const p of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) out.set(p.getName(), p.getValue());
  }
  return out;
}

/**
 * Expands `$X`, `${X}`, `${X:-d}` / `${X-d}` and `${X:+v}` in `text` from `vars` (null: declared without a
 * value); null when some variable has no known value.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string | null>): string | null {
  let unknown = false;
  const out = text.replace(/\$(?:\{(\w+)(?:(:?[-+])([^}]*))?\}|(\w+))/g, (_m, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = vars.has(name) ? vars.get(name)! : null;
    if (op === ':-' || op === '-') return v === null || (op === ':-' && v === '') ? (word ?? '') : v;
    if (op === ':+' || op === '+') return v === null || (op === ':+' && v === '') ? '' : (word ?? '');
    if (v === null) { unknown = true; return ''; }
    return v;
  });
  return unknown ? null : out;
}

const WINDOWS_SHELLS = new Set(['cmd', 'powershell', 'pwsh']);

/**
 * Why the Dockerfile builds a Windows image, or null: the backtick escape directive, a SHELL that is
 * cmd, powershell or pwsh, or a FROM whose image (expanded through the ARG defaults before the first
 * FROM) is a Windows image. Shell transforms leave such a file alone, and USER names Windows accounts.
 */
export function windowsReason(doc: DocView): string | null {
  let cached = windowsCache.get(doc);
  if (cached === undefined) { cached = computeWindows(doc); windowsCache.set(doc, cached); }
  return cached;
}
const windowsCache = new WeakMap<DocView, string | null>();

function computeWindows(doc: DocView): string | null {
  if (doc.escapeChar === '`') return 'the file uses the backtick escape directive (# escape=`), as Windows Dockerfiles do';
  const meta = metaArgs(doc);
  for (const ins of doc.instructions()) {
    const kw = ins.getKeyword();
    if (kw === 'SHELL') {
      const exe = ((execArgs(ins) ?? [])[0] ?? '').split(/[\\/]/).pop()!.toLowerCase().replace(/\.exe$/, '');
      if (WINDOWS_SHELLS.has(exe)) return `the SHELL on line ${doc.lineOfNode(ins)} is ${exe}, a Windows shell`;
    } else if (kw === 'FROM') {
      const raw = (ins as From).getImage() ?? '';
      const image = raw.includes('$') ? expandVars(raw, meta) : raw;
      if (image !== null && isWindowsImage(image)) {
        return raw === image ? `the base image ${image} is a Windows image` : `the base image ${raw} is ${image} by its ARG default, a Windows image`;
      }
    }
  }
  return null;
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
  const windows = windowsReason(doc);
  for (const stage of doc.stages()) {
    const parentName = stage.from.getImage()?.toLowerCase() ?? null;
    const parent = parentName !== null ? finalStates.get(parentName) : undefined;
    // the stage shares its parent's ENV values (a layer over them, never a copy: copies made long
    // chains of stages quadratic)
    let st: InstructionState = parent
      ? { ...parent, stage, args: Scope.empty() }
      : { stage, shell: null, user: null, workdir: null, env: Scope.empty(), args: Scope.empty(), baseImage: stage.from.getImage(), windows };
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
  if (st.windows) return `${st.windows}; shell commands are left alone`;
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
