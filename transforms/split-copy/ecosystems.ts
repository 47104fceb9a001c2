/**
 * The ecosystem knowledge of split-copy, as a table: one row per ecosystem with the programs that run it,
 * its subcommands (install, build, neutral), the options that take a value, the files an install reads
 * (manifest, lockfile, configuration), what it writes into the working directory, how the install is
 * split around the source, and where each fact comes from. The rules that do not fit a list are named by
 * the row: `command` (commands.ts: what one simple command is) and `plan` (manifests.ts: which files the
 * install needs, and when it cannot run before the source). `classify` and `plan` below read the table.
 *
 * Commands come in as static words found by the shell parser (src/shell.ts); files are read through the
 * build context (never guessed). Keep docs/split-copy.md's table in step with this one.
 */
import {
  base, bundlerCommand, cargoCommand, composerCommand, dotnetCommand, goCommand, gradleCommand, jsCommand,
  mavenCommand, neutralTool, pipCommand, pipenvCommand, poetryCommand, uvCommand, yarnCommand,
} from './commands.js';
import { bundlerPlan, composerPlan, dotnetPlan, goPlan, jsPlan, mavenPlan, pipPlan, pipenvPlan, poetryPlan, uvPlan } from './manifests.js';

export type Eco =
  | 'npm' | 'yarn' | 'pnpm' | 'bun' | 'pip' | 'poetry' | 'uv' | 'pipenv'
  | 'go' | 'maven' | 'gradle' | 'bundler' | 'composer' | 'cargo' | 'dotnet';

/** What one simple command is, for split-copy. */
export type CommandClass =
  /** Installs dependencies from manifests (npm ci, pip install -r, go mod download, …). */
  | { kind: 'install'; eco: Eco; words: string[]; sub: number }
  /** Builds the project; a dependency step can be inserted before it (go build, mvn package, dotnet publish). */
  | { kind: 'build'; eco: Eco; words: string[]; sub: number }
  /** Reads no file of the source and writes nothing the source holds (apt-get install curl, npm i -g pnpm). */
  | { kind: 'neutral' }
  /** Anything else: may read the source. */
  | { kind: 'other' }
  /** An install or build of an ecosystem this transform cannot move, with the reason. */
  | { kind: 'refuse'; eco: Eco; reason: string };

/** Read-only view of the build context as BuildKit sends it (the .dockerignore applied). */
export interface Ctx {
  /** Exists in the context directory. */
  exists(rel: string): boolean;
  /** Excluded by the ignore file. */
  ignored(rel: string): boolean;
  /** Exists and is sent (a directory: it is not excluded and something in it is sent). */
  sent(rel: string): boolean;
  isDirectory(rel: string): boolean;
  readText(rel: string): string | null;
  list(rel: string): string[];
}

export interface Plan {
  eco: Eco;
  /** What the install needs, context-relative (files or directories), each sent by the context. */
  files: string[];
  /** Paths the install writes into the working directory: if the context sends one, COPY . . would clobber it. */
  outputs: string[];
  /**
   * move: the install runs unchanged before the source; insert: a dependency step (`insert`) runs before
   * the source and the build after it; two-phase: the install gets `addFlags` before the source and
   * `second` runs after it (`second: null` re-runs the original command).
   */
  mode: 'move' | 'insert' | 'two-phase';
  insert?: string;
  addFlags?: string;
  second?: string | null;
}

export type PlanResult = Plan | { refuse: string };

/** An install or build command, as `classify` found it. */
export type EcoCommand = Extract<CommandClass, { kind: 'install' | 'build' }>;

/** What a command rule finds: the class, or "read the words from `start` as another ecosystem's command" (`uv pip`). */
export type CommandRule = (words: string[], start: number, row: Ecosystem) => CommandClass | { readAs: Eco; start: number };
export type PlanRule = (c: EcoCommand, ctx: Ctx, row: Ecosystem) => PlanResult;

/** A program that runs an ecosystem. */
export interface Tool {
  /** The program's file name (the first word without its directory), or a pattern of names (`pip3.12`). */
  name: string | RegExp;
  /** Words that must follow the name (`python -m pip`); the command's own words start after them. */
  then?: readonly string[];
  /** A command with words known only at run time is `other` rather than refused (composer.phar, as it always was). */
  dynamicIsOther?: true;
}

/** What a file is to the install: all are copied before it when the context sends them. */
export type FileRole = 'manifest' | 'lockfile' | 'config' | 'tool' | 'patches' | 'cache';

