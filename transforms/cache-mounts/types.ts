/** The types the cache-mounts modules share: ecosystems, mounts, the package-manager commands found in a RUN. */
import type { Instruction } from 'dockerfile-ast';
import type { DocView } from '../../src/document.js';
import type { SimpleCommand } from '../../src/shell.js';
import type { TransformContext } from '../../src/types.js';

export interface CacheMountsOptions {
  /** Do not add `# syntax=docker/dockerfile:1` (builders that cannot pull the frontend image). */
  noSyntaxDirective: boolean;
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
}

export const ECO_LABEL: Record<Eco, string> = {
  apt: 'apt', apk: 'apk', dnf: 'dnf/yum', zypper: 'zypper', pip: 'pip', poetry: 'Poetry', uv: 'uv', pipenv: 'pipenv', npm: 'npm',
  yarn: 'Yarn', pnpm: 'pnpm', bun: 'bun', go: 'Go', maven: 'Maven', gradle: 'Gradle', cargo: 'Cargo', bundler: 'Bundler', composer: 'Composer', nuget: 'NuGet',
};
