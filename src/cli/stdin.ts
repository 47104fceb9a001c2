/**
 * `--stdin-filepath PATH` (prettier's convention, for editors and scripts): the Dockerfile is read from
 * stdin; PATH (which need not exist) picks the config, the .dockeroptignore rules, the build context and
 * the name in messages. The rewritten text goes to stdout (an ignored file's text unchanged); with
 * --check, only the exit code (1 when it would change). Errors go to stderr, exit 2, nothing on stdout.
 */
import { resolve } from 'node:path';
import { FileError } from '../errors.js';
import { EXIT, type Io } from './io.js';
import type { CliOptions } from './options.js';

export async function runStdin(path: string, o: CliOptions, io: Io): Promise<number> {
  const [{ ConfigResolver, loadConfig, repoRoot, settingsFrom }, { prepareTransforms, resolveOptions, runPipeline }, { resolveBuildContext }, { describeError }, human] = await Promise.all([
    import('../config.js'), import('../pipeline.js'), import('../build-context.js'), import('../run.js'), import('../report/human.js'),
  ]);
  const text = await readAll(io.stdin ?? process.stdin);
  const abs = resolve(io.cwd, path);
  const oo = o.optimize;
  let config = null;
  if (oo.config !== false) {
    const override = typeof oo.config === 'string' ? loadConfig(resolve(io.cwd, oo.config), o.transforms) : null;
    const resolver = new ConfigResolver(repoRoot(io.cwd), o.transforms, override);
    const why = resolver.ignoredBy(abs);
    if (why) {
      io.stderr.write(`dockeropt: ${path}: ignored (${why})\n`);
      if (!o.check) io.stdout.write(text);
      return EXIT.ok;
    }
    config = resolver.configFor(abs)?.config ?? null;
  }
  const s = settingsFrom(o.transforms, config, { ...(oo.only ? { only: oo.only } : {}), ...(oo.skip ? { skip: oo.skip } : {}), ...(oo.options ? { options: oo.options } : {}), ...(oo.safeOnly ? { safeOnly: true } : {}) });
  const options = resolveOptions(s.transforms, s.options);
  try {
    const res = await runPipeline(text, {
      transforms: s.transforms, options, file: path, state: await prepareTransforms(s.transforms, options, { cwd: io.cwd }),
      buildContext: oo.contextFor ? oo.contextFor(abs) : resolveBuildContext(abs),
      ...(s.safeOnly ? { safeOnly: true } : {}),
    });
    for (const w of res.warnings ?? []) io.stderr.write(`dockeropt: ${path}:${w.line}: warning: ${w.message}\n`);
    const errors = res.outcomes.filter((x) => x.kind === 'error');
    for (const x of errors) io.stderr.write(`dockeropt: ${path}:${x.line}: ${x.transform}: ${x.message}\n`);
    if (!o.check) io.stdout.write(res.text);
    if (errors.length) return EXIT.error;
    return o.check && res.text !== text ? EXIT.pending : EXIT.ok;
  } catch (e) {
    if (!(e instanceof FileError)) throw e;
    io.stderr.write(`dockeropt: ${human.formatError({ file: path, status: 'error', before: '', after: '', outcomes: [], error: describeError(e) })}\n`);
    return EXIT.error;
  }
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  const bytes = Buffer.concat(chunks);
  const text = bytes.toString('utf8');
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf && !text.startsWith('\uFEFF') ? '\uFEFF' + text : text;
}
