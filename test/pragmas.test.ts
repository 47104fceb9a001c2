/**
 * `# dockeropt ignore=<id>` and `# dockeropt ignore=all` stop every transform at every place it writes.
 *
 * For each rewrite snapshot of each transform (snapshots/<id>/<case>/ with an output), the transform runs
 * once on the input; every instruction one of its edits touches, or that an insertion sits directly above
 * (the CMD a USER goes before) or directly below (the last instruction a USER goes after), is an anchor;
 * for non-root also the FROM of the stage it edits (the "above the CMD, the last instruction or the
 * FROM"). For every anchor and both pragma forms, the pragma is written on its own line directly above the
 * anchor and the transform runs again (runtime changes applied, as `--runtime`). Then:
 * the anchor, with the pragma line above it, comes out byte-identical, with the same line above the pragma
 * and the same line after the anchor (nothing is inserted above the comment, between, or after). (A note
 * saying so is the transform's choice: cache-mounts skips a suppressed RUN silently.)
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Instruction } from 'dockerfile-ast';
import { DocView } from '../src/document.js';
import { prepareTransforms, resolveOptions, runPipeline, type PipelineOptions, type PipelineResult } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { transformById } from '../transforms/index.js';
import { loadCases, type Case } from './helpers/fixtures.js';
import { setupCase } from './helpers/case-services.js';

const test = suite('pragmas');

async function run(c: Case, input: string): Promise<PipelineResult> {
  const setup = await setupCase(c);
  try {
    const t = transformById(c.transform)!;
    const { runtime: _held, ...given } = (c.options ?? {}) as { runtime?: boolean };
    const options = resolveOptions([t], { [t.id]: { ...setup.options, ...given } });
    const opts: PipelineOptions = {
      transforms: [t],
      options,
      state: await prepareTransforms([t], options),
      file: `${c.transform}/${c.name}/input.Dockerfile`,
      buildContext: contextFs(setup.contextDir ?? c.contextDir),
      services: setup.services,
      runtime: true,
    };
    return await runPipeline(input, opts);
  } finally {
    await setup.cleanup();
  }
}

/** The instructions a rewrite's edits anchor to (see the module comment), by their first line. */
function anchorsOf(doc: DocView, result: PipelineResult, transform: string): Map<number, Instruction> {
  const all = doc.instructions();
  const out = new Map<number, Instruction>();
  const add = (i: Instruction | undefined) => { if (i) out.set(i.getRange().start.line, i); };
  const stages = doc.stages();
  for (const o of result.outcomes) {
    if (o.kind !== 'rewrite' || (o.step ?? 0) !== 0) continue;
    for (const e of o.edits ?? []) {
      for (const i of all) {
        const s = doc.span(i);
        const line = doc.lineSpan(i);
        // an edit inside or over the instruction
        if (e.start < s.end && e.end > s.start) add(i);
        if (e.start === e.end && e.start > s.start && e.start <= s.end) add(i);
        // an insertion directly above it (only blank or comment lines between) or directly after it
        // (a parser directive inserted at the top of the file goes above every instruction: it is not this one's)
        const directive = e.start === 0 && /^#[ \t]*(syntax|escape|check)[ \t]*=/i.test(e.text);
        // (whole lines: the insertion starts a line, or ends the file that has no final newline)
        const atLineStart = e.start === 0 || doc.text[e.start - 1] === '\n';
        if (!directive && atLineStart && e.start <= line.start && /^([ \t]*(#[^\n]*)?\r?\n)*$/.test(doc.text.slice(e.end, line.start))) add(i);
        if (e.start === e.end && (e.start === line.end || (e.start === s.end && e.start === doc.text.length)) && line.end > s.start) add(i);
      }
      if (transform === 'non-root') add(stages.filter((st) => doc.span(st.from).start <= e.start).pop()?.from);
    }
  }
  // only the nearest instruction above an insertion counts, not every one before it
  return out;
}

const cases = loadCases().filter((c) => c.transform !== 'pipeline' && c.output !== null);
const tested = new Map<string, number>();

for (const c of cases) {
  test(`${c.transform}/${c.name}: the pragma stops the transform at every place it writes`, async () => {
    const base = await run(c, c.input);
    if (base.text === c.input) return; // held back or nothing applied with these options
    const doc = new DocView(c.input);
    const anchors = anchorsOf(doc, base, c.transform);
    assert.ok(anchors.size > 0, 'no instruction anchors the rewrite');
    const eol = doc.eol;
    for (const [line, ins] of anchors) {
      for (const id of [c.transform, 'all']) {
        const pragma = `# dockeropt ignore=${id}`;
        const at = doc.lineStart(line);
        const input = c.input.slice(0, at) + pragma + eol + c.input.slice(at);
        const r = await run(c, input);
        const prev = line > 0 ? doc.lineText(line - 1) : null;
        const end = doc.lineSpan(ins).end;
        const anchorText = c.input.slice(at, end);
        const nextLine = end < c.input.length ? c.input.slice(end, c.input.indexOf('\n', end) === -1 ? c.input.length : c.input.indexOf('\n', end) + 1) : '';
        // the next line may be another site the transform rightly changes: only its first word must follow
        const nextHead = /^\S*/.exec(nextLine)![0];
        // so may the line above: the line above the pragma must still start with its first word
        const prevHead = prev === null ? null : /^\s*\S*/.exec(prev)![0];
        const site = pragma + eol + anchorText + nextHead;
        const found = r.text.indexOf(site);
        const above = found <= 0 ? '' : r.text.slice(r.text.lastIndexOf('\n', found - 2) + 1, found);
        const where = `line ${line + 1} (${ins.getKeyword()}), ${pragma}`;
        assert.ok(found !== -1 && (nextLine !== '' || r.text.endsWith(site)), `~> ${where}: the anchor, the pragma above it or the line after it changed:\n${r.text}`);
        if (prevHead === null) assert.ok(r.text.startsWith(pragma), `~> ${where}: text was inserted above the pragma at the top of the file`);
        // (or another line of the input: an instruction moved away from above it, as hoist-system-deps may)
        else assert.ok(above.startsWith(prevHead) || input.split(/(?<=\n)/).includes(above), `~> ${where}: a line was inserted above the pragma (${JSON.stringify(above)}):\n${r.text}`);
        tested.set(c.transform, (tested.get(c.transform) ?? 0) + 1);
      }
    }
  });
}

test('every transform with rewrite snapshots had its pragma tested', () => {
  for (const id of new Set(cases.map((c) => c.transform))) assert.ok((tested.get(id) ?? 0) > 0, `${id}: no pragma position was tested`);
});

test.run();
