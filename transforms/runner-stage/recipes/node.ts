/**
 * Node: node:X with npm ci / npm install / yarn / pnpm install in one directory (the app directory, where
 * every COPY writes), started by node, npm, yarn, npx or a script in the app directory. Copies the app
 * directory, node_modules as installed (dev dependencies are not pruned).
 */
import type { DocView } from '../../../src/document.js';
import type { ContextFs } from '../../../src/types.js';
import { appDirCopy, appDirProblem, base, eachCommand, resolve, unknownCommand, within } from '../common.js';
import { contextFileAt, copiedFiles } from '../context.js';
import type { StageFacts } from '../facts.js';
import type { Recipe, Refusal } from '../recipe.js';

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

/**
 * Packages whose install script writes only inside their own package directory (under node_modules, which
 * the runner gets), each with what the script does (its package.json `install`/`postinstall`):
 * a message, a check, or a native build or prebuilt binary put into the package directory.
 */
const INSTALL_SCRIPTS_INSIDE: Readonly<Record<string, string>> = {
  'esbuild': 'install.js checks or installs the platform binary into node_modules/esbuild (https://github.com/evanw/esbuild/blob/main/lib/npm/node-install.ts)',
  'core-js': 'postinstall prints a message (https://github.com/zloirock/core-js/blob/master/packages/core-js/postinstall.js)',
  'core-js-pure': 'postinstall prints a message (as core-js)',
  'es5-ext': 'postinstall prints a message (_postinstall.js)',
  'protobufjs': 'postinstall checks the versions of dependent packages (scripts/postinstall.js)',
  'bcrypt': 'node-pre-gyp puts the prebuilt or built binding into the package directory (https://github.com/kelektiv/node.bcrypt.js)',
  'bufferutil': 'node-gyp-build builds into the package directory when no prebuild fits',
  'utf-8-validate': 'node-gyp-build builds into the package directory when no prebuild fits',
  'better-sqlite3': 'prebuild-install or node-gyp puts the binding into the package directory (build/Release)',
  'sqlite3': 'prebuild-install or node-gyp puts the binding into the package directory (build/Release)',
  'sharp': 'install/check.js and node-gyp put the binding into the package directory (https://sharp.pixelplumbing.com/install)',
  '@swc/core': 'postinstall.js checks the platform binding, with a fallback into the package directory',
  '@prisma/engines': 'postinstall downloads the engines into the package directory (https://www.prisma.io/docs/orm/more/under-the-hood/engines)',
  'prisma': 'preinstall checks the Node version',
  '@prisma/client': 'postinstall runs prisma generate, which writes node_modules/.prisma/client',
};

/** The lifecycle scripts `npm ci`/`npm install` run for the root package (https://docs.npmjs.com/cli/using-npm/scripts). */
const ROOT_INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];

/**
 * Whether a dependency's install script (or the root package's) may write outside the app directory, which
 * the runner would not have: read from the lockfile the install used (package-lock.json lockfileVersion 2+
 * marks `hasInstallScript`). Unknown (no such lockfile, yarn, pnpm) refuses, unless the install runs with
 * --ignore-scripts.
 */
function installScriptProblem(doc: DocView, f: StageFacts, context: ContextFs, appDir: string, install: { tool: string; line: number; ignoreScripts: boolean }): Refusal | null {
  if (install.ignoreScripts) return null;
  const files = copiedFiles(doc, f, context, 'whether install scripts of the dependencies write outside the app directory (the runner gets only that)');
  if ('refuse' in files) return files;
  const read = (name: string) => { const c = contextFileAt(files, `${appDir}/${name}`); return c ? { file: c, text: context.readText(c.ctx) } : null; };
  const pkg = read('package.json');
  if (pkg?.text) {
    let scripts: Record<string, unknown> = {};
    try { scripts = (JSON.parse(pkg.text) as { scripts?: Record<string, unknown> }).scripts ?? {}; } catch { return { line: pkg.file.line, refuse: `${pkg.file.ctx} does not parse as JSON, so the install scripts cannot be told` }; }
    const own = ROOT_INSTALL_SCRIPTS.find((k) => typeof scripts[k] === 'string');
    if (own) return { line: install.line, refuse: `the install runs the package's own "${own}" script (${String(scripts[own])} in ${pkg.file.ctx}), which may write outside the app directory ${appDir}; the runner would not have that (add --ignore-scripts if it is not needed at run time, or split by hand)` };
  }
  if (install.tool !== 'npm') return { line: install.line, refuse: `which dependencies run install scripts cannot be told from ${install.tool}'s lockfile, and such a script may write outside the app directory ${appDir} (e.g. a browser download into ~/.cache); install with --ignore-scripts or use npm with package-lock.json` };
  const lock = read('package-lock.json') ?? read('npm-shrinkwrap.json');
  if (!lock || lock.text === null) return { line: install.line, refuse: `no package-lock.json is copied into ${appDir}, so which dependencies run install scripts (which may write outside the app directory, e.g. into ~/.cache) cannot be told` };
  let parsed: { lockfileVersion?: number; packages?: Record<string, { hasInstallScript?: boolean }> };
  try { parsed = JSON.parse(lock.text) as typeof parsed; } catch { return { line: lock.file.line, refuse: `${lock.file.ctx} does not parse as JSON, so the install scripts cannot be told` }; }
  if ((parsed.lockfileVersion ?? 1) < 2 || !parsed.packages) return { line: lock.file.line, refuse: `${lock.file.ctx} is lockfileVersion ${parsed.lockfileVersion ?? 1}, which does not record which dependencies run install scripts (npm 7+ writes version 2 or 3)` };
  for (const [key, meta] of Object.entries(parsed.packages)) {
    if (key === '' || !meta?.hasInstallScript) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (name in INSTALL_SCRIPTS_INSIDE) continue;
    return { line: install.line, refuse: `the dependency ${name} (${lock.file.ctx}) runs an install script, which may write outside the app directory ${appDir} (a browser or binary download into ~/.cache, a global file); the runner would not have it` };
  }
  return null;
}

export const nodeRecipe: Recipe = (doc, f, _runner, context) => {
  const install = { dir: null as string | null, line: 0, tool: 'npm', ignoreScripts: false };
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
      install.tool = name;
      install.ignoreScripts = args.includes('--ignore-scripts');
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
  const scripts = installScriptProblem(doc, f, context, appDir, install);
  if (scripts) return scripts;
  return {
    copies: [appDirCopy(doc, f, appDir, installLine)],
    edits: [],
    notes: [{ line: installLine, message: `node_modules is copied as installed (dev dependencies included): pruning with --omit=dev is not proven safe for the start command` }],
    what: `Node: packages installed in ${appDir}`,
    chown: true,
  };
};
