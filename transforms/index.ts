/**
 * The default pipeline, in order. The order is part of the design; every reason is here:
 * - hoist-system-deps before merge-run: hoisted installs land next to each other and can then merge.
 * - merge-run before cache-mounts: a merged RUN gets one set of mounts.
 * - split-copy before cache-mounts: the install RUN it moves is the one that gets the mounts.
 * - runner-stage before non-root: the new runner stage is the final stage that gets the USER.
 * - pin-digests last: it must see every FROM, including a new runner stage's.
 */
import type { Transform } from '../src/types.js';
import { hoistSystemDeps } from './hoist-system-deps.js';
import { mergeRun } from './merge-run.js';
import { runnerStage } from './runner-stage.js';
import { nonRoot } from './non-root.js';
import { pinDigests } from './pin-digests.js';
import { splitCopy } from './split-copy.js';
import { cacheMounts } from './cache-mounts.js';

export const transforms: readonly Transform<any>[] = [hoistSystemDeps, mergeRun, splitCopy, cacheMounts, runnerStage, nonRoot, pinDigests];

export function transformById(id: string): Transform<any> | undefined {
  return transforms.find((t) => t.id === id);
}
