/** What the cache-mounts modules share: ecosystems, mounts, the package-manager commands found in a RUN, refusals. */
import type { Instruction } from 'dockerfile-ast';
import type { DocView } from '../../src/document.js';
import type { SimpleCommand } from '../../src/shell.js';
import type { TransformContext } from '../../src/types.js';

export interface CacheMountsOptions {
  /** Never add `# syntax=docker/dockerfile:1` (wins over syntaxDirective). */
  noSyntaxDirective: boolean;
  /** Add `# syntax=docker/dockerfile:1` where a cache mount is added (default false: Docker 23+ needs none). */
  syntaxDirective: boolean;
  /** With syntaxDirective, in a file with a UTF-8 BOM: remove the BOM so the directive is seen. */
  dropBom: boolean;
  [key: string]: unknown;
}

export type Eco = 'apt' | 'apk' | 'dnf' | 'zypper' | 'pip' | 'poetry' | 'uv' | 'pipenv' | 'npm' | 'yarn' | 'pnpm' | 'bun' | 'go' | 'maven' | 'gradle' | 'cargo' | 'bundler' | 'composer' | 'nuget';

export interface Mount { target: string; locked: boolean; eco: Eco }

/** A package-manager command found in the RUN. */
export interface ToolCmd {
  sc: SimpleCommand;
  eco: Eco;
  /** Basename of the tool word (apt-get, pip3, yarn, …). */
  tool: string;
  /** Index of the tool word in sc.words (2 for `python -m pip`). */
  at: number;
  sub: string | null;
}

export interface EcoContext {
  doc: DocView;
  ctx: TransformContext<CacheMountsOptions>;
  before: Instruction[];
  allCmds: SimpleCommand[];
  /** The RUN's cache-mount targets once rewritten (its own and the added ones), set before the edits are planned. */
  covered?: string[];
}

/** A refusal raised deep in path resolution; caught per RUN. */
export class Refusal extends Error {}
export const refuse = (reason: string): never => { throw new Refusal(reason); };

/** The edits a per-ecosystem hook may make to a command that gets a mount (each is also recorded for the re-parse check). */
export interface CommandEdits {
  /** Removes word `i` with the whitespace before it; `what` names it in a refusal. */
  removeWord(i: number, what: string): void;
  /** Replaces word `i` with `text`. */
  replaceWord(i: number, text: string): void;
  /** Inserts ` text` after word `i`. */
  insertAfter(i: number, text: string): void;
  /** Inserts `text` in front of the command's first word (after its assignments): an inline assignment. */
  insertBefore(text: string): void;
  /** Adds a note to the rewrite's message. */
  note(message: string): void;
}
