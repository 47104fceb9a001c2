/**
 * The default pipeline, in order. The order is part of the design; every reason is here:
 * - fold-permissions first: removing a permission-only command can leave a RUN that only installs
 *   system packages (which hoist-system-deps can then move) and puts RUNs next to each other (which
 *   merge-run can then join); run after merge-run, a chmod RUN joined to its neighbour would no longer
 *   stand right after its COPY.
 * - hoist-system-deps before merge-run: hoisted installs land next to each other and can then merge.
 * - merge-run before cache-mounts: a merged RUN gets one set of mounts.
 * - split-copy before cache-mounts: the install RUN it moves is the one that gets the mounts.
 * - runner-stage before non-root: the new runner stage is the final stage that gets the USER.
 * - pin-digests last: it must see every FROM, including a new runner stage's.
 *
 * Transforms that need the network (pin-digests) are opt-in: they run only when named (`--only`, or a
 * config file's `only`). A plain `dockeropt .` then works offline and never fails on a registry, as
 * Renovate's digest pinning is opt-in too.
 */
import type { Transform } from '../src/types.js';
import { foldPermissions } from './fold-permissions/index.js';
import { hoistSystemDeps } from './hoist-system-deps/index.js';
import { mergeRun } from './merge-run.js';
import { runnerStage } from './runner-stage/index.js';
import { nonRoot } from './non-root.js';
import { pinDigests } from './pin-digests/index.js';
import { splitCopy } from './split-copy/index.js';
import { cacheMounts } from './cache-mounts/index.js';

export const transforms: readonly Transform<any>[] = [foldPermissions, hoistSystemDeps, mergeRun, splitCopy, cacheMounts, runnerStage, nonRoot, pinDigests];

/** The transforms a run uses: the named ones (in pipeline order), else every default one, minus the skipped. */
export function selectTransforms(only: readonly string[] = [], skip: readonly string[] = []): Transform<any>[] {
  return transforms.filter((t) => (only.length === 0 ? !t.network : only.includes(t.id)) && !skip.includes(t.id));
}

export function transformById(id: string): Transform<any> | undefined {
  return transforms.find((t) => t.id === id);
}
