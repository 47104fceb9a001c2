import { readFileSync } from 'node:fs';

/** The package version: package.json is three levels up from dist/src/cli/version.js, two from src/cli/version.ts (tsx). */
export function version(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'dockeropt') return pkg.version;
    } catch { /* try the next */ }
  }
  return '0.0.0';
}
