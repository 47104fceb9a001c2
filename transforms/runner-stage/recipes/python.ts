/**
 * Python: python:X with pip into a venv (`python -m venv DIR` / `virtualenv DIR`, used through its own pip,
 * PATH or VIRTUAL_ENV), every COPY inside the WORKDIR. Copies the venv and the app directory. pip into the
 * system site-packages refuses: wheels put data files and headers elsewhere under /usr/local (the data and
 * headers schemes, https://packaging.python.org/en/latest/specifications/binary-distribution-format/),
 * which no fixed list of copies covers, while in a venv every scheme is inside the venv directory.
 */
import { appDirCopy, appDirProblem, base, eachCommand, norm, resolve, unknownCommand, within } from '../common.js';
import type { Recipe, RunnerCopy } from '../recipe.js';

/** Where the python images put the interpreter and its scripts (https://github.com/docker-library/python). */
const SCRIPTS_DIR = '/usr/local/bin';
/** pip subcommands that change nothing the runner copies. */
const PIP_READ_ONLY = ['cache', 'config', 'list', 'freeze'];
/** Start programs the slim runner does not have. */
const BUILD_TOOLS = ['gcc', 'cc', 'g++', 'make', 'pip', 'pip3'];

export const pythonRecipe: Recipe = (doc, f, runner) => {
  const venvs: { dir: string; line: number; evidence: string }[] = [];
  const used = { system: null as { line: number } | null, venv: null as { dir: string; line: number; evidence: string } | null };
  const refusal = eachCommand(f, [], (c, name) => {
    const w = c.words;
    const isPy = /^python[\d.]*$/.test(name);
    const pyMod = isPy && w[1] === '-m' ? w[2] : null;
    if ((isPy && pyMod === 'venv') || name === 'virtualenv') {
      const rest = w.slice(isPy ? 3 : 1);
      if (rest.includes('--system-site-packages')) return { line: c.line, refuse: 'a venv with --system-site-packages also needs the build image\'s packages' };
      const dir = rest.filter((x) => x === null || !x.startsWith('-'));
      if (dir.length !== 1 || dir[0] === null || c.cwd === null) return { line: c.line, refuse: 'the venv directory cannot be told' };
      venvs.push({ dir: resolve(c.cwd, dir[0]!), line: c.line, evidence: dir[0]! });
      return;
    }
    if (isPy && pyMod === 'compileall') return;
    if (isPy && w[1] === 'manage.py' && w[2] === 'collectstatic') return { line: c.line, refuse: 'manage.py collectstatic writes STATIC_ROOT, which the settings name and which may be outside the app directory the runner copies' };
    const isPip = /^pip[\d.]*$/.test(name) || (isPy && pyMod === 'pip');
    if (!isPip) return unknownCommand(c, 'Python environment');
    const args = (isPy ? w.slice(3) : w.slice(1));
    if (args[0] !== 'install') {
      if (PIP_READ_ONLY.includes(args[0] ?? '')) return;
      return unknownCommand(c, 'Python environment');
    }
    const bad = args.find((a) => a !== null && /^(--user|--target|-t|--prefix|--root)(=|$)/.test(a));
    if (bad) return { line: c.line, refuse: `pip install ${bad} installs outside the venv and site-packages` };
    // which python: a venv's own pip/python, or the first venv bin on PATH
    const progPath = c.words[0]!;
    let venv = venvs.find((v) => progPath.startsWith(v.dir + '/bin/'));
    if (!venv && !progPath.includes('/')) {
      const path = (c.assigns.get('PATH') ?? c.env.get('PATH') ?? '').split(':');
      for (const d of path) {
        const v = venvs.find((x) => norm(d) === x.dir + '/bin');
        if (v) { venv = v; break; }
        if (norm(d) === SCRIPTS_DIR) break;
      }
      const ve = c.assigns.get('VIRTUAL_ENV') ?? c.env.get('VIRTUAL_ENV');
      if (!venv && ve) venv = venvs.find((x) => x.dir === norm(ve));
    }
    if (venv) used.venv = venv; else used.system = { line: c.line };
  });
  if (refusal) return refusal;
  const { system, venv: venvUsed } = used;
  if (system) return { line: system.line, refuse: `pip installs into the system site-packages: a package's data files and headers (the wheel's data and headers schemes) go elsewhere under /usr/local, outside what a runner can copy, so the runner may lack what the app reads; install into a venv (python -m venv /opt/venv) so everything lands in one directory` };
  if (!venvUsed) return { line: doc.lineOfNode(f.stage.from), refuse: 'no pip install found, so what the app needs cannot be told' };
  const appDir = f.runtimeWorkdir;
  if (appDir === null || appDir === '/') return { line: doc.lineOfNode(f.start.ins), refuse: 'there is no WORKDIR, so the app directory cannot be told; set a WORKDIR' };
  const copiesProblem = appDirProblem(doc, f, appDir);
  if (copiesProblem) return copiesProblem;
  const prog = base(f.start.argv[0]!);
  if (BUILD_TOOLS.includes(prog)) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, a build tool the runner does not have` };
  const copies: RunnerCopy[] = [];
  copies.push({ src: venvUsed.dir, dest: venvUsed.dir, line: venvUsed.line, evidence: venvUsed.evidence });
  if (!copies.some((c) => within(appDir, c.src))) copies.push(appDirCopy(doc, f, appDir, doc.lineOfNode(f.start.ins)));
  return {
    copies,
    edits: [],
    notes: [{
      line: venvUsed.line,
      message: runner.image === f.stage.from.getImage()
        ? 'packages built from source need the shared libraries the compiler install pulled in (e.g. libstdc++ for C++ extensions), which the runner does not have; run the image\'s tests'
        : 'packages built from source against libraries of the full python image (e.g. psycopg2 against libpq) would fail in the slim runner; run the image\'s tests',
    }],
    what: `Python: pip into the venv ${venvUsed.dir}`,
    chown: true,
  };
};
