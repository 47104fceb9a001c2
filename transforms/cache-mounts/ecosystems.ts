/**
 * The ecosystems cache-mounts knows, one row each, as data: the commands that run the package manager and the
 * subcommands that download, where its cache is (options and variables that move it, then the default), what
 * in a RUN defeats or empties the cache (dropped when the RUN gets the mount), what needs the cache in the
 * image (offline switches, tools run at container start, output options), and where that is documented.
 *
 * detect.ts, targets.ts, checks.ts and rewrite.ts read this table; what cannot be said as data is code in a
 * module per family (system.ts, python.ts, node.ts, go.ts, jvm.ts, ruby.ts, rust.ts), named from the row.
 * Adding an ecosystem: a row here, the id in types.ts `Eco`, a line in docs/cache-mounts.md and snapshot cases.
 */
import { bundlerCache } from './ruby.js';
import { goCaches } from './go.js';
import { mavenRepository } from './jvm.js';
import { bunCache, yarnCaches } from './node.js';
import { poetryCheck, uvCache, uvEdit } from './python.js';
import type { Resolver } from './resolve.js';
import { apkEdit, dnfEdit } from './system.js';
import type { CommandEdits, Eco, EcoContext, ToolCmd } from './types.js';

/** A command that runs the package manager. */
export interface Command {
  /** Command names (the basename of the first word), or a pattern for versioned names (pip3.12). */
  names: readonly string[] | RegExp;
  /** Options before the subcommand that take a value, so that value is not taken for the subcommand. */
  optsWithValue?: readonly string[];
  /** The subcommands that download into the cache; 'any' when every run of the tool can (mvn, gradle). */
  downloads: readonly string[] | 'any';
  /** A call without a subcommand downloads too (`yarn`, `bundle`); 'literal': only when no argument has expansions. */
  bare?: 'yes' | 'literal';
  /** Also run as `python -m <name>`. */
  pythonModule?: true;
  /** Commands that empty the whole cache, removed from a RUN that gets the mount. */
  cleanups?: readonly Cleanup[];
}

/**
 * A command that empties the cache, matched after the tool word:
 * `sub`: the subcommand (first word that is no option) is one of these, with `literal`: and no word has expansions;
 * `args`: the next words, space-separated, alternatives split by `|` (`'cache clean|purge'`), then optionally
 * `only`: at least one more word and all of them from this list, or `has`: this word among all of them.
 */
export type Cleanup =
  | { sub: readonly string[]; literal?: true }
  | { args: string; only?: readonly string[]; has?: string };

/** One cache directory: the first source that is given decides it; the last source is the default. */
export interface PathSpec {
  /** How a refusal names the directory ("the pip cache directory"). */
  what: string;
  from: readonly Source[];
  /** Mount these subdirectories of it instead of the directory itself (Gradle's caches/ and wrapper/). */
  subdirs?: readonly string[];
}

/**
 * `option`: given on the command (`--cache-dir X`, `--cache-dir=X`), named "the <option> value of <of>" unless `what`;
 * `env`: the variable is set (ENV, inline, base image), plus `append`; `home`/`cacheHome`/`dataHome`: the default
 * under HOME, the user cache dir ($XDG_CACHE_HOME or ~/.cache) or the user data dir ($XDG_DATA_HOME or ~/.local/share).
 */
export type Source =
  | { option: readonly string[]; of: string; what?: string }
  | { env: string; append?: string; what?: string }
  | { home: string | readonly string[] }
  | { cacheHome: string }
  | { dataHome: string };

/** Cache directories the table cannot describe: the code in a family module, returning absolute paths. */
export type CacheCode = (t: ToolCmd, r: Resolver, ec: EcoContext) => string[];