export interface Ecosystem {
  eco: Eco;
  /** Its name in the table of docs/split-copy.md. */
  title: string;
  tools: readonly Tool[];
  /** Options before the subcommand that take a value (the subcommand is the first word after them). */
  leadingValueFlags?: readonly string[];
  /** Subcommands that read no file of the source (`npm config`, `go version`). */
  neutral?: readonly string[];
  /** Subcommands that install dependencies from the manifests (Maven: the goals that only resolve them). */
  installs?: readonly string[];
  /** Subcommands that build the project, before which a dependency step is inserted (Maven: the lifecycle phases). */
  builds?: readonly string[];
  /** Options of the install or build that take a value (so its operands can be told from option values). */
  valueFlags?: readonly string[];
  /** The file an install cannot do without, and how a refusal names it. */
  requires?: { file: string; what: string };
  /** What the install reads, in COPY order; each is copied when the context sends it. */
  files?: Readonly<Record<string, FileRole>>;
  /** What the install reads when it is found by name anywhere in the context, and the files one of which must be there. */
  found?: { files: RegExp; required: RegExp };
  /** Scripts of the manifest that the install runs: refused, as they may need the source. */
  scripts?: readonly string[];
  /** Paths the install writes into the working directory (refused when the context sends one). */
  outputs: readonly string[];
  /** Options that make the install leave the project itself out, so it runs before the source (two-phase). */
  firstPhase?: string;
  /** The subcommand that finishes the install after the source arrives (two-phase). */
  secondPhase?: string;
  /** The dependency-only subcommand inserted before a build. */
  step?: string;
  /** Where the rules come from (the tool's own documentation). */
  sources: readonly string[];
  command: CommandRule;
  plan?: PlanRule;
}

// the value-taking options, shared by a row's leadingValueFlags and valueFlags
const NPM_VALUE = ['--omit', '--include', '--registry', '--cache', '--loglevel', '--fetch-timeout', '--fetch-retries', '--install-strategy', '--location', '--tag', '--os', '--cpu', '--libc', '--userconfig', '--prefix', '-C', '--workspace', '-w'];
const YARN_VALUE = ['--network-timeout', '--cache-folder', '--mutex', '--registry', '--network-concurrency', '--modules-folder', '--cwd'];
const PNPM_VALUE = ['--store-dir', '--registry', '--reporter', '--network-concurrency', '--child-concurrency', '--dir', '-C', '--filter', '-F', '--virtual-store-dir', '--modules-dir'];

/** The npm lifecycle scripts an install runs (checked for yarn, pnpm and bun too). */
const JS_LIFECYCLE = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];
const JS_REQUIRES = { file: 'package.json', what: 'the package manifest' };

