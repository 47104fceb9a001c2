import type { DocView } from './document.js';
import type { Edit } from './edits.js';

/**
 * `build-only`: the running image stays identical (same files, same config), only the build gets faster.
 * `runtime`: what runs changes (a new base image, a different user); reviewers must test it.
 */
export type Safety = 'build-only' | 'runtime';

/** A transform's answer for one site it looked at. Lines are 1-based. */
export type Outcome =
  | { kind: 'rewrite'; line: number; message: string; edits: Edit[]; safety?: Safety; /** The file's UTF-8 BOM goes too (the edits cannot say so: they address the text after it). */ dropsBom?: true }
  | { kind: 'refuse'; line: number; reason: string }
  | { kind: 'note'; line: number; message: string }
  /** Something the transform needed failed (e.g. a registry lookup): that site is left as it was, and the run exits 2. */
  | { kind: 'error'; line: number; message: string; hint?: string };

/** A read-only view of the build context (the directory the build is run from). */
export interface ContextFs {
  /** Absolute path of the context directory, or null when it is unknown (text given on stdin, library use). */
  readonly root: string | null;
  exists(rel: string): boolean;
  isDirectory(rel: string): boolean;
  readText(rel: string): string | null;
  list(rel: string): string[];
  /** The entry itself (not a symlink's target): its type and permission bits (07777); null when missing. */
  stat(rel: string): ContextStat | null;
}

export interface ContextStat {
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits with setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
}

export interface TransformContext<O = Record<string, unknown>> {
  readonly options: O;
  /** Path of the Dockerfile, for messages only. */
  readonly file: string;
  readonly buildContext: ContextFs;
  /** Services a transform may need (the registry client for pin-digests); absent in pure runs. */
  readonly services: Services;
  /** What the transform's `prepare` returned for this run (undefined without prepare). */
  readonly state?: unknown;
  readonly signal?: AbortSignal;
  /** The file starts with a UTF-8 BOM (stripped from the text the transform sees). */
  readonly bom?: boolean;
}

/** Side-effecting services injected into transforms (kept out of transforms so tests can swap them). */
export interface Services {
  readonly [name: string]: unknown;
}

export interface Transform<O = Record<string, unknown>> {
  /** kebab-case; equals the file name, the CLI name and the snapshots/ folder. Never renamed. */
  readonly id: string;
  /** One imperative sentence for --list, the README table and the summary. */
  readonly summary: string;
  /** The label every rewrite of this transform carries unless the outcome says otherwise. */
  readonly safety: Safety;
  readonly defaults: O;
  /** Needs the network (a registry): left out of offline runs such as the corpus check. */
  readonly network?: boolean;
  /** Command-line flags that set this transform's options: `--flag value` sets `options[key]`. */
  readonly flags?: Readonly<Record<string, TransformFlag>>;
  /** Validates user options (defaults already merged); throws UsageError naming the option on bad input. */
  parseOptions?(raw: Record<string, unknown>): O;
  /**
   * Called once per run (a batch of files) before the first file, with the options; what it returns is
   * handed to every `apply` as `ctx.state` (e.g. a registry client shared, and deduplicating, across files).
   */
  prepare?(options: O, run?: { cwd: string }): unknown | Promise<unknown>;
  apply(doc: DocView, ctx: TransformContext<O>): Outcome[] | Promise<Outcome[]>;
  /** Called once after the last file of a run, with the prepare state (e.g. to write a lockfile under --write). */
  finish?(state: unknown, run: { write: boolean; cwd: string }): void | Promise<void>;
}

export interface TransformFlag {
  /** The option key the flag sets. */
  key: string;
  type: 'string' | 'boolean';
  /** Repeatable flag: the option gets an array. */
  multiple?: boolean;
  help: string;
}

/** One outcome as reported, with the transform that produced it and its label. */
export interface ReportedOutcome {
  transform: string;
  kind: 'rewrite' | 'refuse' | 'note' | 'error';
  line: number;
  message: string;
  safety?: Safety;
  /** For rewrites: the edits, as offsets into the text the transform saw (after earlier transforms). */
  edits?: Edit[];
  /**
   * Which application of a transform produced it: 0, 1, … in the order the pipeline ran them, across
   * passes. The text a step saw is the original with the edits of every earlier step applied.
   */
  step?: number;
  /** A `runtime` rewrite held back (reported as a note): written only with `--runtime`. */
  held?: boolean;
  /** An applied rewrite that also removes the file's UTF-8 BOM. */
  dropsBom?: true;
}

export type FileStatus = 'changed' | 'unchanged' | 'ignored' | 'error';

/**
 * A block of lines a run changed: lines [oldStart, oldEnd) of the text before became lines
 * [newStart, newEnd) of the text after (0-based, half-open; a line is what ends in `\n`, or the rest).
 * A block may include unchanged lines; every line outside the blocks is the same in both texts.
 */
export interface LineChange {
  oldStart: number;
  oldEnd: number;
  newStart: number;
  newEnd: number;
}

export interface FileResult {
  file: string;
  status: FileStatus;
  before: string;
  after: string;
  outcomes: ReportedOutcome[];
  /** For changed files: the blocks of lines that differ between `before` and `after` (the diff is built from them). */
  changes?: LineChange[];
  /** `stack` only for bugs (internal and unexpected errors), shown under --debug and never in reports. */
  error?: { message: string; line?: number; hint?: string; stack?: string };
  written?: boolean;
  /** Problems with the file's pragmas (e.g. an unknown transform id in `# dockeropt ignore=`): warnings on stderr. */
  warnings?: { line: number; message: string }[];
  /** Status 'ignored' of a file named on the command line: what leaves it out (`.dockeroptignore:3 "svc/"`). */
  ignoredBy?: string;
  /** With --verify (changed files only): the builds before and after, compared. */
  verify?: import('./verify/run.js').FileVerification;
}
