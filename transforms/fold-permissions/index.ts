/**
 * fold-permissions: a COPY/ADD of files followed by a RUN that only changes their mode or owner
 * (`chmod`, `chown`, `chgrp`, with `-R` or not, the whole RUN or one part of its `&&` chain) gets the
 * instruction's own `--chmod=` / `--chown=` flag, and the RUN (or its part of the chain, with its `&&`,
 * found with the shell parser) goes. The image keeps the same files, modes and owners, without the
 * second copy of every changed file that the RUN's layer stored.
 *
 * The flag is computed exactly: the mode each copied file has in the build context, then every
 * `chmod` in order as GNU chmod computes it (symbolic or numeric; umask 022 where no `ugoa` is named),
 * so `chmod +x` on a 0640 file gives `--chmod=751`. `chown user` keeps the group the COPY gave (root):
 * `--chown=user:0`; `chown user:group`, `chown :group` and `chgrp group` give `--chown=user:group` /
 * `--chown=0:group`; names stay names (the builder resolves them in the image's /etc/passwd and
 * /etc/group at that step, as chown does at run time) and numbers stay numbers.
 *
 * Refuses (with the reason) when: the command also changes paths the COPY did not bring (another path,
 * a glob, a variable, `-R` on a directory above the copied files); it changes only some of the files one
 * COPY brings (the flag applies to all); the files differ in the resulting mode; a source is a directory,
 * a symlink, missing from or excluded from the build context, or the build context is unknown; the COPY
 * is `--from` another stage or image (its modes are unknown), has a flag other than --chown/--chmod/
 * --link, already has the flag being added (`--chmod` before a chmod), or is an ADD of a URL or of
 * what may be an archive (ADD extracts it); an instruction between the COPY and the RUN may read or
 * change the files (a RUN, VOLUME, a USER other than root); a command before it in the same RUN may;
 * the RUN has flags (`--mount`…), is exec form or a heredoc; the stage is a Windows image or its SHELL
 * is not POSIX; the result has setuid, setgid or sticky bits (`--chmod` drops them on some builders);
 * `--chown` would be added while a destination directory may not exist yet (BuildKit creates missing
 * parents owned by that user; the RUN would have left them root's), or on a COPY --link; the owner is `user:` (the login
 * group only the image knows) or `user.group`; the mode is not one chmod accepts.
 *
 * `--chmod` needs BuildKit (or buildah/podman): the classic builder rejects it (docs/fold-permissions.md).
 *
 * Before:  COPY entrypoint.sh /usr/local/bin/
 *          RUN chmod +x /usr/local/bin/entrypoint.sh
 * After:   COPY --chmod=755 entrypoint.sh /usr/local/bin/
 */
import { posix } from 'node:path';
import dockerignore from '@balena/dockerignore';
import type { Flag, Instruction } from 'dockerfile-ast';
import { execArgs, type DocView, type Stage } from '../../src/document.js';
import { insertAt, removeRange, type Edit } from '../../src/edits.js';
import { Op, nodeType, parseShell, parseView, runShellView, simpleCommands, wordLit, type ParsedShell, type ShNode, type ShellView } from '../../src/shell.js';
import { instructionStates, shellProblem, type InstructionState } from '../../src/stages.js';
import { dockerignoreOf } from '../../src/build-context.js';
import { isRootUser } from '../../src/base-images.js';
import { applyMode, octal, parseMode, parseOwner } from './modes.js';
import type { ContextFs, Outcome, Transform } from '../../src/types.js';

// a CommonJS module whose typings declare an ES default export: take the function either way
const ignore = ((dockerignore as unknown as { default?: typeof dockerignore }).default ?? dockerignore) as unknown as (typeof import('@balena/dockerignore'))['default'];

