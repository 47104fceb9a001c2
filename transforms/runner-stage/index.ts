/**
 * runner-stage: splits a single-stage Dockerfile that builds on a full toolchain image into a build
 * stage and a slim runner stage that gets only what the app needs at run time.
 *
 * The existing stage is named (`AS build`, unless it has a name); a new final stage is appended that
 * starts from the slim runtime image of the same family and version (src/base-images.ts runnerImage),
 * copies the build output with `COPY --from=build`, and carries the runtime settings: ENV, WORKDIR and
 * USER are copied (the build still needs them), LABEL, EXPOSE, VOLUME, STOPSIGNAL, HEALTHCHECK,
 * ENTRYPOINT and CMD are moved (with the comment lines sitting on them). Moved and copied lines are the
 * original text, never reprinted.
 *
 * Recipes, each recognised only from commands read with the shell parser (src/shell.ts):
 * - Go: golang:X with `go build -o PATH` -> gcr.io/distroless/static-debian12:nonroot (scratch, slim,
 *   alpine by option); `CGO_ENABLED=0` is added to the go build command when nothing sets it.
 * - Node: node:X with npm ci / npm install / yarn / pnpm install in the WORKDIR -> node:X-slim, copying
 *   the app directory (node_modules as installed: dev dependencies are not pruned).
 * - Python: python:X with pip into a venv (`python -m venv`) or the system site-packages -> python:X-slim,
 *   copying the venv (or site-packages and /usr/local/bin) and the app directory.
 * - Java: maven / gradle / eclipse-temurin JDK building a jar that `java -jar` starts -> eclipse-temurin:N-jre
 *   (distroless java by option), copying the jar.
 * - Rust: rust:X-<codename> with `cargo build --release` -> debian:<codename>-slim (distroless cc by
 *   option), copying the binary.
 *
 * Refuses (file left alone, with the reason) when: the file is already multi-stage; the base is not a
 * known toolchain image, or already slim; a RUN does something the recipe cannot account for (a command
 * it does not know, system packages the app may need at run time, a global install, `cd`); the start
 * command needs the toolchain (`go run`, `npm run dev`, `mvn spring-boot:run`) or is not the built
 * program; the app directory cannot be told (no WORKDIR, a COPY outside it); a shell-form start command
 * with a distroless runner; a HEALTHCHECK running a tool the runner may lack; a USER the runner lacks;
 * SHELL, ONBUILD, a VOLUME before a RUN, or build arguments in lines that would move.
 *
 * Before:  FROM golang:1.22                 After:  FROM golang:1.22 AS build
 *          WORKDIR /src                             WORKDIR /src
 *          COPY . .                                 COPY . .
 *          RUN go build -o /bin/app .               RUN CGO_ENABLED=0 go build -o /bin/app .
 *          CMD ["/bin/app"]
 *                                                   FROM gcr.io/distroless/static-debian12:nonroot
 *                                                   WORKDIR /src
 *                                                   COPY --from=build /bin/app /bin/app
 *                                                   CMD ["/bin/app"]
 */
import type { Flag, Instruction, ModifiableInstruction } from 'dockerfile-ast';
import { execArgs, isExecForm, type DocView, type Stage } from '../../src/document.js';
import { insertAt, removeRange, replaceRange, type Edit } from '../../src/edits.js';
import { UsageError } from '../../src/errors.js';
import { lookupImage, parseImageRef, runnerImage, tagParts, type ImageRef, type RunnerChoice, type Toolchain } from '../../src/base-images.js';
import { nodeType, parseShell, runShellView, simpleCommands, wordLit, type ParsedShell, type ShellView, type ShNode } from '../../src/shell.js';
import { instructionStates, shellProblem, type InstructionState } from '../../src/stages.js';
import type { Outcome, Transform } from '../../src/types.js';

export interface RunnerStageOptions {
  /** Runner image family: slim, distroless, alpine (alpine builds only) or scratch (Go only); null = the recipe's default. */
  runner: RunnerChoice | null;
}

const CHOICES: readonly RunnerChoice[] = ['slim', 'distroless', 'alpine', 'scratch'];

export const runnerStage: Transform<RunnerStageOptions> = {
  id: 'runner-stage',
  summary: 'Add a slim runner stage that copies only the build output of a single-stage toolchain Dockerfile',
  safety: 'runtime',
  defaults: { runner: null },
  flags: {
    runner: { key: 'runner', type: 'string', help: 'runner image for runner-stage: slim, distroless, alpine (alpine builds) or scratch (Go)' },
  },
  parseOptions(raw) {
    const r = raw.runner ?? null;
    if (r !== null && !CHOICES.includes(r as RunnerChoice)) {
      throw new UsageError(`--runner: "${String(r)}" is not one of ${CHOICES.join(', ')}`);
    }
    return { runner: r as RunnerChoice | null };
  },
  apply(doc, ctx) {
    const r = planRunner(doc, { ...runnerStage.defaults, ...ctx.options });
    if (r === null) return [];
    if ('refuse' in r) return [{ kind: 'refuse', line: r.line, reason: r.refuse }];
    return [{ kind: 'rewrite', line: r.line, message: r.message, edits: r.edits }, ...r.notes.map((n) => ({ kind: 'note' as const, line: n.line, message: n.message }))];
  },
};

/** A path the runner copies from the build stage, with the input line whose pattern produced it. */
export interface RunnerCopy {
  src: string;
  dest: string;
  /** 1-based line of the instruction that produced `src` (the go build, the WORKDIR, the venv...). */
  line: number;
  /** Text on that line that names the path (for tests: the pattern really mentions it). */
  evidence: string;
}

export interface RunnerPlan {
  line: number;
  toolchain: Toolchain;
  image: string;
  stageName: string;
  copies: RunnerCopy[];
  edits: Edit[];
  message: string;
  notes: { line: number; message: string }[];
}

type Refusal = { line: number; refuse: string };

/** One simple command of a RUN, with what the recipe needs to judge it. */
interface Cmd {
  words: (string | null)[];
  call: ShNode;
  ins: Instruction;
  line: number;
  /** Working directory (null when a `cd` earlier in the same RUN makes it unknown). */
  cwd: string | null;
  env: ReadonlyMap<string, string>;
  /** Variable assignments written before the command (`CGO_ENABLED=0 go build`). */
  assigns: Map<string, string | null>;
  view: ShellView;
  parsed: ParsedShell;
}

