/**
 * Who runs a RUN and where its paths point: the effective user and HOME (Dockerfile USER/ENV, the base-image
 * facts in images.ts, users created with useradd/adduser), environment variables as the command sees them
 * (ENV, inline `VAR=x cmd`, refusing ARGs and values set inside the RUN).
 */
import type { Instruction } from 'dockerfile-ast';
import { isExecForm, perDoc, type DocView } from '../../src/document.js';
import { nodeType, parseView, runShellView, simpleCommands, type ShNode, type SimpleCommand } from '../../src/shell.js';
import type { InstructionState } from '../../src/stages.js';
import type { Stage } from '../../src/document.js';
import { refuse, Refusal } from './types.js';
import { base, wordValue } from './words.js';
import type { BaseImageFacts, KnownUser } from './images.js';

export interface ResolvedUser {
  root: boolean;
  uid: number | null;
  gid: number | null;
  home: string | null;
  /** The home directory is known to exist before the RUN (the image's user, `useradd -m`, adduser). */
  homeExists: boolean;
  label: string;
}

/**
 * The instructions that ran before `ins` in its image: ancestor stages (FROM <stage>) and its own stage;
 * only those of the given keywords (the checks ask for RUN, COPY and ADD; lists of the others would only be
 * walked past, which for thousands of stages is most of the time).
 */
export function instructionsBefore(doc: DocView, ins: Instruction, st: InstructionState, kinds: Kinds): Instruction[] {
  const at = ins.getRange().start.line;
  return [...ancestorInstructions(doc, st.stage, kinds), ...ofKinds(doc, st.stage, kinds).filter((i) => i.getRange().start.line < at)];
}

/** The keyword sets the checks ask for (the lists are kept per set: pass these, not new arrays). */
export const KINDS = {
  run: ['RUN'],
  copy: ['COPY', 'ADD'],
  start: ['CMD', 'ENTRYPOINT'],
  before: ['RUN', 'COPY', 'ADD'],
} as const satisfies Record<string, readonly string[]>;
export type Kinds = (typeof KINDS)[keyof typeof KINDS];

/** A stage's instructions of the given keywords (kept per parsed file and keywords, for every stage). */
export const ofKinds = (doc: DocView, stage: Stage, kinds: Kinds): Instruction[] => kindLists(doc, kinds)[stage.index]!;
const kindLists = perDoc((doc, kinds: Kinds) => doc.stages().map((s) => s.instructions.filter((i) => (kinds as readonly string[]).includes(i.getKeyword()))));

/**
 * The stage a stage is built FROM (the first earlier stage of that name or index), or null for an image.
 * Kept per parsed file: a file of thousands of stages, each FROM the one before, asks for every stage's
 * chain, which searching the stages each time made cubic.
 */
export const parentStage = (doc: DocView, stage: Stage): Stage | null => parents(doc, null)[stage.index] ?? null;
const parents = perDoc((doc, _: null) => {
  const first = new Map<string, Stage>();
  return doc.stages().map((s) => {
    const p = first.get(s.from.getImage()?.toLowerCase() ?? '');
    for (const key of [String(s.index), ...(s.name !== null ? [s.name] : [])]) if (!first.has(key)) first.set(key, s);
    return p && p.index < s.index ? p : null;
  });
});

/** The instructions of those keywords of the stages a stage is built FROM, oldest first (kept per parsed file, stage and keywords). */
function ancestorInstructions(doc: DocView, stage: Stage, kinds: Kinds): readonly Instruction[] {
  const kept = ancestorsKept(doc, kinds);
  const hit = kept.get(stage.index);
  if (hit) return hit;
  // iterative: a chain of thousands of stages must not recurse that deep
  const chain: Stage[] = [];
  for (let s = parentStage(doc, stage); s && !chain.includes(s); s = parentStage(doc, s)) {
    chain.push(s);
    const known = kept.get(s.index);
    if (known) { const out = [...known, ...chain.reverse().flatMap((c) => ofKinds(doc, c, kinds))]; kept.set(stage.index, out); return out; }
  }
  const out = chain.reverse().flatMap((c) => ofKinds(doc, c, kinds));
  kept.set(stage.index, out);
  return out;
}
// filled by ancestorInstructions as stages are asked for (a walk up the chain stops at a known ancestor)
const ancestorsKept = perDoc((_doc, _kinds: Kinds) => new Map<number, readonly Instruction[]>());

