/**
 * Recognises a RUN whose every command is a system package-manager command (apt-get/apt, apk, dnf, yum,
 * microdnf, tdnf, zypper, dpkg) or its clean-up (`rm -rf /var/lib/apt/lists/*`, `set -eux`, `true`), and
 * says what it depends on: the variables it expands, the local files it reads, the paths it removes.
 * The package managers are a table (MANAGERS: one row per family, with its programs, subcommands,
 * value-taking options and sources). Works on the shell tree of src/shell.ts (mvdan-sh); nothing here
 * looks at shell text with patterns.
 */
import { nodeType, simpleCommands, wordLit, type ParsedShell, type ShNode } from '../../src/shell.js';

export interface SystemInstall {
  /** The package managers the RUN calls, in order of first use (`apt-get`, `apk`, …). */
  managers: string[];
  /** Variable names the RUN expands; 'all' when an expansion cannot be reduced to names (`${!x*}`, `$((…))`). */
  vars: Set<string> | 'all';
  /** Local files the RUN reads, as written (`./pkg.deb`, `/tmp/key.gpg`, `-c conf`); relative ones use WORKDIR. */
  files: string[];
  /** An operand of an install has expansions, so it could name a local file. */
  dynamicOperands: boolean;
  /** Absolute paths the clean-up removes (`rm` operands, glob part cut off: `/var/lib/apt/lists`). */
  removes: string[];
}

/** A family of system package managers that share their subcommands and options. */
export interface PackageManager {
  family: 'apt' | 'apk' | 'dnf' | 'zypper' | 'dpkg';
  /** The programs of the family (the first word of the command). */
  programs: readonly string[];
  /** Its subcommands; dpkg has none (its actions are options). */
  subcommands: ReadonlySet<string>;
  /** Subcommands whose operands may be local package files (`apt-get install ./x.deb`). */
  installs: ReadonlySet<string>;
  /** Options that take a value as the next word (the `--opt=value` form needs no entry). */
  valueOpts: ReadonlySet<string>;
  /** When set, the only options allowed (a trailing `*` matches any rest). */
  onlyOpts?: readonly string[];
  /** Where the subcommands and options come from (the manager's manual). */
  sources: readonly string[];
}

/** The table, one row per family. */
export const MANAGERS: readonly PackageManager[] = [
  {
    family: 'apt', programs: ['apt-get', 'apt'],
    subcommands: new Set(['update', 'install', 'reinstall', 'upgrade', 'dist-upgrade', 'full-upgrade', 'clean', 'autoclean', 'auto-clean', 'autoremove', 'auto-remove', 'purge', 'remove']),
    installs: new Set(['install', 'reinstall', 'upgrade', 'update']),
    valueOpts: new Set(['-o', '--option', '-c', '--config-file', '-t', '--target-release', '--default-release']),
    sources: ['https://manpages.debian.org/stable/apt/apt-get.8.en.html', 'https://manpages.debian.org/stable/apt/apt.8.en.html'],
  },
  {
    family: 'apk', programs: ['apk'],
    subcommands: new Set(['add', 'del', 'update', 'upgrade', 'cache', 'fix']),
    installs: new Set(['add', 'update', 'upgrade', 'fix']),
    valueOpts: new Set(['-X', '--repository', '--repositories-file', '--keys-dir', '--cache-dir', '--arch', '-t', '--virtual', '--cache-max-age']),
    sources: ['https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper', 'https://man.archlinux.org/man/apk.8'],
  },
  {
    // yum (dnf's alias since RHEL 8), microdnf and tdnf take dnf's subcommands and options
    family: 'dnf', programs: ['dnf', 'yum', 'microdnf', 'tdnf'],
    subcommands: new Set(['install', 'reinstall', 'localinstall', 'groupinstall', 'group', 'groups', 'update', 'upgrade', 'update-minimal', 'upgrade-minimal', 'remove', 'erase', 'autoremove', 'clean', 'makecache', 'distro-sync', 'module']),
    installs: new Set(['install', 'reinstall', 'localinstall', 'update', 'upgrade']),
    valueOpts: new Set(['-c', '--config', '--releasever', '--repo', '--repoid', '--enablerepo', '--disablerepo', '-x', '--exclude', '--setopt', '--disableplugin', '--enableplugin', '--forcearch', '--rpmverbosity', '-d', '--debuglevel', '-e', '--errorlevel']),
    sources: ['https://dnf.readthedocs.io/en/latest/command_ref.html', 'https://github.com/rpm-software-management/microdnf', 'https://github.com/vmware/tdnf'],
  },
  {
    family: 'zypper', programs: ['zypper'],
    subcommands: new Set(['install', 'in', 'remove', 'rm', 'update', 'up', 'dist-upgrade', 'dup', 'refresh', 'ref', 'clean', 'cc', 'patch']),
    installs: new Set(['install', 'in', 'update']),
    valueOpts: new Set(['-c', '--config', '-r', '--repo', '--from', '-t', '--type']),
    sources: ['https://en.opensuse.org/SDB:Zypper_manual'],
  },
  {
    // `dpkg -i FILE…` reads the files; `--configure -a` and --add-architecture read none
    family: 'dpkg', programs: ['dpkg'],
    subcommands: new Set(), installs: new Set(),
    valueOpts: new Set(['--add-architecture']),
    onlyOpts: ['-i', '--install', '--add-architecture', '--configure', '-a', '--pending', '--force-*'],
    sources: ['https://manpages.debian.org/stable/dpkg/dpkg.1.en.html'],
  },
];
const BY_PROGRAM = new Map(MANAGERS.flatMap((m) => m.programs.map((p) => [p, m] as const)));

