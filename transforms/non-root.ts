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
import { parseShell, runShellView, simpleCommands } from '../src/shell.js';
import { instructionStates, isWindowsImage, type InstructionState } from '../src/stages.js';
import type { Outcome, Transform } from '../src/types.js';

export interface NonRootOptions {
  /** The user to switch to: a uid (`1001`), `uid:gid`, or a user name the image has. */
  user: string;
  /** Directories the app writes at run time: COPYs into them get `--chown`. */
  writable: string[];
}

/** Programs that drop privileges from root themselves: an image using them must start as root. */
const PRIVILEGE_DROPPERS = new Set(['gosu', 'su-exec', 'setpriv', 'chpst', 'runuser']);

export const nonRoot: Transform<NonRootOptions> = {
  id: 'non-root',
  summary: 'Run the final stage as a numeric non-root user (USER 1001) when it would run as root',
  safety: 'runtime',
  defaults: { user: '1001', writable: [] },
  flags: {
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
    return { user, writable };
  },
  apply(doc, ctx) {
    return analyse(doc, { ...nonRoot.defaults, ...ctx.options });
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
  const out: Stage[] = [stage];
  let cur = stage;
  for (;;) {
    const img = cur.from.getImage()?.toLowerCase() ?? null;
    const parent = img === null ? undefined : stages.slice(0, cur.index).reverse().find((s) => s.name === img || String(s.index) === img);
    if (!parent) return { stages: out.reverse(), image: cur.from.getImage() };
    out.push(parent);
    cur = parent;
  }
}

const flagsOf = (ins: Instruction): Flag[] => (ins as Partial<ModifiableInstruction>).getFlags?.() ?? [];
const keywordOf = (doc: DocView, ins: Instruction) => doc.slice(ins.getInstructionRange());
const caseLike = (doc: DocView, ref: Instruction, word: string) => (keywordOf(doc, ref) === keywordOf(doc, ref).toLowerCase() ? word.toLowerCase() : word.toUpperCase());

function analyse(doc: DocView, opts: NonRootOptions): Outcome[] {
  const stages = doc.stages();
  const final = stages[stages.length - 1];
  if (!final) return [];
  const states = instructionStates(doc);
  const outcomes: Outcome[] = [];
  const chain = chainOf(stages, final);
  const fromLine = doc.lineOfNode(final.from);
  const ancestors = new Set(chain.stages);

  // other runnable targets: only the final stage is changed, so say so
  for (const s of stages) {
    if (ancestors.has(s)) continue;
    const starts = s.instructions.find((i) => i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT');
    if (!starts) continue;
    const u = userOfChain(chainOf(stages, s));
    if (u !== null && isRootUser(u.value) === false) continue;
    outcomes.push({ kind: 'refuse', line: doc.lineOfNode(starts), reason: `stage ${s.name ?? s.index} is not the final stage but has its own ${starts.getKeyword()} (a --target image?): only the final stage gets a non-root USER; add one to this stage yourself` });
  }

  const all = chain.stages.flatMap((s) => s.instructions);
  const set = userOfChain(chain);
  const image = chain.image;
  if (isWindowsImage(image)) return [...outcomes, { kind: 'refuse', line: fromLine, reason: `the base image ${image} is a Windows image, where USER names Windows accounts (ContainerUser); not changed` }];
  const ref = image === null ? null : parseImageRef(image);
  const entry = ref ? lookupImage(ref) : null;
  if (entry?.windows || (ref && isWindowsRef(ref))) return [...outcomes, { kind: 'refuse', line: fromLine, reason: `the base image ${image} is a Windows image, where USER names Windows accounts (ContainerUser); not changed` }];

  if (set !== null) {
    const root = isRootUser(set.value);
    if (root === null) return [...outcomes, { kind: 'refuse', line: doc.lineOfNode(set.ins), reason: `USER ${set.value} uses a variable, so whether the image runs as root cannot be told; set a numeric non-root USER yourself` }];
    if (!root) return outcomes;
  } else {
    if (ref === null) return [...outcomes, { kind: 'refuse', line: fromLine, reason: `the base image is given by a build argument (${image ?? ''}), so its default user cannot be known; add USER yourself` }];
    if (!entry) return [...outcomes, { kind: 'refuse', line: fromLine, reason: `the base image ${ref.name} is not in dockeropt's base-image table (src/base-images.ts), so its default user is unknown; add USER yourself, or add the image to the table` }];
    if (entry.uid !== 0) return outcomes;
  }
  const why = set !== null ? `USER ${set.value} on line ${doc.lineOfNode(set.ins)} is root` : `the base image ${ref!.name} (${entry!.family}) runs as ${entry!.defaultUser}`;

  if (entry?.entrypointNeedsRoot) {
    return [...outcomes, { kind: 'refuse', line: fromLine, reason: `${entry.entrypointNeedsRoot}; forcing USER ${opts.user} would break it (run the container with its documented --user support instead)` }];
  }
  const onbuild = all.find((i) => i.getKeyword() === 'ONBUILD');
  if (onbuild) return [...outcomes, { kind: 'refuse', line: doc.lineOfNode(onbuild), reason: 'ONBUILD instructions run in the child image\'s build, after this stage\'s USER, and would no longer run as root; not changed' }];
  const daemon = rootDaemon(doc, all);
  if (daemon) return [...outcomes, { kind: 'refuse', line: daemon.line, reason: `the image starts ${daemon.name}, which needs to run as root; not changed` }];
  const shell = bareShellCmd(all);
  if (shell) {
    return [...outcomes, { kind: 'refuse', line: shell.line, reason: `the image starts a bare ${shell.name}, as base and toolchain images do; images built FROM it would run their RUN steps as user ${opts.user}; not changed (add USER to the application images instead)` }];
  }
  const dropper = privilegeDropper(doc, all);
  if (dropper) {
    return [...outcomes, { kind: 'refuse', line: dropper.line, reason: `the image drops privileges itself with ${dropper.name}, so its entrypoint has to start as root; not changed` }];
  }
  const port = privilegedPort(doc, all, states) ?? (entry?.listens?.length ? { line: fromLine, what: `the base image ${ref!.name} listens on port ${entry.listens.join(', ')} itself` } : null);
  if (port) {
    const hint = entry?.nonRootVariant ? `use ${entry.nonRootVariant} instead` : 'make the app listen on a port of 1024 or more (e.g. 8080) and publish it as the old one, or grant CAP_NET_BIND_SERVICE';
    return [...outcomes, { kind: 'refuse', line: port.line, reason: `${port.what}, which a non-root user cannot bind unless the image is set up for it: ${hint}` }];
  }

  // where: after the last instruction that needs root, before the CMD/ENTRYPOINT that follows it
  const own = final.instructions;
  let lastRoot = -1;
  own.forEach((ins, k) => { if (ins.getKeyword() === 'RUN' || ins.getKeyword() === 'USER' || ins.getKeyword() === 'ONBUILD') lastRoot = k; });
  const before = own.slice(lastRoot + 1).find((i) => i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT');
  const ref0 = before ?? own[own.length - 1] ?? final.from;
  const userLine = `${caseLike(doc, ref0, 'USER')} ${opts.user}`;
  const edits: Edit[] = [];
  let where: string;
  if (before) {
    let line = before.getRange().start.line;
    const prevEnd = (() => { const k = own.indexOf(before); return k > 0 ? own[k - 1]!.getRange().end.line : final.from.getRange().end.line; })();
    while (line - 1 > prevEnd && doc.lineText(line - 1).trimStart().startsWith('#')) line--;
    edits.push(insertAt(doc.lineStart(line), doc.indentOf(before.getRange().start.line) + userLine + doc.eol));
    where = `before ${before.getKeyword()}`;
  } else {
    const after = own[own.length - 1] ?? final.from;
    const end = doc.lineSpan(after).end;
    const atEofNoEol = end === doc.text.length && !doc.text.endsWith('\n');
    edits.push(insertAt(end, atEofNoEol ? doc.eol + doc.indentOf(after.getRange().start.line) + userLine : doc.indentOf(after.getRange().start.line) + userLine + doc.eol));
    where = 'at the end of the stage';
  }

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
  outcomes.push({
    kind: 'rewrite',
    line: doc.lineOf(edits[0]!.start),
    message: `added USER ${opts.user} ${where}: ${why}` + (chowned.length ? `; --chown=${opts.user}${group} on the COPY into a directory the app writes: ${chowned.join(', ')}` : ''),
    edits,
  });
  if (copies.length > 0 && chowned.length === 0) {
    outcomes.push({ kind: 'note', line: doc.lineOfNode(copies[0]!), message: `copied files stay owned by root, read-only for user ${opts.user} (no VOLUME or --writable directory names them); pass --writable DIR if the app writes there` });
  }
  for (const w of writable) {
    if (w.source === '--writable' || chowned.some((c) => c.includes(`${w.source}`))) continue;
    outcomes.push({ kind: 'note', line: w.line, message: `VOLUME ${w.dir} is created owned by root, so user ${opts.user} cannot write to it unless the directory is created with that owner before the VOLUME` });
  }
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
        const parsed = view ? parseShell(view.text) : null;
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
      const parsed = view ? parseShell(view.text) : null;
      if (parsed && !('error' in parsed)) words = simpleCommands(parsed.file).flatMap((c) => c.words);
    }
    const hit = words.map((w) => (w ?? '').split('/').pop()!).find((w) => ROOT_DAEMONS.has(w));
    if (hit) return { name: hit, line: doc.lineOfNode(ins) };
  }
  return null;
}

/** Shells and interpreters whose bare start (`CMD ["bash"]`) marks an image meant to be built on or used interactively. */
const BARE_SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'fish', 'pwsh', 'python', 'python3', 'node', 'irb', 'ruby', 'php', 'jshell', 'ghci', 'iex', 'erl', 'julia', 'R']);

