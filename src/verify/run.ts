/**
 * `--verify` in a normal run: for every file that would change, build the original and the rewritten
 * text and compare. A file with both kinds of change gets two comparisons: the build-only changes alone
 * (the original against the text with only those applied), which must be identical, and all changes,
 * whose differences are what a reviewer reads. A build-only change that verifies `different` is a bug
 * in dockeropt: the file is never written, and the run exits 2. Under `--write`, a file is written only
 * when its build-only changes verified identical and every comparison could build.
 */
import { detectBuilder, type BuilderKind, type Detection } from './builders.js';
import { verifyPair, type VerifyResult } from './index.js';
import type { ReportedOutcome } from '../types.js';

export interface VerifyJob {
  /** Absolute path of the Dockerfile. */
  path: string;
  display: string;
  before: string;
  after: string;
  /** The text with only the build-only changes applied, when the file also has runtime changes (else null). */
  buildOnlyAfter: string | null;
  outcomes: readonly ReportedOutcome[];
  /** The build context directory; null when it is not known (then `contextProblem` says why). */
  context: string | null;
  contextProblem?: string;
}

export interface FileVerification extends VerifyResult {
  /** Which changes the main comparison covers. */
  changes: 'build-only' | 'runtime' | 'both';
  /** With changes `both`: the comparison of the build-only changes alone. */
  buildOnly?: VerifyResult;
  /** A build-only change verified different: a bug in dockeropt (exit 2, never written). */
  bug: boolean;
  /** Whether --write may write the file. */
  writable: boolean;
}

export type FileVerifier = (job: VerifyJob) => Promise<FileVerification>;

export interface VerifierOptions {
  builder?: BuilderKind;
  /** Run the cache experiment for every file. */
  cache?: boolean;
  target?: string;
  buildArgs?: Readonly<Record<string, string>>;
  platform?: string;
  timeoutMs?: number;
  /** The builder's environment (its storage and registry configuration). */
  env?: NodeJS.ProcessEnv;
  /** A build started or finished (for a progress line). */
  onProgress?: (file: string, what: string | null) => void;
}

/** Finds the builder once (lazily, on the first file that changes) and verifies each job with it. */
export function makeVerifier(o: VerifierOptions = {}): FileVerifier {
  let detection: Promise<Detection> | null = null;
  return async (job) => {
    detection ??= detectBuilder(o.builder, o.env ?? process.env);
    const found = await detection;
    const kinds = new Set(job.outcomes.filter((x) => x.kind === 'rewrite').map((x) => x.safety ?? 'build-only'));
    const changes = kinds.has('runtime') ? (kinds.has('build-only') && job.buildOnlyAfter !== null && job.buildOnlyAfter !== job.before ? 'both' : 'runtime') : 'build-only';
    const base = {
      context: job.context,
      dockerfileName: job.path.split('/').pop() ?? 'Dockerfile',
      dockerignore: `${job.path}.dockerignore`,
      ...(o.target ? { target: o.target } : {}),
      ...(o.buildArgs ? { buildArgs: o.buildArgs } : {}),
      ...(o.platform ? { platform: o.platform } : {}),
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    };
    const pair = async (after: string, what: string, cache: boolean): Promise<VerifyResult> => {
      if (job.context === null) return { status: 'unverified', builder: 'builder' in found && found.builder ? found.builder.label : null, differences: [], reason: job.contextProblem ?? 'the build context is not known; pass --context DIR', notes: [] };
      o.onProgress?.(job.display, what);
      try {
        return await verifyPair(found, { ...base, before: job.before, after, ...(cache ? { cache: true } : {}) });
      } finally {
        o.onProgress?.(job.display, null);
      }
    };
    const main = await pair(job.after, changes === 'both' ? 'all changes' : `${changes} changes`, Boolean(o.cache));
    if (changes === 'build-only') {
      const bug = main.status === 'different';
      return { ...main, changes, bug, writable: main.status === 'identical' };
    }
    if (changes === 'runtime') return { ...main, changes, bug: false, writable: main.status !== 'unverified' };
    // when the original cannot be built, the second comparison would say the same
    const original = main.status === 'unverified' && /^(the original does not build|a base image cannot be pulled|the original build timed out|no image builder|the builder |the build context)/.test(main.reason ?? '');
    const buildOnly = original ? main : await pair(job.buildOnlyAfter!, 'build-only changes', false);
    const bug = buildOnly.status === 'different';
    return { ...main, changes, buildOnly, bug, writable: buildOnly.status === 'identical' && main.status !== 'unverified' };
  };
}
