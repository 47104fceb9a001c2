import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

export function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

/**
 * Makes sure each command is on PATH, installing its Debian package with apt-get (as root) when it is
 * missing; throws, naming what to install, when it cannot. Never skips.
 */
export function ensureCommands(need: [command: string, debianPackage: string][]): void {
  const missing = need.filter(([c]) => !onPath(c)).map(([, p]) => p);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error(`these tests need the Debian packages ${missing.join(', ')}; install them with: apt-get install ${missing.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' });
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    r = install();
  }
  const still = need.filter(([c]) => !onPath(c)).map(([, p]) => p);
  if (r.status !== 0 || still.length) throw new Error(`apt-get install ${missing.join(' ')} failed:\n${r.stderr ?? ''}`);
}
