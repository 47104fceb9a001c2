/**
 * The interface between the runner-stage driver (index.ts) and its recipes (recipes/*.ts): a recipe reads
 * the stage's facts (facts.ts) for one toolchain and says what the runner copies from the build stage, or
 * why it refuses.
 */
import type { DocView } from '../../src/document.js';
import type { Edit } from '../../src/edits.js';
import type { ContextFs } from '../../src/types.js';
import type { StageFacts } from './facts.js';

export type Refusal = { line: number; refuse: string };

/** A path the runner copies from the build stage, with the input line whose pattern produced it. */
export interface RunnerCopy {
  src: string;
  dest: string;
  /** 1-based line of the instruction that produced `src` (the go build, the WORKDIR, the venv...). */
  line: number;
  /** Text on that line that names the path (for tests: the pattern really mentions it). */
  evidence: string;
}

/** The runner image the driver chose (src/base-images.ts runnerImage). */
export interface Runner { image: string; distroless: boolean; alpine: boolean }

export interface RecipeResult {
  copies: RunnerCopy[];
  /** Edits of the build stage (Go's `CGO_ENABLED=0`). */
  edits: Edit[];
  notes: { line: number; message: string }[];
  /** What was recognised, for the rewrite message (`Go: go build -o /bin/app`). */
  what: string;
  /** The COPY --from lines keep the build stage's COPY --chown. */
  chown?: boolean;
}

/** `context` is the build context (unknown: root null), for recipes that read the files the build copies in. */
export type Recipe = (doc: DocView, f: StageFacts, runner: Runner, context: ContextFs) => RecipeResult | Refusal;
