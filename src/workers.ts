/**
 * Worker threads for big batches. Parsing and transforms are CPU-bound, so on a large tree files are
 * spread over `jobs` threads. Only when it pays and is safe: enough files (thread start-up and module
 * loading cost ~100 ms each), built-in transforms (a worker loads them by id), no per-run state
 * (`prepare`/`finish`, e.g. a registry client that deduplicates lookups across files), and no injected
 * functions (contextFor, services, writeFs cannot cross a thread boundary). Otherwise files run on
 * the main thread with bounded async concurrency. Results are sorted by the caller, so the output
 * never depends on which thread finished first.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { FileResult } from './types.js';
import type { Plan, RunOptions } from './run.js';

/** Below this many files the main thread is faster (measured: ~10 ms per file, ~150 ms per thread start). */
export const WORKER_MIN_FILES = 200;


interface Job { i: number; path: string; display: string; ids: string[]; options: Record<string, Record<string, unknown>>; runtime: boolean; write: boolean; cwd: string; stopAtChange: boolean }

/** Can this plan run on worker threads? */
export async function workersFit(plan: Plan, opts: RunOptions): Promise<boolean> {
  if ((opts.concurrency ?? 1) < 2 || plan.files.length < WORKER_MIN_FILES) return false;
  if (opts.contextFor || opts.services || opts.writeFs || opts.verify) return false;
  const { transformById } = await import('../transforms/index.js');
  // a transform keeps per-run state only when its prepare returned some (split-copy does only for --create-dockerignore)
  return plan.files.every((f) => f.profile.transforms.every((t) => transformById(t.id) === t && (f.profile.state.get(t.id) === undefined)));
}

/**
 * Heap limit of a worker thread: the retained state per file is small (results go back to the main
 * thread), and without a limit V8 lets each thread's heap grow lazily to hundreds of MB on a big batch.
 */
export const WORKER_HEAP_MB = 160;

/**
 * Processes the plan's files on `threads` workers; `onResult` gets each result as it arrives. `take`
 * hands out the index of the next file to process (null when none is left): the caller shares it with
 * the main thread, which processes files too while the workers start (a worker is ready only after
 * ~0.3-0.5 s of loading, which a small batch would otherwise wait for).
 */
export async function runOnWorkers(plan: Plan, opts: RunOptions, threads: number, onResult: (r: FileResult) => void, take?: () => number | null): Promise<void> {
  const files = plan.files;
  let next = 0;
  const nextFile = take ?? (() => (next < files.length ? next++ : null));
  const start = (): Promise<void> => new Promise((resolve, reject) => {
    const limits = { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
    // from source (tests run through tsx) the worker registers the TypeScript loader before loading this module
    const w = import.meta.url.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((a) => { a.register(); return import(${JSON.stringify(import.meta.url)}); });`, { eval: true, workerData: { dockeroptWorker: true }, ...limits })
      : new Worker(new URL(import.meta.url), { workerData: { dockeroptWorker: true }, ...limits });
    let current: number | null = null;
    const send = () => {
      const i = nextFile();
      if (i === null) { current = null; void w.terminate().then(() => resolve()); return; }
      current = i;
      const f = files[i]!;
      // workers only compute: the main thread writes (one place for the signal clean-up and the transaction rules)
      const job: Job = { i, path: f.path, display: f.display, ids: f.profile.transforms.map((t) => t.id), options: f.profile.options, runtime: f.profile.runtime, write: false, cwd: opts.cwd, stopAtChange: Boolean(opts.stopAtChange) };
      w.postMessage(job);
    };
    w.on('message', (r: FileResult) => { current = null; onResult(r); send(); });
    w.on('error', (e: Error & { code?: string }) => {
      // a worker that dies (e.g. out of memory on a huge file) fails only the file it had; a fresh one goes on
      if (current === null) { reject(e); return; }
      const f = files[current]!;
      current = null;
      onResult({
        file: f.display, status: 'error', before: '', after: '', outcomes: [],
        error: { message: `could not be processed: ${e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory' : e.message}`, hint: 're-run this file alone with --jobs 1' },
      });
      start().then(resolve, reject);
    });
    send();
  });
  await Promise.all(Array.from({ length: Math.max(0, Math.min(threads, files.length)) }, start));
}

if (!isMainThread && (workerData as { dockeroptWorker?: boolean } | null)?.dockeroptWorker) {
  const [{ processFile }, { transformById }, { newContextCache }] = await Promise.all([import('./run.js'), import('../transforms/index.js'), import('./build-context.js')]);
  const contextCache = newContextCache(); // one per worker: the thread lives for one run
  parentPort!.on('message', async (job: Job) => {
    const transforms = job.ids.map((idn) => transformById(idn)!);
    const r = await processFile(job.path, job.display, { cwd: job.cwd, paths: [], transforms, options: job.options, runtime: job.runtime, write: job.write, contextCache, ...(job.stopAtChange ? { stopAtChange: true } : {}) });
    parentPort!.postMessage(r);
  });
}
