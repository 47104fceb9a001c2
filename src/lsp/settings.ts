/**
 * The language server's settings, from `initializationOptions` and `workspace/didChangeConfiguration`
 * (or pulled with `workspace/configuration`, section `dockeropt`). They play the part of the command
 * line: `only` / `skip` replace a config file's, each transform option replaces that one option, and
 * `runtime` decides whether fix-all includes `runtime` rewrites (quick fixes offer them always).
 */
import { validateConfig } from '../config.js';
import { UsageError } from '../errors.js';
import type { Transform } from '../types.js';

export interface LspSettings {
  /** Fix-all includes `runtime` rewrites (a new base image, a different user). Default false. */
  runtime: boolean;
  only: string[];
  skip: string[];
  /** Transform options by id (the keys of a config file's `options`). */
  options: Record<string, Record<string, unknown>>;
  /** Milliseconds to wait after a change before analysing the document again. */
  debounce: number;
}

export const DEFAULT_SETTINGS: LspSettings = { runtime: false, only: [], skip: [], options: {}, debounce: 200 };

const KEYS = ['runtime', 'only', 'skip', 'options', 'debounce'];

/**
 * Validates settings as an editor sends them: the `dockeropt` section itself, or an object holding it
 * under `dockeropt`. null/undefined means the defaults. Throws UsageError naming the setting.
 */
export function parseSettings(raw: unknown, transforms: readonly Transform<any>[]): LspSettings {
  if (raw === null || raw === undefined) return { ...DEFAULT_SETTINGS };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError('dockeropt settings: must be an object');
  let s = raw as Record<string, unknown>;
  if ('dockeropt' in s) {
    const inner = s.dockeropt;
    if (inner === null || inner === undefined) return { ...DEFAULT_SETTINGS };
    if (typeof inner !== 'object' || Array.isArray(inner)) throw new UsageError('dockeropt settings: "dockeropt" must be an object');
    s = inner as Record<string, unknown>;
  }
  for (const k of Object.keys(s)) {
    // `trace` is the client's own (trace.server), sent along by some editors
    if (!KEYS.includes(k) && k !== 'trace') throw new UsageError(`dockeropt settings: "${k}" is not a setting of the language server`, `Settings: ${KEYS.join(', ')}`);
  }
  const out: LspSettings = { ...DEFAULT_SETTINGS };
  if (s.runtime !== undefined) {
    if (typeof s.runtime !== 'boolean') throw new UsageError('dockeropt settings: "runtime" must be true or false');
    out.runtime = s.runtime;
  }
  if (s.debounce !== undefined) {
    if (typeof s.debounce !== 'number' || !Number.isInteger(s.debounce) || s.debounce < 0 || s.debounce > 10_000) {
      throw new UsageError('dockeropt settings: "debounce" must be a whole number of milliseconds from 0 to 10000');
    }
    out.debounce = s.debounce;
  }
  // only / skip / options: exactly the rules of a config file (ids known, option keys and types, parseOptions)
  const checked = validateConfig({
    ...(s.only !== undefined ? { only: s.only } : {}),
    ...(s.skip !== undefined ? { skip: s.skip } : {}),
    ...(s.options !== undefined ? { options: s.options } : {}),
  }, 'dockeropt settings', transforms);
  out.only = checked.only ?? [];
  out.skip = checked.skip ?? [];
  out.options = checked.options ?? {};
  return out;
}
