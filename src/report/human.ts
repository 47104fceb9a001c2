import type { RunResult } from '../run.js';
import type { FileResult, LineChange, ReportedOutcome } from '../types.js';
import { twoFilesPatch } from '../diff.js';
import { locate } from './locate.js';
import { formatBaseChange, formatBytes, sumImpacts, type FileImpact } from '../impact.js';

export interface Colors { red(s: string): string; green(s: string): string; cyan(s: string): string; bold(s: string): string; dim(s: string): string; yellow(s: string): string }

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
export const ansi: Colors = { red: wrap(31, 39), green: wrap(32, 39), cyan: wrap(36, 39), bold: wrap(1, 22), dim: wrap(2, 22), yellow: wrap(33, 39) };
const id = (s: string) => s;
export const plain: Colors = { red: id, green: id, cyan: id, bold: id, dim: id, yellow: id };

/** Colour on a TTY; NO_COLOR turns it off and FORCE_COLOR on (https://no-color.org, https://force-color.org). */
export function useColor(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  return isTTY;
}

/**
 * A path as printed for people and patches: as it is, unless it holds a control character, a quote or a
 * backslash, which are C-quoted the way git quotes them (`"a\nb"`), so one name is one line.
 */
export function quotePath(p: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f"\\]/.test(p) ? JSON.stringify(p) : p;
}

/**
 * A unified diff with `a/` and `b/` paths, as `git apply` takes it. `changes` (the pipeline's, see
 * FileResult) makes it linear in the file's size; without them it is still bounded (src/diff.ts).
 */
export function unifiedDiff(file: string, before: string, after: string, changes?: readonly LineChange[]): string {
  if (before === after) return '';
  const strip = (s: string) => (s.startsWith('\uFEFF') ? s.slice(1) : s);
  const rel = file.replace(/^\/+/, '');
  return twoFilesPatch(quotePath(`a/${rel}`), quotePath(`b/${rel}`), strip(before), strip(after), changes);
}

export function colorDiff(d: string, c: Colors): string {
  return d.split('\n').map((l) => {
    if (l.startsWith('+++') || l.startsWith('---')) return c.bold(l);
    if (l.startsWith('@@')) return c.cyan(l);
    if (l.startsWith('+')) return c.green(l);
    if (l.startsWith('-')) return c.red(l);
    return l;
  }).join('\n');
}

/**
 * The labelled change list of one file: `  [build-only] merge-run:3 merged 2 RUN instructions`. Lines
 * are those of the file as it is on disk (mapped back through earlier transforms' edits), so every
 * outcome of a file uses the same numbering. `kinds` picks which outcomes to list.
 */
export function outcomeLines(f: FileResult, c: Colors, withRefusals: boolean, kinds?: ReadonlySet<string>): string[] {
  const lines = originalLines(f);
  const out: string[] = [];
  for (const o of f.outcomes) {
    if (kinds && !kinds.has(o.kind)) continue;
    const line = lines.get(o) ?? o.line;
    if (o.kind === 'rewrite') {
      const label = o.safety === 'runtime' ? c.yellow('[runtime]') : c.green('[build-only]');
      out.push(`  ${label} ${o.transform}:${line} ${o.message}`);
    } else if (withRefusals) {
      out.push(c.dim(`  [${o.kind === 'refuse' ? 'skipped' : o.kind === 'error' ? 'error' : 'note'}] ${o.transform}:${line} ${o.message}`));
    }
  }
  return out;
}

/** Each outcome's line in the original file (see locate); empty when the file's text is not at hand. */
export function originalLines(f: FileResult): Map<ReportedOutcome, number> {
  const m = new Map<ReportedOutcome, number>();
  if (f.before === '' || f.outcomes.length === 0) return m;
  try {
    for (const l of locate(f)) m.set(l.outcome, l.start.line);
  } catch { /* fall back to the lines the transforms reported */ }
  return m;
}

export function formatError(f: FileResult): string {
  const where = f.error?.line !== undefined ? `${quotePath(f.file)}:${f.error.line}` : quotePath(f.file);
  return `${where}: ${f.error?.message ?? 'failed'}${f.error?.hint ? ` (${f.error.hint})` : ''}`;
}

/**
 * The per-run summary: per transform applied/refused with its refusal reasons grouped and counted, then
 * the headline (see headline). Errors are not in it: they go to stderr (formatError).
 */
export function summaryText(r: RunResult, c: Colors, mode: { write: boolean }): string {
  return [...transformLines(r, c), headline(r, c, mode)].join('\n');
}

/** Refusal reasons shown per transform in the summary (the rest are counted; --verbose lists every site). */
const REASONS_SHOWN = 5;