export interface Ecosystem {
  /** How messages name it. */
  label: string;
  commands: readonly Command[];
  /** A system package manager: it must run as root, and its mounts are `sharing=locked` (it locks its cache). */
  system?: true;
  /** The cache directory: fixed paths, fixed paths per command name, path specs, or code. */
  cache: { fixed: readonly string[] } | { byTool: Readonly<Record<string, readonly string[]>> } | readonly PathSpec[] | CacheCode;
  /** Switches that move the cache somewhere this transform does not follow: refused with `reason` ({tool}: the command). */
  unfollowed?: { options?: readonly (readonly string[])[]; words?: RegExp; reason: string };
  /** An ENV variable that turns the cache off: refused (removing an ENV would change other RUNs and the image). */
  offWhen?: { env: string; reason: string };
  /** A check once the cache directories are known (code in a family module). */
  check?: (t: ToolCmd, r: Resolver, ec: EcoContext, paths: string[]) => void;
  /** Flags that turn the cache off, dropped from the command (also as `--flag=value`). */
  dropFlags?: readonly string[];
  /** Inline `VAR=… cmd` assignments that turn the cache off, dropped. */
  dropEnv?: readonly string[];
  /** Further edits to the command that gets the mount (code in a family module). */
  edit?: (t: ToolCmd, e: CommandEdits, r: Resolver) => void;
  /** Options naming where the command writes its output, which must not be inside a cache. */
  outputs?: readonly string[];
  /** Switches with which the tool works offline from what is already downloaded. */
  offline?: readonly string[];
  /** CMD/ENTRYPOINT commands that run the tool when the container starts (`subs`: with one of these as second word). */
  atStart?: { names: readonly string[]; subs?: readonly string[] };
  /** Where the cache location and its overrides are documented. */
  source: readonly string[];
}

