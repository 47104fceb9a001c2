/**
 * cache-mounts: gives package-manager RUNs a BuildKit cache mount at the directory the tool really
 * downloads to, and drops the flags and clean-ups in that RUN that would empty or bypass the cache.
 *
 * The target is resolved per command: the effective USER and HOME at the RUN (Dockerfile USER/ENV, the
 * base-image table in images.ts, users created with useradd/adduser), then the tool's own
 * override variables (ENV, inline `VAR=x cmd`, command-line flags such as `--cache-dir`). A non-root user
 * gets `uid=`/`gid=` on the mount. Ecosystems: apt, apk, dnf/yum/microdnf, zypper, pip, Poetry, uv, pipenv,
 * npm, Yarn classic and berry, pnpm, bun, Go, Maven, Gradle, Cargo, Bundler, Composer, NuGet/dotnet.
 * With --syntax-directive the file gets a `# syntax=docker/dockerfile:1` directive as its first line
 * (unless it has one): Docker 23+ and buildx run RUN --mount without it, and with it every build pulls the
 * frontend image (which breaks air-gapped builders). After a UTF-8 BOM BuildKit never sees the directive,
 * so in such a file it is not added and the outcome says so.
 *
 * Refuses (the RUN stays as it is, with the reason) when a later reader needs what the mount moves out: after the
 * mount, whatever the RUN wrote under the target exists only in the cache. So no later reader of a path under the target, in this stage or the stages built FROM it (a RUN without the
 * same mount, a `COPY --from` or `RUN --mount=type=bind,from=` of the stage, an offline build, the start command),
 * and nothing the image must contain there (WORKDIR, a COPY/ADD destination, `pip --target`, Poetry's in-cache
 * virtualenv). Also refused: exec form or heredoc RUNs, a SHELL that is not sh-like or a Windows image; a cache
 * location that can vary (a build ARG, set inside the RUN, a tool config file whose value cannot be read); a user
 * whose uid or home is unknown, or a non-root mount that would leave a root-owned parent directory in the image;
 * a clean-up that cannot be removed cleanly. Cargo's target/ is cached only when the same RUN copies the artifact
 * out; otherwise that part is refused.
 *
 * No recipe writes a file into the image: apt downloads into /var/cache/apt/kept/ (an option on the command)
 * where the image's docker-clean hook does not delete it, and /var/lib/apt (lists, auto-installed marks) is not
 * mounted; dnf/yum keep packages with `--setopt=keepcache=1` on the command; `apk --no-cache` becomes
 * `--update-cache` (the index then goes to the /etc/apk/cache mount). docs/cache-mounts.md says why each is
 * build-only; test/cache-mounts-build.test.ts proves apt's with real builds.
 *
 * Before:  RUN pip install --no-cache-dir -r requirements.txt
 * After:   RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
 */
import type { Instruction, Run } from 'dockerfile-ast';
import { execArgs, type DocView } from '../../src/document.js';
import { insertAt, sortEdits } from '../../src/edits.js';
import { isSuppressed } from '../../src/pipeline.js';
import { parseShell, parseView, runShellView, simpleCommands } from '../../src/shell.js';
import { instructionStates, shellProblem, type InstructionState } from '../../src/stages.js';
import type { Outcome, Transform, TransformContext } from '../../src/types.js';
import { existingMountTargets, laterInImage, ownerChecks, laterRunChecks, laterRunReads, offlineChecks, outputInCacheCheck, overlapChecks } from './checks.js';
import { detect, execFormRunsTool } from './detect.js';
import { ECOSYSTEMS } from './ecosystems.js';
import { baseImageFacts } from './images.js';
import { KINDS, Resolver, inlineAssigns, instructionsBefore, resolveUser, variablesSetInRun, type ResolvedUser } from './resolve.js';
import { planEdits, verify } from './rewrite.js';
import { cargoBuild, cargoTargetMount } from './rust.js';
import { targetsFor } from './targets.js';
import { Refusal, refuse, type CacheMountsOptions, type EcoContext, type Eco, type Mount, type ToolCmd } from './types.js';
import { inside, overlaps } from './words.js';

export type { CacheMountsOptions } from './types.js';

export const SYNTAX_DIRECTIVE = '# syntax=docker/dockerfile:1';

