/**
 * Java: maven / gradle / eclipse-temurin JDK images building a jar (maven package → target/, gradle build →
 * build/libs/, optionally copied out with cp/mv) that `java … -jar FILE` starts. Copies the jar.
 */
import { base, buildOutputs, outputHit, resolve, unknownCommand } from '../common.js';
import type { Recipe } from '../recipe.js';

export const javaRecipe: Recipe = (doc, f, runner) => {
  const out = buildOutputs(f, [], (c, name) => {
    const tool = name === 'mvn' || name === 'mvnw' ? 'maven' : name === 'gradle' || name === 'gradlew' ? 'gradle' : null;
    if (!tool) return unknownCommand(c, 'jar');
    const args = c.words.slice(1);
    if (args.some((a) => a === null)) return { line: c.line, refuse: `the ${name} arguments use variables` };
    if (args.some((a) => /^(-f|--file|-p|--project-dir|-b|--build-file)(=|$)/.test(a!))) return { line: c.line, refuse: `${name} builds another directory (-f/-p), so where the jar lands cannot be told` };
    if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the build directory unknown' };
    const goals = args.filter((a) => !a!.startsWith('-')) as string[];
    const packs = tool === 'maven' ? goals.some((g) => ['package', 'install', 'verify', 'deploy'].includes(g)) : goals.some((g) => ['build', 'assemble', 'bootJar', 'jar', 'shadowJar'].includes(g));
    if (!packs) return null;
    return { dir: resolve(c.cwd, tool === 'maven' ? 'target' : 'build/libs'), evidence: goals.find((g) => ['package', 'install', 'verify', 'deploy', 'build', 'assemble', 'bootJar', 'jar', 'shadowJar'].includes(g))! };
  });
  if ('refuse' in out) return out;
  if (out.dirs.length === 0) return { line: doc.lineOfNode(f.stage.from), refuse: 'no maven package / gradle build found, so the jar to copy cannot be told' };
  const argv = f.start.argv;
  if (['mvn', 'mvnw', 'gradle', 'gradlew'].includes(base(argv[0]!))) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${base(argv[0]!)} (e.g. spring-boot:run), which needs the build toolchain` };
  if (base(argv[0]!) !== 'java') return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${argv[0]}, not java -jar, so the jar to copy cannot be told` };
  const j = argv.indexOf('-jar');
  const jar = j === -1 ? null : argv[j + 1] ?? null;
  if (jar === null || /[*?[]/.test(jar)) return { line: doc.lineOfNode(f.start.ins), refuse: 'the start command has no literal `-jar FILE`, so the jar to copy cannot be told' };
  const jarPath = resolve(f.runtimeWorkdir ?? '/', jar);
  const hit = outputHit(out, [jarPath]);
  if (!hit) return { line: doc.lineOfNode(f.start.ins), refuse: `the jar ${jarPath} is not in the build output (${out.dirs.join(', ')})` };
  if (runner.distroless && !f.start.hasEntrypoint) return { line: doc.lineOfNode(f.start.ins), refuse: 'the distroless java runner has ENTRYPOINT ["java", "-jar"], which a CMD-only start command would be appended to; use an ENTRYPOINT or --runner slim' };
  return { copies: [{ src: jarPath, dest: jarPath, line: hit.line, evidence: hit.evidence }], edits: [], notes: [], what: `Java: the jar ${jarPath}` };
};
