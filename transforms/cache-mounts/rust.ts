/**
 * Cargo: its target/ directory (--target-dir, CARGO_TARGET_DIR, else WORKDIR/target) is cached only when the
 * same RUN copies the build output out of it and no later stage copies from it; otherwise that part is refused
 * (the registry and git mounts from the ecosystem table are still added).
 */
import type { Instruction, Run } from 'dockerfile-ast';
import type { DocView } from '../../src/document.js';
import type { SimpleCommand } from '../../src/shell.js';
import type { InstructionState } from '../../src/stages.js';
import type { Resolver } from './resolve.js';
import type { Mount, ToolCmd } from './types.js';
import { base, normPath, optionValue, overlaps } from './words.js';

/** The cargo command of the RUN that builds into target/, if any. */
export function cargoBuild(tools: ToolCmd[]): ToolCmd | undefined {
  return tools.find((t) => t.eco === 'cargo' && ['build', 'b', 'test', 't', 'check', 'c', 'clippy', 'doc', 'bench'].includes(t.sub ?? ''));
}

export function cargoTargetMount(doc: DocView, ins: Instruction, st: InstructionState, all: SimpleCommand[], t: ToolCmd, r: Resolver, states: Map<Instruction, InstructionState>): Mount | string {
  const no = (why: string) => `cargo's target/ directory is not cached: ${why}`;
  const own = optionValue(t.sc, r, ['--target-dir'], t.at + 1);
  let dir: string | null;
  if (own.present) dir = own.value !== null ? normPath(own.value) : null;
  else if (r.env('CARGO_TARGET_DIR') !== undefined) dir = normPath(r.env('CARGO_TARGET_DIR')!);
  else dir = st.workdir ? normPath(`${st.workdir}/target`) : null;
  if (dir === null) return no('its location is not known (set WORKDIR or CARGO_TARGET_DIR)');
  if (all.some((c) => c.inMainShell && ['cd', 'pushd'].includes(c.words[0] ?? ''))) return no('the RUN changes directory, so target/ is not known');
  const after = all.slice(all.indexOf(t.sc) + 1);
  const copiesOut = after.some((c) => ['cp', 'mv', 'install'].includes(base(c.words[0]) ?? '') && c.words.slice(1).some((w) => {
    if (w === null) return false;
    const abs = w.startsWith('/') ? normPath(w) : normPath(`${st.workdir ?? '/'}/${w}`);
    return abs !== null && abs.startsWith(dir + '/');
  }));
  if (!copiesOut) return no('the build output would be missing from the image unless the same RUN copies it out of target/ (e.g. `&& cp target/release/app /usr/local/bin/`)');
  const stageKeys = new Set([String(st.stage.index), ...(st.stage.name ? [st.stage.name] : [])]);
  for (const later of doc.instructions()) {
    if (later.getRange().start.line <= ins.getRange().start.line) continue;
    if (later.getKeyword() === 'COPY') {
      const from = (later as Run).getFlags().find((f) => f.getName().toLowerCase() === 'from')?.getValue()?.toLowerCase();
      if (from && stageKeys.has(from) && later.getArguments().slice(0, -1).some((a) => {
        const v = a.getValue();
        const lst = states.get(later);
        const abs = v.startsWith('/') ? normPath(v) : normPath(`${lst?.workdir ?? '/'}/${v}`);
        return abs !== null && overlaps(abs, dir!);
      })) return no(`the COPY --from on line ${doc.lineOfNode(later)} reads from it`);
    }
  }
  return { target: dir, locked: false, eco: 'cargo' };
}

