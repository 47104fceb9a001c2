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
  if (o.format !== 'json') printTransformErrors(b.result, io);
  for (const f of b.result.files) {
    if (f.verify?.bug) io.stderr.write(`dockeropt: ${f.file}: a build-only change verified different with ${f.verify.builder}: this is a bug in dockeropt; the file was not written\n`);
  }
  return exitCode(b.result, o.check);
}

const REPORTERS: Readonly<Record<Format | 'check', Reporter>> = {
  human: reportHuman,
  check: reportCheck,
  json: async (b, _o, io, impacts) => {
    const { jsonReport } = await import('../report/json.js');
    io.stdout.write(jsonReport(b.result, version(), impacts));
  },
  sarif: async (b, o, io) => {
    const { sarifReport } = await import('../report/sarif.js');
    io.stdout.write(sarifReport(b.result, { version: version(), transforms: o.transforms, cwd: io.cwd, root: b.root }));
  },
  github: async (b, _o, io) => {
    const { githubReport } = await import('../report/github.js');
    io.stdout.write(githubReport(b.result, { cwd: io.cwd, root: b.root }));
  },
};

/** The diffs (unless printed while streaming), refusals of a single file (all with --debug), the summary. */
async function reportHuman(b: Batch, o: CliOptions, io: Io, impacts: Impacts): Promise<void> {
  const human = await import('../report/human.js');
  const { result } = b, color = o.color;
  if (!b.streamed) {
    const verifyLines = o.verify ? (await import('../verify/report.js')).fileVerifyLines : null;
    for (const f of result.files) {
      if (f.status !== 'changed') continue;
      if (!o.quiet) io.stdout.write(human.outcomeLines(f, color, false).join('\n') + '\n');
      io.stdout.write(human.colorDiff(human.unifiedDiff(f.file, f.before, f.after), color));
      if (verifyLines && f.verify) io.stdout.write(verifyLines(f.verify, color, o.write).join('\n') + '\n');
    }
  }
  if (o.quiet) {
    for (const f of failed(result)) io.stderr.write(`dockeropt: ${human.formatError(f)}\n`);
    return;
  }
  if (o.debug || result.files.length === 1) {
    for (const f of result.files) {
      const refusals = b.refusals.get(f.file) ?? human.outcomeLines(f, color, true, new Set(['refuse', 'note', 'error']));
      if (refusals.length) io.stdout.write(`${f.file}\n${refusals.join('\n')}\n`);
    }
  }
  io.stdout.write(human.summaryText(result, color, { write: o.write }) + '\n');
  const services = (await import('../report/services.js')).serviceSummary(result, color);
  if (services) io.stdout.write(services + '\n');
  const impact = impacts ? human.impactText(impacts, color) : '';
  if (impact) io.stdout.write(impact + '\n');
  if (o.ciHint && pending(result).length) io.stdout.write(color.dim(human.CI_HINT) + '\n');
}

/** --check: the files that would change on stdout, the failed ones and a one-line verdict on stderr. */
async function reportCheck(b: Batch, o: CliOptions, io: Io): Promise<void> {
  const human = await import('../report/human.js');
  const p = pending(b.result), f = failed(b.result);
  for (const x of p) io.stdout.write(`${human.quotePath(x.file)}\n`);
  for (const x of f) io.stderr.write(`dockeropt: ${human.formatError(x)}\n`);
  if (o.quiet) return;
  const failedNote = f.length ? `; ${f.length} file${f.length === 1 ? '' : 's'} could not be checked` : '';
  io.stderr.write(p.length ? `${p.length} file${p.length === 1 ? '' : 's'} would be rewritten; run dockeropt --write${failedNote}\n` : f.length ? `No pending changes in the files that could be read${failedNote}\n` : 'All Dockerfiles are optimized.\n');
}

/** After --interactive: the summary of what was written, failed files, the patch of what was accepted. */
async function reportReview(b: Batch, o: CliOptions, io: Io): Promise<number> {
  const [human, { serviceSummary }] = await Promise.all([import('../report/human.js'), import('../report/services.js')]);
  io.stdout.write(human.summaryText(b.result, o.color, { write: true }) + '\n');
  const services = serviceSummary(b.result, o.color);
  if (services) io.stdout.write(services + '\n');
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
  for (const f of r.files) for (const o of f.outcomes) {
    if (o.kind === 'error') io.stderr.write(`dockeropt: ${f.file}:${o.line}: ${o.transform}: ${o.message}\n`);
  }
}

/**
 * The impact report (layers, cache, base sizes) of changed files, for human output and JSON; sizes need
 * the registry unless --offline. It is computed for sarif and github too (which do not print it), as it
 * always was.
 */
async function impactsFor(b: Batch, o: CliOptions): Promise<Impacts> {
  const wanted = !(o.check || o.quiet);
  if (b.streamed) return wanted ? priceStreamed(b.impacts, o) : undefined;
  return o.format === 'json' || wanted ? impactOf(b.result.files, o) : undefined;
}

/** Base-image sizes through the same registries, insecure hosts and docker config as pin-digests; none offline. */
async function sizeLookup(o: CliOptions) {
  if (o.offline) return null;
  const { registryOptionsFrom, registrySizes } = await import('../impact-sizes.js');
  return registrySizes(await registryOptionsFrom(o.pinOptions));
}

/** Prices the base-image changes of impacts computed while streaming (see impactOf). */
async function priceStreamed(impacts: Map<string, FileImpact>, o: CliOptions) {
  const { priceBases } = await import('../impact-sizes.js');
  await priceBases([...impacts.values()], await sizeLookup(o));
  return impacts;
}

/** Impact per changed file; base sizes come from the registry only when some FROM changed and not --offline. */
async function impactOf(files: readonly FileResult[], o: CliOptions) {
  const { impactsOf } = await import('../impact-sizes.js');
  return impactsOf(files, await sizeLookup(o));
}

/** Writes the --diff-out patch; false (after a message) when it cannot. */
async function writePatch(io: Io, file: string, files: readonly FileResult[], root: string): Promise<boolean> {
  const [{ unifiedPatch }, { writeFileSync }, { resolve }] = await Promise.all([import('../patch.js'), import('node:fs'), import('node:path')]);
  try {
    writeFileSync(resolve(io.cwd, file), unifiedPatch(files, { cwd: io.cwd, root }));
    return true;
  } catch (e) {
    io.stderr.write(`dockeropt: ${file}: cannot write the patch (${(e as NodeJS.ErrnoException).code ?? e})\n`);
    return false;
  }
}
