/**
 * `dockeropt verify BEFORE AFTER [--context DIR] [--target STAGE] ...`: build two Dockerfiles and compare
 * the images. Exit 0 identical, 1 different, 2 could not build (unverified) or a usage error.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Io } from '../cli.js';
import { BUILDER_KINDS, detectBuilder, type BuilderKind } from './builders.js';
import { DEFAULT_TIMEOUT_MS, verifyPair } from './index.js';
import { verifyDetails, verifyHeadline } from './report.js';

export const VERIFY_HELP = `Usage: dockeropt verify BEFORE AFTER [options]

Builds both Dockerfiles with the same context and compares the images: files (path, type, mode,
owner, size, content, symlink target; not times), config (User, Cmd, Entrypoint, Env, WorkingDir,
ExposedPorts, Volumes, Labels, StopSignal, Healthcheck, Shell), sizes and layer counts.

Options:
      --context DIR      the build context (default: the directory of BEFORE)
      --target STAGE     build this stage of both
      --build-arg K=V    passed to both builds (repeatable)
      --platform P       build for this platform
      --builder B        docker, podman or buildah (default: the first that works, in that order)
      --cache            also run the cache experiment: change one source file, rebuild both with the
                         layer cache and report which steps re-ran
      --touch FILE       the context file the cache experiment changes (implies --cache)
      --timeout S        seconds per build (default ${DEFAULT_TIMEOUT_MS / 1000})
      --format F         human (default) or json; --json = --format json
  -h, --help             this help

Exit codes: 0 identical, 1 different, 2 could not build (unverified: the reason is printed) or usage error.`;

class Usage extends Error {}

export async function verifyMain(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    if (e instanceof Usage) {
      io.stderr.write(`dockeropt verify: ${e.message}\nRun dockeropt verify --help for usage.\n`);
      return 2;
    }
    io.stderr.write(`dockeropt verify: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return 2;
  }
}

async function run(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        context: { type: 'string' },
        target: { type: 'string' },
        'build-arg': { type: 'string', multiple: true },
        platform: { type: 'string' },
        builder: { type: 'string' },
        cache: { type: 'boolean' },
        touch: { type: 'string' },
        timeout: { type: 'string' },
        format: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new Usage((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const v = parsed.values;
  if (v.help) { io.stdout.write(VERIFY_HELP + '\n'); return 0; }
  if (parsed.positionals.length !== 2) throw new Usage(`expected two Dockerfiles (BEFORE AFTER), got ${parsed.positionals.length}`);
  const format = v.json ? 'json' : v.format ?? 'human';
  if (format !== 'human' && format !== 'json') throw new Usage(`--format must be human or json (got ${format})`);
  if (v.builder !== undefined && !BUILDER_KINDS.includes(v.builder as BuilderKind)) throw new Usage(`--builder must be one of ${BUILDER_KINDS.join(', ')} (got ${v.builder})`);
  const timeout = v.timeout === undefined ? DEFAULT_TIMEOUT_MS / 1000 : Number(v.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Usage(`--timeout must be a positive number of seconds (got ${v.timeout})`);
  const buildArgs: Record<string, string> = {};
  for (const kv of v['build-arg'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Usage(`--build-arg needs KEY=VALUE (got ${kv})`);
    buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const [beforePath, afterPath] = parsed.positionals.map((p) => resolve(io.cwd, p)) as [string, string];
  const texts: string[] = [];
  for (const p of [beforePath, afterPath]) {
    if (!existsSync(p) || !statSync(p).isFile()) throw new Usage(`${p}: not a file`);
    texts.push(readFileSync(p, 'utf8'));
  }
  const context = resolve(io.cwd, v.context ?? dirname(beforePath));
  if (!existsSync(context) || !statSync(context).isDirectory()) throw new Usage(`--context ${context}: not a directory`);

  const found = await detectBuilder(v.builder as BuilderKind | undefined, io.env);
  const result = await verifyPair(found, {
    before: texts[0]!,
    after: texts[1]!,
    context,
    dockerfileName: basename(beforePath),
    dockerignore: `${beforePath}.dockerignore`,
    ...(v.target ? { target: v.target } : {}),
    ...(Object.keys(buildArgs).length ? { buildArgs } : {}),
    ...(v.platform ? { platform: v.platform } : {}),
    timeoutMs: timeout * 1000,
    ...(v.cache || v.touch ? { cache: true } : {}),
    ...(v.touch ? { touch: v.touch } : {}),
  });
  if (format === 'json') io.stdout.write(JSON.stringify({ before: parsed.positionals[0], after: parsed.positionals[1], verify: result }, null, 2) + '\n');
  else {
    io.stdout.write(`${verifyHeadline(result)}\n`);
    const details = verifyDetails(result, '  ');
    if (details.length) io.stdout.write(details.join('\n') + '\n');
  }
  return result.status === 'identical' ? 0 : result.status === 'different' ? 1 : 2;
}
