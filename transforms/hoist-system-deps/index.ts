/**
 * hoist-system-deps: moves a RUN that only installs system packages (apt-get/apt, apk, dnf, yum, microdnf,
 * tdnf, zypper, dpkg, with their clean-up) up to just after its stage's FROM, so that a change to the
 * sources no longer re-runs it. It stops, silently, below what the install runs under: another RUN (it
 * never moves above one: the packages would then be there while that RUN runs), the stage's FROM, a
 * SHELL or USER, an ARG/ENV whose variable the RUN expands (found through the shell parser) or that
 * installers read from the environment (DEBIAN_FRONTEND, TZ, PATH, proxies, …), and a WORKDIR when the
 * RUN uses relative paths. It skips only instructions that run nothing, and refuses (the RUN stays) when
 * a skipped instruction could change what the install does or what it leaves behind:
 * - a COPY/ADD whose destination holds a file the RUN reads (`apt-get install ./pkg.deb`, `-c conf`),
 *   is not on the allowlist of destinations that no package writes to and nothing an install runs reads
 *   (/app, /src, /code, /workspace, /work, /build, /project, /srv, /usr/src/app, /tmp, and not on the
 *   PATH set by ENV; see destinations.ts: package triggers such as ldconfig and update-ca-certificates
 *   read /usr/local/lib, /usr/local/share/ca-certificates, /etc, …), lies where its clean-up removes
 *   (`rm -rf /tmp/*`), or cannot be known (a variable, a relative path under the base image's working
 *   directory, a heredoc);
 * - a COPY/ADD with `--chown` by name: the name is looked up in /etc/passwd, which an install can change;
 * - a WORKDIR or VOLUME inside those system directories, or an instruction it does not know.
 * A RUN qualifies only when every command in it is such a command (no `cd`, `echo > file`, `$(...)`,
 * loops or functions), its shell is POSIX and it is neither exec form nor a heredoc. Several such RUNs
 * keep their order; the comment lines directly above a RUN move with it.
 *
 * Before:  FROM debian:12              After:  FROM debian:12
 *          WORKDIR /app                        # tools
 *          COPY . .                            RUN apt-get update && apt-get install -y curl
 *          # tools                             WORKDIR /app
 *          RUN apt-get update && \             COPY . .
 *              apt-get install -y curl
 */
import type { Instruction, Run } from 'dockerfile-ast';
import { isExecForm, type DocView, type Stage } from '../../src/document.js';
import { insertAt, removeRange, type Edit } from '../../src/edits.js';
import { analyseSystemInstall, type SystemInstall } from './analyse.js';
import { pathDirectories, unsafeDestination } from './destinations.js';
import { parseView, runShellView } from '../../src/shell.js';
import { instructionStates, shellProblem, type InstructionState } from '../../src/stages.js';
import type { Outcome, Transform } from '../../src/types.js';

/** What a RUN that qualifies depends on, beyond its shell analysis. */
interface Candidate {
  ins: Run;
  info: SystemInstall;
  /** The RUN's flags mention a variable (`--mount=…,target=$X`). */
  flagVars: boolean;
  /** A mount target or read file is relative, so the working directory matters. */
  relative: boolean;
  /** Absolute targets of the RUN's mounts: files read under them come from the mount, not the image. */
  mounts: string[];
  state: InstructionState;
}

/** How an instruction between the target and the RUN relates to the RUN. */
type Verdict = { kind: 'skip' } | { kind: 'stop' } | { kind: 'refuse'; reason: string };

/** Instructions that run nothing and change nothing a RUN sees. */
const METADATA = new Set(['LABEL', 'EXPOSE', 'STOPSIGNAL', 'HEALTHCHECK', 'CMD', 'ENTRYPOINT', 'ONBUILD', 'MAINTAINER']);

