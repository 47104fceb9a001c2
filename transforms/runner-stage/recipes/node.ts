/**
 * Node: node:X with npm ci / npm install / yarn / pnpm install in one directory (the app directory, where
 * every COPY writes), started by node, npm, yarn, npx or a script in the app directory. Copies the app
 * directory, node_modules as installed (dev dependencies are not pruned).
 */
import { appDirCopy, appDirProblem, base, eachCommand, resolve, unknownCommand, within } from '../common.js';
import type { Recipe } from '../recipe.js';

/** The commands that install packages into node_modules of the working directory: the subcommands that do (null: none given). */
const INSTALLERS: { tool: string; installs: (string | null)[]; source: string }[] = [
  { tool: 'npm', installs: ['ci', 'install', 'i'], source: 'https://docs.npmjs.com/cli/commands/npm-install (alias i), https://docs.npmjs.com/cli/commands/npm-ci' },
  { tool: 'yarn', installs: [null, 'install'], source: 'https://classic.yarnpkg.com/en/docs/cli/install (`yarn` alone installs)' },
  { tool: 'pnpm', installs: ['install', 'i'], source: 'https://pnpm.io/cli/install (alias i)' },
];
/** The Node tools a RUN may use; where they run is the app directory. */
const NODE_TOOLS = ['npm', 'yarn', 'pnpm', 'npx', 'node'];
/** Scripts (`npm run dev`) and programs that need the dev toolchain. */
const DEV_SCRIPT = /^(dev|develop|watch|serve:dev|start:dev)$/;
const DEV_TOOLS = ['nodemon', 'ts-node', 'tsx'];

export const nodeRecipe: Recipe = (doc, f) => {
  const install = { dir: null as string | null, line: 0 };
  const refusal = eachCommand(f, [], (c, name) => {
    if (![...NODE_TOOLS, 'corepack'].includes(name)) return unknownCommand(c, 'app directory');
    const args = c.words.slice(1);
    if (args.some((a) => a === '-g' || a === '--global' || a === '--location=global') || (name === 'yarn' && args[0] === 'global')) {
      return { line: c.line, refuse: `\`${name}\` installs globally, outside the app directory` };
    }
    if (name === 'corepack') return;
    if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the app directory unknown' };
    const sub = args.find((a) => a !== null && !a.startsWith('-')) ?? null;
    if (INSTALLERS.some((r) => r.tool === name && r.installs.includes(sub))) {
      if (install.dir !== null && install.dir !== c.cwd) return { line: c.line, refuse: `packages are installed in two directories (${install.dir}, ${c.cwd})` };
      install.dir = c.cwd;
      install.line = c.line;
    }
  });
  if (refusal) return refusal;
  const appDir = install.dir;
  const installLine = install.line;
  if (appDir === null) return { line: doc.lineOfNode(f.stage.from), refuse: 'no npm ci / npm install / yarn / pnpm install found, so what the app needs cannot be told' };
  if (appDir === '/') return { line: installLine, refuse: 'packages are installed in / (no WORKDIR), so the app directory cannot be told; set a WORKDIR' };
  for (const c of f.cmds) if (c.cwd !== null && !within(c.cwd, appDir) && NODE_TOOLS.includes(base(c.words[0] ?? ''))) return { line: c.line, refuse: `\`${c.words[0]}\` runs outside the app directory ${appDir}` };
  const copiesProblem = appDirProblem(doc, f, appDir);
  if (copiesProblem) return copiesProblem;
  const [prog, sub] = [f.start.argv[0]!, f.start.argv[1] ?? null];
  const p = base(prog);
  const script = p === 'npm' || p === 'yarn' ? (sub === 'run' || sub === 'run-script' ? f.start.argv[2] ?? null : sub) : null;
  // the node images ship npm, npx and yarn, not pnpm
  if (p === 'pnpm') return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command runs pnpm, which node slim images do not ship' };
  if (script !== null && DEV_SCRIPT.test(script)) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command \`${p} ${sub === 'run' ? 'run ' : ''}${script}\` is a development command that needs the dev toolchain` };
  if (DEV_TOOLS.includes(p)) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${p}, a development tool` };
  const known = p === 'node' || p === 'npm' || p === 'yarn' || p === 'npx' || (prog.includes('/') && within(resolve(f.runtimeWorkdir ?? '/', prog), appDir));
  if (!known) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${prog}, which runner-stage cannot tell the runner has` };
  return {
    copies: [appDirCopy(doc, f, appDir, installLine)],
    edits: [],
    notes: [{ line: installLine, message: `node_modules is copied as installed (dev dependencies included): pruning with --omit=dev is not proven safe for the start command` }],
    what: `Node: packages installed in ${appDir}`,
    chown: true,
  };
};