export const cacheMounts: Transform<CacheMountsOptions> = {
  id: 'cache-mounts',
  summary: 'Add BuildKit cache mounts to package-manager RUNs at the path the tool really uses, and drop what empties the cache',
  safety: 'build-only',
  defaults: { noSyntaxDirective: false, syntaxDirective: false, dropBom: false },
  flags: {
    'syntax-directive': { key: 'syntaxDirective', type: 'boolean', help: 'add "# syntax=docker/dockerfile:1" where a cache mount is added (only builders older than Docker 23 need it)' },
    'drop-bom': { key: 'dropBom', type: 'boolean', help: 'with --syntax-directive, in a file that starts with a UTF-8 BOM: remove the BOM, so that BuildKit sees the directive' },
    'no-syntax-directive': { key: 'noSyntaxDirective', type: 'boolean', help: 'never add the syntax directive (wins over --syntax-directive; the default since Docker 23 needs none)' },
  },
  apply(doc, ctx) {
    const states = instructionStates(doc);
    const runs: RunResult[] = [];
    for (const stage of doc.stages()) {
      for (const ins of stage.instructions) {
        if (ins.getKeyword() !== 'RUN') continue;
        const st = states.get(ins);
        if (!st) continue;
        const rec: RunResult = { ins: ins as Run, st, outcomes: [], added: [], covers: [], wanted: undefined };
        runs.push(rec);
        // a suppressed RUN must not be the reason for the syntax directive either; it keeps its own mounts
        if (isSuppressed(doc, ins, 'cache-mounts')) { rec.covers = ownMountTargets(ins as Run, st); continue; }
        try {
          analyseRun(doc, rec, states, ctx);
        } catch (e) {
          if (e instanceof Refusal) { rec.outcomes.push({ kind: 'refuse', line: doc.lineOfNode(ins), reason: e.message }); rec.added = []; }
          else throw e;
        }
        if (!rec.outcomes.some((o) => o.kind === 'rewrite')) { rec.added = []; rec.covers = ownMountTargets(ins as Run, st); }
      }
    }
    demoteUnreadable(doc, runs);
    const outcomes = runs.flatMap((r) => r.outcomes);
    if (ctx.options.syntaxDirective && !ctx.options.noSyntaxDirective && outcomes.some((o) => o.kind === 'rewrite') && !hasSyntaxDirective(doc)) {
      // BuildKit's parser skips a UTF-8 BOM, but its syntax detection does not: a directive after it is never seen
      if (ctx.bom && ctx.options.dropBom) {
        outcomes.push({
          kind: 'rewrite',
          line: 1,
          message: `adds the ${SYNTAX_DIRECTIVE} parser directive as the first line and removes the UTF-8 byte-order mark before it (BuildKit does not see a directive after a BOM; --drop-bom)`,
          edits: [insertAt(0, SYNTAX_DIRECTIVE + doc.eol)],
          dropsBom: true,
        });
      } else if (ctx.bom) outcomes.push({ kind: 'note', line: 1, message: `${SYNTAX_DIRECTIVE} is not added: the file starts with a UTF-8 byte-order mark, after which BuildKit does not see a syntax directive; remove the BOM (--drop-bom) to add it` });
      else outcomes.push({
        kind: 'rewrite',
        line: 1,
        message: `adds the ${SYNTAX_DIRECTIVE} parser directive as the first line (RUN --mount needs the Dockerfile 1.2+ frontend)`,
        edits: [insertAt(0, SYNTAX_DIRECTIVE + doc.eol)],
      });
    }
    return outcomes;
  },
};

/** One RUN's analysis: its outcomes, the mounts it adds, the targets it has mounted after the rewrite, the caches its commands use. */
interface RunResult {
  ins: Run;
  st: InstructionState;
  outcomes: Outcome[];
  added: Mount[];
  /** Cache targets mounted in this RUN once rewritten (its own --mount flags and the added ones). */
  covers: string[];
  /** The cache directories its package-manager commands use, when they could be resolved. */
  wanted: string[] | undefined;
}

/** The RUN's own cache-mount targets (none when one cannot be read). */
function ownMountTargets(ins: Run, st: InstructionState): string[] {
  try {
    return existingMountTargets(ins, new Resolver(st, baseImageFacts(st.baseImage), { root: true, uid: 0, gid: 0, home: '/root', homeExists: true, label: 'root' }, new Set(), new Map()));
  } catch (e) {
    if (e instanceof Refusal) return [];
    throw e;
  }
}

