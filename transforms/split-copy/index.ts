/**
 * split-copy: copies the dependency manifests before the install and the full source after it, so a
 * source change no longer re-runs the install (the install layer stays cached).
 *
 * It reads the build context (the files `COPY . .` sends, with the .dockerignore applied) and never
 * guesses: only manifests that exist and are sent are copied. Ecosystems: npm, yarn, pnpm, bun, pip
 * (-r/-c files), Poetry (`--no-root` first, then the project), uv (`--no-install-project` first), pipenv,
 * Go (inserts `go mod download` before a build), Maven (inserts `dependency:go-offline`), Bundler,
 * Composer (`--no-scripts --no-autoloader` first, `dump-autoload` after), .NET (inserts `dotnet restore`).
 * Gradle and Cargo are always refused (no safe dependency-only step exists).
 *
 * The install RUN is found with the shell parser. An install that shares its RUN with later commands
 * joined by `&&` (`npm ci && npm run build`) is split there: the install keeps the RUN, `COPY . .` and a
 * new RUN with the same flags take the rest (each RUN already fails the build on its own).
 *
 * Refuses (with the reason on the line) when: the build context is unknown; the install runs a script or
 * builds something that needs the source (`pip install .`, `-e`, npm lifecycle scripts, path
 * dependencies, Gemfile `gemspec`, composer event scripts); a workspace/monorepo; a required manifest is
 * missing or excluded by the .dockerignore; the context sends a folder the install writes
 * (node_modules, .venv, vendor, obj …) that `COPY . .` would then overwrite; a RUN, COPY or VOLUME
 * between the copy and the install; a WORKDIR/ENV/ARG between them that changes what the moved COPY
 * means; the install runs elsewhere than the copy's destination; the manifests are already copied
 * first; the COPY has flags other than --chown/--chmod/--link, or is in JSON form.
 * With no .dockerignore, a note lists what `COPY . .` sends that it should not (.git, node_modules, …).
 *
 * Every manifest is parsed (manifests.ts) and each local reference it makes must be in the copied set;
 * an install that may rewrite a lockfile the context sends is refused unless it cannot write it. A copy
 * of a service directory (`COPY services/api/ ./`) is split the same way, with that directory's manifests.
 * `--split-style bind` (option `style`) bind-mounts the manifests into the install RUN instead of copying
 * them (no manifest layer); see docs/split-copy.md.
 *
 * Before:  WORKDIR /app            After:  WORKDIR /app
 *          COPY . .                        COPY package.json package-lock.json ./
 *          RUN npm ci                      RUN npm ci
 *          RUN npm run build               COPY . .
 *                                          RUN npm run build
 */
import { posix } from 'node:path';
import dockerignore from '@balena/dockerignore';
import type { Flag, Instruction } from 'dockerfile-ast';
import { execArgs, isExecForm, type DocView, type Stage } from '../../src/document.js';
import { insertAt, replaceRange, type Edit } from '../../src/edits.js';
import { Op, nodeType, parseShell, parseView, runShellView, simpleCommands, stateHazard, type ParsedShell, type ShellView, type ShNode, type SimpleCommand } from '../../src/shell.js';
import { instructionStates, shellProblem, type InstructionState } from '../../src/stages.js';
import { contextInfo, dockerignoreOf } from '../../src/build-context.js';
import { classify, plan, type CommandClass, type Ctx, type Eco, type Plan } from './ecosystems.js';
import type { ContextFs, Outcome, Transform } from '../../src/types.js';
import { UsageError } from '../../src/errors.js';

// a CommonJS module whose typings declare an ES default export: take the function either way
const ignore = ((dockerignore as unknown as { default?: typeof dockerignore }).default ?? dockerignore) as unknown as (typeof import('@balena/dockerignore'))['default'];

export interface SplitCopyOptions {
  /** Create the suggested .dockerignore (under --write) where a context has none. */
  createDockerignore?: boolean;
  /** copy: `COPY <manifests>` before the install; bind: bind-mount the manifests into the install RUN instead (no manifest layer). */
  style?: SplitStyle;
}

export type SplitStyle = 'copy' | 'bind';
const STYLES: readonly SplitStyle[] = ['copy', 'bind'];

/** Run state with --create-dockerignore: the .dockerignore to create, per context directory. */
interface CreateState { pending: Map<string, string[]> }

