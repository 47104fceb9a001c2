/**
 * `--interactive`: review the changes before anything is written. For each changed file (or, with
 * `--per-change`, each logical change) the diff is shown with the transform id, its label and message,
 * and the answer decides: [y]es, [n]o, [a]ll of the transforms the question names (this and every later
 * change of them, without asking again), [q]uit, or [?] to list the choices (stop asking; what was accepted so far is still written). Only accepted
 * changes are written, atomically. Answers are read line by line, so a pipe works as well as a terminal;
 * the end of the input counts as quit.
 *
 * Runtime changes (a new base image, another user) are offered too, whether or not `--runtime` is given,
 * each marked `[runtime]` with a line saying that what runs changes: the review is the opt-in.
 *
 * Per change, the transforms are decided one at a time in pipeline order: transform N runs on the text
 * that results from the changes accepted from transforms 1..N-1, exactly as the pipeline would run it,
 * so a rejected change never leaves a later transform's edits pointing at text that is not there.
 */
import { createInterface } from 'node:readline';
import { dirname } from 'node:path';
import { contextFs } from './context-fs.js';
import { BOM } from './document.js';
import { applyEdits, sortEdits, type Edit } from './edits.js';
import { MAX_PASSES, runPipeline } from './pipeline.js';
import { DECLINED, describeError, processFile, readDockerfile, summarize, WriteBatch, type Plan, type RunOptions, type RunResult } from './run.js';
import { colorDiff, outcomeLines, plain, unifiedDiff, type Colors } from './report/human.js';
import type { FileResult, ReportedOutcome } from './types.js';

export type Answer = 'yes' | 'no' | 'all' | 'quit';

/** Asks one question; resolves to the answer line, or null at the end of the input. */
export interface Prompter {
  ask(question: string): Promise<string | null>;
  close(): void;
}

/** Reads answers line by line from a stream (a terminal or a pipe). */
export function linePrompter(input: NodeJS.ReadableStream, output: { write(s: string): unknown }, echo: boolean): Prompter {
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async ask(question) {
      output.write(question);
      const next = await lines.next();
      if (next.done) { output.write('\n'); return null; }
      if (echo) output.write(`${next.value}\n`);
      return next.value as string;
    },
    close: () => rl.close(),
  };
}

/** Shown under a runtime change in the review. */
export const RUNTIME_WARNING = '  [runtime] what the image runs changes (base image or user): test the image before shipping it';

/** The question, naming the transforms that [a]ll accepts from here on. */
const question = (ids: readonly string[]) => `[y]es / [n]o / [a]ll of ${ids.join(', ')} / [q]uit / [?] help? `;

/** What `?` prints: each choice spelled out. */
const choices = (ids: readonly string[]) => [
  '  y  yes: accept this change',
  '  n  no: leave it out (it is counted as declined)',
  `  a  all: accept this and every later change of ${ids.join(', ')}, without asking again`,
  '  q  quit: stop asking; what was accepted so far is written, the rest is not',
  '  ?  this help',
].join('\n') + '\n';

/** Parses an answer: y/yes, n/no, a/all, q/quit (any case); anything else is asked again. */
export function parseAnswer(s: string): Answer | null {
  const a = s.trim().toLowerCase();
  if (a === 'y' || a === 'yes') return 'yes';
  if (a === 'n' || a === 'no') return 'no';
  if (a === 'a' || a === 'all') return 'all';
  if (a === 'q' || a === 'quit') return 'quit';
  return null;
}

export interface ReviewOptions {
  perChange: boolean;
  prompter: Prompter;
  /** Where the diffs and questions go. */
  out: { write(s: string): unknown };
  colors?: Colors;
  /** Progress/decision notes per file (e.g. for --debug); optional. */
  onFile?: (result: FileResult) => void;
}

/**
 * Reviews every planned file in order and writes what was accepted. Returns the run result: `written`
 * marks the files written; declined changes are still listed as `changed` with their outcomes.
 */
