/**
 * Python ecosystems: the code the ecosystem table cannot say. Poetry puts its virtualenv inside its cache
 * directory by default, which a mount would keep out of the image; uv hard-links from its cache, which a mount
 * (another filesystem) prevents, and can symlink into it.
 */
import { isExecForm } from '../../src/document.js';
import { parseView, runShellView, simpleCommands } from '../../src/shell.js';
import type { Resolver } from './resolve.js';
import { refuse, type CommandEdits, type EcoContext, type ToolCmd } from './types.js';
import { absTarget, base, falsy, normPath, optionValue, overlaps, truthy } from './words.js';

/** Poetry: the commands that create the project's virtualenv must not create it inside the cache mount. */
export function poetryCheck(t: ToolCmd, r: Resolver, ec: EcoContext, [cache]: string[]): void {
  if (['install', 'add', 'update', 'sync'].includes(t.sub ?? '')) poetryVenvCheck(r, cache!, ec);
}

function poetryVenvCheck(r: Resolver, cache: string, ec: EcoContext): void {
  let create = r.env('POETRY_VIRTUALENVS_CREATE');
  let inProject = r.env('POETRY_VIRTUALENVS_IN_PROJECT');
  let path = r.env('POETRY_VIRTUALENVS_PATH');
  // `poetry config virtualenvs.x y` before (earlier RUNs or this one) persists in the user's config
  const cmds: (string | null)[][] = [];
  for (const ins of ec.before) {
    if (ins.getKeyword() !== 'RUN' || isExecForm(ins)) continue;
    const v = runShellView(ec.doc, ins);
    const p = v ? parseView(v) : null;
    if (p && !('error' in p)) for (const c of simpleCommands(p.file)) cmds.push(c.words);
  }
  for (const c of ec.allCmds) cmds.push(c.words);
  for (const w of cmds) {
    if (base(w[0]) !== 'poetry' || w[1] !== 'config') continue;
    const args = w.slice(2).filter((x) => x !== '--local');
    if (args[0] === 'virtualenvs.create') create = args[1] ?? undefined;
    if (args[0] === 'virtualenvs.in-project') inProject = args[1] ?? undefined;
    if (args[0] === 'virtualenvs.path') path = args[1] ?? undefined;
  }
  const local = ec.ctx.buildContext.readText('poetry.toml') ?? '';
  if (/in-project\s*=\s*true/.test(local)) inProject = 'true';
  if (/create\s*=\s*false/.test(local)) create = 'false';
  if (falsy(create) || truthy(inProject)) return;
  const venvDir = path !== undefined ? normPath(path) : `${cache}/virtualenvs`;
  if (venvDir === null || overlaps(venvDir, cache)) {
    refuse(`Poetry creates its virtualenv inside its cache directory (${cache}/virtualenvs) by default, so the installed packages would stay in the cache mount and be missing from the image; set POETRY_VIRTUALENVS_CREATE=false or POETRY_VIRTUALENVS_IN_PROJECT=true first`);
  }
}

/** uv's cache directory (after the table's UV_NO_CACHE check); refuses symlinked installs and a project venv in the cache. */
export function uvCache(t: ToolCmd, r: Resolver): string[] {
  const o = optionValue(t.sc, r, ['--cache-dir'], t.at + 1);
  const own = o.present ? absTarget(o.value, 'the --cache-dir value of uv') : null;
  const lm = r.env('UV_LINK_MODE') ?? optionValue(t.sc, r, ['--link-mode'], t.at + 1).value ?? undefined;
  if (lm === 'symlink') refuse('uv links installed files as symlinks into its cache (UV_LINK_MODE=symlink), which would point into the cache mount');
  const cache = own ?? absTarget(r.env('UV_CACHE_DIR') ?? `${r.cacheHome()}/uv`, 'the uv cache directory');
  const venv = r.env('UV_PROJECT_ENVIRONMENT');
  if (venv !== undefined && normPath(venv) !== null && overlaps(normPath(venv)!, cache)) refuse(`UV_PROJECT_ENVIRONMENT (${venv}) is inside the uv cache directory, so the installed packages would stay in the cache mount`);
  return [cache];
}

/** uv cannot hard-link from a cache on another filesystem: `UV_LINK_MODE=copy` goes in front of it unless a link mode is set. */
export function uvEdit(t: ToolCmd, e: CommandEdits, r: Resolver): void {
  const has = (() => { try { return r.env('UV_LINK_MODE') !== undefined; } catch { return true; } })() || t.sc.words.some((w) => (w ?? '').startsWith('--link-mode'));
  if (has) return;
  e.insertBefore('UV_LINK_MODE=copy ');
  e.note('set UV_LINK_MODE=copy on uv (its cache is on another filesystem, so it cannot hard-link)');
}