/** Option values that are files the command reads (any family). */
const FILE_OPTS: ReadonlySet<string> = new Set(['-c', '--config-file', '--config', '--repositories-file', '--keys-dir', '-X', '--repository']);
/** Options that point the install at another root: what it writes is then not where we assume (any family). */
const ROOT_OPTS: ReadonlySet<string> = new Set(['--installroot', '--root', '-p', '-R', '--instdir', '--admindir']);

/** Directories whose contents only caches and logs live in: what a clean-up `rm` may remove. */
const CLEANUP_DIRS = [
  '/var/lib/apt/lists', '/var/cache', '/var/log', '/tmp', '/var/tmp', '/usr/share/doc', '/usr/share/man', '/usr/share/info',
  '/root/.cache',
];

const isOption = (w: string) => w.startsWith('-') && w !== '-';
const looksLikeFile = (w: string) => /^(\/|\.\.?\/|~)/.test(w) || /\.(deb|rpm|apk)$/.test(w);
const isUrl = (w: string) => w.includes('://');

/** Analyses a parsed RUN; null when some command in it is not a system package-manager command or clean-up. */
export function analyseSystemInstall(parsed: ParsedShell): SystemInstall | null {
  if (!shapeIsPlain(parsed.file.Stmts)) return null;
  const out: SystemInstall = { managers: [], vars: new Set(), files: [], dynamicOperands: false, removes: [] };
  const cmds = simpleCommands(parsed.file);
  if (cmds.length === 0) return null;
  let installs = 0;
  for (const c of cmds) {
    if (nodeType(c.call) !== 'CallExpr') return null;
    for (const a of c.call.Assigns as ShNode[]) {
      if (a.Append || a.Array || a.Index || a.Naked) return null;
      if (a.Value && !collectVars(a.Value, out)) return null;
    }
    for (const w of c.call.Args as ShNode[]) if (!collectVars(w, out)) return null;
    for (const r of (c.stmt.Redirs as ShNode[] | null) ?? []) {
      const target = wordLit(r.Word);
      if (target !== '/dev/null' && !(target !== null && /^(\d+|-)$/.test(target))) return null;
    }
    const words = c.words;
    const name = words[0];
    if (name === null || name === undefined) return null;
    if (name === 'true' || name === ':') { if (words.length > 1) return null; continue; }
    if (name === 'set') { if (!setIsOptionsOnly(words)) return null; continue; }
    if (name === 'rm') { if (!cleanupRm(words, out)) return null; continue; }
    const manager = BY_PROGRAM.get(name);
    if (!manager) return null;
    if (!packageCommand(manager, c.call.Args as ShNode[], words, out)) return null;
    if (!out.managers.includes(name)) out.managers.push(name);
    installs++;
  }
  return installs > 0 ? out : null;
}

/** Only plain commands joined by &&, ||, pipes, ; and newlines: no blocks, loops, functions or subshells. */
function shapeIsPlain(stmts: ShNode[]): boolean {
  for (const s of stmts) {
    if (!s || s.Background || s.Coprocess) return false;
    const t = nodeType(s.Cmd);
    if (t === 'CallExpr') continue;
    if (t === 'BinaryCmd') { if (!shapeIsPlain([s.Cmd.X, s.Cmd.Y])) return false; continue; }
    return false;
  }
  return true;
}

/**
 * Adds the names a word expands to `out.vars`; false when the word holds something that is not a plain
 * string or parameter expansion (a command substitution, process substitution, …), which disqualifies.
 */
function collectVars(word: ShNode, out: SystemInstall): boolean {
  for (const p of (word?.Parts as ShNode[] | null) ?? []) {
    switch (nodeType(p)) {
      case 'Lit': case 'SglQuoted': break;
      case 'DblQuoted': if (!collectVars(p, out)) return false; break;
      case 'ParamExp': {
        if (p.Excl || p.Index || p.Slice || p.Names) { out.vars = 'all'; break; }
        if (out.vars !== 'all') out.vars.add(p.Param.Value as string);
        if (p.Exp?.Word && !collectVars(p.Exp.Word, out)) return false;
        if (p.Repl) {
          if (p.Repl.Orig && !collectVars(p.Repl.Orig, out)) return false;
          if (p.Repl.With && !collectVars(p.Repl.With, out)) return false;
        }
        break;
      }
      case 'ArithmExp': out.vars = 'all'; break;
      default: return false;
    }
  }
  return true;
}

