import { promises as fsp, realpathSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { contextInfo, newContextCache, resolveBuildContext, type ContextCache } from './build-context.js';
import { contextFs } from './context-fs.js';
import { discover } from './discover.js';
import { FileError, InternalError } from './errors.js';
import { prepareTransforms, resolveOptions, runPipeline } from './pipeline.js';
import { staleTempFiles, writeAtomic, type WriteFs } from './write.js';
import type { ContextFs, FileResult, Services, Transform } from './types.js';

/** How a change declined in --interactive review is kept in the outcomes (a note). */
export const DECLINED = 'declined in review: ';

/** Files larger than this are refused: no Dockerfile is that large, and it bounds time and memory. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Longer lines or more lines are refused up front: the Dockerfile parser's time grows with them and no real file comes close. */
export const MAX_LINE_CHARS = 256 * 1024;
export const MAX_LINES = 20_000;

/**
 * With fewer CPUs than this, the default (no jobs count given) runs on the main thread only. Measured on 2
 * CPUs (docs/performance.md): `-j 1` keeps 1.5 CPUs busy (its garbage collector and compiler use the second),
 * and the main thread with a worker took 250 files 6.2 s instead of 5.4 s, 2,000 files 27.9 s instead of
 * 27.6 s, with more memory.
 */
export const WORKER_MIN_CPUS = 3;

export interface RunOptions {
  cwd: string;
  paths: readonly string[];
  transforms: readonly Transform<any>[];
  options?: Readonly<Record<string, Record<string, unknown>>>;
  write?: boolean;
  /** Apply `runtime` rewrites (default: held back, see PipelineOptions.runtime). */
  runtime?: boolean;
  /** Accepted for compatibility (build-only is the default); true wins over `runtime`. */
  safeOnly?: boolean;
  services?: Services;
  /** The build context of a Dockerfile; default: its directory, or the context a compose file gives it. */
  contextFor?: (file: string) => ContextFs;
  /** Directory listings and compose files read while resolving contexts (one per run; made by run()). */
  contextCache?: ContextCache;
  /** Called after each file (for progress), in the order files finish. */
  onFile?: (done: number, total: number, result: FileResult) => void;
  /**
   * Called with each file's result in sorted order, as soon as every file before it has finished, so a
   * caller can print as it goes and let go of the texts (memory stays bounded on big batches).
   */
  onOrdered?: (result: FileResult) => void;
  /** Called once discovery knows how many files there are. */
  /** Called once the files are known: how many will be processed, and the discovery problems (failed and ignored results, sorted), which are results too but never processed. */
  onStart?: (total: number, problems: readonly FileResult[]) => void;
  writeFs?: Partial<WriteFs>;
  /** Honour .gitignore when searching directories (default true). */
  gitignore?: boolean;
  /** Extra fast-glob ignore patterns. */
  ignore?: readonly string[];
  /** Files processed at once (their async work, e.g. registry lookups, overlaps); output order stays sorted. */
  concurrency?: number;
  /**
   * Per-file settings (from config files, see src/config.ts): which transforms run with which options.
   * Return null to leave the file out, undefined for the run's own. Called for every file before the
   * first one runs, so a bad config stops the run before anything is written.
   */
  settingsFor?: (path: string) => FileSettings | null | undefined;
  /** What leaves a file out (for a file named on the command line that settingsFor leaves out), e.g. `.dockeroptignore:3 "svc/"`. */
  ignoredBy?: (path: string) => string | null;
  /** Use worker threads when the batch is large enough and nothing prevents it (see src/workers.ts). Default true. */
  threads?: boolean;
  /** Drop the text of files that did not change once they are processed (bounds memory on big trees). */
  lean?: boolean;
  /**
   * Only whether each file changes matters (`--check`): a file's pipeline stops after its first pass
   * when that pass changed it (see PipelineOptions.stopAtChange); `after` is then that pass's text.
   */
  stopAtChange?: boolean;
  /**
   * `--verify`: build each file that would change before and after (src/verify/run.ts). Under `write`,
   * a file is written only when the verification allows it.
   */
  verify?: import('./verify/run.js').FileVerifier;
}

/** What runs on one file. Return the same object for files that share it: `prepare` runs once per object. */
export interface FileSettings {
  transforms: readonly Transform<any>[];
  /** Raw options by transform id (defaults and parseOptions are applied here). */
  options: Readonly<Record<string, Record<string, unknown>>>;
  /** Apply `runtime` rewrites for these files (a config's `"runtime": true`). */
  runtime?: boolean;
  safeOnly?: boolean;
}

/** Resolved settings with their per-run `prepare` state. */
export interface Profile {
  transforms: readonly Transform<any>[];
  options: Record<string, Record<string, unknown>>;
  /** Whether `runtime` rewrites are applied. */
  runtime: boolean;
  state: ReadonlyMap<string, unknown>;
}

/** The files of a run, each with its profile; discovery problems as failed results. */
export interface Plan {
  files: { path: string; display: string; profile: Profile }[];
  problems: FileResult[];
  /** Runs every used profile's `finish` hooks (after the last file); a hook that throws is returned, the others still run. */
  finish(write: boolean): Promise<FinishFailure[]>;
}

/** A transform's `finish` that failed (e.g. the lockfile could not be written). */
export interface FinishFailure { transform: string; error: unknown }

export interface TransformCounts { applied: number; refused: number }

export interface RunResult {
  files: FileResult[];
  summary: {
    scanned: number;
    changed: number;
    unchanged: number;
    ignored: number;
    failed: number;
    /** Files of which the reviewer declined a change (--interactive). */
    declined: number;
    written: number;
    /** Outcomes of kind 'error' (a site that could not be processed, e.g. a registry lookup that failed). */
    errors: number;
    /** With --verify: the files by result; `bugs` counts build-only changes that verified different. */
    verify?: { identical: number; different: number; unverified: number; bugs: number; buildOnly: { identical: number; different: number; unverified: number } };
    transforms: Record<string, TransformCounts>;
    /** Runtime rewrites held back (not applied without --runtime), by transform id. */
    held: Record<string, number>;
  };
  /** Things about the run as a whole, for stderr (e.g. temp files an interrupted run left). */
  notices?: string[];
}

/** Reads a Dockerfile as text, or throws a FileError that says what is wrong with it. */
export async function readDockerfile(path: string, display: string): Promise<{ bytes: Buffer; text: string }> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    throw new FileError(`cannot read (${(e as NodeJS.ErrnoException).code ?? e})`, display, { cause: e });
  }
  if (st.isDirectory()) throw new FileError('is a directory, not a Dockerfile', display);
  if (!st.isFile()) throw new FileError('is not a regular file (a FIFO, socket or device); skipped', display);
  if (st.size > MAX_FILE_BYTES) throw new FileError(`is ${(st.size / 1048576).toFixed(1)} MB, over the ${MAX_FILE_BYTES / 1048576} MB limit for a Dockerfile; skipped`, display);
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(path);
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    throw new FileError(`cannot read (${c ?? e})`, display, { hint: c === 'EACCES' ? 'check the file permissions' : undefined, cause: e } as never);
  }
  const utf16 = utf16Of(bytes);
  if (utf16) throw new FileError(`is UTF-16 text (${utf16}), not UTF-8; skipped`, display, { hint: `convert it to UTF-8, e.g. iconv -f ${utf16} -t UTF-8` });
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    const line = bytes.subarray(0, nul).toString('latin1').split('\n').length;
    throw new FileError('looks like a binary file (it contains a NUL byte); skipped', display, { line });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new FileError('is not valid UTF-8 text; skipped', display, { hint: 'convert the file to UTF-8', cause: e });
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) text = '\uFEFF' + text;
  checkLineLimits(text, display);
  return { bytes, text };
}

