/**
 * The command line: parses flags, runs the batch, prints results and returns the exit code.
 * Exit codes: 0 ok, 1 changes pending (only under --check), 2 usage error or a file failed.
 * Heavy modules are imported only when a run needs them, so `--version` and `--help` start fast.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Answers for --interactive (default: process.stdin). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export const EXIT = { ok: 0, pending: 1, error: 2 } as const;


const FLAGS: ParseArgsConfig['options'] = {
  write: { type: 'boolean', short: 'w' },
  check: { type: 'boolean', short: 'c' },
  json: { type: 'boolean' },
  only: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
  list: { type: 'boolean' },
  'safe-only': { type: 'boolean' },
  format: { type: 'string' },
  config: { type: 'string' },
  'no-config': { type: 'boolean' },
  'diff-out': { type: 'string' },
  interactive: { type: 'boolean', short: 'i' },
  'per-change': { type: 'boolean' },
  jobs: { type: 'string', short: 'j' },
  context: { type: 'string' },
  'ci-hint': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
};

/** The package version: package.json is two levels up from dist/src/cli.js, one from src/cli.ts (tsx). */
export function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'dockeropt') return pkg.version;
    } catch { /* try the next */ }
  }
  return '0.0.0';
}

export const HELP = `Usage: dockeropt [options] [PATH|GLOB ...]

Finds every Dockerfile under the paths (default: .) and proposes faster, slimmer, safer versions
as a unified diff. Nothing is written without --write.

Options:
  -w, --write        write the changes (atomically; only files whose text changes)
  -c, --check        print the files that would change; exit 1 if any would
      --json         print one JSON document on stdout instead of the human output
      --format F     output: human (default), json, sarif (SARIF 2.1.0), github (Actions annotations)
      --diff-out F   also write one patch of every change to file F (git apply takes it at the repo root)
  -i, --interactive  review each changed file and write only what you accept (answers from stdin)
      --per-change   with --interactive: ask per logical change instead of per file
      --config F     use this config file for every Dockerfile (default: the nearest
                     .dockeroptrc.json / dockeropt.config.json / package.json "dockeropt")
      --no-config    ignore config files and .dockeroptignore
  -j, --jobs N       files processed at once (default: the number of CPUs)
      --only a,b     run only these transforms (ids from --list)
      --skip a,b     run every transform but these
      --safe-only    only changes labelled build-only (the running image stays identical)
      --context DIR  the build context of the one Dockerfile given (default: the context a compose
                     file gives it, else its directory); split-copy reads it
      --list         list the transforms with a one-line summary
      --ci-hint      when a file changes, show how to keep the build cache in CI
  -q, --quiet        print only the diff (or, with --check, the file names)
      --debug        stack traces and timings on stderr
  -h, --help         this help
  -v, --version      the version

Exit codes: 0 ok, 1 changes pending (--check), 2 usage error or a file failed.
Suppress per instruction with a comment on the line above: # dockeropt ignore=merge-run (or all);
a comment "# dockeropt ignore-file" anywhere leaves the whole file alone.`;

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
  // the transforms (and the shell parser they load) are only needed past this point
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) { io.stdout.write(version() + '\n'); return EXIT.ok; }
  const { transforms } = await import('../transforms/index.js');
  const options = { ...FLAGS };
  const transformFlags = new Map<string, { transform: string; key: string }>();
  for (const t of transforms) {
    for (const [flag, def] of Object.entries(t.flags ?? {})) {
      if (!options[flag]) options[flag] = { type: def.type, ...(def.multiple ? { multiple: true } : {}) };
      transformFlags.set(`${t.id}\0${flag}`, { transform: t.id, key: def.key });
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const v = parsed.values as Record<string, unknown>;
  if (v.help) {
    const extra = transforms.flatMap((t) => Object.entries(t.flags ?? {}).map(([f, d]) => {
      const name = `      --${f}${d.type === 'string' ? ' X' : ''}`;
      return (name.length < 25 ? name.padEnd(25) : `${name}\n${' '.repeat(25)}`) + `${d.help} [${t.id}]`;
    }));
    io.stdout.write(HELP + (extra.length ? `\n\nTransform options:\n${extra.join('\n')}` : '') + '\n');
    return EXIT.ok;
  }
  if (v.version) { io.stdout.write(version() + '\n'); return EXIT.ok; }
  if (v.list) {
    for (const t of transforms) io.stdout.write(`${t.id.padEnd(20)} ${t.safety.padEnd(11)} ${t.summary}\n`);
    return EXIT.ok;
  }
  if (v.check && v.write) throw new UsageError('--check and --write cannot be used together', 'Use --check in CI to find pending changes, --write to apply them.');
  const format = outputFormat(v);
  v.json = format === 'json';
  if (v.interactive && (v.check || format !== 'human')) throw new UsageError(`--interactive cannot be used with ${v.check ? '--check' : `--format ${format}`}`, 'Review interactively, or produce a report for CI, not both.');
  if (v['per-change'] && !v.interactive) throw new UsageError('--per-change needs --interactive');
  if (v.config !== undefined && v['no-config']) throw new UsageError('--config and --no-config cannot be used together');
  const jobs = v.jobs === undefined ? undefined : Number(v.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) throw new UsageError(`--jobs must be an integer from 1 to 64 (got ${String(v.jobs)})`);
  const split = (xs: unknown) => ((xs as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const only = split(v.only), skip = split(v.skip);
  const known = new Set(transforms.map((t) => t.id));
  for (const idn of [...only, ...skip]) {
    if (!known.has(idn)) throw new UsageError(`unknown transform "${idn}"`, `Known transforms: ${[...known].join(', ')}`);
  }
  const both = only.filter((x) => skip.includes(x));
  if (both.length) throw new UsageError(`--only and --skip both name ${both.join(', ')}`);
  const selected = transforms.filter((t) => (only.length === 0 ? !t.network : only.includes(t.id)) && !skip.includes(t.id));

  const transformOptions: Record<string, Record<string, unknown>> = {};
  for (const [k, def] of transformFlags) {
    const flag = k.split('\0')[1]!;
    if (v[flag] !== undefined) (transformOptions[def.transform] ??= {})[def.key] = v[flag];
  }

  const contextFor = typeof v.context === 'string' ? await explicitContextFor(v.context, parsed.positionals, io.cwd) : undefined;

  // SIGINT/SIGTERM remove dockeropt's temp files before the process ends
  if (v.write || v.interactive || typeof v['diff-out'] === 'string') (await import('./write.js')).installSignalCleanup();
  const [{ run }, human, { jsonReport }] = await Promise.all([import('./run.js'), import('./report/human.js'), import('./report/json.js')]);
  const color = human.useColor(io.env, Boolean(io.stdout.isTTY)) ? human.ansi : human.plain;
  const started = performance.now();
  const { optimize } = await import('./index.js');
  const optimizeOpts = {
    cwd: io.cwd,
    paths: parsed.positionals,
    only,
    skip,
    options: transformOptions,
    write: Boolean(v.write),
    safeOnly: Boolean(v['safe-only']),
    ...(contextFor ? { contextFor } : {}),
    ...(v['no-config'] ? { config: false as const } : typeof v.config === 'string' ? { config: v.config } : {}),
    ...(jobs ? { jobs } : {}),
    lean: true,
  };
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
  for (const n of result.notices ?? []) io.stderr.write(`dockeropt: ${n}\n`);
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

/** `--context DIR`: only for a single Dockerfile (a batch gets each file's context from compose files). */
async function explicitContextFor(dir: string, paths: readonly string[], cwd: string) {
  const [{ statSync }, { resolve }, { explicitContext }] = await Promise.all([import('node:fs'), import('node:path'), import('./build-context.js')]);
  const isA = (p: string, what: 'file' | 'dir') => { try { const st = statSync(p); return what === 'file' ? st.isFile() : st.isDirectory(); } catch { return false; } };
  if (paths.length !== 1 || !isA(resolve(cwd, paths[0]!), 'file')) {
    throw new UsageError('--context needs exactly one Dockerfile path', 'For a batch, each Dockerfile\'s context comes from the compose file that builds it, else its directory.');
  }
  const abs = resolve(cwd, dir);
  if (!isA(abs, 'dir')) throw new UsageError(`--context ${dir} is not a directory`);
  return (file: string) => explicitContext(abs, file);
}

/** `--format`, with `--json` as its alias. */
function outputFormat(v: Record<string, unknown>): 'human' | 'json' | 'sarif' | 'github' {
  const f = v.format === undefined ? (v.json ? 'json' : 'human') : String(v.format);
  if (!['human', 'json', 'sarif', 'github'].includes(f)) throw new UsageError(`--format must be human, json, sarif or github (got "${f}")`);
  if (v.json && f !== 'json') throw new UsageError(`--json and --format ${f} cannot be used together`);
  return f as 'human' | 'json' | 'sarif' | 'github';
}

/** Writes the --diff-out patch (atomically, see src/patch.ts); false (after a message) when it cannot. */
async function writePatch(io: Io, file: string, files: readonly import('./types.js').FileResult[], root: string): Promise<boolean> {
  const [{ writePatchFile }, { resolve }] = await Promise.all([import('./patch.js'), import('node:path')]);
  try {
    await writePatchFile(resolve(io.cwd, file), file, files, { cwd: io.cwd, root });
    return true;
  } catch (e) {
    const err = e as { message?: string; hint?: string; code?: string };
    io.stderr.write(`dockeropt: ${file}: cannot write the patch: ${err.message ?? String(e)}${err.hint ? ` (${err.hint})` : ''}\n`);
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
