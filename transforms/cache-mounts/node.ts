/**
 * Node ecosystems: the code the ecosystem table cannot say. Yarn classic and Yarn 2+ (berry) keep their caches
 * in different places, told apart from the build context; bun reads BUN_INSTALL before BUN_INSTALL_CACHE_DIR.
 */
import type { Resolver } from './resolve.js';
import { refuse, type EcoContext, type ToolCmd } from './types.js';
import { absTarget, optionValue } from './words.js';

/** Yarn's cache directory: classic (1) or berry with enableGlobalCache; refused for berry's in-project cache. */
export function yarnCaches(t: ToolCmd, r: Resolver, ec: EcoContext): string[] {
  return [yarnCache(t, r, ec)];
}

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

function yarnCache(t: ToolCmd, r: Resolver, ec: EcoContext): string {
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

/** bun's cache directory: --cache-dir, BUN_INSTALL_CACHE_DIR, $BUN_INSTALL/install/cache, ~/.bun/install/cache. */
export function bunCache(t: ToolCmd, r: Resolver): string[] {
  const o = optionValue(t.sc, r, ['--cache-dir'], t.at + 1);
  if (o.present) return [absTarget(o.value, 'the --cache-dir value of bun')];
  const bi = r.env('BUN_INSTALL'); // read first: a BUN_INSTALL that cannot be known refuses even when BUN_INSTALL_CACHE_DIR is set
  return [absTarget(r.env('BUN_INSTALL_CACHE_DIR') ?? `${bi ?? `${r.home()}/.bun`}/install/cache`, 'the bun cache directory')];
}
