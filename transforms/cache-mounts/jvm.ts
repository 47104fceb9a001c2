/**
 * Maven: the local repository, `-Dmaven.repo.local=` on the command or in MAVEN_OPTS, else ~/.m2/repository
 * (not ~/.m2, so a settings.xml there stays visible). Gradle is plain data in the ecosystem table.
 */
import type { Resolver } from './resolve.js';
import { refuse, type EcoContext, type ToolCmd } from './types.js';
import { absTarget } from './words.js';

export function mavenRepository(t: ToolCmd, r: Resolver, ec: EcoContext): string[] {
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
  return [absTarget(repo ?? `${r.home()}/.m2/repository`, 'the Maven local repository')];
}
