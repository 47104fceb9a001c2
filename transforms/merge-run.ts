/**
 * merge-run: joins consecutive RUN instructions of one stage into one `&&` chain.
 *
 * Each RUN starts a fresh shell, so the join is made only where the later commands provably see the shell
 * as a fresh one would have been and run exactly when they ran before. It is an allowlist: it refuses
 * when any of these does not hold (leaving both RUNs as they are, with the construct named on its line):
 * - every top-level command of the earlier RUN leaves its shell as it found it: a simple command that runs
 *   an external program (a name that is no builtin or keyword of dash, bash or BusyBox sh) or one of the
 *   state-free builtins `echo`, `printf` (not `-v`), `test`/`[`, `true`, `false`, `:` (no assignment
 *   before `:`), or a subshell `( … )`, joined by `&&`, `||`, `;` or pipes, with no expansion that
 *   assigns (`${X:=…}`, `$((X=1))`, arithmetic on variables), no `{fd}>` redirection, no background job
 *   or process substitution, and, under a SHELL with -e, no `( … )` in its last command list (errexit is
 *   off there on the left of `&&`); anything else (cd, command cd, export, read, set, exec, exit, let,
 *   declare, eval, source, a for loop, if, a function, a bare assignment, a name given by an expansion)
 *   refuses;
 * - the later RUN is one and-or list without `||`, `;`, newlines or a final `&`, reads nothing that depends
 *   on what ran before it in the same shell (`$_`, `$LINENO`, `type`, `hash`, …), runs no command an
 *   earlier RUN of the chain ran by name (shells cache where they found it; system package managers
 *   excepted) and, unless the SHELL is bash, parses as POSIX sh;
 * - the SHELL in force is sh, dash, ash or bash with options merge-run knows (-e, -u, -x, -o pipefail, …),
 *   no ENV sets BASH_ENV/SHELLOPTS/BASHOPTS, and the image is not Windows;
 * - both RUNs are shell form without heredocs, their flags are identical (--mount, --network,
 *   --security), and every --mount is a cache, secret, ssh or read-only bind mount (tmpfs and read-write
 *   bind mounts are fresh in each RUN);
 * - the stage is shipped (the final stage or one in its FROM chain): in a builder stage merging only makes
 *   cache steps coarser, so there only `apt-get update`/`apk update` is joined with the install after it;
 * - re-parsing the joined RUN (Dockerfile and shell parser) gives exactly the RUNs' command lists joined
 *   by `&&`, so the inserted text changes how no existing character is read (escape characters, quotes,
 *   trailing backslashes, comments).
 * Comment lines between the RUNs stay, in order, inside the continuation (BuildKit skips them).
 *
 * Before:  RUN apt-get update
 *          RUN apt-get install -y curl
 * After:   RUN apt-get update \
 *              && apt-get install -y curl
 */
import type { Instruction, Run } from 'dockerfile-ast';
import { DocView, isExecForm, type Stage } from '../src/document.js';
import { applyEdits, replaceRange, type Edit } from '../src/edits.js';
import { Op, nodeType, parseView, posixSyntaxError, runShellView, simpleCommands, walk, wordLit, type ParsedShell, type ShellView, type ShNode } from '../src/shell.js';
import { isShellSpecial } from '../src/shell-model.js';
import { instructionStates, shellProblem, shippedStages, type InstructionState } from '../src/stages.js';
import type { Outcome, Transform } from '../src/types.js';

interface Analysed {
  ins: Run;
  view: ShellView | null;
  parsed: ParsedShell | null;
  /** Why this RUN can take part in no merge at all. */
  unusable: string | null;
  /** The shell in force is known to be bash (so bash syntax is fine). */
  bash: boolean;
  /** The SHELL in force turns errexit on (-e, -o errexit). */
  errexit: boolean;
}

interface StageInfo { stage: Stage; shipped: boolean }

export const mergeRun: Transform = {
  id: 'merge-run',
  summary: 'Merge consecutive RUN instructions into one && chain where the shell semantics stay identical',
  safety: 'build-only',
  defaults: {},
  apply(doc) {
    const outcomes: Outcome[] = [];
    const states = instructionStates(doc);
    const shipped = shippedStages(doc);
    for (const stage of doc.stages()) {
      const info: StageInfo = { stage, shipped: shipped.has(stage.index) };
      let chain: Analysed[] = [];
      const flush = () => {
        if (chain.length > 1) outcomes.push(...mergeChain(doc, chain, info));
        chain = [];
      };
      for (const ins of stage.instructions) {
        if (ins.getKeyword() !== 'RUN') { flush(); continue; }
        chain.push(analyse(doc, ins as Run, states.get(ins)));
      }
      flush();
    }
    return outcomes;
  },
};