export const splitCopy: Transform<SplitCopyOptions> = {
  id: 'split-copy',
  summary: 'Copy dependency manifests and install before copying the whole source, so source changes keep the install cached',
  safety: 'build-only',
  defaults: { createDockerignore: false, style: 'copy' },
  flags: {
    'split-style': { key: 'style', type: 'string', help: 'how split-copy gives the install its manifests: copy (a COPY of the manifests before it, any builder) or bind (RUN --mount=type=bind of each manifest, BuildKit; no manifest layer)' },
    'create-dockerignore': { key: 'createDockerignore', type: 'boolean', help: 'with --write, create the suggested .dockerignore where a build context has none (a new file: the context, and so the image, no longer has those paths)' },
  },
  parseOptions(raw) {
    const style = raw.style ?? 'copy';
    if (!STYLES.includes(style as SplitStyle)) throw new UsageError(`--split-style: "${String(style)}" is not one of ${STYLES.join(', ')}`);
    if (raw.createDockerignore !== undefined && typeof raw.createDockerignore !== 'boolean') throw new UsageError(`split-copy's createDockerignore must be true or false`);
    return { createDockerignore: raw.createDockerignore === true, style: style as SplitStyle };
  },
  prepare(options) {
    return options.createDockerignore ? ({ pending: new Map() } satisfies CreateState) : undefined;
  },
  async finish(state, run) {
    const st = state as CreateState | undefined;
    if (!st || !run.write) return;
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    for (const [dir, lines] of [...st.pending].sort()) {
      // 'wx': never overwrite a .dockerignore that appeared meanwhile
      try { await writeFile(join(dir, '.dockerignore'), lines.join('\n') + '\n', { flag: 'wx' }); } catch { /* exists now: leave it */ }
    }
  },
  apply(doc, ctx) {
    const outcomes: Outcome[] = [];
    const states = instructionStates(doc);
    const context = makeCtx(ctx.buildContext);
    let noted = false;
    for (const stage of doc.stages()) {
      stage.instructions.forEach((ins, i) => {
        const full = fullCopyOf(doc, ins);
        if (!full) return;
        if (!noted && ctx.buildContext.root !== null && full.dir === null) {
          noted = true;
          const n = dockerignoreNote(ctx.buildContext, context);
          if (n) {
            const st = ctx.state as CreateState | undefined;
            if (st && ctx.buildContext.root !== null) {
              st.pending.set(ctx.buildContext.root, n.lines);
              outcomes.push({ kind: 'note', line: doc.lineOfNode(ins), message: `${n.message}; --create-dockerignore creates it under --write (those paths then leave the build context and the image)` });
            } else {
              outcomes.push({ kind: 'note', line: doc.lineOfNode(ins), message: n.message });
            }
          }
        }
        const o = splitOne(doc, stage, i, full, states, ctx.buildContext, context, ctx.options.style ?? 'copy');
        if (o) outcomes.push(o);
      });
    }
    return outcomes;
  },
};

// ---------------------------------------------------------------------------------------------------
// The build context

const makeCtx = (fs: ContextFs): Ctx => {
  const ig = dockerignoreOf(fs);
  const lines = ig ? ig.text.split(/\r?\n/) : [];
  const matcher = ig ? ignore().add(lines) : null;
  // without `!` patterns, nothing below an excluded directory can be sent
  const reinclude = lines.some((l) => l.trim().startsWith('!'));
  const ignored = (rel: string) => matcher !== null && matcher.ignores(rel);
  const sent = (rel: string, depth = 0): boolean => {
    if (!fs.exists(rel)) return false;
    if (!fs.isDirectory(rel)) return !ignored(rel);
    if (ignored(rel) && !reinclude) return false;
    const entries = fs.list(rel);
    if (entries.length === 0 || depth >= 3) return !ignored(rel);
    return entries.some((n) => sent(`${rel}/${n}`, depth + 1));
  };
  return {
    exists: (rel) => fs.exists(rel),
    ignored,
    sent: (rel) => sent(rel),
    isDirectory: (rel) => fs.isDirectory(rel),
    readText: (rel) => fs.readText(rel),
    list: (rel) => fs.list(rel),
  };
};

const JUNK = ['.git', 'node_modules', '.venv', 'venv', '__pycache__', '.pytest_cache', '.mypy_cache', '.tox', '.gradle', '.idea', '.DS_Store'];

function dockerignoreNote(fs: ContextFs, ctx: Ctx): { message: string; lines: string[] } | null {
  if (dockerignoreOf(fs)) return null;
  const found = JUNK.filter((n) => ctx.exists(n));
  if ((ctx.exists('Cargo.toml') || ctx.exists('pom.xml')) && ctx.exists('target')) found.push('target');
  if (found.length === 0) return null;
  return {
    message: `the build context has no .dockerignore, so COPY . . also sends ${found.join(', ')}; a .dockerignore with the lines ${found.map((f) => JSON.stringify(f)).join(', ')} keeps them out (and keeps them from invalidating the cache)`,
    lines: found,
  };
}

// ---------------------------------------------------------------------------------------------------
// The full copy

