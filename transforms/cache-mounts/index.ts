/**
 * cache-mounts: gives package-manager RUNs a BuildKit cache mount at the directory the tool really
 * downloads to, and drops the flags and clean-ups in that RUN that would empty or bypass the cache.
 *
 * The target is resolved per command: the effective USER and HOME at the RUN (Dockerfile USER/ENV, the
 * base-image table in src/cache-mounts-table.ts, users created with useradd/adduser), then the tool's own
 * override variables (ENV, inline `VAR=x cmd`, command-line flags such as `--cache-dir`). A non-root user
 * gets `uid=`/`gid=` on the mount. Ecosystems: apt, apk, dnf/yum/microdnf, zypper, pip, Poetry, uv, pipenv,
 * npm, Yarn classic and berry, pnpm, bun, Go, Maven, Gradle, Cargo, Bundler, Composer, NuGet/dotnet.
 * The file gets a `# syntax=docker/dockerfile:1` directive as its first line (unless it has one, or
 * --no-syntax-directive).
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
import { DocView, execArgs, isExecForm } from '../../src/document.js';
import { applyEdits, insertAt, removeRange, replaceRange, sortEdits, type Edit } from '../../src/edits.js';
import { isSuppressed } from '../../src/pipeline.js';
import { Op, nodeType, parseShell, runShellView, simpleCommands, wordLit, type ParsedShell, type ShNode, type ShellView, type SimpleCommand } from '../../src/shell.js';
import { instructionStates, shellProblem, type InstructionState } from '../../src/stages.js';
import type { Outcome, Transform, TransformContext } from '../../src/types.js';
import { TOOL_NAMES, baseImageFacts, isPipName, isPythonName, subcommand, type BaseImageFacts, type KnownUser } from './table.js';

export interface CacheMountsOptions {
  /** Do not add `# syntax=docker/dockerfile:1` (builders that cannot pull the frontend image). */
  noSyntaxDirective: boolean;
  [key: string]: unknown;
}

export const SYNTAX_DIRECTIVE = '# syntax=docker/dockerfile:1';
const DOCKER_CLEAN = '/etc/apt/apt.conf.d/docker-clean';
const APT_KEEP_STEP = `rm -f ${DOCKER_CLEAN} && echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache && `;
const APT_KEEP_WORDS: string[][] = [['rm', '-f', DOCKER_CLEAN], ['echo', 'Binary::apt::APT::Keep-Downloaded-Packages "true";']];

type Eco = 'apt' | 'apk' | 'dnf' | 'zypper' | 'pip' | 'poetry' | 'uv' | 'pipenv' | 'npm' | 'yarn' | 'pnpm' | 'bun' | 'go' | 'maven' | 'gradle' | 'cargo' | 'bundler' | 'composer' | 'nuget';

const ECO_LABEL: Record<Eco, string> = {
  apt: 'apt', apk: 'apk', dnf: 'dnf/yum', zypper: 'zypper', pip: 'pip', poetry: 'Poetry', uv: 'uv', pipenv: 'pipenv', npm: 'npm',
  yarn: 'Yarn', pnpm: 'pnpm', bun: 'bun', go: 'Go', maven: 'Maven', gradle: 'Gradle', cargo: 'Cargo', bundler: 'Bundler', composer: 'Composer', nuget: 'NuGet',
};

/** A refusal raised deep in path resolution; caught per RUN. */
class Refusal extends Error {}
const refuse = (reason: string): never => { throw new Refusal(reason); };

interface Mount { target: string; locked: boolean; eco: Eco }

/** A package-manager command found in the RUN. */
interface ToolCmd {
  sc: SimpleCommand;
  eco: Eco;
  /** Basename of the tool word (apt-get, pip3, yarn, …). */
  tool: string;
  /** Index of the tool word in sc.words (2 for `python -m pip`). */
  at: number;
  sub: string | null;
}

export const cacheMounts: Transform<CacheMountsOptions> = {
  id: 'cache-mounts',
  summary: 'Add BuildKit cache mounts to package-manager RUNs at the path the tool really uses, and drop what empties the cache',
  safety: 'build-only',
  defaults: { noSyntaxDirective: false },
  flags: {
    'no-syntax-directive': { key: 'noSyntaxDirective', type: 'boolean', help: 'do not add "# syntax=docker/dockerfile:1" (builders that cannot pull the frontend image)' },
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
    if (!ctx.options.noSyntaxDirective && outcomes.some((o) => o.kind === 'rewrite') && !hasSyntaxDirective(doc)) {
      outcomes.push({
        kind: 'rewrite',
        line: 1,
        message: `added the ${SYNTAX_DIRECTIVE} parser directive as the first line (RUN --mount needs the Dockerfile 1.2+ frontend)`,
        edits: [insertAt(0, SYNTAX_DIRECTIVE + doc.eol)],
      });
    }
    return outcomes;
  },
};

function hasSyntaxDirective(doc: DocView): boolean {
  return doc.dockerfile.getDirectives().some((d) => d.getName().toLowerCase() === 'syntax');
}

/* ------------------------------------------------------------------------------------------------ */
/* Finding package-manager commands                                                                  */
/* ------------------------------------------------------------------------------------------------ */

const base = (w: string | null | undefined): string | null => (w ? w.split('/').pop()! : null);

function detect(sc: SimpleCommand): ToolCmd | null {
  if (nodeType(sc.call) !== 'CallExpr') return null;
  const d = detectWords(sc.words);
  return d ? { ...d, sc } : null;
}

/** Which package manager a command's words run, without the syntax tree (also for CMD and later RUNs). */
function detectWords(w: (string | null)[]): Omit<ToolCmd, 'sc'> | null {
  let at = 0;
  let tool = base(w[0]);
  if (tool === null) return null;
  if (isPythonName(tool) && w[1] === '-m' && w[2] && (isPipName(w[2]) || w[2] === 'pipenv' || w[2] === 'poetry' || w[2] === 'uv')) {
    at = 2;
    tool = w[2];
  }
  const sub = (opts: string[] = []) => subcommand(w, at + 1, opts).name;
  const mk = (eco: Eco, s: string | null): Omit<ToolCmd, 'sc'> => ({ eco, tool: tool!, at, sub: s });
  switch (tool) {
    case 'apt-get': case 'apt': {
      const s = sub(['-o', '-c', '-t', '--option', '--config-file', '--target-release']);
      return s && ['update', 'install', 'upgrade', 'dist-upgrade', 'full-upgrade', 'build-dep', 'reinstall'].includes(s) ? mk('apt', s) : null;
    }
    case 'apk': {
      const s = sub(['-X', '--repository', '-p', '--root', '--virtual', '-t', '--cache-dir', '--arch', '--keys-dir', '--repositories-file']);
      return s && ['add', 'upgrade', 'update', 'fix'].includes(s) ? mk('apk', s) : null;
    }
    case 'dnf': case 'dnf5': case 'yum': case 'microdnf': {
      const s = sub(['-c', '--config', '--releasever', '--installroot', '--repo', '--enablerepo', '--disablerepo', '-x', '--exclude']);
      return s && ['install', 'in', 'update', 'upgrade', 'up', 'reinstall', 'groupinstall', 'group', 'module', 'makecache', 'builddep', 'distro-sync', 'downgrade'].includes(s) ? mk('dnf', s) : null;
    }
    case 'zypper': {
      const s = sub(['-r', '--repo', '--root', '-D', '--reposd-dir', '-C', '--cache-dir']);
      return s && ['install', 'in', 'update', 'up', 'dist-upgrade', 'dup', 'patch', 'refresh', 'ref', 'source-install', 'si'].includes(s) ? mk('zypper', s) : null;
    }
    case 'poetry': {
      const s = sub(['-C', '--directory', '-P', '--project']);
      return s && ['install', 'add', 'update', 'lock', 'sync'].includes(s) ? mk('poetry', s) : null;
    }
    case 'uv': {
      const s = sub(['--cache-dir', '--directory', '--project', '--config-file']);
      return s && ['sync', 'add', 'lock', 'pip', 'tool', 'run', 'export'].includes(s) ? mk('uv', s) : null;
    }
    case 'pipenv': {
      const s = sub();
      return s && ['install', 'sync', 'lock', 'update', 'upgrade'].includes(s) ? mk('pipenv', s) : null;
    }
    case 'npm': {
      const s = sub(['--prefix', '--cache', '-w', '--workspace']);
      return s && ['install', 'i', 'ci', 'add', 'update', 'up', 'install-clean', 'isntall', 'in'].includes(s) ? mk('npm', s) : null;
    }
    case 'yarn': {
      const s = sub(['--cwd', '--cache-folder', '--modules-folder']);
      if (s === null && w.length > at + 1 && w.slice(at + 1).some((x) => x === null)) return null;
      return s === null || ['install', 'add', 'upgrade', 'up', 'global', 'workspaces', 'dlx'].includes(s) ? mk('yarn', s) : null;
    }
    case 'pnpm': {
      const s = sub(['-C', '--dir', '--filter', '-F', '--store-dir']);
      return s && ['install', 'i', 'add', 'fetch', 'update', 'up', 'deploy'].includes(s) ? mk('pnpm', s) : null;
    }
    case 'bun': {
      const s = sub(['--cache-dir', '--cwd']);
      return s && ['install', 'i', 'add'].includes(s) ? mk('bun', s) : null;
    }
    case 'go': {
      const s = sub(['-C']);
      return s && ['build', 'install', 'test', 'get', 'generate', 'vet', 'run', 'list', 'mod'].includes(s) ? mk('go', s) : null;
    }
    case 'mvn': case 'mvnw': return mk('maven', null);
    case 'gradle': case 'gradlew': return mk('gradle', null);
    case 'cargo': {
      const s = sub(['--manifest-path', '--target-dir', '--config', '-Z']);
      return s && ['build', 'b', 'install', 'fetch', 'test', 't', 'check', 'c', 'run', 'r', 'doc', 'clippy', 'bench', 'vendor', 'update', 'generate-lockfile', 'chef'].includes(s) ? mk('cargo', s) : null;
    }
    case 'bundle': case 'bundler': {
      const s = sub(['--gemfile', '--jobs', '-j']);
      return s === null || ['install', 'update', 'lock'].includes(s) ? mk('bundler', s) : null;
    }
    case 'composer': {
      const s = sub(['-d', '--working-dir']);
      return s && ['install', 'i', 'update', 'u', 'upgrade', 'require', 'r', 'create-project', 'reinstall'].includes(s) ? mk('composer', s) : null;
    }
    case 'dotnet': {
      const s = sub();
      return s && ['restore', 'build', 'publish', 'test', 'pack', 'run'].includes(s) ? mk('nuget', s) : null;
    }
    case 'nuget': {
      const s = sub();
      return s && ['restore', 'install'].includes(s) ? mk('nuget', s) : null;
    }
    default:
      if (isPipName(tool)) {
        const s = sub(['-r', '--requirement', '-c', '--constraint', '--cache-dir', '-t', '--target', '--prefix', '--root', '-i', '--index-url']);
        return s && ['install', 'download', 'wheel'].includes(s) ? mk('pip', s) : null;
      }
      return null;
  }
}

