/** The checks that the image does not need what a cache mount would hide or keep out of it. */
import type { Instruction, Run } from 'dockerfile-ast';
import { perDoc, type DocView, type Stage } from '../../src/document.js';
import type { InstructionState } from '../../src/stages.js';
import type { TransformContext } from '../../src/types.js';
import { detectWords } from './detect.js';
import { ECOSYSTEMS } from './ecosystems.js';
import { KINDS, instructionsBefore, ofKinds, parentStage, type Kinds, type Resolver, type ResolvedUser } from './resolve.js';
import { refuse, type CacheMountsOptions, type Mount, type ToolCmd } from './types.js';
import { base, commandWordsOf, inside, normPath, optionValue, overlaps } from './words.js';

const label = (m: Mount) => ECOSYSTEMS[m.eco].label;
/** Does the command use one of the ecosystem's offline switches? */
const offline = (switches: readonly string[] | undefined, w: readonly (string | null)[]) => switches !== undefined && w.some((x) => x !== null && switches.includes(x));

/** The targets of the RUN's own --mount flags, expanded and normalised. */
export function existingMountTargets(ins: Run, r: Resolver): string[] {
  const out: string[] = [];
  for (const f of ins.getFlags()) {
    if (f.getName().toLowerCase() !== 'mount') continue;
    let target: string | null = null;
    for (const o of f.getOptions()) {
      const n = o.getName().toLowerCase();
      if (n === 'target' || n === 'dst' || n === 'destination') target = o.getValue();
    }
    if (target === null) continue;
    let t = target;
    if (t.includes('$')) {
      t = t.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, v: string) => (v === 'HOME' ? r.home() : r.env(v) ?? refuse(`an existing --mount target (${target}) uses $${v}, whose value is not known`)));
    }
    const n = normPath(t);
    if (n !== null) out.push(n);
  }
  return out;
}

/** Nothing the image needs may be at, above or below a cache target. */
export function overlapChecks(doc: DocView, ins: Instruction, st: InstructionState, mounts: Mount[], states: Map<Instruction, InstructionState>, ctx: TransformContext<CacheMountsOptions>): void {
  // the WORKDIR (the app) must not sit at or below a cache mount, which would hide it
  if (st.workdir) {
    const wd = normPath(st.workdir);
    for (const mt of mounts) {
      if (wd && wd !== '/' && inside(wd, mt.target)) refuse(`the ${label(mt)} cache directory ${mt.target} contains the WORKDIR (${wd}): a cache mount there would hide the app during the RUN and keep what it writes out of the image`);
    }
  }
  // what COPY/ADD placed must not be at, above or below a target
  for (const prev of instructionsBefore(doc, ins, st, KINDS.copy)) {
    const kw = prev.getKeyword();
    for (const placed of placedPaths(prev, states.get(prev), ctx)) {
      for (const mt of mounts) {
        if (overlaps(mt.target, placed)) {
          refuse(`the ${label(mt)} cache directory ${mt.target} overlaps ${placed}, where the ${kw} on line ${doc.lineOfNode(prev)} puts files: a cache mount there would hide them during the RUN and keep what it writes there out of the image`);
        }
      }
    }
  }
  readerChecks(doc, ins, st, mounts);
}

/**
 * The stages built FROM this one (directly or through others), this one first. Kept per parsed file and
 * stage, with the descendants' instructions: a file of thousands of stages, each FROM the one before,
 * asks for them for every RUN, which recomputing made cubic.
 */
export function stageAndDescendants(doc: DocView, st: InstructionState): Stage[] {
  return descendants(doc, st.stage.index).stages;
}

