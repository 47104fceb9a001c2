/**
 * Configuration files: found by walking up from each Dockerfile (the nearest wins, no merging), or one
 * file given with `--config`. Also `.dockeroptignore` at the repository root (gitignore syntax).
 *
 * A config file is `.dockeroptrc.json`, `dockeropt.config.json`, or the `"dockeropt"` key of a
 * `package.json`. Its keys:
 * - `only` / `skip`: transform ids to run / leave out;
 * - `options`: transform id -> options object; the keys and value types are those of the transform's
 *   `defaults`, and the transform's `parseOptions` checks the values;
 * - `ignore`: gitignore-style patterns, relative to the config file's directory;
 * - `runtime`: `true` applies `runtime` changes too (a new base image, another user), as `--runtime`;
 * - `safeOnly`: accepted for compatibility: only `build-only` changes are applied by default (true wins over `runtime`);
 * - `$schema`: ignored (for editors; see schema/dockeropt.schema.json).
 * Every mistake is a UsageError naming the file and the key.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from './errors.js';
import type { FileSettings } from './run.js';
import type { Transform } from './types.js';

/** File names searched in each directory, in this order. */
export const CONFIG_NAMES = ['.dockeroptrc.json', 'dockeropt.config.json', 'package.json'] as const;
export const IGNORE_FILE = '.dockeroptignore';

/** What a config file says, validated. */
export interface Config {
  only?: string[];
  skip?: string[];
  /** Options by transform id (only the keys the file sets). */
  options?: Record<string, Record<string, unknown>>;
  ignore?: string[];
  runtime?: boolean;
  safeOnly?: boolean;
}

export interface LoadedConfig {
  /** Absolute path of the file it came from. */
  file: string;
  /** The directory its `ignore` patterns are relative to. */
  dir: string;
  config: Config;
}

const KEYS = new Set(['$schema', 'only', 'skip', 'options', 'ignore', 'runtime', 'safeOnly']);

/** The git top-level directory containing `cwd`, else `cwd` itself. */
export function repoRoot(cwd: string): string {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return resolve(r.stdout.trim());
  return resolve(cwd);
}

/** Reads and validates one config file. `--config` may name any JSON file (or a package.json). */
export function loadConfig(file: string, transforms: readonly Transform<any>[]): LoadedConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const isPkg = abs.endsWith(`${sep}package.json`);
  if (isPkg) {
    if (!isObject(data) || !('dockeropt' in data)) throw new UsageError(`${file}: has no "dockeropt" key`);
    data = data.dockeropt;
  }
  return { file: abs, dir: dirname(abs), config: validateConfig(data, isPkg ? `${file}: dockeropt` : file, transforms) };
}

/**
 * Checks a config object against the transforms; `where` prefixes every message (the file, and for a
 * package.json its key). Returns a copy with only the keys that carry meaning.
 */