/** The ecosystem whose whole cache this command empties (`apt-get clean`, `npm cache clean --force`, …). */
function cleanupEco(w: (string | null)[]): Eco | null {
  let tool = base(w[0]);
  let at = 0;
  if (tool && isPythonName(tool) && w[1] === '-m' && w[2]) { tool = w[2]; at = 2; }
  if (!tool) return null;
  const a = w[at + 1], b = w[at + 2];
  const rest = w.slice(at + 1);
  if ((tool === 'apt-get' || tool === 'apt') && rest.every((x) => x !== null) && subcommand(w, at + 1).name !== null) {
    const s = subcommand(w, at + 1).name;
    return s === 'clean' || s === 'autoclean' ? 'apt' : null;
  }
  if (tool === 'apk' && a === 'cache' && (b === 'clean' || b === 'purge')) return 'apk';
  if (['dnf', 'dnf5', 'yum', 'microdnf'].includes(tool) && subcommand(w, at + 1).name === 'clean') return 'dnf';
  if (tool === 'zypper' && ['clean', 'cc'].includes(subcommand(w, at + 1).name ?? '')) return 'zypper';
  if (isPipName(tool) && a === 'cache' && (b === 'purge' || b === 'remove')) return 'pip';
  if (tool === 'npm' && a === 'cache' && (b === 'clean' || b === 'rm' || b === 'clear')) return 'npm';
  if (tool === 'yarn' && a === 'cache' && b === 'clean') return 'yarn';
  if (tool === 'pnpm' && a === 'store' && b === 'prune') return 'pnpm';
  if (tool === 'bun' && a === 'pm' && b === 'cache' && w[at + 3] === 'rm') return 'bun';
  if (tool === 'go' && a === 'clean' && rest.slice(1).length > 0 && rest.slice(1).every((x) => x === '-cache' || x === '-modcache' || x === '-testcache' || x === '-fuzzcache')) return 'go';
  if (tool === 'poetry' && a === 'cache' && b === 'clear') return 'poetry';
  if (tool === 'uv' && a === 'cache' && (b === 'clean' || b === 'prune')) return 'uv';
  if (tool === 'composer' && ['clear-cache', 'clearcache', 'cc'].includes(a ?? '')) return 'composer';
  if (tool === 'dotnet' && a === 'nuget' && b === 'locals' && rest.includes('--clear')) return 'nuget';
  return null;
}

/* ------------------------------------------------------------------------------------------------ */
/* Users, HOME and variables                                                                         */
/* ------------------------------------------------------------------------------------------------ */

interface ResolvedUser {
  root: boolean;
  uid: number | null;
  gid: number | null;
  home: string | null;
  label: string;
}

/** The instructions that ran before `ins` in its image: ancestor stages (FROM <stage>) and its own stage. */
function instructionsBefore(doc: DocView, ins: Instruction, st: InstructionState): Instruction[] {
  const stages = doc.stages();
  const chain: Instruction[][] = [];
  let stage = st.stage;
  const seen = new Set<number>();
  while (stage && !seen.has(stage.index)) {
    seen.add(stage.index);
    chain.unshift(stage === st.stage ? stage.instructions.slice(0, stage.instructions.indexOf(ins)) : stage.instructions);
    const parentName = stage.from.getImage()?.toLowerCase() ?? '';
    const parent = stages.find((s) => s.index < stage!.index && (s.name === parentName || String(s.index) === parentName));
    if (!parent) break;
    stage = parent;
  }
  return chain.flat();
}

/** Users created by useradd/adduser in the RUNs before: name → uid/gid/home when given. */
function createdUsers(doc: DocView, before: Instruction[]): Map<string, { uid: number | null; gid: number | null; home: string }> {
  const out = new Map<string, { uid: number | null; gid: number | null; home: string }>();
  for (const ins of before) {
    if (ins.getKeyword() !== 'RUN' || isExecForm(ins)) continue;
    const view = runShellView(doc, ins);
    if (!view) continue;
    const parsed = parseShell(view.text);
    if ('error' in parsed) continue;
    for (const c of simpleCommands(parsed.file)) {
      const name0 = base(c.words[0]);
      if (name0 !== 'useradd' && name0 !== 'adduser') continue;
      let uid: number | null = null, gid: number | null = null, home: string | null = null, user: string | null = null;
      const w = c.words;
      for (let i = 1; i < w.length; i++) {
        const x = w[i];
        if (x === null || x === undefined) { user = null; continue; }
        const val = () => w[++i] ?? null;
        const eq = x.indexOf('=');
        const [flag, inline] = x.startsWith('--') && eq > 0 ? [x.slice(0, eq), x.slice(eq + 1)] : [x, null];
        const v = () => (inline !== null ? inline : val());
        if (flag === '-u' || flag === '--uid') uid = num(v());
        else if (flag === '-g' || flag === '--gid') gid = num(v());
        else if (flag === '-d' || flag === '--home-dir' || flag === '--home' || (flag === '-h' && name0 === 'adduser')) home = v();
        else if (['-G', '--groups', '-s', '--shell', '-c', '--comment', '--gecos', '-k', '--skel', '-e', '--expiredate', '-f', '--inactive', '-K', '--key', '-p', '--password', '--ingroup', '--firstuid', '--lastuid', '-R', '--root', '-Z', '--selinux-user'].includes(flag)) { if (inline === null) i++; }
        else if (x.startsWith('-')) continue;
        else user = x;
      }
      if (user !== null) out.set(user, { uid, gid, home: home ?? `/home/${user}` });
    }
  }
  return out;
}

const num = (s: string | null): number | null => (s !== null && /^\d+$/.test(s) ? Number(s) : null);

function resolveUser(doc: DocView, ins: Instruction, st: InstructionState, facts: BaseImageFacts): ResolvedUser {
  const root: ResolvedUser = { root: true, uid: 0, gid: 0, home: '/root', label: 'root' };
  const known = (u: KnownUser): ResolvedUser => ({ root: false, uid: u.uid, gid: u.gid, home: u.home, label: u.name });
  if (st.user === null) return facts.defaultUser ? known(facts.defaultUser) : root;
  const spec = st.user;
  if (spec.includes('$')) refuse(`USER ${spec} uses a variable, so the user running the RUN (and its cache directory) is not known`);
  const [name, group] = spec.split(':') as [string, string | undefined];
  if (name === 'root' || name === '0') return root;
  const gidOf = (fallback: number | null) => (group === undefined ? fallback : num(group));
  const created = createdUsers(doc, instructionsBefore(doc, ins, st));
  if (/^\d+$/.test(name)) {
    const uid = Number(name);
    for (const [uname, u] of created) if (u.uid === uid) return { root: false, uid, gid: gidOf(u.gid), home: u.home, label: `${uname} (uid ${uid})` };
    const img = facts.users?.find((u) => u.uid === uid);
    if (img) return { root: false, uid, gid: gidOf(img.gid), home: img.home, label: `${img.name} (uid ${uid})` };
    // not in /etc/passwd as far as we can tell: Docker runs it with HOME=/ and the root group
    return { root: false, uid, gid: group === undefined ? null : num(group), home: null, label: `uid ${uid}` };
  }
  const c = created.get(name);
  if (c) return { root: false, uid: c.uid, gid: gidOf(c.gid), home: c.home, label: name };
  const img = facts.users?.find((u) => u.name === name);
  if (img) return { root: false, uid: img.uid, gid: gidOf(img.gid), home: img.home, label: name };
  return { root: false, uid: null, gid: gidOf(null), home: null, label: name };
}

