/**
 * System package managers (apt, apk, dnf/yum/microdnf, zypper): the code the ecosystem table cannot say.
 *
 * - apt: Debian's and Ubuntu's images ship /etc/apt/apt.conf.d/docker-clean, which deletes downloaded packages after
 *   every dpkg run; the commands that download packages get `-o Dir::Cache::Archives=/var/cache/apt/kept/` after the subcommand (a
 *   directory inside the mount that the hook does not touch) and, for `apt`, `-o APT::Keep-Downloaded-Packages=true`.
 *   No file of the image changes. Only /var/cache/apt is mounted: the package lists (/var/lib/apt/lists) and
 *   apt's auto-installed marks (/var/lib/apt/extended_states) stay in the image as the original leaves them.
 * - apk: `--no-cache` becomes `--update-cache` (without --no-cache apk needs a fresh index).
 * - dnf/yum: packages are kept only with keepcache, so `--setopt=keepcache=1` is added to the command.
 */
import type { Instruction } from 'dockerfile-ast';
import { perDoc } from '../../src/document.js';
import type { Resolver } from './resolve.js';
import { refuse, type CommandEdits, type EcoContext, type ToolCmd } from './types.js';
import { base, commandWordsOf, inside, subcommand } from './words.js';

export const DOCKER_CLEAN = '/etc/apt/apt.conf.d/docker-clean';
/** Where the rewritten apt commands download packages: inside the /var/cache/apt mount, out of reach of docker-clean's `rm`. */
export const APT_ARCHIVES = '/var/cache/apt/kept/';
const ARCHIVES_OPT = `Dir::Cache::Archives=${APT_ARCHIVES}`;
const KEEP_OPT = 'APT::Keep-Downloaded-Packages=true';

/** Does a command remove docker-clean (the BuildKit recipe, done by hand)? */
const removesDockerClean = (words: readonly (string | null)[]) => base(words[0]) === 'rm' && words.includes(DOCKER_CLEAN);
/** Does a RUN remove docker-clean (kept per instruction: every apt RUN asks it of every RUN before it)? */
const runRemovesDockerClean = (doc: EcoContext['doc'], ins: Instruction): boolean => {
  let v = removesByIns.get(ins);
  if (v === undefined) { v = commandWordsOf(doc, ins).some(removesDockerClean); removesByIns.set(ins, v); }
  return v;
};
const removesByIns = new WeakMap<Instruction, boolean>();
/** Does any RUN of the file remove docker-clean (kept per parsed file; almost never, and then no RUN before does)? */
const fileRemovesDockerClean = perDoc((doc, _: null) => doc.instructions().some((i) => i.getKeyword() === 'RUN' && runRemovesDockerClean(doc, i)));

/**
 * apt: the options that make it keep downloaded packages, for this command only (no file of the image changes).
 * Debian's and Ubuntu's images ship docker-clean, a DPkg::Post-Invoke hook that deletes
 * /var/cache/apt/archives/*.deb after every dpkg run: `-o Dir::Cache::Archives=/var/cache/apt/kept/` downloads
 * into a directory the hook does not touch (inside the mount; apt creates it and its partial/). The `apt`
 * binary deletes packages after a successful install unless `APT::Keep-Downloaded-Packages` is true.
 * Nothing is added when the RUN, or an earlier one of the image, removes docker-clean itself.
 */
export function aptEdit(t: ToolCmd, e: CommandEdits, r: Resolver, ec: EcoContext): void {
  const words = t.sc.words;
  const has = (opt: string) => words.some((w, i) => w === `-o${opt}` || w === `--option=${opt}` || (w === opt && ['-o', '--option'].includes(words[i - 1] ?? '')));
  const byHand = ec.allCmds.some((c) => removesDockerClean(c.words)) || (fileRemovesDockerClean(ec.doc, null) && ec.before.some((b) => b.getKeyword() === 'RUN' && runRemovesDockerClean(ec.doc, b)));
  // only into a mount: with a mount of the user's at e.g. /var/cache/apt/archives the directory would be in the image
  if (byHand || !(ec.covered ?? []).some((c) => inside(APT_ARCHIVES.slice(0, -1), c))) return;
  const add: string[] = [];
  // one word each (`-oName=value`, as apt accepts it), so that readers that skip options do not take the value for a package
  if (!has(ARCHIVES_OPT)) add.push(`-o${ARCHIVES_OPT}`);
  if (t.tool === 'apt' && !has(KEEP_OPT)) add.push(`-o${KEEP_OPT}`);
  if (add.length === 0) return;
  // after the subcommand (`apt-get install -o … -y pkg`), where apt reads options too and where other readers of the
  // command (hoist-system-deps, runner-stage) still find the subcommand first
  const sub = subcommand(words, t.at + 1, ['-o', '-c', '-t', '--option', '--config-file', '--target-release']).index;
  e.insertAfter(sub, add.join(' '));
  e.note(`${t.tool} ${t.sub} downloads into ${APT_ARCHIVES} (${add.join(' ')}), out of reach of the docker-clean hook; no apt configuration of the image changes`);
}

/** apt options that move its cache or its configuration: the mount would not be where apt downloads. */
export function aptCheck(t: ToolCmd): void {
  const w = t.sc.words;
  for (let i = t.at + 1; i < w.length; i++) {
    const x = w[i];
    if (x === null || x === undefined) continue;
    if (x === '-c' || x.startsWith('--config-file') || (x.startsWith('-c') && x.length > 2 && !x.startsWith('--'))) refuse(`${t.tool} is given a configuration file (${x}), which can move its cache`);
    const opt = x === '-o' || x === '--option' ? w[i + 1] ?? '' : x.startsWith('-o') ? x.slice(2) : x.startsWith('--option=') ? x.slice(9) : null;
    if (opt === null) continue;
    if (/^Dir(::|=)/i.test(opt) && opt !== ARCHIVES_OPT) refuse(`${t.tool} is given -o ${opt}, which moves its directories`);
  }
}

/** apk: `--no-cache` is dropped when the command updates the index anyway, else it becomes `--update-cache`. */
export function apkEdit(t: ToolCmd, e: CommandEdits): void {
  const hasUpdate = t.sc.words.some((w) => w === '-U' || w === '--update-cache' || w === '--update');
  for (let i = t.at + 1; i < t.sc.words.length; i++) {
    if (t.sc.words[i] !== '--no-cache') continue;
    if (hasUpdate) { e.removeWord(i, '--no-cache'); e.note('removes --no-cache'); }
    else { e.replaceWord(i, '--update-cache'); e.note('replaced --no-cache with --update-cache'); }
  }
}

/** dnf/yum/microdnf keep downloaded packages only with keepcache: `--setopt=keepcache=1` goes on the command. */
export function dnfEdit(t: ToolCmd, e: CommandEdits): void {
  if (t.sc.words.some((w) => w !== null && /^--setopt=keepcache=(1|true|True|yes)$/.test(w))) return;
  if (t.sc.words.some((w) => w !== null && /^--setopt=keepcache=/.test(w))) refuse(`${t.tool} is given --setopt=keepcache=0, which deletes downloaded packages`);
  e.insertAfter(t.at, '--setopt=keepcache=1');
  e.note(`adds --setopt=keepcache=1 to ${t.tool}`);
}
