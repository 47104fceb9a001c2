/**
 * runner-stage: splits a single-stage Dockerfile that builds on a full toolchain image into a build
 * stage and a slim runner stage that gets only what the app needs at run time.
 *
 * The existing stage is named (`AS build`, unless it has a name); a new final stage is appended that
 * starts from the slim runtime image of the same family and version (src/base-images.ts runnerImage),
 * copies the build output with `COPY --from=build`, and carries the runtime settings: ENV, WORKDIR and
 * USER are copied (the build still needs them), LABEL, EXPOSE, VOLUME, STOPSIGNAL, HEALTHCHECK,
 * ENTRYPOINT and CMD are moved (with the comment lines sitting on them). Moved and copied lines are the
 * original text, never reprinted (carry.ts).
 *
 * Recipes, one module each in recipes/ (the interface in recipe.ts), each recognised only from commands
 * read with the shell parser (src/shell.ts) in facts.ts:
 * - Go: golang:X with `go build -o PATH` -> gcr.io/distroless/static-debian12:nonroot (scratch, slim,
 *   alpine by option); `CGO_ENABLED=0` is added to the go build command when nothing sets it.
 * - Node: node:X with npm ci / npm install / yarn / pnpm install in the WORKDIR -> node:X-slim, copying
 *   the app directory (node_modules as installed: dev dependencies are not pruned).
 * - Python: python:X with pip into a venv (`python -m venv`) -> python:X-slim, copying the venv and the
 *   app directory.
 * - A slim node/python image whose stage installs a compiler (gcc, build-essential, ...) is a build stage:
 *   it is split the same way, with the same slim image as the runner.
 *
 * The runner must run what the old image ran: files the app may read from the source tree at run time
 * (runtime-files.ts, from the build context), install scripts that may write outside what is copied
 * (recipes/node.ts; pip into the system site-packages), and ports below 1024 that a non-root runner's
 * user cannot bind (portProblem) all refuse, named.
 * - Java: maven / gradle / eclipse-temurin JDK building a jar that `java -jar` starts -> eclipse-temurin:N-jre
 *   (distroless java by option), copying the jar.
 * - Rust: rust:X-<codename> with `cargo build --release` -> debian:<codename>-slim (distroless cc by
 *   option), copying the binary.
 *
 * Refuses (file left alone, with the reason) when: the file is already multi-stage; the base is not a
 * known toolchain image, or already slim; a RUN does something the recipe cannot account for (a command
 * it does not know, system packages the app may need at run time, a global install, `cd`); the start
 * command needs the toolchain (`go run`, `npm run dev`, `mvn spring-boot:run`) or is not the built
 * program; the app directory cannot be told (no WORKDIR, a COPY outside it); a shell-form start command
 * with a distroless runner; a HEALTHCHECK running a tool the runner may lack; a USER the runner lacks;
 * SHELL, ONBUILD, a VOLUME before a RUN, or build arguments in lines that would move.
 *
 * Before:  FROM golang:1.22                 After:  FROM golang:1.22 AS build
 *          WORKDIR /src                             WORKDIR /src
 *          COPY . .                                 COPY . .
 *          RUN go build -o /bin/app .               RUN CGO_ENABLED=0 go build -o /bin/app .
 *          CMD ["/bin/app"]
 *                                                   FROM gcr.io/distroless/static-debian12:nonroot
 *                                                   WORKDIR /src
 *                                                   COPY --from=build /bin/app /bin/app
 *                                                   CMD ["/bin/app"]
 */
import type { DocView } from '../../src/document.js';
import type { Edit } from '../../src/edits.js';
import { UsageError } from '../../src/errors.js';
import { lookupImage, parseImageRef, runnerImage, type RunnerChoice, type Toolchain } from '../../src/base-images.js';
import type { ContextFs, Transform } from '../../src/types.js';
import { emptyContext } from '../../src/context-fs.js';
import { intentOf, noIntent, type BuildIntent } from '../../src/build-context.js';
import { expandVars } from '../../src/stages.js';
import { carriedLines, runnerEdits } from './carry.js';
import { compilerInstall, flagsOf, within } from './common.js';
import { sourceTreeProblem } from './runtime-files.js';
import { collect, type StageFacts } from './facts.js';
import type { Recipe, Refusal, RunnerCopy } from './recipe.js';
import { goRecipe } from './recipes/go.js';
import { javaRecipe } from './recipes/java.js';
import { nodeRecipe } from './recipes/node.js';
import { pythonRecipe } from './recipes/python.js';
import { rustRecipe } from './recipes/rust.js';

export type { RunnerCopy } from './recipe.js';

export interface RunnerStageOptions {
  /** Runner image family: slim, distroless, alpine (alpine builds only) or scratch (Go only); null = the recipe's default. */
  runner: RunnerChoice | null;
}

const CHOICES: readonly RunnerChoice[] = ['slim', 'distroless', 'alpine', 'scratch'];