/** Per transform: `  merge-run: 3 applied, 2 refused`, then its refusal reasons, most frequent first, with counts. */
export function transformLines(r: RunResult, c: Colors): string[] {
  const s = r.summary;
  const lines: string[] = [];
  for (const idn of Object.keys(s.transforms).sort()) {
    const t = s.transforms[idn]!;
    lines.push(`  ${idn}: ${t.applied} applied, ${t.refused} refused`);
    const reasons = new Map<string, number>();
    for (const f of r.files) for (const o of f.outcomes) {
      if (o.transform === idn && o.kind === 'refuse') {
        const key = o.message.replace(/^not merged with the RUN on line \d+: /, '').replace(/line \d+/g, 'line N');
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
    }
    const sorted = [...reasons].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [reason, n] of sorted.slice(0, REASONS_SHOWN)) lines.push(c.dim(`    ${n}× ${reason}`));
    if (sorted.length > REASONS_SHOWN) {
      const rest = sorted.slice(REASONS_SHOWN).reduce((a, [, n]) => a + n, 0);
      lines.push(c.dim(`    ${rest}× for ${sorted.length - REASONS_SHOWN} other reasons (--verbose lists every site)`));
    }
  }
  if (s.verify) {
    const v = s.verify;
    const b = v.buildOnly;
    lines.push(`verify: ${v.identical} identical, ${v.different} different, ${v.unverified} unverified; build-only changes: ${b.identical} identical, ${b.different} different, ${b.unverified} unverified${v.bugs ? c.red(` (${v.bugs} changed the image: a dockeropt bug)`) : ''}`);
  }
  const held = heldBackLine(r);
  if (held) lines.push(c.yellow(held));
  return lines;
}

/** The last line of a run: `250 files scanned: 12 would change, 230 unchanged, 3 ignored, 5 failed, 1 declined`. */
export function headline(r: RunResult, c: Colors, mode: { write: boolean }): string {
  const s = r.summary;
  const verb = mode.write ? 'written' : 'would change';
  return c.bold(`${s.scanned} file${s.scanned === 1 ? '' : 's'} scanned: ${mode.write ? s.written : s.changed} ${verb}, ${s.unchanged} unchanged${s.ignored ? `, ${s.ignored} ignored` : ''}, ${s.failed} failed${s.declined ? `, ${s.declined} declined` : ''}`);
}

/** The header of a file in the dry run: its name, before its changes and its diff. */
export function fileHeader(file: string, c: Colors): string {
  return c.bold(quotePath(file));
}

/** `--write`: the one line of a written file, `svc/Dockerfile: written (merge-run, cache-mounts)`. */
export function writtenLine(f: FileResult): string {
  const ids = [...new Set(f.outcomes.filter((o) => o.kind === 'rewrite').map((o) => o.transform))];
  return `${quotePath(f.file)}: written${ids.length ? ` (${ids.join(', ')})` : ''}`;
}

/** A file named on the command line that the configuration leaves out. */
export function ignoredLine(f: FileResult): string {
  return `${quotePath(f.file)}: ignored (${f.ignoredBy})`;
}

/**
 * The held-back line of the summary: `3 runtime changes not applied (non-root ×2, runner-stage ×1);
 * review them and pass --runtime`, or null when none was held back.
 */
export function heldBackLine(r: Pick<RunResult, 'summary'>): string | null {
  const held = Object.entries(r.summary.held ?? {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const total = held.reduce((n, [, k]) => n + k, 0);
  if (total === 0) return null;
  return `${total} runtime change${total === 1 ? '' : 's'} not applied (${held.map(([t, n]) => `${t} ×${n}`).join(', ')}); review ${total === 1 ? 'it' : 'them'} and pass --runtime`;
}

/**
 * The impact lines of the summary: per changed file the final stage's layers, the installs that no
 * longer re-run on a source change and the base images that changed (with sizes), then the batch sums.
 */
export function impactText(impacts: ReadonlyMap<string, FileImpact>, c: Colors, perFile = true): string {
  const lines: string[] = [];
  for (const [file, i] of impacts) {
    const parts: string[] = [];
    const { before, after } = i.layers.final;
    if (before !== after) parts.push(`final stage ${before} -> ${after} layers`);
    const stages = i.layers.after.filter((s) => {
      const old = i.layers.before.find((x) => x.stage === s.stage);
      return old && old.layers !== s.layers && s !== i.layers.after[i.layers.after.length - 1];
    }).map((s) => `${s.stage} ${i.layers.before.find((x) => x.stage === s.stage)!.layers} -> ${s.layers}`);
    if (stages.length) parts.push(`stages ${stages.join(', ')}`);
    for (const g of i.cache) parts.push(`line ${g.line} ${g.install} no longer re-runs on a source change (${g.behind === 'no-copy' ? 'before any COPY' : 'behind a manifest-only COPY'})`);
    for (const b of i.bases) parts.push(`base ${formatBaseChange(b)}`);
    if (parts.length) lines.push(`  ${file}: ${parts.join('; ')}`);
  }
  if (lines.length === 0) return '';
  const s = sumImpacts([...impacts.values()]);
  const total: string[] = [`final-stage layers ${s.finalLayers.before} -> ${s.finalLayers.after}`, `${s.cache} install${s.cache === 1 ? '' : 's'} no longer re-run on a source change`];
  if (s.baseBytes.changes) total.push(`base images ${formatBytes(s.baseBytes.before)} -> ${formatBytes(s.baseBytes.after)}`);
  return [c.bold(`impact: ${total.join(', ')}`), ...(perFile ? lines : [])].join('\n');
}

/** The `--ci-hint` lines: the layer cache only helps in CI where it survives between builds. */
export const CI_HINT = [
  'hint: CI builders start with an empty cache; keep it between builds, e.g.',
  '  docker buildx build --cache-from type=registry,ref=IMAGE:cache --cache-to type=registry,ref=IMAGE:cache,mode=max .',
  '  (GitHub Actions: --cache-from type=gha --cache-to type=gha,mode=max; older builders: --build-arg BUILDKIT_INLINE_CACHE=1 --cache-from IMAGE)',
].join('\n');
