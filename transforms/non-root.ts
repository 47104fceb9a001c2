/**
 * non-root: makes the final stage run as a numeric non-root user (`USER 1001`, which Kubernetes
 * `runAsNonRoot` can verify) when it would otherwise run as root.
 *
 * The USER goes into the final stage after the last instruction that needs root (the last RUN, or a
 * `USER root`) and before the CMD/ENTRYPOINT that follows it (above the comment lines sitting on it), in
 * the file's keyword case. Nothing happens when the stage already runs as non-root: a non-root USER set
 * in the stage or in the stages it builds on (`FROM <stage>`), or a base image that runs as non-root by
 * default (distroless `:nonroot`, Chainguard, Bitnami, ... see src/base-images.ts).
 *
 * Application files stay root-owned and read-only for the app (the safer default). A COPY/ADD of the
 * final stage gets `--chown=<user>:0` only when it writes into a directory the app writes: a VOLUME, or
 * a directory named with `--writable`. The report says which (a `note` when no COPY is chowned).
 *
 * Refuses (leaves the file alone, with the reason) when:
 * - the stage is a Windows image (USER names Windows accounts there);
 * - the base image's entrypoint needs root to drop privileges itself (postgres, mysql, mariadb, redis,
 *   mongo, rabbitmq), or the Dockerfile uses gosu/su-exec/setpriv for that itself;
 * - the image listens on a port below 1024 (EXPOSE, or the base image's own port, e.g. nginx's 80)
 *   and the base is not known to handle that (nginx: use nginxinc/nginx-unprivileged);
 * - the base image is not in the table or given by a build argument, or USER uses a variable (the
 *   user in force cannot be known);
 * - a stage other than the final one has its own CMD/ENTRYPOINT (a `--target` image): only the final
 *   stage is changed, so that stage is reported.
 *
 * Before:  FROM python:3.12-slim          After:  FROM python:3.12-slim
 *          RUN pip install flask                  RUN pip install flask
 *          COPY app.py /app/                      COPY app.py /app/
 *          CMD ["python", "/app/app.py"]          USER 1001
 *                                                 CMD ["python", "/app/app.py"]
 */
import type { Flag, Instruction, ModifiableInstruction } from 'dockerfile-ast';
import { execArgs, type DocView, type Stage } from '../src/document.js';
import { insertAt, type Edit } from '../src/edits.js';
import { UsageError } from '../src/errors.js';
import { isRootUser, isWindowsRef, lookupImage, parseImageRef } from '../src/base-images.js';
import { parseShell, parseView, runShellView, simpleCommands } from '../src/shell.js';
import { expandVars, instructionStates, isWindowsImage, metaArgs, windowsReason, type InstructionState } from '../src/stages.js';
import { intentOf, type BuildIntent, type BuildTarget } from '../src/build-context.js';
import { isSuppressed } from '../src/pipeline.js';
import type { Outcome, Transform, TransformContext } from '../src/types.js';

export interface NonRootOptions {
  /** The user to switch to: a uid (`1001`), `uid:gid`, or a user name the image has. */
  user: string;
  /** Directories the app writes at run time: COPYs into them get `--chown`. */
  writable: string[];
  /** The stage that ships (`--target`), over what compose and bake files say; null: read them. */
  target: string | null;
}

/** Programs that drop privileges from root themselves: an image using them must start as root. */
const PRIVILEGE_DROPPERS = new Set(['gosu', 'su-exec', 'setpriv', 'chpst', 'runuser']);

export const nonRoot: Transform<NonRootOptions> = {
  id: 'non-root',
  summary: 'Run the final stage as a numeric non-root user (USER 1001) when it would run as root',
  safety: 'runtime',
  defaults: { user: '1001', writable: [], target: null },
  flags: {
    target: { key: 'target', type: 'string', help: 'the stage that ships (as docker build --target): runtime changes go to it and the stages it builds on' },
    user: { key: 'user', type: 'string', help: 'user for non-root: a uid (default 1001), uid:gid, or a name the image has' },
    writable: { key: 'writable', type: 'string', multiple: true, help: 'a directory the app writes at run time: COPYs into it get --chown (repeatable)' },
  },
  parseOptions(raw) {
    const user = String(raw.user ?? '1001').trim();
    if (!/^(\d+|[a-z_][a-z0-9_.-]*)(:(\d+|[a-z_][a-z0-9_.-]*))?$/i.test(user)) {
      throw new UsageError(`--user: "${user}" is not a uid, uid:gid or user name`, 'Use a number such as 10001 so runAsNonRoot can verify it.');
    }
    if (isRootUser(user)) throw new UsageError(`--user: "${user}" is root`, 'Pick a non-root uid such as 1001.');
    const w = raw.writable;
    const writable = (Array.isArray(w) ? w : w === undefined || w === null ? [] : [w]).map(String);
    for (const d of writable) if (!d.startsWith('/')) throw new UsageError(`--writable: "${d}" is not an absolute path`);
    const t = raw.target;
    if (t !== undefined && t !== null && (typeof t !== 'string' || !/^[a-z0-9][a-z0-9_.-]*$/i.test(t))) throw new UsageError(`--target: "${String(t)}" is not a stage name`);
    return { user, writable, target: (t as string | null | undefined) ?? null };
  },
  apply(doc, ctx) {
    return analyse(doc, { ...nonRoot.defaults, ...ctx.options }, ctx);
  },
};

interface Chain {
  /** Stages from the root image's stage to the final one. */
  stages: Stage[];
  /** The image the chain starts from, as written. */
  image: string | null;
}

