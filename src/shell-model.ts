/**
 * What the shells a RUN can meet as `/bin/sh` treat specially: Debian/Ubuntu's dash, RHEL/Fedora's bash
 * and Alpine/BusyBox's ash. A command name in none of these lists is looked up on PATH and runs as a
 * separate program in all three, so it cannot change the shell that runs it.
 *
 * The lists are taken from the shells themselves and checked against them by test/shell-model.test.ts:
 * bash 5.2 `compgen -b` and `compgen -k`, BusyBox 1.35 `sh -c help` (its shell builtins; with
 * FEATURE_SH_STANDALONE the applets it also lists are separate programs), dash 0.5.12's dash(1) and
 * `command -V`. A name that is special in one shell only (bash's `let`, dash's `chdir`) is in the list:
 * `/bin/sh` may be any of them.
 */
/** Builtin commands of dash, bash or BusyBox ash. */
export const SHELL_BUILTINS: ReadonlySet<string> = new Set([
  // POSIX special and regular builtins, in all three (bash: compgen -b; dash: command -V; busybox: help)
  '.', ':', '[', 'alias', 'bg', 'break', 'cd', 'command', 'continue', 'echo', 'eval', 'exec', 'exit', 'export',
  'false', 'fg', 'getopts', 'hash', 'jobs', 'kill', 'local', 'printf', 'pwd', 'read', 'readonly', 'return', 'set',
  'shift', 'test', 'times', 'trap', 'true', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'wait',
  // dash and busybox
  'chdir',
  // dash(1) documents fc (not compiled into Debian's dash, but into others), bash has it
  'fc',
  // bash and busybox
  '[[', 'help', 'history', 'let', 'source',
  // dash and bash
  'builtin',
  // bash only
  'bind', 'caller', 'compgen', 'complete', 'compopt', 'declare', 'dirs', 'disown', 'enable', 'logout', 'mapfile',
  'popd', 'pushd', 'readarray', 'shopt', 'suspend', 'typeset',
]);

/** Reserved words of dash, bash or BusyBox ash (bash: compgen -k; dash: dash(1); busybox: command -V). */
export const SHELL_KEYWORDS: ReadonlySet<string> = new Set([
  '!', '{', '}', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'if', 'in', 'then', 'until', 'while',
  // bash (and busybox for function and [[)
  '[[', ']]', 'coproc', 'function', 'select', 'time',
]);

/** Is this command name handled by the shell itself (a builtin or reserved word) in any of the three shells? */
export function isShellSpecial(name: string): boolean {
  return SHELL_BUILTINS.has(name) || SHELL_KEYWORDS.has(name);
}