export function validateConfig(data: unknown, where: string, transforms: readonly Transform<any>[]): Config {
  const fail = (key: string, msg: string, hint?: string): never => {
    throw new UsageError(`${where}: ${key ? `"${key}" ` : ''}${msg}`, hint);
  };
  if (!isObject(data)) fail('', 'must be a JSON object');
  const obj = data as Record<string, unknown>;
  const known = new Map(transforms.map((t) => [t.id, t]));
  const ids = [...known.keys()].join(', ');
  for (const k of Object.keys(obj)) {
    if (!KEYS.has(k)) fail(k, 'is not a dockeropt setting', `Known settings: ${[...KEYS].filter((x) => x !== '$schema').join(', ')}`);
  }
  const out: Config = {};
  for (const key of ['only', 'skip'] as const) {
    if (obj[key] === undefined) continue;
    const v = obj[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(key, 'must be an array of transform ids');
    (v as string[]).forEach((idn, i) => { if (!known.has(idn)) fail(`${key}[${i}]`, `names an unknown transform "${idn}"`, `Known transforms: ${ids}`); });
    out[key] = [...(v as string[])];
  }
  const both = (out.only ?? []).filter((x) => (out.skip ?? []).includes(x));
  if (both.length) fail('skip', `also names ${both.join(', ')}, which "only" selects`);
  if (obj.ignore !== undefined) {
    const v = obj.ignore;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail('ignore', 'must be an array of glob patterns (strings)');
    out.ignore = [...(v as string[])];
  }
  if (obj.runtime !== undefined) {
    if (typeof obj.runtime !== 'boolean') fail('runtime', 'must be true or false');
    out.runtime = obj.runtime as boolean;
  }
  if (obj.safeOnly !== undefined) {
    if (typeof obj.safeOnly !== 'boolean') fail('safeOnly', 'must be true or false');
    out.safeOnly = obj.safeOnly as boolean;
  }
  if (obj.options !== undefined) {
    if (!isObject(obj.options)) fail('options', 'must be an object mapping transform ids to options');
    out.options = {};
    for (const [idn, raw] of Object.entries(obj.options as Record<string, unknown>)) {
      const t = known.get(idn);
      if (!t) fail(`options.${idn}`, 'names an unknown transform', `Known transforms: ${ids}`);
      if (!isObject(raw)) fail(`options.${idn}`, 'must be an object of options');
      const defaults = t!.defaults as Record<string, unknown>;
      const keys = Object.keys(defaults);
      for (const [k, val] of Object.entries(raw as Record<string, unknown>)) {
        const key = `options.${idn}.${k}`;
        if (!(k in defaults)) fail(key, `is not an option of ${idn}`, keys.length ? `Options of ${idn}: ${keys.join(', ')}` : `${idn} has no options`);
        const want = typeOf(defaults[k]);
        if (!fits(val, want)) fail(key, `must be ${describeType(want)} (got ${JSON.stringify(val)})`);
      }
      if (t!.parseOptions) {
        try {
          t!.parseOptions({ ...defaults, ...(raw as Record<string, unknown>) });
        } catch (e) {
          fail(`options.${idn}`, `is not valid: ${(e as Error).message}`, (e as UsageError).hint);
        }
      }
      out.options[idn] = { ...(raw as Record<string, unknown>) };
    }
  }
  return out;
}

type ValueType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'string-or-null';

function typeOf(v: unknown): ValueType {
  if (v === null || v === undefined) return 'string-or-null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v as 'string' | 'number' | 'boolean';
}

function fits(v: unknown, t: ValueType): boolean {
  switch (t) {
    case 'string-or-null': return v === null || typeof v === 'string';
    case 'array': return Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number');
    case 'object': return isObject(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    default: return typeof v === t;
  }
}

const describeType = (t: ValueType) => ({
  'string-or-null': 'a string or null', array: 'an array of strings', object: 'an object', number: 'a number', string: 'a string', boolean: 'true or false',
}[t]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The JSON type a transform's option takes, for the JSON Schema. */
export function optionSchema(v: unknown): Record<string, unknown> {
  switch (typeOf(v)) {
    case 'string-or-null': return { type: ['string', 'null'] };
    case 'array': return { type: 'array', items: { type: ['string', 'number'] } };
    case 'object': return { type: 'object' };
    default: return { type: typeOf(v) };
  }
}

/** The JSON Schema of a config file for these transforms (what schema/dockeropt.schema.json holds). */
export function configSchema(transforms: readonly Transform<any>[]): Record<string, unknown> {
  const ids = transforms.map((t) => t.id);
  const idList = { type: 'array', items: { enum: ids }, uniqueItems: true };
  const options: Record<string, unknown> = {};
  for (const t of transforms) {
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t.defaults as Record<string, unknown>)) props[k] = { ...optionSchema(v), default: v };
    options[t.id] = { type: 'object', description: t.summary, properties: props, additionalProperties: false };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'dockeropt configuration (.dockeroptrc.json, dockeropt.config.json, or "dockeropt" in package.json)',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      only: { ...idList, description: 'Run only these transforms.' },
      skip: { ...idList, description: 'Run every transform but these.' },
      options: { type: 'object', description: 'Options by transform id.', properties: options, additionalProperties: false },
      ignore: { type: 'array', items: { type: 'string' }, description: 'gitignore-style patterns, relative to this file\'s directory: matching Dockerfiles are left out.' },
      runtime: { type: 'boolean', description: 'Apply runtime changes too (a new base image, another user), as --runtime. Default false: they are reported, not written.' },
      safeOnly: { type: 'boolean', description: 'Accepted for compatibility: only build-only changes are applied unless runtime is true; true wins over runtime.' },
    },
  };
}