export const hoistSystemDeps: Transform = {
  id: 'hoist-system-deps',
  summary: 'Move RUNs that only install system packages up to just after their stage\'s FROM',
  safety: 'build-only',
  defaults: {},
  apply(doc) {
    const outcomes: Outcome[] = [];
    const states = instructionStates(doc);
    for (const stage of doc.stages()) outcomes.push(...hoistInStage(doc, stage, states));
    return outcomes;
  },
};

function hoistInStage(doc: DocView, stage: Stage, states: Map<Instruction, InstructionState>): Outcome[] {
  const outcomes: Outcome[] = [];
  const list = stage.instructions;
  /** Hoisted RUNs: the index of the instruction they land after (-1: the FROM). */
  const landing = new Map<Instruction, number>();
  const moves: Move[] = [];
  for (let k = 0; k < list.length; k++) {
    const cand = candidate(doc, list[k]!, states);
    if (!cand) continue;
    let limit = -1;
    let skipped = 0;
    /** Skipped instructions whose change does not show in the Dockerfile's text: COPY/ADD (files), ARG (values). */
    let volatile = 0;
    let refusal: string | null = null;
    /** Where a hoisted RUN above this one lands: this one may follow it there, never further. */
    let bound = -1;
    for (let i = k - 1; i >= 0; i--) {
      if (i === bound) { limit = i; break; }
      const ins = list[i]!;
      if (ins.getKeyword() === 'RUN') {
        const l = landing.get(ins);
        if (l !== undefined) { bound = Math.max(bound, l); continue; }
        limit = i;
        break;
      }
      const v = verdict(doc, ins, cand, states.get(ins));
      if (v.kind === 'stop') { limit = i; break; }
      if (v.kind === 'refuse') { refusal = `not hoisted above the ${ins.getKeyword()} on line ${doc.lineOfNode(ins)}: ${v.reason}`; break; }
      skipped++;
      if (['COPY', 'ADD', 'ARG'].includes(ins.getKeyword())) volatile++;
    }
    if (refusal) { outcomes.push({ kind: 'refuse', line: doc.lineOfNode(cand.ins), reason: refusal }); continue; }
    // moving above LABEL/ENV/EXPOSE alone buys nothing worth a diff: they change only when the file does
    if (skipped === 0 || volatile === 0) continue;
    landing.set(cand.ins, limit);
    const after = limit === -1 ? stage.from : list[limit]!;
    const m = move(doc, cand, after, limit === -1 ? 'FROM' : after.getKeyword());
    moves.push(m);
    outcomes.push(m.outcome);
  }
  takeBreaksBefore(doc, moves);
  return outcomes;
}

/**
 * A file whose last line has no line break keeps it that way: a moved block that ends the file takes the
 * line break before it instead of its own (it has none). When the blocks directly above it move too, they
 * would then lose the break their removal ends with, so each block of that run of removals takes the
 * break before it: every removal stays right on its own (a reviewer may accept any of them) and they
 * never overlap.
 */
function takeBreaksBefore(doc: DocView, moves: Move[]): void {
  const t = doc.text;
  if (t.endsWith('\n')) return;
  const byStart = [...moves].sort((a, b) => a.removal.start - b.removal.start);
  let k = byStart.length - 1;
  if (k < 0 || byStart[k]!.removal.end !== t.length) return;
  for (; k >= 0; k--) {
    const m = byStart[k]!;
    const { start, end } = m.removal;
    const before = t[start - 1] === '\n' ? (t[start - 2] === '\r' ? 2 : 1) : 0;
    const own = t[end - 1] === '\n' ? (t[end - 2] === '\r' ? 2 : 1) : 0;
    const shifted = removeRange(start - before, end - own);
    m.outcome.edits = m.outcome.edits.map((e) => (e === m.removal ? shifted : e));
    if (k === 0 || byStart[k - 1]!.removal.end !== start) break;
  }
}