function setIsOptionsOnly(words: (string | null)[]): boolean {
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === null || w === undefined) return false;
    if (w === '-o' || w === '+o') { i++; if (words[i] === null || words[i] === undefined) return false; continue; }
    if (!/^[-+][a-zA-Z]+$/.test(w)) return false;
  }
  return true;
}

function cleanupRm(words: (string | null)[], out: SystemInstall): boolean {
  let operands = 0;
  let endOfOptions = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === null || w === undefined) return false;
    if (!endOfOptions && w === '--') { endOfOptions = true; continue; }
    if (!endOfOptions && isOption(w)) {
      if (!/^-[rRfv]+$|^--(recursive|force|verbose)$/.test(w)) return false;
      continue;
    }
    const path = globPrefixDir(w);
    if (path === null || !CLEANUP_DIRS.some((d) => path === d || path.startsWith(d + '/'))) return false;
    out.removes.push(path);
    operands++;
  }
  return operands > 0;
}

/** `/var/lib/apt/lists/*` → `/var/lib/apt/lists`; null for relative paths or `..`. */
function globPrefixDir(w: string): string | null {
  if (!w.startsWith('/')) return null;
  const g = w.search(/[*?[]/);
  let p = g === -1 ? w : w.slice(0, g);
  if (g !== -1) p = p.slice(0, p.lastIndexOf('/') + 1);
  p = p.replace(/\/+$/, '') || '/';
  if (p.split('/').includes('..')) return null;
  return p;
}

const optionIn = (list: readonly string[], opt: string) => list.some((o) => (o.endsWith('*') ? opt.startsWith(o.slice(0, -1)) : opt === o));

function packageCommand(manager: PackageManager, args: ShNode[], words: (string | null)[], out: SystemInstall): boolean {
  const fam = manager.family;
  const valueOpts = manager.valueOpts;
  let sub: string | null = fam === 'dpkg' ? 'dpkg' : null;
  let dpkgInstall = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === null || w === undefined) {
      // a word with expansions: fine as a package name, but it could also name a local file
      if (sub === null) return false;
      if (isOptionWord(args[i]) || isVersionPin(args[i])) continue;
      out.dynamicOperands = true;
      continue;
    }
    if (isOption(w)) {
      const eq = w.indexOf('=');
      const opt = eq === -1 ? w : w.slice(0, eq);
      if (ROOT_OPTS.has(opt)) return false;
      let value: string | null | undefined = eq === -1 ? undefined : w.slice(eq + 1);
      if (value === undefined && valueOpts.has(opt)) {
        i++;
        value = words[i];
        if (value === null) { out.dynamicOperands = true; continue; }
        if (value === undefined) return false;
      }
      if (fam === 'dpkg' && (opt === '-i' || opt === '--install')) dpkgInstall = true;
      if (manager.onlyOpts && !optionIn(manager.onlyOpts, opt)) return false;
      if (typeof value === 'string' && value !== '') {
        if (FILE_OPTS.has(opt) && !isUrl(value)) out.files.push(value);
        // `-o Dir::Etc::SourceList=/x`, `--setopt=reposdir=/x`: a path in an option value is read
        const inner = value.slice(value.lastIndexOf('=') + 1);
        if (!FILE_OPTS.has(opt) && inner.startsWith('/')) out.files.push(inner);
      }
      continue;
    }
    if (sub === null) {
      if (!manager.subcommands.has(w)) return false;
      sub = w;
      continue;
    }
    if (fam === 'dpkg') {
      if (!dpkgInstall) continue; // --add-architecture's value was consumed above; `--configure -a` has none
      out.files.push(w);
      continue;
    }
    if (manager.installs.has(sub) && looksLikeFile(w) && !isUrl(w)) out.files.push(w);
  }
  return sub !== null;
}

/** `curl=${V}`, `"curl=${V}"`: a package name with a version, never a file. */
const isVersionPin = (w: ShNode): boolean => {
  let first = w?.Parts?.[0];
  if (nodeType(first) === 'DblQuoted') first = first.Parts?.[0];
  return nodeType(first) === 'Lit' && /^[A-Za-z0-9][A-Za-z0-9.+_-]*=/.test(String(first.Value));
};

const isOptionWord = (w: ShNode): boolean => {
  const first = w?.Parts?.[0];
  return nodeType(first) === 'Lit' && String(first.Value).startsWith('-');
};