/** Refuses text with a line longer than MAX_LINE_CHARS or more than MAX_LINES lines (the parser's time grows with both). */
export function checkLineLimits(text: string, display: string): void {
  let lineNo = 0;
  for (let start = 0; start <= text.length; lineNo++) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    if (end - start > MAX_LINE_CHARS) {
      throw new FileError(`line ${lineNo + 1} is ${end - start} characters long, over the ${MAX_LINE_CHARS} this tool processes; skipped`, display, { line: lineNo + 1 });
    }
    if (lineNo >= MAX_LINES) throw new FileError(`has more than ${MAX_LINES} lines, over what this tool processes; skipped`, display);
    if (nl === -1) break;
    start = nl + 1;
  }
}

/** 'UTF-16LE' or 'UTF-16BE' when the bytes are UTF-16 (a BOM, or ASCII with every other byte NUL), else null. */
function utf16Of(b: Buffer): string | null {
  if (b[0] === 0xff && b[1] === 0xfe) return 'UTF-16LE';
  if (b[0] === 0xfe && b[1] === 0xff) return 'UTF-16BE';
  if (b.length >= 4 && b[0] !== 0 && b[1] === 0 && b[2] !== 0 && b[3] === 0) return 'UTF-16LE';
  if (b.length >= 4 && b[0] === 0 && b[1] !== 0 && b[2] === 0 && b[3] !== 0) return 'UTF-16BE';
  return null;
}