const descendants = perDoc((doc, stageIndex: number): { stages: Stage[] } => {
  const stage = doc.stages()[stageIndex]!;
  // a stage descends from this one when its parent (parentStage: the first earlier stage of that name or
  // index, as the FROM resolves) is this one or a descendant
  const stages: Stage[] = [stage];
  const inside = new Set<number>([stage.index]);
  for (const s of doc.stages()) {
    if (s.index <= stage.index) continue;
    const parent = parentStage(doc, s);
    if (parent && inside.has(parent.index)) { stages.push(s); inside.add(s.index); }
  }
  return { stages };
});

/**
 * What runs after `ins` in its image and in every image built FROM it: the rest of its stage, then the
 * descendants; only the instructions of the given keywords (see instructionsBefore).
 */
export function* laterInImage(doc: DocView, ins: Instruction, st: InstructionState, kinds: Kinds | 'reading RUNs'): Generator<Instruction> {
  const at = ins.getRange().start.line;
  const of = (s: Stage) => (kinds === 'reading RUNs' ? readingRuns(doc, s) : ofKinds(doc, s, kinds));
  const kept = laterKept(doc, kinds);
  let desc = kept.get(st.stage.index);
  if (!desc) { desc = descendants(doc, st.stage.index).stages.slice(1).flatMap(of); kept.set(st.stage.index, desc); }
  // yielded, not copied: a RUN near the top of thousands of stages has most of the file after it
  for (const i of of(st.stage)) if (i.getRange().start.line > at) yield i;
  yield* desc;
}
// the descendants' instructions of those keywords, per stage, filled as stages are asked for
const laterKept = perDoc((_doc, _kinds: Kinds | 'reading RUNs') => new Map<number, Instruction[]>());

/**
 * A stage's RUNs that can read what a cache mount keeps out of the image: some command runs a package
 * manager or names a literal absolute path (wordFacts). The others can make no check fail (laterRunReads
 * and laterRunChecks find nothing in them), so the checks skip them. Kept per parsed file and stage.
 */
const readingRuns = (doc: DocView, stage: Stage): Instruction[] => readingRunsOf(doc, stage.index);
const readingRunsOf = perDoc((doc, stageIndex: number) => ofKinds(doc, doc.stages()[stageIndex]!, KINDS.run)
  .filter((r) => commandWordsOf(doc, r).some((w) => { const f = wordFacts(w); return f.detected !== null || f.reads.length > 0; })));

/** Names a `--from=` can use for these stages. */
const stageKeys = (stages: Stage[]) => new Set(stages.flatMap((s) => [String(s.index), ...(s.name ? [s.name] : [])]));

/** The literal absolute paths among a command's words (`--opt=/p` too). */
const pathWords = (w: readonly (string | null)[]) => w.flatMap((x) => {
  if (x === null) return [];
  const v = x.startsWith('-') && x.includes('=') ? x.slice(x.indexOf('=') + 1) : x;
  const n = v.startsWith('/') ? normPath(v.replace(/\/\*$/, '')) : null;
  return n ? [n] : [];
});

/**
 * What reads a path under a target after this RUN, other than a later RUN (the driver checks those, since they
 * may get the same mount in this pass): a `COPY --from` or `RUN --mount=type=bind,from=` of this stage or of one
 * built FROM it, and the command the container starts with (a tool that needs the dependencies, or a path under
 * the target).
 */