/** Variable and path resolution for one command of one RUN. */
class Resolver {
  constructor(
    private readonly st: InstructionState,
    private readonly facts: BaseImageFacts,
    readonly user: ResolvedUser,
    private readonly setInRun: Set<string>,
    private readonly inline: Map<string, string | null>,
  ) {}

  /** The value of an environment variable at the command, undefined when unset; refuses when it can vary. */
  env(name: string): string | undefined {
    if (this.inline.has(name)) {
      const v = this.inline.get(name);
      if (v === null || v === undefined) return refuse(`${name} is set on the command with a value that is only known at run time`);
      return v;
    }
    if (this.setInRun.has(name)) return refuse(`${name} is set inside the RUN (export or assignment), so the cache location is not known`);
    if (this.st.env.has(name)) return this.expand(this.st.env.get(name)!, name);
    if (this.st.args.has(name)) return refuse(`${name} is a build argument (ARG), so the cache location can change from build to build`);
    return this.facts.env?.[name];
  }

  /** Like env() but ignoring inline assignments on the command (those this transform removes). */
  envOutsideCommand(name: string): string | undefined {
    return new Resolver(this.st, this.facts, this.user, this.setInRun, new Map()).env(name);
  }

  /** `$X`/`${X}` in an ENV value, expanded from what is known; refuses on anything fancier. */
  private expand(value: string, name: string, depth = 0): string {
    if (depth > 5) return refuse(`${name} refers to itself`);
    return value.replace(/\$(\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, _a, braced: string | undefined, rest: string | undefined, bare: string | undefined) => {
      const v = braced ?? bare!;
      if (rest) return refuse(`ENV ${name} uses \${${v}${rest}}, which this transform does not expand`);
      const got = v === 'HOME' ? this.home() : this.env(v);
      if (got === undefined) return refuse(`ENV ${name} refers to $${v}, whose value is not known`);
      return got;
    });
  }

  home(): string {
    const h = this.env('HOME');
    if (h !== undefined) return h;
    if (this.user.home !== null) return this.user.home;
    return refuse(`the RUN runs as ${this.user.label}, whose home directory is not known from the Dockerfile (set ENV HOME, or the tool's cache variable, to choose the cache path)`);
  }

  xdg(name: 'XDG_CACHE_HOME' | 'XDG_DATA_HOME' | 'XDG_CONFIG_HOME'): string | undefined { return this.env(name); }

  cacheHome(): string { return this.xdg('XDG_CACHE_HOME') ?? `${this.home()}/.cache`; }
}

/* ------------------------------------------------------------------------------------------------ */
/* Words and paths                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

/** A word's value with `~`, `$HOME` and known variables expanded; null when it cannot be known. */
function wordValue(word: ShNode, r: Resolver): string | null {
  const lit = wordLit(word);
  if (lit !== null) {
    if (lit === '~' || lit.startsWith('~/')) {
      if ((word.Parts[0] && nodeType(word.Parts[0]) !== 'Lit')) return lit; // quoted ~ is literal
      return r.home() + lit.slice(1);
    }
    return lit;
  }
  let out = '';
  const param = (p: ShNode): string | null => {
    if (p.Exp || p.Slice || p.Repl || p.Length || p.Excl || p.Index || p.Names) return null;
    const name = p.Param?.Value as string;
    if (name === 'HOME') return r.home();
    return r.env(name) ?? null;
  };
  for (const part of word.Parts as ShNode[]) {
    const t = nodeType(part);
    if (t === 'Lit') out += (part.Value as string).replace(/\\(.)/g, '$1');
    else if (t === 'SglQuoted') out += part.Value as string;
    else if (t === 'ParamExp') { const v = param(part); if (v === null) return null; out += v; }
    else if (t === 'DblQuoted') {
      for (const p of part.Parts as ShNode[]) {
        const tt = nodeType(p);
        if (tt === 'Lit') out += p.Value as string;
        else if (tt === 'ParamExp') { const v = param(p); if (v === null) return null; out += v; }
        else return null;
      }
    } else return null;
  }
  return out;
}

/** Normalises an absolute path: no trailing slash, no `//`, `.` and `..` resolved; null when relative. */
function normPath(p: string): string | null {
  if (!p.startsWith('/')) return null;
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop(); else parts.push(seg);
  }
  return '/' + parts.join('/');
}

const inside = (p: string, dir: string) => p === dir || dir === '/' || p.startsWith(dir + '/');
const overlaps = (a: string, b: string) => inside(a, b) || inside(b, a);

/** Value of an option in `--opt X`, `--opt=X` or `-o X` form among the command's words (first match). */
function optionValue(sc: SimpleCommand, r: Resolver, names: string[], from: number): { value: string | null; present: boolean } {
  const args = sc.call.Args as ShNode[];
  for (let i = from; i < args.length; i++) {
    const lit = sc.words[i];
    if (lit === null || lit === undefined) continue;
    for (const n of names) {
      if (lit === n) return { value: args[i + 1] ? wordValue(args[i + 1], r) : null, present: true };
      if (n.startsWith('--') && lit.startsWith(n + '=')) return { value: lit.slice(n.length + 1), present: true };
      if (!n.startsWith('--') && n.length === 2 && lit.startsWith(n) && lit.length > 2 && n !== '-o') return { value: lit.slice(2), present: true };
    }
  }
  return { value: null, present: false };
}