function candidate(doc: DocView, ins: Instruction, states: Map<Instruction, InstructionState>): Candidate | null {
  if (ins.getKeyword() !== 'RUN') return null;
  const run = ins as Run;
  const state = states.get(ins);
  if (!state || shellProblem(state)) return null;
  if (isExecForm(run) || run.getHeredocs().length > 0) return null;
  const view = runShellView(doc, run);
  if (!view || view.text.trim() === '') return null;
  const parsed = parseView(view);
  if ('error' in parsed) return null;
  const info = analyseSystemInstall(parsed);
  if (!info) return null;
  let flagVars = false;
  let relative = info.files.some((f) => !f.startsWith('/'));
  const mounts: string[] = [];
  for (const f of run.getFlags()) {
    const text = doc.slice(f);
    if (text.includes('$')) flagVars = true;
    if (f.getName().toLowerCase() !== 'mount') continue;
    for (const o of f.getOptions()) {
      const name = o.getName().toLowerCase();
      if (name !== 'target' && name !== 'dst' && name !== 'destination') continue;
      const target = o.getValue() ?? '';
      if (!target.startsWith('/')) relative = true;
      // BuildKit resolves a relative mount target against the WORKDIR
      const abs = resolvePath(target, state.workdir);
      if (abs !== null) mounts.push(abs);
    }
  }
  return { ins: run, info, flagVars, relative, mounts, state };
}