/** What the instructions of the stage do at run time, collected once for every recipe. */
interface StageFacts {
  stage: Stage;
  ref: ImageRef;
  cmds: Cmd[];
  copies: { ins: Instruction; dest: string | null; chown: string | null }[];
  start: Start;
  /** WORKDIR in force at the start command (the image's own when the file sets none). */
  runtimeWorkdir: string | null;
  states: Map<Instruction, InstructionState>;
  /** RUN --mount targets: what is built there is not in the stage's file system. */
  mounts: { dir: string; line: number }[];
}

interface Start {
  argv: (string | null)[];
  shellForm: boolean;
  ins: Instruction;
  hasEntrypoint: boolean;
}

const COPIED = new Set(['ENV', 'WORKDIR', 'USER']);
const MOVED = new Set(['LABEL', 'MAINTAINER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD']);
/** Runner settings that go after the COPY lines. */
const AFTER_COPY = new Set(['USER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD']);
/** Instructions whose arguments the Dockerfile expands ($VAR), so an ARG they use must exist in the runner. */
const EXPANDS = new Set(['ENV', 'WORKDIR', 'USER', 'LABEL', 'EXPOSE', 'VOLUME', 'STOPSIGNAL']);

/** System packages that only build software: installing them says nothing about what the app needs at run time. */
const BUILD_ONLY_PACKAGES = new Set([
  'git', 'make', 'cmake', 'gcc', 'g++', 'clang', 'musl-dev', 'musl-tools', 'build-base', 'build-essential',
  'ca-certificates', 'upx', 'upx-ucl', 'curl', 'wget', 'unzip', 'pkg-config', 'pkgconf', 'protobuf-compiler', 'protobuf-dev',
]);
const PACKAGE_MANAGERS = new Set(['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf']);
/** Commands that cannot change what the runner copies. */
const HARMLESS = new Set(['echo', 'true', 'ls', 'printf', 'test', '[', 'rm', 'mkdir', 'chmod', 'cat', 'env', 'pwd', 'whoami', 'id', 'set']);

const flagsOf = (ins: Instruction): Flag[] => (ins as Partial<ModifiableInstruction>).getFlags?.() ?? [];
const isAbs = (p: string) => p.startsWith('/');
const norm = (p: string) => {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop(); else out.push(part);
  }
  return '/' + out.join('/');
};
const resolve = (cwd: string, p: string) => norm(isAbs(p) ? p : `${cwd}/${p}`);
const within = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');
const base = (p: string) => p.split('/').pop() ?? p;
const dirOf = (p: string) => norm(p.split('/').slice(0, -1).join('/') || '/');
const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The runner plan for a Dockerfile, or a refusal, or null when there is nothing to look at.
 * Exported for the tests, which check that every COPY --from names a path the plan's pattern produced.
 */