export const foldPermissions: Transform<Record<string, never>> = {
  id: 'fold-permissions',
  summary: 'Fold a RUN that only chmods or chowns the files a COPY/ADD just brought into that instruction\'s --chmod/--chown flag',
  safety: 'build-only',
  defaults: {},
  apply(doc, ctx) {
    const outcomes: Outcome[] = [];
    const states = instructionStates(doc);
    const sent = sentMatcher(ctx.buildContext);
    for (const stage of doc.stages()) {
      stage.instructions.forEach((ins, i) => {
        if (ins.getKeyword() !== 'RUN') return;
        const o = foldRun(doc, stage, i, states, ctx.buildContext, sent);
        if (o) outcomes.push(o);
      });
    }
    return outcomes;
  },
};

const PERM_COMMANDS = new Set(['chmod', 'chown', 'chgrp']);
/** Instructions that neither read nor change files, nor change who a RUN runs as. */
const PASSIVE = new Set(['ENV', 'ARG', 'LABEL', 'EXPOSE', 'WORKDIR', 'STOPSIGNAL', 'HEALTHCHECK', 'CMD', 'ENTRYPOINT', 'MAINTAINER', 'ONBUILD']);
/** Directories every Linux distribution image has (not `scratch`, whose image has none). */
const SYSTEM_DIRS = new Set(['/', '/bin', '/etc', '/home', '/opt', '/root', '/sbin', '/srv', '/tmp', '/usr', '/usr/bin', '/usr/lib', '/usr/local', '/usr/local/bin', '/usr/local/sbin', '/usr/local/lib', '/usr/sbin', '/usr/share', '/var', '/var/lib']);

const flagsOf = (ins: Instruction): Flag[] => (ins as unknown as { getFlags(): Flag[] }).getFlags();
const heredocsOf = (ins: Instruction): { getContentRange(): import('../../src/document.js').Range | null }[] =>
  (ins as unknown as { getHeredocs(): { getContentRange(): import('../../src/document.js').Range | null }[] }).getHeredocs();
const short = (s: string) => (s.length > 60 ? s.slice(0, 57) + '…' : s);

// ---------------------------------------------------------------------------------------------------
// The build context

type Sent = (rel: string) => boolean;

function sentMatcher(fs: ContextFs): Sent {
  const ig = dockerignoreOf(fs);
  if (!ig) return () => true;
  const matcher = ignore().add(ig.text.split(/\r?\n/));
  return (rel) => !matcher.ignores(rel);
}

// ---------------------------------------------------------------------------------------------------
// The COPY/ADD

interface CopyFile { dest: string; mode: number }

interface CopyInfo {
  ins: Instruction;
  kw: string;
  line: number;
  /** Files it brings (when known), with their mode after the COPY. */
  files: CopyFile[] | null;
  /** Destination paths it writes below (a directory copy, or files of unknown names), when known. */
  dirs: string[];
  /** Why the files cannot be folded into, when they cannot. */
  problem: string | null;
  chown: string | null;
  chmod: string | null;
  link: boolean;
  /** Directories the destination files go into. */
  parents: string[];
}

