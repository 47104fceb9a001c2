/**
 * The command line: parses flags, runs the batch, prints results and returns the exit code.
 * Exit codes: 0 ok, 1 changes pending (only under --check), 2 usage error or a file failed.
 * Heavy modules are imported only when a run needs them, so `--version` and `--help` start fast.
 */
import { UsageError } from './errors.js';
import { EXIT, type Io } from './cli/io.js';
import { parseFlags } from './cli/flags.js';
import { printInfo } from './cli/help.js';
import { buildOptions } from './cli/options.js';
import { version } from './cli/version.js';

export { EXIT, type Io } from './cli/io.js';
export { HELP } from './cli/help.js';
export { version } from './cli/version.js';

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    return await execute(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`dockeropt: ${e.message}${e.hint ? `\n${e.hint}` : ''}\nRun dockeropt --help for usage.\n`);
      return EXIT.error;
    }
    io.stderr.write(`dockeropt: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (debug) io.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    else io.stderr.write('Run with --debug for a stack trace.\n');
    return EXIT.error;
  }
}

async function execute(argv: readonly string[], io: Io): Promise<number> {
  const flags = await parseFlags(argv);
  if (flags.info) return printInfo(flags.info, flags.transforms, io);
  const o = await buildOptions(flags, io);
  const { transforms } = flags;
  const { format, color, optimize: optimizeOpts } = o;
  const transformOptions = { 'pin-digests': o.pinOptions };
  const v: Record<string, unknown> = { json: format === 'json', check: o.check, quiet: o.quiet, debug: o.debug, offline: o.offline, write: o.write, 'ci-hint': o.ciHint, interactive: o.interactive !== null, 'per-change': o.interactive?.perChange, 'diff-out': o.diffOut ?? undefined };
  const [human, { jsonReport }] = await Promise.all([import('./report/human.js'), import('./report/json.js')]);
  const started = performance.now();
  const { optimize } = await import('./index.js');
  if (v.interactive) return interactive(io, optimizeOpts, Boolean(v['per-change']), typeof v['diff-out'] === 'string' ? v['diff-out'] : null, color);
  const spinner = await startProgress(io, Boolean(v.quiet || format !== 'human'));
  // Human output and --check print as files finish, in sorted order, and let go of each file's texts
  // (only outcomes stay for the summary), so memory stays bounded on big batches. The other formats are
  // one document of everything, and --diff-out needs every text at the end.
  const streaming = format === 'human' && typeof v['diff-out'] !== 'string';
  const wantImpacts = !(v.check || v.quiet);
  const streamedImpacts = new Map<string, import('./impact.js').FileImpact>();
  const refusalText = new Map<string, string[]>();
  const { computeImpact } = wantImpacts && streaming ? await import('./impact.js') : { computeImpact: null };
  const onOrdered = (f: import('./types.js').FileResult) => {
    if (!v.check && f.status === 'changed') {
      if (!v.quiet) io.stdout.write(human.outcomeLines(f, color, false).join('\n') + '\n');
      io.stdout.write(human.colorDiff(human.unifiedDiff(f.file, f.before, f.after), color));
      if (computeImpact) try { streamedImpacts.set(f.file, computeImpact(f.before, f.after)); } catch { /* the report is an extra */ }
    }
    if (!v.check && !v.quiet) refusalText.set(f.file, human.outcomeLines(f, color, true, new Set(['refuse', 'note', 'error'])));
    f.before = '';
    f.after = '';
  };
  let result;
  try {
    result = await optimize({
      ...optimizeOpts,
      onStart: (n) => spinner?.start(n),
      onFile: (done, total) => spinner?.update(done, total),
      ...(streaming ? { onOrdered } : {}),
    });
  } finally {
    spinner?.stop();
  }
  if (v.debug) io.stderr.write(`dockeropt: ${result.files.length} files in ${(performance.now() - started).toFixed(0)} ms\n`);
  if (v.debug) for (const f of result.files) if (f.error?.stack) io.stderr.write(`dockeropt: ${f.file}: ${f.error.stack}\n`);

  const pending = result.files.filter((f) => f.status === 'changed');
  const failed = result.files.filter((f) => f.status === 'error');
  // the impact report (layers, cache, base sizes) of changed files; sizes need the registry unless --offline
  const impacts = streaming
    ? (wantImpacts ? await priceStreamed(streamedImpacts, Boolean(v.offline), transformOptions['pin-digests']) : undefined)
    : v.json || wantImpacts ? await impactOf(result.files, Boolean(v.offline), transformOptions['pin-digests']) : undefined;
  if (format === 'sarif') {
    const { sarifReport } = await import('./report/sarif.js');
    io.stdout.write(sarifReport(result, { version: version(), transforms, cwd: io.cwd, root: result.root }));
  } else if (format === 'github') {
    const { githubReport } = await import('./report/github.js');
    io.stdout.write(githubReport(result, { cwd: io.cwd, root: result.root }));
  } else if (v.json) {
    io.stdout.write(jsonReport(result, version(), impacts));
  } else if (v.check) {
    for (const f of pending) io.stdout.write(`${human.quotePath(f.file)}\n`);
    for (const f of failed) io.stderr.write(`dockeropt: ${human.formatError(f)}\n`);
    if (!v.quiet) {
      const failedNote = failed.length ? `; ${failed.length} file${failed.length === 1 ? '' : 's'} could not be checked` : '';
      io.stderr.write(pending.length ? `${pending.length} file${pending.length === 1 ? '' : 's'} would be rewritten; run dockeropt --write${failedNote}\n` : failed.length ? `No pending changes in the files that could be read${failedNote}\n` : 'All Dockerfiles are optimized.\n');
    }
  } else {
    if (!streaming) {
      for (const f of result.files) {
        if (f.status !== 'changed') continue;
        if (!v.quiet) io.stdout.write(human.outcomeLines(f, color, false).join('\n') + '\n');
        io.stdout.write(human.colorDiff(human.unifiedDiff(f.file, f.before, f.after), color));
      }
    }
    if (!v.quiet) {
      if (v.debug || result.files.length === 1) {
        for (const f of result.files) {
          const refusals = refusalText.get(f.file) ?? human.outcomeLines(f, color, true, new Set(['refuse', 'note', 'error']));
          if (refusals.length) io.stdout.write(`${f.file}\n${refusals.join('\n')}\n`);
        }
      }
      io.stdout.write(human.summaryText(result, color, { write: Boolean(v.write) }) + '\n');
      const services = (await import('./report/services.js')).serviceSummary(result, color);
      if (services) io.stdout.write(services + '\n');
      const impact = impacts ? human.impactText(impacts, color) : '';
      if (impact) io.stdout.write(impact + '\n');
      if (v['ci-hint'] && pending.length) io.stdout.write(color.dim(human.CI_HINT) + '\n');
    } else {
      for (const f of failed) io.stderr.write(`dockeropt: ${human.formatError(f)}\n`);
    }
  }
  if (typeof v['diff-out'] === 'string' && !(await writePatch(io, v['diff-out'], result.files, result.root))) return EXIT.error;
  for (const f of result.files) for (const o of f.outcomes) {
    if (o.kind === 'error' && !v.json) io.stderr.write(`dockeropt: ${f.file}:${o.line}: ${o.transform}: ${o.message}\n`);
  }
  if (failed.length || result.summary.errors) return EXIT.error;
  if (v.check && pending.length) return EXIT.pending;
  return EXIT.ok;
}

/** Base-image sizes through the same registries, insecure hosts and docker config as pin-digests; none offline. */
async function sizeLookup(offline: boolean, pinOptions?: Record<string, unknown>) {
  if (offline) return null;
  const { registryOptionsFrom, registrySizes } = await import('./impact-sizes.js');
  return registrySizes(await registryOptionsFrom(pinOptions));
}

/** Prices the base-image changes of impacts computed while streaming (see impactOf). */
async function priceStreamed(impacts: Map<string, import('./impact.js').FileImpact>, offline: boolean, pinOptions?: Record<string, unknown>) {
  const { priceBases } = await import('./impact-sizes.js');
  await priceBases([...impacts.values()], await sizeLookup(offline, pinOptions));
  return impacts;
}

/** Impact per changed file; base sizes come from the registry only when some FROM changed and not --offline. */
async function impactOf(files: readonly import('./types.js').FileResult[], offline: boolean, pinOptions?: Record<string, unknown>) {
  const { impactsOf } = await import('./impact-sizes.js');
  return impactsOf(files, await sizeLookup(offline, pinOptions));
}

/** Writes the --diff-out patch; false (after a message) when it cannot. */
async function writePatch(io: Io, file: string, files: readonly import('./types.js').FileResult[], root: string): Promise<boolean> {
  const [{ unifiedPatch }, { writeFileSync }, { resolve }] = await Promise.all([import('./patch.js'), import('node:fs'), import('node:path')]);
  try {
    writeFileSync(resolve(io.cwd, file), unifiedPatch(files, { cwd: io.cwd, root }));
    return true;
  } catch (e) {
    io.stderr.write(`dockeropt: ${file}: cannot write the patch (${(e as NodeJS.ErrnoException).code ?? e})\n`);
    return false;
  }
}

/** --interactive: review, write what was accepted, print the summary. */
async function interactive(io: Io, opts: import('./index.js').OptimizeOptions, perChange: boolean, diffOut: string | null, color: import('./report/human.js').Colors): Promise<number> {
  const [{ prepareOptimize }, { review, linePrompter }, human, { serviceSummary }] = await Promise.all([
    import('./index.js'), import('./interactive.js'), import('./report/human.js'), import('./report/services.js'),
  ]);
  const { plan, run, root } = await prepareOptimize(opts);
  const input = io.stdin ?? process.stdin;
  const result = await review(plan, run, { perChange, prompter: linePrompter(input, io.stdout, !input.isTTY), out: io.stdout, colors: color });
  io.stdout.write(human.summaryText(result, color, { write: true }) + '\n');
  const services = serviceSummary(result, color);
  if (services) io.stdout.write(services + '\n');
  const failed = result.files.filter((f) => f.status === 'error');
  for (const f of failed) io.stderr.write(`dockeropt: ${human.formatError(f)}\n`);
  // the patch holds what was written (accepted), so it can be re-applied elsewhere
  if (diffOut !== null && !(await writePatch(io, diffOut, result.files.filter((f) => f.written), root))) return EXIT.error;
  return failed.length || result.summary.errors ? EXIT.error : EXIT.ok;
}

interface Progress { start(total: number): void; update(done: number, total: number): void; stop(): void }

/** An ora spinner with `N/M files`, only on an interactive stderr (ora itself checks TTY, CI and TERM=dumb). */
async function startProgress(io: Io, silent: boolean): Promise<Progress | null> {
  if (silent || !io.stderr.isTTY || io.env.CI) return null;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, discardStdin: false });
  return {
    start: (total) => { if (total > 1) spinner.start(`0/${total} files`); },
    update: (done, total) => { if (spinner.isSpinning) spinner.text = `${done}/${total} files`; },
    stop: () => { if (spinner.isSpinning) spinner.stop(); },
  };
}
