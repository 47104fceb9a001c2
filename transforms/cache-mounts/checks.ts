/** The checks that the image does not need what a cache mount would hide or keep out of it. */
import type { Instruction, Run } from 'dockerfile-ast';
import type { DocView } from '../../src/document.js';
import type { InstructionState } from '../../src/stages.js';
import type { TransformContext } from '../../src/types.js';
import { detectWords } from './detect.js';
import { ECOSYSTEMS } from './ecosystems.js';
import { instructionsBefore, type Resolver } from './resolve.js';
import { refuse, type CacheMountsOptions, type Mount, type ToolCmd } from './types.js';
import { base, commandWordsOf, inside, normPath, optionValue, overlaps } from './words.js';

const label = (m: Mount) => ECOSYSTEMS[m.eco].label;
/** Does the command use one of the ecosystem's offline switches? */
const offline = (switches: readonly string[] | undefined, w: (string | null)[]) => switches !== undefined && w.some((x) => x !== null && switches.includes(x));

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
  for (const prev of instructionsBefore(doc, ins, st)) {
    const kw = prev.getKeyword();
    if (kw !== 'COPY' && kw !== 'ADD') continue;
    for (const placed of placedPaths(prev, states.get(prev), ctx)) {
      for (const mt of mounts) {
        if (overlaps(mt.target, placed)) {
          refuse(`the ${label(mt)} cache directory ${mt.target} overlaps ${placed}, where the ${kw} on line ${doc.lineOfNode(prev)} puts files: a cache mount there would hide them during the RUN and keep what it writes there out of the image`);
        }
      }
    }
  }
  // a later stage copying from this stage at (or above) a target would miss the cached files
  const stageKeys = new Set([String(st.stage.index), ...(st.stage.name ? [st.stage.name] : [])]);
  for (const later of doc.instructions()) {
    if (later.getRange().start.line <= ins.getRange().start.line || later.getKeyword() !== 'COPY') continue;
    const from = (later as Run).getFlags().find((f) => f.getName().toLowerCase() === 'from')?.getValue()?.toLowerCase();
    if (!from || !stageKeys.has(from)) continue;
    const args = later.getArguments().map((a) => a.getValue());
    for (const src of args.slice(0, -1)) {
      const abs = normPath(src.replace(/\/\*$/, ''));
      if (!abs || abs === '/') continue;
      for (const mt of mounts) {
        if (overlaps(abs, mt.target)) refuse(`the COPY --from=${from} on line ${doc.lineOfNode(later)} copies ${src}, which overlaps the ${label(mt)} cache directory ${mt.target}; with a cache mount those files would not be in the stage`);
      }
    }
  }
  // the container runs the build tool at start: it needs the dependencies in the image
  for (const mt of mounts) {
    const atStart = ECOSYSTEMS[mt.eco].atStart;
    if (!atStart) continue;
    const uses = (w: (string | null)[]) => atStart.names.includes(base(w[0]) ?? '') && (!atStart.subs || atStart.subs.includes(w[1] ?? ''));
    for (const later of st.stage.instructions) {
      const kw = later.getKeyword();
      if (kw !== 'CMD' && kw !== 'ENTRYPOINT') continue;
      for (const words of commandWordsOf(doc, later)) {
        if (uses(words)) refuse(`the ${kw} on line ${doc.lineOfNode(later)} runs ${words.filter(Boolean).slice(0, 2).join(' ')} when the container starts, which needs the ${label(mt)} dependencies that a cache mount would keep out of the image`);
      }
    }
  }
}

/** Paths a COPY/ADD writes: dest/<file> for plain files, the whole dest for directories, globs and `.`. */
function placedPaths(ins: Instruction, st: InstructionState | undefined, ctx: TransformContext<CacheMountsOptions>): string[] {
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

/** A later RUN of the stage must not work offline from what this RUN downloads. */
export function laterRunChecks(doc: DocView, ins: Instruction, st: InstructionState, mounts: Mount[], tools: ToolCmd[]): void {
  const idx = st.stage.instructions.indexOf(ins);
  const ecos = new Set(mounts.map((m) => m.eco));
  for (const later of st.stage.instructions.slice(idx + 1)) {
    if (later.getKeyword() !== 'RUN') continue;
    for (const w of commandWordsOf(doc, later)) {
      const d = detectWords(w);
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