export function planRunner(doc: DocView, opts: RunnerStageOptions): (RunnerPlan) | Refusal | null {
  const stages = doc.stages();
  if (stages.length === 0) return null;
  if (stages.length > 1) {
    const final = stages[stages.length - 1]!;
    const ref = parseImageRef(final.from.getImage() ?? '');
    const slim = ref !== null && (lookupImage(ref)?.slim || /(^|-)slim(-|$)/.test(ref.tag));
    return {
      line: doc.lineOfNode(final.from),
      refuse: slim
        ? `already multi-stage with a slim final stage (${final.from.getImage()})`
        : 'already multi-stage: runner-stage only splits single-stage Dockerfiles',
    };
  }
  const stage = stages[0]!;
  const fromLine = doc.lineOfNode(stage.from);
  const image = stage.from.getImage() ?? '';
  const ref = parseImageRef(image);
  if (ref === null) return { line: fromLine, refuse: `the base image is given by a build argument (${image}), so its family and version cannot be known` };
  const entry = lookupImage(ref);
  if (entry?.slim) return { line: fromLine, refuse: `the base image ${image} is already a slim runtime image; a runner stage would not make it smaller` };
  if (!entry?.toolchain) return { line: fromLine, refuse: `the base image ${ref.name} is not a toolchain image runner-stage knows (golang, node, python, maven, gradle, eclipse-temurin, rust)` };
  const toolchain = entry.toolchain;
  const platform = flagsOf(stage.from).find((f) => f.getName() === 'platform');
  if (platform && (platform.getValue() ?? '').includes('$')) {
    return { line: fromLine, refuse: `FROM ${doc.slice(platform)} builds for another platform; the runner's platform cannot be told` };
  }
  const runner = runnerImage(toolchain, ref, opts.runner);
  if ('refuse' in runner) return { line: fromLine, refuse: runner.refuse };

  const facts = collect(doc, stage, ref, entry.workdir ?? null);
  if ('refuse' in facts) return facts;

  // lines that move or are copied into the runner
  const carried: Instruction[] = [];
  for (const ins of stage.instructions) {
    const kw = ins.getKeyword();
    if (kw === 'SHELL' || kw === 'ONBUILD') return { line: doc.lineOfNode(ins), refuse: `${kw} is not carried into a runner stage; split the file by hand` };
    if (COPIED.has(kw) || MOVED.has(kw)) carried.push(ins);
  }
  for (const ins of carried) {
    const r = carriedProblem(doc, ins, facts, runner, toolchain);
    if (r) return { line: doc.lineOfNode(ins), refuse: r };
  }
  if (runner.distroless && facts.start.shellForm) {
    return { line: doc.lineOfNode(facts.start.ins), refuse: `the shell-form ${facts.start.ins.getKeyword()} needs /bin/sh, which the ${runner.image} runner lacks; write it in exec form (JSON) or use --runner slim` };
  }

  const recipe = RECIPES[toolchain](doc, facts, runner);
  if ('refuse' in recipe) return recipe;
  for (const c of recipe.copies) {
    const m = facts.mounts.find((x) => within(c.src, x.dir) || within(x.dir, c.src));
    if (m) return { line: m.line, refuse: `${c.src} overlaps the RUN --mount target ${m.dir}, so what the build leaves there is not in the build stage to copy` };
  }

  // the edits: name the stage, move/copy the runtime lines, append the runner
  const eol = doc.eol;
  const edits: Edit[] = [...recipe.edits];
  const upper = doc.slice(stage.from.getInstructionRange()) !== doc.slice(stage.from.getInstructionRange()).toLowerCase();
  const kw = (w: string) => (upper ? w.toUpperCase() : w.toLowerCase());
  const stageName = stage.from.getBuildStage() ?? 'build';
  if (!stage.from.getBuildStage()) edits.push(insertAt(doc.span(stage.from).end, ` ${kw('AS')} ${stageName}`));

  const moved = carried.filter((i) => MOVED.has(i.getKeyword()));
  const blockStart = new Map<Instruction, number>();
  for (const ins of moved) {
    let line = ins.getRange().start.line;
    const k = stage.instructions.indexOf(ins);
    const prevEnd = k > 0 ? stage.instructions[k - 1]!.getRange().end.line : stage.from.getRange().end.line;
    while (line - 1 > prevEnd && doc.lineText(line - 1).trimStart().startsWith('#')) line--;
    blockStart.set(ins, doc.lineStart(line));
  }
  const textOf = (ins: Instruction) => doc.text.slice(blockStart.get(ins) ?? doc.lineStart(ins.getRange().start.line), doc.span(ins).end);
  const before = carried.filter((i) => !AFTER_COPY.has(i.getKeyword())).map(textOf);
  const after = carried.filter((i) => AFTER_COPY.has(i.getKeyword())).map(textOf);
  const chown = facts.copies.find((c) => c.chown !== null)?.chown ?? null;
  const copyLines = recipe.copies.map((c) => `${kw('COPY')} --from=${stageName}${recipe.chown && chown ? ' ' + chown : ''} ${c.src} ${c.dest}`);
  const platformText = platform ? ' ' + doc.slice(platform) : '';
  const runnerLines = [`${kw('FROM')}${platformText} ${runner.image}`, ...before, ...copyLines, ...after];

  // the tail after the last instruction that stays: when it holds only blank lines and moved lines,
  // replace it whole (no stray blank lines are left); otherwise remove the moved lines one by one
  const kept = [stage.from, ...stage.instructions.filter((i) => !moved.includes(i))];
  const lastKept = kept[kept.length - 1]!;
  const tailStart = doc.lineSpan(lastKept).end;
  const endsWithEol = doc.text.endsWith('\n');
  const tailIsMovable = (() => {
    let pos = tailStart;
    const ranges = moved.map((m) => ({ start: blockStart.get(m)!, end: doc.lineSpan(m).end })).filter((r) => r.start >= tailStart).sort((a, b) => a.start - b.start);
    for (const r of ranges) {
      if (doc.text.slice(pos, r.start).trim() !== '') return false;
      pos = r.end;
    }
    return doc.text.slice(pos).trim() === '';
  })();
  const runnerText = eol + runnerLines.join(eol) + (endsWithEol ? eol : '');
  for (const m of moved) {
    const start = blockStart.get(m)!;
    if (tailIsMovable && start >= tailStart) continue;
    edits.push(removeRange(start, doc.lineSpan(m).end));
  }
  if (tailIsMovable && tailStart < doc.text.length) edits.push(replaceRange(tailStart, doc.text.length, runnerText));
  else edits.push(insertAt(doc.text.length, (doc.text.length > 0 && !endsWithEol ? eol : '') + runnerText));

  return {
    line: fromLine,
    toolchain,
    image: runner.image,
    stageName,
    copies: recipe.copies,
    edits,
    message: `added a runner stage FROM ${runner.image} that copies ${recipe.copies.map((c) => c.src).join(', ')} from stage ${stageName}${moved.length ? ` and takes over ${[...new Set(moved.map((m) => m.getKeyword()))].join(', ')}` : ''} (${recipe.what})`,
    notes: recipe.notes,
  };
}

/** Why a line cannot go into the runner as it is, or null. */
function carriedProblem(doc: DocView, ins: Instruction, facts: StageFacts, runner: { image: string; distroless: boolean }, toolchain: Toolchain): string | null {
  const kw = ins.getKeyword();
  const st = facts.states.get(ins);
  if (EXPANDS.has(kw) && st) {
    const text = doc.slice(ins);
    for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const name = m[1]!;
      if (st.args.has(name) && !st.env.has(name)) return `it uses the build argument ${name}, which the runner stage would not declare`;
    }
  }
  if (kw === 'USER') {
    const u = (ins.getArguments()[0]?.getValue() ?? '').split(':')[0]!;
    if (!/^\d+$/.test(u) && u !== 'root') {
      const runnerRef = parseImageRef(runner.image);
      const users = runnerRef ? lookupImage(runnerRef)?.users ?? {} : {};
      if (!(u in users)) return `USER ${u} names a user the runner image ${runner.image} does not have (use a numeric uid)`;
    }
  }
  if (kw === 'VOLUME') {
    const k = facts.stage.instructions.indexOf(ins);
    if (facts.stage.instructions.slice(k + 1).some((i) => i.getKeyword() === 'RUN')) return 'a RUN after this VOLUME would behave differently once the VOLUME moves to the runner';
  }
  if (kw === 'HEALTHCHECK') {
    const args = ins.getArguments().map((a) => a.getValue());
    if (args[0]?.toUpperCase() === 'NONE') return null;
    const cmdIdx = args.findIndex((a) => a.toUpperCase() === 'CMD');
    const rest = doc.slice(ins).slice(doc.slice(ins).search(/\bCMD\b/i) + 3).trim();
    let prog: string | null = null;
    if (rest.startsWith('[')) {
      try { prog = (JSON.parse(rest) as string[])[0] ?? null; } catch { prog = null; }
      if (prog === 'CMD-SHELL') return 'the HEALTHCHECK runs a shell command, which the runner may not be able to run';
    } else {
      if (runner.distroless) return 'the shell-form HEALTHCHECK needs /bin/sh, which the runner lacks';
      prog = args[cmdIdx + 1] ?? null;
    }
    const startProg = facts.start.argv[0] ?? null;
    const ok = prog !== null && (prog === startProg || (toolchain === 'node' && base(prog) === 'node') || (toolchain === 'python' && /^python[\d.]*$/.test(base(prog))) || (toolchain === 'java' && base(prog) === 'java'));
    if (!ok) return `the HEALTHCHECK runs ${prog ?? 'a command'}, which the runner image ${runner.image} may not have`;
  }
  return null;
}