interface FullCopy {
  ins: Instruction;
  isAdd: boolean;
  /** Offsets of the source and destination words. */
  srcStart: number;
  destStart: number;
  destEnd: number;
  dest: string;
  /**
   * A copy of one directory of the context (`COPY src/accounting/ Accounting/`, a service of a monorepo),
   * context-relative without a trailing slash; null for the whole context. Such a copy is split only when
   * its directory holds the install's manifests and lands where the install runs; otherwise it is left
   * alone without a message (most directory copies are not an install's input).
   */
  dir: string | null;
  /** Why it cannot be split, when it is a full copy of a form this transform does not handle. */
  problem: string | null;
}

const COPY_FLAGS = new Set(['chown', 'chmod', 'link']);

/** A COPY/ADD of the whole build context (`COPY . .`), or null. */
function fullCopyOf(doc: DocView, ins: Instruction): FullCopy | null {
  const kw = ins.getKeyword();
  if (kw !== 'COPY' && kw !== 'ADD') return null;
  const flags = (ins as unknown as { getFlags(): Flag[] }).getFlags();
  if (flags.some((f) => f.getName().toLowerCase() === 'from')) return null;
  if ((ins as unknown as { getHeredocs(): unknown[] }).getHeredocs().length > 0) return null;
  const base = { ins, isAdd: kw === 'ADD', srcStart: 0, destStart: 0, destEnd: 0, dest: '', dir: null };
  const arr = execArgs(ins);
  if (arr) {
    if (arr.length === 2 && (arr[0] === '.' || arr[0] === './')) return { ...base, problem: `the ${kw} is in JSON form, which this transform does not rewrite` };
    return null;
  }
  const args = ins.getArguments();
  if (args.length !== 2) return null;
  const srcWord = args[0]!.getValue();
  let dir: string | null = null;
  if (!['.', './'].includes(srcWord)) {
    // a plain relative directory path (whether it is a directory is checked against the context)
    if (!/^(\.\/)?[\w@+.-]+(\/[\w@+.-]+)*\/?$/.test(srcWord) || srcWord.split('/').some((x) => x === '..' || x === '.' && srcWord !== './')) return null;
    dir = posix.normalize(srcWord).replace(/\/$/, '');
    if (dir === '.' || dir.startsWith('..')) return null;
  }
  const bad = flags.find((f) => !COPY_FLAGS.has(f.getName().toLowerCase()));
  const src = doc.span(args[0]!), dst = doc.span(args[1]!);
  const dest = args[1]!.getValue();
  let problem: string | null = null;
  if (bad) problem = `the ${kw} has --${bad.getName()}, which this transform does not carry over to a manifest COPY`;
  else if (!/^[\w@+.\/${}:-]+$/.test(dest) || doc.text.slice(dst.start, dst.end) !== dest) problem = `the ${kw} destination ${doc.text.slice(dst.start, dst.end)} is quoted or has special characters`;
  return { ...base, srcStart: src.start, destStart: dst.start, destEnd: dst.end, dest, dir, problem };
}

