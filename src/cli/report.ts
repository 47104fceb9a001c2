/**
 * Prints a batch's result in the chosen output and returns the exit code. One reporter per output
 * (REPORTERS); the formats themselves are built in src/report/. A new --format is a reporter here and
 * its name in options.ts FORMATS. Every reporter is followed by the --diff-out patch and, except in JSON
 * (whose document holds them), the transforms' errors on stderr.
 */
import type { FileImpact } from '../impact.js';
import type { RunResult } from '../run.js';
import type { FileResult } from '../types.js';
import type { Batch } from './batch.js';
import { EXIT, type Io } from './io.js';
import type { CliOptions, Format } from './options.js';
import { version } from './version.js';

type Impacts = ReadonlyMap<string, FileImpact> | undefined;
type Reporter = (b: Batch, o: CliOptions, io: Io, impacts: Impacts) => Promise<void>;

export async function report(b: Batch, o: CliOptions, io: Io): Promise<number> {
  if (o.interactive) return reportReview(b, o, io);
  const impacts = await impactsFor(b, o);
  await REPORTERS[o.check && o.format === 'human' ? 'check' : o.format](b, o, io, impacts);
  if (o.diffOut !== null && !(await writePatch(io, o.diffOut, b.result.files, b.root))) return EXIT.error;
  // errors reach stderr in every mode (human output and --check print failed files themselves)
  if (o.format !== 'human') printFailed(b.result, io, await import('../report/human.js'));
  printTransformErrors(b.result, io);
  for (const f of b.result.files) {
    if (f.verify?.bug) io.stderr.write(`dockeropt: ${f.file}: a build-only change verified different with ${f.verify.builder}: this is a bug in dockeropt; the file was not written\n`);
  }
  return exitCode(b.result, o.check);
}

const REPORTERS: Readonly<Record<Format | 'check', Reporter>> = {
  human: reportHuman,
  check: reportCheck,
  json: async (b, _o, io, impacts) => {
    // written while the batch ran: only its end is left
    if (b.jsonStream) { b.jsonStream.end(b.result, impacts); return; }
    const [{ jsonDocument }, { writeJson }] = await Promise.all([import('../report/json.js'), import('../report/json-chunks.js')]);
    // files[i] are written one by one (depth 3: the document, its files array, each file's entry)
    writeJson(io.stdout, jsonDocument(b.result, version(), impacts, b.json), 3);
  },
  sarif: async (b, o, io) => {
    const [{ sarifDocument }, { writeJson }] = await Promise.all([import('../report/sarif.js'), import('../report/json-chunks.js')]);
    // runs[0].results[i] are written one by one (depth 5: the log, runs, the run, its results, each result)
    writeJson(io.stdout, sarifDocument(b.result, { version: version(), transforms: o.transforms, cwd: io.cwd, root: b.root, refusals: o.reportRefusals }, b.sarif), 5);
  },
  github: async (b, o, io) => {
    const { githubReport } = await import('../report/github.js');
    io.stdout.write(githubReport(b.result, { cwd: io.cwd, root: b.root, refusals: o.reportRefusals }));
  },
};

/**
 * The files (unless printed while streaming), then the summary, which ends with the headline: per
 * transform counts and grouped refusal reasons, (--verbose) every refusal site and the impact per
 * directory and file, the impact totals, and last the headline. Failed files go to stderr.
 */
async function reportHuman(b: Batch, o: CliOptions, io: Io, impacts: Impacts): Promise<void> {
  const human = await import('../report/human.js');
  const { printFile } = await import('./batch.js');
  const { result } = b, color = o.color;
  const verifyLines = o.verify ? (await import('../verify/report.js')).fileVerifyLines : null;
  if (!b.streamed) for (const f of result.files) printFile(f, o, io, human, verifyLines);
  printFailed(b.result, io, human);
  if (o.quiet) return;
  if (o.verbose || o.debug || result.files.length === 1) {
    for (const f of result.files) {
      const refusals = b.refusals.get(f.file) ?? human.outcomeLines(f, color, true, new Set(['refuse', 'note']));
      if (refusals.length) io.stdout.write(`${human.fileHeader(f.file, color)}\n${refusals.join('\n')}\n`);
    }
  }
  const lines = human.transformLines(result, color);
  if (o.verbose) {
    const services = (await import('../report/services.js')).serviceSummary(result, color);
    if (services) lines.push(services);
  }
  const impact = impacts ? human.impactText(impacts, color, o.verbose) : '';
  if (impact) lines.push(impact);
  const sizes = impacts ? sizeLine(impacts, o) : '';
  if (sizes) lines.push(color.dim(sizes));
  if (o.ciHint && pending(result).length) lines.push(color.dim(human.CI_HINT));
  lines.push(human.headline(result, color, { write: o.write }));
  io.stdout.write(lines.join('\n') + '\n');
}