/** Reads the stage: every RUN command (through the shell parser), COPY destinations and the start command. */
function collect(doc: DocView, stage: Stage, ref: ImageRef, imageWorkdir: string | null): StageFacts | Refusal {
  const states = instructionStates(doc);
  const cmds: Cmd[] = [];
  const copies: StageFacts['copies'] = [];
  const mounts: { dir: string; line: number }[] = [];
  let entrypoint: Instruction | null = null, cmd: Instruction | null = null;
  for (const ins of stage.instructions) {
    const st = states.get(ins)!;
    const line = doc.lineOfNode(ins);
    const kw = ins.getKeyword();
    if (kw === 'RUN') {
      const problem = shellProblem(st);
      if (problem) return { line, refuse: problem };
      if (isExecForm(ins)) return { line, refuse: 'the RUN is in exec (JSON) form; runner-stage reads only shell-form RUNs' };
      if ((ins as unknown as { getHeredocs(): unknown[] }).getHeredocs().length > 0) return { line, refuse: 'the RUN uses a heredoc, whose effect runner-stage does not read' };
      for (const fl of flagsOf(ins)) {
        if (fl.getName() !== 'mount') continue;
        const opt = (k: string) => fl.getOptions().find((o) => o.getName() === k)?.getValue() ?? null;
        const target = opt('target') ?? opt('dst') ?? opt('destination');
        if (target !== null && (opt('type') ?? 'bind') !== 'secret' && (opt('type') ?? 'bind') !== 'ssh') mounts.push({ dir: resolve(st.workdir ?? imageWorkdir ?? '/', target), line });
      }
      const view = runShellView(doc, ins);
      if (!view) continue;
      const parsed = parseShell(view.text);
      if ('error' in parsed) return { line, refuse: `the RUN's shell command does not parse (${parsed.error})` };
      let cwd: string | null = st.workdir ?? imageWorkdir ?? '/';
      for (const c of simpleCommands(parsed.file)) {
        if (nodeType(c.call) !== 'CallExpr') return { line, refuse: `the RUN declares shell variables (${c.words[0]}), whose effect runner-stage does not follow` };
        const assigns = new Map<string, string | null>();
        for (const a of c.call.Assigns as ShNode[]) assigns.set(a.Name.Value as string, a.Value ? wordLit(a.Value) : '');
        if (c.words.length === 0) continue;
        const name = c.words[0];
        if (name === 'cd' || name === 'pushd' || name === 'popd') {
          if (!c.inMainShell) continue;
          const to = c.words[1];
          cwd = name === 'cd' && typeof to === 'string' && cwd !== null ? resolve(cwd, to) : null;
          continue;
        }
        cmds.push({ words: c.words, call: c.call, ins, line: doc.lineOf(view.toDoc(parsed.offset(c.call.Pos()))), cwd, env: st.env, assigns, view, parsed });
      }
    } else if (kw === 'COPY' || kw === 'ADD') {
      const chownFlag = flagsOf(ins).find((f) => f.getName() === 'chown');
      copies.push({ ins, dest: copyDest(ins, st), chown: chownFlag ? doc.slice(chownFlag) : null });
    } else if (kw === 'ENTRYPOINT') {
      entrypoint = ins;
    } else if (kw === 'CMD') {
      cmd = ins;
    }
  }
  const startIns = entrypoint ?? cmd;
  if (!startIns) return { line: doc.lineOfNode(stage.from), refuse: 'there is no CMD or ENTRYPOINT, so what runs (and what it needs) cannot be told' };
  const argvOf = (ins: Instruction): { argv: (string | null)[]; shellForm: boolean } | Refusal => {
    const exec = execArgs(ins);
    if (exec) return { argv: exec, shellForm: false };
    const view = runShellView(doc, ins);
    const parsed = view ? parseShell(view.text) : null;
    if (!parsed || 'error' in parsed) return { line: doc.lineOfNode(ins), refuse: `the ${ins.getKeyword()} does not parse as a shell command` };
    const stmts = parsed.file.Stmts as ShNode[];
    if (stmts.length !== 1 || nodeType(stmts[0].Cmd) !== 'CallExpr') return { line: doc.lineOfNode(ins), refuse: `the ${ins.getKeyword()} is not a single command, so what it runs cannot be told` };
    let words = (stmts[0].Cmd.Args as ShNode[]).map(wordLit);
    if (words[0] === 'exec') words = words.slice(1);
    return { argv: words, shellForm: true };
  };
  let start: Start;
  const first = argvOf(startIns);
  if ('refuse' in first) return first;
  if (entrypoint && !first.shellForm && cmd) {
    const rest = argvOf(cmd);
    if ('refuse' in rest) return rest;
    start = { argv: [...first.argv, ...(rest.shellForm ? [] : rest.argv)], shellForm: rest.shellForm, ins: startIns, hasEntrypoint: true };
  } else {
    start = { ...first, ins: startIns, hasEntrypoint: entrypoint !== null };
  }
  if (start.argv.length === 0 || start.argv[0] === null) return { line: doc.lineOfNode(startIns), refuse: `the ${startIns.getKeyword()} runs a program whose name is only known at run time` };
  const runtimeWorkdir = states.get(startIns)?.workdir ?? imageWorkdir;
  return { stage, ref, cmds, copies, start, runtimeWorkdir, states, mounts };
}

function copyDest(ins: Instruction, st: InstructionState): string | null {
  let dest: string | undefined;
  const arr = execArgs(ins);
  if (arr) {
    dest = arr[arr.length - 1];
  } else {
    const args = ins.getArguments();
    if (args.length < 2) return null;
    dest = args[args.length - 1]!.getValue();
  }
  if (!dest || dest.includes('$')) return null;
  return resolve(st.workdir ?? '/', dest);
}

