/**
 * Node: node:X with npm ci / npm install / yarn / pnpm install in one directory (the app directory, where
 * every COPY writes), started by node, npm, yarn, npx or a script in the app directory. Copies the app
 * directory, node_modules as installed (dev dependencies are not pruned).
 */
import { base, HARMLESS, PACKAGE_MANAGERS, packageProblem, resolve, unknownCommand, within } from '../common.js';
import type { Recipe } from '../recipe.js';

export const nodeRecipe: Recipe = (doc, f) => {
  let appDir: string | null = null;
  let installLine = 0;
  let sawInstall = false;
  for (const c of f.cmds) {
    const name = base(c.words[0] ?? '');
    const pk = packageProblem(c);
    if (pk) return { line: c.line, refuse: pk };
    if (PACKAGE_MANAGERS.has(name) || HARMLESS.has(name)) continue;
    if (!['npm', 'yarn', 'pnpm', 'npx', 'node', 'corepack'].includes(name)) return unknownCommand(c, 'app directory');
    const args = c.words.slice(1);
    if (args.some((a) => a === '-g' || a === '--global' || a === '--location=global') || (name === 'yarn' && args[0] === 'global')) {
      return { line: c.line, refuse: `\`${name}\` installs globally, outside the app directory` };
    }
    if (name === 'corepack') continue;
    if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the app directory unknown' };
    const sub = args.find((a) => a !== null && !a.startsWith('-')) ?? null;
    const isInstall = (name === 'npm' && ['ci', 'install', 'i'].includes(sub ?? '')) || (name === 'yarn' && (sub === null || sub === 'install')) || (name === 'pnpm' && ['install', 'i'].includes(sub ?? ''));
    if (isInstall) {
      if (appDir !== null && appDir !== c.cwd) return { line: c.line, refuse: `packages are installed in two directories (${appDir}, ${c.cwd})` };
      appDir = c.cwd;
      installLine = c.line;
      sawInstall = true;
    }
  }
  if (!sawInstall || appDir === null) return { line: doc.lineOfNode(f.stage.from), refuse: 'no npm ci / npm install / yarn / pnpm install found, so what the app needs cannot be told' };
  if (appDir === '/') return { line: installLine, refuse: 'packages are installed in / (no WORKDIR), so the app directory cannot be told; set a WORKDIR' };
  for (const c of f.cmds) if (c.cwd !== null && !within(c.cwd, appDir) && ['npm', 'yarn', 'pnpm', 'npx', 'node'].includes(base(c.words[0] ?? ''))) return { line: c.line, refuse: `\`${c.words[0]}\` runs outside the app directory ${appDir}` };
  const outside = f.copies.find((c) => c.dest === null || !within(c.dest, appDir!));
  if (outside) return { line: doc.lineOfNode(outside.ins), refuse: `the ${outside.ins.getKeyword()} writes ${outside.dest ?? 'a path with a variable'}, outside the app directory ${appDir}, which the runner would not get` };
  const chowns = new Set(f.copies.map((c) => c.chown));
  if (chowns.size > 1) return { line: doc.lineOfNode(f.copies[0]!.ins), refuse: 'the COPY instructions give the app files different owners (--chown), which one COPY --from cannot keep' };
  const [prog, sub] = [f.start.argv[0]!, f.start.argv[1] ?? null];
  const p = base(prog);
  const script = p === 'npm' || p === 'yarn' ? (sub === 'run' || sub === 'run-script' ? f.start.argv[2] ?? null : sub) : null;
  if (p === 'pnpm') return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command runs pnpm, which node slim images do not ship' };
  if (script !== null && /^(dev|develop|watch|serve:dev|start:dev)$/.test(script)) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command \`${p} ${sub === 'run' ? 'run ' : ''}${script}\` is a development command that needs the dev toolchain` };
  if (['nodemon', 'ts-node', 'tsx'].includes(p)) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${p}, a development tool` };
  const known = p === 'node' || p === 'npm' || p === 'yarn' || p === 'npx' || (prog.includes('/') && within(resolve(f.runtimeWorkdir ?? '/', prog), appDir));
  if (!known) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, which runner-stage cannot tell the runner has` };
  const wd = f.stage.instructions.filter((i) => i.getKeyword() === 'WORKDIR').map((i) => ({ i, v: i.getArguments()[0]?.getValue() ?? '' }));
  const ev = wd.find((w) => f.states.get(w.i) && resolve(f.states.get(w.i)!.workdir ?? '/', w.v) === appDir);
  return {
    copies: [{ src: appDir, dest: appDir, line: ev ? doc.lineOfNode(ev.i) : installLine, evidence: ev ? ev.v : appDir }],
    edits: [],
    notes: [{ line: installLine, message: `node_modules is copied as installed (dev dependencies included): pruning with --omit=dev is not proven safe for the start command` }],
    what: `Node: packages installed in ${appDir}`,
    chown: true,
  };
};