/** Runs the pipeline over every Dockerfile the paths name; one failing file never stops the batch. */
export async function run(given: RunOptions): Promise<RunResult> {
  const opts: RunOptions = { ...given, contextCache: given.contextCache ?? newContextCache() };
  const plan = await planRun(opts);
  const results: FileResult[] = [...plan.problems];
  const files = plan.files;
  const total = files.length;
  opts.onStart?.(total, plan.problems);
  let done = 0;
  let next = 0;
  const position = new Map(files.map((f, i) => [f.display, i]));
  const ready = new Map<number, FileResult>();
  let emitted = 0;
  const collect = (r: FileResult) => {
    if (opts.lean && r.status !== 'changed' && r.status !== 'error') { r.before = ''; r.after = ''; }
    results.push(r);
    opts.onFile?.(++done, total, r);
    if (!opts.onOrdered) return;
    const i = position.get(r.file);
    if (i === undefined) { opts.onOrdered(r); return; }
    ready.set(i, r);
    while (ready.has(emitted)) {
      const next = ready.get(emitted)!;
      ready.delete(emitted++);
      opts.onOrdered(next);
    }
  };
  const notices = staleNotices(plan, opts);
  // every write happens here, on the main thread (workers only compute), so the signal handler sees every temp file
  const batch = new WriteBatch(plan, opts.writeFs);
  const commit = async (r: FileResult, path: string, bytes: Buffer | null) => {
    if (opts.write && r.status === 'changed' && (!r.verify || r.verify.writable)) await batch.commit(r, path, bytes ?? Buffer.from(r.before, 'utf8'), r.after);
    collect(r);
  };
  const workers = opts.threads !== false ? await import('./workers.js') : null;
  if (workers && await workers.workersFit(plan, opts)) {
    const pathOf = new Map(files.map((f) => [f.display, f.path]));
    const pending: Promise<void>[] = [];
    const take = () => (next < files.length ? next++ : null);
    // the main thread is one of the `concurrency` threads: it processes files from the same queue, from
    // the start (the workers need a few hundred ms to load), between printing the results
    const mainThread = async () => {
      for (let i = take(); i !== null; i = take()) {
        const f = files[i]!;
        const p = f.profile;
        const { result, bytes } = await analyseFile(f.path, f.display, { ...opts, transforms: p.transforms, options: p.options, runtime: p.runtime, safeOnly: false, state: p.state });
        pending.push(commit(result, f.path, bytes));
      }
    };
    await Promise.all([
      workers.runOnWorkers(plan, opts, (opts.concurrency ?? 1) - 1, (r) => { pending.push(commit(r, pathOf.get(r.file) ?? r.file, null)); }, take),
      mainThread(),
    ]);
    await Promise.all(pending);
  } else {
    const worker = async () => {
      while (next < files.length) {
        const f = files[next++]!;
        const p = f.profile;
        const { result, bytes } = await analyseFile(f.path, f.display, { ...opts, transforms: p.transforms, options: p.options, runtime: p.runtime, safeOnly: false, state: p.state });
        await commit(result, f.path, bytes);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, files.length)) }, worker));
  }
  results.push(...await batch.finish(Boolean(opts.write)));
  results.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { files: results, summary: summarize(results), ...(notices.length ? { notices } : {}) };
}