/** Checks a package-manager command: only build tools may be installed. */
function packageProblem(c: Cmd): string | null {
  const name = base(c.words[0] ?? '');
  if (!PACKAGE_MANAGERS.has(name)) return null;
  const sub = c.words.slice(1).find((w) => w !== null && !w.startsWith('-'));
  if (sub !== 'install' && sub !== 'add') return null;
  const pkgs = c.words.slice(c.words.indexOf(sub) + 1).filter((w) => w === null || !w.startsWith('-'));
  const runtime = pkgs.filter((p) => p === null || !BUILD_ONLY_PACKAGES.has(p.replace(/[=<>].*$/, '')));
  if (runtime.length === 0) return null;
  return `the RUN installs system packages (${runtime.map((p) => p ?? '<variable>').join(' ')}) that the app may need at run time; the runner image would not have them`;
}

interface RecipeResult { copies: RunnerCopy[]; edits: Edit[]; notes: { line: number; message: string }[]; what: string; chown?: boolean }
type Recipe = (doc: DocView, f: StageFacts, runner: { image: string; distroless: boolean; alpine: boolean }) => RecipeResult | Refusal;

const unknownCommand = (c: Cmd, what: string): Refusal => ({
  line: c.line,
  refuse: `the RUN runs \`${c.words.map((w) => w ?? '<expansion>').join(' ')}\`, whose effect on the ${what} runner-stage cannot account for`,
});

/** Copies made by `cp SRC DEST` / `mv SRC DEST` out of a build-output directory, as produced paths. */
function copiedOut(c: Cmd, outputDirs: string[]): { path: string; line: number; evidence: string } | Refusal | null {
  const w = c.words;
  if (w.length !== 3 || w[1] === null || w[2] === null || w[1]!.startsWith('-') || /[*?[]/.test(w[1]! + w[2]!)) return unknownCommand(c, 'build output');
  if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the cp source unknown' };
  const src = resolve(c.cwd, w[1]!);
  if (!outputDirs.some((d) => dirOf(src) === d)) return unknownCommand(c, 'build output');
  const destRaw = w[2]!;
  const dest = destRaw.endsWith('/') ? resolve(c.cwd, destRaw + base(src)) : resolve(c.cwd, destRaw);
  return { path: dest, line: c.line, evidence: destRaw };
}

/** Where the start command's program lives, resolved like exec does (PATH lookup for bare names). */
function programCandidates(prog: string, workdir: string | null): string[] {
  if (prog.includes('/')) return [resolve(workdir ?? '/', prog)];
  return PATH_DIRS.map((d) => `${d}/${prog}`);
}

const GO_VALUE_FLAGS = new Set(['-o', '-ldflags', '-gcflags', '-asmflags', '-tags', '-mod', '-p', '-buildmode', '-pkgdir', '-toolexec', '-overlay', '-pgo', '-installsuffix', '-modfile', '-compiler', '-gccgoflags', '-buildvcs', '-covermode', '-coverpkg', '-C']);

const goRecipe: Recipe = (doc, f, runner) => {
  const built: { path: string; line: number; evidence: string; c: Cmd }[] = [];
  const edits: Edit[] = [];
  const notes: { line: number; message: string }[] = [];
  for (const c of f.cmds) {
    const name = base(c.words[0] ?? '');
    const pk = packageProblem(c);
    if (pk) return { line: c.line, refuse: pk };
    if (PACKAGE_MANAGERS.has(name) || HARMLESS.has(name) || name === 'git') continue;
    if (name !== 'go') return unknownCommand(c, 'Go binary');
    if (c.words[1] !== 'build') continue; // go mod download, go vet, go test, go generate, go install of tools
    let out: string | null = null;
    for (let k = 2; k < c.words.length; k++) {
      const w = c.words[k];
      if (w === undefined) continue;
      if (w === null) {
        if (c.words[k - 1] === '-o' || c.words[k - 1] === '--o') return { line: c.line, refuse: 'the go build -o path uses a variable' };
        continue;
      }
      const flag = w.startsWith('--') ? w.slice(1) : w;
      const eq = flag.indexOf('=');
      const fname: string = eq === -1 ? flag : flag.slice(0, eq);
      const fval: string | null = eq === -1 ? null : flag.slice(eq + 1);
      if (fname === '-C') return { line: c.line, refuse: 'go build -C builds in another directory' };
      if (fname === '-buildmode' && !['exe', 'default', 'pie'].includes(fval ?? c.words[k + 1] ?? '')) return { line: c.line, refuse: 'go build -buildmode other than exe does not make a program' };
      if (fname === '-o') out = fval ?? c.words[k + 1] ?? null;
      if (GO_VALUE_FLAGS.has(fname) && fval === null) k++;
    }
    if (out === null) return { line: c.line, refuse: 'go build without -o: the binary\'s name and place depend on the module, so what to copy cannot be told' };
    if (out.endsWith('/')) return { line: c.line, refuse: 'go build -o names a directory: which binaries it writes cannot be told' };
    if (!isAbs(out) && c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the go build -o path unknown' };
    const goos = c.assigns.get('GOOS') ?? c.env.get('GOOS');
    if (goos !== undefined && goos !== 'linux') return { line: c.line, refuse: `GOOS=${goos ?? '<variable>'} builds for another system` };
    const cgo = c.assigns.has('CGO_ENABLED') ? c.assigns.get('CGO_ENABLED') : c.env.get('CGO_ENABLED');
    if (cgo === '1' || cgo === null) return { line: c.line, refuse: 'CGO_ENABLED is not 0: the binary links the build image\'s C libraries, which a static runner lacks' };
    if (cgo === undefined) {
      edits.push(insertAt(c.view.toDoc(c.parsed.offset(c.call.Args[0].Pos())), 'CGO_ENABLED=0 '));
      notes.push({ line: c.line, message: 'set CGO_ENABLED=0 on go build so the binary is static (a package that needs cgo will now fail to build rather than fail at run time)' });
    }
    built.push({ path: resolve(c.cwd ?? '/', out), line: c.line, evidence: out, c });
  }
  if (built.length === 0) return { line: doc.lineOfNode(f.stage.from), refuse: 'no `go build -o PATH` found, so the binary to copy cannot be told' };
  const prog = f.start.argv[0]!;
  if (base(prog) === 'go') return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command runs the go tool (go run), which needs the toolchain' };
  const cands = programCandidates(prog, f.runtimeWorkdir);
  const bin = built.find((b) => cands.includes(b.path));
  if (!bin) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, which is not the binary go build writes (${built.map((b) => b.path).join(', ')})` };
  const copies: RunnerCopy[] = [{ src: bin.path, dest: bin.path, line: bin.line, evidence: bin.evidence }];
  if (runner.image === 'scratch') copies.push({ src: '/etc/ssl/certs/ca-certificates.crt', dest: '/etc/ssl/certs/ca-certificates.crt', line: doc.lineOfNode(f.stage.from), evidence: f.stage.from.getImage() ?? '' });
  // only the cgo edit of the binary that runs matters; drop edits of other go builds? keep all: they are static builds too
  void bin.c;
  return { copies, edits, notes, what: `Go: go build -o ${bin.evidence}` };
};

const nodeRecipe: Recipe = (doc, f) => {
  let appDir: string | null = null;
  let installLine = 0;
  let sawInstall = false;
  for (const c of f.cmds) {
    const name = base(c.words[0] ?? '');
    const pk = packageProblem(c);
    if (pk) return { line: c.line, refuse: pk };
    if (PACKAGE_MANAGERS.has(name) || HARMLESS.has(name)) continue;
    if (!['npm', 'yarn', 'pnpm', 'npx', 'node', 'corepack'].includes(name)) return unknownCommand(c, 'app directory');
    const args = c.words.slice(1);
    if (args.some((a) => a === '-g' || a === '--global' || a === '--location=global') || (name === 'yarn' && args[0] === 'global')) {
      return { line: c.line, refuse: `\`${name}\` installs globally, outside the app directory` };
    }
    if (name === 'corepack') continue;
    if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the app directory unknown' };
    const sub = args.find((a) => a !== null && !a.startsWith('-')) ?? null;
    const isInstall = (name === 'npm' && ['ci', 'install', 'i'].includes(sub ?? '')) || (name === 'yarn' && (sub === null || sub === 'install')) || (name === 'pnpm' && ['install', 'i'].includes(sub ?? ''));
    if (isInstall) {
      if (appDir !== null && appDir !== c.cwd) return { line: c.line, refuse: `packages are installed in two directories (${appDir}, ${c.cwd})` };
      appDir = c.cwd;
      installLine = c.line;
      sawInstall = true;
    }
  }
  if (!sawInstall || appDir === null) return { line: doc.lineOfNode(f.stage.from), refuse: 'no npm ci / npm install / yarn / pnpm install found, so what the app needs cannot be told' };
  if (appDir === '/') return { line: installLine, refuse: 'packages are installed in / (no WORKDIR), so the app directory cannot be told; set a WORKDIR' };
  for (const c of f.cmds) if (c.cwd !== null && !within(c.cwd, appDir) && ['npm', 'yarn', 'pnpm', 'npx', 'node'].includes(base(c.words[0] ?? ''))) return { line: c.line, refuse: `\`${c.words[0]}\` runs outside the app directory ${appDir}` };
  const outside = f.copies.find((c) => c.dest === null || !within(c.dest, appDir!));
  if (outside) return { line: doc.lineOfNode(outside.ins), refuse: `the ${outside.ins.getKeyword()} writes ${outside.dest ?? 'a path with a variable'}, outside the app directory ${appDir}, which the runner would not get` };
  const chowns = new Set(f.copies.map((c) => c.chown));
  if (chowns.size > 1) return { line: doc.lineOfNode(f.copies[0]!.ins), refuse: 'the COPY instructions give the app files different owners (--chown), which one COPY --from cannot keep' };
  const [prog, sub] = [f.start.argv[0]!, f.start.argv[1] ?? null];
  const p = base(prog);
  const script = p === 'npm' || p === 'yarn' ? (sub === 'run' || sub === 'run-script' ? f.start.argv[2] ?? null : sub) : null;
  if (p === 'pnpm') return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command runs pnpm, which node slim images do not ship' };
  if (script !== null && /^(dev|develop|watch|serve:dev|start:dev)$/.test(script)) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command \`${p} ${sub === 'run' ? 'run ' : ''}${script}\` is a development command that needs the dev toolchain` };
  if (['nodemon', 'ts-node', 'tsx'].includes(p)) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${p}, a development tool` };
  const known = p === 'node' || p === 'npm' || p === 'yarn' || p === 'npx' || (prog.includes('/') && within(resolve(f.runtimeWorkdir ?? '/', prog), appDir));
  if (!known) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, which runner-stage cannot tell the runner has` };
  const wd = f.stage.instructions.filter((i) => i.getKeyword() === 'WORKDIR').map((i) => ({ i, v: i.getArguments()[0]?.getValue() ?? '' }));
  const ev = wd.find((w) => f.states.get(w.i) && resolve(f.states.get(w.i)!.workdir ?? '/', w.v) === appDir);
  return {
    copies: [{ src: appDir, dest: appDir, line: ev ? doc.lineOfNode(ev.i) : installLine, evidence: ev ? ev.v : appDir }],
    edits: [],
    notes: [{ line: installLine, message: `node_modules is copied as installed (dev dependencies included): pruning with --omit=dev is not proven safe for the start command` }],
    what: `Node: packages installed in ${appDir}`,
    chown: true,
  };
};

