/** Where each ecosystem's cache is, for one command. */
import { base } from './detect.js';
import { absTarget, noCacheValue, normPath, optionValue, overlaps, refuse, type Resolver } from './resolve.js';
import { poetryVenvCheck } from './python.js';
import { yarnCache } from './node.js';
import type { EcoContext, Mount, ToolCmd } from './types.js';

function requireRoot(t: ToolCmd, r: Resolver): void {
  if (!r.user.root) refuse(`${t.tool} runs as ${r.user.label}, not root, so it cannot install system packages here`);
}

export function targetsFor(t: ToolCmd, r: Resolver, ec: EcoContext): Mount[] {
  const m = (target: string, locked = false): Mount => ({ target, locked, eco: t.eco });
  const opt = (names: string[]) => optionValue(t.sc, r, names, t.at + 1);
  const fromOpt = (names: string[], tool: string): string | null => {
    const o = opt(names);
    return o.present ? absTarget(o.value, `the ${names[0]} value of ${tool}`) : null;
  };
  switch (t.eco) {
    case 'apt':
      requireRoot(t, r);
      return [m('/var/cache/apt', true), m('/var/lib/apt', true)];
    case 'apk':
      requireRoot(t, r);
      if (opt(['--cache-dir']).present || opt(['-p', '--root']).present) refuse('apk is given --cache-dir or --root, so its cache location is not the default one');
      return [m('/etc/apk/cache', true)];
    case 'dnf': {
      requireRoot(t, r);
      if (t.sc.words.some((w) => w !== null && /^--setopt=cachedir=/.test(w))) refuse(`${t.tool} is given --setopt=cachedir, so its cache location is not the default one`);
      if (t.tool === 'dnf5') return [m('/var/cache/libdnf5', true)];
      if (t.tool === 'dnf') return [m('/var/cache/dnf', true), m('/var/cache/libdnf5', true)];
      if (t.tool === 'yum') return [m('/var/cache/yum', true), m('/var/cache/dnf', true)];
      return [m('/var/cache/yum', true)];
    }
    case 'zypper':
      requireRoot(t, r);
      if (opt(['-C', '--cache-dir']).present) refuse('zypper is given --cache-dir, so its cache location is not the default one');
      return [m('/var/cache/zypp', true)];
    case 'pip': {
      if (noCacheValue(r.envOutsideCommand('PIP_NO_CACHE_DIR'))) refuse('PIP_NO_CACHE_DIR is set for the RUN (ENV), so pip would not use a cache mount; remove it first');
      const own = fromOpt(['--cache-dir'], 'pip');
      return [m(own ?? absTarget(r.env('PIP_CACHE_DIR') ?? `${r.cacheHome()}/pip`, 'the pip cache directory'))];
    }
    case 'poetry': {
      const cache = absTarget(r.env('POETRY_CACHE_DIR') ?? `${r.cacheHome()}/pypoetry`, 'the Poetry cache directory');
      if (['install', 'add', 'update', 'sync'].includes(t.sub ?? '')) poetryVenvCheck(r, cache, ec);
      return [m(cache)];
    }
    case 'uv': {
      if (noCacheValue(r.envOutsideCommand('UV_NO_CACHE'))) refuse('UV_NO_CACHE is set for the RUN, so uv would not use a cache mount; remove it first');
      const own = fromOpt(['--cache-dir'], 'uv');
      const lm = r.env('UV_LINK_MODE') ?? opt(['--link-mode']).value ?? undefined;
      if (lm === 'symlink') refuse('uv links installed files as symlinks into its cache (UV_LINK_MODE=symlink), which would point into the cache mount');
      const cache = own ?? absTarget(r.env('UV_CACHE_DIR') ?? `${r.cacheHome()}/uv`, 'the uv cache directory');
      const venv = r.env('UV_PROJECT_ENVIRONMENT');
      if (venv !== undefined && normPath(venv) !== null && overlaps(normPath(venv)!, cache)) refuse(`UV_PROJECT_ENVIRONMENT (${venv}) is inside the uv cache directory, so the installed packages would stay in the cache mount`);
      return [m(cache)];
    }
    case 'pipenv':
      return [
        m(absTarget(r.env('PIPENV_CACHE_DIR') ?? `${r.cacheHome()}/pipenv`, 'the pipenv cache directory')),
        m(absTarget(r.env('PIP_CACHE_DIR') ?? `${r.cacheHome()}/pip`, 'the pip cache directory')),
      ];
    case 'npm': {
      const own = fromOpt(['--cache'], 'npm');
      return [m(own ?? absTarget(r.env('npm_config_cache') ?? r.env('NPM_CONFIG_CACHE') ?? `${r.home()}/.npm`, 'the npm cache directory'))];
    }
    case 'yarn': return [m(yarnCache(t, r, ec))];
    case 'pnpm': {
      const own = fromOpt(['--store-dir'], 'pnpm');
      if (own) return [m(own)];
      const explicit = r.env('npm_config_store_dir') ?? r.env('pnpm_config_store_dir') ?? r.env('PNPM_STORE_DIR');
      if (explicit !== undefined) return [m(absTarget(explicit, 'the pnpm store directory'))];
      const ph = r.env('PNPM_HOME');
      if (ph !== undefined) return [m(absTarget(`${ph}/store`, 'the pnpm store directory'))];
      return [m(absTarget(`${r.xdg('XDG_DATA_HOME') ?? `${r.home()}/.local/share`}/pnpm/store`, 'the pnpm store directory'))];
    }
    case 'bun': {
      const own = fromOpt(['--cache-dir'], 'bun');
      if (own) return [m(own)];
      const bi = r.env('BUN_INSTALL');
      return [m(absTarget(r.env('BUN_INSTALL_CACHE_DIR') ?? `${bi ?? `${r.home()}/.bun`}/install/cache`, 'the bun cache directory'))];
    }
    case 'go': {
      const gopath = (r.env('GOPATH') ?? `${r.home()}/go`).split(':')[0]!;
      const mod = absTarget(r.env('GOMODCACHE') ?? `${gopath}/pkg/mod`, 'the Go module cache (GOMODCACHE)');
      if (t.sub === 'mod') return [m(mod)];
      const gc = r.env('GOCACHE');
      if (gc === 'off') refuse('GOCACHE=off disables the Go build cache');
      return [m(mod), m(absTarget(gc ?? `${r.cacheHome()}/go-build`, 'the Go build cache (GOCACHE)'))];
    }
    case 'maven': {
      const fromArgs = t.sc.words.find((w) => w !== null && w.startsWith('-Dmaven.repo.local='));
      let repo = fromArgs ? fromArgs.slice('-Dmaven.repo.local='.length) : undefined;
      if (repo === undefined) {
        const opts = r.env('MAVEN_OPTS') ?? '';
        const mm = opts.split(/\s+/).find((x) => x.startsWith('-Dmaven.repo.local='));
        if (mm) repo = mm.slice('-Dmaven.repo.local='.length);
      }
      if (repo === undefined && t.sc.words.some((w) => w === null)) refuse('mvn has arguments with expansions, which could set -Dmaven.repo.local');
      for (const f of ['.mvn/maven.config', '.mvn/jvm.config']) {
        if ((ec.ctx.buildContext.readText(f) ?? '').includes('maven.repo.local')) refuse(`${f} sets maven.repo.local, which this transform does not read`);
      }
      return [m(absTarget(repo ?? `${r.home()}/.m2/repository`, 'the Maven local repository'))];
    }
    case 'gradle': {
      const own = opt(['-g', '--gradle-user-home']);
      const guh = own.present ? absTarget(own.value, 'the --gradle-user-home value') : absTarget(r.env('GRADLE_USER_HOME') ?? `${r.home()}/.gradle`, 'the Gradle user home');
      return [m(`${guh}/caches`), m(`${guh}/wrapper`)];
    }
    case 'cargo': {
      const ch = absTarget(r.env('CARGO_HOME') ?? `${r.home()}/.cargo`, 'CARGO_HOME');
      return [m(`${ch}/registry`), m(`${ch}/git/db`)];
    }
    case 'bundler': {
      if (r.env('BUNDLE_PATH') !== undefined || r.env('BUNDLE_DEPLOYMENT') !== undefined) refuse('BUNDLE_PATH/BUNDLE_DEPLOYMENT is set, so Bundler keeps downloaded gems under $BUNDLE_PATH/ruby/<ruby version>/cache, whose Ruby version is not known here');
      if (t.sc.words.some((w) => w === '--path' || w === '--deployment' || (w ?? '').startsWith('--path='))) refuse('bundle install is given --path/--deployment, so the gems go to a project directory');
      if (ec.allCmds.some((c) => base(c.words[0]) === 'bundle' && c.words[1] === 'config')) refuse('the RUN changes Bundler settings (bundle config), so the gem location is not known');
      if (ec.ctx.buildContext.exists('.bundle/config')) refuse('the build context has a .bundle/config, whose settings may move the gem location');
      const gh = r.env('GEM_HOME');
      if (gh === undefined) refuse('GEM_HOME is not known (set ENV GEM_HOME, as the official ruby images do), so the gem download cache ($GEM_HOME/cache) cannot be located');
      return [m(absTarget(`${gh}/cache`, 'the RubyGems download cache'))];
    }
    case 'composer': {
      const cd = r.env('COMPOSER_CACHE_DIR');
      if (cd !== undefined) return [m(absTarget(cd, 'COMPOSER_CACHE_DIR'))];
      const ch = r.env('COMPOSER_HOME');
      if (ch !== undefined) return [m(absTarget(`${ch}/cache`, 'the Composer cache directory'))];
      const xc = r.xdg('XDG_CACHE_HOME');
      if (xc !== undefined) return [m(absTarget(`${xc}/composer`, 'the Composer cache directory'))];
      // Composer picks ~/.cache/composer when it detects XDG, ~/.composer/cache otherwise: mount both
      return [m(absTarget(`${r.home()}/.cache/composer`, 'the Composer cache directory')), m(absTarget(`${r.home()}/.composer/cache`, 'the Composer cache directory'))];
    }
    case 'nuget': {
      const own = fromOpt(['--packages'], 'dotnet');
      return [m(own ?? absTarget(r.env('NUGET_PACKAGES') ?? `${r.home()}/.nuget/packages`, 'the NuGet packages folder'))];
    }
  }
}
