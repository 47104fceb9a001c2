/** Python ecosystems (pip, Poetry, uv, pipenv): the code the ecosystem table cannot say. */
import { isExecForm } from '../../src/document.js';
import { parseShell, runShellView, simpleCommands } from '../../src/shell.js';
import { base } from './detect.js';
import { falsy, normPath, overlaps, refuse, truthy, type Resolver } from './resolve.js';
import type { EcoContext } from './types.js';

export function poetryVenvCheck(r: Resolver, cache: string, ec: EcoContext): void {
  let create = r.env('POETRY_VIRTUALENVS_CREATE');
  let inProject = r.env('POETRY_VIRTUALENVS_IN_PROJECT');
  let path = r.env('POETRY_VIRTUALENVS_PATH');
  // `poetry config virtualenvs.x y` before (earlier RUNs or this one) persists in the user's config
  const cmds: (string | null)[][] = [];
  for (const ins of ec.before) {
    if (ins.getKeyword() !== 'RUN' || isExecForm(ins)) continue;
    const v = runShellView(ec.doc, ins);
    const p = v ? parseShell(v.text) : null;
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