/**
 * After a cache mount, what the RUN wrote under the target exists only in the cache. Every later RUN of the image
 * (and of the images built FROM it) that reads a path under the target must mount the same cache, or the rewrite
 * that adds the mount is withdrawn. Withdrawing one can leave another's reader without its mount, so repeat until
 * nothing changes.
 */
function demoteUnreadable(doc: DocView, runs: RunResult[]): void {
  const byIns = new Map(runs.map((r) => [r.ins as Instruction, r]));
  for (let changed = true; changed;) {
    changed = false;
    for (const r of runs) {
      if (r.added.length === 0) continue;
      let reason: string | null = null;
      // the RUNs that can read under a target (the others make laterRunReads find nothing)
      for (const later of laterInImage(doc, r.ins, r.st, 'reading RUNs')) {
        const lr = byIns.get(later);
        for (const mt of r.added) {
          // a mount at the target (any id) or above it hides the image's files there, in the original as well
          if (lr && lr.covers.some((c) => inside(mt.target, c))) continue;
          const how = laterRunReads(doc, later, mt, lr?.wanted);
          if (how) { reason = `the RUN on line ${doc.lineOfNode(later)} ${how} without a cache mount there: with the mount, what this RUN writes under ${mt.target} would be only in the cache, not in the image that RUN sees (mount the same cache on that RUN too)`; break; }
        }
        if (reason) break;
      }
      if (!reason) continue;
      const gone = new Set(r.added.map((m) => m.target));
      r.outcomes = [...r.outcomes.filter((o) => o.kind !== 'rewrite'), { kind: 'refuse', line: doc.lineOfNode(r.ins), reason }];
      r.covers = r.covers.filter((t) => !gone.has(t));
      r.added = [];
      changed = true;
    }
  }
}

const label = (eco: Eco) => ECOSYSTEMS[eco].label;

function hasSyntaxDirective(doc: DocView): boolean {
  return doc.dockerfile.getDirectives().some((d) => d.getName().toLowerCase() === 'syntax');
}

