/** System package managers (apt, apk, dnf/yum, zypper): the code the ecosystem table cannot say. */
import type { Instruction } from 'dockerfile-ast';
import type { DocView } from '../../src/document.js';
import type { SimpleCommand } from '../../src/shell.js';
import type { InstructionState } from '../../src/stages.js';
import { base, commandWordsOf, subcommand } from './detect.js';
import { refuse } from './resolve.js';
import type { ToolCmd } from './types.js';

export const DOCKER_CLEAN = '/etc/apt/apt.conf.d/docker-clean';
export const APT_KEEP_STEP = `rm -f ${DOCKER_CLEAN} && echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache && `;
export const APT_KEEP_WORDS: string[][] = [['rm', '-f', DOCKER_CLEAN], ['echo', 'Binary::apt::APT::Keep-Downloaded-Packages "true";']];

export function aptChecks(doc: DocView, ins: Instruction, st: InstructionState, all: SimpleCommand[], tools: ToolCmd[]): void {
  const apt = tools.filter((t) => t.eco === 'apt');
  const firstUpdate = apt.findIndex((t) => t.sub === 'update' || t.sc.words.includes('--update'));
  const firstInstall = apt.findIndex((t) => t.sub !== 'update');
  if (firstInstall !== -1 && (firstUpdate === -1 || firstUpdate > firstInstall)) {
    refuse(`${apt[firstInstall]!.tool} ${apt[firstInstall]!.sub} runs without ${apt[firstInstall]!.tool} update before it in the same RUN: with /var/lib/apt as a cache mount it would see the cached package lists (empty on a fresh builder) instead of the image's`);
  }
  if (firstInstall === -1) {
    refuse('the RUN only runs apt-get update: with /var/lib/apt as a cache mount its package lists would not be in the image for the RUNs that install');
  }
  void all;
  const idx = st.stage.instructions.indexOf(ins);
  for (const later of st.stage.instructions.slice(idx + 1)) {
    if (later.getKeyword() !== 'RUN') continue;
    const words = commandWordsOf(doc, later);
    let updated = false;
    for (const w of words) {
      const n = base(w[0]);
      if (n !== 'apt-get' && n !== 'apt') continue;
      const s = subcommand(w, 1, ['-o', '-c', '-t']).name;
      if (s === 'update' || w.includes('--update')) updated = true;
      else if (s && ['install', 'upgrade', 'dist-upgrade', 'full-upgrade', 'build-dep', 'reinstall'].includes(s) && !updated) {
        refuse(`the RUN on line ${doc.lineOfNode(later)} runs apt-get ${s} without apt-get update, relying on the package lists this RUN leaves in the image; with /var/lib/apt as a cache mount they would not be there`);
      }
    }
  }
}