export const runnerStage: Transform<RunnerStageOptions> = {
  id: 'runner-stage',
  summary: 'Add a slim runner stage that copies only the build output of a single-stage toolchain Dockerfile',
  safety: 'runtime',
  defaults: { runner: null },
  flags: {
    runner: { key: 'runner', type: 'string', help: 'runner image for runner-stage: slim, distroless, alpine (alpine builds) or scratch (Go)' },
  },
  parseOptions(raw) {
    const r = raw.runner ?? null;
    if (r !== null && !CHOICES.includes(r as RunnerChoice)) {
      throw new UsageError(`--runner: "${String(r)}" is not one of ${CHOICES.join(', ')}`);
    }
    return { runner: r as RunnerChoice | null };
  },
  apply(doc, ctx) {
    const r = planRunner(doc, { ...runnerStage.defaults, ...ctx.options }, { context: ctx.buildContext, intent: intentOf(ctx.buildContext, ctx.file) });
    if (r === null) return [];
    if ('refuse' in r) return [{ kind: 'refuse', line: r.line, reason: r.refuse }];
    return [{ kind: 'rewrite', line: r.line, message: r.message, edits: r.edits }, ...r.notes.map((n) => ({ kind: 'note' as const, line: n.line, message: n.message }))];
  },
};

export interface RunnerPlan {
  line: number;
  toolchain: Toolchain;
  image: string;
  stageName: string;
  copies: RunnerCopy[];
  edits: Edit[];
  message: string;
  notes: { line: number; message: string }[];
}

/** One recipe per toolchain of src/base-images.ts. */
const RECIPES: Record<Toolchain, Recipe> = { go: goRecipe, node: nodeRecipe, python: pythonRecipe, java: javaRecipe, rust: rustRecipe };

/**
 * The runner plan for a Dockerfile, or a refusal, or null when there is nothing to look at.
 * Exported for the tests, which check that every COPY --from names a path the plan's pattern produced.
 */
export function planRunner(doc: DocView, opts: RunnerStageOptions, env: { context: ContextFs; intent: BuildIntent } = { context: emptyContext, intent: noIntent }): RunnerPlan | Refusal | null {
  const stages = doc.stages();
  if (stages.length === 0) return null;
  if (stages.length > 1) {
    const final = stages[stages.length - 1]!;
    const ref = parseImageRef(final.from.getImage() ?? '');
    const slim = ref !== null && (lookupImage(ref)?.slim || /(^|-)slim(-|$)/.test(ref.tag));
    const compiler = compilerInstall(doc, final.instructions);
    if (compiler) {
      return {
        line: compiler.line,
        refuse: `the final stage installs a compiler toolchain (${compiler.pkg}), so it builds and runs in one stage: move the build into a stage of its own and copy only its output into a runner FROM ${final.from.getImage()} (runner-stage splits only single-stage Dockerfiles)`,
      };
    }
    return {
      line: doc.lineOfNode(final.from),
      refuse: slim
        ? `already multi-stage with a slim final stage (${final.from.getImage()})`
        : 'already multi-stage: runner-stage only splits single-stage Dockerfiles',
    };
  }
  const stage = stages[0]!;
  const fromLine = doc.lineOfNode(stage.from);
  const image = stage.from.getImage() ?? '';
  const ref = parseImageRef(image);
  if (ref === null) return { line: fromLine, refuse: `the base image is given by a build argument (${image}), so its family and version cannot be known` };
  const entry = lookupImage(ref);
  // a slim image that installs a compiler is a build stage in disguise: split it, with the same image as the runner
  const compiler = entry?.slim && entry.toolchain ? compilerInstall(doc, stage.instructions) : null;
  if (entry?.slim && !compiler) return { line: fromLine, refuse: `the base image ${image} is already a slim runtime image; a runner stage would not make it smaller` };
  if (!entry?.toolchain) return { line: fromLine, refuse: `the base image ${ref.name} is not a toolchain image runner-stage knows (golang, node, python, maven, gradle, eclipse-temurin, rust)` };
  const toolchain = entry.toolchain;
  const platform = flagsOf(stage.from).find((f) => f.getName() === 'platform');
  if (platform && (platform.getValue() ?? '').includes('$')) {
    return { line: fromLine, refuse: `FROM ${doc.slice(platform)} builds for another platform; the runner's platform cannot be told` };
  }
  const alpineBase = /(^|-)alpine/.test(ref.tag);
  if (compiler && opts.runner !== null && opts.runner !== (alpineBase ? 'alpine' : 'slim')) {
    return { line: fromLine, refuse: `--runner ${opts.runner}: the build stage is the slim image ${image}, and its runner is that same image` };
  }
  const runner = compiler ? { image, distroless: false, alpine: alpineBase } : runnerImage(toolchain, ref, opts.runner);
  if ('refuse' in runner) return { line: fromLine, refuse: runner.refuse };

  const facts = collect(doc, stage, ref, entry.workdir ?? null);
  if ('refuse' in facts) return facts;

  // lines that move or are copied into the runner
  const carried = carriedLines(doc, facts, runner, toolchain);
  if ('refuse' in carried) return carried;
  if (runner.distroless && facts.start.shellForm) {
    return { line: doc.lineOfNode(facts.start.ins), refuse: `the shell-form ${facts.start.ins.getKeyword()} needs /bin/sh, which the ${runner.image} runner lacks; write it in exec form (JSON) or use --runner slim` };
  }

  const recipe = RECIPES[toolchain](doc, facts, runner, env.context);
  if ('refuse' in recipe) return recipe;
  for (const c of recipe.copies) {
    const m = facts.mounts.find((x) => within(c.src, x.dir) || within(x.dir, c.src));
    if (m) return { line: m.line, refuse: `${c.src} overlaps the RUN --mount target ${m.dir}, so what the build leaves there is not in the build stage to copy` };
  }
  const tree = sourceTreeProblem(doc, facts, env.context, toolchain);
  if (tree) return tree;
  const port = portProblem(doc, facts, runner.image, env.intent);
  if (port) return port;

  const { edits, stageName, moved } = runnerEdits(doc, facts, carried, recipe, runner, platform);
  return {
    line: fromLine,
    toolchain,
    image: runner.image,
    stageName,
    copies: recipe.copies,
    edits,
    message: `adds a runner stage FROM ${runner.image} that copies ${recipe.copies.map((c) => c.src).join(', ')} from stage ${stageName}${moved.length ? ` and takes over ${[...new Set(moved.map((m) => m.getKeyword()))].join(', ')}` : ''} (${recipe.what})`,
    notes: compiler
      ? [{ line: compiler.line, message: `the stage installs a compiler toolchain (${compiler.pkg}) on the slim image ${image}: the build keeps it, the runner FROM the same image does not` }, ...recipe.notes]
      : recipe.notes,
  };
}