/** Users created by useradd/adduser in the RUNs before: name → uid/gid/home when given. */
function createdUsers(doc: DocView, before: Instruction[]): Map<string, { uid: number | null; gid: number | null; home: string; made: boolean }> {
  const out = new Map<string, { uid: number | null; gid: number | null; home: string; made: boolean }>();
  for (const ins of before) {
    if (ins.getKeyword() !== 'RUN' || isExecForm(ins)) continue;
    const view = runShellView(doc, ins);
    if (!view) continue;
    const parsed = parseView(view);
    if ('error' in parsed) continue;
    for (const c of simpleCommands(parsed.file)) {
      const name0 = base(c.words[0]);
      if (name0 !== 'useradd' && name0 !== 'adduser') continue;
      let uid: number | null = null, gid: number | null = null, home: string | null = null, user: string | null = null;
      // useradd creates the home only with -m; adduser unless told not to
      let made = name0 === 'adduser';
      const w = c.words;
      for (let i = 1; i < w.length; i++) {
        const x = w[i];
        if (x === null || x === undefined) { user = null; continue; }
        const val = () => w[++i] ?? null;
        const eq = x.indexOf('=');
        const [flag, inline] = x.startsWith('--') && eq > 0 ? [x.slice(0, eq), x.slice(eq + 1)] : [x, null];
        const v = () => (inline !== null ? inline : val());
        if (flag === '-u' || flag === '--uid') uid = num(v());
        else if (flag === '-g' || flag === '--gid') gid = num(v());
        else if (flag === '-d' || flag === '--home-dir' || flag === '--home' || (flag === '-h' && name0 === 'adduser')) home = v();
        else if (flag === '-m' || flag === '--create-home') made = true;
        else if (flag === '-M' || flag === '--no-create-home' || (flag === '-H' && name0 === 'adduser')) made = false;
        else if (['-G', '--groups', '-s', '--shell', '-c', '--comment', '--gecos', '-k', '--skel', '-e', '--expiredate', '-f', '--inactive', '-K', '--key', '-p', '--password', '--ingroup', '--firstuid', '--lastuid', '-R', '--root', '-Z', '--selinux-user'].includes(flag)) { if (inline === null) i++; }
        else if (x.startsWith('-')) continue;
        else user = x;
      }
      if (user !== null) out.set(user, { uid, gid, home: home ?? `/home/${user}`, made });
    }
  }
  return out;
}

const num = (s: string | null): number | null => (s !== null && /^\d+$/.test(s) ? Number(s) : null);

export function resolveUser(doc: DocView, ins: Instruction, st: InstructionState, facts: BaseImageFacts): ResolvedUser {
  const root: ResolvedUser = { root: true, uid: 0, gid: 0, home: '/root', homeExists: true, label: 'root' };
  const known = (u: KnownUser): ResolvedUser => ({ root: false, uid: u.uid, gid: u.gid, home: u.home, homeExists: true, label: u.name });
  if (st.user === null) return facts.defaultUser ? known(facts.defaultUser) : root;
  const spec = st.user;
  if (spec.includes('$')) refuse(`USER ${spec} uses a variable, so the user running the RUN (and its cache directory) is not known`);
  const [name, group] = spec.split(':') as [string, string | undefined];
  if (name === 'root' || name === '0') return root;
  const gidOf = (fallback: number | null) => (group === undefined ? fallback : num(group));
  const created = createdUsers(doc, instructionsBefore(doc, ins, st, KINDS.run));
  if (/^\d+$/.test(name)) {
    const uid = Number(name);
    for (const [uname, u] of created) if (u.uid === uid) return { root: false, uid, gid: gidOf(u.gid), home: u.home, homeExists: u.made, label: `${uname} (uid ${uid})` };
    const img = facts.users?.find((u) => u.uid === uid);
    if (img) return { root: false, uid, gid: gidOf(img.gid), home: img.home, homeExists: true, label: `${img.name} (uid ${uid})` };
    // not in /etc/passwd as far as we can tell: Docker runs it with HOME=/ and the root group
    return { root: false, uid, gid: group === undefined ? null : num(group), home: null, homeExists: false, label: `uid ${uid}` };
  }
  const c = created.get(name);
  if (c) return { root: false, uid: c.uid, gid: gidOf(c.gid), home: c.home, homeExists: c.made, label: name };
  const img = facts.users?.find((u) => u.name === name);
  if (img) return { root: false, uid: img.uid, gid: gidOf(img.gid), home: img.home, homeExists: true, label: name };
  return { root: false, uid: null, gid: gidOf(null), home: null, homeExists: false, label: name };
}

