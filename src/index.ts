/**
 * The library API: `import { optimize, transforms } from 'dockeropt'`. The command line is a thin layer
 * over it. Library code never prints or exits: it returns data (and throws UsageError for bad options or
 * a bad config file, naming the file and the key).
 *
 * ```ts
 * import { optimize, optimizeText, transforms } from 'dockeropt';
 * const result = await optimize({ cwd: '/repo', paths: ['services'], skip: ['pin-digests'] });
 * for (const f of result.files) if (f.status === 'changed') console.log(f.file, f.outcomes);
 * const { text } = await optimizeText('FROM debian:12\nRUN a\nRUN b\n', { only: ['merge-run'] });
 * ```
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ConfigResolver, configuredSettings, loadConfig, repoRoot, settingsFrom, type Overrides } from './config.js';
import { UsageError } from './errors.js';
import { resolveOptions, runPipeline } from './pipeline.js';
import { WORKER_MIN_CPUS, planRun, run, type Plan, type RunOptions, type RunResult } from './run.js';
import { transforms as builtIn } from '../transforms/index.js';
import type { ContextFs, Services, Transform } from './types.js';
import type { WriteFs } from './write.js';

export { transforms, transformById } from '../transforms/index.js';
export { runPipeline } from './pipeline.js';
export { jsonReport } from './report/json.js';
export { sarifReport } from './report/sarif.js';
export { githubReport } from './report/github.js';
export { unifiedPatch } from './patch.js';
export { configSchema, loadConfig, validateConfig } from './config.js';
export { UsageError, FileError, InternalError } from './errors.js';
export { makeVerifier, type FileVerification, type FileVerifier, type VerifierOptions } from './verify/run.js';
export { verifyPair, detectBuilder, type VerifyInput, type VerifyResult } from './verify/index.js';
export type { Config, LoadedConfig, Overrides } from './config.js';
export type { RunResult, FileSettings, Plan, Profile } from './run.js';
export type { Outcome, ReportedOutcome, FileResult, FileStatus, Safety, Transform, TransformContext, ContextFs, ContextStat, Services } from './types.js';
export type { Edit } from './edits.js';
export type { WriteFs } from './write.js';

export interface OptimizeOptions {
  /** Files, directories or globs (default: `.`), relative to `cwd`. */
  paths?: readonly string[];
  /** Default: `process.cwd()`. */
  cwd?: string;
  /** Run only these transforms (ids). Replaces a config file's `only`/`skip`. */
  only?: readonly string[];
  /** Run all but these. Replaces a config file's `only`/`skip`. */
  skip?: readonly string[];
  /** Options by transform id; each key replaces the config file's. */
  options?: Readonly<Record<string, Record<string, unknown>>>;
  /** Apply `runtime` changes too (a new base image, another user); default: reported, not applied. */
  runtime?: boolean;
  /** Accepted for compatibility: build-only is the default; true wins over `runtime` and a config's. */
  safeOnly?: boolean;
  /** Write the changed files (atomically). Default: false (a dry run). */
  write?: boolean;
  /**
   * Configuration: a path uses that config file for every Dockerfile; `false` ignores config files and
   * `.dockeroptignore`; default: the nearest config file of each Dockerfile (see docs/batch.md).
   */
  config?: string | false;
  /** Files processed at once (default: the number of CPUs). */
  jobs?: number;
  /** Honour .gitignore when searching directories (default true, as prettier 3 does). */
  gitignore?: boolean;
  /** Worker threads for big batches (default true; used only when it pays, see src/workers.ts). */
  threads?: boolean;
  /** Drop the text of unchanged files from the result (bounds memory on big trees). */
  lean?: boolean;
  /** Only whether each file changes matters (`--check`): see RunOptions.stopAtChange. */
  stopAtChange?: boolean;
  /** The transforms to choose from, in pipeline order (default: the built-in ones). */
  transforms?: readonly Transform<any>[];
  services?: Services;
  contextFor?: (file: string) => ContextFs;
  writeFs?: WriteFs;
  onStart?: RunOptions['onStart'];
  onFile?: RunOptions['onFile'];
  onOrdered?: RunOptions['onOrdered'];
  /** Build each changed file before and after and compare the images (see src/verify/run.ts: makeVerifier). */
  verify?: RunOptions['verify'];
}

export interface OptimizeResult extends RunResult {
  /** The repository root (git top-level, else cwd): what report and patch paths are relative to. */
  root: string;
}

/** The run options and file plan of an `optimize` call (what `--interactive` reviews). */
export async function prepareOptimize(o: OptimizeOptions = {}): Promise<{ plan: Plan; run: RunOptions; root: string }> {
  const runOpts = runOptions(o);
  const root = repoRoot(runOpts.cwd);
  return { plan: await planRun(runOpts), run: runOpts, root };
}

/** Finds the Dockerfiles, runs the transforms each one's config selects, and (with `write`) writes them. */
export async function optimize(o: OptimizeOptions = {}): Promise<OptimizeResult> {
  const runOpts = runOptions(o);
  return { ...(await run(runOpts)), root: repoRoot(runOpts.cwd) };
}