/** One RUN: find its package-manager commands, resolve their cache targets, check, plan the edits, verify. */
function analyseRun(doc: DocView, rec: RunResult, states: Map<Instruction, InstructionState>, ctx: TransformContext<CacheMountsOptions>): void {
  const { ins, st } = rec;
  const line = doc.lineOfNode(ins);
  if (ins.getHeredocs().length > 0) {
    for (const h of ins.getHeredocs()) {
      const cr = h.getContentRange();
      const p = parseShell(cr ? doc.slice(cr) : '');
      if (!('error' in p) && simpleCommands(p.file).some((c) => detect(c))) refuse('the RUN uses a heredoc, which this transform does not rewrite');
    }
    return;
  }
  const arr = execArgs(ins);
  if (arr) {
    if (execFormRunsTool(arr)) {
      refuse('the RUN is in exec (JSON) form: its flags and clean-ups cannot be analysed as shell; rewrite it in shell form to get a cache mount');
    }
    return;
  }
  const view = runShellView(doc, ins);
  if (!view || view.text.trim() === '') return;
  const parsed = parseView(view);
  if ('error' in parsed) return;
  const all = simpleCommands(parsed.file);
  const tools = all.map(detect).filter((t): t is ToolCmd => t !== null);
  if (tools.length === 0) return;

  const problem = shellProblem(st);
  if (problem) refuse(problem);

  const facts = baseImageFacts(st.baseImage);
  const user = resolveUser(doc, ins, st, facts);
  const setInRun = variablesSetInRun(all);
  const before = instructionsBefore(doc, ins, st, KINDS.before);
  const ec: EcoContext = { doc, ctx, before, allCmds: all };

  // targets, per command (inline assignments can differ per command)
  const mounts: Mount[] = [];
  const resolvers = new Map<ToolCmd, Resolver>();
  for (const t of tools) {
    const r = new Resolver(st, facts, user, setInRun, inlineAssigns(t.sc, st, facts, user, setInRun));
    resolvers.set(t, r);
    for (const mt of targetsFor(t, r, ec)) if (!mounts.some((x) => x.target === mt.target)) mounts.push(mt);
  }
  rec.wanted = mounts.map((x) => x.target);
  const ecos = new Set(mounts.map((x) => x.eco));
  if (!user.root && user.uid === null) {
    refuse(`the RUN runs as ${user.label}, whose uid is not known from the Dockerfile; a cache mount is owned by root unless it gets uid=, so ${[...ecos].map(label).join(', ')} could not write to it (use a numeric USER or create the user with useradd -u)`);
  }

  // the image must not need what is at (or below) a target
  overlapChecks(doc, ins, st, mounts, states, ctx);
  for (const t of tools) outputInCacheCheck(t, resolvers.get(t)!, mounts);
  laterRunChecks(doc, ins, st, mounts, tools);
  offlineChecks(tools);

  // cargo target/: only when the RUN copies the artifact out
  const outcomes = rec.outcomes;
  const cargo = cargoBuild(tools);
  if (cargo) {
    const tm = cargoTargetMount(doc, ins, st, all, cargo, resolvers.get(cargo)!, states);
    if (typeof tm === 'string') outcomes.push({ kind: 'refuse', line, reason: tm });
    else mounts.push(tm);
  }

  // existing mounts: a target that is already mounted (or covered) is left alone
  const existing = existingMountTargets(ins, resolvers.get(tools[0]!)!);
  const toAdd = mounts.filter((mt) => !existing.some((e) => overlaps(e, mt.target) || (mt.eco === 'apk' && e === '/var/cache/apk')));
  if (!user.root) ownerChecks(doc, st, toAdd, user, resolvers.get(tools[0]!)!, before, states);
  // every target is now either added or already mounted, so each of these ecosystems has its cache
  const mounted = new Set(mounts.map((x) => x.eco));

  ec.covered = [...existing, ...toAdd.map((mt) => mt.target)];
  const plan = planEdits(doc, view, parsed, all, tools, mounts, mounted, resolvers, ec);
  // a one-line RUN stays one line while it fits in MAX_LINE characters; a continued RUN, or one that would
  // grow past that, gets one flag per line (as BuildKit's documentation writes them)
  const r = ins.getRange();
  const flags = toAdd.map((mt) => mountFlag(mt, user));
  const grown = doc.lineText(r.start.line).length + flags.reduce((n, f) => n + f.length + 1, 0) + plan.edits.reduce((n, e) => n + e.text.length - (e.end - e.start), 0);
  const multiline = r.end.line > r.start.line || grown > MAX_LINE;
  const sep = multiline ? ` ${doc.escapeChar}${doc.eol}${doc.continuationIndentOf([ins])}` : ' ';
  const pieces = flags.map((f) => f + sep);
  const insertion = pieces.join('');
  // the flags go first: an inserted `UV_LINK_MODE=copy ` may sit at the same offset and must follow them
  const edits = insertion ? [insertAt(view.docStart, insertion), ...plan.edits] : [...plan.edits];
  rec.covers = [...existing, ...toAdd.map((mt) => mt.target)];
  if (edits.length === 0) return;
  try { sortEdits(edits); } catch { refuse('the clean-ups to remove overlap each other; remove them by hand'); }

  verify(doc, ins, edits, toAdd.map((mt) => mountFlag(mt, user)), plan.expected);

  const parts: string[] = [];
  if (toAdd.length) parts.push(`adds cache mounts for ${[...new Set(toAdd.map((x) => label(x.eco)))].join(', ')} (${toAdd.map((x) => x.target).join(', ')})`);
  parts.push(...new Set(plan.notes));
  outcomes.push({ kind: 'rewrite', line, message: parts.join('; '), edits });
  rec.added = toAdd;
}

/** The longest line a one-line RUN may grow to with its mounts (hadolint and BuildKit's docs wrap long RUNs). */
const MAX_LINE = 120;

/** `--mount=type=cache,target=…` with sharing=locked for system package managers and uid/gid for a non-root user. */
function mountFlag(mt: Mount, user: ResolvedUser): string {
  let s = `--mount=type=cache,target=${mt.target}`;
  if (mt.locked) s += ',sharing=locked';
  if (!user.root && user.uid !== null) {
    s += `,uid=${user.uid}`;
    if (user.gid !== null) s += `,gid=${user.gid}`;
  }
  return s;
}
