/**
 * System package managers (apt, apk, dnf/yum/microdnf, zypper): the code the ecosystem table cannot say.
 *
 * - apt: Debian/Ubuntu images ship /etc/apt/apt.conf.d/docker-clean, which deletes downloaded packages after
 *   every install; the rewrite removes it once per image and tells apt to keep packages (BuildKit's Dockerfile
 *   reference, "Example: cache apt packages"). The package lists live in the /var/lib/apt mount, so an install
 *   must follow an `apt-get update` in the same RUN.
 * - apk: `--no-cache` becomes `--update-cache` (without --no-cache apk needs a fresh index).
 * - dnf/yum: packages are kept only with keepcache, so `--setopt=keepcache=1` is added to the command.
 */
import type { Instruction } from 'dockerfile-ast';
import type { DocView } from '../../src/document.js';
import type { SimpleCommand } from '../../src/shell.js';
import type { InstructionState } from '../../src/stages.js';
import { refuse, type CommandEdits, type ToolCmd } from './types.js';
import { base, commandWordsOf, subcommand } from './words.js';

export const DOCKER_CLEAN = '/etc/apt/apt.conf.d/docker-clean';
const APT_KEEP_STEP = `rm -f ${DOCKER_CLEAN} && echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache && `;
/** The commands of the keep-packages step, for the re-parse check. */
export const APT_KEEP_WORDS: string[][] = [['rm', '-f', DOCKER_CLEAN], ['echo', 'Binary::apt::APT::Keep-Downloaded-Packages "true";']];

/** apt-get install needs apt-get update before it in the same RUN, and later RUNs must not rely on this RUN's lists. */
export function aptChecks(doc: DocView, ins: Instruction, st: InstructionState, tools: ToolCmd[]): void {
  const apt = tools.filter((t) => t.eco === 'apt');
  const firstUpdate = apt.findIndex((t) => t.sub === 'update' || t.sc.words.includes('--update'));
  const firstInstall = apt.findIndex((t) => t.sub !== 'update');
  if (firstInstall !== -1 && (firstUpdate === -1 || firstUpdate > firstInstall)) {
    refuse(`${apt[firstInstall]!.tool} ${apt[firstInstall]!.sub} runs without ${apt[firstInstall]!.tool} update before it in the same RUN: with /var/lib/apt as a cache mount it would see the cached package lists (empty on a fresh builder) instead of the image's`);
  }
  if (firstInstall === -1) {
    refuse('the RUN only runs apt-get update: with /var/lib/apt as a cache mount its package lists would not be in the image for the RUNs that install');
  }
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

/** Whether the RUN needs the keep-packages step: not when it, or an earlier RUN of the image, already removes docker-clean. */
export function aptKeepNeeded(doc: DocView, all: SimpleCommand[], before: Instruction[], aptKept: Set<Instruction>): boolean {
  const removesDockerClean = (words: (string | null)[]) => base(words[0]) === 'rm' && words.includes(DOCKER_CLEAN);
  // an earlier RUN of the image already did it (in the file, or in this pass's rewrites)
  const done = all.some((c) => removesDockerClean(c.words)) || before.some((b) => aptKept.has(b) || (b.getKeyword() === 'RUN' && commandWordsOf(doc, b).some(removesDockerClean)));
  return !done;
}

/** The keep-packages step as inserted in front of the RUN's commands, `sep` being what separates the new mount flags. */
export function aptKeepStep(doc: DocView, ins: Instruction, multiline: boolean, sep: string): string {
  const r = ins.getRange();
  // follow the RUN's own chaining style: `&& cmd` at the start of continuation lines, or `cmd && \` at their end
  const leading = multiline && Array.from({ length: r.end.line - r.start.line }, (_, k) => doc.lineText(r.start.line + 1 + k).trimStart()).some((t) => t.startsWith('&&'));
  return !multiline ? APT_KEEP_STEP : leading ? APT_KEEP_STEP.replace(/ && /g, `${sep}&& `) : APT_KEEP_STEP.trimEnd() + sep;
}

/** apk: `--no-cache` is dropped when the command updates the index anyway, else it becomes `--update-cache`. */
export function apkEdit(t: ToolCmd, e: CommandEdits): void {
  const hasUpdate = t.sc.words.some((w) => w === '-U' || w === '--update-cache' || w === '--update');
  for (let i = t.at + 1; i < t.sc.words.length; i++) {
    if (t.sc.words[i] !== '--no-cache') continue;
    if (hasUpdate) { e.removeWord(i, '--no-cache'); e.note('removed --no-cache'); }
    else { e.replaceWord(i, '--update-cache'); e.note('replaced --no-cache with --update-cache'); }
  }
}

/** dnf/yum/microdnf keep downloaded packages only with keepcache: `--setopt=keepcache=1` goes on the command. */
export function dnfEdit(t: ToolCmd, e: CommandEdits): void {
  if (t.sc.words.some((w) => w !== null && /^--setopt=keepcache=(1|true|True|yes)$/.test(w))) return;
  if (t.sc.words.some((w) => w !== null && /^--setopt=keepcache=/.test(w))) refuse(`${t.tool} is given --setopt=keepcache=0, which deletes downloaded packages`);
  e.insertAfter(t.at, '--setopt=keepcache=1');
  e.note(`added --setopt=keepcache=1 to ${t.tool}`);
}