/** The context seen from one of its directories (the .dockerignore still applies to the full paths). */
function subCtx(c: Ctx, dir: string): Ctx {
  const at = (r: string) => (r ? `${dir}/${r}` : dir);
  return { exists: (r) => c.exists(at(r)), ignored: (r) => c.ignored(at(r)), sent: (r) => c.sent(at(r)), isDirectory: (r) => c.isDirectory(at(r)), readText: (r) => c.readText(at(r)), list: (r) => c.list(at(r)), ...(c.env ? { env: c.env } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// RUN analysis

interface Element {
  start: number;
  end: number;
  stmt: ShNode | null;
  kind: 'install' | 'build' | 'neutral' | 'other' | 'refuse';
  /** Install or build commands in it. */
  eco: { cls: Extract<CommandClass, { kind: 'install' | 'build' }>; cmd: SimpleCommand }[];
  /** Ecosystems of every install, build or refused command in it. */
  ecos: Set<Eco>;
  reason: string | null;
}

interface RunInfo {
  ins: Instruction;
  view: ShellView;
  parsed: ParsedShell;
  elements: Element[];
  /** Whether elements are the parts of one top-level `&&` chain (so the RUN can be split between them). */
  chain: boolean;
  role: 'install' | 'build' | 'neutral' | 'other' | 'refuse';
  reason: string | null;
  /** Index of the first install/build element, and of the last element of the install phase. */
  first: number;
  phaseEnd: number;
}

function flattenAnd(stmt: ShNode): ShNode[] {
  const cmd = stmt.Cmd;
  if (nodeType(cmd) === 'BinaryCmd' && cmd.Op === Op.And && !stmt.Negated && (stmt.Redirs as ShNode[]).length === 0 && !stmt.Background) {
    return [...flattenAnd(cmd.X), ...flattenAnd(cmd.Y)];
  }
  return [stmt];
}

function analyseRun(doc: DocView, ins: Instruction, state: InstructionState | undefined): RunInfo | null {
  if (shellProblem(state) || isExecForm(ins)) return null;
  if ((ins as unknown as { getHeredocs(): unknown[] }).getHeredocs().length > 0) return null;
  const view = runShellView(doc, ins);
  if (!view) return null;
  const parsed = parseView(view);
  if ('error' in parsed) return null;
  const stmts = parsed.file.Stmts as ShNode[];
  if (stmts.length === 0) return null;
  let parts: ShNode[];
  let chain = false;
  if (stmts.length === 1) {
    parts = flattenAnd(stmts[0]);
    chain = parts.length > 1;
  } else parts = [];
  const ranges = parts.length
    ? parts.map((s) => ({ start: parsed.offset(s.Pos()), end: parsed.offset(s.End()), stmt: s as ShNode | null }))
    : [{ start: 0, end: view.text.length, stmt: null }];
  const cmds = simpleCommands(parsed.file);
  const elements: Element[] = ranges.map((r) => {
    const mine = cmds.filter((c) => { const o = parsed.offset(c.call.Pos()); return o >= r.start && o < r.end; });
    const el: Element = { ...r, kind: 'neutral', eco: [], ecos: new Set(), reason: null };
    let other = false;
    for (const c of mine) {
      const cls: CommandClass = nodeType(c.call) === 'DeclClause' ? { kind: 'other' } : classify(c.words);
      if ('eco' in cls) el.ecos.add(cls.eco);
      if (cls.kind === 'other') other = true;
      else if (cls.kind === 'refuse') { if (el.kind !== 'refuse') { el.kind = 'refuse'; el.reason = cls.reason; } }
      else if (cls.kind === 'install' || cls.kind === 'build') el.eco.push({ cls, cmd: c });
    }
    if (el.kind === 'refuse') return el;
    if (other) {
      el.kind = 'other';
      if (el.eco.length) el.reason = `\`${el.eco[0]!.cls.words.join(' ')}\` shares ${chain ? 'a part of the && chain' : 'the RUN'} with other commands${chain ? '' : ' (joined by `;`, newlines, `||` or grouping rather than one && chain)'}, so it cannot be split off without changing when the RUN fails or what it sees`;
      return el;
    }
    if (el.eco.some((e) => e.cls.kind === 'build')) el.kind = 'build';
    else if (el.eco.length) el.kind = 'install';
    return el;
  });
  const info: RunInfo = { ins, view, parsed, elements, chain, role: 'neutral', reason: null, first: -1, phaseEnd: -1 };
  const first = elements.findIndex((e) => e.kind === 'install' || e.kind === 'build' || e.kind === 'refuse' || e.reason !== null);
  if (first === -1) {
    info.role = elements.every((e) => e.kind === 'neutral') ? 'neutral' : 'other';
    return info;
  }
  info.first = first;
  const el = elements[first]!;
  if (el.kind === 'refuse' || el.kind === 'other') return { ...info, role: 'refuse', reason: el.reason };
  const before = elements.slice(0, first).find((e) => e.kind !== 'neutral');
  if (before) {
    const what = view.text.slice(before.start, before.end);
    return { ...info, role: 'refuse', reason: `the ${el.kind} runs after \`${what.length > 60 ? what.slice(0, 57) + '…' : what}\` in the same RUN, which may need the source or change the directory` };
  }
  if (el.kind === 'build') return { ...info, role: 'build', phaseEnd: first };
  let end = first;
  while (end + 1 < elements.length && (elements[end + 1]!.kind === 'install' || elements[end + 1]!.kind === 'neutral')) end++;
  return { ...info, role: 'install', phaseEnd: end };
}

// ---------------------------------------------------------------------------------------------------
// One full copy

const PASSIVE = new Set(['ENV', 'ARG', 'LABEL', 'EXPOSE', 'WORKDIR', 'USER', 'SHELL', 'STOPSIGNAL', 'HEALTHCHECK', 'CMD', 'ENTRYPOINT', 'MAINTAINER', 'ONBUILD']);

function splitOne(doc: DocView, stage: Stage, index: number, full: FullCopy, states: Map<Instruction, InstructionState>, fs: ContextFs, ctx0: Ctx, style: SplitStyle): Outcome | null {
  const copyLine = doc.lineOfNode(full.ins);
  let target: RunInfo | null = null;
  let blocker: { line: number; why: string } | null = null;
  const between: Instruction[] = [];
  for (const ins of stage.instructions.slice(index + 1)) {
    const kw = ins.getKeyword();
    const line = doc.lineOfNode(ins);
    if (kw === 'RUN') {
      // a RUN this transform cannot read (an unknown shell, a Windows image): say so once, for COPY . .
      const problem = shellProblem(states.get(ins));
      if (problem && !isExecForm(ins)) return blocker || full.dir !== null ? null : { kind: 'refuse', line, reason: `COPY . . (line ${copyLine}) not split: the RUN on line ${line} is not read: ${problem}` };
      const r = analyseRun(doc, ins, states.get(ins));
      if (r && (r.role === 'install' || r.role === 'build' || r.role === 'refuse')) { target = r; break; }
      if (r && r.role === 'neutral' && !blocker) { between.push(ins); continue; }
      blocker ??= { line, why: `the RUN on line ${line} runs between the COPY and the install and may read the copied source` };
      continue;
    }
    if (kw === 'COPY' || kw === 'ADD') { blocker ??= { line, why: `the ${kw} on line ${line} between the full COPY and the install could overlap with what COPY . . copies` }; continue; }
    if (kw === 'VOLUME') { blocker ??= { line, why: `the VOLUME on line ${line} between the full COPY and the install changes how later writes to it behave` }; continue; }
    if (PASSIVE.has(kw)) { if (!blocker) between.push(ins); continue; }
    blocker ??= { line, why: `the ${kw} on line ${line} sits between the full COPY and the install` };
  }
  if (!target) return null;
  // an install of the same ecosystem already runs before the full COPY (split by hand, bind mounts, or
  // by an earlier run of this transform): the dependency layer is already arranged
  const targetEcos = new Set(target.elements.flatMap((e) => [...e.ecos]));
  const priorInstall = stage.instructions.slice(0, index).some((ins) => ins.getKeyword() === 'RUN'
    && (analyseRun(doc, ins, states.get(ins))?.elements.some((e) => [...e.ecos].some((x) => targetEcos.has(x))) ?? false));
  if (priorInstall) return null;
  const runLine = doc.lineOfNode(target.ins);
  const what = full.dir === null ? 'COPY . .' : `the copy of ${full.dir}/`;
  const refuse = (line: number, reason: string): Outcome => ({ kind: 'refuse', line, reason: `${what} (line ${copyLine}) not split: ${reason}` });
  // a directory copy: only one that holds the install's manifests and lands where it runs is its input
  const quiet = full.dir !== null;
  if (quiet) {
    if (fs.root === null || !ctx0.isDirectory(full.dir!) || blocker || target.role === 'refuse' || full.problem) return null;
    ctx0 = subCtx(ctx0, full.dir!);
  }
  if (blocker) return refuse(blocker.line, `${blocker.why}; the install on line ${runLine} would have to move before it`);
  if (target.role === 'refuse') return refuse(runLine, target.reason!);
  if (full.problem) return refuse(copyLine, full.problem);

  // the context
  const info = contextInfo(fs);
  if (fs.root === null) {
    return refuse(copyLine, info?.source === 'unknown' && info.detail ? `the build context cannot be determined: ${info.detail}` : 'the build context cannot be determined (no directory is known for this Dockerfile); run on a file, or pass --context DIR');
  }

  // the mounts of the install RUN
  const runFlags = (target.ins as unknown as { getFlags(): Flag[] }).getFlags();
  for (const f of runFlags) {
    if (f.getName().toLowerCase() !== 'mount') continue;
    const opts = new Map(f.getOptions().map((o) => [o.getName().toLowerCase(), o.getValue()]));
    const type = opts.get('type') ?? 'bind';
    if (type === 'bind' && !opts.has('from')) return refuse(runLine, 'the install RUN bind-mounts the build context, so it already reads the source without COPY . .');
  }

  // the plan: the install sees the ENV and ARG values in force at its RUN
  const runEnv = new Map<string, string>();
  const st = states.get(target.ins)!;
  for (const [k, v] of st.args) if (v !== null) runEnv.set(k, v);
  for (const [k, v] of st.env) runEnv.set(k, v);
  const ctx: Ctx = { ...ctx0, env: runEnv };
  const phase = target.role === 'build' ? [target.elements[target.first]!] : target.elements.slice(target.first, target.phaseEnd + 1);
  const ecoCmds = phase.flatMap((e) => e.eco).filter((e) => target!.role === 'build' ? e.cls.kind === 'build' : e.cls.kind === 'install');
  const plans: { plan: Plan; cmd: SimpleCommand; cls: Extract<CommandClass, { kind: 'install' | 'build' }> }[] = [];
  for (const e of ecoCmds) {
    const inline = (e.cmd.call.Assigns as ShNode[] | undefined ?? []).map((a) => a.Name?.Value as string | undefined).find((n) => n !== undefined && /^(PIP_|npm_config_|NPM_CONFIG_|YARN_|UV_|BUNDLE_|GO|COMPOSER|POETRY_|PIPENV_|NUGET|MAVEN_)/.test(n));
    if (inline) return refuse(runLine, `\`${e.cls.words.join(' ')}\` gets ${inline} inline, which changes what it reads; this transform does not follow it`);
    const p = plan(e.cls, ctx);
    if ('refuse' in p) {
      if (quiet && /is not in the build context, so|no project or solution file/.test(p.refuse)) return null;
      return refuse(runLine, p.refuse);
    }
    plans.push({ plan: p, cmd: e.cmd, cls: e.cls });
  }
  if (plans.length === 0) return null;
  if (target.role === 'build') plans.splice(1);
  const twoPhase = plans.filter((p) => p.plan.mode === 'two-phase');
  if (twoPhase.length && plans.length > 1) return refuse(runLine, `the RUN has several installs, and \`${twoPhase[0]!.cls.words.join(' ')}\` must be split in two around the source; split the RUN first`);
  const files: string[] = [];
  for (const p of plans) for (const f of p.plan.files) if (!files.includes(f)) files.push(f);
  const ecos = [...new Set(plans.map((p) => p.plan.eco))];
  for (const out of new Set(plans.flatMap((p) => p.plan.outputs))) {
    if (ctx.sent(out)) return refuse(runLine, `the build context sends ${out} (the .dockerignore does not exclude it): the install writes it, and COPY . . after the install would overwrite it with the local copy, which the original order did not; add ${out} to the .dockerignore`);
  }
  /** A file's path in the context (the copy's directory in front, for a directory copy). */
  const inCtx = (f: string) => (full.dir === null ? f : `${full.dir}/${f}`);
  const oddFile = files.map(inCtx).find((f) => !/^[\w@+.\/-]+$/.test(f) || /[*?[]/.test(f));
  if (oddFile) return refuse(copyLine, `the manifest ${oddFile} has characters that a COPY line would need to quote`);

  // already split?
  const prior = stage.instructions.slice(0, index);
  const manifestCopy = prior.find((ins) => {
    if (ins.getKeyword() !== 'COPY' && ins.getKeyword() !== 'ADD') return false;
    if ((ins as unknown as { getFlags(): Flag[] }).getFlags().some((f) => f.getName().toLowerCase() === 'from')) return false;
    const args = execArgs(ins) ?? ins.getArguments().map((a) => a.getValue());
    const srcs = args.slice(0, -1).map((a) => a.replace(/^\.\//, ''));
    return srcs.some((s) => files.some((f) => globMatch(s, inCtx(f)) || globMatch(s, posix.basename(f))));
  });
  if (manifestCopy) {
    return refuse(copyLine, `the COPY is already split: line ${doc.lineOfNode(manifestCopy)} copies manifests before it, but COPY . . still comes before the install on line ${runLine}; move it after the install by hand`);
  }

  // where the manifests land and where the install runs
  const copyState = states.get(full.ins)!;
  const runState = states.get(target.ins)!;
  const destDir = resolveDir(copyState, full.dest);
  const runDir = resolveDir(runState, '.');
  if (destDir !== runDir && quiet) return null;
  if (destDir !== runDir) return refuse(runLine, `the install runs in ${runDir.replace('<image WORKDIR>', 'the image\'s WORKDIR')}, but COPY . . copies to ${destDir.replace('<image WORKDIR>', 'the image\'s WORKDIR')}, so the manifests would not be where the install looks`);
  const usedVars = new Set([...doc.slice(full.ins).matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!));
  for (const ins of between) {
    const kw = ins.getKeyword();
    if ((kw === 'ENV' || kw === 'ARG')) {
      const names = (ins as unknown as { getProperties(): { getName(): string }[] }).getProperties().map((p) => p.getName());
      const hit = names.find((n) => usedVars.has(n));
      if (hit) return refuse(doc.lineOfNode(ins), `the ${kw} on line ${doc.lineOfNode(ins)} sets ${hit}, which the COPY on line ${copyLine} uses, so moving the COPY after it would change its meaning`);
    }
    if (kw === 'WORKDIR' && !full.dest.startsWith('/')) return refuse(doc.lineOfNode(ins), `the WORKDIR on line ${doc.lineOfNode(ins)} would change where the moved COPY . . (relative destination ${full.dest}) lands`);
  }

  if (style === 'bind') {
    const why = bindProblem(full, plans, files);
    if (why) return refuse(runLine, `--split-style bind: ${why}; use the copy style`);
  }
  return rewrite(doc, full, target, plans, files, between, style, runDir);
}

/**
 * Why the manifests cannot be bind-mounted into the install instead of copied. A bind mount is
 * read-only and holds the context's files with the context's owners and modes; nothing the install
 * writes into it stays. COPY . . comes right after the install (or the inserted dependency step), so
 * no later step can read the manifests before they are in the image.
 */
function bindProblem(full: FullCopy, plans: { plan: Plan }[], files: string[]): string | null {
  const own = (full.ins as unknown as { getFlags(): Flag[] }).getFlags().find((f) => ['chown', 'chmod'].includes(f.getName().toLowerCase()));
  if (own) return `the COPY has --${own.getName()}, but mounted manifests keep the context's owner and mode while the install reads them`;
  for (const p of plans) if (p.plan.bindProblem) return p.plan.bindProblem;
  const odd = files.find((f) => /[,=]/.test(f));
  if (odd) return `the manifest ${odd} has a character a --mount option cannot hold`;
  return null;
}

function globMatch(pattern: string, name: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern.replace(/\/$/, '') === name;
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|\\[\]]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return re.test(name);
}

/** An absolute, normalised directory for `path` as a COPY destination or WORKDIR would resolve it. */
function resolveDir(st: InstructionState, path: string): string {
  const expand = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => {
    const n = (a ?? b)!;
    const v = st.env.get(n) ?? st.args.get(n);
    return v === undefined || v === null ? `\${${n}}` : v;
  });
  const clean = (s: string) => posix.normalize(s.replace(/\/+/g, '/')).replace(/(.)\/$/, '$1');
  const unquote = (x: string) => x.replace(/^"(.*)"$/, '$1');
  let p = expand(unquote(path));
  if (p.startsWith('/')) return clean(p);
  const wd = st.workdir === null ? '<image WORKDIR>' : expand(st.workdir.replace(/^(\/?)"(.*)"$/, '$1$2'));
  p = `${wd}/${p}`;
  return clean(p);
}

// ---------------------------------------------------------------------------------------------------
// The edits

function rewrite(doc: DocView, full: FullCopy, target: RunInfo, plans: { plan: Plan; cmd: SimpleCommand; cls: Extract<CommandClass, { kind: 'install' | 'build' }> }[], files: string[], between: Instruction[], style: SplitStyle, runDir: string): Outcome {
  const bind = style === 'bind';
  const eol = doc.eol;
  const edits: Edit[] = [];
  const copyText = doc.slice(full.ins);
  const ins = full.ins;
  const kwRange = doc.span(ins.getInstructionRange());
  const kwText = doc.text.slice(kwRange.start, kwRange.end);
  const copyKw = full.isAdd ? (kwText === kwText.toLowerCase() ? 'copy' : 'COPY') : kwText;
  const prefix = copyKw + doc.text.slice(kwRange.end, full.srcStart);

  // the manifest COPY lines, grouped by directory (one COPY per directory source)
  const destBase = full.dest.endsWith('/') ? full.dest : `${full.dest}/`;
  const groups: { srcs: string[]; dest: string }[] = [];
  for (const f of files) {
    if (isDirManifest(f, plans)) { groups.push({ srcs: [f], dest: posix.join(destBase, f) + '/' }); continue; }
    const dir = posix.dirname(f);
    const dest = dir === '.' ? destBase : posix.join(destBase, dir) + '/';
    const g = groups.find((x) => x.dest === dest && !x.srcs.some((s) => isDirManifest(s, plans)));
    if (g) g.srcs.push(f); else groups.push({ srcs: [f], dest });
  }
  groups.sort((a, b) => (a.dest === destBase ? 0 : 1) - (b.dest === destBase ? 0 : 1));
  const keepDot = (d: string) => (full.dest.startsWith('./') || full.dest === '.') && !d.startsWith('./') && !d.startsWith('/') && !d.startsWith('$') ? `./${d}` : d;
  const src = (f: string) => (full.dir === null ? f : `${full.dir}/${f}`);
  const lines = groups.map((g) => `${g.srcs.map(src).join(' ')} ${keepDot(g.dest)}`);
  if (bind) {
    // no manifest layer: the full COPY leaves its place (its lines, not the comments above it)
    const span = doc.lineSpan(ins);
    edits.push(replaceRange(span.start, span.end, ''));
  } else {
    if (full.isAdd) edits.push(replaceRange(kwRange.start, kwRange.end, copyKw));
    edits.push(replaceRange(full.srcStart, full.destEnd, lines.map((l, i) => (i === 0 ? l : prefix + l)).join(eol)));
  }

  const runIns = target.ins;
  const runKwRange = doc.span(runIns.getInstructionRange());
  const runKw = doc.text.slice(runKwRange.start, runKwRange.end);
  const runFlags = (runIns as unknown as { getFlags(): Flag[] }).getFlags();
  const flagText = runFlags.length ? doc.text.slice(doc.span(runFlags[0]!).start, doc.span(runFlags[runFlags.length - 1]!).end) + ' ' : '';
  const newRun = (cmd: string) => `${runKw} ${flagText}${cmd}`;
  const runLine = doc.lineOfNode(runIns);
  // bind style: one --mount per manifest at the COPY's destination (the install's directory), absolute
  // when the directory is known (older buildah takes only absolute targets; BuildKit resolves a relative
  // one against the WORKDIR), in the file's escape character and continuation style: a one-line RUN
  // with one mount stays one line
  const known = runDir.startsWith('/') && !runDir.includes('${');
  const mounts = files.map((f) => `--mount=type=bind,source=${src(f)},target=${known ? posix.join(runDir, f) : f}`);
  const rr = runIns.getRange();
  const multiline = rr.end.line > rr.start.line || mounts.length > 1;
  const sep = multiline ? ` ${doc.escapeChar}${eol}${doc.continuationIndentOf([runIns])}` : ' ';
  const mountText = mounts.map((m) => m + sep).join('');
  const view = target.view;
  const p0 = plans[0]!;
  const shellOf = (n: ShNode) => view.text.slice(target.parsed.offset(n.Pos()), target.parsed.offset(n.End()));
  const installText = shellOf(p0.cmd.call);
  const names = files.map(src).join(', ');
  const ecoNames = [...new Set(plans.map((p) => p.plan.eco))].join(' and ');

  if (p0.plan.mode === 'insert') {
    const step = newRun((bind ? mountText : '') + p0.plan.insert!);
    const direct = between.length === 0 && !bind;
    if (direct) edits.push(insertAt(doc.span(ins).end, eol + step + eol + copyText));
    else edits.push(insertAt(lineStartBeforeComments(doc, runIns), step + eol + copyText + eol));
    return {
      kind: 'rewrite', line: doc.lineOfNode(ins),
      message: bind
        ? `bind-mounts the ${ecoNames} manifests (${names}) into a new \`${p0.plan.insert}\` and moves the full source after it, so the build on line ${runLine} reuses the downloaded dependencies when only the source changes (no manifest layer)`
        : `copies the ${ecoNames} manifests (${names}) and runs \`${p0.plan.insert}\` before the source, so the build on line ${runLine} reuses the downloaded dependencies when only the source changes`,
      edits,
    };
  }

  const splitAt = target.phaseEnd + 1 < target.elements.length ? target.phaseEnd : -1;
  if (bind) edits.push(insertAt(view.docStart, mountText));
  let second: string | null = null;
  if (p0.plan.mode === 'two-phase') {
    const sub = (p0.cmd.call.Args as ShNode[])[p0.cls.sub];
    edits.push(insertAt(view.toDocEnd(target.parsed.offset(sub.End())), ` ${p0.plan.addFlags}`));
    second = p0.plan.second ?? installText;
  }
  if (splitAt === -1) {
    edits.push(insertAt(doc.span(runIns).end, eol + copyText + (second !== null ? eol + newRun(second) : '')));
  } else {
    const a = target.elements[splitAt]!, b = target.elements[splitAt + 1]!;
    const hazard = stateHazard(parseShellOk(view.text.slice(0, a.end)));
    if (hazard) return { kind: 'refuse', line: runLine, reason: `COPY . . (line ${doc.lineOfNode(ins)}) not split: the install part of the RUN ${hazard.reason}` };
    const gapStart = view.toDocEnd(a.end), gapEnd = view.toDoc(b.start);
    const comments: string[] = [];
    for (let l = doc.lineIndexAt(gapStart) + 1; l <= doc.lineIndexAt(gapEnd); l++) {
      const t = doc.lineText(l);
      if (t.trimStart().startsWith('#') && doc.lineStart(l) < gapEnd) comments.push(t.trimStart() + eol);
    }
    edits.push(replaceRange(gapStart, gapEnd, eol + copyText + eol + comments.join('') + newRun(second !== null ? `${second} && ` : '')));
  }
  const installs = plans.map((p) => `\`${shellOf(p.cmd.call)}\``).join(', ');
  const how = p0.plan.mode === 'two-phase' ? ` with ${p0.plan.addFlags} (and \`${second}\` after the source)` : '';
  return {
    kind: 'rewrite', line: doc.lineOfNode(ins),
    message: `${bind ? 'bind-mounts' : 'copies'} the ${ecoNames} manifests (${names}) ${bind ? 'into' : 'before'} ${installs} on line ${runLine}${how} and ${bind ? 'moves ' : ''}the full source after it${splitAt === -1 ? '' : ', splitting the rest of that RUN into a new RUN'}, so a source change no longer re-runs the install`,
    edits,
  };
}

const DIR_MANIFESTS = new Set(['.yarn/releases', '.yarn/plugins', '.yarn/patches', '.yarn/cache', 'patches', '.mvn']);
function isDirManifest(f: string, _plans: unknown): boolean {
  return DIR_MANIFESTS.has(f);
}

function parseShellOk(text: string): ParsedShell {
  const p = parseShell(text);
  if ('error' in p) throw new Error(`the install part of a RUN does not parse: ${p.error}`);
  return p;
}

/** Start of the line of `ins`, moved up over comment lines directly above it. */
function lineStartBeforeComments(doc: DocView, ins: Instruction): number {
  let l = ins.getRange().start.line;
  while (l > 0 && doc.lineText(l - 1).trimStart().startsWith('#')) l--;
  return doc.lineStart(l);
}

export type { Eco };