function analyse(doc: DocView, ins: Run, st: InstructionState | undefined): Analysed {
  const mode = shellMode(st);
  const base = { ins, view: null, parsed: null, bash: 'bash' in mode && mode.bash, errexit: 'errexit' in mode && mode.errexit };
  if ('problem' in mode) return { ...base, unusable: mode.problem };
  if (isExecForm(ins)) return { ...base, unusable: 'it is in exec (JSON) form, which runs without a shell' };
  if (ins.getHeredocs().length > 0) return { ...base, unusable: 'it uses a heredoc' };
  const view = runShellView(doc, ins);
  if (!view || view.text.trim() === '') return { ...base, unusable: 'it has no command' };
  const parsed = parseView(view);
  if ('error' in parsed) return { ...base, view, unusable: `its shell command does not parse (${parsed.error})` };
  if (parsed.file.Stmts.length === 0) return { ...base, view, unusable: 'it has no command' };
  return { ...base, view, parsed, unusable: null };
}

// ---- the shell in force -------------------------------------------------------------------------

/** Single-letter shell options whose effect is the same on one joined command as on separate ones. */
const OPTION_LETTERS = new Set(['e', 'u', 'x', 'v', 'f', 'C']);
const OPTION_NAMES = new Set(['errexit', 'nounset', 'xtrace', 'verbose', 'pipefail', 'noglob', 'noclobber']);
/** Variables bash reads when it starts: each RUN's shell would read them once, the joined one once in all. */
const STARTUP_ENV = ['BASH_ENV', 'SHELLOPTS', 'BASHOPTS'];

/** Whether the shell in force is bash and has errexit on, or why merge-run cannot tell how a joined command behaves under it. */
function shellMode(st: InstructionState | undefined): { bash: boolean; errexit: boolean } | { problem: string } {
  const p = shellProblem(st);
  if (p) return { problem: p };
  for (const name of STARTUP_ENV) {
    if (st?.env.has(name)) return { problem: `ENV sets ${name}, which bash reads when each RUN's shell starts (joined, it would start once)` };
  }
  const arr = st?.shell ?? null;
  if (!arr) return { bash: false, errexit: false };
  const unknown = { problem: `the SHELL in force (${JSON.stringify(arr)}) is not one merge-run knows a joined command to behave the same under (sh, dash, ash or bash; options -e, -u, -x, -v, -f, -C, -o pipefail; -c last)` };
  const args = arr.slice();
  let exe = (args.shift() ?? '').split('/').pop()!;
  if (exe === 'busybox' && (args[0] === 'sh' || args[0] === 'ash')) { exe = 'ash'; args.shift(); }
  if (!['sh', 'dash', 'ash', 'bash'].includes(exe)) return unknown;
  const last = args.pop();
  if (last === undefined || !/^-[a-zA-Z]*c[a-zA-Z]*$/.test(last) || [...last.slice(1)].some((ch) => ch !== 'c' && !OPTION_LETTERS.has(ch))) return unknown;
  let errexit = last.includes('e');
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!/^[-+][a-zA-Z]+$/.test(a)) return unknown;
    for (const ch of a.slice(1)) {
      if (ch === 'o') {
        const name = args[++i];
        if (name === undefined || !OPTION_NAMES.has(name)) return unknown;
        if (name === 'errexit') errexit = a.startsWith('-');
      } else if (!OPTION_LETTERS.has(ch)) return unknown;
      else if (ch === 'e') errexit = a.startsWith('-');
    }
  }
  return { bash: exe === 'bash', errexit };
}

// ---- the earlier RUN: every top-level command must leave the shell as it found it ---------------

interface Hazard { offset: number; reason: string }

/** Builtins that are known to change nothing in the shell (with no assignment before them; printf without -v). */
const STATE_FREE = new Set(['echo', 'printf', 'test', '[', 'true', 'false', ':']);

const INHERIT = 'which the next RUN would inherit';
const BUILTIN_EFFECT: Record<string, string> = {
  cd: `changes the working directory, ${INHERIT}`,
  chdir: `changes the working directory, ${INHERIT}`,
  pushd: `changes the working directory, ${INHERIT}`,
  popd: `changes the working directory, ${INHERIT}`,
  export: `exports a variable, ${INHERIT}`,
  unset: `unsets a variable or function, ${INHERIT}`,
  set: `changes shell options or the positional parameters, ${INHERIT}`,
  shopt: `changes shell options, ${INHERIT}`,
  umask: `changes the file-creation mask, ${INHERIT}`,
  ulimit: `changes resource limits, ${INHERIT}`,
  alias: `defines an alias, ${INHERIT}`,
  unalias: `removes an alias, ${INHERIT}`,
  trap: `sets a trap, ${INHERIT}`,
  source: `runs a script in the shell itself, ${INHERIT}`,
  '.': `runs a script in the shell itself, ${INHERIT}`,
  eval: `runs code in the shell itself, ${INHERIT}`,
  read: `sets a variable, ${INHERIT}`,
  getopts: `sets variables, ${INHERIT}`,
  mapfile: `sets an array variable, ${INHERIT}`,
  readarray: `sets an array variable, ${INHERIT}`,
  let: `evaluates arithmetic that sets variables, ${INHERIT}`,
  shift: `shifts the positional parameters, ${INHERIT}`,
  hash: `changes the command lookup table, ${INHERIT}`,
  enable: `enables or disables builtins, ${INHERIT}`,
  command: 'runs a builtin such as `cd` in the shell itself',
  builtin: 'runs a builtin such as `cd` in the shell itself',
  exec: 'replaces the shell or redirects its own output, so the next RUN\'s commands would be skipped or redirected',
  exit: 'exits the shell early, so the next RUN\'s commands would be skipped',
  return: 'returns from the shell early, so the next RUN\'s commands would be skipped',
  logout: 'exits the shell early, so the next RUN\'s commands would be skipped',
};
const builtinReason = (name: string) => `\`${name}\` ${BUILTIN_EFFECT[name] ?? 'is a shell builtin that merge-run does not know to leave the shell as it found it'}`;

