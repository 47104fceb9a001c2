import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/dockeropt.js', import.meta.url));

/** A temp directory filled with the given files (path -> content); returns its path. */
export function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'dockeropt-test-'));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), content);
  }
  return root;
}

export const cleanup = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** A fresh temp directory that is removed when the test process exits (config dirs and the like). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.once('exit', () => cleanup(dir));
  return dir;
}

export interface Spawned { status: number | null; stdout: string; stderr: string }

/** Runs the real built CLI (bin/dockeropt.js over dist/) in `cwd`. */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}, input?: string): Spawned {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env },
    ...(input !== undefined ? { input } : {}),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