const literal = (s: string) => !/[$*?[\]{}\\'"~]/.test(s) && s !== '';

function copyInfo(doc: DocView, ins: Instruction, st: InstructionState | undefined, fs: ContextFs, sent: Sent): CopyInfo {
  const kw = ins.getKeyword();
  const info: CopyInfo = { ins, kw, line: doc.lineOfNode(ins), files: null, dirs: [], problem: null, chown: null, chmod: null, link: false, parents: [] };
  const fail = (p: string) => { info.problem = p; return info; };
  if (heredocsOf(ins).length > 0) return fail(`the ${kw} on line ${info.line} uses a heredoc`);
  const words = execArgs(ins) ?? ins.getArguments().map((a) => {
    const raw = doc.slice(a);
    return raw === a.getValue() ? raw : '\0';
  });
  if (words.length < 2) return fail(`the ${kw} on line ${info.line} has no source and destination`);
  const rawDest = words[words.length - 1]!;
  const sources = words.slice(0, -1);
  if (!literal(rawDest)) return fail(`the ${kw} destination on line ${info.line} is quoted, uses a variable or a pattern`);
  const workdir = st?.workdir ?? null;
  if (!rawDest.startsWith('/') && workdir === null) return fail(`the ${kw} on line ${info.line} copies to a relative path and the WORKDIR is the base image's, unknown here`);
  const dest = posix.normalize(rawDest.startsWith('/') ? rawDest : posix.join(workdir!, rawDest)).replace(/(.)\/$/, '$1');
  const toDir = sources.length > 1 || rawDest.endsWith('/') || rawDest === '.' || rawDest.endsWith('/.');
  // what it may write, for the refusals below: a path a command names at or below these concerns this COPY
  info.dirs = [...new Set(sources.map((src) => (toDir && literal(src) ? posix.join(dest, posix.basename(src)) : dest)))];
  for (const f of flagsOf(ins)) {
    const name = f.getName().toLowerCase();
    const value = f.getValue();
    if (name === 'chown') info.chown = value ?? '';
    else if (name === 'chmod') info.chmod = value ?? '';
    else if (name === 'from') return fail(`the ${kw} on line ${info.line} copies from ${value ?? 'another stage'}, whose file modes are not known here`);
    else if (name === 'link') info.link = true;
    else return fail(`the ${kw} on line ${info.line} has --${f.getName()}, which this transform does not model`);
  }
  const files: CopyFile[] = [];
  for (const src of sources) {
    if (kw === 'ADD' && /^[a-z][a-z0-9+.-]*:\/\/|^git@/i.test(src)) return fail(`the ADD on line ${info.line} fetches ${src}; its mode is not in the build context`);
    if (!literal(src)) return fail(`the ${kw} source ${src} on line ${info.line} is quoted, uses a variable or a pattern`);
    if (fs.root === null) return fail('the build context is unknown (pass --context DIR), so the modes of the copied files cannot be read');
    const rel = posix.normalize(src).replace(/^\/+/, '').replace(/\/+$/, '') || '.';
    if (rel === '..' || rel.startsWith('../')) return fail(`the ${kw} source ${src} on line ${info.line} is outside the build context`);
    const stat = fs.stat(rel);
    if (stat === null || !sent(rel)) return fail(`the ${kw} source ${src} on line ${info.line} is ${stat === null ? 'not in' : 'excluded from'} the build context`);
    if (stat.type === 'dir') return fail(`the ${kw} source ${src} on line ${info.line} is a directory: --chmod/--chown would also set the directories it brings, which this transform does not model`);
    if (stat.type !== 'file') return fail(`the ${kw} source ${src} on line ${info.line} is a ${stat.type === 'symlink' ? 'symbolic link' : 'special file'} in the build context`);
    if (kw === 'ADD') {
      const why = mayBeArchive(fs, rel);
      if (why) return fail(`the ADD source ${src} on line ${info.line} ${why}: ADD would extract an archive; use COPY for a file`);
    }
    files.push({ dest: toDir ? posix.join(dest, posix.basename(rel)) : dest, mode: stat.mode });
  }
  if (new Set(files.map((f) => f.dest)).size !== files.length) return fail(`the ${kw} on line ${info.line} writes one path twice`);
  info.files = files;
  info.dirs = [];
  info.parents = [...new Set(files.map((f) => posix.dirname(f.dest)))];
  return info;
}

/** Why the file may be an archive that ADD extracts (tar, gzip, bzip2, xz, zstd), or null for plain text. */
function mayBeArchive(fs: ContextFs, rel: string): string | null {
  if (/\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst|lz|lzma|z)$/i.test(rel)) return 'has an archive name';
  const text = fs.readText(rel);
  if (text === null) return 'cannot be read';
  const head = text.slice(0, 1024);
  // eslint-disable-next-line no-control-regex
  if (head.includes('\uFFFD') || /[\x00-\x08\x0e-\x1f]/.test(head)) return 'is a binary file';
  if (head.startsWith('BZh') || text.slice(257, 262) === 'ustar') return 'looks like an archive';
  return null;
}

// ---------------------------------------------------------------------------------------------------
// The RUN

interface PermCommand {
  /** Index of its part in the RUN's && chain. */
  part: number;
  text: string;
  cmd: 'chmod' | 'chown' | 'chgrp';
  recursive: boolean;
  mode: string | null;
  owner: { user: string | null; group: string | null } | null;
  /** Absolute, normalized paths it changes. */
  paths: string[];
  problem: string | null;
}