function readerChecks(doc: DocView, ins: Instruction, st: InstructionState, mounts: Mount[]): void {
  const readers = stageReaders(doc, null);
  const keys = readers.length ? stageKeys(stageAndDescendants(doc, st)) : new Set<string>();
  const line = ins.getRange().start.line;
  for (const later of readers) {
    if (later.getRange().start.line <= line) continue;
    const kw = later.getKeyword();
    const flags = kw === 'COPY' || kw === 'RUN' ? (later as Run).getFlags() : [];
    if (kw === 'COPY') {
      const from = flags.find((f) => f.getName().toLowerCase() === 'from')?.getValue()?.toLowerCase();
      if (!from || !keys.has(from)) continue;
      const args = later.getArguments().map((a) => a.getValue());
      for (const src of args.slice(0, -1)) {
        if (src.startsWith('--')) continue;
        // COPY --from sources are relative to the root of the stage
        const abs = normPath('/' + src.replace(/\/\*$/, ''));
        if (!abs || abs === '/') continue;
        for (const mt of mounts) {
          if (overlaps(abs, mt.target)) refuse(`the COPY --from=${from} on line ${doc.lineOfNode(later)} copies ${src}, which overlaps the ${label(mt)} cache directory ${mt.target}; with a cache mount those files would not be in the stage`);
        }
      }
    }
    if (kw === 'RUN') {
      for (const f of flags) {
        if (f.getName().toLowerCase() !== 'mount') continue;
        const o = new Map(f.getOptions().map((x) => [x.getName().toLowerCase(), x.getValue() ?? '']));
        const from = o.get('from')?.toLowerCase();
        if ((o.get('type') ?? 'bind') !== 'bind' || !from || !keys.has(from)) continue;
        const src = normPath('/' + (o.get('source') ?? o.get('src') ?? ''));
        for (const mt of mounts) {
          if (src && overlaps(src, mt.target)) refuse(`the RUN on line ${doc.lineOfNode(later)} bind-mounts ${src} from stage ${from}, which overlaps the ${label(mt)} cache directory ${mt.target}; with a cache mount those files would not be in the stage`);
        }
      }
    }
  }
  // the container's start command: in this image or one built FROM it
  for (const later of laterInImage(doc, ins, st, KINDS.start)) {
    const kw = later.getKeyword();
    for (const words of commandWordsOf(doc, later)) {
      for (const mt of mounts) {
        const atStart = ECOSYSTEMS[mt.eco].atStart;
        if (atStart && atStart.names.includes(base(words[0]) ?? '') && (!atStart.subs || atStart.subs.includes(words[1] ?? ''))) {
          refuse(`the ${kw} on line ${doc.lineOfNode(later)} runs ${words.filter(Boolean).slice(0, 2).join(' ')} when the container starts, which needs the ${label(mt)} dependencies that a cache mount would keep out of the image`);
        }
        const p = pathWords(words).find((x) => inside(x, mt.target));
        if (p) refuse(`the ${kw} on line ${doc.lineOfNode(later)} reads ${p}, inside the ${label(mt)} cache directory ${mt.target}, which a cache mount would keep out of the image`);
      }
    }
  }
}

/**
 * Does a later RUN read what this RUN leaves under a target: a command of the target's ecosystem that uses its
 * cache, a command whose own cache is that target, or a literal path under it? Returns what reads it, or null.
 */
export function laterRunReads(doc: DocView, later: Instruction, mt: Mount, wanted: readonly string[] | undefined): string | null {
  if (wanted?.includes(mt.target)) return `uses the same cache (${mt.target})`;
  for (const w of commandWordsOf(doc, later)) {
    const { detected: d, reads } = wordFacts(w);
    if (d && d.eco === mt.eco) return `runs ${w.filter(Boolean).slice(0, 2).join(' ')}, which reads ${mt.target}`;
    const p = reads.find((x) => inside(x, mt.target));
    if (p) return `reads ${p}`;
  }
  return null;
}

/**
 * What a later command's words say, kept per words array (commandWordsOf keeps those per instruction): the
 * package manager it runs, and the literal paths it reads (none for `rm`: removing what the mount kept out of
 * the image leaves the same result). Every RUN that gets a mount asks this of every later RUN.
 */
function wordFacts(w: readonly (string | null)[]): { detected: ReturnType<typeof detectWords>; reads: string[] } {
  let f = factsByWords.get(w);
  if (!f) { f = { detected: detectWords(w), reads: base(w[0]) === 'rm' ? [] : pathWords(w.slice(1)) }; factsByWords.set(w, f); }
  return f;
}
const factsByWords = new WeakMap<readonly (string | null)[], { detected: ReturnType<typeof detectWords>; reads: string[] }>();

