/** Node ecosystems (npm, Yarn, pnpm, bun): the code the ecosystem table cannot say. */
import { absTarget, optionValue, refuse, type Resolver } from './resolve.js';
import type { EcoContext, ToolCmd } from './types.js';

/** Yarn classic or berry, from the build context. */
function yarnFlavor(ec: EcoContext): 'classic' | 'berry' | 'berry-global' | null {
  const bc = ec.ctx.buildContext;
  let major: number | null = null;
  try {
    const pkg = JSON.parse(bc.readText('package.json') ?? 'null') as { packageManager?: string } | null;
    const mm = /^yarn@(\d+)/.exec(pkg?.packageManager ?? '');
    if (mm) major = Number(mm[1]);
  } catch { /* unreadable package.json: decide from the other files */ }
  const rc = bc.readText('.yarnrc.yml');
  if (rc !== null && /^\s*enableGlobalCache\s*:\s*true\b/m.test(rc)) return 'berry-global';
  if (rc !== null && /^\s*enableGlobalCache\s*:\s*false\b/m.test(rc)) return 'berry';
  if (major !== null) return major === 1 ? 'classic' : major >= 4 ? 'berry-global' : 'berry';
  if (rc !== null) return 'berry';
  const lock = bc.readText('yarn.lock');
  if (lock !== null) return lock.includes('# yarn lockfile v1') ? 'classic' : lock.includes('__metadata:') ? 'berry' : null;
  if (bc.exists('.yarnrc')) return 'classic';
  return null;
}

export function yarnCache(t: ToolCmd, r: Resolver, ec: EcoContext): string {
  const flavor = yarnFlavor(ec);
  if (flavor === null) refuse('cannot tell Yarn classic from Yarn 2+ (no package.json packageManager, .yarnrc.yml or yarn.lock in the build context), and their caches differ');
  if (flavor === 'berry') refuse('Yarn 2+ keeps its cache inside the project (.yarn/cache) unless enableGlobalCache is on, and that cache ships with the app');
  if (flavor === 'berry-global') {
    const gf = r.env('YARN_GLOBAL_FOLDER');
    return absTarget(`${gf ?? `${r.home()}/.yarn/berry`}/cache`, 'the Yarn global cache');
  }
  const own = optionValue(t.sc, r, ['--cache-folder'], t.at + 1);
  if (own.present) return absTarget(own.value, 'the --cache-folder value of yarn');
  const env = r.env('YARN_CACHE_FOLDER');
  if (env !== undefined) return absTarget(env, 'YARN_CACHE_FOLDER');
  const xc = r.xdg('XDG_CACHE_HOME');
  if (xc !== undefined) return absTarget(`${xc}/yarn`, 'the Yarn cache directory');
  // Yarn 1 uses /usr/local/share/.cache/yarn for root, ~/.cache/yarn for others
  return r.user.root ? '/usr/local/share/.cache/yarn' : absTarget(`${r.home()}/.cache/yarn`, 'the Yarn cache directory');
}

