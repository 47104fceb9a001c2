/**
 * What verify needs to know about a Dockerfile before building it: the features a builder may lack
 * (heredocs, `COPY --link`), the cache-mount targets (their content is the build cache, see compare.ts),
 * and the stage names (to check a --target).
 */
import { posix } from 'node:path';
import type { Instruction } from 'dockerfile-ast';
import { BOM, DocView } from '../document.js';
import { instructionStates } from '../stages.js';

export interface DockerfileFacts {
  heredocs: number[];
  /** Lines of COPY/ADD --link. */
  copyLink: number[];
  /** Absolute cache-mount targets, with the line of their RUN. */
  cacheTargets: { target: string; line: number }[];
  /** RUNs with cache mounts: where each starts (offset in the BOM-less text) and its targets. */
  cacheRuns: { start: number; line: number; targets: string[] }[];
  /** `RUN --mount=type=bind` without `from=`: the context bound into the RUN. */
  contextBinds: number[];
  stages: string[];
}

/** Splits a --mount value (`type=cache,target=/x,sharing=locked`) into its options (CSV, quotes allowed). */
export function mountOptions(value: string): Map<string, string> {
  const out = new Map<string, string>();
  let cur = '', quote = '';
  const fields: string[] = [];
  for (const ch of value) {
    if (quote) { if (ch === quote) quote = ''; else cur += ch; continue; }
    if (ch === '"' || ch === "'") { quote = ch; continue; }
    if (ch === ',') { fields.push(cur); cur = ''; continue; }
    cur += ch;
  }
  fields.push(cur);
  for (const f of fields) {
    const eq = f.indexOf('=');
    const k = (eq === -1 ? f : f.slice(0, eq)).trim().toLowerCase();
    if (k) out.set(k, eq === -1 ? 'true' : f.slice(eq + 1).trim());
  }
  return out;
}

export function dockerfileFacts(text: string): DockerfileFacts {
  const doc = new DocView(stripBom(text));
  const facts: DockerfileFacts = { heredocs: [], copyLink: [], cacheTargets: [], cacheRuns: [], contextBinds: [], stages: [] };
  const states = instructionStates(doc);
  for (const s of doc.stages()) if (s.name) facts.stages.push(s.name);
  for (const ins of doc.instructions()) {
    const kw = ins.getKeyword();
    const line = ins.getRange().start.line + 1;
    const withHeredocs = ins as unknown as { getHeredocs?(): unknown[] };
    if ((kw === 'RUN' || kw === 'COPY' || kw === 'ADD') && (withHeredocs.getHeredocs?.().length ?? 0) > 0) facts.heredocs.push(line);
    const flags = (ins as unknown as { getFlags?(): { getName(): string; getValue(): string | null }[] }).getFlags?.() ?? [];
    if ((kw === 'COPY' || kw === 'ADD') && flags.some((f) => f.getName() === 'link' && f.getValue() !== 'false')) facts.copyLink.push(line);
    if (kw !== 'RUN') continue;
    const targets: string[] = [];
    for (const f of flags) {
      if (f.getName() !== 'mount' || f.getValue() === null) continue;
      const m = mountOptions(f.getValue()!);
      const type = m.get('type') ?? 'bind';
      const target = m.get('target') ?? m.get('dst') ?? m.get('destination');
      if (type === 'bind' && !m.has('from')) facts.contextBinds.push(line);
      if (type !== 'cache' || !target) continue;
      const abs = absoluteTarget(target, ins, states);
      facts.cacheTargets.push({ target: abs, line });
      targets.push(abs);
    }
    if (targets.length) facts.cacheRuns.push({ start: doc.lineStart(ins.getRange().start.line), line, targets });
  }
  return facts;
}

function absoluteTarget(target: string, ins: Instruction, states: ReturnType<typeof instructionStates>): string {
  if (target.startsWith('/')) return posix.normalize(target).replace(/\/$/, '') || '/';
  const wd = states.get(ins)?.workdir ?? '/';
  return posix.normalize(posix.join(wd.startsWith('/') ? wd : `/${wd}`, target)).replace(/\/$/, '') || '/';
}

export const stripBom = (text: string) => (text.startsWith(BOM) ? text.slice(1) : text);