/** Names installers and their maintainer scripts read from the environment. */
function envSensitive(name: string): boolean {
  const n = name.toUpperCase();
  if (['PATH', 'HOME', 'SHELL', 'USER', 'LOGNAME', 'TMPDIR', 'TMP', 'TEMP', 'TERM', 'TZ', 'LANG', 'LANGUAGE', 'SOURCE_DATE_EPOCH',
    'GNUPGHOME', 'INITRD', 'RUNLEVEL', 'CONTAINER', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE'].includes(n)) return true;
  if (n.endsWith('_PROXY') || n === 'PROXY') return true;
  return ['LC_', 'LD_', 'DEBIAN_', 'DEBCONF_', 'DPKG_', 'DEB_', 'APT_', 'APK_', 'DNF_', 'YUM_', 'RPM_', 'ZYPP', 'PYTHON', 'PERL'].some((p) => n.startsWith(p));
}

function verdict(doc: DocView, ins: Instruction, cand: Candidate, st: InstructionState | undefined): Verdict {
  const kw = ins.getKeyword();
  switch (kw) {
    case 'SHELL': case 'USER': return { kind: 'stop' };
    case 'ARG': case 'ENV': {
      if (cand.flagVars || cand.info.vars === 'all') return { kind: 'stop' };
      const vars = cand.info.vars;
      const props = (ins as unknown as { getProperties(): { getName(): string }[] }).getProperties();
      return props.some((p) => vars.has(p.getName()) || envSensitive(p.getName())) ? { kind: 'stop' } : { kind: 'skip' };
    }
    case 'WORKDIR': {
      if (cand.relative) return { kind: 'stop' };
      const raw = ins.getArguments()[0]?.getValue() ?? '';
      const dir = resolvePath(raw, st?.workdir ?? null);
      if (dir === null) return { kind: 'refuse', reason: `its path ${raw} is not known here (a variable, or relative to the base image's working directory)` };
      const sys = installArea(dir, cand.info);
      return sys ? { kind: 'refuse', reason: `it creates ${dir}, ${sys}` } : { kind: 'skip' };
    }
    case 'VOLUME': {
      for (const a of volumePaths(ins)) {
        const p = resolvePath(a, st?.workdir ?? null);
        const sys = p === null ? 'whose place is not known here' : installArea(p, cand.info);
        if (sys) return { kind: 'refuse', reason: `it declares a volume at ${a}, ${sys} (changes under a volume can be discarded)` };
      }
      return { kind: 'skip' };
    }
    case 'COPY': case 'ADD': return copyVerdict(doc, ins, cand, st);
    default:
      return METADATA.has(kw) ? { kind: 'skip' } : { kind: 'refuse', reason: `${kw} is not an instruction this transform knows to be independent of the install` };
  }
}

function copyVerdict(doc: DocView, ins: Instruction, cand: Candidate, st: InstructionState | undefined): Verdict {
  const kw = ins.getKeyword();
  if ((ins as unknown as { getHeredocs?(): unknown[] }).getHeredocs?.().length) {
    return { kind: 'refuse', reason: `the ${kw} uses a heredoc, whose destination is not analysed` };
  }
  for (const f of (ins as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags()) {
    if (f.getName().toLowerCase() !== 'chown') continue;
    const v = f.getValue() ?? '';
    if (!/^\d+(:\d+)?$/.test(v)) {
      return { kind: 'refuse', reason: `--chown=${v} looks the owner up in /etc/passwd and /etc/group, which installing packages can change (use numeric ids)` };
    }
  }
  const dest = copyDestination(doc, ins);
  if (dest === null) return { kind: 'refuse', reason: 'its destination could not be read' };
  if (dest.includes('$')) return { kind: 'refuse', reason: `its destination ${dest} uses a variable, so where it writes is not known here` };
  const at = resolvePath(dest, st?.workdir ?? null);
  if (at === null) {
    return { kind: 'refuse', reason: `it copies to the relative path ${dest} and the working directory comes from the base image (often /), so the files could land where the install reads or writes; set a WORKDIR above it` };
  }
  // package triggers read what was put in system paths: only destinations on the allowlist are skipped
  const unsafe = unsafeDestination(at, pathDirectories(cand.state.env.get('PATH')));
  if (unsafe) return { kind: 'refuse', reason: `it writes to ${at}, ${unsafe}` };
  const sys = installArea(at, cand.info);
  if (sys) return { kind: 'refuse', reason: `it writes to ${at}, ${sys}` };
  const runDir = cand.state.workdir;
  for (const f of cand.info.files) {
    const p = resolvePath(f, runDir);
    if (p !== null && cand.mounts.some((m) => p === m || p.startsWith(m + '/'))) continue;
    if (p === null || overlaps(p, at)) return { kind: 'refuse', reason: `the RUN reads ${f}, which this ${kw} may provide` };
  }
  if (cand.info.dynamicOperands) {
    return { kind: 'refuse', reason: `the RUN installs an operand with a variable, which could name a file this ${kw} provides` };
  }
  return { kind: 'skip' };
}

/** The destination argument of COPY/ADD (shell or JSON form), as written. */
function copyDestination(doc: DocView, ins: Instruction): string | null {
  const args = ins.getArguments();
  const raw = args.length ? doc.text.slice(doc.offsetAt(args[0]!.getRange().start), doc.offsetAt(args[args.length - 1]!.getRange().end)) : '';
  if (raw.trim().startsWith('[')) {
    try {
      const v: unknown = JSON.parse(raw);
      if (Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === 'string')) return v[v.length - 1] as string;
    } catch { /* not JSON: fall through to the shell form */ }
  }
  if (args.length < 2) return null;
  return args[args.length - 1]!.getValue();
}

function volumePaths(ins: Instruction): string[] {
  const raw = ins.getRawArgumentsContent() ?? '';
  if (raw.trim().startsWith('[')) {
    try {
      const v: unknown = JSON.parse(raw);
      if (Array.isArray(v)) return v.map(String);
    } catch { /* shell form */ }
  }
  return ins.getArguments().map((a) => a.getValue());
}

/** An absolute, normalised path, or null when it depends on a working directory we do not know. */
function resolvePath(p: string, workdir: string | null): string | null {
  if (p.includes('$')) return null;
  let abs: string;
  if (p.startsWith('/')) abs = p;
  else if (workdir !== null && !workdir.includes('$')) abs = `${workdir}/${p}`;
  else return null;
  const parts: string[] = [];
  for (const seg of abs.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop(); else parts.push(seg);
  }
  return '/' + parts.join('/');
}

/** One path is the other or inside it. */
const overlaps = (a: string, b: string) => a === b || a.startsWith(b === '/' ? '/' : b + '/') || b.startsWith(a === '/' ? '/' : a + '/');

/** Directories package managers write to; /usr/local and /usr/src are left to the image's own files. */
const SYSTEM_DIRS = ['/etc', '/var', '/lib', '/lib32', '/lib64', '/libx32', '/bin', '/sbin', '/boot', '/run',
  '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib32', '/usr/lib64', '/usr/libx32', '/usr/libexec', '/usr/share', '/usr/include', '/usr/games'];

/** Why a path written before the install collides with it: it lies where installs write, or where the clean-up removes. */
function installArea(p: string, info: SystemInstall): string | null {
  let sys: string | undefined = p === '/' || p === '/usr' ? p : SYSTEM_DIRS.find((d) => overlaps(p, d));
  if (!sys && p.startsWith('/usr/') && !p.startsWith('/usr/local') && !p.startsWith('/usr/src')) sys = '/usr';
  if (sys) return sys === p ? 'where installing packages writes' : `inside ${sys}, where installing packages writes`;
  const rm = info.removes.find((r) => overlaps(p, r));
  return rm ? `which the RUN's clean-up removes (rm ${rm})` : null;
}

interface Move {
  outcome: Extract<Outcome, { kind: 'rewrite' }>;
  /** The edit of `outcome` that removes the RUN's lines. */
  removal: Edit;
}

/** The rewrite: remove the RUN (with its comment lines) and insert the same text after `after`. */
function move(doc: DocView, cand: Candidate, after: Instruction, afterKw: string): Move {
  const run = cand.ins;
  const firstLine = commentBlockStart(doc, run);
  const blockStart = doc.lineStart(firstLine);
  const span = doc.lineSpan(run);
  let block = doc.text.slice(blockStart, span.end);
  let removeStart = blockStart;
  // a blank line above the block goes with it when a blank line (or the end) follows, so none doubles up
  const above = firstLine - 1;
  const below = run.getRange().end.line + 1;
  const blankBelow = below >= doc.lineCount || doc.lineText(below).trim() === '';
  if (above > previousInstructionEnd(doc, run) && doc.lineText(above).trim() === '' && blankBelow) removeStart = doc.lineStart(above);
  // the RUN is the last line and has no line break: the moved copy gets one (takeBreaksBefore keeps the end)
  if (!block.endsWith('\n')) block += doc.eol;
  const at = doc.lineSpan(after).end;
  const removal = removeRange(removeStart, span.end);
  const from = doc.lineOfNode(run);
  return {
    outcome: {
      kind: 'rewrite',
      line: from,
      message: `moves the system package install (${cand.info.managers.join(', ')}) from line ${from} up to just after the ${afterKw} on line ${doc.lineOfNode(after)}`,
      edits: [removal, insertAt(at, block)],
    },
    removal,
  };
}

/** First line of the comment lines directly above the RUN (no blank line between), else the RUN's line. */
function commentBlockStart(doc: DocView, run: Instruction): number {
  const start = run.getRange().start.line;
  const prevEnd = previousInstructionEnd(doc, run);
  let l = start;
  while (l - 1 > prevEnd && doc.lineText(l - 1).trimStart().startsWith('#')) l--;
  return l;
}

/** Last line of the instruction before the RUN (-1: none); a binary search (a scan per RUN was quadratic). */
function previousInstructionEnd(doc: DocView, run: Instruction): number {
  const all = doc.instructions();
  const start = run.getRange().start.line;
  let lo = 0, hi = all.length; // first instruction starting at or after `start`
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (all[mid]!.getRange().start.line < start) lo = mid + 1; else hi = mid;
  }
  return lo === 0 ? -1 : all[lo - 1]!.getRange().end.line;
}