/**
 * The writes of a run. A file changed by a transform with a `finish` hook (pin-digests: the lockfile
 * records the digests it pinned) is held until that hook has run, and is written only when it succeeded:
 * the file and what the hook writes are one transaction. Every other file is written at once.
 */
export class WriteBatch {
  private readonly held: { r: FileResult; path: string; bytes: Buffer; text: string }[] = [];
  private readonly holders: Set<string>;

  /** `keep`: a file that fails keeps its proposed text and outcomes in the result (what --interactive shows). */
  constructor(private readonly plan: Plan, private readonly writeFs?: Partial<WriteFs>, private readonly keep = false) {
    this.holders = new Set(plan.files.flatMap((f) => f.profile.transforms.filter((t) => t.finish).map((t) => t.id)));
  }

  /** Writes (or holds) one changed file; a failure turns the result into an error result. */
  async commit(r: FileResult, path: string, bytes: Buffer, text: string): Promise<void> {
    if (r.outcomes.some((o) => o.kind === 'rewrite' && this.holders.has(o.transform))) { this.held.push({ r, path, bytes, text }); return; }
    await writeResult(r, path, bytes, text, this.writeFs, this.keep);
  }

  get holding(): boolean { return this.held.length > 0; }

  /** Runs the finish hooks, then writes the held files whose hooks succeeded; returns the hooks' failures as results. */
  async finish(write: boolean): Promise<FileResult[]> {
    const failures = await this.plan.finish(write || this.holding);
    for (const h of this.held) {
      const f = failures.find((x) => h.r.outcomes.some((o) => o.kind === 'rewrite' && o.transform === x.transform));
      if (!f) { await writeResult(h.r, h.path, h.bytes, h.text, this.writeFs, this.keep); continue; }
      const what = f.error instanceof FileError ? f.error.file : `what ${f.transform} writes`;
      failResult(h.r, { message: `not written: the changes ${f.transform} made here are recorded in ${what}, which could not be written, so this file was not written either`, hint: `see the error of ${what}, fix it and re-run` }, this.keep);
    }
    return failures.map((f) => ({
      file: f.error instanceof FileError ? f.error.file : `(${f.transform})`, status: 'error' as const, before: '', after: '', outcomes: [], error: describeError(f.error),
    }));
  }
}

async function writeResult(r: FileResult, path: string, bytes: Buffer, text: string, writeFs?: Partial<WriteFs>, keep = false): Promise<void> {
  try {
    await writeAtomic(path, r.file, bytes, text, writeFs);
    r.written = true;
  } catch (e) {
    failResult(r, describeError(e), keep);
  }
}

/** A file that could not be written: an error result (the proposed text and outcomes dropped unless `keep`). */
function failResult(r: FileResult, error: NonNullable<FileResult['error']>, keep = false): void {
  r.status = 'error';
  r.error = error;
  if (!keep) { r.after = r.before; r.outcomes = []; }
  delete r.written;
}

/** Temp files interrupted runs left next to the planned files (removed under --write when older than a day). */
function staleNotices(plan: Plan, opts: RunOptions): string[] {
  const dirs = [opts.cwd];
  for (const f of plan.files) {
    dirs.push(dirname(f.path));
    try { dirs.push(dirname(realpathSync(f.path))); } catch { /* reported when it is read */ }
  }
  const age = (ms: number) => (ms >= 48 * 3600e3 ? `${Math.floor(ms / 86400e3)} days old` : ms >= 3600e3 ? `${Math.floor(ms / 3600e3)} h old` : `${Math.max(0, Math.floor(ms / 60e3))} min old`);
  return staleTempFiles(dirs, Boolean(opts.write)).map((t) => {
    const shown = relative(opts.cwd, t.path) || t.path;
    if (t.removed) return `removed a temp file an interrupted run left: ${shown} (${age(t.ageMs)})`;
    if (t.ageMs > 24 * 3600e3) return `found a temp file an interrupted run left: ${shown} (${age(t.ageMs)}); ${opts.write ? 'it could not be removed' : 'a --write run removes it'}`;
    return `found a temp file another dockeropt run made: ${shown} (${age(t.ageMs)}); if no other run is going on, delete it (a --write run removes it once it is a day old)`;
  });
}