/** The final start command when it is only a shell or interpreter with no arguments, and there is no ENTRYPOINT. */
function bareShellCmd(all: Instruction[]): { name: string; line: number } | null {
  if (all.some((i) => i.getKeyword() === 'ENTRYPOINT')) return null;
  const cmd = [...all].reverse().find((i) => i.getKeyword() === 'CMD');
  if (!cmd) return null;
  let words: string[];
  words = execArgs(cmd) ?? cmd.getArguments().map((a) => a.getValue());
  if (words.length !== 1) return null;
  const name = words[0]!.split('/').pop()!;
  return BARE_SHELLS.has(name) ? { name, line: cmd.getRange().start.line + 1 } : null;
}

/** The first privileged port the image listens on, from EXPOSE or the base image's table entry. */
function privilegedPort(doc: DocView, all: Instruction[], states: Map<Instruction, InstructionState>): { line: number; what: string } | null {
  for (const ins of all) {
    if (ins.getKeyword() !== 'EXPOSE') continue;
    const env = states.get(ins)?.env ?? new Map<string, string>();
    const args = states.get(ins)?.args ?? new Map<string, string | null>();
    for (const a of ins.getArguments()) {
      let v = a.getValue();
      const m = /^\$\{?(\w+)\}?(\/\w+)?$/.exec(v);
      if (m) v = (env.get(m[1]!) ?? args.get(m[1]!) ?? v) + (m[2] ?? '');
      if (v.includes('$')) return { line: doc.lineOfNode(ins), what: `EXPOSE ${a.getValue()} uses a variable without a known value, so it may be a port below 1024` };
      const low = Number(/^(\d+)/.exec(v)?.[1] ?? NaN);
      if (low < 1024) return { line: doc.lineOfNode(ins), what: `EXPOSE ${a.getValue()} is a port below 1024` };
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