/** Reads one `chmod`/`chown`/`chgrp` command's options, mode or owner and operands. */
function permCommand(words: (string | null)[], argNodes: ShNode[], workdir: string | null, part: number, text: string): PermCommand {
  const cmd = posix.basename(words[0]!) as PermCommand['cmd'];
  const pc: PermCommand = { part, text, cmd, recursive: false, mode: null, owner: null, paths: [], problem: null };
  const fail = (p: string) => { pc.problem = p; return pc; };
  let i = 1;
  const shorts = cmd === 'chmod' ? /^-[cfvR]+$/ : /^-[cfvRhHLP]+$/;
  const longs = new Set(['--recursive', '--changes', '--silent', '--quiet', '--verbose', '--preserve-root', '--no-preserve-root', ...(cmd === 'chmod' ? [] : ['--dereference', '--no-dereference'])]);
  for (; i < words.length; i++) {
    const w = words[i];
    if (w === null || w === undefined) return fail(`\`${short(text)}\` has a word only known at run time`);
    if (w === '--') { i++; break; }
    if (!w.startsWith('-') || w === '-') break;
    if (w.startsWith('--')) {
      if (!longs.has(w)) return fail(`\`${short(text)}\` has the option ${w}, which this transform does not model`);
      if (w === '--recursive') pc.recursive = true;
      continue;
    }
    if (shorts.test(w)) { if (w.includes('R')) pc.recursive = true; continue; }
    if (cmd === 'chmod') break; // `chmod -x FILE`: a mode
    return fail(`\`${short(text)}\` has the option ${w}, which this transform does not model`);
  }
  const spec = words[i];
  if (spec === undefined || spec === null) return fail(`\`${short(text)}\` has no ${cmd === 'chmod' ? 'mode' : 'owner'}`);
  if (cmd === 'chmod') {
    if (parseMode(spec) === null) return fail(`\`${spec}\` is not a mode this transform computes (not a valid mode, or \`=\` with X or u/g/o, where GNU and busybox chmod disagree)`);
    pc.mode = spec;
  } else {
    const o = parseOwner(spec, cmd === 'chgrp');
    if ('refuse' in o) return fail(o.refuse);
    pc.owner = o;
  }
  const operands = words.slice(i + 1);
  if (operands.length === 0) return fail(`\`${short(text)}\` names no file`);
  for (let k = 0; k < operands.length; k++) {
    const w = operands[k]!;
    const node = argNodes[i + 1 + k];
    if (w === null || !literalWord(node)) return fail(`\`${short(text)}\` names a path with a variable, a glob or a substitution, which may match more than the copied files`);
    if (w.startsWith('-')) return fail(`\`${short(text)}\` has an option after its operands`);
    if (w.split('/').includes('..')) return fail(`\`${short(text)}\` names a path with \`..\``);
    if (!w.startsWith('/') && workdir === null) return fail(`\`${short(text)}\` names a relative path and the WORKDIR is the base image's, unknown here`);
    pc.paths.push(posix.normalize(w.startsWith('/') ? w : posix.join(workdir!, w)).replace(/(.)\/$/, '$1'));
  }
  return pc;
}

/** A word with no expansion, glob, brace or tilde: only literal and quoted text. */
function literalWord(word: ShNode): boolean {
  for (const part of (word?.Parts ?? []) as ShNode[]) {
    const t = nodeType(part);
    if (t === 'Lit') { if (/[*?[\]{}~]/.test(part.Value as string)) return false; }
    else if (t === 'SglQuoted') continue;
    else if (t === 'DblQuoted') { if ((part.Parts as ShNode[]).some((p) => nodeType(p) !== 'Lit')) return false; }
    else return false;
  }
  return true;
}