/** Discovers the files, applies `settingsFor`, resolves options and runs `prepare` once per profile. */
export async function planRun(opts: RunOptions): Promise<Plan> {
  const { files, problems } = await discover(opts.paths, opts.cwd, opts.ignore ?? [], { gitignore: opts.gitignore !== false });
  const failed: FileResult[] = problems.map((p) => ({
    file: p.display, status: 'error' as const, before: '', after: '', outcomes: [],
    error: { message: p.message, ...(p.hint ? { hint: p.hint } : {}) },
  }));
  const profiles = new Map<FileSettings | undefined, Omit<Profile, 'state'> & { state?: Map<string, unknown> }>();
  const planned: { path: string; display: string; settings: FileSettings | undefined }[] = [];
  const runtimeOf = (s: FileSettings | RunOptions) => Boolean(s.runtime) && !s.safeOnly;
  const own: FileSettings = { transforms: opts.transforms, options: opts.options ?? {}, runtime: runtimeOf(opts) };
  if (!opts.settingsFor) profiles.set(undefined, { transforms: own.transforms, options: resolveOptions(own.transforms, own.options), runtime: runtimeOf(own) });
  let left = 0;
  for (const f of files) {
    const s = opts.settingsFor ? opts.settingsFor(f.path) : undefined;
    if (s === null) {
      left++;
      // a file named on the command line is not dropped silently: it is reported as ignored, with the pattern
      if (f.explicit) failed.push({ file: f.display, status: 'ignored', before: '', after: '', outcomes: [], ignoredBy: opts.ignoredBy?.(f.path) ?? 'the configuration' });
      continue;
    }
    if (!profiles.has(s)) {
      const use = s ?? own;
      profiles.set(s, { transforms: use.transforms, options: resolveOptions(use.transforms, use.options), runtime: runtimeOf(use) });
    }
    planned.push({ path: f.path, display: f.display, settings: s });
  }
  if (planned.length === 0 && left > 0 && failed.length === 0) {
    failed.push({ file: opts.paths.join(' ') || '.', status: 'error', before: '', after: '', outcomes: [], error: { message: `every Dockerfile found (${left}) is ignored by .dockeroptignore or a config's "ignore"`, hint: 'check the ignore patterns, or run with --no-config' } });
  }
  for (const p of profiles.values()) p.state = await prepareTransforms(p.transforms, p.options, { cwd: opts.cwd });
  return {
    files: planned.map((f) => ({ path: f.path, display: f.display, profile: profiles.get(f.settings) as Profile })),
    problems: failed,
    async finish(write) {
      const failures: FinishFailure[] = [];
      for (const p of profiles.values()) {
        for (const t of p.transforms) {
          if (!t.finish) continue;
          try { await t.finish(p.state!.get(t.id), { write, cwd: opts.cwd }); } catch (error) { failures.push({ transform: t.id, error }); }
        }
      }
      return failures;
    },
  };
}

/** Reads and transforms one file, and (with `write`) writes it. */
export async function processFile(path: string, display: string, opts: RunOptions & { state?: ReadonlyMap<string, unknown> }): Promise<FileResult> {
  const { result, bytes } = await analyseFile(path, display, opts);
  if (opts.write && result.status === 'changed' && bytes) await writeResult(result, path, bytes, result.after, opts.writeFs);
  return result;
}