/** What the command line (or a library caller) says; it wins over config files. */
export interface Overrides {
  /** Non-empty: replaces the config's `only`. */
  only?: readonly string[];
  /** Non-empty: replaces the config's `skip`. */
  skip?: readonly string[];
  /** Options by transform id: each key replaces the config's. */
  options?: Readonly<Record<string, Record<string, unknown>>>;
  /** True: apply runtime changes too (`--runtime`), whatever the config says. */
  runtime?: boolean;
  /** True: build-only changes only, whatever the config says (the default without `runtime`). */
  safeOnly?: boolean;
}

/** The transforms (in pipeline order) and options for files under this config, with the overrides applied. */
export function settingsFrom(all: readonly Transform<any>[], config: Config | null, over: Overrides = {}): FileSettings {
  const only = over.only?.length || over.skip?.length ? [...(over.only ?? [])] : config?.only ?? [];
  const skip = over.only?.length || over.skip?.length ? [...(over.skip ?? [])] : config?.skip ?? [];
  const transforms = all.filter((t) => (only.length === 0 ? !t.network : only.includes(t.id)) && !skip.includes(t.id));
  const options: Record<string, Record<string, unknown>> = {};
  for (const t of transforms) {
    const merged = { ...(config?.options?.[t.id] ?? {}), ...(over.options?.[t.id] ?? {}) };
    if (Object.keys(merged).length) options[t.id] = merged;
  }
  const safeOnly = Boolean(over.safeOnly || config?.safeOnly);
  return { transforms, options, runtime: !safeOnly && Boolean(over.runtime || config?.runtime), safeOnly };
}

/**
 * The `settingsFor` hook of a run: per Dockerfile, null when ignored, else the settings of its nearest
 * config (one settings object per config file, so `prepare` runs once per config).
 */
export function configuredSettings(resolver: ConfigResolver, all: readonly Transform<any>[], over: Overrides = {}): (path: string) => FileSettings | null {
  const cache = new Map<LoadedConfig | null, FileSettings>();
  return (path) => {
    if (resolver.isIgnored(path)) return null;
    const c = resolver.configFor(path);
    let s = cache.get(c);
    if (!s) cache.set(c, (s = settingsFrom(all, c?.config ?? null, over)));
    return s;
  };
}

/** Finds and caches the nearest config file of each directory. */
export class ConfigResolver {
  private readonly byDir = new Map<string, LoadedConfig | null>();
  private readonly ignoreRules: IgnoreRule[];

  /**
   * @param root the repository root: the walk stops there (for files inside it), and `.dockeroptignore` is read there.
   * @param override a `--config` file: used for every Dockerfile instead of searching.
   */
  constructor(readonly root: string, private readonly transforms: readonly Transform<any>[], private readonly override: LoadedConfig | null = null) {
    const ig = join(root, IGNORE_FILE);
    this.ignoreRules = existsSync(ig) ? parseIgnore(readFileSync(ig, 'utf8')) : [];
  }

  /** The config that applies to a Dockerfile (absolute path), or null. */
  configFor(file: string): LoadedConfig | null {
    if (this.override) return this.override;
    return this.lookup(dirname(resolve(file)));
  }

  /** True when `.dockeroptignore` or the applying config's `ignore` leaves the file out. */
  isIgnored(file: string): boolean {
    return this.ignoredBy(file) !== null;
  }

  /** What leaves the file out, e.g. `.dockeroptignore:3 "svc/"`, or null when nothing does. */
  ignoredBy(file: string): string | null {
    const abs = resolve(file);
    const rel = inside(this.root, abs);
    const own = rel === null ? null : ignoringRule(this.ignoreRules, rel);
    if (own) return `${relative(process.cwd(), join(this.root, IGNORE_FILE)) || IGNORE_FILE}:${own.line} "${own.pattern}"`;
    const c = this.configFor(abs);
    if (c?.config.ignore?.length) {
      const r = inside(c.dir, abs);
      const rule = r === null ? null : ignoringRule(parseIgnore(c.config.ignore.join('\n')), r);
      if (rule) return `${relative(process.cwd(), c.file) || c.file} "ignore": "${rule.pattern}"`;
    }
    return null;
  }

