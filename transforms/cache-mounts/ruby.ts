/**
 * Bundler: gems are downloaded to $GEM_HOME/cache unless Bundler is told to install into a path
 * (BUNDLE_PATH, --path, --deployment, `bundle config`, .bundle/config), which puts them under a Ruby-version
 * directory that is not known here: refused.
 */
import type { Resolver } from './resolve.js';
import { refuse, type EcoContext, type ToolCmd } from './types.js';
import { absTarget, base } from './words.js';

export function bundlerCache(t: ToolCmd, r: Resolver, ec: EcoContext): string[] {
  if (r.env('BUNDLE_PATH') !== undefined || r.env('BUNDLE_DEPLOYMENT') !== undefined) refuse('BUNDLE_PATH/BUNDLE_DEPLOYMENT is set, so Bundler keeps downloaded gems under $BUNDLE_PATH/ruby/<ruby version>/cache, whose Ruby version is not known here');
  if (t.sc.words.some((w) => w === '--path' || w === '--deployment' || (w ?? '').startsWith('--path='))) refuse('bundle install is given --path/--deployment, so the gems go to a project directory');
  if (ec.allCmds.some((c) => base(c.words[0]) === 'bundle' && c.words[1] === 'config')) refuse('the RUN changes Bundler settings (bundle config), so the gem location is not known');
  if (ec.ctx.buildContext.exists('.bundle/config')) refuse('the build context has a .bundle/config, whose settings may move the gem location');
  const gh = r.env('GEM_HOME');
  if (gh === undefined) refuse('GEM_HOME is not known (set ENV GEM_HOME, as the official ruby images do), so the gem download cache ($GEM_HOME/cache) cannot be located');
  return [absTarget(`${gh}/cache`, 'the RubyGems download cache')];
}
