/**
 * Finding package-manager commands: which ecosystem a command's words run (also for CMD and later RUNs),
 * and which commands empty a whole cache (`apt-get clean`, `npm cache clean --force`, …).
 */
import type { Instruction } from 'dockerfile-ast';
import { execArgs, type DocView } from '../../src/document.js';
import { nodeType, parseShell, runShellView, simpleCommands, type SimpleCommand } from '../../src/shell.js';
import type { Eco, ToolCmd } from './types.js';

export const base = (w: string | null | undefined): string | null => (w ? w.split('/').pop()! : null);

export function detect(sc: SimpleCommand): ToolCmd | null {
  if (nodeType(sc.call) !== 'CallExpr') return null;
  const d = detectWords(sc.words);
  return d ? { ...d, sc } : null;
}

/** Which package manager a command's words run, without the syntax tree (also for CMD and later RUNs). */
export function detectWords(w: (string | null)[]): Omit<ToolCmd, 'sc'> | null {
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
export function cleanupEco(w: (string | null)[]): Eco | null {
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

export function commandWordsOf(doc: DocView, ins: Instruction): (string | null)[][] {
  const arr = execArgs(ins);
  if (arr) return [arr];
  const v = runShellView(doc, ins);
  const p = v ? parseShell(v.text) : null;
  if (!p || 'error' in p) return [];
  return simpleCommands(p.file).map((c) => c.words);
}

/** The first word that is not an option (and not the value of an option that takes one). */
export function subcommand(words: readonly (string | null)[], from: number, optsWithValue: readonly string[] = []): { name: string | null; index: number } {
  for (let i = from; i < words.length; i++) {
    const w = words[i];
    if (w === null || w === undefined) return { name: null, index: i };
    if (w === '--') return { name: words[i + 1] ?? null, index: i + 1 };
    if (w.startsWith('-')) {
      if (optsWithValue.includes(w)) i++;
      continue;
    }
    return { name: w, index: i };
  }
  return { name: null, index: -1 };
}

/** Package-manager command names (basename of the first word) that this transform knows. */
export const TOOL_NAMES = new Set([
  'apt-get', 'apt', 'apk', 'dnf', 'dnf5', 'yum', 'microdnf', 'zypper', 'pip', 'pip3', 'poetry', 'uv', 'pipenv',
  'npm', 'yarn', 'pnpm', 'bun', 'go', 'mvn', 'mvnw', 'gradle', 'gradlew', 'cargo', 'bundle', 'composer', 'dotnet', 'nuget',
]);

/** Is this command name (basename) a pip entry point: pip, pip3, pip3.12? */
const isPipName = (n: string) => /^pip(\d+(\.\d+)?)?$/.test(n);
/** python, python3, python3.12 */
const isPythonName = (n: string) => /^python(\d+(\.\d+)?)?$/.test(n);