export async function review(plan: Plan, run: RunOptions, o: ReviewOptions): Promise<RunResult> {
  const c = o.colors ?? plain;
  const results: FileResult[] = [...plan.problems];
  const acceptAll = new Set<string>();
  let quit = false;
  const ask = async (ids: readonly string[]): Promise<Answer> => {
    for (;;) {
      const line = await o.prompter.ask(question(ids));
      if (line === null) return 'quit';
      const a = parseAnswer(line);
      if (a) return a;
      if (line.trim() === '?' || line.trim().toLowerCase() === 'h' || line.trim().toLowerCase() === 'help') o.out.write(choices(ids));
      else o.out.write('Please answer y, n, a or q (? for help).\n');
    }
  };

  const changed = plan.files.length;
  let index = 0;
  let anyWritten = false;
  const batch = new WriteBatch(plan, run.writeFs, true);
  for (const f of plan.files) {
    index++;
    const p = f.profile;
    const fileOpts = { ...run, write: false, transforms: p.transforms, options: p.options, runtime: true, safeOnly: false, state: p.state };
    if (quit) {
      // not reviewed: reported as it stands, never written
      results.push(await processFile(f.path, f.display, fileOpts));
      continue;
    }
    if (!o.perChange) {
      const r = await processFile(f.path, f.display, fileOpts);
      results.push(r);
      if (r.status !== 'changed') continue;
      const ids = [...new Set(r.outcomes.filter((x) => x.kind === 'rewrite').map((x) => x.transform))];
      let answer: Answer;
      if (ids.every((idn) => acceptAll.has(idn))) {
        answer = 'yes';
        o.out.write(`${f.display}: accepted (all of ${ids.join(', ')})\n`);
      } else {
        o.out.write(`\n${c.bold(`${f.display}`)} (${index}/${changed})\n`);
        o.out.write(outcomeLines(r, c, false).join('\n') + '\n');
        if (r.outcomes.some((x) => x.kind === 'rewrite' && x.safety === 'runtime')) o.out.write(c.yellow(RUNTIME_WARNING) + '\n');
        o.out.write(colorDiff(unifiedDiff(r.file, r.before, r.after, r.changes), c));
        answer = await ask(ids);
      }
      if (answer === 'quit') { quit = true; continue; }
      if (answer === 'all') for (const idn of ids) acceptAll.add(idn);
      if (answer === 'no') { r.outcomes = r.outcomes.map((x) => (x.kind === 'rewrite' ? declined(x) : x)); continue; }
      await batch.commit(r, f.path, Buffer.from(r.before, 'utf8'), r.after);
      anyWritten ||= Boolean(r.written);
      o.onFile?.(r);
      continue;
    }

    // per change: one transform at a time, in pipeline order
    let before: string;
    try {
      before = (await readDockerfile(f.path, f.display)).text;
    } catch (e) {
      results.push({ file: f.display, status: 'error', before: '', after: '', outcomes: [], error: describeError(e) });
      continue;
    }
    const hasBom = before.startsWith(BOM);
    let text = hasBom ? before.slice(1) : before;
    const outcomes: ReportedOutcome[] = [];
    const buildContext = run.contextFor ? run.contextFor(f.path) : contextFs(dirname(f.path));
    let ignored = false;
    let failed: FileResult | null = null;
    let shownHeader = false;
    // passes repeat while accepted changes open new ones, as in the pipeline (src/pipeline.ts MAX_PASSES);
    // a change declined once is not asked again in a later pass
    const declinedKeys = new Set<string>();
    for (let pass = 1; pass <= MAX_PASSES && !quit && !failed && !ignored; pass++) {
    const passStart = text;
    for (const t of p.transforms) {
      if (quit) break;
      let res;
      try {
        res = await runPipeline(text, {
          transforms: [t], options: p.options, file: f.display, buildContext, state: p.state,
          ...(run.services ? { services: run.services } : {}), runtime: true,
        });
      } catch (e) {
        failed = { file: f.display, status: 'error', before, after: before, outcomes: [], error: describeError(e) };
        break;
      }
      if (res.ignored) { ignored = true; break; }
      const accepted: Edit[] = [];
      // only this transform's first application: its edits are offsets into `text`
      for (const out of res.outcomes.filter((x) => (x.step ?? 0) === 0)) {
        if (out.kind !== 'rewrite') { if (pass === 1) outcomes.push(out); continue; }
        const key = changeKey(text, out);
        if (pass > 1 && declinedKeys.has(key)) continue;
        if (quit) { outcomes.push(declined(out)); continue; }
        let answer: Answer;
        if (acceptAll.has(t.id)) {
          answer = 'yes';
          o.out.write(`${f.display}:${out.line}: accepted (all of ${t.id}) ${out.message}\n`);
        } else {
          if (!shownHeader) { o.out.write(`\n${c.bold(f.display)} (${index}/${changed})\n`); shownHeader = true; }
          o.out.write(outcomeLines({ file: f.display, status: 'changed', before: '', after: '', outcomes: [out] }, c, false).join('\n') + '\n');
          if (out.safety === 'runtime') o.out.write(c.yellow(RUNTIME_WARNING) + '\n');
          const proposed = applyEdits(text, out.edits ?? []);
          o.out.write(colorDiff(unifiedDiff(f.display, text, proposed), c));
          answer = await ask([t.id]);
        }
        if (answer === 'quit') { quit = true; outcomes.push(declined(out)); continue; }
        if (answer === 'no') { declinedKeys.add(key); outcomes.push(declined(out)); continue; }
        if (answer === 'all') acceptAll.add(t.id);
        accepted.push(...(out.edits ?? []));
        outcomes.push(out);
      }
      if (accepted.length) text = applyEdits(text, sortEdits(accepted));
    }
    if (text === passStart) break;
    }
    if (failed) { results.push(failed); continue; }
    const after = (hasBom ? BOM : '') + text;
    const r: FileResult = { file: f.display, status: ignored ? 'ignored' : after !== before ? 'changed' : 'unchanged', before, after, outcomes };
    if (r.status === 'unchanged' && outcomes.some((x) => x.kind === 'note' && x.message.startsWith('declined'))) r.status = 'changed';
    if (after !== before) {
      await batch.commit(r, f.path, Buffer.from(r.before, 'utf8'), after);
      anyWritten ||= Boolean(r.written);
    }
    results.push(r);
    o.onFile?.(r);
  }
  o.prompter.close();
  results.push(...await batch.finish(anyWritten));
  results.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { files: results, summary: summarize(results) };
}

/** Identifies a proposed change independently of offsets: transform, message, replaced and inserted text. */
function changeKey(text: string, o: ReportedOutcome): string {
  return [o.transform, o.message.replace(/\d+/g, 'N'), ...(o.edits ?? []).map((e) => `${text.slice(e.start, e.end)}\u0000${e.text}`)].join('\u0001');
}

/** A rewrite the reviewer said no to: kept in the report as a note, never applied. */
function declined(o: ReportedOutcome): ReportedOutcome {
  return { transform: o.transform, kind: 'note', line: o.line, message: `${DECLINED}${o.message}`, ...(o.safety ? { safety: o.safety } : {}) };
}


