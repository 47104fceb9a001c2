/**
 * Runs the batch the options describe, with a progress spinner on an interactive stderr.
 * Human output and --check print each file as it finishes, in sorted order, and let go of its texts (only
 * outcomes stay for the summary), so memory stays bounded on big batches. The other formats are one
 * document of everything, and --diff-out needs every text at the end. --interactive runs the review
 * instead: its prompts and diffs are printed as it goes.
 */
import type { FileImpact } from '../impact.js';
import type { RunResult } from '../run.js';
import type { FileResult } from '../types.js';
import type { Io } from './io.js';
import type { CliOptions } from './options.js';
import { jsonChunks } from '../report/json-chunks.js';
import { offlineNote } from './report.js';
import { version } from './version.js';

export interface Batch {
  result: RunResult;
  /** The repository root (git top-level, else cwd): what patch paths are relative to. */
  root: string;
  /** Each changed file was printed as it finished; the texts are gone from `result`. */
  streamed: boolean;
  /** While streaming: each changed file's impact, and each file's refusal lines for the summary. */
  impacts: Map<string, FileImpact>;
  refusals: Map<string, string[]>;
  /** While streaming --format json / sarif: what each file's entry needs its texts for (see jsonParts, locate). */
  json?: Map<string, import('../report/json.js').JsonParts>;
  /** --format json written while the batch runs (see JsonStream): the reporter only ends the document. */
  jsonStream?: JsonStream;
  sarif?: Map<string, import('../report/locate.js').Located[]>;
}

export async function runBatch(o: CliOptions, io: Io): Promise<Batch> {
  // SIGINT/SIGTERM remove dockeropt's temp files before the process ends
  if (o.write || o.interactive || o.diffOut !== null) (await import('../write.js')).installSignalCleanup();
  if (o.interactive) return review(o, o.interactive.perChange, io);
  const human = await import('../report/human.js');
  const started = performance.now();
  const { optimize } = await import('../index.js');
  const spinner = await startProgress(io, o.quiet || o.format !== 'human');
  // human output prints each file as it finishes; JSON and SARIF keep what each file's entry needs its
  // texts for and write the document at the end (the same bytes); either way the texts are let go
  const streamed = (o.format === 'human' || o.format === 'json' || o.format === 'sarif') && o.diffOut === null;
  const impacts = new Map<string, FileImpact>();
  const refusals = new Map<string, string[]>();
  const jsonOut = streamed && o.format === 'json' ? { parts: new Map(), ...(await import('../report/json.js')) } : null;
  // a dry run's document can be written file by file: nothing changes a file's entry once it finished
  // (--write can fail a file afterwards, --verify and --diff-out need the texts, registry sizes are looked
  // up at the end)
  const jsonStream = jsonOut && !o.write && !o.verify && !(o.sizes && !o.offline) && !o.transforms.some((t) => t.id === 'pin-digests')
    ? new JsonStream(io, jsonOut, o) : null;
  const sarifOut = streamed && o.format === 'sarif' ? { located: new Map(), ...(await import('../report/locate.js')) } : null;
  // the JSON document carries every changed file's impact, the human output unless --check / --quiet
  const { computeImpact } = streamed && (jsonOut || (o.format === 'human' && !(o.check || o.quiet))) ? await import('../impact.js') : { computeImpact: null };
  const verifyLines = o.verify ? (await import('../verify/report.js')).fileVerifyLines : null;
  if (o.verify) o.verify.progress = (file, what) => spinner?.build(file, what);
  const onOrdered = (f: FileResult) => {
    if (jsonOut && !jsonStream) jsonOut.parts.set(f.file, jsonOut.jsonParts(f));
    if (sarifOut && f.status !== 'error') sarifOut.located.set(f.file, sarifOut.locate(f));
    if (o.format === 'human') printFile(f, o, io, human, verifyLines);
    if ((jsonOut || !o.check) && f.status === 'changed' && computeImpact) try { impacts.set(f.file, computeImpact(f.before, f.after)); } catch { /* the report is an extra */ }
    if (o.format === 'human' && !o.check && !o.quiet) refusals.set(f.file, human.outcomeLines(f, o.color, true, new Set(['refuse', 'note'])));
    jsonStream?.file(f, impacts.get(f.file));
    f.before = '';
    f.after = '';
  };
  let result;
  try {
    result = await optimize({
      ...o.optimize,
      onStart: (n, problems) => { spinner?.start(n); jsonStream?.start(problems); },
      onFile: (done, total) => spinner?.update(done, total),
      ...(streamed ? { onOrdered } : {}),
    });
  } finally {
    spinner?.stop();
  }
  for (const n of result.notices ?? []) io.stderr.write(`dockeropt: ${n}\n`);
  if (o.debug) io.stderr.write(`dockeropt: ${result.files.length} files in ${(performance.now() - started).toFixed(0)} ms\n`);
  if (o.debug) for (const f of result.files) if (f.error?.stack) io.stderr.write(`dockeropt: ${f.file}: ${f.error.stack}\n`);
  return { result, root: result.root, streamed, impacts, refusals, ...(jsonOut ? { json: jsonOut.parts } : {}), ...(jsonStream ? { jsonStream } : {}), ...(sarifOut ? { sarif: sarifOut.located } : {}) };
}