function absTarget(path: string | undefined | null, what: string): string {
  if (path === undefined || path === null) return refuse(`${what} is not known`);
  const n = normPath(path);
  if (n === null) return refuse(`${what} (${path}) is a relative path, so the cache directory depends on the working directory`);
  if (n === '/') return refuse(`${what} is /, which cannot be a cache mount`);
  if (/[,="'\s$`\\]/.test(n)) return refuse(`${what} (${n}) contains characters a --mount option cannot hold`);
  return n;
}

/* ------------------------------------------------------------------------------------------------ */
/* Targets per ecosystem                                                                             */
/* ------------------------------------------------------------------------------------------------ */

interface EcoContext {
  doc: DocView;
  ctx: TransformContext<CacheMountsOptions>;
  before: Instruction[];
  allCmds: SimpleCommand[];
}

function requireRoot(t: ToolCmd, r: Resolver): void {
  if (!r.user.root) refuse(`${t.tool} runs as ${r.user.label}, not root, so it cannot install system packages here`);
}

function targetsFor(t: ToolCmd, r: Resolver, ec: EcoContext): Mount[] {
  const m = (target: string, locked = false): Mount => ({ target, locked, eco: t.eco });
  const opt = (names: string[]) => optionValue(t.sc, r, names, t.at + 1);
  const fromOpt = (names: string[], tool: string): string | null => {
    const o = opt(names);
    return o.present ? absTarget(o.value, `the ${names[0]} value of ${tool}`) : null;
  };
  switch (t.eco) {
    case 'apt':
      requireRoot(t, r);
      return [m('/var/cache/apt', true), m('/var/lib/apt', true)];
    case 'apk':
      requireRoot(t, r);
      if (opt(['--cache-dir']).present || opt(['-p', '--root']).present) refuse('apk is given --cache-dir or --root, so its cache location is not the default one');
      return [m('/etc/apk/cache', true)];
    case 'dnf': {
      requireRoot(t, r);
      if (t.sc.words.some((w) => w !== null && /^--setopt=cachedir=/.test(w))) refuse(`${t.tool} is given --setopt=cachedir, so its cache location is not the default one`);
      if (t.tool === 'dnf5') return [m('/var/cache/libdnf5', true)];
      if (t.tool === 'dnf') return [m('/var/cache/dnf', true), m('/var/cache/libdnf5', true)];
      if (t.tool === 'yum') return [m('/var/cache/yum', true), m('/var/cache/dnf', true)];
      return [m('/var/cache/yum', true)];
    }
    case 'zypper':
      requireRoot(t, r);
      if (opt(['-C', '--cache-dir']).present) refuse('zypper is given --cache-dir, so its cache location is not the default one');
      return [m('/var/cache/zypp', true)];
    case 'pip': {
      if (noCacheValue(r.envOutsideCommand('PIP_NO_CACHE_DIR'))) refuse('PIP_NO_CACHE_DIR is set for the RUN (ENV), so pip would not use a cache mount; remove it first');
      const own = fromOpt(['--cache-dir'], 'pip');
      return [m(own ?? absTarget(r.env('PIP_CACHE_DIR') ?? `${r.cacheHome()}/pip`, 'the pip cache directory'))];
    }
    case 'poetry': {
      const cache = absTarget(r.env('POETRY_CACHE_DIR') ?? `${r.cacheHome()}/pypoetry`, 'the Poetry cache directory');
      if (['install', 'add', 'update', 'sync'].includes(t.sub ?? '')) poetryVenvCheck(r, cache, ec);
      return [m(cache)];
    }
    case 'uv': {
      if (noCacheValue(r.envOutsideCommand('UV_NO_CACHE'))) refuse('UV_NO_CACHE is set for the RUN, so uv would not use a cache mount; remove it first');
      const own = fromOpt(['--cache-dir'], 'uv');
      const lm = r.env('UV_LINK_MODE') ?? opt(['--link-mode']).value ?? undefined;
      if (lm === 'symlink') refuse('uv links installed files as symlinks into its cache (UV_LINK_MODE=symlink), which would point into the cache mount');
      const cache = own ?? absTarget(r.env('UV_CACHE_DIR') ?? `${r.cacheHome()}/uv`, 'the uv cache directory');
      const venv = r.env('UV_PROJECT_ENVIRONMENT');
      if (venv !== undefined && normPath(venv) !== null && overlaps(normPath(venv)!, cache)) refuse(`UV_PROJECT_ENVIRONMENT (${venv}) is inside the uv cache directory, so the installed packages would stay in the cache mount`);
      return [m(cache)];
    }
    case 'pipenv':
      return [
        m(absTarget(r.env('PIPENV_CACHE_DIR') ?? `${r.cacheHome()}/pipenv`, 'the pipenv cache directory')),
        m(absTarget(r.env('PIP_CACHE_DIR') ?? `${r.cacheHome()}/pip`, 'the pip cache directory')),
      ];
    case 'npm': {
      const own = fromOpt(['--cache'], 'npm');
      return [m(own ?? absTarget(r.env('npm_config_cache') ?? r.env('NPM_CONFIG_CACHE') ?? `${r.home()}/.npm`, 'the npm cache directory'))];
    }
    case 'yarn': return [m(yarnCache(t, r, ec))];
    case 'pnpm': {
      const own = fromOpt(['--store-dir'], 'pnpm');
      if (own) return [m(own)];
      const explicit = r.env('npm_config_store_dir') ?? r.env('pnpm_config_store_dir') ?? r.env('PNPM_STORE_DIR');
      if (explicit !== undefined) return [m(absTarget(explicit, 'the pnpm store directory'))];
      const ph = r.env('PNPM_HOME');
      if (ph !== undefined) return [m(absTarget(`${ph}/store`, 'the pnpm store directory'))];
      return [m(absTarget(`${r.xdg('XDG_DATA_HOME') ?? `${r.home()}/.local/share`}/pnpm/store`, 'the pnpm store directory'))];
    }
    case 'bun': {
      const own = fromOpt(['--cache-dir'], 'bun');
      if (own) return [m(own)];
      const bi = r.env('BUN_INSTALL');
      return [m(absTarget(r.env('BUN_INSTALL_CACHE_DIR') ?? `${bi ?? `${r.home()}/.bun`}/install/cache`, 'the bun cache directory'))];
    }
    case 'go': {
      const gopath = (r.env('GOPATH') ?? `${r.home()}/go`).split(':')[0]!;
      const mod = absTarget(r.env('GOMODCACHE') ?? `${gopath}/pkg/mod`, 'the Go module cache (GOMODCACHE)');
      if (t.sub === 'mod') return [m(mod)];
      const gc = r.env('GOCACHE');
      if (gc === 'off') refuse('GOCACHE=off disables the Go build cache');
      return [m(mod), m(absTarget(gc ?? `${r.cacheHome()}/go-build`, 'the Go build cache (GOCACHE)'))];
    }
    case 'maven': {
      const fromArgs = t.sc.words.find((w) => w !== null && w.startsWith('-Dmaven.repo.local='));
      let repo = fromArgs ? fromArgs.slice('-Dmaven.repo.local='.length) : undefined;
      if (repo === undefined) {
        const opts = r.env('MAVEN_OPTS') ?? '';
        const mm = opts.split(/\s+/).find((x) => x.startsWith('-Dmaven.repo.local='));
        if (mm) repo = mm.slice('-Dmaven.repo.local='.length);
      }
      if (repo === undefined && t.sc.words.some((w) => w === null)) refuse('mvn has arguments with expansions, which could set -Dmaven.repo.local');
      for (const f of ['.mvn/maven.config', '.mvn/jvm.config']) {
        if ((ec.ctx.buildContext.readText(f) ?? '').includes('maven.repo.local')) refuse(`${f} sets maven.repo.local, which this transform does not read`);
      }
      return [m(absTarget(repo ?? `${r.home()}/.m2/repository`, 'the Maven local repository'))];
    }
    case 'gradle': {
      const own = opt(['-g', '--gradle-user-home']);
      const guh = own.present ? absTarget(own.value, 'the --gradle-user-home value') : absTarget(r.env('GRADLE_USER_HOME') ?? `${r.home()}/.gradle`, 'the Gradle user home');
      return [m(`${guh}/caches`), m(`${guh}/wrapper`)];
    }
    case 'cargo': {
      const ch = absTarget(r.env('CARGO_HOME') ?? `${r.home()}/.cargo`, 'CARGO_HOME');
      return [m(`${ch}/registry`), m(`${ch}/git/db`)];
    }
    case 'bundler': {
      if (r.env('BUNDLE_PATH') !== undefined || r.env('BUNDLE_DEPLOYMENT') !== undefined) refuse('BUNDLE_PATH/BUNDLE_DEPLOYMENT is set, so Bundler keeps downloaded gems under $BUNDLE_PATH/ruby/<ruby version>/cache, whose Ruby version is not known here');
      if (t.sc.words.some((w) => w === '--path' || w === '--deployment' || (w ?? '').startsWith('--path='))) refuse('bundle install is given --path/--deployment, so the gems go to a project directory');
      if (ec.allCmds.some((c) => base(c.words[0]) === 'bundle' && c.words[1] === 'config')) refuse('the RUN changes Bundler settings (bundle config), so the gem location is not known');
      if (ec.ctx.buildContext.exists('.bundle/config')) refuse('the build context has a .bundle/config, whose settings may move the gem location');
      const gh = r.env('GEM_HOME');
      if (gh === undefined) refuse('GEM_HOME is not known (set ENV GEM_HOME, as the official ruby images do), so the gem download cache ($GEM_HOME/cache) cannot be located');
      return [m(absTarget(`${gh}/cache`, 'the RubyGems download cache'))];
    }
    case 'composer': {
      const cd = r.env('COMPOSER_CACHE_DIR');
      if (cd !== undefined) return [m(absTarget(cd, 'COMPOSER_CACHE_DIR'))];
      const ch = r.env('COMPOSER_HOME');
      if (ch !== undefined) return [m(absTarget(`${ch}/cache`, 'the Composer cache directory'))];
      const xc = r.xdg('XDG_CACHE_HOME');
      if (xc !== undefined) return [m(absTarget(`${xc}/composer`, 'the Composer cache directory'))];
      // Composer picks ~/.cache/composer when it detects XDG, ~/.composer/cache otherwise: mount both
      return [m(absTarget(`${r.home()}/.cache/composer`, 'the Composer cache directory')), m(absTarget(`${r.home()}/.composer/cache`, 'the Composer cache directory'))];
    }
    case 'nuget': {
      const own = fromOpt(['--packages'], 'dotnet');
      return [m(own ?? absTarget(r.env('NUGET_PACKAGES') ?? `${r.home()}/.nuget/packages`, 'the NuGet packages folder'))];
    }
  }
}

const noCacheValue = (v: string | undefined) => v !== undefined && !['', '0', 'false', 'off', 'no'].includes(v.toLowerCase());
const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
const falsy = (v: string | undefined) => v !== undefined && ['0', 'false', 'no', 'off'].includes(v.toLowerCase());

function poetryVenvCheck(r: Resolver, cache: string, ec: EcoContext): void {
  let create = r.env('POETRY_VIRTUALENVS_CREATE');
  let inProject = r.env('POETRY_VIRTUALENVS_IN_PROJECT');
  let path = r.env('POETRY_VIRTUALENVS_PATH');
  // `poetry config virtualenvs.x y` before (earlier RUNs or this one) persists in the user's config
  const cmds: (string | null)[][] = [];
  for (const ins of ec.before) {
    if (ins.getKeyword() !== 'RUN' || isExecForm(ins)) continue;
    const v = runShellView(ec.doc, ins);
    const p = v ? parseShell(v.text) : null;
    if (p && !('error' in p)) for (const c of simpleCommands(p.file)) cmds.push(c.words);
  }
  for (const c of ec.allCmds) cmds.push(c.words);
  for (const w of cmds) {
    if (base(w[0]) !== 'poetry' || w[1] !== 'config') continue;
    const args = w.slice(2).filter((x) => x !== '--local');
    if (args[0] === 'virtualenvs.create') create = args[1] ?? undefined;
    if (args[0] === 'virtualenvs.in-project') inProject = args[1] ?? undefined;
    if (args[0] === 'virtualenvs.path') path = args[1] ?? undefined;
  }
  const local = ec.ctx.buildContext.readText('poetry.toml') ?? '';
  if (/in-project\s*=\s*true/.test(local)) inProject = 'true';
  if (/create\s*=\s*false/.test(local)) create = 'false';
  if (falsy(create) || truthy(inProject)) return;
  const venvDir = path !== undefined ? normPath(path) : `${cache}/virtualenvs`;
  if (venvDir === null || overlaps(venvDir, cache)) {
    refuse(`Poetry creates its virtualenv inside its cache directory (${cache}/virtualenvs) by default, so the installed packages would stay in the cache mount and be missing from the image; set POETRY_VIRTUALENVS_CREATE=false or POETRY_VIRTUALENVS_IN_PROJECT=true first`);
  }
}

/** Yarn classic or berry, from the build context. */
function yarnFlavor(ec: EcoContext): 'classic' | 'berry' | 'berry-global' | null {
  const bc = ec.ctx.buildContext;
  let major: number | null = null;
  try {
    const pkg = JSON.parse(bc.readText('package.json') ?? 'null') as { packageManager?: string } | null;
    const mm = /^yarn@(\d+)/.exec(pkg?.packageManager ?? '');
    if (mm) major = Number(mm[1]);
  } catch { /* unreadable package.json: decide from the other files */ }
  const rc = bc.readText('.yarnrc.yml');
  if (rc !== null && /^\s*enableGlobalCache\s*:\s*true\b/m.test(rc)) return 'berry-global';
  if (rc !== null && /^\s*enableGlobalCache\s*:\s*false\b/m.test(rc)) return 'berry';
  if (major !== null) return major === 1 ? 'classic' : major >= 4 ? 'berry-global' : 'berry';
  if (rc !== null) return 'berry';
  const lock = bc.readText('yarn.lock');
  if (lock !== null) return lock.includes('# yarn lockfile v1') ? 'classic' : lock.includes('__metadata:') ? 'berry' : null;
  if (bc.exists('.yarnrc')) return 'classic';
  return null;
}

function yarnCache(t: ToolCmd, r: Resolver, ec: EcoContext): string {
  const flavor = yarnFlavor(ec);
  if (flavor === null) refuse('cannot tell Yarn classic from Yarn 2+ (no package.json packageManager, .yarnrc.yml or yarn.lock in the build context), and their caches differ');
  if (flavor === 'berry') refuse('Yarn 2+ keeps its cache inside the project (.yarn/cache) unless enableGlobalCache is on, and that cache ships with the app');
  if (flavor === 'berry-global') {
    const gf = r.env('YARN_GLOBAL_FOLDER');
    return absTarget(`${gf ?? `${r.home()}/.yarn/berry`}/cache`, 'the Yarn global cache');
  }
  const own = optionValue(t.sc, r, ['--cache-folder'], t.at + 1);
  if (own.present) return absTarget(own.value, 'the --cache-folder value of yarn');
  const env = r.env('YARN_CACHE_FOLDER');
  if (env !== undefined) return absTarget(env, 'YARN_CACHE_FOLDER');
  const xc = r.xdg('XDG_CACHE_HOME');
  if (xc !== undefined) return absTarget(`${xc}/yarn`, 'the Yarn cache directory');
  // Yarn 1 uses /usr/local/share/.cache/yarn for root, ~/.cache/yarn for others
  return r.user.root ? '/usr/local/share/.cache/yarn' : absTarget(`${r.home()}/.cache/yarn`, 'the Yarn cache directory');
}

/* ------------------------------------------------------------------------------------------------ */
/* The per-RUN analysis                                                                              */
/* ------------------------------------------------------------------------------------------------ */

/** Flags (and their value forms) that turn a tool's cache off, removed from the commands that get a mount. */
const DEFEATING_FLAGS: Partial<Record<Eco, string[]>> = {
  pip: ['--no-cache-dir'],
  poetry: ['--no-cache'],
  uv: ['--no-cache', '-n'],
  pipenv: [],
  bun: ['--no-cache'],
  composer: ['--no-cache'],
};
/** Inline `VAR=…` prefixes that turn the cache off. */
const DEFEATING_ENV: Partial<Record<Eco, string[]>> = { pip: ['PIP_NO_CACHE_DIR'], uv: ['UV_NO_CACHE'], pipenv: ['PIP_NO_CACHE_DIR'] };

/** Commands that use the tools at container start, which need the caches in the image. */
const RUNTIME_TOOLS: Partial<Record<Eco, (w: (string | null)[]) => boolean>> = {
  maven: (w) => ['mvn', 'mvnw'].includes(base(w[0]) ?? ''),
  gradle: (w) => ['gradle', 'gradlew'].includes(base(w[0]) ?? ''),
  go: (w) => base(w[0]) === 'go' && (w[1] === 'run' || w[1] === 'test'),
  cargo: (w) => base(w[0]) === 'cargo' && ['run', 'test', 'build'].includes(w[1] ?? ''),
  nuget: (w) => base(w[0]) === 'dotnet' && ['run', 'watch', 'test', 'build'].includes(w[1] ?? ''),
};

/** Offline switches in a later RUN that rely on what this RUN downloaded into the (now mounted) cache. */
const OFFLINE: Partial<Record<Eco, (w: (string | null)[]) => boolean>> = {
  maven: (w) => w.includes('-o') || w.includes('--offline'),
  gradle: (w) => w.includes('--offline'),
  pnpm: (w) => w.includes('--offline'),
  npm: (w) => w.includes('--offline'),
  yarn: (w) => w.includes('--offline'),
  cargo: (w) => w.includes('--offline') || w.includes('--frozen'),
  uv: (w) => w.includes('--offline'),
  nuget: (w) => w.includes('--no-restore'),
};

interface RunEdits {
  edits: Edit[];
  /** Expected simple-command words after the edit, for the re-parse check. */
  expected: (string | null)[][];
  notes: string[];
}

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
    if (TOOL_NAMES.has(base(arr[0]) ?? '') || arr.slice(0, 3).some((a) => /\b(apt-get|apk|pip3?|npm|yarn|pnpm|go|mvn|gradle|cargo|bundle|composer|dotnet|dnf|yum|zypper|poetry|uv|pipenv|bun)\b/.test(a) && arr.length <= 3)) {
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
    refuse(`the RUN runs as ${user.label}, whose uid is not known from the Dockerfile; a cache mount is owned by root unless it gets uid=, so ${[...ecos].map((e) => ECO_LABEL[e]).join(', ')} could not write to it (use a numeric USER or create the user with useradd -u)`);
  }

  // the image must not need what is at (or below) a target
  overlapChecks(doc, ins, st, mounts, states, ctx);
  for (const t of tools) outputInCacheCheck(t, resolvers.get(t)!, mounts);
  laterRunChecks(doc, ins, st, mounts, tools);
  offlineChecks(tools);
  if (ecos.has('apt')) aptChecks(doc, ins, st, all, tools);

  // cargo target/: only when the RUN copies the artifact out
  const outcomes: Outcome[] = [];
  const cargoBuild = tools.find((t) => t.eco === 'cargo' && ['build', 'b', 'test', 't', 'check', 'c', 'clippy', 'doc', 'bench'].includes(t.sub ?? ''));
  if (cargoBuild) {
    const tm = cargoTargetMount(doc, ins, st, all, cargoBuild, resolvers.get(cargoBuild)!, states);
    if (typeof tm === 'string') outcomes.push({ kind: 'refuse', line, reason: tm });
    else mounts.push(tm);
  }

  // existing mounts: a target that is already mounted (or covered) is left alone
  const existing = existingMountTargets(doc, ins, resolvers.get(tools[0]!)!);
  const toAdd = mounts.filter((mt) => !existing.some((e) => overlaps(e, mt.target) || (mt.eco === 'apk' && e === '/var/cache/apk')));
  // every target is now either added or already mounted, so each of these ecosystems has its cache
  const mounted = new Set(mounts.map((x) => x.eco));

  const plan = planEdits(doc, ins, view, parsed, all, tools, mounts, mounted, resolvers, before, aptKept);
  // a one-line RUN stays one line; a continued RUN gets one flag (and the apt step) per line
  const r = ins.getRange();
  const multiline = r.end.line > r.start.line;
  const sep = multiline ? ` ${doc.escapeChar}${doc.eol}${doc.continuationIndentOf([ins])}` : ' ';
  const pieces = toAdd.map((mt) => mountFlag(mt, user) + sep);
  if (plan.aptKeep) {
    // follow the RUN's own chaining style: `&& cmd` at the start of continuation lines, or `cmd && \` at their end
    const leading = multiline && Array.from({ length: r.end.line - r.start.line }, (_, k) => doc.lineText(r.start.line + 1 + k).trimStart()).some((t) => t.startsWith('&&'));
    pieces.push(!multiline ? APT_KEEP_STEP : leading ? APT_KEEP_STEP.replace(/ && /g, `${sep}&& `) : APT_KEEP_STEP.trimEnd() + sep);
  }
  const insertion = pieces.join('');
  // the flags go first: an inserted `UV_LINK_MODE=copy ` may sit at the same offset and must follow them
  const edits = insertion ? [insertAt(view.docStart, insertion), ...plan.edits] : [...plan.edits];
  if (edits.length === 0) return outcomes;
  try { sortEdits(edits); } catch { refuse('the clean-ups to remove overlap each other; remove them by hand'); }

  verify(doc, ins, edits, toAdd.map((mt) => mountFlag(mt, user)), [...(plan.aptKeep ? APT_KEEP_WORDS : []), ...plan.expected]);

  const parts: string[] = [];
  if (toAdd.length) parts.push(`added cache mounts for ${[...new Set(toAdd.map((x) => ECO_LABEL[x.eco]))].join(', ')} (${toAdd.map((x) => x.target).join(', ')})`);
  if (plan.aptKeep) parts.push(`removed ${DOCKER_CLEAN} so apt keeps downloaded packages`);
  parts.push(...new Set(plan.notes));
  if (plan.aptKeep) aptKept.add(ins);
  outcomes.push({ kind: 'rewrite', line, message: parts.join('; '), edits });
  return outcomes;
}

function mountFlag(mt: Mount, user: ResolvedUser): string {
  let s = `--mount=type=cache,target=${mt.target}`;
  if (mt.locked) s += ',sharing=locked';
  if (!user.root && user.uid !== null) {
    s += `,uid=${user.uid}`;
    if (user.gid !== null) s += `,gid=${user.gid}`;
  }
  return s;
}

/** Variables exported or assigned (without a command) in the RUN's shell: their values are not static. */
function variablesSetInRun(all: SimpleCommand[]): Set<string> {
  const out = new Set<string>();
  for (const c of all) {
    if (nodeType(c.call) === 'DeclClause') {
      for (const a of (c.call.Args ?? []) as ShNode[]) if (a?.Name?.Value) out.add(a.Name.Value as string);
      continue;
    }
    const assigns = (c.call.Assigns ?? []) as ShNode[];
    if (c.words.length === 0) for (const a of assigns) out.add(a.Name.Value as string);
    if (base(c.words[0]) === 'export') for (const w of c.words.slice(1)) if (w) out.add(w.split('=')[0]!);
  }
  return out;
}

function inlineAssigns(sc: SimpleCommand, st: InstructionState, facts: BaseImageFacts, user: ResolvedUser, setInRun: Set<string>): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const r = new Resolver(st, facts, user, setInRun, new Map());
  for (const a of (sc.call.Assigns ?? []) as ShNode[]) {
    const name = a.Name.Value as string;
    let v: string | null = null;
    try { v = a.Value ? wordValue(a.Value, r) : ''; } catch (e) { if (!(e instanceof Refusal)) throw e; }
    out.set(name, v);
  }
  return out;
}

