/**
 * Java: maven / gradle / eclipse-temurin JDK images building a jar (maven package → target/, gradle build →
 * build/libs/, optionally copied out with cp/mv) that `java … -jar FILE` starts. Copies the jar.
 */
import { base, buildOutputs, outputHit, resolve, unknownCommand } from '../common.js';
import type { Recipe } from '../recipe.js';

/** The JVM build tools: the commands that run them, the goals or tasks that write the jar, and where it lands. */
const BUILD_TOOLS: { tool: string; commands: string[]; jarGoals: string[]; output: string; source: string }[] = [
  {
    tool: 'maven', commands: ['mvn', 'mvnw'], jarGoals: ['package', 'install', 'verify', 'deploy'], output: 'target',
    source: 'https://maven.apache.org/guides/introduction/introduction-to-the-lifecycle.html (package and later phases), https://maven.apache.org/guides/introduction/introduction-to-the-standard-directory-layout.html (target/)',
  },
  {
    tool: 'gradle', commands: ['gradle', 'gradlew'], jarGoals: ['build', 'assemble', 'bootJar', 'jar', 'shadowJar'], output: 'build/libs',
    source: 'https://docs.gradle.org/current/userguide/java_plugin.html (jar, assemble, build; jars in build/libs), Spring Boot bootJar, Shadow shadowJar',
  },
];
const ALL_JAR_GOALS = BUILD_TOOLS.flatMap((t) => t.jarGoals);
const ALL_COMMANDS = BUILD_TOOLS.flatMap((t) => t.commands);

export const javaRecipe: Recipe = (doc, f, runner) => {
  const out = buildOutputs(f, [], (c, name) => {
    const tool = BUILD_TOOLS.find((t) => t.commands.includes(name));
    if (!tool) return unknownCommand(c, 'jar');
    const args = c.words.slice(1);
    if (args.some((a) => a === null)) return { line: c.line, refuse: `the ${name} arguments use variables` };
    if (args.some((a) => /^(-f|--file|-p|--project-dir|-b|--build-file)(=|$)/.test(a!))) return { line: c.line, refuse: `${name} builds another directory (-f/-p), so where the jar lands cannot be told` };
    if (c.cwd === null) return { line: c.line, refuse: 'a `cd` earlier in the RUN makes the build directory unknown' };
    const goals = args.filter((a) => !a!.startsWith('-')) as string[];
    if (!goals.some((g) => tool.jarGoals.includes(g))) return null;
    return { dir: resolve(c.cwd, tool.output), evidence: goals.find((g) => ALL_JAR_GOALS.includes(g))! };
  });
  if ('refuse' in out) return out;
  if (out.dirs.length === 0) return { line: doc.lineOfNode(f.stage.from), refuse: 'no maven package / gradle build found, so the jar to copy cannot be told' };
  const argv = f.start.argv;
  if (ALL_COMMANDS.includes(base(argv[0]!))) return { line: doc.lineOfNode(f.start.ins), refuse: `the start command runs ${base(argv[0]!)} (e.g. spring-boot:run), which needs the build toolchain` };
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