/**
 * The --format json document written while the batch runs, the same bytes as jsonReport's: the files are
 * sorted by path, which is the order they finish in (onOrdered), merged with the discovery problems
 * (known at the start); the reporter ends it with the summary. So no file's diff is held to the end.
 */
export class JsonStream {
  private problems: FileResult[] = [];
  private count = 0;
  private readonly offline: string;
  constructor(private readonly io: Io, private readonly json: typeof import('../report/json.js'), o: CliOptions) {
    this.offline = offlineNote(o);
  }
  start(problems: readonly FileResult[]): void {
    this.problems = [...problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    this.io.stdout.write(`{\n  "version": ${JSON.stringify(version())},\n  "files": `);
  }
  /** A finished file, in sorted order; `impact`: its impact (a changed file's). */
  file(f: FileResult, impact: FileImpact | undefined): void {
    while (this.problems.length && this.problems[0]!.file < f.file) this.entry(this.problems.shift()!, undefined);
    // the impact's base images get the note the end of the run would give them (no registry here)
    if (impact) for (const c of impact.bases) c.note = this.offline;
    this.entry(f, impact);
  }
  private entry(f: FileResult, impact: FileImpact | undefined): void {
    let text = this.count++ === 0 ? '[\n    ' : ',\n    ';
    for (const c of jsonChunks(this.json.jsonEntry(f, this.json.jsonParts(f), impact), 2, '    ')) text += c;
    this.io.stdout.write(text);
  }
  /** Ends the document: the problems after the last file, the summary. */
  end(r: RunResult, impacts: ReadonlyMap<string, FileImpact> | undefined): void {
    for (const p of this.problems.splice(0)) this.entry(p, undefined);
    let text = this.count === 0 ? '[]' : '\n  ]';
    text += ',\n  "summary": ';
    for (const c of jsonChunks(this.json.jsonSummary(r, impacts), 2, '  ')) text += c;
    this.io.stdout.write(text + '\n}\n');
  }
}

/**
 * One file in the human output, as it finishes: a changed file's header (its name), its changes, its diff
 * (under --write, one line per written file instead, unless --diff). Failed files and ignored files
 * named on the command line go to stderr with the summary (report.ts).
 */
export function printFile(f: FileResult, o: CliOptions, io: Io, human: typeof import('../report/human.js'), verifyLines: VerifyLines | null): void {
  if (o.check || f.status !== 'changed') return;
  if (o.write && !o.diff) {
    if (f.written && !o.quiet) io.stdout.write(human.writtenLine(f) + '\n');
    if (verifyLines && f.verify) io.stdout.write(verifyLines(f.verify, o.color, o.write).join('\n') + '\n');
    return;
  }
  if (!o.quiet) io.stdout.write([human.fileHeader(f.file, o.color), ...human.outcomeLines(f, o.color, false)].join('\n') + '\n');
  io.stdout.write(human.colorDiff(human.unifiedDiff(f.file, f.before, f.after, f.changes), o.color));
  if (verifyLines && f.verify) io.stdout.write(verifyLines(f.verify, o.color, o.write).join('\n') + '\n');
}

type VerifyLines = typeof import('../verify/report.js')['fileVerifyLines'];

/** --interactive: asks per file (or per change) on stdin and writes what was accepted. */
async function review(o: CliOptions, perChange: boolean, io: Io): Promise<Batch> {
  const [{ prepareOptimize }, { review, linePrompter }] = await Promise.all([import('../index.js'), import('../interactive.js')]);
  const { plan, run, root } = await prepareOptimize(o.optimize);
  const input = io.stdin ?? process.stdin;
  const result = await review(plan, run, { perChange, prompter: linePrompter(input, io.stdout, !input.isTTY), out: io.stdout, colors: o.color });
  return { result, root, streamed: false, impacts: new Map(), refusals: new Map() };
}

interface Progress { start(total: number): void; update(done: number, total: number): void; stop(): void; build(file: string, what: string | null): void }

/**
 * An ora spinner with `N/M files` (and, with --verify, the builds running), only on an interactive
 * stderr (ora itself checks TTY, CI and TERM=dumb).
 */
async function startProgress(io: Io, silent: boolean): Promise<Progress | null> {
  // a terminal that reports no width (some ptys) would make ora clear an unbounded number of lines
  if (silent || !io.stderr.isTTY || io.env.CI || !(io.stderr as { columns?: number }).columns) return null;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, discardStdin: false });
  const builds = new Map<string, string>();
  let counts = '';
  let stopped = false;
  const text = () => `${counts}${builds.size ? `${counts ? ', ' : ''}building ${[...builds].map(([f, w]) => `${f} (${w})`).join(', ')}` : ''}`;
  return {
    start: (total) => { counts = `0/${total} files`; if (total > 1) spinner.start(text()); },
    update: (done, total) => { counts = `${done}/${total} files`; if (spinner.isSpinning) spinner.text = text(); },
    stop: () => { stopped = true; if (spinner.isSpinning) spinner.stop(); },
    build: (file, what) => {
      if (what) builds.set(file, what); else builds.delete(file);
      if (stopped) return;
      if (!spinner.isSpinning) spinner.start(text()); else spinner.text = text();
    },
  };
}