function existingMountTargets(doc: DocView, ins: Run, r: Resolver): string[] {
  const out: string[] = [];
  for (const f of ins.getFlags()) {
    if (f.getName().toLowerCase() !== 'mount') continue;
    let target: string | null = null;
    for (const o of f.getOptions()) {
      const n = o.getName().toLowerCase();
      if (n === 'target' || n === 'dst' || n === 'destination') target = o.getValue();
    }
    if (target === null) continue;
    let t = target;
    if (t.includes('$')) {
      t = t.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, v: string) => (v === 'HOME' ? r.home() : r.env(v) ?? refuse(`an existing --mount target (${target}) uses $${v}, whose value is not known`)));
    }
    const n = normPath(t);
    if (n !== null) out.push(n);
  }
  void doc;
  return out;
}

/* ------------------------------------------------------------------------------------------------ */
/* Safety checks                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

function overlapChecks(doc: DocView, ins: Instruction, st: InstructionState, mounts: Mount[], states: Map<Instruction, InstructionState>, ctx: TransformContext<CacheMountsOptions>): void {
  // the WORKDIR (the app) must not sit at or below a cache mount, which would hide it
  if (st.workdir) {
    const wd = normPath(st.workdir);
    for (const mt of mounts) {
      if (wd && wd !== '/' && inside(wd, mt.target)) refuse(`the ${ECO_LABEL[mt.eco]} cache directory ${mt.target} contains the WORKDIR (${wd}): a cache mount there would hide the app during the RUN and keep what it writes out of the image`);
    }
  }
  // what COPY/ADD placed must not be at, above or below a target
  for (const prev of instructionsBefore(doc, ins, st)) {
    const kw = prev.getKeyword();
    if (kw !== 'COPY' && kw !== 'ADD') continue;
    for (const placed of placedPaths(prev, states.get(prev), ctx)) {
      for (const mt of mounts) {
        if (overlaps(mt.target, placed)) {
          refuse(`the ${ECO_LABEL[mt.eco]} cache directory ${mt.target} overlaps ${placed}, where the ${kw} on line ${doc.lineOfNode(prev)} puts files: a cache mount there would hide them during the RUN and keep what it writes there out of the image`);
        }
      }
    }
  }
  // a later stage copying from this stage at (or above) a target would miss the cached files
  const stageKeys = new Set([String(st.stage.index), ...(st.stage.name ? [st.stage.name] : [])]);
  for (const later of doc.instructions()) {
    if (later.getRange().start.line <= ins.getRange().start.line || later.getKeyword() !== 'COPY') continue;
    const from = (later as Run).getFlags().find((f) => f.getName().toLowerCase() === 'from')?.getValue()?.toLowerCase();
    if (!from || !stageKeys.has(from)) continue;
    const args = later.getArguments().map((a) => a.getValue());
    for (const src of args.slice(0, -1)) {
      const abs = normPath(src.replace(/\/\*$/, ''));
      if (!abs || abs === '/') continue;
      for (const mt of mounts) {
        if (overlaps(abs, mt.target)) refuse(`the COPY --from=${from} on line ${doc.lineOfNode(later)} copies ${src}, which overlaps the ${ECO_LABEL[mt.eco]} cache directory ${mt.target}; with a cache mount those files would not be in the stage`);
      }
    }
  }
  // the container runs the build tool at start: it needs the dependencies in the image
  for (const mt of mounts) {
    const uses = RUNTIME_TOOLS[mt.eco];
    if (!uses) continue;
    for (const later of st.stage.instructions) {
      const kw = later.getKeyword();
      if (kw !== 'CMD' && kw !== 'ENTRYPOINT') continue;
      for (const words of commandWordsOf(doc, later)) {
        if (uses(words)) refuse(`the ${kw} on line ${doc.lineOfNode(later)} runs ${words.filter(Boolean).slice(0, 2).join(' ')} when the container starts, which needs the ${ECO_LABEL[mt.eco]} dependencies that a cache mount would keep out of the image`);
      }
    }
  }
}

/** Paths a COPY/ADD writes: dest/<file> for plain files, the whole dest for directories, globs and `.`. */
function placedPaths(ins: Instruction, st: InstructionState | undefined, ctx: TransformContext<CacheMountsOptions>): string[] {
  const args = ins.getArguments().map((a) => a.getValue());
  if (args.length < 2) return [];
  const destRaw = args[args.length - 1]!;
  if (destRaw.includes('$')) return [];
  const dest = destRaw.startsWith('/') ? normPath(destRaw) : st?.workdir ? normPath(`${st.workdir}/${destRaw}`) : null;
  if (dest === null || dest === '/') return [];
  const srcs = args.slice(0, -1);
  const fromStage = (ins as Run).getFlags().some((f) => f.getName().toLowerCase() === 'from');
  const out: string[] = [];
  for (const src of srcs) {
    const isDir = src === '.' || src.endsWith('/') || /[*?[]/.test(src) || /^[a-z]+:\/\//.test(src) || (!fromStage && ctx.buildContext.isDirectory(src));
    if (isDir) return [dest];
    const name = src.split('/').filter(Boolean).pop() ?? src;
    out.push(destRaw.endsWith('/') || srcs.length > 1 ? `${dest}/${name}` : dest);
  }
  return out;
}

function commandWordsOf(doc: DocView, ins: Instruction): (string | null)[][] {
  const arr = execArgs(ins);
  if (arr) return [arr];
  const v = runShellView(doc, ins);
  const p = v ? parseShell(v.text) : null;
  if (!p || 'error' in p) return [];
  return simpleCommands(p.file).map((c) => c.words);
}

/** pip --target/--prefix/--root, npm --prefix, go build -o … inside the cache: the output would stay in the mount. */
function outputInCacheCheck(t: ToolCmd, r: Resolver, mounts: Mount[]): void {
  const outs: Record<string, string[]> = {
    pip: ['-t', '--target', '--prefix', '--root'], npm: ['--prefix'], go: ['-o'], cargo: ['--root'], bun: ['--cwd'], composer: ['-d', '--working-dir'], nuget: ['-o', '--output'],
  };
  const names = outs[t.eco];
  if (!names) return;
  const o = optionValue(t.sc, r, names, t.at + 1);
  if (!o.present || o.value === null) return;
  const p = normPath(o.value);
  if (p === null) return;
  for (const mt of mounts) if (overlaps(p, mt.target)) refuse(`${t.tool} writes its output to ${p}, inside the cache directory ${mt.target}: it would stay in the cache mount and be missing from the image`);
}

function laterRunChecks(doc: DocView, ins: Instruction, st: InstructionState, mounts: Mount[], tools: ToolCmd[]): void {
  const idx = st.stage.instructions.indexOf(ins);
  const ecos = new Set(mounts.map((m) => m.eco));
  for (const later of st.stage.instructions.slice(idx + 1)) {
    if (later.getKeyword() !== 'RUN') continue;
    for (const w of commandWordsOf(doc, later)) {
      const d = detectWords(w);
      if (!d || !ecos.has(d.eco)) continue;
      const off = OFFLINE[d.eco];
      if (off && off(w) && tools.some((t) => t.eco === d.eco)) {
        refuse(`the RUN on line ${doc.lineOfNode(later)} runs ${d.tool} offline from what this RUN downloads; with a cache mount the downloads would not be in the image (if the cache is empty the offline step fails)`);
      }
    }
  }
}

/** A command working offline reads what earlier RUNs put in the image; the mount would hide it. */
function offlineChecks(tools: ToolCmd[]): void {
  tools.forEach((t, i) => {
    const off = OFFLINE[t.eco];
    if (!off || !off(t.sc.words)) return;
    if (tools.slice(0, i).some((e) => e.eco === t.eco && !off(e.sc.words))) return; // downloaded earlier in this RUN
    refuse(`${t.tool} runs offline (${t.sc.words.find((w) => w !== null && off([w]))}), reading the dependencies an earlier RUN put in the image; a cache mount would hide them behind a cache that is empty on a fresh builder`);
  });
}

function aptChecks(doc: DocView, ins: Instruction, st: InstructionState, all: SimpleCommand[], tools: ToolCmd[]): void {
  const apt = tools.filter((t) => t.eco === 'apt');
  const firstUpdate = apt.findIndex((t) => t.sub === 'update' || t.sc.words.includes('--update'));
  const firstInstall = apt.findIndex((t) => t.sub !== 'update');
  if (firstInstall !== -1 && (firstUpdate === -1 || firstUpdate > firstInstall)) {
    refuse(`${apt[firstInstall]!.tool} ${apt[firstInstall]!.sub} runs without ${apt[firstInstall]!.tool} update before it in the same RUN: with /var/lib/apt as a cache mount it would see the cached package lists (empty on a fresh builder) instead of the image's`);
  }
  if (firstInstall === -1) {
    refuse('the RUN only runs apt-get update: with /var/lib/apt as a cache mount its package lists would not be in the image for the RUNs that install');
  }
  void all;
  const idx = st.stage.instructions.indexOf(ins);
  for (const later of st.stage.instructions.slice(idx + 1)) {
    if (later.getKeyword() !== 'RUN') continue;
    const words = commandWordsOf(doc, later);
    let updated = false;
    for (const w of words) {
      const n = base(w[0]);
      if (n !== 'apt-get' && n !== 'apt') continue;
      const s = subcommand(w, 1, ['-o', '-c', '-t']).name;
      if (s === 'update' || w.includes('--update')) updated = true;
      else if (s && ['install', 'upgrade', 'dist-upgrade', 'full-upgrade', 'build-dep', 'reinstall'].includes(s) && !updated) {
        refuse(`the RUN on line ${doc.lineOfNode(later)} runs apt-get ${s} without apt-get update, relying on the package lists this RUN leaves in the image; with /var/lib/apt as a cache mount they would not be there`);
      }
    }
  }
}

function cargoTargetMount(doc: DocView, ins: Instruction, st: InstructionState, all: SimpleCommand[], t: ToolCmd, r: Resolver, states: Map<Instruction, InstructionState>): Mount | string {
  const no = (why: string) => `cargo's target/ directory is not cached: ${why}`;
  const own = optionValue(t.sc, r, ['--target-dir'], t.at + 1);
  let dir: string | null;
  if (own.present) dir = own.value !== null ? normPath(own.value) : null;
  else if (r.env('CARGO_TARGET_DIR') !== undefined) dir = normPath(r.env('CARGO_TARGET_DIR')!);
  else dir = st.workdir ? normPath(`${st.workdir}/target`) : null;
  if (dir === null) return no('its location is not known (set WORKDIR or CARGO_TARGET_DIR)');
  if (all.some((c) => c.inMainShell && ['cd', 'pushd'].includes(c.words[0] ?? ''))) return no('the RUN changes directory, so target/ is not known');
  const after = all.slice(all.indexOf(t.sc) + 1);
  const copiesOut = after.some((c) => ['cp', 'mv', 'install'].includes(base(c.words[0]) ?? '') && c.words.slice(1).some((w) => {
    if (w === null) return false;
    const abs = w.startsWith('/') ? normPath(w) : normPath(`${st.workdir ?? '/'}/${w}`);
    return abs !== null && abs.startsWith(dir + '/');
  }));
  if (!copiesOut) return no('the build output would be missing from the image unless the same RUN copies it out of target/ (e.g. `&& cp target/release/app /usr/local/bin/`)');
  const stageKeys = new Set([String(st.stage.index), ...(st.stage.name ? [st.stage.name] : [])]);
  for (const later of doc.instructions()) {
    if (later.getRange().start.line <= ins.getRange().start.line) continue;
    if (later.getKeyword() === 'COPY') {
      const from = (later as Run).getFlags().find((f) => f.getName().toLowerCase() === 'from')?.getValue()?.toLowerCase();
      if (from && stageKeys.has(from) && later.getArguments().slice(0, -1).some((a) => {
        const v = a.getValue();
        const lst = states.get(later);
        const abs = v.startsWith('/') ? normPath(v) : normPath(`${lst?.workdir ?? '/'}/${v}`);
        return abs !== null && overlaps(abs, dir!);
      })) return no(`the COPY --from on line ${doc.lineOfNode(later)} reads from it`);
    }
  }
  return { target: dir, locked: false, eco: 'cargo' };
}

/* ------------------------------------------------------------------------------------------------ */
/* Edits: removing flags and clean-ups                                                               */
/* ------------------------------------------------------------------------------------------------ */

interface Plan extends RunEdits { aptKeep: boolean }

interface Parent { kind: 'list'; list: ShNode[]; index: number; top: boolean }
interface BinParent { kind: 'bin'; bin: ShNode; side: 'X' | 'Y' }

/** A statement's identity: mvdan-sh (GopherJS) hands out a fresh wrapper object on every field access. */
const stmtKey = (s: ShNode): string => `${s.Pos().Offset()}:${s.End().Offset()}`;

function parentsOf(file: ShNode): Map<string, Parent | BinParent> {
  const out = new Map<string, Parent | BinParent>();
  const visitList = (stmts: ShNode[], top: boolean) => stmts.forEach((s, i) => { out.set(stmtKey(s), { kind: 'list', list: stmts, index: i, top }); visitStmt(s); });
  const visitStmt = (s: ShNode) => {
    const c = s?.Cmd;
    const t = nodeType(c);
    if (t === 'BinaryCmd') {
      out.set(stmtKey(c.X), { kind: 'bin', bin: c, side: 'X' });
      out.set(stmtKey(c.Y), { kind: 'bin', bin: c, side: 'Y' });
      visitStmt(c.X); visitStmt(c.Y);
    } else if (t === 'Block' || t === 'Subshell') visitList(c.Stmts, false);
  };
  visitList(file.Stmts, true);
  return out;
}

function planEdits(doc: DocView, ins: Run, view: ShellView, parsed: ParsedShell, all: SimpleCommand[], tools: ToolCmd[], mounts: Mount[], mounted: Set<Eco>, resolvers: Map<ToolCmd, Resolver>, before: Instruction[], aptKept: Set<Instruction>): Plan {
  void ins;
  const edits: Edit[] = [];
  const notes: string[] = [];
  const parents = parentsOf(parsed.file);
  const removedCmds = new Set<SimpleCommand>();
  const removedArgs = new Map<SimpleCommand, Set<number>>();
  const replacedArgs = new Map<SimpleCommand, Map<number, string>>();
  const insertedAfter = new Map<SimpleCommand, Map<number, string>>();
  const targets = mounts.map((m) => m.target);
  const r0 = resolvers.get(tools[0]!)!;

  const docRange = (a: number, b: number) => ({ start: view.toDoc(a), end: view.toDocEnd(b) });
  const noComment = (start: number, end: number, what: string) => {
    const text = doc.text.slice(start, end);
    if (text.split(/\r?\n/).slice(1).some((l) => l.trimStart().startsWith('#'))) refuse(`removing ${what} would also delete a comment line inside the RUN; remove it by hand`);
  };
  const removeWord = (sc: SimpleCommand, i: number, what: string) => {
    const args = sc.call.Args as ShNode[];
    const prevEnd = parsed.offset(args[i - 1].End());
    const { start, end } = docRange(prevEnd, parsed.offset(args[i].End()));
    noComment(start, end, what);
    edits.push(removeRange(start, end));
    if (!removedArgs.has(sc)) removedArgs.set(sc, new Set());
    removedArgs.get(sc)!.add(i);
  };
  const removeCommand = (sc: SimpleCommand, what: string) => {
    const stmt = sc.stmt;
    if (nodeType(stmt.Cmd) !== 'CallExpr' || stmt.Negated || stmt.Background || (stmt.Redirs ?? []).length) refuse(`${what} is not a plain command, so it cannot be removed cleanly; remove it by hand`);
    const p = parents.get(stmtKey(stmt));
    let a: number, b: number;
    if (p?.kind === 'bin') {
      if (p.bin.Op !== Op.And) refuse(`${what} is joined with '||' or a pipe, so it cannot be removed cleanly; remove it by hand`);
      if (p.side === 'Y') { a = parsed.offset(p.bin.X.End()); b = parsed.offset(stmt.End()); }
      else { a = parsed.offset(stmt.Pos()); b = parsed.offset(p.bin.Y.Pos()); }
    } else if (p?.kind === 'list' && p.list.length > 1) {
      if (p.index > 0) { a = parsed.offset(p.list[p.index - 1].End()); b = parsed.offset(stmt.End()); }
      else { a = parsed.offset(stmt.Pos()); b = parsed.offset(p.list[1].Pos()); }
    } else {
      return refuse(`${what} is the only command of its block, so removing it would leave nothing; remove it by hand`);
    }
    const { start, end } = docRange(a, b);
    noComment(start, end, what);
    edits.push(removeRange(start, end));
    removedCmds.add(sc);
  };

  // defeating flags and inline variables on the commands that get a mount
  for (const t of tools) {
    if (!mounted.has(t.eco)) continue;
    const args = t.sc.call.Args as ShNode[];
    for (const f of DEFEATING_FLAGS[t.eco] ?? []) {
      for (let i = t.at + 1; i < args.length; i++) {
        if (t.sc.words[i] === f || (t.sc.words[i] ?? '').startsWith(f + '=')) { removeWord(t.sc, i, `${f}`); notes.push(`removed ${f}`); }
      }
    }
    if (t.eco === 'apk') {
      const hasUpdate = t.sc.words.some((w) => w === '-U' || w === '--update-cache' || w === '--update');
      for (let i = t.at + 1; i < args.length; i++) {
        if (t.sc.words[i] !== '--no-cache') continue;
        if (hasUpdate) { removeWord(t.sc, i, '--no-cache'); notes.push('removed --no-cache'); }
        else {
          const s = view.toDoc(parsed.offset(args[i].Pos())), e = view.toDocEnd(parsed.offset(args[i].End()));
          edits.push(replaceRange(s, e, '--update-cache'));
          if (!replacedArgs.has(t.sc)) replacedArgs.set(t.sc, new Map());
          replacedArgs.get(t.sc)!.set(i, '--update-cache');
          notes.push('replaced --no-cache with --update-cache');
        }
      }
    }
    if (t.eco === 'dnf' && !t.sc.words.some((w) => w !== null && /^--setopt=keepcache=(1|true|True|yes)$/.test(w))) {
      if (t.sc.words.some((w) => w !== null && /^--setopt=keepcache=/.test(w))) refuse(`${t.tool} is given --setopt=keepcache=0, which deletes downloaded packages`);
      const at = view.toDocEnd(parsed.offset(args[t.at].End()));
      edits.push(insertAt(at, ' --setopt=keepcache=1'));
      if (!insertedAfter.has(t.sc)) insertedAfter.set(t.sc, new Map());
      insertedAfter.get(t.sc)!.set(t.at, '--setopt=keepcache=1');
      notes.push(`added --setopt=keepcache=1 to ${t.tool}`);
    }
    const assigns = (t.sc.call.Assigns ?? []) as ShNode[];
    for (let k = 0; k < assigns.length; k++) {
      const a = assigns[k];
      if (!(DEFEATING_ENV[t.eco] ?? []).includes(a.Name.Value)) continue;
      const next = assigns[k + 1] ?? args[0];
      const { start, end } = docRange(parsed.offset(a.Pos()), parsed.offset(next.Pos()));
      noComment(start, end, a.Name.Value);
      edits.push(removeRange(start, end));
      notes.push(`removed ${a.Name.Value}`);
    }
    if (t.eco === 'uv') {
      const r = resolvers.get(t)!;
      const has = (() => { try { return r.env('UV_LINK_MODE') !== undefined; } catch { return true; } })() || t.sc.words.some((w) => (w ?? '').startsWith('--link-mode'));
      if (!has) {
        edits.push(insertAt(view.toDoc(parsed.offset(args[0].Pos())), 'UV_LINK_MODE=copy '));
        notes.push('set UV_LINK_MODE=copy on uv (its cache is on another filesystem, so it cannot hard-link)');
      }
    }
  }

  // clean-ups of a mounted cache in this RUN
  for (const c of all) {
    if (nodeType(c.call) !== 'CallExpr') continue;
    const ce = cleanupEco(c.words);
    if (ce && mounted.has(ce)) {
      if (ce === 'yarn' && !mounts.some((m) => m.eco === 'yarn' && m.target.includes('.cache/yarn'))) refuse('yarn cache clean in a Yarn 2+ project cleans the project cache; remove it by hand if it only cleans the global cache');
      removeCommand(c, c.words.join(' '));
      notes.push(`removed ${c.words.join(' ')}`);
      continue;
    }
    if (base(c.words[0]) !== 'rm') continue;
    const args = c.call.Args as ShNode[];
    const paths: { i: number; path: string | null }[] = [];
    for (let i = 1; i < args.length; i++) {
      const w = c.words[i];
      if (w !== null && w !== undefined && w.startsWith('-') && paths.length === 0) continue;
      let v: string | null = null;
      try { v = wordValue(args[i], r0); } catch (e) { if (!(e instanceof Refusal)) throw e; }
      paths.push({ i, path: v === null ? null : normPath(v.replace(/\/\*(\.[\w*]+)?$/, '').replace(/\/\*$/, '')) });
    }
    const inCache = paths.filter((p) => p.path !== null && targets.some((t) => inside(p.path!, t)));
    const above = paths.filter((p) => p.path !== null && p.path !== '/' && targets.some((t) => inside(t, p.path!) && t !== p.path));
    if (above.length) refuse(`rm removes ${above[0]!.path}, which contains the cache mount ${targets.find((t) => inside(t, above[0]!.path!))}: rm would fail on the mount point, and it also cleans more than the cache; change it by hand`);
    if (inCache.length === 0) continue;
    const shown = inCache.map((p) => c.words[p.i] ?? '?').join(' ');
    if (inCache.length === paths.length) removeCommand(c, `rm ${shown}`);
    else for (const p of inCache.reverse()) removeWord(c, p.i, c.words[p.i] ?? 'an rm argument');
    notes.push(`removed the clean-up of ${shown}`);
  }

  // apt: the documented docker-clean removal, once per image
  let aptKeep = false;
  if (mounted.has('apt')) {
    const removesDockerClean = (words: (string | null)[]) => base(words[0]) === 'rm' && words.includes(DOCKER_CLEAN);
    // an earlier RUN of the image already did it (in the file, or in this pass's rewrites)
    const done = all.some((c) => removesDockerClean(c.words)) || before.some((b) => aptKept.has(b) || (b.getKeyword() === 'RUN' && commandWordsOf(doc, b).some(removesDockerClean)));
    aptKeep = !done;
  }

  const expected: (string | null)[][] = [];
  for (const c of all) {
    if (removedCmds.has(c)) continue;
    const rm = removedArgs.get(c), rep = replacedArgs.get(c), insA = insertedAfter.get(c);
    const w: (string | null)[] = [];
    c.words.forEach((x, i) => {
      if (rm?.has(i)) return;
      w.push(rep?.get(i) ?? x);
      const add = insA?.get(i);
      if (add) w.push(add);
    });
    expected.push(w);
  }
  return { edits, expected, notes, aptKeep };
}

/** Applies the edits, re-parses the RUN and checks it has the mounts and exactly the expected commands. */
function verify(doc: DocView, ins: Run, edits: Edit[], flags: string[], expected: (string | null)[][]): void {
  // re-parse just this RUN (with the file's escape directive), not the whole file: it is all that changed
  const { start, end } = doc.span(ins);
  const own = edits.filter((e) => e.start >= start && e.end <= end).map((e) => ({ ...e, start: e.start - start, end: e.end - start }));
  if (own.length !== edits.length) refuse('the rewrite reaches outside the RUN; left unchanged');
  const head = doc.escapeChar === '\\' ? '' : `# escape=${doc.escapeChar}${doc.eol}`;
  const after = new DocView(`${head}FROM scratch${doc.eol}${applyEdits(doc.text.slice(start, end), own)}${doc.eol}`);
  const run = after.instructions()[1];
  const fail = (why: string): never => refuse(`the rewritten RUN did not re-parse as expected (${why}); left unchanged`);
  if (!run || run.getKeyword() !== 'RUN') return fail('the instruction moved');
  const have = (run as Run).getFlags().map((f) => after.slice(f));
  for (const f of flags) if (!have.includes(f)) fail(`missing ${f}`);
  const view = runShellView(after, run);
  if (!view) return fail('no command');
  const p = parseShell(view.text);
  if ('error' in p) return fail(p.error);
  const got = simpleCommands(p.file).map((c) => c.words);
  if (JSON.stringify(got) !== JSON.stringify(expected)) fail(`commands ${JSON.stringify(got)} instead of ${JSON.stringify(expected)}`);
}

export type { ParsedShell };
