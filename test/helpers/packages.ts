/**
 * The one place the tests install Debian packages: what a test needs and is missing is installed with
 * apt-get (as root; `apt-get update` once when the first install fails); when that is not possible or
 * does not help, it throws, naming what to install. Never skips.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** Is `cmd` on PATH (or in /usr/sbin, /sbin, where debootstrap lives)? */
export function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']).some((d) => d && existsSync(join(d, cmd)));
}

/** A command and the Debian package that has it, or a package and the check that says it is there. */
export type Need = [command: string, debianPackage: string] | { package: string; ok: () => boolean };

const present = (n: Need) => (Array.isArray(n) ? onPath(n[0]) : n.ok());
const packageOf = (n: Need) => (Array.isArray(n) ? n[1] : n.package);

/** Makes sure every need is met, installing the missing packages with apt-get; `who` names the tests in errors. */
export function ensurePackages(need: Need[], who = 'these tests'): void {
  const missing = need.filter((n) => !present(n)).map(packageOf);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error(`${who} need the Debian packages ${missing.join(', ')}; install them with: apt-get install ${missing.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' });
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    r = install();
  }
  const still = need.filter((n) => !present(n)).map(packageOf);
  if (r.status !== 0 || still.length) throw new Error(`apt-get install ${missing.join(' ')} failed${still.length ? ` (still missing: ${still.join(', ')})` : ''}:\n${r.stderr ?? ''}`);
}

/** The same for commands only (the shell tests). */
export const ensureCommands = (need: [command: string, debianPackage: string][]): void => ensurePackages(need);