/** The parts of a top-level && chain, and the `&&` operators between them (ops[k] joins parts k and k+1). */
function flattenAnd(stmt: ShNode): { parts: ShNode[]; ops: ShNode[] } {
  const cmd = stmt.Cmd;
  if (nodeType(cmd) === 'BinaryCmd' && cmd.Op === Op.And && !stmt.Negated && (stmt.Redirs as ShNode[]).length === 0 && !stmt.Background) {
    const x = flattenAnd(cmd.X), y = flattenAnd(cmd.Y);
    return { parts: [...x.parts, ...y.parts], ops: [...x.ops, cmd.OpPos, ...y.ops] };
  }
  return { parts: [stmt], ops: [] };
}

const isPermWord = (w: string | null | undefined) => w !== null && w !== undefined && PERM_COMMANDS.has(posix.basename(w)) && (!w.includes('/') || /^\/(usr\/)?bin\/[a-z]+$/.test(w));

/** Does the shell text run chmod/chown/chgrp anywhere? */
function mentionsPerm(parsed: ParsedShell): boolean {
  return simpleCommands(parsed.file).some((c) => isPermWord(c.words[0]));
}

// ---------------------------------------------------------------------------------------------------
// One RUN after a COPY

function foldRun(doc: DocView, stage: Stage, index: number, states: Map<Instruction, InstructionState>, fs: ContextFs, sent: Sent): Outcome | null {
  const run = stage.instructions[index]!;
  const line = doc.lineOfNode(run);
  const st = states.get(run);

  // the COPY/ADD instructions right before it, with only passive instructions between
  const group: Instruction[] = [];
  let blocker: Instruction | null = null;
  for (let k = index - 1; k >= 0; k--) {
    const ins = stage.instructions[k]!;
    const kw = ins.getKeyword();
    if (kw === 'COPY' || kw === 'ADD') { group.unshift(ins); continue; }
    if (PASSIVE.has(kw)) continue;
    blocker = ins;
    break;
  }

  // exec form, heredocs and non-POSIX shells: only say so when it is a permission command after a COPY
  const exec = execArgs(run);
  const heredocs = heredocsOf(run);
  let view: ShellView | null = null;
  let parsed: ParsedShell | null = null;
  if (exec) {
    if (!isPermWord(exec[0]) || group.length === 0) return null;
    return { kind: 'refuse', line, reason: 'the RUN is in exec form; write it as a shell-form RUN to have it folded' };
  }
  if (heredocs.length > 0) {
    if (group.length === 0) return null;
    const has = heredocs.some((h) => {
      const r = h.getContentRange();
      if (!r) return false;
      const p = parseShell(doc.slice(r));
      return !('error' in p) && mentionsPerm(p);
    });
    return has ? { kind: 'refuse', line, reason: 'the RUN uses a heredoc, which this transform does not rewrite' } : null;
  }
  view = runShellView(doc, run);
  if (!view) return null;
  const p = parseView(view);
  if ('error' in p) return null;
  parsed = p;
  if (!mentionsPerm(parsed)) return null;
  const shellWhy = shellProblem(st);
  // no COPY right before it: a COPY further up whose files it changes, with something between them
  let between: Instruction | null = null;
  let sources = group;
  if (group.length === 0) {
    if (!blocker) return null;
    between = blocker;
    sources = stage.instructions.slice(0, stage.instructions.indexOf(blocker)).filter((x) => x.getKeyword() === 'COPY' || x.getKeyword() === 'ADD');
    if (sources.length === 0) return null;
  }
  if (shellWhy && !between) return { kind: 'refuse', line, reason: shellWhy };
  if (shellWhy) return null;

  const copies = sources.map((ins) => copyInfo(doc, ins, states.get(ins), fs, sent));

  // the RUN's parts: one && chain, or a single statement
  const stmts = parsed.file.Stmts as ShNode[];
  const chain = stmts.length === 1 ? flattenAnd(stmts[0]) : null;
  const parts = chain?.parts ?? null;
  const partRanges = (parts ?? stmts).map((s) => ({ start: parsed!.offset(s.Pos()), end: parsed!.offset(s.End()) }));
  const partOf = (off: number) => partRanges.findIndex((r) => off >= r.start && off < r.end);
  const perms: PermCommand[] = [];
  const cmds = simpleCommands(parsed.file);
  for (const c of cmds) {
    if (!isPermWord(c.words[0])) continue;
    const off = parsed.offset(c.call.Pos());
    const part = partOf(off);
    const text = view.text.slice(off, parsed.offset(c.call.End()));
    const pc = permCommand(c.words, c.call.Args as ShNode[], st?.workdir ?? null, part, text);
    // a permission command that is not a whole part of a top-level && chain cannot be removed alone
    const whole = parts !== null && part !== -1 && (parts[part]!.Cmd === c.call) && (parts[part]!.Redirs as ShNode[]).length === 0 && !parts[part]!.Negated && (c.call.Assigns as ShNode[]).length === 0;
    if (!pc.problem && !whole) pc.problem = `\`${short(text)}\` is not a part of the RUN's && chain on its own (it is joined by \`;\`, \`||\`, a pipe, a redirection or grouping)`;
    perms.push(pc);
  }

  // which copied files each command touches
  const touchesOf = (pc: PermCommand) => {
    const hits: { copy: CopyInfo; file: CopyFile | null }[] = [];
    const foreign: string[] = [];
    for (const path of pc.paths) {
      let hit = false;
      for (const cp of copies) {
        for (const f of cp.files ?? []) {
          if (f.dest === path) { hits.push({ copy: cp, file: f }); hit = true; }
          else if (pc.recursive && (path === '/' || f.dest.startsWith(path + '/'))) { hits.push({ copy: cp, file: null }); hit = true; }
        }
        for (const d of cp.dirs) {
          if (d === path || path.startsWith(d + '/') || (pc.recursive && (path === '/' || d.startsWith(path + '/')))) { hits.push({ copy: cp, file: null }); hit = true; }
        }
        // a COPY whose destination is unknown may have brought any path
        if (cp.files === null && cp.dirs.length === 0 && !between) { hits.push({ copy: cp, file: null }); hit = true; }
      }
      if (!hit) foreign.push(path);
    }
    return { hits, foreign };
  };

  const folded: PermCommand[] = [];
  for (const pc of perms) {
    const { hits, foreign } = pc.problem ? { hits: [], foreign: [] } : touchesOf(pc);
    if (pc.problem && !between) return { kind: 'refuse', line, reason: pc.problem };
    if (hits.length === 0) continue; // another path altogether: not this transform's business
    if (between) {
      const cp = hits[hits.length - 1]!.copy;
      return { kind: 'refuse', line, reason: `the ${between.getKeyword()} on line ${doc.lineOfNode(between)} comes between the ${cp.kw} on line ${cp.line} and this RUN, and may read or change the files first` };
    }
    const unknown = hits.find((h) => h.file === null);
    if (unknown) {
      if (unknown.copy.problem) return { kind: 'refuse', line, reason: unknown.copy.problem };
      return { kind: 'refuse', line, reason: `\`${short(pc.text)}\` with -R also changes ${pc.paths.filter((x) => !hits.some((h) => h.file?.dest === x)).join(', ')} itself and whatever else is in it, not only what the ${unknown.copy.kw} on line ${unknown.copy.line} brought` };
    }
    if (foreign.length) return { kind: 'refuse', line, reason: `\`${short(pc.text)}\` also changes ${foreign.join(', ')}, which the COPY/ADD before it did not bring` };
    const problem = hits.find((h) => h.copy.problem)?.copy.problem;
    if (problem) return { kind: 'refuse', line, reason: problem };
    folded.push(pc);
  }
  if (folded.length === 0) return null;

  // the instructions between: passive only (checked above), and the user the RUN runs as
  if (st?.user != null && isRootUser(st.user) !== true) return { kind: 'refuse', line, reason: `the RUN runs as USER ${st.user}, not root: the chmod/chown may fail there, and folding it would hide that` };
  if (flagsOf(run).length > 0) return { kind: 'refuse', line, reason: `the RUN has --${flagsOf(run)[0]!.getName()}, so its paths may be a mount rather than the copied files` };

  // commands before a folded one in the same RUN may read or change the files first: fold only the
  // permission commands before the first other command (a later one stays, and still sees the same modes)
  const permParts = new Set(perms.map((pc) => pc.part));
  let firstOther = 0;
  while (firstOther < partRanges.length && permParts.has(firstOther)) firstOther++;
  const late = folded.filter((pc) => pc.part > firstOther);
  if (late.length === folded.length) {
    return { kind: 'refuse', line, reason: `\`${short(view.text.slice(partRanges[firstOther]!.start, partRanges[firstOther]!.end))}\` runs before the ${folded[0]!.cmd} in the same RUN and may read or change the copied files` };
  }
  folded.splice(0, folded.length, ...folded.filter((pc) => pc.part < firstOther));
  const foldedParts = new Set(folded.map((pc) => pc.part));

  // compute each touched COPY's result
  const results = new Map<CopyInfo, { modes: Map<string, number>; user: string | null; group: string | null; chmod: boolean; chown: boolean }>();
  for (const pc of folded) {
    const { hits } = touchesOf(pc);
    const byCopy = new Map<CopyInfo, Set<string>>();
    for (const h of hits) {
      if (!byCopy.has(h.copy)) byCopy.set(h.copy, new Set());
      byCopy.get(h.copy)!.add(h.file!.dest);
    }
    for (const [cp, dests] of byCopy) {
      const all = cp.files!.map((f) => f.dest);
      const missed = all.filter((d) => !dests.has(d));
      if (missed.length) return { kind: 'refuse', line, reason: `\`${short(pc.text)}\` changes only some of the files the ${cp.kw} on line ${cp.line} brings (not ${missed.join(', ')}), and a flag would apply to all of them` };
      let r = results.get(cp);
      if (!r) { r = { modes: new Map(cp.files!.map((f) => [f.dest, f.mode])), user: null, group: null, chmod: false, chown: false }; results.set(cp, r); }
      if (pc.cmd === 'chmod') {
        if (cp.chmod !== null) return { kind: 'refuse', line, reason: `the ${cp.kw} on line ${cp.line} already has --chmod=${cp.chmod}; fold the chmod into it by hand` };
        for (const [d, m] of r.modes) r.modes.set(d, applyMode(m, pc.mode!)!);
        r.chmod = true;
      } else {
        if (cp.chown !== null) return { kind: 'refuse', line, reason: `the ${cp.kw} on line ${cp.line} already has --chown=${cp.chown}; fold the ${pc.cmd} into it by hand` };
        if (pc.owner!.user !== null) r.user = pc.owner!.user;
        if (pc.owner!.group !== null) r.group = pc.owner!.group;
        r.chown = true;
      }
    }
  }

  // the flags
  const edits: Edit[] = [];
  const said: string[] = [];
  for (const [cp, r] of results) {
    const flags: string[] = [];
    if (r.chown) {
      if (cp.link) return { kind: 'refuse', line, reason: `the ${cp.kw} on line ${cp.line} has --link: its directories are made in its own layer, so with --chown they would be that user's even where they existed before` };
      const known = knownDirs(stage, cp.ins, states);
      const systemOk = !/^scratch$/i.test(states.get(cp.ins)?.baseImage ?? '');
      const missing = cp.parents.find((d) => !known.has(d) && !(systemOk && SYSTEM_DIRS.has(d)));
      if (missing) return { kind: 'refuse', line, reason: `${missing} may not exist before the ${cp.kw} on line ${cp.line}: with --chown the builder would create it owned by that user, where the RUN leaves it root's (a WORKDIR ${missing} before the ${cp.kw} makes it known)` };
      flags.push(`--chown=${r.user ?? '0'}:${r.group ?? '0'}`);
    }
    if (r.chmod) {
      const modes = [...new Set(r.modes.values())];
      const initial = cp.files!.map((f) => f.mode);
      if (modes.length > 1) return { kind: 'refuse', line, reason: `the files the ${cp.kw} on line ${cp.line} brings end with different modes (${[...r.modes].map(([d, m]) => `${d} ${octal(m)}`).join(', ')}), and --chmod sets one` };
      if (modes[0]! & 0o7000 || initial.some((m) => m & 0o7000)) return { kind: 'refuse', line, reason: `the mode ${octal(modes[0]!)} has setuid, setgid or sticky bits, which --chmod does not set on every builder` };
      flags.push(`--chmod=${octal(modes[0]!)}`);
    } else if (r.chown && cp.chmod === null && cp.files!.some((f) => f.mode & 0o6000)) {
      return { kind: 'refuse', line, reason: `a file the ${cp.kw} on line ${cp.line} brings is setuid or setgid, which chown clears and --chown keeps` };
    }
    const kwEnd = doc.span(cp.ins.getInstructionRange()).end;
    edits.push(insertAt(kwEnd, ' ' + flags.join(' ')));
    said.push(`${flags.join(' ')} on the ${cp.kw} on line ${cp.line}`);
  }

  // the removal: the whole RUN, or its folded parts with their &&
  const nParts = partRanges.length;
  if (foldedParts.size === nParts) {
    const span = doc.lineSpan(run);
    edits.push(removeRange(span.start, span.end));
  } else {
    const sorted = [...foldedParts].sort((a, b) => a - b);
    for (let k = 0; k < sorted.length;) {
      let e = k;
      while (e + 1 < sorted.length && sorted[e + 1] === sorted[e]! + 1) e++;
      const a = sorted[k]!, b = sorted[e]!;
      // comment lines inside the continuation (dropped from the shell text) stay where they are
      const from = b < nParts - 1 ? view.toDoc(partRanges[a]!.start) : view.toDocEnd(partRanges[a - 1]!.end);
      const to = b < nParts - 1 ? view.toDoc(partRanges[b + 1]!.start) : view.toDocEnd(partRanges[b]!.end);
      if (!hasCommentLine(doc, from, to)) edits.push(removeRange(from, to));
      else if (b < nParts - 1 && !hasCommentLine(doc, view.toDoc(partRanges[a]!.start), view.toDocEnd(partRanges[b]!.end))) {
        // the commands themselves, up to the line's continuation, and the && before the next part
        const start = view.toDoc(partRanges[a]!.start);
        let end = view.toDocEnd(partRanges[b]!.end);
        while (doc.text[end] === ' ' || doc.text[end] === '\t') end++;
        const op = view.toDoc(parsed.offset(chain!.ops[b]));
        edits.push(removeRange(start, doc.text[end] === doc.escapeChar ? end : view.toDocEnd(partRanges[b]!.end)), removeRange(op, view.toDoc(partRanges[b + 1]!.start)));
      } else {
        return { kind: 'refuse', line, reason: 'a comment line inside the RUN stands between the commands and the one to remove; fold it by hand' };
      }
      k = e + 1;
    }
  }
  const what = folded.map((pc) => `\`${short(pc.text)}\``).join(', ');
  return {
    kind: 'rewrite',
    line,
    message: `folds ${what} into ${said.join(' and ')}; ${foldedParts.size === nParts ? 'the RUN goes' : 'the command leaves the RUN'} (the files are no longer stored twice)`,
    edits,
  };
}

/** Whether a line after the first of doc[from, to) is a comment line (inside a RUN's continuation). */
function hasCommentLine(doc: DocView, from: number, to: number): boolean {
  for (let l = doc.lineIndexAt(from) + 1; l <= doc.lineIndexAt(Math.max(from, to - 1)); l++) {
    if (doc.lineText(l).trimStart().startsWith('#')) return true;
  }
  return false;
}

/** Directories known to exist before `ins`: the WORKDIRs in force so far in the stage chain and their parents. */
function knownDirs(stage: Stage, ins: Instruction, states: Map<Instruction, InstructionState>): Set<string> {
  const out = new Set<string>(['/']);
  const add = (d: string | null) => {
    for (let p = d; p && p !== '/'; p = posix.dirname(p)) out.add(posix.normalize(p).replace(/(.)\/$/, '$1'));
  };
  for (const other of stage.instructions) {
    add(states.get(other)?.workdir ?? null);
    if (other === ins) break;
  }
  return out;
}