/** Reads and transforms one file (never writes): the result, and the bytes read (null when it could not be read). */
export async function analyseFile(path: string, display: string, opts: RunOptions & { state?: ReadonlyMap<string, unknown> }): Promise<{ result: FileResult; bytes: Buffer | null }> {
  let before = '';
  let read: Buffer | null = null;
  try {
    const { bytes, text } = await readDockerfile(path, display);
    before = text;
    read = bytes;
    const buildContext = opts.contextFor ? opts.contextFor(path) : resolveBuildContext(path, undefined, opts.contextCache);
    const res = await runPipeline(text, {
      transforms: opts.transforms,
      ...(opts.options ? { options: opts.options } : {}),
      file: display,
      buildContext,
      ...(opts.services ? { services: opts.services } : {}),
      ...(opts.runtime && !opts.safeOnly ? { runtime: true } : {}),
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.stopAtChange && !opts.verify ? { stopAtChange: true } : {}),
    });
    const changed = res.text !== text;
    const result: FileResult = {
      file: display,
      status: res.ignored ? 'ignored' : changed ? 'changed' : 'unchanged',
      before: text,
      after: res.text,
      outcomes: res.outcomes,
      ...(changed && res.changes ? { changes: res.changes } : {}),
      ...(res.warnings ? { warnings: res.warnings } : {}),
    };
    if (changed && opts.verify) {
      const rewrites = res.outcomes.filter((o) => o.kind === 'rewrite');
      // the build-only changes alone, when runtime ones are mixed in: they must verify identical by themselves
      const mixed = rewrites.some((o) => o.safety === 'runtime') && rewrites.some((o) => o.safety !== 'runtime');
      const buildOnlyAfter = mixed ? (await runPipeline(text, {
        transforms: opts.transforms, ...(opts.options ? { options: opts.options } : {}), file: display, buildContext,
        ...(opts.services ? { services: opts.services } : {}), safeOnly: true, ...(opts.state ? { state: opts.state } : {}),
      })).text : null;
      const info = contextInfo(buildContext);
      result.verify = await opts.verify({
        path, display, before: text, after: res.text, buildOnlyAfter, outcomes: res.outcomes,
        context: info?.source === 'unknown' ? null : buildContext.root,
        ...(info?.source === 'unknown' ? { contextProblem: `the build context is not known (${info.detail ?? 'unknown'}); pass --context DIR` } : {}),
      });
    }
    return { result, bytes };
  } catch (e) {
    return { result: { file: display, status: 'error', before, after: before, outcomes: [], error: describeError(e) }, bytes: read };
  }
}

export function describeError(e: unknown): { message: string; line?: number; hint?: string; stack?: string } {
  if (e instanceof FileError) {
    return { message: e.message, ...(e.line !== undefined ? { line: e.line } : {}), ...(e.hint ? { hint: e.hint } : {}) };
  }
  if (e instanceof InternalError) {
    const cause = (e.cause as Error | undefined)?.stack;
    return { message: `internal error: ${e.message}`, hint: 'the file was left unchanged; please report this with the Dockerfile (run with --debug for a stack trace)', ...(e.stack ? { stack: cause ? `${e.stack}\nCaused by: ${cause}` : e.stack } : {}) };
  }
  return { message: `unexpected error: ${(e as Error)?.message ?? String(e)}`, hint: 'the file was left unchanged; run with --debug for details', ...((e as Error)?.stack ? { stack: (e as Error).stack! } : {}) };
}

export function summarize(files: readonly FileResult[]): RunResult['summary'] {
  const s: RunResult['summary'] = { scanned: 0, changed: 0, unchanged: 0, ignored: 0, failed: 0, declined: 0, written: 0, errors: 0, transforms: {}, held: {} };
  for (const f of files) {
    s.scanned++;
    // a file with an error outcome (a site that could not be processed) failed, whatever else changed in it
    if (f.status !== 'error' && f.outcomes.some((o) => o.kind === 'error')) s.failed++;
    else if (f.status === 'changed') s.changed++;
    else if (f.status === 'unchanged') s.unchanged++;
    else if (f.status === 'ignored') s.ignored++;
    else s.failed++;
    if (f.written) s.written++;
    if (f.outcomes.some((o) => o.kind === 'note' && o.message.startsWith(DECLINED))) s.declined++;
    if (f.verify) {
      const v = (s.verify ??= { identical: 0, different: 0, unverified: 0, bugs: 0, buildOnly: { identical: 0, different: 0, unverified: 0 } });
      v[f.verify.status]++;
      if (f.verify.bug) v.bugs++;
      const bo = f.verify.changes === 'both' ? f.verify.buildOnly : f.verify.changes === 'build-only' ? f.verify : undefined;
      if (bo) v.buildOnly[bo.status]++;
    }
    for (const o of f.outcomes) {
      const c = (s.transforms[o.transform] ??= { applied: 0, refused: 0 });
      if (o.kind === 'rewrite') c.applied++;
      else if (o.kind === 'refuse') c.refused++;
      else if (o.kind === 'error') s.errors++;
      if (o.held) s.held[o.transform] = (s.held[o.transform] ?? 0) + 1;
    }
  }
  return s;
}
