/**
 * `--print-config FILE`: the configuration that applies to one Dockerfile and where it comes from (the
 * config file, or none; what ignores it), as JSON on stdout: the transforms that run, in order, and each
 * one's options after defaults and the command line. Nothing is run.
 */
import { relative, resolve } from 'node:path';
import { EXIT, type Io } from './io.js';
import type { CliOptions } from './options.js';

export async function printConfig(file: string, o: CliOptions, io: Io): Promise<number> {
  const [{ ConfigResolver, loadConfig, repoRoot, settingsFrom }, { resolveOptions }] = await Promise.all([import('../config.js'), import('../pipeline.js')]);
  const abs = resolve(io.cwd, file);
  const oo = o.optimize;
  let from: string | null = null, ignoredBy: string | null = null, config = null;
  if (oo.config !== false) {
    const override = typeof oo.config === 'string' ? loadConfig(resolve(io.cwd, oo.config), o.transforms) : null;
    const resolver = new ConfigResolver(repoRoot(io.cwd), o.transforms, override);
    const c = resolver.configFor(abs);
    from = c ? relative(io.cwd, c.file) || c.file : null;
    config = c?.config ?? null;
    ignoredBy = resolver.ignoredBy(abs);
  }
  const s = settingsFrom(o.transforms, config, { ...(oo.only ? { only: oo.only } : {}), ...(oo.skip ? { skip: oo.skip } : {}), ...(oo.options ? { options: oo.options } : {}), ...(oo.safeOnly ? { safeOnly: true } : {}) });
  const options = resolveOptions(s.transforms, s.options);
  const doc = {
    file,
    configFile: from ?? (oo.config === false ? '(--no-config)' : null),
    ignored: ignoredBy,
    commandLine: { ...(oo.only?.length ? { only: oo.only } : {}), ...(oo.skip?.length ? { skip: oo.skip } : {}), ...(oo.options && Object.keys(oo.options).length ? { options: oo.options } : {}), ...(oo.safeOnly ? { safeOnly: true } : {}) },
    safeOnly: Boolean(s.safeOnly),
    transforms: s.transforms.map((t) => t.id),
    options,
  };
  io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  return EXIT.ok;
}
