/**
 * Services and extra options a snapshot case needs beyond its files (e.g. a real registry for
 * pin-digests). The default is none; transforms that need services extend this.
 */
import type { Case } from './fixtures.js';
import type { Services } from '../../src/types.js';

export interface CaseSetup {
  services: Services;
  options: Record<string, unknown>;
  cleanup(): Promise<void>;
}

export async function setupCase(_c: Case): Promise<CaseSetup> {
  return { services: {}, options: {}, cleanup: async () => {} };
}