/**
 * The instructions that can read from another stage: COPY with --from, RUN with --mount (kept per parsed
 * file; every RUN that gets a mount looks through them).
 */
const stageReaders = perDoc((doc, _: null) => doc.instructions().filter((i) => {
  const kw = i.getKeyword();
  const flags = kw === 'COPY' || kw === 'RUN' ? (i as Run).getFlags() : [];
  return kw === 'COPY' ? flags.some((f) => f.getName().toLowerCase() === 'from')
    : flags.some((f) => f.getName().toLowerCase() === 'mount' && f.getOptions().some((o) => o.getName().toLowerCase() === 'from'));
}));

/**
 * Paths a COPY/ADD writes: dest/<file> for plain files, the whole dest for directories, globs and `.`.
 * Kept per build context and instruction (two files of the same text share the parsed instructions, not
 * the context): every RUN that gets a mount checks every COPY before it.
 */
function placedPaths(ins: Instruction, st: InstructionState | undefined, ctx: TransformContext<CacheMountsOptions>): string[] {
  let byIns = placedByContext.get(ctx.buildContext);
  if (!byIns) { byIns = new WeakMap(); placedByContext.set(ctx.buildContext, byIns); }
  let out = byIns.get(ins);
  if (!out) { out = placedPathsOf(ins, st, ctx); byIns.set(ins, out); }
  return out;
}
const placedByContext = new WeakMap<object, WeakMap<Instruction, string[]>>();

