/**
 * From parsed flags to the options of one run: checks the flags against each other (a conflict is a
 * UsageError naming both) and puts each where the run and the report read it. A new flag is checked and
 * placed here.
 */
import type { OptimizeOptions } from '../index.js';
import type { Colors } from '../report/human.js';
import type { Transform } from '../types.js';
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import type { Flags, Values } from './flags.js';
import type { Io } from './io.js';

/** The output formats of --format (report.ts has a reporter for each). */
export type Format = 'human' | 'json' | 'sarif' | 'github';
const FORMATS: readonly Format[] = ['human', 'json', 'sarif', 'github'];

export interface CliOptions {
  format: Format;
  check: boolean;
  write: boolean;
  /** --diff: with --write, also print the changes and diffs. */
  diff: boolean;
  /** --verbose: every refusal site, impact per directory and per file. */
  verbose: boolean;
  /** --sizes: base-image sizes from the registry for the impact report. */
  sizes: boolean;
  /** --report-refusals: sarif/github also report refusals and notes. */
  reportRefusals: boolean;
  quiet: boolean;
  debug: boolean;
  ciHint: boolean;
  /** --interactive: review before writing; `perChange` asks per logical change instead of per file. */
  interactive: { perChange: boolean } | null;
  /** --diff-out F */
  diffOut: string | null;
  /** pin-digests' options (--offline, registries): the impact report reaches registries the same way. */
  pinOptions: Record<string, unknown> | undefined;
  offline: boolean;
  /** What `optimize` (src/index.ts) runs: the paths, transforms, their options, config, jobs. */
  optimize: OptimizeOptions;
  /** --verify: each changed file is built before and after (the verifier is in `optimize.verify`). */
  verify: { cache: boolean; progress: ((file: string, what: string | null) => void) | null } | null;
  color: Colors;
  transforms: readonly Transform<any>[];
}

/** Checks the flags (in a fixed order: the first conflict is the one reported) and builds the run's options. */
export async function buildOptions(flags: Flags, io: Io): Promise<CliOptions> {
  const v = flags.values;
  const format = formatAndModes(v);
  const jobs = jobsOf(v);
  const { only, skip } = selection(v, flags.transforms);
  const options = transformOptions(v, flags.transforms);
  const verify = verifyOf(v);
  const contextFor = v.context === undefined ? undefined : await explicitContextFor(v.context, flags.paths, io.cwd);
  if (v['diff-out'] !== undefined) await checkPatchTarget(v['diff-out'], io.cwd);
  const human = await import('../report/human.js');
  return {
    format,
    check: Boolean(v.check || v['list-different']),
    write: Boolean(v.write),
    diff: Boolean(v.diff),
    verbose: Boolean(v.verbose),
    sizes: Boolean(v.sizes),
    reportRefusals: Boolean(v['report-refusals']),
    quiet: Boolean(v.quiet),
    debug: Boolean(v.debug),
    ciHint: Boolean(v['ci-hint']),
    interactive: v.interactive ? { perChange: Boolean(v['per-change']) } : null,
    diffOut: v['diff-out'] ?? null,
    pinOptions: options['pin-digests'],
    offline: Boolean(v.offline),
    optimize: {
      cwd: io.cwd,
      paths: flags.paths,
      only,
      skip,
      options,
      write: Boolean(v.write),
      safeOnly: Boolean(v['safe-only']),
      runtime: Boolean(v.runtime),
      ...(contextFor ? { contextFor } : {}),
      ...(v['no-config'] ? { config: false as const } : v.config !== undefined ? { config: v.config } : {}),
      ...(jobs ? { jobs } : {}),
      ...(v['no-gitignore'] ? { gitignore: false } : {}),
      lean: true,
      // the --check report says only which files would change (and the held-back count of the first pass)
      ...(v.check || v['list-different']) && format === 'human' && !verify && v['diff-out'] === undefined ? { stopAtChange: true } : {},
      ...(verify ? { verify: (await import('../verify/run.js')).makeVerifier({
        ...(v.builder ? { builder: v.builder as 'docker' | 'podman' | 'buildah' } : {}),
        ...(v.target !== undefined ? { target: v.target } : {}),
        cache: verify.cache,
        env: io.env,
        // the batch's progress line shows the builds running (batch.ts sets it)
        onProgress: (file, what) => verify.progress?.(file, what),
      }) } : {}),
    },
    verify,
    color: human.useColor(io.env, Boolean(io.stdout.isTTY)) ? human.ansi : human.plain,
    transforms: flags.transforms,
  };
}