/** Variable and path resolution for one command of one RUN. */
export class Resolver {
  constructor(
    private readonly st: InstructionState,
    private readonly facts: BaseImageFacts,
    readonly user: ResolvedUser,
    private readonly setInRun: Set<string>,
    private readonly inline: Map<string, string | null>,
  ) {}

  /** The value of an environment variable at the command, undefined when unset; refuses when it can vary. */
  env(name: string): string | undefined {
    if (this.inline.has(name)) {
      const v = this.inline.get(name);
      if (v === null || v === undefined) return refuse(`${name} is set on the command with a value that is only known at run time`);
      return v;
    }
    if (this.setInRun.has(name)) return refuse(`${name} is set inside the RUN (export or assignment), so the cache location is not known`);
    if (this.st.env.has(name)) return this.expand(this.st.env.get(name)!, name);
    if (this.st.args.has(name)) return refuse(`${name} is a build argument (ARG), so the cache location can change from build to build`);
    return this.facts.env?.[name];
  }

  /** Like env() but ignoring inline assignments on the command (those this transform removes). */
  envOutsideCommand(name: string): string | undefined {
    return new Resolver(this.st, this.facts, this.user, this.setInRun, new Map()).env(name);
  }

  /** `$X`/`${X}` in an ENV value, expanded from what is known; refuses on anything fancier. */
  private expand(value: string, name: string, depth = 0): string {
    if (depth > 5) return refuse(`${name} refers to itself`);
    return value.replace(/\$(\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, _a, braced: string | undefined, rest: string | undefined, bare: string | undefined) => {
      const v = braced ?? bare!;
      if (rest) return refuse(`ENV ${name} uses \${${v}${rest}}, which this transform does not expand`);
      const got = v === 'HOME' ? this.home() : this.env(v);
      if (got === undefined) return refuse(`ENV ${name} refers to $${v}, whose value is not known`);
      return got;
    });
  }

  home(): string {
    const h = this.env('HOME');
    if (h !== undefined) return h;
    if (this.user.home !== null) return this.user.home;
    return refuse(`the RUN runs as ${this.user.label}, whose home directory is not known from the Dockerfile (set ENV HOME, or the tool's cache variable, to choose the cache path)`);
  }

  xdg(name: 'XDG_CACHE_HOME' | 'XDG_DATA_HOME' | 'XDG_CONFIG_HOME'): string | undefined { return this.env(name); }

  cacheHome(): string { return this.xdg('XDG_CACHE_HOME') ?? `${this.home()}/.cache`; }
}

/** Variables exported or assigned (without a command) in the RUN's shell: their values are not static. */
export function variablesSetInRun(all: SimpleCommand[]): Set<string> {
  const out = new Set<string>();
  for (const c of all) {
    if (nodeType(c.call) === 'DeclClause') {
      for (const a of (c.call.Args ?? []) as ShNode[]) if (a?.Name?.Value) out.add(a.Name.Value as string);
      continue;
    }
    const assigns = (c.call.Assigns ?? []) as ShNode[];
    if (c.words.length === 0) for (const a of assigns) out.add(a.Name.Value as string);
    if (base(c.words[0]) === 'export') for (const w of c.words.slice(1)) if (w) out.add(w.split('=')[0]!);
  }
  return out;
}

export function inlineAssigns(sc: SimpleCommand, st: InstructionState, facts: BaseImageFacts, user: ResolvedUser, setInRun: Set<string>): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const r = new Resolver(st, facts, user, setInRun, new Map());
  for (const a of (sc.call.Assigns ?? []) as ShNode[]) {
    const name = a.Name.Value as string;
    let v: string | null = null;
    try { v = a.Value ? wordValue(a.Value, r) : ''; } catch (e) { if (!(e instanceof Refusal)) throw e; }
    out.set(name, v);
  }
  return out;
}
