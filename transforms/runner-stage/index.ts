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
 * - Python: python:X with pip into a venv (`python -m venv`) or the system site-packages -> python:X-slim,
 *   copying the venv (or site-packages and /usr/local/bin) and the app directory.
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
import type { Transform } from '../../src/types.js';
import { carriedLines, runnerEdits } from './carry.js';
import { flagsOf, within } from './common.js';
import { collect } from './facts.js';
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
    const r = planRunner(doc, { ...runnerStage.defaults, ...ctx.options });
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
export function planRunner(doc: DocView, opts: RunnerStageOptions): RunnerPlan | Refusal | null {
  const stages = doc.stages();
  if (stages.length === 0) return null;
  if (stages.length > 1) {
    const final = stages[stages.length - 1]!;
    const ref = parseImageRef(final.from.getImage() ?? '');
    const slim = ref !== null && (lookupImage(ref)?.slim || /(^|-)slim(-|$)/.test(ref.tag));
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
  if (entry?.slim) return { line: fromLine, refuse: `the base image ${image} is already a slim runtime image; a runner stage would not make it smaller` };
  if (!entry?.toolchain) return { line: fromLine, refuse: `the base image ${ref.name} is not a toolchain image runner-stage knows (golang, node, python, maven, gradle, eclipse-temurin, rust)` };
  const toolchain = entry.toolchain;
  const platform = flagsOf(stage.from).find((f) => f.getName() === 'platform');
  if (platform && (platform.getValue() ?? '').includes('$')) {
    return { line: fromLine, refuse: `FROM ${doc.slice(platform)} builds for another platform; the runner's platform cannot be told` };
  }
  const runner = runnerImage(toolchain, ref, opts.runner);
  if ('refuse' in runner) return { line: fromLine, refuse: runner.refuse };

  const facts = collect(doc, stage, ref, entry.workdir ?? null);
  if ('refuse' in facts) return facts;

  // lines that move or are copied into the runner
  const carried = carriedLines(doc, facts, runner, toolchain);
  if ('refuse' in carried) return carried;
  if (runner.distroless && facts.start.shellForm) {
    return { line: doc.lineOfNode(facts.start.ins), refuse: `the shell-form ${facts.start.ins.getKeyword()} needs /bin/sh, which the ${runner.image} runner lacks; write it in exec form (JSON) or use --runner slim` };
  }

  const recipe = RECIPES[toolchain](doc, facts, runner);
  if ('refuse' in recipe) return recipe;
  for (const c of recipe.copies) {
    const m = facts.mounts.find((x) => within(c.src, x.dir) || within(x.dir, c.src));
    if (m) return { line: m.line, refuse: `${c.src} overlaps the RUN --mount target ${m.dir}, so what the build leaves there is not in the build stage to copy` };
  }

  const { edits, stageName, moved } = runnerEdits(doc, facts, carried, recipe, runner, platform);
  return {
    line: fromLine,
    toolchain,
    image: runner.image,
    stageName,
    copies: recipe.copies,
    edits,
    message: `adds a runner stage FROM ${runner.image} that copies ${recipe.copies.map((c) => c.src).join(', ')} from stage ${stageName}${moved.length ? ` and takes over ${[...new Set(moved.map((m) => m.getKeyword()))].join(', ')}` : ''} (${recipe.what})`,
    notes: recipe.notes,
  };
}