export const ECOSYSTEMS: Readonly<Record<Eco, Ecosystem>> = {
  apt: {
    label: 'apt',
    commands: [{
      names: ['apt-get', 'apt'],
      optsWithValue: ['-o', '-c', '-t', '--option', '--config-file', '--target-release'],
      downloads: ['update', 'install', 'upgrade', 'dist-upgrade', 'full-upgrade', 'build-dep', 'reinstall'],
      cleanups: [{ sub: ['clean', 'autoclean'], literal: true }],
    }],
    system: true,
    cache: { fixed: ['/var/cache/apt', '/var/lib/apt'] },
    source: ['https://docs.docker.com/reference/dockerfile/#example-cache-apt-packages', 'apt.conf(5): Dir::Cache (/var/cache/apt), Dir::State (/var/lib/apt)'],
  },
  apk: {
    label: 'apk',
    commands: [{
      names: ['apk'],
      optsWithValue: ['-X', '--repository', '-p', '--root', '--virtual', '-t', '--cache-dir', '--arch', '--keys-dir', '--repositories-file'],
      downloads: ['add', 'upgrade', 'update', 'fix'],
      cleanups: [{ args: 'cache clean|purge' }],
    }],
    system: true,
    cache: { fixed: ['/etc/apk/cache'] },
    unfollowed: { options: [['--cache-dir'], ['-p', '--root']], reason: 'apk is given --cache-dir or --root, so its cache location is not the default one' },
    edit: apkEdit,
    source: ['https://wiki.alpinelinux.org/wiki/Local_APK_cache', 'apk(8): --cache-dir, /etc/apk/cache'],
  },
  dnf: {
    label: 'dnf/yum',
    commands: [{
      names: ['dnf', 'dnf5', 'yum', 'microdnf'],
      optsWithValue: ['-c', '--config', '--releasever', '--installroot', '--repo', '--enablerepo', '--disablerepo', '-x', '--exclude'],
      downloads: ['install', 'in', 'update', 'upgrade', 'up', 'reinstall', 'groupinstall', 'group', 'module', 'makecache', 'builddep', 'distro-sync', 'downgrade'],
      cleanups: [{ sub: ['clean'] }],
    }],
    system: true,
    // dnf mounts dnf4's and dnf5's caches (the name can be either); yum is dnf on RHEL 8+
    cache: { byTool: { dnf5: ['/var/cache/libdnf5'], dnf: ['/var/cache/dnf', '/var/cache/libdnf5'], yum: ['/var/cache/yum', '/var/cache/dnf'], microdnf: ['/var/cache/yum'] } },
    unfollowed: { words: /^--setopt=cachedir=/, reason: '{tool} is given --setopt=cachedir, so its cache location is not the default one' },
    edit: dnfEdit,
    source: ['https://dnf.readthedocs.io/en/latest/conf_ref.html (cachedir, keepcache)', 'https://dnf5.readthedocs.io/en/latest/dnf5.conf.5.html (cachedir /var/cache/libdnf5)', 'yum.conf(5): cachedir /var/cache/yum'],
  },
  zypper: {
    label: 'zypper',
    commands: [{
      names: ['zypper'],
      optsWithValue: ['-r', '--repo', '--root', '-D', '--reposd-dir', '-C', '--cache-dir'],
      downloads: ['install', 'in', 'update', 'up', 'dist-upgrade', 'dup', 'patch', 'refresh', 'ref', 'source-install', 'si'],
      cleanups: [{ sub: ['clean', 'cc'] }],
    }],
    system: true,
    cache: { fixed: ['/var/cache/zypp'] },
    unfollowed: { options: [['-C', '--cache-dir']], reason: 'zypper is given --cache-dir, so its cache location is not the default one' },
    source: ['zypper(8): --cache-dir, default /var/cache/zypp'],
  },
  pip: {
    label: 'pip',
    commands: [{
      names: /^pip(\d+(\.\d+)?)?$/,
      pythonModule: true,
      optsWithValue: ['-r', '--requirement', '-c', '--constraint', '--cache-dir', '-t', '--target', '--prefix', '--root', '-i', '--index-url'],
      downloads: ['install', 'download', 'wheel'],
      cleanups: [{ args: 'cache purge|remove' }],
    }],
    cache: [{ what: 'the pip cache directory', from: [{ option: ['--cache-dir'], of: 'pip' }, { env: 'PIP_CACHE_DIR' }, { cacheHome: '/pip' }] }],
    offWhen: { env: 'PIP_NO_CACHE_DIR', reason: 'PIP_NO_CACHE_DIR is set for the RUN (ENV), so pip would not use a cache mount; remove it first' },
    dropFlags: ['--no-cache-dir'],
    dropEnv: ['PIP_NO_CACHE_DIR'],
    outputs: ['-t', '--target', '--prefix', '--root'],
    source: ['https://pip.pypa.io/en/stable/topics/caching/'],
  },
  poetry: {
    label: 'Poetry',
    commands: [{
      names: ['poetry'],
      pythonModule: true,
      optsWithValue: ['-C', '--directory', '-P', '--project'],
      downloads: ['install', 'add', 'update', 'lock', 'sync'],
      cleanups: [{ args: 'cache clear' }],
    }],
    cache: [{ what: 'the Poetry cache directory', from: [{ env: 'POETRY_CACHE_DIR' }, { cacheHome: '/pypoetry' }] }],
    check: poetryCheck,
    dropFlags: ['--no-cache'],
    source: ['https://python-poetry.org/docs/configuration/#cache-dir', 'https://python-poetry.org/docs/configuration/#virtualenvspath'],
  },
  uv: {
    label: 'uv',
    commands: [{
      names: ['uv'],
      pythonModule: true,
      optsWithValue: ['--cache-dir', '--directory', '--project', '--config-file'],
      downloads: ['sync', 'add', 'lock', 'pip', 'tool', 'run', 'export'],
      cleanups: [{ args: 'cache clean|prune' }],
    }],
    cache: uvCache,
    offWhen: { env: 'UV_NO_CACHE', reason: 'UV_NO_CACHE is set for the RUN, so uv would not use a cache mount; remove it first' },
    dropFlags: ['--no-cache', '-n'],
    dropEnv: ['UV_NO_CACHE'],
    edit: uvEdit,
    offline: ['--offline'],
    source: ['https://docs.astral.sh/uv/concepts/cache/#cache-directory', 'https://docs.astral.sh/uv/guides/integration/docker/#caching'],
  },
  pipenv: {
    label: 'pipenv',
    commands: [{ names: ['pipenv'], pythonModule: true, downloads: ['install', 'sync', 'lock', 'update', 'upgrade'] }],
    cache: [
      { what: 'the pipenv cache directory', from: [{ env: 'PIPENV_CACHE_DIR' }, { cacheHome: '/pipenv' }] },
      { what: 'the pip cache directory', from: [{ env: 'PIP_CACHE_DIR' }, { cacheHome: '/pip' }] },
    ],
    dropEnv: ['PIP_NO_CACHE_DIR'],
    source: ['https://pipenv.pypa.io/en/latest/configuration.html (PIPENV_CACHE_DIR)', 'https://pip.pypa.io/en/stable/topics/caching/'],
  },
  npm: {
    label: 'npm',
    commands: [{
      names: ['npm'],
      optsWithValue: ['--prefix', '--cache', '-w', '--workspace'],
      downloads: ['install', 'i', 'ci', 'add', 'update', 'up', 'install-clean', 'isntall', 'in'],
      cleanups: [{ args: 'cache clean|rm|clear' }],
    }],
    cache: [{ what: 'the npm cache directory', from: [{ option: ['--cache'], of: 'npm' }, { env: 'npm_config_cache' }, { env: 'NPM_CONFIG_CACHE' }, { home: '/.npm' }] }],
    outputs: ['--prefix'],
    offline: ['--offline'],
    source: ['https://docs.npmjs.com/cli/using-npm/config#cache'],
  },
  yarn: {
    label: 'Yarn',
    commands: [{
      names: ['yarn'],
      optsWithValue: ['--cwd', '--cache-folder', '--modules-folder'],
      downloads: ['install', 'add', 'upgrade', 'up', 'global', 'workspaces', 'dlx'],
      bare: 'literal',
      cleanups: [{ args: 'cache clean' }],
    }],
    cache: yarnCaches,
    offline: ['--offline'],
    source: ['https://classic.yarnpkg.com/en/docs/cli/cache', 'https://yarnpkg.com/configuration/yarnrc#enableGlobalCache', 'https://yarnpkg.com/configuration/yarnrc#globalFolder'],
  },
  pnpm: {
    label: 'pnpm',
    commands: [{
      names: ['pnpm'],
      optsWithValue: ['-C', '--dir', '--filter', '-F', '--store-dir'],
      downloads: ['install', 'i', 'add', 'fetch', 'update', 'up', 'deploy'],
      cleanups: [{ args: 'store prune' }],
    }],
    cache: [{
      what: 'the pnpm store directory',
      from: [{ option: ['--store-dir'], of: 'pnpm' }, { env: 'npm_config_store_dir' }, { env: 'pnpm_config_store_dir' }, { env: 'PNPM_STORE_DIR' }, { env: 'PNPM_HOME', append: '/store' }, { dataHome: '/pnpm/store' }],
    }],
    offline: ['--offline'],
    source: ['https://pnpm.io/npmrc#store-dir'],
  },
  bun: {
    label: 'bun',
    commands: [{ names: ['bun'], optsWithValue: ['--cache-dir', '--cwd'], downloads: ['install', 'i', 'add'], cleanups: [{ args: 'pm cache rm' }] }],
    cache: bunCache,
    dropFlags: ['--no-cache'],
    outputs: ['--cwd'],
    source: ['https://bun.sh/docs/install/cache'],
  },
  go: {
    label: 'Go',
    commands: [{
      names: ['go'],
      optsWithValue: ['-C'],
      downloads: ['build', 'install', 'test', 'get', 'generate', 'vet', 'run', 'list', 'mod'],
      cleanups: [{ args: 'clean', only: ['-cache', '-modcache', '-testcache', '-fuzzcache'] }],
    }],
    cache: goCaches,
    outputs: ['-o'],
    atStart: { names: ['go'], subs: ['run', 'test'] },
    source: ['https://go.dev/ref/mod#module-cache', 'https://pkg.go.dev/cmd/go#hdr-Build_and_test_caching'],
  },
  maven: {
    label: 'Maven',
    commands: [{ names: ['mvn', 'mvnw'], downloads: 'any' }],
    cache: mavenRepository,
    offline: ['-o', '--offline'],
    atStart: { names: ['mvn', 'mvnw'] },
    source: ['https://maven.apache.org/guides/mini/guide-configuring-maven.html#configuring-your-local-repository'],
  },
  gradle: {
    label: 'Gradle',
    commands: [{ names: ['gradle', 'gradlew'], downloads: 'any' }],
    // not the whole user home: gradle.properties there stays visible
    cache: [{
      what: 'the Gradle user home',
      from: [{ option: ['-g', '--gradle-user-home'], of: 'gradle', what: 'the --gradle-user-home value' }, { env: 'GRADLE_USER_HOME' }, { home: '/.gradle' }],
      subdirs: ['/caches', '/wrapper'],
    }],
    offline: ['--offline'],
    atStart: { names: ['gradle', 'gradlew'] },
    source: ['https://docs.gradle.org/current/userguide/directory_layout.html#dir:gradle_user_home'],
  },
  cargo: {
    label: 'Cargo',
    commands: [{
      names: ['cargo'],
      optsWithValue: ['--manifest-path', '--target-dir', '--config', '-Z'],
      downloads: ['build', 'b', 'install', 'fetch', 'test', 't', 'check', 'c', 'run', 'r', 'doc', 'clippy', 'bench', 'vendor', 'update', 'generate-lockfile', 'chef'],
    }],
    // target/ is rust.ts: only when the RUN copies the build output out
    cache: [{ what: 'CARGO_HOME', from: [{ env: 'CARGO_HOME' }, { home: '/.cargo' }], subdirs: ['/registry', '/git/db'] }],
    outputs: ['--root'],
    offline: ['--offline', '--frozen'],
    atStart: { names: ['cargo'], subs: ['run', 'test', 'build'] },
    source: ['https://doc.rust-lang.org/cargo/guide/cargo-home.html', 'https://doc.rust-lang.org/cargo/reference/build-cache.html'],
  },
  bundler: {
    label: 'Bundler',
    commands: [{ names: ['bundle', 'bundler'], optsWithValue: ['--gemfile', '--jobs', '-j'], downloads: ['install', 'update', 'lock'], bare: 'yes' }],
    cache: bundlerCache,
    source: ['https://bundler.io/man/bundle-config.1.html (BUNDLE_PATH)', 'https://guides.rubygems.org/command-reference/#gem-environment (GEM_HOME, cache)'],
  },
  composer: {
    label: 'Composer',
    commands: [{
      names: ['composer'],
      optsWithValue: ['-d', '--working-dir'],
      downloads: ['install', 'i', 'update', 'u', 'upgrade', 'require', 'r', 'create-project', 'reinstall'],
      cleanups: [{ args: 'clear-cache|clearcache|cc' }],
    }],
    // with neither variable set Composer picks ~/.cache/composer when it detects XDG, ~/.composer/cache otherwise: both
    cache: [{
      what: 'the Composer cache directory',
      from: [{ env: 'COMPOSER_CACHE_DIR', what: 'COMPOSER_CACHE_DIR' }, { env: 'COMPOSER_HOME', append: '/cache' }, { env: 'XDG_CACHE_HOME', append: '/composer' }, { home: ['/.cache/composer', '/.composer/cache'] }],
    }],
    dropFlags: ['--no-cache'],
    outputs: ['-d', '--working-dir'],
    source: ['https://getcomposer.org/doc/03-cli.md#composer-cache-dir', 'https://getcomposer.org/doc/03-cli.md#composer-home'],
  },
  nuget: {
    label: 'NuGet',
    commands: [
      { names: ['dotnet'], downloads: ['restore', 'build', 'publish', 'test', 'pack', 'run'], cleanups: [{ args: 'nuget locals', has: '--clear' }] },
      { names: ['nuget'], downloads: ['restore', 'install'] },
    ],
    cache: [{ what: 'the NuGet packages folder', from: [{ option: ['--packages'], of: 'dotnet' }, { env: 'NUGET_PACKAGES' }, { home: '/.nuget/packages' }] }],
    outputs: ['-o', '--output'],
    offline: ['--no-restore'],
    atStart: { names: ['dotnet'], subs: ['run', 'watch', 'test', 'build'] },
    source: ['https://learn.microsoft.com/en-us/nuget/consume-packages/managing-the-global-packages-and-cache-folders'],
  },
};