/** The chain of stages `FROM <stage>` builds on, root first. */
function chainOf(stages: Stage[], stage: Stage): Chain {
  // kept per stage list (one per parsed file) and stage: the callers ask for every stage's chain, and a
  // file of thousands of stages, each FROM the one before, made searching the stages each time cubic
  let kept = chainsByStages.get(stages);
  if (!kept) { kept = { parents: parentsOf(stages), chains: new Map() }; chainsByStages.set(stages, kept); }
  const hit = kept.chains.get(stage.index);
  if (hit) return hit;
  const out: Stage[] = [stage];
  let cur = stage;
  for (;;) {
    const parent = kept.parents.get(cur.index);
    if (!parent) { const chain = { stages: out.reverse(), image: cur.from.getImage() }; kept.chains.set(stage.index, chain); return chain; }
    out.push(parent);
    cur = parent;
  }
}
const chainsByStages = new WeakMap<Stage[], { parents: Map<number, Stage>; chains: Map<number, Chain> }>();

/** Each stage's parent: the last earlier stage whose name or index its FROM names. */
function parentsOf(stages: Stage[]): Map<number, Stage> {
  const out = new Map<number, Stage>();
  const last = new Map<string, Stage>();
  for (const s of stages) {
    const img = s.from.getImage()?.toLowerCase() ?? null;
    const parent = img === null ? undefined : last.get(img);
    if (parent) out.set(s.index, parent);
    last.set(String(s.index), s);
    if (s.name !== null) last.set(s.name, s);
  }
  return out;
}

const flagsOf = (ins: Instruction): Flag[] => (ins as Partial<ModifiableInstruction>).getFlags?.() ?? [];
const keywordOf = (doc: DocView, ins: Instruction) => doc.slice(ins.getInstructionRange());
const caseLike = (doc: DocView, ref: Instruction, word: string) => (keywordOf(doc, ref) === keywordOf(doc, ref).toLowerCase() ? word.toLowerCase() : word.toUpperCase());

/** A stage that ships, with the builds that ship it (empty: the final stage of a plain `docker build`). */
interface Shipped { stage: Stage; builds: BuildTarget[] }

/**
 * Which stages ship: `--target`, else the stages compose services and bake targets build (their
 * `target`, or the final stage), else the final stage. A refusal when a target names no stage.
 */
function shippedStages(doc: DocView, intent: BuildIntent, target: string | null): { shipped: Shipped[]; known: boolean; refusals: Outcome[] } {
  const stages = doc.stages();
  const final = stages[stages.length - 1]!;
  const byName = (n: string) => stages.find((s) => s.name === n.toLowerCase() || String(s.index) === n);
  const refusals: Outcome[] = [];
  const out = new Map<Stage, BuildTarget[]>();
  const add = (s: Stage, b: BuildTarget | null) => { const l = out.get(s) ?? []; if (b) l.push(b); out.set(s, l); };
  if (target !== null) {
    const s = byName(target);
    if (!s) refusals.push({ kind: 'refuse', line: 1, reason: `--target ${target} names no stage of this Dockerfile; not changed` });
    else add(s, { where: '--target', target, args: {}, binds: [], ports: [], command: null, entrypoint: null, images: [] });
    for (const b of intent.builds) if (s && (b.target === null ? final : byName(b.target)) === s) out.get(s)!.push(b);
    return { shipped: [...out].map(([stage, builds]) => ({ stage, builds })), known: true, refusals };
  }
  for (const b of intent.builds) {
    if (b.target !== null && b.target.includes('$')) { refusals.push({ kind: 'refuse', line: 1, reason: `${b.where} builds target ${b.target}, which is interpolated; which stage ships cannot be told; pass --target STAGE` }); continue; }
    const s = b.target === null ? final : byName(b.target);
    if (!s) { refusals.push({ kind: 'refuse', line: 1, reason: `${b.where} builds target ${b.target}, which names no stage of this Dockerfile` }); continue; }
    add(s, b);
  }
  if (out.size === 0 && refusals.length === 0) add(final, null);
  return { shipped: [...out].map(([stage, builds]) => ({ stage, builds })), known: intent.builds.length > 0, refusals };
}