function runOptions(o: OptimizeOptions): RunOptions {
  const cwd = resolve(o.cwd ?? process.cwd());
  const all = o.transforms ?? builtIn;
  checkIds(all, o.only ?? [], 'only');
  checkIds(all, o.skip ?? [], 'skip');
  const over: Overrides = {
    ...(o.only ? { only: o.only } : {}), ...(o.skip ? { skip: o.skip } : {}),
    ...(o.options ? { options: o.options } : {}), ...(o.safeOnly ? { safeOnly: true } : {}), ...(o.runtime ? { runtime: true } : {}),
  };
  const base = settingsFrom(all, null, over);
  // options given directly are checked up front (a config's are checked when it is loaded)
  resolveOptions(base.transforms, base.options);
  let settingsFor: RunOptions['settingsFor'];
  let ignoredBy: RunOptions['ignoredBy'];
  if (o.config !== false) {
    const root = repoRoot(cwd);
    const override = typeof o.config === 'string' ? loadConfig(resolve(cwd, o.config), all) : null;
    const resolver = new ConfigResolver(root, all, override);
    settingsFor = configuredSettings(resolver, all, over);
    ignoredBy = (p) => resolver.ignoredBy(p);
  }
  const jobs = o.jobs ?? availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`jobs must be a positive integer (got ${jobs})`);
  // by default, worker threads only where they pay: with 2 CPUs the main thread's garbage collector and
  // compiler already keep the second one busy, and workers made every batch measured slower and bigger
  // (docs/performance.md); an explicit jobs count asks for them anyway
  const threads = o.threads === false || (o.jobs === undefined && availableParallelism() < WORKER_MIN_CPUS) ? false : undefined;
  return {
    cwd,
    paths: o.paths ?? [],
    transforms: base.transforms,
    options: base.options,
    write: Boolean(o.write),
    safeOnly: Boolean(o.safeOnly),
    runtime: Boolean(o.runtime),
    concurrency: jobs,
    ...(threads === false ? { threads: false } : {}),
    ...(o.gitignore === false ? { gitignore: false } : {}),
    ...(o.lean ? { lean: true } : {}),
    ...(o.stopAtChange ? { stopAtChange: true } : {}),
    ...(settingsFor ? { settingsFor } : {}),
    ...(ignoredBy ? { ignoredBy } : {}),
    ...(o.services ? { services: o.services } : {}),
    ...(o.contextFor ? { contextFor: o.contextFor } : {}),
    ...(o.writeFs ? { writeFs: o.writeFs } : {}),
    ...(o.onStart ? { onStart: o.onStart } : {}),
    ...(o.onFile ? { onFile: o.onFile } : {}),
    ...(o.onOrdered ? { onOrdered: o.onOrdered } : {}),
    ...(o.verify ? { verify: o.verify } : {}),
  };
}

function checkIds(all: readonly Transform<any>[], ids: readonly string[], what: string): void {
  for (const idn of ids) {
    if (!all.some((t) => t.id === idn)) throw new UsageError(`unknown transform "${idn}" in ${what}`, `Known transforms: ${all.map((t) => t.id).join(', ')}`);
  }
}

export interface OptimizeTextOptions {
  only?: readonly string[];
  skip?: readonly string[];
  options?: Readonly<Record<string, Record<string, unknown>>>;
  /** Apply `runtime` changes too; default: reported as held-back notes, not applied. */
  runtime?: boolean;
  safeOnly?: boolean;
  transforms?: readonly Transform<any>[];
  /** For messages only. */
  file?: string;
  buildContext?: ContextFs;
  services?: Services;
}

/** Runs the transforms on one Dockerfile's text (no files, no config): the new text and the outcomes. */
export async function optimizeText(text: string, o: OptimizeTextOptions = {}): Promise<{ text: string; changed: boolean; outcomes: import('./types.js').ReportedOutcome[]; ignored: boolean }> {
  const all = o.transforms ?? builtIn;
  checkIds(all, o.only ?? [], 'only');
  checkIds(all, o.skip ?? [], 'skip');
  const s = settingsFrom(all, null, { ...(o.only ? { only: o.only } : {}), ...(o.skip ? { skip: o.skip } : {}) });
  const options = resolveOptions(s.transforms, o.options ?? {});
  const { prepareTransforms } = await import('./pipeline.js');
  const state = await prepareTransforms(s.transforms, options);
  const res = await runPipeline(text, {
    transforms: s.transforms, options, state,
    ...(o.file ? { file: o.file } : {}), ...(o.buildContext ? { buildContext: o.buildContext } : {}),
    ...(o.services ? { services: o.services } : {}), ...(o.safeOnly ? { safeOnly: true } : {}), ...(o.runtime ? { runtime: true } : {}),
  });
  return { text: res.text, changed: res.text !== text, outcomes: res.outcomes, ignored: res.ignored };
}