/** Failed files, each `dockeropt: file:line: message (hint)`, on stderr. */
function printFailed(r: RunResult, io: Io, human: typeof import('../report/human.js')): void {
  for (const f of r.files) if (f.status === 'ignored' && f.ignoredBy) io.stderr.write(`dockeropt: ${human.ignoredLine(f)}\n`);
  for (const f of failed(r)) io.stderr.write(`dockeropt: ${human.formatError(f)}\n`);
}

/** One line on base-image sizes when some base changed and a size is missing: not looked up, or why not. */
function sizeLine(impacts: ReadonlyMap<string, FileImpact>, o: CliOptions): string {
  const missing = [...impacts.values()].flatMap((i) => i.bases).filter((x) => x.beforeBytes === undefined || x.afterBytes === undefined);
  if (missing.length === 0) return '';
  const note = missing.find((x) => x.note)?.note ?? '';
  if (note.startsWith(NOT_LOOKED_UP) || note.startsWith('sizes skipped')) return `base-image sizes: ${note}`;
  return `base-image sizes: not available for ${missing.length} change${missing.length === 1 ? '' : 's'} (${note.replace(/^size not available: /, '')})${o.verbose ? '' : '; --verbose shows each'}`;
}

const NOT_LOOKED_UP = 'not looked up';

/** --check: the files that would change on stdout, the failed ones and a one-line verdict on stderr. */
async function reportCheck(b: Batch, o: CliOptions, io: Io): Promise<void> {
  const human = await import('../report/human.js');
  const p = pending(b.result), f = failed(b.result);
  for (const x of p) io.stdout.write(`${human.quotePath(x.file)}\n`);
  printFailed(b.result, io, human);
  if (o.quiet) return;
  const failedNote = f.length ? `; ${f.length} file${f.length === 1 ? '' : 's'} could not be checked` : '';
  io.stderr.write(p.length ? `${p.length} file${p.length === 1 ? '' : 's'} would be rewritten; run dockeropt --write${o.optimize.runtime ? ' --runtime' : ''}${failedNote}\n` : f.length ? `No pending changes in the files that could be read${failedNote}\n` : 'All Dockerfiles are optimized.\n');
  // held-back runtime changes do not make --check fail (--write would not write them): said, not counted
  const held = human.heldBackLine(b.result);
  if (held) io.stderr.write(`${held}\n`);
}

/** After --interactive: the summary of what was written, failed files, the patch of what was accepted. */
async function reportReview(b: Batch, o: CliOptions, io: Io): Promise<number> {
  const [human, { serviceSummary }] = await Promise.all([import('../report/human.js'), import('../report/services.js')]);
  const services = o.verbose ? serviceSummary(b.result, o.color) : '';
  io.stdout.write([...human.transformLines(b.result, o.color), ...(services ? [services] : []), human.headline(b.result, o.color, { write: true })].join('\n') + '\n');
  for (const f of failed(b.result)) io.stderr.write(`dockeropt: ${human.formatError(f)}\n`);
  // the patch holds what was written (accepted), so it can be re-applied elsewhere
  if (o.diffOut !== null && !(await writePatch(io, o.diffOut, b.result.files.filter((f) => f.written), b.root))) return EXIT.error;
  return exitCode(b.result, false);
}

const pending = (r: RunResult) => r.files.filter((f) => f.status === 'changed');
const failed = (r: RunResult) => r.files.filter((f) => f.status === 'error');