/** `--format` (`--json` is its alias), checked with the modes (--check, --write, --interactive, config) against each other. */
function formatAndModes(given: Values): Format {
  const v = given['list-different'] ? { ...given, check: true } : given;
  if (v.diff && !v.write) throw new UsageError('--diff needs --write', 'The dry run prints the diff already.');
  if (v.check && v.write) throw new UsageError('--check and --write cannot be used together', 'Use --check in CI to find pending changes, --write to apply them.');
  const f = v.format === undefined ? (v.json ? 'json' : 'human') : v.format;
  if (!FORMATS.includes(f as Format)) throw new UsageError(`--format must be human, json, sarif or github (got "${f}")`);
  if (v.json && f !== 'json') throw new UsageError(`--json and --format ${f} cannot be used together`);
  if (v.interactive && (v.check || f !== 'human')) throw new UsageError(`--interactive cannot be used with ${v.check ? '--check' : `--format ${f}`}`, 'Review interactively, or produce a report for CI, not both.');
  if (v['stdin-filepath'] !== undefined && (v.write || v.interactive || f !== 'human' || v['diff-out'] !== undefined)) throw new UsageError('--stdin-filepath prints the result on stdout: it cannot be used with --write, --interactive, --format or --diff-out');
  if (v['per-change'] && !v.interactive) throw new UsageError('--per-change needs --interactive');
  if (v.config !== undefined && v['no-config']) throw new UsageError('--config and --no-config cannot be used together');
  if (v.runtime && v['safe-only']) throw new UsageError('--runtime and --safe-only cannot be used together', '--safe-only (build-only changes) is the default; --runtime adds the runtime ones.');
  return f as Format;
}

/** `--verify[=cache]` with `--builder` and `--target`, which need it; not with --interactive. */
function verifyOf(v: Values): CliOptions['verify'] {
  if (v.verify !== undefined && v.verify !== 'build' && v.verify !== 'cache') throw new UsageError(`--verify takes no value or =cache (got ${v.verify})`);
  if (v.builder !== undefined && v.verify === undefined) throw new UsageError('--builder needs --verify');
  if (v.builder !== undefined && !['docker', 'podman', 'buildah'].includes(v.builder)) throw new UsageError(`--builder must be docker, podman or buildah (got ${v.builder})`);
  if (v.verify !== undefined && v.interactive) throw new UsageError('--verify cannot be used with --interactive');
  return v.verify === undefined ? null : { cache: v.verify === 'cache', progress: null };
}

/** `--jobs N`: 1 to 64. */
function jobsOf(v: Values): number | undefined {
  const jobs = v.jobs === undefined ? undefined : Number(v.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) throw new UsageError(`--jobs must be an integer from 1 to 64 (got ${String(v.jobs)})`);
  return jobs;
}

/** `--only` and `--skip` (repeatable, comma-separated): known ids, none in both. */
function selection(v: Values, transforms: readonly Transform<any>[]): { only: string[]; skip: string[] } {
  const split = (xs: readonly string[] | undefined) => (xs ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const only = split(v.only), skip = split(v.skip);
  const known = new Set(transforms.map((t) => t.id));
  for (const idn of [...only, ...skip]) {
    if (known.has(idn)) continue;
    const near = closest(idn, [...known]);
    throw new UsageError(`unknown transform "${idn}"${near ? ` (did you mean ${near}?)` : ''}`, `Known transforms: ${[...known].join(', ')}`);
  }
  const both = only.filter((x) => skip.includes(x));
  if (both.length) throw new UsageError(`--only and --skip both name ${both.join(', ')}`);
  return { only, skip };
}

/** The transforms' flags given, as each transform's options (`--runner X` -> runner-stage's `runner`). */
function transformOptions(v: Values, transforms: readonly Transform<any>[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const t of transforms) {
    for (const [flag, def] of Object.entries(t.flags ?? {})) if (v[flag] !== undefined) (out[t.id] ??= {})[def.key] = v[flag];
  }
  return out;
}

/** `--context DIR`: only for a single Dockerfile (a batch gets each file's context from compose files). */
async function explicitContextFor(dir: string, paths: readonly string[], cwd: string) {
  const [{ statSync }, { resolve }, { explicitContext }] = await Promise.all([import('node:fs'), import('node:path'), import('../build-context.js')]);
  const isA = (p: string, what: 'file' | 'dir') => { try { const st = statSync(p); return what === 'file' ? st.isFile() : st.isDirectory(); } catch { return false; } };
  if (paths.length !== 1 || !isA(resolve(cwd, paths[0]!), 'file')) {
    throw new UsageError('--context needs exactly one Dockerfile path', 'For a batch, each Dockerfile\'s context comes from the compose file that builds it, else its directory.');
  }
  const abs = resolve(cwd, dir);
  if (!isA(abs, 'dir')) throw new UsageError(`--context ${dir} is not a directory`);
  return (file: string) => explicitContext(abs, file);
}

/** `--diff-out F` is checked before anything runs or is written: its directory exists and F can be written. */
async function checkPatchTarget(file: string, cwd: string): Promise<void> {
  const [{ accessSync, constants, statSync }, { dirname, resolve }] = await Promise.all([import('node:fs'), import('node:path')]);
  const abs = resolve(cwd, file);
  let st: ReturnType<typeof statSync> | undefined;
  try { st = statSync(abs); } catch { st = undefined; }
  const fail = (why: string) => { throw new UsageError(`--diff-out ${file}: ${why}`, 'Nothing was run or written.'); };
  if (st?.isDirectory()) fail('is a directory');
  try { accessSync(st ? abs : dirname(abs), constants.W_OK); } catch (e) {
    fail(st ? `cannot be written (${(e as NodeJS.ErrnoException).code})` : `its directory ${dirname(file) || '.'} does not exist or is not writable (${(e as NodeJS.ErrnoException).code})`);
  }
}