function analyse(doc: DocView, opts: NonRootOptions, ctx: TransformContext<NonRootOptions>): Outcome[] {
  const stages = doc.stages();
  const final = stages[stages.length - 1];
  if (!final) return [];
  const win = windowsReason(doc);
  if (win) return [{ kind: 'refuse', line: doc.lineOfNode(final.from), reason: `${win}, where USER names Windows accounts (ContainerUser); not changed` }];
  const intent = intentOf(ctx.buildContext, ctx.file);
  if (intent.unreadable.length && opts.target === null) {
    return [{ kind: 'refuse', line: doc.lineOfNode(final.from), reason: `${intent.unreadable.join('; ')}: which stage ships and with which arguments cannot be told; not changed` }];
  }
  const { shipped, known, refusals } = shippedStages(doc, intent, opts.target);
  const outcomes: Outcome[] = [...refusals];
  if (refusals.length) return outcomes;
  const shippedSet = new Set(shipped.map((s) => s.stage));
  const ancestors = new Set(shipped.flatMap((s) => chainOf(stages, s.stage).stages));

  // runnable stages that do not ship: say so
  for (const s of stages) {
    if (ancestors.has(s)) continue;
    const starts = s.instructions.find((i) => i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT');
    if (!starts) continue;
    const u = userOfChain(chainOf(stages, s));
    if (u !== null && isRootUser(u.value) === false) continue;
    if (known) {
      const by = opts.target !== null ? '--target' : 'no compose service or bake target';
      outcomes.push({ kind: 'note', line: doc.lineOfNode(starts), message: `stage ${s.name ?? s.index} has its own ${starts.getKeyword()} but does not ship (${by} builds it): not changed` });
    } else {
      outcomes.push({ kind: 'refuse', line: doc.lineOfNode(starts), reason: `stage ${s.name ?? s.index} is not the final stage but has its own ${starts.getKeyword()} (a --target image?): only the final stage gets a non-root USER; add one to this stage yourself, or name the stage that ships with --target or compose build.target` });
    }
  }
  for (const sh of shipped) outcomes.push(...analyseStage(doc, opts, ctx, sh, shippedSet, intent));
  return outcomes;
}

function analyseStage(doc: DocView, opts: NonRootOptions, ctx: TransformContext<NonRootOptions>, sh: Shipped, shippedSet: Set<Stage>, intent: BuildIntent): Outcome[] {
  const stages = doc.stages();
  const target = sh.stage;
  const states = instructionStates(doc);
  const chain = chainOf(stages, target);
  const fromLine = doc.lineOfNode(target.from);
  const label = target === stages[stages.length - 1] ? 'the final stage' : `stage ${target.name ?? target.index}`;
  const refuse = (line: number, reason: string): Outcome[] => [{ kind: 'refuse', line, reason }];

  const pragma = chain.stages.map((s) => s.from).find((f) => isSuppressed(doc, f, 'non-root'));
  if (pragma) return [{ kind: 'note', line: doc.lineOfNode(pragma), message: `not applied (# dockeropt ignore above the FROM on line ${doc.lineOfNode(pragma)}): ${label} keeps the user it has` }];

  const all = chain.stages.flatMap((s) => s.instructions);
  const set = userOfChain(chain);
  const image = chain.image;
  if (isWindowsImage(image)) return refuse(fromLine, `the base image ${image} is a Windows image, where USER names Windows accounts (ContainerUser); not changed`);
  const ref = image === null ? null : parseImageRef(image);
  const entry = ref ? lookupImage(ref) : null;
  if (entry?.windows || (ref && isWindowsRef(ref))) return refuse(fromLine, `the base image ${image} is a Windows image, where USER names Windows accounts (ContainerUser); not changed`);

  if (set !== null) {
    const root = isRootUser(set.value);
    if (root === null) return refuse(doc.lineOfNode(set.ins), `USER ${set.value} uses a variable, so whether the image runs as root cannot be told; set a numeric non-root USER yourself`);
    if (!root) return [];
  } else {
    if (ref === null) return refuse(fromLine, `the base image is given by a build argument (${image ?? ''}), so its default user cannot be known; add USER yourself`);
    if (!entry) return refuse(fromLine, `the base image ${ref.name} is not in dockeropt's base-image table (src/base-images.ts), so its default user is unknown; add USER yourself, or add the image to the table`);
    if (entry.uid !== 0) return [];
  }
  const why = set !== null ? `USER ${set.value} on line ${doc.lineOfNode(set.ins)} is root` : `the base image ${ref!.name} (${entry!.family}) runs as ${entry!.defaultUser}`;

  // another stage builds FROM this one: its RUN steps would run as the new user
  const child = stages.find((s) => s !== target && chainOf(stages, s).stages.includes(target) && s.instructions.length > 0);
  if (child) return refuse(doc.lineOfNode(child.from), `stage ${child.name ?? child.index} builds FROM ${label}, so a USER there would run its steps as user ${opts.user}; not changed`);
  if (intent.builtOnBy.length) return refuse(fromLine, `${intent.builtOnBy.join(', ')} build${intent.builtOnBy.length === 1 ? 's' : ''} FROM the image this Dockerfile tags: it is a base image, whose children would run their RUN steps as user ${opts.user}; not changed`);
  if (set !== null) {
    const lastRun = [...all].reverse().find((i) => i.getKeyword() === 'RUN');
    if (!lastRun || doc.lineOfNode(lastRun) < doc.lineOfNode(set.ins) || !chain.stages.at(-1)!.instructions.includes(set.ins)) {
      return refuse(doc.lineOfNode(set.ins), `the image ends with an explicit USER ${set.value} (no RUN after it needs it): it is meant to run as root, as base and toolchain images are; not changed`);
    }
  }

  if (entry?.entrypointNeedsRoot) return refuse(fromLine, `${entry.entrypointNeedsRoot}; forcing USER ${opts.user} would break it (run the container with its documented --user support instead)`);
  const onbuild = all.find((i) => i.getKeyword() === 'ONBUILD');
  if (onbuild) return refuse(doc.lineOfNode(onbuild), 'ONBUILD instructions run in the child image\'s build, after this stage\'s USER, and would no longer run as root; not changed');
  const daemon = rootDaemon(doc, all);
  if (daemon) return refuse(daemon.line, `the image starts ${daemon.name}, which needs to run as root; not changed`);
  const dropper = privilegeDropper(doc, all);
  if (dropper) return refuse(dropper.line, `the image drops privileges itself with ${dropper.name}, so its entrypoint has to start as root; not changed`);

  for (const b of sh.builds) {
    if (b.binds.length) return refuse(fromLine, `${b.where} bind-mounts ${b.binds.join(', ')} read-write: what the app writes there belongs to the host directory, which user ${opts.user} may not be able to write; not changed (mount it read-only, or set USER yourself)`);
  }
  const port: { line: number; what: string; hint?: string } | null = privilegedPort(doc, all, states, sh.builds) ?? composePort(sh.builds, fromLine) ?? (entry?.listens?.length ? { line: fromLine, what: `the base image ${ref!.name} listens on port ${entry.listens.join(', ')} itself` } : null);
  if (port) {
    const hint = port.hint ? port.hint : entry?.nonRootVariant ? `use ${entry.nonRootVariant} instead` : 'make the app listen on a port of 1024 or more (e.g. 8080) and publish it as the old one, or grant CAP_NET_BIND_SERVICE';
    return refuse(port.line, `${port.what}, which a non-root user cannot bind unless the image is set up for it: ${hint}`);
  }

  // what it runs: the Dockerfile's start command, and each compose service's override
  const start = startCommand(doc, all);
  const runs: { argv: (string | null)[]; where: string; line: number }[] = [];
  const overriding = sh.builds.filter((b) => b.command || b.entrypoint);
  if (sh.builds.length === 0 || overriding.length < sh.builds.length) {
    if (!start) return refuse(fromLine, `${label} sets no CMD or ENTRYPOINT, so it runs its base image's command: a base or toolchain image, whose children would run their RUN steps as user ${opts.user}; not changed (add USER to the application images instead)`);
    runs.push(start);
  }
  for (const b of overriding) {
    const argv = [...(b.entrypoint ?? (start?.entrypoint ?? [])), ...(b.command ?? (b.entrypoint ? [] : start?.cmd ?? []))];
    runs.push({ argv, where: `${b.where}'s ${b.command ? 'command' : 'entrypoint'}`, line: fromLine });
  }
  for (const r of runs) {
    const problem = startProblem(r.argv, ctx, all, states, doc);
    if (problem) return refuse(r.line, `${r.where} ${problem}; not changed`);
  }

  // where: after the last instruction that needs root, before the CMD/ENTRYPOINT that follows it
  const own = target.instructions;
  let lastRoot = -1;
  own.forEach((ins, k) => { if (ins.getKeyword() === 'RUN' || ins.getKeyword() === 'USER' || ins.getKeyword() === 'ONBUILD') lastRoot = k; });
  const before = own.slice(lastRoot + 1).find((i) => i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT');
  const ref0 = before ?? own[own.length - 1] ?? target.from;
  const userLine = `${caseLike(doc, ref0, 'USER')} ${opts.user}`;
  const edits: Edit[] = [];
  let where: string;
  if (before) {
    let line = before.getRange().start.line;
    const prevEnd = (() => { const k = own.indexOf(before); return k > 0 ? own[k - 1]!.getRange().end.line : target.from.getRange().end.line; })();
    while (line - 1 > prevEnd && doc.lineText(line - 1).trimStart().startsWith('#')) line--;
    edits.push(insertAt(doc.lineStart(line), doc.indentOf(before.getRange().start.line) + userLine + doc.eol));
    where = `before ${before.getKeyword()}`;
  } else {
    const after = own[own.length - 1] ?? target.from;
    const span = doc.lineSpan(after);
    const end = span.end;
    const indent = doc.indentOf(after.getRange().start.line);
    // an instruction whose last line ends in the escape character would swallow the USER line: the
    // trailing escape joins nothing (BuildKit runs the same command without it), so it is removed
    const lastLine = doc.lineText(doc.lineIndexAt(Math.max(span.start, end - 1)));
    const trailing = new RegExp(`${doc.escapeChar === '\\' ? '\\\\' : doc.escapeChar}[ \\t]*$`).exec(lastLine);
    if (trailing) {
      const lineStartOff = doc.lineStart(doc.lineIndexAt(Math.max(span.start, end - 1)));
      const at = lineStartOff + trailing.index;
      const atEof = end === doc.text.length && !doc.text.endsWith('\n');
      edits.push({ start: at, end: at + trailing[0].length, text: '' });
      edits.push(insertAt(end, atEof ? doc.eol + indent + userLine : indent + userLine + doc.eol));
      where = `at the end of ${label === 'the final stage' ? 'the stage' : label} (the trailing ${doc.escapeChar} on line ${doc.lineIndexAt(at) + 1}, which continued into nothing, removed)`;
    } else {
      const atEofNoEol = end === doc.text.length && !doc.text.endsWith('\n');
      edits.push(insertAt(end, atEofNoEol ? doc.eol + indent + userLine : indent + userLine + doc.eol));
      where = label === 'the final stage' ? 'at the end of the stage' : `at the end of ${label}`;
    }
  }
  if (!before && target !== stages[stages.length - 1] && own.length === 0) where = `after the FROM of ${label}`;

  // files the app writes: VOLUMEs and --writable directories
  const writable = [...volumes(all), ...opts.writable.map((d) => ({ dir: norm(d), source: '--writable', line: 0 }))];
  const group = opts.user.includes(':') ? '' : ':0';
  const chowned: string[] = [];
  const copies = own.filter((i) => i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD');
  for (const c of copies) {
    if (flagsOf(c).some((f) => f.getName() === 'chown')) continue;
    const dest = copyDest(c, states.get(c));
    if (dest === null) continue;
    const w = writable.find((x) => within(dest, x.dir));
    if (!w) continue;
    const kw = c.getInstructionRange();
    edits.push(insertAt(doc.offsetAt(kw.end), ` --chown=${opts.user}${group}`));
    chowned.push(`line ${doc.lineOfNode(c)} (${dest}, ${w.source})`);
  }
  const outcomes: Outcome[] = [];
  const shipsBy = sh.builds.length ? ` (${label} ships: ${sh.builds.map((b) => b.where).join(', ')})` : '';
  outcomes.push({
    kind: 'rewrite',
    line: doc.lineOf(edits[0]!.start),
    message: `adds USER ${opts.user} ${where}: ${why}${shipsBy}` + (chowned.length ? `; --chown=${opts.user}${group} on the COPY into a directory the app writes: ${chowned.join(', ')}` : ''),
    edits,
  });
  if (copies.length > 0 && chowned.length === 0) {
    outcomes.push({ kind: 'note', line: doc.lineOfNode(copies[0]!), message: `copied files stay owned by root, read-only for user ${opts.user} (no VOLUME or --writable directory names them); pass --writable DIR if the app writes there` });
  }
  for (const w of writable) {
    if (w.source === '--writable' || chowned.some((c) => c.includes(`${w.source}`))) continue;
    outcomes.push({ kind: 'note', line: w.line, message: `VOLUME ${w.dir} is created owned by root, so user ${opts.user} cannot write to it unless the directory is created with that owner before the VOLUME` });
  }
  void shippedSet;
  return outcomes;
}

/** The last USER set in the chain, or null when none (the base image's user). */
function userOfChain(chain: Chain): { value: string; ins: Instruction } | null {
  for (let k = chain.stages.length - 1; k >= 0; k--) {
    const ins = chain.stages[k]!.instructions.filter((i) => i.getKeyword() === 'USER');
    const last = ins[ins.length - 1];
    if (last) return { value: last.getArguments()[0]?.getValue() ?? '', ins: last };
  }
  return null;
}

/** A gosu-style program used in RUN, ENTRYPOINT or CMD, or copied in. */
function privilegeDropper(doc: DocView, all: Instruction[]): { name: string; line: number } | null {
  const base = (w: string | null) => (w === null ? '' : w.split('/').pop()!);
  for (const ins of all) {
    const kw = ins.getKeyword();
    let words: (string | null)[] = [];
    if (kw === 'RUN' || kw === 'CMD' || kw === 'ENTRYPOINT') {
      const exec = execArgs(ins);
      if (exec) {
        words = exec;
      } else if (!(kw === 'RUN' && (ins as unknown as { getHeredocs(): unknown[] }).getHeredocs().length > 0)) {
        const view = runShellView(doc, ins);
        const parsed = view ? parseView(view) : null;
        if (parsed && !('error' in parsed)) words = simpleCommands(parsed.file).flatMap((c) => c.words);
      }
    } else if (kw === 'COPY' || kw === 'ADD') {
      words = ins.getArguments().map((a) => a.getValue());
      const from = flagsOf(ins).find((f) => f.getName() === 'from')?.getValue() ?? '';
      words.push(from.split(':')[0]!);
    }
    const hit = words.map(base).find((w) => PRIVILEGE_DROPPERS.has(w));
    if (hit) return { name: hit, line: doc.lineOfNode(ins) };
  }
  return null;
}

/** Programs that, as the container's start command, need root (init systems, sshd, cron, dockerd). */
const ROOT_DAEMONS = new Set(['init', 'systemd', 'sshd', 'cron', 'crond', 'supervisord', 'dockerd', 'dockerd-entrypoint.sh', 's6-svscan', 'runsvdir']);

function rootDaemon(doc: DocView, all: Instruction[]): { name: string; line: number } | null {
  const starts = all.filter((i) => i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT');
  for (const ins of starts) {
    let words: (string | null)[] = [];
    const exec = execArgs(ins);
    if (exec) words = exec;
    else {
      const view = runShellView(doc, ins);
      const parsed = view ? parseView(view) : null;
      if (parsed && !('error' in parsed)) words = simpleCommands(parsed.file).flatMap((c) => c.words);
    }
    const hit = words.map((w) => (w ?? '').split('/').pop()!).find((w) => ROOT_DAEMONS.has(w));
    if (hit) return { name: hit, line: doc.lineOfNode(ins) };
  }
  return null;
}

/** Shells and interpreters: started with no script (`CMD ["bash"]`, `php -a`), the image is meant to be built on or used interactively. */
const INTERPRETERS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'fish', 'ksh', 'pwsh', 'python', 'python2', 'python3', 'node', 'nodejs', 'deno', 'bun', 'irb', 'ruby', 'php', 'jshell', 'ghci', 'iex', 'erl', 'julia', 'R', 'lua', 'perl', 'scala', 'groovysh', 'clojure']);
/** Build tools: an image that starts one is a toolchain image (or builds at run time, in a root-owned tree). */
const BUILD_TOOLS = new Set(['gradle', 'gradlew', 'mvn', 'mvnw', 'composer', 'cargo', 'go', 'make', 'cmake', 'sbt', 'ant', 'lein', 'rustc', 'gcc', 'cc', 'clang', 'emcc', 'docker', 'buildctl', 'bazel', 'pip', 'poetry', 'uv']);
/** Wrappers that only start the rest of the command (the docker-library `docker-entrypoint.sh` pattern). */
const WRAPPERS = new Set(['tini', 'tini-static', 'dumb-init', 'catatonit', 'exec', 'env', 'npx', 'bunx']);
/** Programs an entrypoint script runs that need root. */
const NEEDS_ROOT = new Set(['su', 'gosu', 'su-exec', 'setpriv', 'chpst', 'runuser', 'sudo', 'chown', 'chmod', 'chgrp', 'useradd', 'usermod', 'groupadd', 'adduser', 'addgroup', 'update-ca-certificates', 'apt-get', 'apk', 'sysctl', 'mount']);

/** The start command of the chain: ENTRYPOINT and CMD as BuildKit combines them (shell form as `sh -c`). */
function startCommand(doc: DocView, all: Instruction[]): { argv: (string | null)[]; entrypoint: (string | null)[]; cmd: (string | null)[]; where: string; line: number } | null {
  const ep = [...all].reverse().find((i) => i.getKeyword() === 'ENTRYPOINT');
  const cmd = [...all].reverse().find((i) => i.getKeyword() === 'CMD');
  if (!ep && !cmd) return null;
  const argvOf = (ins: Instruction): (string | null)[] => execArgs(ins) ?? ['/bin/sh', '-c', runShellView(doc, ins)?.text ?? null];
  const e = ep ? argvOf(ep) : [];
  // a shell-form ENTRYPOINT ignores CMD; a CMD before the last ENTRYPOINT's stage still applies (BuildKit resets it only in the same stage)
  const c = cmd && !(ep && !execArgs(ep)) ? argvOf(cmd) : [];
  const at = ep ?? cmd!;
  return { argv: [...e, ...c], entrypoint: e, cmd: c, where: `the ${ep && cmd ? 'ENTRYPOINT + CMD' : at.getKeyword()}`, line: doc.lineOfNode(at) };
}

const baseName = (w: string | null) => (w ?? '').split('/').pop()!;

/** Dev servers, build tools, bare interpreters, and scripts that need root, in a start command. */
function startProblem(argv: (string | null)[], ctx: TransformContext<NonRootOptions>, all: Instruction[], states: Map<Instruction, InstructionState>, doc: DocView, depth = 0): string | null {
  let w = [...argv];
  while (w.length && WRAPPERS.has(baseName(w[0]!))) { w = w.slice(1); while (w[0] === '--' || (w[0] ?? '').startsWith('-')) w = w.slice(1); }
  if (w.length === 0) return 'starts only a wrapper (docker-entrypoint.sh, tini) with no command: its image is a base for others';
  const prog = baseName(w[0]!);
  const rest = w.slice(1);
  const words = rest.filter((x): x is string => x !== null);
  // a shell running a script string: judge each command in it
  if (['sh', 'bash', 'ash', 'dash', 'zsh'].includes(prog) && rest[0] === '-c') {
    const script = rest[1];
    if (script === null || script === undefined) return `runs a shell command that cannot be read`;
    const parsed = parseShell(script);
    if ('error' in parsed) return `runs a shell command that does not parse`;
    for (const c of simpleCommands(parsed.file)) {
      if (c.words.length === 0) continue;
      const p = startProblem(c.words, ctx, all, states, doc, depth + 1);
      if (p) return p;
    }
    return null;
  }
  // a script copied in from the build context: read it
  const script = scriptOf(prog, w, all, states, doc, ctx);
  if (script) {
    if ('unknown' in script) return script.unknown;
    const parsed = parseShell(script.text);
    if ('error' in parsed) return `runs ${script.path}, which does not parse as a shell script (${parsed.error})`;
    for (const c of simpleCommands(parsed.file)) {
      const name = baseName(c.words[0] ?? null);
      if (NEEDS_ROOT.has(name)) return `runs ${script.path}, which runs ${name} (that needs root)`;
      const port = c.words.map((x, k) => (x !== null && /^(-p|--port|--bind|-b)$/.test(c.words[k - 1] ?? '') ? x : null)).find((x) => x !== null && /(^|:)([1-9]\d{0,2}|10[01]\d|102[0-3])$/.test(x));
      if (port) return `runs ${script.path}, which binds port ${port} (below 1024)`;
      if (depth < 2) {
        const dev2 = devServer(name, c.words.slice(1).filter((x): x is string => x !== null), states, all);
        if (dev2) return `runs ${script.path}, which runs a dev server (${dev2}) that writes into the root-owned application directory`;
      }
    }
    // an entrypoint script that ends in `exec "$@"` runs the CMD after it: judge that too
    if (/entrypoint/i.test(prog) && rest.length) return startProblem(rest, ctx, all, states, doc, depth + 1);
    if (/entrypoint/i.test(prog)) return `starts only ${script.path} with no command: its image is a base for others`;
    return null;
  }
  if (INTERPRETERS.has(prog) && words.every((x) => x.startsWith('-'))) return `starts a bare ${[prog, ...words].join(' ')} (a shell or interpreter with no program), as base and toolchain images do; images built FROM it would run their RUN steps as user ${ctx.options.user ?? '1001'}`;
  if (BUILD_TOOLS.has(prog.replace(/^\.\//, ''))) return `starts the build tool ${[prog, ...words.slice(0, 2)].join(' ')}, as toolchain images do (it writes caches and build output where a non-root user cannot)`;
  const dev = devServer(prog, words, states, all);
  if (dev) return `runs a dev server (${dev}), which writes caches, databases or build output into the root-owned application directory`;
  // npm/yarn/pnpm scripts: read package.json from the build context
  if (['npm', 'yarn', 'pnpm', 'bun'].includes(prog) && depth < 3) {
    const script = prog === 'npm' || prog === 'pnpm' || prog === 'bun' ? (words[0] === 'run' || words[0] === 'run-script' ? words[1] : words[0]) : words[0] === 'run' ? words[1] : words[0];
    if (script === 'dev' || script === 'serve' || script === 'develop' || script === 'watch') return `runs the package script "${script}", a dev server by its name`;
    const pkg = ctx.buildContext.readText('package.json');
    const body = pkg === null ? null : (() => { try { return (JSON.parse(pkg) as { scripts?: Record<string, unknown> }).scripts?.[script ?? ''] ?? null; } catch { return null; } })();
    if (typeof body === 'string') {
      const parsed = parseShell(body);
      if ('error' in parsed) return `runs the package script "${script}" (${body}), which does not parse`;
      for (const c of simpleCommands(parsed.file)) {
        if (c.words.length === 0) continue;
        const p = startProblem(c.words, ctx, all, states, doc, depth + 1);
        if (p) return `runs the package script "${script}" (${body}), which ${p.replace(/^(starts|runs) /, '$1 ')}`;
      }
    }
  }
  return null;
}

/** The dev server a command is, or null (`ng serve`, `manage.py runserver`, `vite`, `nodemon`, …). */
function devServer(prog: string, words: string[], states: Map<Instruction, InstructionState>, all: Instruction[]): string | null {
  const sub = words.find((x) => !x.startsWith('-')) ?? '';
  const env = (k: string) => { for (const i of [...all].reverse()) { const v = states.get(i)?.env.get(k); if (v !== undefined) return v; } return undefined; };
  const all2 = [prog, ...words];
  if (prog === 'ng' && sub === 'serve') return 'ng serve';
  if (all2.some((x) => baseName(x) === 'manage.py') && words.includes('runserver')) return 'manage.py runserver';
  if (prog === 'django-admin' && sub === 'runserver') return 'django-admin runserver';
  if (prog === 'react-scripts' && sub === 'start') return 'react-scripts start';
  if (prog === 'vite' && (sub === '' || sub === 'dev' || sub === 'serve')) return `vite${sub ? ' ' + sub : ''}`;
  if (prog === 'vue-cli-service' && sub === 'serve') return 'vue-cli-service serve';
  if (prog === 'nodemon' || prog === 'webpack-dev-server' || prog === 'ts-node-dev' || prog === 'next-dev') return prog;
  if ((prog === 'webpack' && sub === 'serve') || ((prog === 'next' || prog === 'nuxt' || prog === 'nuxi' || prog === 'astro' || prog === 'remix') && sub === 'dev')) return `${prog} ${sub}`;
  if ((prog === 'ember' || prog === 'jekyll' || prog === 'hugo') && (sub === 'serve' || sub === 'server')) return `${prog} ${sub}`;
  if (prog === 'gatsby' && sub === 'develop') return 'gatsby develop';
  if (prog === 'flask' && sub === 'run' && (words.includes('--debug') || words.includes('--reload') || env('FLASK_DEBUG') === '1' || env('FLASK_ENV') === 'development')) return 'flask run --debug';
  if (prog === 'uvicorn' && words.includes('--reload')) return 'uvicorn --reload';
  if ((prog === 'rails' || (prog === 'bundle' && words[0] === 'exec' && words[1] === 'rails')) && ['s', 'server'].includes(prog === 'rails' ? sub : words[2] ?? '')) {
    const railsEnv = env('RAILS_ENV');
    if (railsEnv !== 'production' && !words.some((x, k) => (x === '-e' || x === '--environment') && words[k + 1] === 'production')) return `rails server in ${railsEnv ?? 'development (no RAILS_ENV)'}`;
  }
  return null;
}

/**
 * The text of a script the start command runs, when a COPY/ADD put it there from the build context:
 * the file, or the file inside a copied directory (`COPY . /app` + `CMD ["./start.sh"]`).
 */
function scriptOf(prog: string, argv: (string | null)[], all: Instruction[], states: Map<Instruction, InstructionState>, doc: DocView, ctx: TransformContext<NonRootOptions>): { text: string; path: string } | { unknown: string } | null {
  const first = argv[0];
  if (!first) return null;
  const startWd = states.get(all[all.length - 1]!)?.workdir ?? '/';
  const path = first.startsWith('/') ? norm(first) : first.includes('/') ? resolveDest(first, { workdir: startWd } as InstructionState) : null;
  const script = prog.endsWith('.sh') || prog.endsWith('.bash');
  for (const c of [...all].reverse()) {
    const kw = c.getKeyword();
    if (kw !== 'COPY' && kw !== 'ADD') continue;
    const dest = copyDest(c, states.get(c));
    const srcs = (execArgs(c) ?? c.getArguments().map((a) => a.getValue())).slice(0, -1).filter((x) => !x.startsWith('--'));
    if (dest === null) continue;
    const line = doc.lineOfNode(c);
    const fromElsewhere = flagsOf(c).some((f) => f.getName() === 'from');
    for (const src of srcs) {
      const clean = src.replace(/^\.?\/+/, '');
      let file: string | null = null;
      // a bare program name is looked up on PATH; a glob source that may be it cannot be read exactly
      const cands = path !== null ? [path] : PATH_DIRS.map((d) => `${d}/${prog}`);
      if (/[*?[]/.test(src) && cands.some((p) => (dest === p || within(p, dest)) && globMatch(baseName(src), baseName(p)))) {
        return { unknown: `runs ${path ?? prog}, which the COPY on line ${line} may put there from ${src} (a pattern), so whether it needs root (su, chown, a port below 1024) cannot be told` };
      }
      if (path === null && cands.some((p) => dest + '/' + baseName(src) === p || dest === p)) file = clean;
      else if (path !== null) {
        if (dest === path || dest + '/' + baseName(src) === path) file = clean;
        else if (within(path, dest) && path !== dest && (fromElsewhere || ctx.buildContext.isDirectory(clean || '.'))) file = (clean ? clean + '/' : '') + path.slice(dest.length + 1);
      } else if (script && (baseName(dest) === prog || baseName(src) === prog)) file = clean;
      if (file === null) continue;
      const shown = path ?? prog;
      // a program whose name says it is a script (start.sh, docker-entrypoint, run) must be read; a built binary need not
      const scriptLike = script || /(entrypoint|start|run|init|boot|launch|wrapper)/i.test(baseName(shown));
      if (!scriptLike && (fromElsewhere || ctx.buildContext.readText(file) === null)) return null;
      if (fromElsewhere || /^[a-z]+:\/\//i.test(src) || src.includes('$') || /[*?[]/.test(src)) {
        return { unknown: `runs ${shown}, copied on line ${line} from somewhere dockeropt cannot read, so whether it needs root (su, chown, a port below 1024) cannot be told` };
      }
      const text = ctx.buildContext.readText(file);
      if (text === null) {
        return { unknown: `runs ${shown}, copied on line ${line} from ${file} in the build context, which dockeropt cannot read${ctx.buildContext.root === null ? ' (the context is not known)' : ''}, so whether it needs root (su, chown, a port below 1024) cannot be told` };
      }
      // a binary or a script in another language is not read as shell
      if (!/^#!\s*\S*\/(env\s+)?(ba|da|a|z)?sh\b/.test(text) && !script) {
        if (text.startsWith('#!')) return { unknown: `runs ${shown}, a script in another language (${text.split('\n')[0]}), whose needs dockeropt does not read` };
        return null;
      }
      return { text, path: shown };
    }
  }
  return null;
}

const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const globMatch = (glob: string, name: string) => new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(name);

/** Container ports below 1024 of the compose services that build it. */
function composePort(builds: BuildTarget[], line: number): { line: number; what: string } | null {
  for (const b of builds) {
    const low = b.ports.find((p) => p < 1024);
    if (low !== undefined) return { line, what: `${b.where} publishes container port ${low}, a port below 1024` };
  }
  return null;
}

/**
 * The first privileged port the image listens on, from EXPOSE: variables are resolved from ENV, then
 * the build arguments the compose services / bake targets pass, then the ARG defaults (including those
 * declared before the first FROM).
 */
function privilegedPort(doc: DocView, all: Instruction[], states: Map<Instruction, InstructionState>, builds: readonly BuildTarget[]): { line: number; what: string; hint?: string } | null {
  const meta = metaArgs(doc);
  const argSets = builds.length ? builds.map((b) => b.args) : [{}];
  for (const ins of all) {
    if (ins.getKeyword() !== 'EXPOSE') continue;
    const st = states.get(ins);
    for (const passed of argSets) {
      const vars = new Map<string, string | null>();
      for (const [k, v] of st?.args ?? []) vars.set(k, k in passed ? passed[k]! : v ?? (meta.get(k) ?? null));
      for (const [k, v] of st?.env ?? []) if (!v.includes('$')) vars.set(k, v);
      for (const a of ins.getArguments()) {
        const raw = a.getValue();
        const v = raw.includes('$') ? expandVars(raw, vars) : raw;
        if (v === null || v.includes('$')) {
          const names = [...raw.matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!).filter((n) => (vars.get(n) ?? null) === null);
          return { line: doc.lineOfNode(ins), what: `EXPOSE ${raw}: ${names.join(', ') || 'a variable'} has no value dockeropt can know (no ARG or ENV default${builds.length ? ', and the builds pass none' : ''}), so it may be a port below 1024`, hint: `give ${names[0] ?? 'it'} a default (ARG ${names[0] ?? 'PORT'}=8080) or pass it in compose build.args, so dockeropt can check it; or set USER yourself` };
        }
        const low = Number(/^(\d+)/.exec(v)?.[1] ?? NaN);
        if (low < 1024) return { line: doc.lineOfNode(ins), what: `EXPOSE ${raw}${raw !== v ? ` (${v})` : ''} is a port below 1024` };
      }
    }
  }
  return null;
}

function volumes(all: Instruction[]): { dir: string; source: string; line: number }[] {
  const out: { dir: string; source: string; line: number }[] = [];
  for (const ins of all) {
    if (ins.getKeyword() !== 'VOLUME') continue;
    const line = ins.getRange().start.line + 1;
    const dirs = execArgs(ins) ?? ins.getArguments().map((a) => a.getValue());
    for (const d of dirs) if (d.startsWith('/') && !d.includes('$')) out.push({ dir: norm(d), source: `VOLUME on line ${line}`, line });
  }
  return out;
}

const norm = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
const within = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');

/** The absolute destination of a COPY/ADD, or null when it cannot be told (variables, JSON form). */
function copyDest(ins: Instruction, st: InstructionState | undefined): string | null {
  const arr = execArgs(ins);
  if (arr) {
    const d = arr[arr.length - 1];
    return d && !d.includes('$') ? resolveDest(d, st) : null;
  }
  const args = ins.getArguments();
  const d = args[args.length - 1]?.getValue();
  if (!d || d.includes('$') || args.length < 2) return null;
  return resolveDest(d, st);
}

function resolveDest(d: string, st: InstructionState | undefined): string {
  if (d.startsWith('/')) return norm(d);
  const wd = st?.workdir ?? '/';
  return norm(`${wd.replace(/\/$/, '')}/${d.replace(/^\.\/?/, '')}`);
}
