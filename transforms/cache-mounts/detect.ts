/**
 * Finding package-manager commands, from the ecosystem table: which ecosystem a command's words run (also
 * for CMD and later RUNs), and which commands empty a whole cache (`apt-get clean`, `npm cache clean --force`, …).
 */
import { nodeType, type SimpleCommand } from '../../src/shell.js';
import { ECOSYSTEMS, type Cleanup, type Command, type Ecosystem } from './ecosystems.js';
import type { Eco, ToolCmd } from './types.js';
import { base, subcommand } from './words.js';

/** python, python3, python3.12 */
const isPythonName = (n: string) => /^python(\d+(\.\d+)?)?$/.test(n);

type Found = { eco: Eco; cmd: Command };
const byName = new Map<string, Found>();
const byPattern: (Found & { re: RegExp })[] = [];
for (const [eco, e] of Object.entries(ECOSYSTEMS) as [Eco, Ecosystem][]) {
  for (const cmd of e.commands) {
    if (cmd.names instanceof RegExp) byPattern.push({ eco, cmd, re: cmd.names });
    else for (const n of cmd.names) byName.set(n, { eco, cmd });
  }
}

/** The table's command of that name, with its ecosystem. */
function commandNamed(name: string): Found | null {
  return byName.get(name) ?? byPattern.find((p) => p.re.test(name)) ?? null;
}

/** The package-manager command a simple command runs, or null. */
export function detect(sc: SimpleCommand): ToolCmd | null {
  if (nodeType(sc.call) !== 'CallExpr') return null;
  const d = detectWords(sc.words);
  return d ? { ...d, sc } : null;
}

/** Which package manager a command's words run, without the syntax tree (also for CMD and later RUNs). */
export function detectWords(w: readonly (string | null)[]): Omit<ToolCmd, 'sc'> | null {
  let at = 0;
  let tool = base(w[0]);
  if (tool === null) return null;
  if (isPythonName(tool) && w[1] === '-m' && w[2] && commandNamed(w[2])?.cmd.pythonModule) {
    at = 2;
    tool = w[2];
  }
  const found = commandNamed(tool);
  if (!found) return null;
  const { eco, cmd } = found;
  if (cmd.downloads === 'any') return { eco, tool, at, sub: null };
  const s = subcommand(w, at + 1, cmd.optsWithValue ?? []).name;
  if (s === null) {
    if (cmd.bare === undefined) return null;
    if (cmd.bare === 'literal' && w.length > at + 1 && w.slice(at + 1).some((x) => x === null)) return null;
    return { eco, tool, at, sub: s };
  }
  return cmd.downloads.includes(s) ? { eco, tool, at, sub: s } : null;
}

/** The ecosystem whose whole cache this command empties (`apt-get clean`, `npm cache clean --force`, …). */
export function cleanupEco(w: (string | null)[]): Eco | null {
  let tool = base(w[0]);
  let at = 0;
  if (tool && isPythonName(tool) && w[1] === '-m' && w[2]) { tool = w[2]; at = 2; }
  if (!tool) return null;
  const found = commandNamed(tool);
  return found && (found.cmd.cleanups ?? []).some((c) => cleans(c, w, at)) ? found.eco : null;
}

function cleans(c: Cleanup, w: (string | null)[], at: number): boolean {
  if ('sub' in c) {
    if (c.literal && !w.slice(at + 1).every((x) => x !== null)) return false;
    const s = subcommand(w, at + 1).name;
    return s !== null && c.sub.includes(s);
  }
  const args = c.args.split(' ').map((a) => a.split('|'));
  if (!args.every((alts, k) => alts.includes(w[at + 1 + k] ?? ''))) return false;
  const more = w.slice(at + 1 + args.length);
  if (c.only && !(more.length > 0 && more.every((x) => c.only!.includes(x ?? '')))) return false;
  if (c.has !== undefined && !w.slice(at + 1).includes(c.has)) return false;
  return true;
}

/** Package-manager command names that make an exec-form RUN a refusal rather than nothing to do. */
const EXEC_FORM_TOOLS = new Set([
  'apt-get', 'apt', 'apk', 'dnf', 'dnf5', 'yum', 'microdnf', 'zypper', 'pip', 'pip3', 'poetry', 'uv', 'pipenv',
  'npm', 'yarn', 'pnpm', 'bun', 'go', 'mvn', 'mvnw', 'gradle', 'gradlew', 'cargo', 'bundle', 'composer', 'dotnet', 'nuget',
]);

/** Does an exec-form RUN (`RUN ["pip", …]`, `RUN ["sh", "-c", "npm ci"]`) run a package manager? */
export function execFormRunsTool(arr: string[]): boolean {
  return EXEC_FORM_TOOLS.has(base(arr[0]) ?? '') || arr.slice(0, 3).some((a) => /\b(apt-get|apk|pip3?|npm|yarn|pnpm|go|mvn|gradle|cargo|bundle|composer|dotnet|dnf|yum|zypper|poetry|uv|pipenv|bun)\b/.test(a) && arr.length <= 3);
}