const COMPOUND: Record<string, string> = {
  Block: 'a `{ … }` group',
  IfClause: 'an `if` clause',
  WhileClause: 'a `while`/`until` loop',
  CaseClause: 'a `case` clause',
  TestClause: 'a `[[ … ]]` test (it sets BASH_REMATCH)',
  TimeClause: 'a `time` keyword',
  CoprocClause: 'a `coproc`',
};
const compoundReason = (what: string) => `${what} runs in the RUN's own shell; merge-run only joins after simple commands and \`( … )\` subshells (wrap it in \`( … )\` to merge)`;

const BACKGROUND = 'runs a command in the background (&), which could still be running when the next command starts';
/** Arithmetic operators that assign: =, +=, -=, *=, /=, %=, &=, |=, ^=, <<=, >>= (mvdan-sh token values). */
const ASSIGN_ARITH = new Set([74, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53]);
/** ++ and --. */
const INC_DEC = new Set([36, 37]);
/** `${X=…}`, `${X:=…}`. */
const ASSIGN_PARAM = new Set([74, 75]);
/** `${X@…}` (`@P` evaluates the value as a prompt, which runs expansions). */
const AT_PARAM = 84;
const NUMBER = /^(0[xX][0-9a-fA-F]+|[0-9]+(#[0-9a-zA-Z@_]+)?)$/;

/**
 * Why the earlier RUN's commands could leave the shell different from a fresh one (or stop it, or keep a
 * process running), or null when every top-level command is on the allowlist. Offsets index its text.
 */
export function earlierRunHazard(p: ParsedShell, errexit: boolean): Hazard | null {
  const at = (n: ShNode, reason: string): Hazard => ({ offset: p.offset(n.Pos()), reason });
  let found: Hazard | null = null;
  // anywhere, even in a subshell: a process that may outlive its command
  walk(p.file, (n: ShNode) => {
    const t = nodeType(n);
    if (t === 'Stmt' && n.Background) found = at(n, BACKGROUND);
    else if (t === 'CoprocClause') found = at(n, '`coproc` starts a process in the background, which could still be running when the next command starts');
    else if (t === 'ProcSubst') found = at(n, 'a process substitution `<( … )`/`>( … )` runs a process in the background, which could still be running when the next command starts');
    return !found;
  });
  if (found) return found;

  const wordHazard = (w: ShNode): Hazard | null => {
    if (!w) return null;
    for (const part of (w.Parts as ShNode[] | undefined) ?? []) {
      const h = partHazard(part);
      if (h) return h;
    }
    return null;
  };
  const arithHazard = (x: ShNode, where: ShNode): Hazard | null => {
    const t = nodeType(x);
    if (t === '') return null;
    if (t === 'BinaryArithm') {
      if (ASSIGN_ARITH.has(x.Op)) return at(where, `arithmetic \`$(( … ))\` assigns a variable, ${INHERIT}`);
      return arithHazard(x.X, where) ?? arithHazard(x.Y, where);
    }
    if (t === 'UnaryArithm') {
      if (INC_DEC.has(x.Op)) return at(where, `arithmetic \`++\`/\`--\` assigns a variable, ${INHERIT}`);
      return arithHazard(x.X, where);
    }
    if (t === 'ParenArithm') return arithHazard(x.X, where);
    if (t === 'Word') {
      for (const part of x.Parts as ShNode[]) {
        if (nodeType(part) === 'Lit' && NUMBER.test(part.Value as string)) continue;
        const name = nodeType(part) === 'Lit' ? `the variable ${part.Value as string}` : 'a value known only at run time';
        return at(where, `arithmetic evaluates ${name} as an expression, which can assign variables (X='Y=1'; $((X)) sets Y), ${INHERIT}`);
      }
      return null;
    }
    return at(where, 'arithmetic that merge-run does not know');
  };
  const partHazard = (part: ShNode): Hazard | null => {
    switch (nodeType(part)) {
      case 'DblQuoted': return wordHazard(part);
      case 'ParamExp': {
        const name = (part.Param?.Value as string | undefined) ?? '';
        if (part.Excl) return at(part, `the indirect expansion \`\${!${name}…}\` can evaluate an array index that assigns, ${INHERIT}`);
        if (part.Exp && ASSIGN_PARAM.has(part.Exp.Op)) return at(part, `\`\${${name}:=…}\` assigns ${name} a default value, ${INHERIT}`);
        if (part.Exp && part.Exp.Op === AT_PARAM) return at(part, `\`\${${name}@…}\` can evaluate the value (\`@P\`), ${INHERIT}`);
        if (nodeType(part.Index) !== '') {
          const lit = wordLit(part.Index);
          if (lit !== '@' && lit !== '*') { const h = arithHazard(part.Index, part); if (h) return h; }
        }
        if (part.Slice) { const h = arithHazard(part.Slice.Offset, part) ?? arithHazard(part.Slice.Length, part); if (h) return h; }
        if (part.Repl) { const h = wordHazard(part.Repl.Orig) ?? wordHazard(part.Repl.With); if (h) return h; }
        if (part.Exp) return wordHazard(part.Exp.Word);
        return null;
      }
      case 'ArithmExp': return arithHazard(part.X, part);
      // a command substitution runs in a subshell: state-free by construction (background jobs were checked above)
      default: return null;
    }
  };
  const redirHazard = (r: ShNode): Hazard | null => {
    const n = (r.N?.Value as string | undefined) ?? '';
    if (n !== '' && !/^\d+$/.test(n)) return at(r, `the redirection \`${n}>\` sets a variable and keeps the descriptor open, ${INHERIT}`);
    return wordHazard(r.Word) ?? wordHazard(r.Hdoc);
  };
  const callHazard = (c: ShNode): Hazard | null => {
    const args = c.Args as ShNode[];
    const assigns = c.Assigns as ShNode[];
    if (args.length === 0) {
      if (assigns.length > 0) return at(c, `a variable assignment without a command sets a shell variable that the next RUN would inherit`);
      return null;
    }
    const nameWord = args[0]!;
    const name = wordLit(nameWord);
    if (name === null) return at(c, 'runs a command whose name is only known at run time (it could be a builtin such as `cd`)');
    const unquoted = (nameWord.Parts as ShNode[]).filter((x) => nodeType(x) === 'Lit').map((x) => x.Value as string).join('');
    if (name !== '[' && /[*?[\]{}~]/.test(unquoted)) return at(c, `the command name ${unquoted} can expand to another name (a glob, braces or ~), such as \`cd\``);
    if (STATE_FREE.has(name)) {
      // `:` is a special builtin: sh (dash, BusyBox) keeps an assignment before it; before the others it is temporary
      if (name === ':' && assigns.length > 0) return at(c, `an assignment before \`:\` stays set in sh (\`:\` is a special builtin), ${INHERIT}`);
      if (name === 'printf') {
        const first = args[1] ? wordLit(args[1]) : '';
        if (first === null) return at(c, `\`printf\` with a format known only at run time could be \`-v\`, which sets a variable, ${INHERIT}`);
        if (first.startsWith('-')) return at(c, `\`printf ${first}\` can set a variable (\`-v\`), ${INHERIT}`);
      }
    } else if (isShellSpecial(name)) {
      const next = args[1] ? wordLit(args[1]) : null;
      if ((name === 'command' || name === 'builtin') && next !== null && !next.startsWith('-')) {
        return at(c, `\`${name} ${next}\` runs ${isShellSpecial(next) ? `the builtin \`${next}\`` : `\`${next}\``} in the shell itself${BUILTIN_EFFECT[next] && !BUILTIN_EFFECT[next].startsWith('runs') ? `: it ${BUILTIN_EFFECT[next]}` : ''}`);
      }
      return at(c, builtinReason(name));
    }
    for (const a of assigns) {
      const h = wordHazard(a.Value) ?? (nodeType(a.Index) !== '' ? arithHazard(a.Index, a) : null);
      if (h) return h;
    }
    for (const w of args) { const h = wordHazard(w); if (h) return h; }
    return null;
  };
  const stmtHazard = (s: ShNode): Hazard | null => {
    for (const r of s.Redirs as ShNode[]) { const h = redirHazard(r); if (h) return h; }
    const cmd = s.Cmd;
    const t = nodeType(cmd);
    switch (t) {
      case '': return null; // redirections only
      case 'CallExpr': return callHazard(cmd);
      case 'BinaryCmd':
        // a pipeline's commands each run in a subshell (sh, dash, ash, bash without lastpipe)
        if (cmd.Op === Op.Pipe || cmd.Op === Op.PipeAll) return null;
        return stmtHazard(cmd.X) ?? stmtHazard(cmd.Y);
      case 'Subshell': return null;
      case 'FuncDecl': return at(cmd, 'defines a shell function that the next RUN would inherit');
      case 'ForClause': return at(cmd, `a \`for\` loop sets its loop variable, ${INHERIT}`);
      case 'ArithmCmd': return at(cmd, `\`(( … ))\` arithmetic can set variables, ${INHERIT}`);
      case 'LetClause': return at(cmd, builtinReason('let'));
      case 'DeclClause': {
        const v = (cmd.Variant?.Value as string | undefined) ?? 'declare';
        return at(cmd, `\`${v}\` ${v === 'export' ? 'exports' : 'declares'} a variable that the next RUN would inherit`);
      }
      default: return at(cmd, compoundReason(COMPOUND[t] ?? `a ${t}`));
    }
  };
  const stmts = p.file.Stmts as ShNode[];
  for (const s of stmts) { const h = stmtHazard(s); if (h) return h; }
  // errexit: on the left of `&&`, `set -e` is off inside compound commands of the last command list
  const last = stmts[stmts.length - 1];
  const compound = errexit && last ? compoundIn(last) : null;
  if (compound) {
    return at(compound, 'its last command list contains `( … )`, inside which errexit (the SHELL\'s -e) would be off on the left of the joining `&&`, so a failure there would no longer stop the build');
  }
  return null;
}

/** A compound command among the and-or operands and pipeline parts of a statement (not inside substitutions). */
function compoundIn(s: ShNode): ShNode | null {
  const cmd = s?.Cmd;
  const t = nodeType(cmd);
  if (t === 'BinaryCmd') return compoundIn(cmd.X) ?? compoundIn(cmd.Y);
  if (t === '' || t === 'CallExpr') return null;
  return cmd;
}

// ---- the later RUN: what joining it after `&&` changes --------------------------------------------

/** Parameters whose value depends on what ran before in the same shell. */
const HISTORY_PARAMS = new Set(['_', 'LINENO', 'SECONDS', 'BASH_COMMAND', 'PIPESTATUS', 'BASH_LINENO', 'HISTCMD', 'BASH_EXECUTION_STRING']);
/** Builtins whose output depends on what ran before in the same shell (the command cache, times, all variables). */
const HISTORY_BUILTINS = new Set(['hash', 'type', 'times', 'compgen']);
/**
 * Commands the earlier RUN may run by name that the later one may run again: a distribution package never
 * installs a second copy of the package manager elsewhere on PATH, so the path the shell cached stays right.
 */
const PACKAGE_MANAGERS = new Set(['apt-get', 'apt', 'apk', 'dnf', 'yum', 'microdnf', 'tdnf', 'zypper', 'dpkg', 'rpm', 'pacman']);

/** Command names the earlier RUN's own shell looks up on PATH (and so caches). */
function cachedNames(p: ParsedShell): Set<string> {
  const out = new Set<string>();
  for (const c of simpleCommands(p.file)) {
    if (!c.inMainShell || nodeType(c.call) !== 'CallExpr') continue;
    const name = c.words[0];
    if (name && !name.includes('/') && !isShellSpecial(name)) out.add(name);
  }
  return out;
}

function laterRunHazard(pb: ParsedShell, cached: ReadonlySet<string>): Hazard | null {
  const at = (n: ShNode, reason: string): Hazard => ({ offset: pb.offset(n.Pos()), reason });
  const stmts = pb.file.Stmts as ShNode[];
  if (stmts.length > 1) return at(stmts[1], 'it has several commands separated by \';\' or newlines, which after \'&&\' would still run when an earlier command failed');
  const stmt = stmts[0];
  if (stmt.Background) return at(stmt, 'it ends with \'&\', which after \'&&\' would send the earlier RUN\'s commands to the background too');
  // `A && x || y && z` groups as `((A && x) || y) && z`: any top-level `||` of the later RUN, not only its
  // last operator, would also catch a failure of A. The and-or list is the left spine of BinaryCmds.
  let node = stmt.Cmd;
  while (nodeType(node) === 'BinaryCmd' && (node.Op === Op.And || node.Op === Op.Or)) {
    if (node.Op === Op.Or) return at(stmt, 'its top-level \'||\' would also catch a failure of the earlier RUN\'s commands');
    node = node.X?.Cmd;
  }
  let found: Hazard | null = null;
  walk(pb.file, (n: ShNode) => {
    const t = nodeType(n);
    if (t === 'ParamExp') {
      const name = (n.Param?.Value as string | undefined) ?? '';
      if (n.Excl) found = at(n, `\`\${!${name}…}\` lists or follows variables, which depend on what ran before it in the same shell`);
      else if (HISTORY_PARAMS.has(name)) found = at(n, `it reads \`$${name}\`, whose value depends on what ran before it in the same shell`);
    } else if (t === 'DeclClause') {
      const args = n.Args as ShNode[];
      if (args.every((a) => a.Naked && (wordLit(a.Value) ?? '').startsWith('-'))) {
        found = at(n, `\`${(n.Variant?.Value as string | undefined) ?? 'declare'}\` without names prints variables, whose values depend on what ran before it in the same shell`);
      }
    } else if (t === 'CallExpr') {
      const words = (n.Args as ShNode[]).map(wordLit);
      if (words.length === 0) return true;
      let k = 0;
      while (words[k] === 'command' || words[k] === 'exec') {
        if (words[k] === 'command' && words[k + 1] !== undefined && /^-[a-zA-Z]*[vV]/.test(words[k + 1] ?? '')) {
          found = at(n, '`command -v` prints where the shell finds a command, which depends on what ran before it in the same shell (the command cache)');
          return false;
        }
        k++;
        while ((words[k] ?? '').startsWith('-')) k++;
      }
      const name = words[k];
      if (name === undefined) return true;
      if (name === null) {
        if (cached.size > 0) found = at(n, `it runs a command whose name is only known at run time, which could be one an earlier RUN it would be joined with ran (\`${[...cached][0]}\`): the joined shell would reuse the path it cached for it`);
      } else if (HISTORY_BUILTINS.has(name) || (name === 'set' && words.length === k + 1)) {
        found = at(n, `\`${words.slice(k).join(' ')}\` prints what depends on what ran before it in the same shell (cached command paths, times, variables such as $_)`);
      } else if (cached.has(name) && !PACKAGE_MANAGERS.has(name)) {
        found = at(n, `an earlier RUN it would be joined with runs \`${name}\` too: joined, the shell would reuse the path it found for \`${name}\` there (shells cache command paths), so a \`${name}\` put earlier on PATH in between would not be used`);
      }
    }
    return !found;
  });
  return found;
}

// ---- flags, mounts, stages ------------------------------------------------------------------------

const flagsText = (doc: DocView, ins: Run): string[] => ins.getFlags().map((f) => doc.slice(f));

/** Why a --mount of this RUN would behave differently when shared by the joined commands, or null. */
function mountHazard(doc: DocView, ins: Run): string | null {
  for (const f of ins.getFlags()) {
    if (f.getName().toLowerCase() !== 'mount') continue;
    const text = doc.slice(f);
    if (text.includes('$')) return `its ${text} uses a variable, so what it mounts is not known here`;
    let type = 'bind';
    let rw = false;
    for (const o of f.getOptions()) {
      const name = o.getName().toLowerCase();
      const value = (o.getValue() ?? '').toLowerCase();
      if (name === 'type') type = value;
      else if ((name === 'rw' || name === 'readwrite') && value !== 'false') rw = true;
      else if ((name === 'ro' || name === 'readonly') && value === 'false') rw = true;
    }
    if (type === 'cache' || type === 'secret' || type === 'ssh') continue;
    if (type === 'bind' && !rw) continue;
    if (type === 'tmpfs') return `its ${text} is a fresh, empty tmpfs in each RUN; joined, the later commands would see what the earlier ones left there`;
    if (type === 'bind') return `its read-write bind mount ${text} starts from the source in each RUN (writes to it are discarded); joined, the later commands would see the earlier writes`;
    return `its ${text} has a mount type merge-run does not know`;
  }
  return null;
}

/** The package index update a RUN consists of (`apt-get update`, `apk update`), or null. */
function indexUpdate(p: ParsedShell): 'apt' | 'apk' | null {
  let mgr: 'apt' | 'apk' | null = null;
  for (const c of simpleCommands(p.file)) {
    const m = managerVerb(c.words);
    if (!m || m.verb !== 'update' || (mgr && mgr !== m.mgr)) return null;
    mgr = m.mgr;
  }
  return mgr;
}

function managerVerb(words: (string | null)[]): { mgr: 'apt' | 'apk'; verb: string } | null {
  const [cmd, ...rest] = words;
  const mgr = cmd === 'apt-get' || cmd === 'apt' ? 'apt' : cmd === 'apk' ? 'apk' : null;
  if (!mgr || rest.some((w) => w === null)) return null;
  const verb = (rest as string[]).find((w) => !w.startsWith('-'));
  return verb ? { mgr, verb } : null;
}

/** Does the later RUN start with the install that follows an index update of `mgr`? */
function startsWithInstall(p: ParsedShell, mgr: 'apt' | 'apk'): boolean {
  let s = p.file.Stmts[0];
  while (nodeType(s?.Cmd) === 'BinaryCmd' && s.Cmd.Op === Op.And) s = s.Cmd.X;
  if (nodeType(s?.Cmd) !== 'CallExpr') return false;
  const m = managerVerb((s.Cmd.Args as ShNode[]).map(wordLit));
  return m !== null && m.mgr === mgr && (mgr === 'apt' ? m.verb === 'install' : m.verb === 'add');
}

// ---- pairs and chains ------------------------------------------------------------------------------

/**
 * Why `a && b` could behave differently from RUN a; RUN b, with the line to report; null when it cannot.
 * `cached`: the command names the shell would have cached by then (those of every RUN joined before b).
 */
function pairHazard(doc: DocView, a: Analysed, b: Analysed, info: StageInfo, cached: ReadonlySet<string>): { line: number; reason: string } | null {
  const bLine = doc.lineOfNode(b.ins);
  const aLine = doc.lineOfNode(a.ins);
  const onA = (line: number, why: string) => ({ line, reason: `not merged with the RUN on line ${bLine}: ${why}` });
  const onB = (line: number, why: string) => ({ line, reason: `not merged with the RUN on line ${aLine}: ${why}` });
  if (a.unusable) return onA(aLine, a.unusable);
  if (b.unusable) return onB(bLine, b.unusable);
  const pa = a.parsed!, pb = b.parsed!, va = a.view!, vb = b.view!;
  if (!info.shipped) {
    const mgr = indexUpdate(pa);
    if (!mgr || !startsWithInstall(pb, mgr)) {
      const stage = info.stage.name ? `stage ${info.stage.name}` : `stage ${info.stage.index}`;
      return onB(bLine, `${stage} is in no shipped image (it is not the final stage or in its FROM chain), where separate RUNs only keep finer cache steps; there merge-run only joins \`apt-get update\`/\`apk update\` with the install after it`);
    }
  }
  const fa = flagsText(doc, a.ins), fb = flagsText(doc, b.ins);
  if (fa.join('\u0000') !== fb.join('\u0000')) {
    return onB(bLine, `their flags differ (${fa.join(' ') || 'none'} vs ${fb.join(' ') || 'none'})`);
  }
  const mount = mountHazard(doc, a.ins);
  if (mount) return onB(bLine, mount);
  const ha = earlierRunHazard(pa, a.errexit);
  if (ha) return onA(doc.lineOf(va.toDoc(ha.offset)), ha.reason);
  const aEnd = pa.offset(pa.file.Stmts[pa.file.Stmts.length - 1].End());
  let comment = false;
  walk(pa.file, (n: ShNode) => { if (nodeType(n) === 'Comment' && pa.offset(n.Hash) >= aEnd) comment = true; return !comment; });
  if (comment) return onA(aLine, 'it ends with a shell comment, which would swallow the joined commands');
  if (doc.lineText(doc.lineIndexAt(doc.span(a.ins).end)).trimStart().startsWith('#')) {
    return onA(aLine, 'it ends with a comment line inside its continuation');
  }
  const hb = laterRunHazard(pb, cached);
  if (hb) return onB(doc.lineOf(vb.toDoc(hb.offset)), hb.reason);
  if (!b.bash) {
    const err = posixSyntaxError(vb.text);
    if (err) return onB(bLine, `it does not parse as POSIX sh (${err}) and /bin/sh may be dash or BusyBox, which would reject the joined command before the earlier RUN's part of it runs`);
  }
  return null;
}

function mergeChain(doc: DocView, chain: Analysed[], info: StageInfo): Outcome[] {
  const outcomes: Outcome[] = [];
  let group: Analysed[] = [chain[0]!];
  // the command names the group ran so far (the shell's path cache), grown as the group grows
  let cached = new Set<string>();
  const add = (g: Analysed) => { if (g.parsed) for (const n of cachedNames(g.parsed)) cached.add(n); };
  add(chain[0]!);
  const emit = () => {
    if (group.length > 2 && !joinReadsTheSame(doc, group)) {
      // each pair's join read the same, the whole group's (its indent and style are the group's) does not
      outcomes.push({ kind: 'refuse', line: doc.lineOfNode(group[0]!.ins), reason: `not merged with the RUNs on lines ${group.slice(1).map((g) => doc.lineOfNode(g.ins)).join(', ')}: the joined command would not parse as the same commands` });
    } else if (group.length > 1) outcomes.push(joinGroup(doc, group));
    group = [];
    cached = new Set();
  };
  for (let k = 1; k < chain.length; k++) {
    const a = chain[k - 1]!, b = chain[k]!;
    let hz = pairHazard(doc, a, b, info, cached);
    // the join is proven pair by pair as the group grows (linear in the group), then once for the whole group
    if (!hz && !joinReadsTheSame(doc, [a, b])) {
      hz = { line: doc.lineOfNode(a.ins), reason: `not merged with the RUN on line ${doc.lineOfNode(b.ins)}: the joined command would not parse as the same commands` };
    }
    if (hz) {
      outcomes.push({ kind: 'refuse', line: hz.line, reason: hz.reason });
      emit();
      group = [b];
    } else {
      group.push(b);
    }
    add(b);
  }
  emit();
  return outcomes;
}

// ---- the join ---------------------------------------------------------------------------------------

/** The edits that turn the group into one RUN: every gap between two RUNs becomes a `&&` continuation. */
function joinEdits(doc: DocView, group: Analysed[]): Edit[] {
  const esc = doc.escapeChar;
  const trailing = group.some((g) => usesTrailingAnd(doc, g.ins));
  const indent = doc.continuationIndentOf(group.map((g) => g.ins));
  const edits: Edit[] = [];
  for (let k = 1; k < group.length; k++) {
    const a = group[k - 1]!.ins, b = group[k]!.ins;
    const start = doc.span(a).end;
    const end = doc.offsetAt(b.getArgumentsRange()!.start);
    // keep the comment lines between the two RUNs, in order; blank lines go (BuildKit warns on empty continuation lines)
    const between: string[] = [];
    for (let l = doc.lineIndexAt(start) + 1; l < b.getRange().start.line; l++) {
      const t = doc.lineText(l);
      if (t.trimStart().startsWith('#')) between.push(t + doc.eol);
    }
    const head = trailing ? ` && ${esc}${doc.eol}` : ` ${esc}${doc.eol}`;
    const tail = trailing ? indent : `${indent}&& `;
    edits.push(replaceRange(start, end, head + between.join('') + tail));
  }
  return edits;
}

/** A statement's and-or list, flattened: operands (as structure, positions left out) and operators. */
function andOrList(s: ShNode): string[] {
  if (!s.Negated && (s.Redirs as ShNode[]).length === 0 && nodeType(s.Cmd) === 'BinaryCmd' && (s.Cmd.Op === Op.And || s.Cmd.Op === Op.Or)) {
    return [...andOrList(s.Cmd.X), String(s.Cmd.Op), ...andOrList(s.Cmd.Y)];
  }
  return [structure(s)];
}
/**
 * A node's structure: every field but positions (which serialise as `{}`) and comments (compared on their
 * own: a trailing comment attaches to the outermost statement), so equal means read the same.
 */
const structure = (n: ShNode): string => JSON.stringify(n, (k, v: unknown) => (k === 'Comments' ? undefined : v));
const comments = (p: ParsedShell): string[] => {
  const out: string[] = [];
  walk(p.file, (n: ShNode) => { if (nodeType(n) === 'Comment') out.push(n.Text as string); });
  return out;
};

/**
 * The proof that the inserted text changes how no existing character is read: the group's text with the
 * join edits applied, parsed again as a Dockerfile (with the file's escape character) and its command as
 * shell, must be one RUN with the first RUN's flags whose commands are exactly the RUNs' commands, the last
 * and-or list extended by `&&` and each later RUN's and-or list.
 */
function joinReadsTheSame(doc: DocView, group: Analysed[]): boolean {
  const first = group[0]!.ins, last = group[group.length - 1]!.ins;
  const start = doc.span(first).start, end = doc.span(last).end;
  const edits = joinEdits(doc, group).map((e) => replaceRange(e.start - start, e.end - start, e.text));
  const directive = doc.escapeChar === '\\' ? '' : `# escape=${doc.escapeChar}${doc.eol}`;
  const joinedDoc = new DocView(directive + applyEdits(doc.text.slice(start, end), edits));
  const inss = joinedDoc.instructions();
  if (inss.length !== 1 || inss[0]!.getKeyword() !== 'RUN') return false;
  const run = inss[0] as Run;
  if (run.getHeredocs().length > 0 || isExecForm(run)) return false;
  if (flagsText(joinedDoc, run).join('\u0000') !== flagsText(doc, first).join('\u0000')) return false;
  const view = runShellView(joinedDoc, run);
  const parsed = view ? parseView(view) : null;
  if (!parsed || 'error' in parsed) return false;
  const pa = group[0]!.parsed!;
  const got = parsed.file.Stmts as ShNode[], want = pa.file.Stmts as ShNode[];
  if (got.length !== want.length) return false;
  for (let i = 0; i < want.length - 1; i++) if (structure(got[i]) !== structure(want[i])) return false;
  const expected = andOrList(want[want.length - 1]);
  for (const g of group.slice(1)) expected.push(String(Op.And), ...andOrList(g.parsed!.file.Stmts[0]));
  const actual = andOrList(got[got.length - 1]);
  if (actual.length !== expected.length || actual.some((x, i) => x !== expected[i])) return false;
  return comments(parsed).join('\u0000') === group.flatMap((g) => comments(g.parsed!)).join('\u0000');
}

/** `3, 4, 5`, or for a long group `2, 3, 4, …, 3001` (a message stays readable). */
const lineList = (lines: number[]): string => (lines.length <= 6 ? lines.join(', ') : `${lines.slice(0, 3).join(', ')}, …, ${lines[lines.length - 1]}`);

function joinGroup(doc: DocView, group: Analysed[]): Outcome {
  const first = group[0]!.ins;
  return {
    kind: 'rewrite',
    line: doc.lineOfNode(first),
    message: `merges ${group.length} consecutive RUN instructions (lines ${lineList(group.map((g) => doc.lineOfNode(g.ins)))}) into one`,
    edits: joinEdits(doc, group),
  };
}

/** True when the instruction continues lines as `cmd && \` rather than starting them with `&& cmd`. */
function usesTrailingAnd(doc: DocView, ins: Instruction): boolean {
  const r = ins.getRange();
  for (let l = r.start.line; l < r.end.line; l++) {
    const t = doc.lineText(l).trimEnd();
    if (t.endsWith(doc.escapeChar) && /&&\s*$/.test(t.slice(0, -1))) return true;
  }
  return false;
}