  private lookup(dir: string): LoadedConfig | null {
    const cached = this.byDir.get(dir);
    if (cached !== undefined) return cached;
    const found: LoadedConfig[] = [];
    for (const name of CONFIG_NAMES) {
      const p = join(dir, name);
      if (!existsSync(p) || !statSync(p).isFile()) continue;
      if (name === 'package.json' && !packageHasKey(p)) continue;
      found.push(loadConfig(p, this.transforms));
    }
    if (found.length > 1) {
      throw new UsageError(`${dir}: more than one dockeropt config (${found.map((f) => relative(dir, f.file)).join(', ')})`, 'Keep one of them.');
    }
    let result: LoadedConfig | null = found[0] ?? null;
    const parent = dirname(dir);
    if (!result && dir !== this.root && parent !== dir) result = this.lookup(parent);
    this.byDir.set(dir, result);
    return result;
  }
}

function packageHasKey(p: string): boolean {
  try {
    const data = JSON.parse(readFileSync(p, 'utf8')) as unknown;
    return isObject(data) && 'dockeropt' in data;
  } catch {
    return false; // a broken package.json is npm's problem, not a dockeropt config
  }
}

/** `abs` relative to `dir` with `/` separators, or null when it is not inside. */
function inside(dir: string, abs: string): string | null {
  const r = relative(dir, abs);
  if (r === '' || r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) return null;
  return r.split(sep).join('/');
}

export interface IgnoreRule { re: RegExp; negate: boolean; dirOnly: boolean; /** As written, and its line (1-based). */ pattern?: string; line?: number }

/** Parses gitignore syntax (https://git-scm.com/docs/gitignore#_pattern_format). */
export function parseIgnore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    let line = raw;
    // trailing spaces are ignored unless escaped with a backslash
    line = line.replace(/(?<!\\)[ \t]+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) { negate = true; line = line.slice(1); }
    else if (line.startsWith('\\!') || line.startsWith('\\#')) line = line.slice(1);
    let dirOnly = false;
    if (line.endsWith('/') && !line.endsWith('\\/')) { dirOnly = true; line = line.slice(0, -1); }
    if (line === '') continue;
    // a slash at the start or in the middle anchors the pattern to the base directory
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    rules.push({ re: new RegExp(`^${anchored ? '' : '(?:.*/)?'}${globToRegExp(line)}$`), negate, dirOnly, pattern: raw.trim(), line: i + 1 });
  }
  return rules;
}

function globToRegExp(g: string): string {
  let out = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        const atStart = i === 0 || g[i - 1] === '/';
        const next = g[i + 2];
        if (atStart && next === '/') { out += '(?:.*/)?'; i += 2; continue; }
        if (atStart && next === undefined) { out += '.*'; i += 1; continue; }
        while (g[i + 1] === '*') i++;
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = g.indexOf(']', i + 2);
      if (close === -1) { out += '\\['; continue; }
      let cls = g.slice(i + 1, close);
      if (cls.startsWith('!')) cls = '^' + cls.slice(1);
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '\\' && i + 1 < g.length) {
      out += escapeRe(g[++i]!);
    } else {
      out += escapeRe(c);
    }
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Is the file (a `/`-separated path relative to the rules' base) ignored? As in git, a file inside an
 * ignored directory stays ignored whatever a later `!` pattern says.
 */
export function matchIgnore(rules: readonly IgnoreRule[], rel: string): boolean {
  return ignoringRule(rules, rel) !== null;
}

/** The rule that ignores the file (see matchIgnore), or null when it is not ignored. */
export function ignoringRule(rules: readonly IgnoreRule[], rel: string): IgnoreRule | null {
  if (rules.length === 0) return null;
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const r = decide(rules, parts.slice(0, i).join('/'), true);
    if (r) return r;
  }
  return decide(rules, rel, false);
}

function decide(rules: readonly IgnoreRule[], path: string, isDir: boolean): IgnoreRule | null {
  let ignored: IgnoreRule | null = null;
  for (const r of rules) {
    if (r.dirOnly && !isDir) continue;
    if (r.re.test(path)) ignored = r.negate ? null : r;
  }
  return ignored;
}