/** 2 when a file failed, a transform erred or --verify found a build-only change that changed the image; 1 when --check finds pending changes; else 0. */
function exitCode(r: RunResult, check: boolean): number {
  if (failed(r).length || r.summary.errors || r.summary.verify?.bugs) return EXIT.error;
  if (check && pending(r).length) return EXIT.pending;
  return EXIT.ok;
}

/** A transform's error on a file (the file itself was read), as `file:line: transform: message`. */
function printTransformErrors(r: RunResult, io: Io): void {
  for (const f of r.files) for (const w of f.warnings ?? []) io.stderr.write(`dockeropt: ${f.file}:${w.line}: warning: ${w.message}\n`);
  for (const f of r.files) for (const o of f.outcomes) {
    if (o.kind === 'error') io.stderr.write(`dockeropt: ${f.file}:${o.line}: ${o.transform}: ${o.message}\n`);
  }
}

/**
 * The impact report (layers, cache, base sizes) of changed files, for human output and JSON (sarif and
 * github do not print it, so it is not computed for them). Base sizes need the registry: only with
 * --sizes, or when pin-digests runs anyway (it reaches the registry), and never --offline.
 */
async function impactsFor(b: Batch, o: CliOptions): Promise<Impacts> {
  if (o.format === 'sarif' || o.format === 'github') return undefined;
  const wanted = !(o.check || o.quiet);
  if (b.streamed && o.format === 'json') {
    // only files that are still changed at the end (a write that failed made its file an error)
    for (const f of b.result.files) if (f.status !== 'changed') b.impacts.delete(f.file);
    return priceStreamed(b.impacts, o, b.result);
  }
  if (b.streamed) return wanted ? priceStreamed(b.impacts, o, b.result) : undefined;
  return o.format === 'json' || wanted ? impactOf(b.result.files, o, b.result) : undefined;
}

/** Whether base sizes are looked up: asked with --sizes, or pin-digests ran (and so reached the registry). */
const sizesWanted = (o: CliOptions, r: RunResult) => !o.offline && (o.sizes || (o.optimize.only ?? []).includes('pin-digests') || r.files.some((f) => f.outcomes.some((x) => x.transform === 'pin-digests')));
export const offlineNote = (o: CliOptions) => (o.offline ? 'sizes skipped: offline' : `${NOT_LOOKED_UP} (--sizes asks the registry)`);

/** Base-image sizes through the same registries, insecure hosts and docker config as pin-digests; none unless wanted. */
async function sizeLookup(o: CliOptions, r: RunResult) {
  if (!sizesWanted(o, r)) return null;
  const { registryOptionsFrom, registrySizes } = await import('../impact-sizes.js');
  return registrySizes(await registryOptionsFrom(o.pinOptions));
}

/** Prices the base-image changes of impacts computed while streaming (see impactOf). */
async function priceStreamed(impacts: Map<string, FileImpact>, o: CliOptions, r: RunResult) {
  const { priceBases } = await import('../impact-sizes.js');
  await priceBases([...impacts.values()], await sizeLookup(o, r), offlineNote(o));
  return impacts;
}

/** Impact per changed file; base sizes come from the registry only when some FROM changed and not --offline. */
async function impactOf(files: readonly FileResult[], o: CliOptions, r: RunResult) {
  const { impactsOf } = await import('../impact-sizes.js');
  return impactsOf(files, await sizeLookup(o, r), offlineNote(o));
}

/** Writes the --diff-out patch (atomically, see src/patch.ts); false (after a message) when it cannot. */
async function writePatch(io: Io, file: string, files: readonly FileResult[], root: string): Promise<boolean> {
  const [{ writePatchFile }, { resolve }] = await Promise.all([import('../patch.js'), import('node:path')]);
  try {
    await writePatchFile(resolve(io.cwd, file), file, files, { cwd: io.cwd, root });
    const n = files.filter((f) => f.status === 'changed').length;
    io.stderr.write(`dockeropt: wrote the patch of ${n} file${n === 1 ? '' : 's'} to ${file}\n`);
    return true;
  } catch (e) {
    const err = e as { message?: string; hint?: string; code?: string };
    io.stderr.write(`dockeropt: ${file}: cannot write the patch: ${err.message ?? String(e)}${err.hint ? ` (${err.hint})` : ''}\n`);
    return false;
  }
}