/** The table, one row per ecosystem. */
export const ECOSYSTEMS: readonly Ecosystem[] = [
  {
    eco: 'npm', title: 'npm', tools: [{ name: 'npm' }],
    leadingValueFlags: NPM_VALUE, neutral: ['config', 'set', 'cache', '--version'], installs: ['ci', 'install', 'i', 'isntall', 'clean-install'], valueFlags: NPM_VALUE,
    requires: JS_REQUIRES,
    files: { 'package.json': 'manifest', 'package-lock.json': 'lockfile', 'npm-shrinkwrap.json': 'lockfile', '.npmrc': 'config' },
    scripts: JS_LIFECYCLE, outputs: ['node_modules'],
    sources: ['https://docs.npmjs.com/cli/commands/npm-ci', 'https://docs.npmjs.com/cli/commands/npm-install', 'https://docs.npmjs.com/cli/using-npm/scripts#life-cycle-operation-order', 'https://docs.npmjs.com/cli/configuring-npm/npmrc'],
    command: jsCommand, plan: jsPlan,
  },
  {
    eco: 'yarn', title: 'yarn', tools: [{ name: 'yarn' }],
    leadingValueFlags: YARN_VALUE, neutral: ['global', 'cache', '--version'], installs: ['install'], valueFlags: YARN_VALUE,
    requires: JS_REQUIRES,
    files: {
      'package.json': 'manifest', 'yarn.lock': 'lockfile', '.yarnrc': 'config', '.yarnrc.yml': 'config', '.npmrc': 'config',
      '.yarn/releases': 'tool', '.yarn/plugins': 'tool', '.yarn/patches': 'patches', '.yarn/cache': 'cache',
    },
    scripts: JS_LIFECYCLE, outputs: ['node_modules', '.pnp.cjs', '.pnp.js', '.pnp.loader.mjs', '.yarn/unplugged', '.yarn/install-state.gz'],
    sources: ['https://classic.yarnpkg.com/en/docs/cli/install', 'https://yarnpkg.com/cli/install', 'https://yarnpkg.com/configuration/yarnrc', 'https://yarnpkg.com/features/pnp'],
    command: yarnCommand, plan: jsPlan,
  },
  {
    eco: 'pnpm', title: 'pnpm', tools: [{ name: 'pnpm' }],
    leadingValueFlags: PNPM_VALUE, neutral: ['config', 'set', 'cache', 'store', '--version'], installs: ['install', 'i', 'fetch'], valueFlags: PNPM_VALUE,
    requires: JS_REQUIRES,
    files: { 'package.json': 'manifest', 'pnpm-lock.yaml': 'lockfile', 'pnpm-workspace.yaml': 'config', '.npmrc': 'config', '.pnpmfile.cjs': 'config', patches: 'patches' },
    scripts: JS_LIFECYCLE, outputs: ['node_modules'],
    // pnpm's Docker example lists the files `pnpm install` needs; `pnpm fetch` needs only the lockfile
    sources: ['https://pnpm.io/cli/install', 'https://pnpm.io/cli/fetch', 'https://pnpm.io/pnpm-workspace_yaml'],
    command: jsCommand, plan: jsPlan,
  },
  {
    eco: 'bun', title: 'bun', tools: [{ name: 'bun' }],
    neutral: ['config', 'set', 'cache', '--version'], installs: ['install', 'i'], valueFlags: ['--cwd', '--registry', '--cache-dir', '--backend', '--network-concurrency'],
    requires: JS_REQUIRES,
    files: { 'package.json': 'manifest', 'bun.lockb': 'lockfile', 'bun.lock': 'lockfile', 'bunfig.toml': 'config', '.npmrc': 'config' },
    scripts: JS_LIFECYCLE, outputs: ['node_modules'],
    sources: ['https://bun.sh/docs/cli/install', 'https://bun.sh/docs/install/lockfile', 'https://bun.sh/docs/runtime/bunfig'],
    command: jsCommand, plan: jsPlan,
  },
  {
    eco: 'pip', title: 'pip', tools: [{ name: /^pip(\d+(\.\d+)?)?$/ }, { name: /^python(\d+(\.\d+)?)?$/, then: ['-m', 'pip'] }],
    neutral: ['config', 'cache', '--version'], installs: ['install'],
    valueFlags: ['-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '-t', '--target', '--prefix', '--root', '--src', '--trusted-host', '--timeout', '--retries', '--platform', '--python-version', '--implementation', '--abi', '--only-binary', '--no-binary', '--progress-bar', '--cache-dir', '--log', '--upgrade-strategy', '-C', '--config-settings', '--global-option', '--proxy', '--cert', '--client-cert', '--python', '--report', '--exists-action', '-p'],
    // the files are the -r/-c files the command names and the ones they include
    outputs: [],
    sources: ['https://pip.pypa.io/en/stable/cli/pip_install/', 'https://pip.pypa.io/en/stable/reference/requirements-file-format/'],
    command: pipCommand, plan: pipPlan,
  },
  {
    eco: 'poetry', title: 'Poetry', tools: [{ name: 'poetry' }],
    neutral: ['self', '--version'], installs: ['install'], valueFlags: ['--with', '--without', '--only', '-E', '--extras', '-C', '--directory', '-P', '--project'],
    requires: { file: 'pyproject.toml', what: 'the project file' },
    files: { 'pyproject.toml': 'manifest', 'poetry.lock': 'lockfile', 'poetry.toml': 'config' },
    outputs: ['.venv'], firstPhase: '--no-root',
    sources: ['https://python-poetry.org/docs/cli/#install', 'https://python-poetry.org/docs/basic-usage/#operating-modes', 'https://python-poetry.org/docs/configuration/'],
    command: poetryCommand, plan: poetryPlan,
  },
  {
    eco: 'uv', title: 'uv', tools: [{ name: 'uv' }],
    neutral: ['python', 'tool', 'self', '--version'], installs: ['sync'],
    valueFlags: ['--extra', '--group', '--only-group', '--no-group', '--python', '-p', '--package', '--index-url', '--extra-index-url', '--index', '--default-index', '--cache-dir', '--directory', '--project', '--compile-bytecode-timeout', '--link-mode', '--python-platform'],
    requires: { file: 'pyproject.toml', what: 'the project file' },
    files: { 'pyproject.toml': 'manifest', 'uv.lock': 'lockfile', '.python-version': 'config', 'uv.toml': 'config' },
    outputs: ['.venv'], firstPhase: '--no-install-project',
    sources: ['https://docs.astral.sh/uv/guides/integration/docker/#intermediate-layers', 'https://docs.astral.sh/uv/concepts/projects/workspaces/', 'https://docs.astral.sh/uv/reference/cli/#uv-sync'],
    command: uvCommand, plan: uvPlan,
  },
  {
    eco: 'pipenv', title: 'pipenv', tools: [{ name: 'pipenv' }],
    neutral: ['--version'], installs: ['install', 'sync'], valueFlags: ['--python', '--pypi-mirror', '--categories', '--extra-pip-args'],
    requires: { file: 'Pipfile', what: 'the Pipfile' },
    files: { Pipfile: 'manifest', 'Pipfile.lock': 'lockfile' },
    outputs: ['.venv'],
    sources: ['https://pipenv.pypa.io/en/latest/', 'https://github.com/pypa/pipfile'],
    command: pipenvCommand, plan: pipenvPlan,
  },
  {
    eco: 'go', title: 'Go', tools: [{ name: 'go' }],
    neutral: ['version', 'env'], builds: ['build', 'install', 'test'],
    valueFlags: ['-o', '-ldflags', '-gcflags', '-tags', '-mod', '-modfile', '-C', '-p', '-trimpath', '-buildmode', '-asmflags', '-overlay', '-pkgdir', '-pgo', '-run', '-timeout', '-coverprofile'],
    requires: { file: 'go.mod', what: 'the module file' },
    files: { 'go.mod': 'manifest', 'go.sum': 'lockfile' },
    outputs: [], step: 'mod download',
    sources: ['https://go.dev/ref/mod#go-mod-download', 'https://go.dev/ref/mod#go-mod-file-replace', 'https://go.dev/ref/mod#workspaces', 'https://go.dev/ref/mod#vendoring'],
    command: goCommand, plan: goPlan,
  },
  {
    eco: 'maven', title: 'Maven', tools: [{ name: 'mvn' }, { name: 'mvnw' }],
    installs: ['dependency:go-offline', 'dependency:resolve', 'dependency:resolve-plugins'],
    builds: ['validate', 'initialize', 'generate-sources', 'process-sources', 'generate-resources', 'process-resources', 'compile', 'process-classes', 'generate-test-sources', 'process-test-sources', 'generate-test-resources', 'process-test-resources', 'test-compile', 'process-test-classes', 'test', 'prepare-package', 'package', 'pre-integration-test', 'integration-test', 'post-integration-test', 'verify', 'install', 'deploy', 'clean', 'site'],
    valueFlags: ['-s', '--settings', '-gs', '--global-settings', '-P', '--activate-profiles', '-T', '--threads', '-l', '--log-file', '-t', '--toolchains', '-f', '--file', '-pl', '--projects', '-rf', '--resume-from', '-b', '--builder'],
    requires: { file: 'pom.xml', what: 'the project file' },
    // the plan copies mvnw when the wrapper runs (and then needs .mvn/), and a relative -s settings file
    files: { 'pom.xml': 'manifest', mvnw: 'tool', '.mvn': 'config' },
    outputs: [], step: 'dependency:go-offline',
    sources: ['https://maven.apache.org/plugins/maven-dependency-plugin/go-offline-mojo.html', 'https://maven.apache.org/guides/introduction/introduction-to-the-lifecycle.html', 'https://maven.apache.org/wrapper/', 'https://maven.apache.org/ref/current/maven-embedder/cli.html'],
    command: mavenCommand, plan: mavenPlan,
  },
  {
    // refused: no built-in task only resolves dependencies
    eco: 'gradle', title: 'Gradle', tools: [{ name: 'gradle' }, { name: 'gradlew' }],
    outputs: [],
    sources: ['https://docs.gradle.org/current/userguide/viewing_debugging_dependencies.html', 'https://docs.gradle.org/current/userguide/dependency_caching.html'],
    command: gradleCommand,
  },
  {
    eco: 'bundler', title: 'Bundler', tools: [{ name: 'bundle' }],
    neutral: ['config', '--version', 'version'], installs: ['install'],
    requires: { file: 'Gemfile', what: 'the Gemfile' },
    files: { Gemfile: 'manifest', 'Gemfile.lock': 'lockfile', 'gems.rb': 'manifest', 'gems.locked': 'lockfile', '.ruby-version': 'config' },
    outputs: ['.bundle', 'vendor/bundle'],
    sources: ['https://bundler.io/man/bundle-install.1.html', 'https://bundler.io/man/gemfile.5.html'],
    command: bundlerCommand, plan: bundlerPlan,
  },
  {
    eco: 'composer', title: 'Composer', tools: [{ name: 'composer' }, { name: 'composer.phar', dynamicIsOther: true }],
    neutral: ['self-update', 'selfupdate', 'global', '--version', 'diagnose'], installs: ['install', 'i'],
    requires: { file: 'composer.json', what: 'the project file' },
    files: { 'composer.json': 'manifest', 'composer.lock': 'lockfile', 'auth.json': 'config' },
    scripts: ['pre-install-cmd', 'post-install-cmd', 'pre-autoload-dump', 'post-autoload-dump', 'pre-package-install', 'post-package-install', 'pre-dependencies-solving', 'post-dependencies-solving', 'pre-operations-exec'],
    outputs: ['vendor'], firstPhase: '--no-scripts --no-autoloader', secondPhase: 'dump-autoload',
    sources: ['https://getcomposer.org/doc/03-cli.md (install, dump-autoload)', 'https://getcomposer.org/doc/articles/scripts.md#command-events', 'https://getcomposer.org/doc/05-repositories.md#path'],
    command: composerCommand, plan: composerPlan,
  },
  {
    // refused: dependencies cannot be built from Cargo.toml and Cargo.lock alone
    eco: 'cargo', title: 'Cargo', tools: [{ name: 'cargo' }],
    neutral: ['--version', 'version'],
    outputs: [],
    sources: ['https://doc.rust-lang.org/cargo/commands/cargo-fetch.html', 'https://doc.rust-lang.org/cargo/reference/cargo-targets.html', 'https://github.com/LukeMathWalker/cargo-chef'],
    command: cargoCommand,
  },
  {
    eco: 'dotnet', title: '.NET', tools: [{ name: 'dotnet' }],
    neutral: ['--info', '--version', '--list-sdks'], installs: ['restore'], builds: ['build', 'publish', 'test', 'pack'],
    valueFlags: ['-c', '--configuration', '-o', '--output', '-f', '--framework', '-r', '--runtime', '-a', '--arch', '--os', '-v', '--verbosity', '--version-suffix', '-s', '--source', '--packages', '--configfile'],
    found: {
      files: /(\.(csproj|fsproj|vbproj|sln|slnx|proj)|^Directory\.(Build|Packages)\.(props|targets)|^nuget\.config|^global\.json|^packages\.lock\.json)$/i,
      required: /\.(csproj|fsproj|vbproj|sln|slnx|proj)$/i,
    },
    outputs: [], step: 'restore',
    sources: ['https://learn.microsoft.com/en-us/dotnet/core/tools/dotnet-restore', 'https://learn.microsoft.com/en-us/dotnet/core/docker/build-container', 'https://learn.microsoft.com/en-us/nuget/consume-packages/central-package-management'],
    command: dotnetCommand, plan: dotnetPlan,
  },
];

const BY_ECO = new Map(ECOSYSTEMS.map((row) => [row.eco, row]));

/** The row and the tool a command runs, and where its own words start; null for no ecosystem's program. */
function findTool(name: string, words: string[]): { row: Ecosystem; tool: Tool; start: number } | null {
  for (const row of ECOSYSTEMS) {
    for (const tool of row.tools) {
      const then = tool.then ?? [];
      if (typeof tool.name === 'string' ? tool.name !== name : !tool.name.test(name)) continue;
      if (then.every((w, i) => words[1 + i] === w)) return { row, tool, start: 1 + then.length };
    }
  }
  return null;
}

function read(row: Ecosystem, words: string[], start: number): CommandClass {
  const r = row.command(words, start, row);
  return 'readAs' in r ? read(BY_ECO.get(r.readAs)!, words, r.start) : r;
}

/** Classifies one simple command by its words (null where a word is only known at run time). */
export function classify(raw: (string | null)[]): CommandClass {
  const head = raw[0];
  if (head === null || head === undefined) return { kind: 'other' };
  const name = base(head);
  const words = raw.map((w) => w ?? '');
  const found = findTool(name, words);
  if (raw.some((w) => w === null)) {
    if (found && !found.tool.dynamicIsOther) return { kind: 'refuse', eco: found.row.eco, reason: `\`${raw.map((w) => w ?? '$…').join(' ')}\` has arguments that are only known at run time, so the files it reads cannot be listed` };
    return { kind: 'other' };
  }
  return neutralTool(name, words) ?? (found ? read(found.row, words, found.start) : { kind: 'other' });
}

/** The plan for one install or build command (kind install or build). */
export function plan(c: EcoCommand, ctx: Ctx): PlanResult {
  const row = BY_ECO.get(c.eco);
  return row?.plan ? row.plan(c, ctx, row) : { refuse: `${c.eco} is not supported` };
}
