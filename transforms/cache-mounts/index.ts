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
 * Refuses (the RUN stays as it is, with the reason) when: the RUN is exec form or a heredoc, the SHELL is
 * not sh-like or the image is Windows; an override is a build ARG or set inside the RUN; the user's uid
 * or home is unknown; the cache dir overlaps a directory the image must contain (WORKDIR, a COPY/ADD
 * destination, a later `COPY --from` source, `pip --target`, Poetry's in-cache virtualenv); a later RUN
 * works offline from what this RUN downloads (`--offline`, `-o`, `--no-restore`), or the container runs
 * the build tool (mvn, gradle, `go run`) at start; apt-get install runs without apt-get update in the
 * same RUN (or a later RUN depends on the lists this one leaves); a clean-up cannot be removed cleanly.
 * Cargo's target/ is cached only when the same RUN copies the artifact out; otherwise that part is refused.
 *
 * Hazards handled: a mount hides what was at its target and keeps what the RUN writes there out of the
 * image, so nothing the image needs may live there; apt's docker-clean hook deletes downloaded packages,
 * so the rewrite removes it (BuildKit reference, "Example: cache apt packages"); dnf/yum keep packages
 * only with keepcache, so `--setopt=keepcache=1` is added to the command (not to the image's config);
 * `apk --no-cache` becomes `--update-cache` (apk needs a fresh index without --no-cache).
 *
 * Before:  RUN pip install --no-cache-dir -r requirements.txt
 * After:   RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
 */
import type { Instruction, Run } from 'dockerfile-ast';
import { execArgs, type DocView } from '../../src/document.js';
import { insertAt, sortEdits } from '../../src/edits.js';
import { isSuppressed } from '../../src/pipeline.js';
import { parseShell, runShellView, simpleCommands } from '../../src/shell.js';
import { instructionStates, shellProblem, type InstructionState } from '../../src/stages.js';
import type { Outcome, Transform, TransformContext } from '../../src/types.js';
import { existingMountTargets, laterRunChecks, offlineChecks, outputInCacheCheck, overlapChecks } from './checks.js';
import { detect, execFormRunsTool } from './detect.js';
import { ECOSYSTEMS } from './ecosystems.js';
import { baseImageFacts } from './images.js';
import { Resolver, inlineAssigns, instructionsBefore, resolveUser, variablesSetInRun, type ResolvedUser } from './resolve.js';
import { planEdits, verify } from './rewrite.js';
import { cargoBuild, cargoTargetMount } from './rust.js';
import { APT_KEEP_WORDS, DOCKER_CLEAN, aptChecks, aptKeepStep } from './system.js';
import { targetsFor } from './targets.js';
import { Refusal, refuse, type CacheMountsOptions, type EcoContext, type Eco, type Mount, type ToolCmd } from './types.js';
import { overlaps } from './words.js';

export type { CacheMountsOptions } from './types.js';

export const SYNTAX_DIRECTIVE = '# syntax=docker/dockerfile:1';

export const cacheMounts: Transform<CacheMountsOptions> = {
  id: 'cache-mounts',
  summary: 'Add BuildKit cache mounts to package-manager RUNs at the path the tool really uses, and drop what empties the cache',
  safety: 'build-only',
  defaults: { noSyntaxDirective: false, syntaxDirective: false },
  flags: {
    'syntax-directive': { key: 'syntaxDirective', type: 'boolean', help: 'add "# syntax=docker/dockerfile:1" where a cache mount is added (only builders older than Docker 23 need it)' },
    'no-syntax-directive': { key: 'noSyntaxDirective', type: 'boolean', help: 'never add the syntax directive (wins over --syntax-directive; the default since Docker 23 needs none)' },
  },
  apply(doc, ctx) {
    const outcomes: Outcome[] = [];
    const states = instructionStates(doc);
    const aptKept = new Set<Instruction>();
    for (const stage of doc.stages()) {
      for (const ins of stage.instructions) {
        if (ins.getKeyword() !== 'RUN') continue;
        const st = states.get(ins);
        if (!st) continue;
        // a suppressed RUN must not be the reason for the syntax directive either
        if (isSuppressed(doc, ins, 'cache-mounts')) continue;
        try {
          outcomes.push(...analyseRun(doc, ins as Run, st, states, ctx, aptKept));
        } catch (e) {
          if (e instanceof Refusal) outcomes.push({ kind: 'refuse', line: doc.lineOfNode(ins), reason: e.message });
          else throw e;
        }
      }
    }
    if (ctx.options.syntaxDirective && !ctx.options.noSyntaxDirective && outcomes.some((o) => o.kind === 'rewrite') && !hasSyntaxDirective(doc)) {
      // BuildKit's parser skips a UTF-8 BOM, but its syntax detection does not: a directive after it is never seen
      if (ctx.bom) outcomes.push({ kind: 'note', line: 1, message: `${SYNTAX_DIRECTIVE} is not added: the file starts with a UTF-8 byte-order mark, after which BuildKit does not see a syntax directive; remove the BOM to add it` });
      else outcomes.push({
        kind: 'rewrite',
        line: 1,
        message: `added the ${SYNTAX_DIRECTIVE} parser directive as the first line (RUN --mount needs the Dockerfile 1.2+ frontend)`,
        edits: [insertAt(0, SYNTAX_DIRECTIVE + doc.eol)],
      });
    }
    return outcomes;
  },
};

const label = (eco: Eco) => ECOSYSTEMS[eco].label;

function hasSyntaxDirective(doc: DocView): boolean {
  return doc.dockerfile.getDirectives().some((d) => d.getName().toLowerCase() === 'syntax');
}

/** One RUN: find its package-manager commands, resolve their cache targets, check, plan the edits, verify. */
function analyseRun(doc: DocView, ins: Run, st: InstructionState, states: Map<Instruction, InstructionState>, ctx: TransformContext<CacheMountsOptions>, aptKept: Set<Instruction>): Outcome[] {
  const line = doc.lineOfNode(ins);
  if (ins.getHeredocs().length > 0) {
    for (const h of ins.getHeredocs()) {
      const cr = h.getContentRange();
      const p = parseShell(cr ? doc.slice(cr) : '');
      if (!('error' in p) && simpleCommands(p.file).some((c) => detect(c))) refuse('the RUN uses a heredoc, which this transform does not rewrite');
    }
    return [];
  }
  const arr = execArgs(ins);
  if (arr) {
    if (execFormRunsTool(arr)) {
      refuse('the RUN is in exec (JSON) form: its flags and clean-ups cannot be analysed as shell; rewrite it in shell form to get a cache mount');
    }
    return [];
  }
  const view = runShellView(doc, ins);
  if (!view || view.text.trim() === '') return [];
  const parsed = parseShell(view.text);
  if ('error' in parsed) return [];
  const all = simpleCommands(parsed.file);
  const tools = all.map(detect).filter((t): t is ToolCmd => t !== null);
  if (tools.length === 0) return [];

  const problem = shellProblem(st);
  if (problem) refuse(problem);

  const facts = baseImageFacts(st.baseImage);
  const user = resolveUser(doc, ins, st, facts);
  const setInRun = variablesSetInRun(all);
  const before = instructionsBefore(doc, ins, st);
  const ec: EcoContext = { doc, ctx, before, allCmds: all };

  // targets, per command (inline assignments can differ per command)
  const mounts: Mount[] = [];
  const resolvers = new Map<ToolCmd, Resolver>();
  for (const t of tools) {
    const r = new Resolver(st, facts, user, setInRun, inlineAssigns(t.sc, st, facts, user, setInRun));
    resolvers.set(t, r);
    for (const mt of targetsFor(t, r, ec)) if (!mounts.some((x) => x.target === mt.target)) mounts.push(mt);
  }
  const ecos = new Set(mounts.map((x) => x.eco));
  if (!user.root && user.uid === null) {
    refuse(`the RUN runs as ${user.label}, whose uid is not known from the Dockerfile; a cache mount is owned by root unless it gets uid=, so ${[...ecos].map(label).join(', ')} could not write to it (use a numeric USER or create the user with useradd -u)`);
  }

  // the image must not need what is at (or below) a target
  overlapChecks(doc, ins, st, mounts, states, ctx);
  for (const t of tools) outputInCacheCheck(t, resolvers.get(t)!, mounts);
  laterRunChecks(doc, ins, st, mounts, tools);
  offlineChecks(tools);
  if (ecos.has('apt')) aptChecks(doc, ins, st, tools);

  // cargo target/: only when the RUN copies the artifact out
  const outcomes: Outcome[] = [];
  const cargo = cargoBuild(tools);
  if (cargo) {
    const tm = cargoTargetMount(doc, ins, st, all, cargo, resolvers.get(cargo)!, states);
    if (typeof tm === 'string') outcomes.push({ kind: 'refuse', line, reason: tm });
    else mounts.push(tm);
  }

  // existing mounts: a target that is already mounted (or covered) is left alone
  const existing = existingMountTargets(ins, resolvers.get(tools[0]!)!);
  const toAdd = mounts.filter((mt) => !existing.some((e) => overlaps(e, mt.target) || (mt.eco === 'apk' && e === '/var/cache/apk')));
  // every target is now either added or already mounted, so each of these ecosystems has its cache
  const mounted = new Set(mounts.map((x) => x.eco));

  const plan = planEdits(doc, view, parsed, all, tools, mounts, mounted, resolvers, before, aptKept);
  // a one-line RUN stays one line; a continued RUN gets one flag (and the apt step) per line
  const r = ins.getRange();
  const multiline = r.end.line > r.start.line;
  const sep = multiline ? ` ${doc.escapeChar}${doc.eol}${doc.continuationIndentOf([ins])}` : ' ';
  const pieces = toAdd.map((mt) => mountFlag(mt, user) + sep);
  if (plan.aptKeep) pieces.push(aptKeepStep(doc, ins, multiline, sep));
  const insertion = pieces.join('');
  // the flags go first: an inserted `UV_LINK_MODE=copy ` may sit at the same offset and must follow them
  const edits = insertion ? [insertAt(view.docStart, insertion), ...plan.edits] : [...plan.edits];
  if (edits.length === 0) return outcomes;
  try { sortEdits(edits); } catch { refuse('the clean-ups to remove overlap each other; remove them by hand'); }

  verify(doc, ins, edits, toAdd.map((mt) => mountFlag(mt, user)), [...(plan.aptKeep ? APT_KEEP_WORDS : []), ...plan.expected]);

  const parts: string[] = [];
  if (toAdd.length) parts.push(`added cache mounts for ${[...new Set(toAdd.map((x) => label(x.eco)))].join(', ')} (${toAdd.map((x) => x.target).join(', ')})`);
  if (plan.aptKeep) parts.push(`removed ${DOCKER_CLEAN} so apt keeps downloaded packages`);
  parts.push(...new Set(plan.notes));
  if (plan.aptKeep) aptKept.add(ins);
  outcomes.push({ kind: 'rewrite', line, message: parts.join('; '), edits });
  return outcomes;
}

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