function placedPathsOf(ins: Instruction, st: InstructionState | undefined, ctx: TransformContext<CacheMountsOptions>): string[] {
  const args = ins.getArguments().map((a) => a.getValue());
  if (args.length < 2) return [];
  const destRaw = args[args.length - 1]!;
  if (destRaw.includes('$')) return [];
  const dest = destRaw.startsWith('/') ? normPath(destRaw) : st?.workdir ? normPath(`${st.workdir}/${destRaw}`) : null;
  if (dest === null || dest === '/') return [];
  const srcs = args.slice(0, -1);
  const fromStage = (ins as Run).getFlags().some((f) => f.getName().toLowerCase() === 'from');
  const out: string[] = [];
  for (const src of srcs) {
    const isDir = src === '.' || src.endsWith('/') || /[*?[]/.test(src) || /^[a-z]+:\/\//.test(src) || (!fromStage && ctx.buildContext.isDirectory(src));
    if (isDir) return [dest];
    const name = src.split('/').filter(Boolean).pop() ?? src;
    out.push(destRaw.endsWith('/') || srcs.length > 1 ? `${dest}/${name}` : dest);
  }
  return out;
}

/** pip --target/--prefix/--root, npm --prefix, go build -o … inside the cache: the output would stay in the mount. */
export function outputInCacheCheck(t: ToolCmd, r: Resolver, mounts: Mount[]): void {
  const names = ECOSYSTEMS[t.eco].outputs;
  if (!names) return;
  const o = optionValue(t.sc, r, [...names], t.at + 1);
  if (!o.present || o.value === null) return;
  const p = normPath(o.value);
  if (p === null) return;
  for (const mt of mounts) if (overlaps(p, mt.target)) refuse(`${t.tool} writes its output to ${p}, inside the cache directory ${mt.target}: it would stay in the cache mount and be missing from the image`);
}

/** A later RUN (of the stage or of one built FROM it) must not work offline from what this RUN downloads. */
export function laterRunChecks(doc: DocView, ins: Instruction, st: InstructionState, mounts: Mount[], tools: ToolCmd[]): void {
  const ecos = new Set(mounts.map((m) => m.eco));
  for (const later of laterInImage(doc, ins, st, 'reading RUNs')) {
    for (const w of commandWordsOf(doc, later)) {
      const d = wordFacts(w).detected;
      if (!d || !ecos.has(d.eco)) continue;
      if (offline(ECOSYSTEMS[d.eco].offline, w) && tools.some((t) => t.eco === d.eco)) {
        refuse(`the RUN on line ${doc.lineOfNode(later)} runs ${d.tool} offline from what this RUN downloads; with a cache mount the downloads would not be in the image (if the cache is empty the offline step fails)`);
      }
    }
  }
}

/** A command working offline reads what earlier RUNs put in the image; the mount would hide it. */
export function offlineChecks(tools: ToolCmd[]): void {
  tools.forEach((t, i) => {
    const switches = ECOSYSTEMS[t.eco].offline;
    if (!offline(switches, t.sc.words)) return;
    if (tools.slice(0, i).some((e) => e.eco === t.eco && !offline(switches, e.sc.words))) return; // downloaded earlier in this RUN
    refuse(`${t.tool} runs offline (${t.sc.words.find((w) => w !== null && switches!.includes(w))}), reading the dependencies an earlier RUN put in the image; a cache mount would hide them behind a cache that is empty on a fresh builder`);
  });
}

/** Directories every Linux base image has. */
const ALWAYS_THERE = new Set(['/', '/etc', '/home', '/opt', '/root', '/srv', '/tmp', '/usr', '/usr/local', '/usr/local/share', '/usr/share', '/var', '/var/cache', '/var/lib', '/var/tmp']);

/**
 * For a non-root user the mount's uid= applies to the target only: every missing directory above it is created by
 * the builder, owned by root, and stays in the image (buildah 1.28 does so; a later RUN as the user then cannot
 * create e.g. ~/.cache/other). Refused unless each directory above the target is known to exist: a system
 * directory, the user's home when it was created, or one an earlier RUN made (`mkdir -p`) as that user, or made
 * and handed over with `chown -R`.
 */
export function ownerChecks(doc: DocView, st: InstructionState, toAdd: Mount[], user: ResolvedUser, r: Resolver, before: Instruction[], states: Map<Instruction, InstructionState>): void {
  let home: string | null = null;
  try { home = normPath(r.home()); } catch { home = null; }
  const homeThere = home !== null && user.homeExists && home === normPath(user.home ?? '');
  const made: string[] = [];
  for (const prev of before) {
    if (prev.getKeyword() !== 'RUN') continue;
    const asUser = states.get(prev)?.user === st.user;
    const cmds = commandWordsOf(doc, prev);
    const expand = (w: string | null) => (w === null ? null : normPath(w.startsWith('~/') && home ? home + w.slice(1) : w.replace(/^\$\{?HOME\}?(?=\/|$)/, home ?? '$HOME')));
    const chowned = cmds.filter((w) => base(w[0]) === 'chown' && w.some((x) => x === '-R' || x === '--recursive')).flatMap((w) => w.slice(2).map(expand).filter((x): x is string => x !== null));
    for (const w of cmds) {
      if (base(w[0]) !== 'mkdir') continue;
      for (const p of w.slice(1).map(expand)) if (p && (asUser || chowned.some((c) => inside(p, c)))) made.push(p);
    }
  }
  const exists = (dir: string) => ALWAYS_THERE.has(dir) || (homeThere && dir === home) || made.some((p) => inside(p, dir));
  for (const mt of toAdd) {
    const missing: string[] = [];
    for (let d = mt.target.slice(0, mt.target.lastIndexOf('/')) || '/'; !exists(d); d = d.slice(0, d.lastIndexOf('/')) || '/') missing.unshift(d);
    if (missing.length) {
      refuse(`the ${label(mt)} cache mount at ${mt.target} would create ${missing.join(', ')} owned by root (uid= applies to the target only), which stays in the image and keeps ${user.label} from writing there; create ${missing.length > 1 ? 'them' : 'it'} as that user first (\`RUN mkdir -p ${missing[missing.length - 1]}\` after the USER), or point the cache at a directory that exists`);
    }
  }
}