const pythonRecipe: Recipe = (doc, f) => {
  const venvs: { dir: string; line: number; evidence: string }[] = [];
  let system: { line: number } | null = null;
  let venvUsed: { dir: string; line: number; evidence: string } | null = null;
  for (const c of f.cmds) {
    const name = base(c.words[0] ?? '');
    const pk = packageProblem(c);
    if (pk) return { line: c.line, refuse: pk };
    if (PACKAGE_MANAGERS.has(name) || HARMLESS.has(name)) continue;
    const w = c.words;
    const isPy = /^python[\d.]*$/.test(name);
    const pyMod = isPy && w[1] === '-m' ? w[2] : null;
    if ((isPy && pyMod === 'venv') || name === 'virtualenv') {
      const rest = w.slice(isPy ? 3 : 1);
      if (rest.includes('--system-site-packages')) return { line: c.line, refuse: 'a venv with --system-site-packages also needs the build image\'s packages' };
      const dir = rest.filter((x) => x === null || !x.startsWith('-'));
      if (dir.length !== 1 || dir[0] === null || c.cwd === null) return { line: c.line, refuse: 'the venv directory cannot be told' };
      venvs.push({ dir: resolve(c.cwd, dir[0]!), line: c.line, evidence: dir[0]! });
      continue;
    }
    if (isPy && pyMod === 'compileall') continue;
    if (isPy && w[1] === 'manage.py' && w[2] === 'collectstatic') continue;
    const isPip = /^pip[\d.]*$/.test(name) || (isPy && pyMod === 'pip');
    if (!isPip) return unknownCommand(c, 'Python environment');
    const args = (isPy ? w.slice(3) : w.slice(1));
    if (args[0] !== 'install') {
      if (args[0] === 'cache' || args[0] === 'config' || args[0] === 'list' || args[0] === 'freeze') continue;
      return unknownCommand(c, 'Python environment');
    }
    const bad = args.find((a) => a !== null && /^(--user|--target|-t|--prefix|--root)(=|$)/.test(a));
    if (bad) return { line: c.line, refuse: `pip install ${bad} installs outside the venv and site-packages` };
    // which python: a venv's own pip/python, or the first venv bin on PATH
    const progPath = c.words[0]!;
    let venv = venvs.find((v) => progPath.startsWith(v.dir + '/bin/'));
    if (!venv && !progPath.includes('/')) {
      const path = (c.assigns.get('PATH') ?? c.env.get('PATH') ?? '').split(':');
      for (const d of path) {
        const v = venvs.find((x) => norm(d) === x.dir + '/bin');
        if (v) { venv = v; break; }
        if (norm(d) === '/usr/local/bin') break;
      }
      const ve = c.assigns.get('VIRTUAL_ENV') ?? c.env.get('VIRTUAL_ENV');
      if (!venv && ve) venv = venvs.find((x) => x.dir === norm(ve));
    }
    if (venv) venvUsed = venv; else system = { line: c.line };
  }
  if (!venvUsed && !system) return { line: doc.lineOfNode(f.stage.from), refuse: 'no pip install found, so what the app needs cannot be told' };
  const appDir = f.runtimeWorkdir;
  if (appDir === null || appDir === '/') return { line: doc.lineOfNode(f.start.ins), refuse: 'there is no WORKDIR, so the app directory cannot be told; set a WORKDIR' };
  const outside = f.copies.find((c) => c.dest === null || !within(c.dest, appDir));
  if (outside) return { line: doc.lineOfNode(outside.ins), refuse: `the ${outside.ins.getKeyword()} writes ${outside.dest ?? 'a path with a variable'}, outside the app directory ${appDir}, which the runner would not get` };
  const chowns = new Set(f.copies.map((c) => c.chown));
  if (chowns.size > 1) return { line: doc.lineOfNode(f.copies[0]!.ins), refuse: 'the COPY instructions give the app files different owners (--chown), which one COPY --from cannot keep' };
  const prog = base(f.start.argv[0]!);
  if (['gcc', 'cc', 'g++', 'make', 'pip', 'pip3'].includes(prog)) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, a build tool the runner does not have` };
  const copies: RunnerCopy[] = [];
  if (venvUsed) copies.push({ src: venvUsed.dir, dest: venvUsed.dir, line: venvUsed.line, evidence: venvUsed.evidence });
  if (system) {
    const v = tagParts(f.ref.tag).version.split('.');
    if (v.length < 2) return { line: doc.lineOfNode(f.stage.from), refuse: `pip installs into the system site-packages, whose path (pythonX.Y) the tag ${f.ref.tag || 'latest'} does not fix; use a tag like python:3.12` };
    const xy = `${v[0]}.${v[1]}`;
    const fromLine = doc.lineOfNode(f.stage.from);
    copies.push({ src: `/usr/local/lib/python${xy}/site-packages`, dest: `/usr/local/lib/python${xy}/site-packages`, line: fromLine, evidence: xy });
    copies.push({ src: '/usr/local/bin', dest: '/usr/local/bin', line: fromLine, evidence: f.ref.name });
  }
  const wd = f.stage.instructions.filter((i) => i.getKeyword() === 'WORKDIR').map((i) => ({ i, v: i.getArguments()[0]?.getValue() ?? '' }));
  const ev = wd.find((w) => f.states.get(w.i) && resolve(f.states.get(w.i)!.workdir ?? '/', w.v) === appDir);
  if (!copies.some((c) => within(appDir, c.src))) copies.push({ src: appDir, dest: appDir, line: ev ? doc.lineOfNode(ev.i) : doc.lineOfNode(f.start.ins), evidence: ev ? ev.v : appDir });
  return {
    copies,
    edits: [],
    notes: [{ line: (venvUsed ?? system)!.line, message: 'packages built from source against libraries of the full python image (e.g. psycopg2 against libpq) would fail in the slim runner; run the image\'s tests' }],
    what: venvUsed ? `Python: pip into the venv ${venvUsed.dir}` : 'Python: pip into the system site-packages',
    chown: true,
  };
};

const javaRecipe: Recipe = (doc, f, runner) => {
  const outputDirs: string[] = [];
  const produced: { path: string; line: number; evidence: string }[] = [];
  let buildLine = 0;
  let buildEvidence = '';
  for (const c of f.cmds) {
    const name = base(c.words[0] ?? '');
    const pk = packageProblem(c);
    if (pk) return { line: c.line, refuse: pk };
    if (PACKAGE_MANAGERS.has(name) || HARMLESS.has(name)) continue;
    if (name === 'cp' || name === 'mv') {
      const r = copiedOut(c, outputDirs);
      if (r && 'refuse' in r) return r;
      if (r) produced.push(r);
      continue;
    }
    const tool = name === 'mvn' || name === 'mvnw' ? 'maven' : name === 'gradle' || name === 'gradlew' ? 'gradle' : null;
    if (!tool) return unknownCommand(c, 'jar');
    const args = c.words.slice(1);
    if (args.some((a) => a === null)) return { line: c.line, refuse: `the ${name} arguments use variables` };
    if (args.some((a) => /^(-f|--file|-p|--project-dir|-b|--build-file)(=|$)/.test(a!))) return { line: c.line, refuse: `${name} builds another directory (-f/-p), so where the jar lands cannot be told` };
    if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the build directory unknown' };
    const goals = args.filter((a) => !a!.startsWith('-')) as string[];
    const packs = tool === 'maven' ? goals.some((g) => ['package', 'install', 'verify', 'deploy'].includes(g)) : goals.some((g) => ['build', 'assemble', 'bootJar', 'jar', 'shadowJar'].includes(g));
    if (packs) {
      outputDirs.push(resolve(c.cwd, tool === 'maven' ? 'target' : 'build/libs'));
      buildLine = c.line;
      buildEvidence = goals.find((g) => ['package', 'install', 'verify', 'deploy', 'build', 'assemble', 'bootJar', 'jar', 'shadowJar'].includes(g))!;
    }
  }
  if (outputDirs.length === 0) return { line: doc.lineOfNode(f.stage.from), refuse: 'no maven package / gradle build found, so the jar to copy cannot be told' };
  const argv = f.start.argv;
  if (['mvn', 'mvnw', 'gradle', 'gradlew'].includes(base(argv[0]!))) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${base(argv[0]!)} (e.g. spring-boot:run), which needs the build toolchain` };
  if (base(argv[0]!) !== 'java') return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${argv[0]}, not java -jar, so the jar to copy cannot be told` };
  const j = argv.indexOf('-jar');
  const jar = j === -1 ? null : argv[j + 1] ?? null;
  if (jar === null || /[*?[]/.test(jar)) return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command has no literal `-jar FILE`, so the jar to copy cannot be told' };
  const jarPath = resolve(f.runtimeWorkdir ?? '/', jar);
  const hit = produced.find((p) => p.path === jarPath) ?? (outputDirs.includes(dirOf(jarPath)) ? { path: jarPath, line: buildLine, evidence: buildEvidence } : null);
  if (!hit) return { line: doc.lineOfNode(f.start.ins), refuse: `the jar ${jarPath} is not in the build output (${outputDirs.join(', ')})` };
  if (runner.distroless && !f.start.hasEntrypoint) return { line: doc.lineOfNode(f.start.ins), refuse: 'the distroless java runner has ENTRYPOINT ["java", "-jar"], which a CMD-only start command would be appended to; use an ENTRYPOINT or --runner slim' };
  return { copies: [{ src: jarPath, dest: jarPath, line: hit.line, evidence: hit.evidence }], edits: [], notes: [], what: `Java: the jar ${jarPath}` };
};

const rustRecipe: Recipe = (doc, f) => {
  const outputDirs: string[] = [];
  const produced: { path: string; line: number; evidence: string }[] = [];
  let buildLine = 0;
  let buildEvidence = '';
  for (const c of f.cmds) {
    const name = base(c.words[0] ?? '');
    const pk = packageProblem(c);
    if (pk) return { line: c.line, refuse: pk };
    if (PACKAGE_MANAGERS.has(name) || HARMLESS.has(name) || name === 'rustup') continue;
    if (name === 'cp' || name === 'mv') {
      const r = copiedOut(c, outputDirs);
      if (r && 'refuse' in r) return r;
      if (r) produced.push(r);
      continue;
    }
    if (name !== 'cargo') return unknownCommand(c, 'binary');
    const args = c.words.slice(1);
    const sub = args[0];
    if (sub === 'fetch' || sub === 'test' || sub === 'check' || sub === 'clippy') continue;
    if (sub !== 'build' && sub !== 'install') return unknownCommand(c, 'binary');
    if (args.some((a) => a === null)) return { line: c.line, refuse: 'the cargo arguments use variables' };
    if ((c.assigns.get('CARGO_TARGET_DIR') ?? c.env.get('CARGO_TARGET_DIR')) !== undefined || args.some((a) => /^--(target-dir|manifest-path|root)(=|$)/.test(a!))) {
      return { line: c.line, refuse: 'cargo writes to another directory (--target-dir, --manifest-path, --root or CARGO_TARGET_DIR)' };
    }
    if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the build directory unknown' };
    if (sub === 'install') {
      if (!args.includes('--path')) return unknownCommand(c, 'binary');
      const home = c.env.get('CARGO_HOME') ?? '/usr/local/cargo';
      outputDirs.push(norm(`${home}/bin`));
      buildLine = c.line;
      buildEvidence = 'install';
      continue;
    }
    if (!args.includes('--release') && !args.includes('-r')) continue; // a debug build: not what ships
    const t = args.indexOf('--target');
    const triple = t !== -1 ? args[t + 1] : args.find((a) => a!.startsWith('--target='))?.slice('--target='.length);
    outputDirs.push(resolve(c.cwd, triple ? `target/${triple}/release` : 'target/release'));
    buildLine = c.line;
    buildEvidence = args.includes('--release') ? '--release' : '-r';
  }
  if (outputDirs.length === 0) return { line: doc.lineOfNode(f.stage.from), refuse: 'no `cargo build --release` found, so the binary to copy cannot be told' };
  const prog = f.start.argv[0]!;
  if (base(prog) === 'cargo') return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command runs cargo (cargo run), which needs the toolchain' };
  const cands = prog.includes('/') ? programCandidates(prog, f.runtimeWorkdir) : [...PATH_DIRS, '/usr/local/cargo/bin'].map((d) => `${d}/${prog}`);
  const hit = produced.find((p) => cands.includes(p.path)) ?? (() => {
    const p = cands.find((x) => outputDirs.includes(dirOf(x)));
    return p ? { path: p, line: buildLine, evidence: buildEvidence } : null;
  })();
  if (!hit) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, which is not a binary the cargo build writes (${outputDirs.join(', ')})` };
  // a bare name found through the rust image's PATH entry /usr/local/cargo/bin goes where the runner's PATH finds it
  const dest = !prog.includes('/') && dirOf(hit.path) === '/usr/local/cargo/bin' ? `/usr/local/bin/${prog}` : hit.path;
  return {
    copies: [{ src: hit.path, dest, line: hit.line, evidence: hit.evidence }],
    edits: [],
    notes: [{ line: hit.line, message: 'a crate that links system libraries at run time (e.g. OpenSSL) needs them in the runner too; run the image\'s tests' }],
    what: `Rust: the binary ${hit.path}`,
  };
};

const RECIPES: Record<Toolchain, Recipe> = { go: goRecipe, node: nodeRecipe, python: pythonRecipe, java: javaRecipe, rust: rustRecipe };