/**
 * The runner's user must be able to bind the ports the old image listened on. The old image ran as root
 * when the stage sets no USER (every toolchain image does); a runner that runs as non-root by default
 * (distroless `:nonroot`) cannot bind a port below 1024: EXPOSE (variables resolved from ENV), the ports
 * compose publishes for it, and a port in the start command's arguments (`--port 80`, `-addr :80`).
 */
function portProblem(doc: DocView, f: StageFacts, runnerImg: string, intent: BuildIntent): Refusal | null {
  if (f.stage.instructions.some((i) => i.getKeyword() === 'USER')) return null; // carried: the runner runs as the user the old image did
  const rref = parseImageRef(runnerImg);
  const rentry = rref ? lookupImage(rref) : null;
  if (!rentry || rentry.uid === 0) return null;
  const who = `the runner ${runnerImg} runs as ${rentry.defaultUser} (uid ${rentry.uid}), which cannot bind`;
  const fix = 'use --runner slim (it runs as root, as the build image did), or make the app listen on port 1024 or above';
  for (const ins of f.stage.instructions) {
    if (ins.getKeyword() !== 'EXPOSE') continue;
    const vars = new Map<string, string | null>([...(f.states.get(ins)?.env ?? [])]);
    for (const a of ins.getArguments()) {
      const raw = a.getValue();
      const v = raw.includes('$') ? expandVars(raw, vars) : raw;
      if (v === null || v.includes('$')) return { line: doc.lineOfNode(ins), refuse: `EXPOSE ${raw}: the port has no value dockeropt can know, so whether ${who.replace(/, which cannot bind$/, '')} can bind it cannot be told; write the port number` };
      const n = Number(/^(\d+)/.exec(v)?.[1] ?? NaN);
      if (n < 1024) return { line: doc.lineOfNode(ins), refuse: `${who} port ${n} (EXPOSE ${raw}) as the root build image could; ${fix}` };
    }
  }
  for (const b of intent.builds) {
    if (b.target !== null && b.target !== (f.stage.name ?? '')) continue;
    const low = b.ports.find((p) => p < 1024);
    if (low !== undefined) return { line: doc.lineOfNode(f.stage.from), refuse: `${who} port ${low}, which ${b.where} publishes, as the root build image could; ${fix}` };
  }
  const argv = f.start.argv;
  for (let k = 1; k < argv.length; k++) {
    const w = argv[k];
    if (w === null || w === undefined) continue;
    const eq = /^(--?[a-z][\w-]*)=(.*)$/i.exec(w);
    const [flag, val] = eq ? [eq[1]!, eq[2]!] : [w, argv[k + 1] ?? null];
    if (!/^(-p|-b|--?(port|addr|address|listen|bind|http|http-port|host-port))$/i.test(flag) || val === null) continue;
    const m = /(?:^|:)(\d{1,5})$/.exec(val);
    if (m && Number(m[1]) < 1024) return { line: doc.lineOfNode(f.start.ins), refuse: `${who} port ${m[1]} (${flag} ${val} in the start command) as the root build image could; ${fix}` };
  }
  return null;
}
