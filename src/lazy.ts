/**
 * Dependencies that most runs never need, loaded on first use instead of at start (a cold start of one
 * file compiles every module it imports): yaml (compose and bake files, pnpm and Yarn settings),
 * smol-toml (Python and Rust manifests), fast-glob (glob arguments and directory walks). They are
 * CommonJS packages (yaml, fast-glob) or ship a CommonJS build (smol-toml), so require() loads them
 * synchronously, as `import` would have.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function once<T>(load: () => T): () => T {
  let box: { value: T } | null = null;
  return () => (box ??= { value: load() }).value;
}

export const yaml = once(() => require('yaml') as typeof import('yaml'));
export const toml = once(() => require('smol-toml') as typeof import('smol-toml'));
export const fastGlob = once(() => require('fast-glob') as typeof import('fast-glob'));
