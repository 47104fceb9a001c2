/**
 * The linear unified diff (src/diff.ts) against the `diff` library's own createTwoFilesPatch: the same
 * bytes for every snapshot case (built from the pipeline's recorded changes, and without them), for
 * generated multi-hunk files (CRLF, no final newline, BOM, edits on the first and last lines), and for
 * random edits; a valid patch, in bounded time, where the library's search would be quadratic.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyPatch, createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { diffLinesOf, diffParts, hunksOf, twoFilesPatch } from '../src/diff.js';
import { clipChanges, composeChanges, editLineChanges, lineCount } from '../src/line-changes.js';
import { applyEdits, sortEdits, type Edit } from '../src/edits.js';
import { prepareTransforms, resolveOptions, runPipeline } from '../src/pipeline.js';
import { selectTransforms } from '../transforms/index.js';
import { unifiedDiff } from '../src/report/human.js';
import { filePatch } from '../src/patch.js';
import { textEdits } from '../src/lsp/actions.js';
import { loadCases, toCrlf } from './helpers/fixtures.js';
import { runSnapshotCase } from './helpers/case-services.js';
import type { LineChange } from '../src/types.js';

const d = suite('diff');
const library = (a: string, b: string, oldName = 'a/x', newName = 'b/x') =>
  createTwoFilesPatch(oldName, newName, a, b, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
const strip = (s: string) => (s.startsWith('\uFEFF') ? s.slice(1) : s);

/** The snapshot case's pipeline run (the one test/snapshots.test.ts checks): the output text and its recorded changes. */
const runCase = runSnapshotCase;

const cases = loadCases().filter((c) => c.output !== null);
d('every snapshot case: input vs output, the library\'s bytes with and without the recorded changes (and in CRLF)', async () => {
  assert.ok(cases.length > 50, `only ${cases.length} snapshot cases with an output`);
  for (const c of cases) {
    const label = `${c.transform}/${c.name}`;
    const r = await runCase(c, c.input);
    assert.is(r.text, c.output, `${label}: the pipeline's output is the snapshot's`);
    assert.ok(r.changes.length > 0, `${label}: a changed file records its changes`);
    const want = library(c.input, c.output!);
    assert.is(twoFilesPatch('a/x', 'b/x', c.input, c.output!, r.changes), want, `${label}: with changes`);
    assert.is(twoFilesPatch('a/x', 'b/x', c.input, c.output!), want, `${label}: without changes`);
    if (!c.input.includes('\r')) {
      const a = toCrlf(c.input), b = toCrlf(c.output!);
      assert.is(twoFilesPatch('a/x', 'b/x', a, b, r.changes), library(a, b), `${label}: crlf`);
    }
  }
});

/** A file of `stages` stages, each with work for several transforms, so its diff has many hunks. */
function multiHunk(stages: number): string {
  let t = '';
  for (let i = 0; i < stages; i++) {
    t += `FROM debian:12 AS s${i}\nENV V${i}=x\nCOPY a${i} /srv/a${i}\nRUN apt-get update && apt-get install -y curl\nRUN echo ${i}\nRUN echo done ${i}\n`;
    t += `# a comment ${i}\nWORKDIR /srv\nLABEL n=${i}\nEXPOSE ${8000 + i}\nLABEL a=${i}\nLABEL b=${i}\nLABEL c=${i}\nLABEL d=${i}\n`;
    if (i % 3 === 0) t += `RUN pip install flask\nRUN npm ci\n`;
  }
  return t + 'RUN echo last\nRUN echo very last\n';
}

const variants: [string, (s: string) => string][] = [
  ['LF', (s) => s],
  ['CRLF', toCrlf],
  ['no final newline', (s) => s.slice(0, -1)],
  ['CRLF, no final newline', (s) => toCrlf(s).slice(0, -2)],
  ['BOM', (s) => '\uFEFF' + s],
  ['BOM, CRLF, no final newline', (s) => '\uFEFF' + toCrlf(s).slice(0, -2)],
];
for (const [name, make] of variants) {
  d(`generated multi-hunk file (${name}), edits on the first and last lines: the library's bytes`, async () => {
    const input = make(multiHunk(12));
    const transforms = selectTransforms();
    const options = resolveOptions(transforms, { 'cache-mounts': { syntaxDirective: true } });
    const r = await runPipeline(input, { transforms, options, state: await prepareTransforms(transforms, options), runtime: true });
    assert.is.not(r.text, input);
    const human = unifiedDiff('Dockerfile', input, r.text, r.changes);
    assert.is(human, library(strip(input), strip(r.text), 'a/Dockerfile', 'b/Dockerfile'));
    const patch = filePatch('Dockerfile', input, r.text, r.changes);
    assert.is(patch, library(input, r.text, 'a/Dockerfile', 'b/Dockerfile'));
    assert.ok((human.match(/^@@ /gm) ?? []).length >= 10, `${(human.match(/^@@ /gm) ?? []).length} hunks:\n${human}`);
    // the first hunk starts on line 1 (a syntax directive was added above it); the last one holds the last line
    assert.ok(human.includes('\n@@ -1,'), human.slice(0, 400));
    assert.ok(human.includes('-RUN echo very last'), human.slice(-400));
    if (name.includes('no final newline')) assert.ok(human.endsWith('\n\\ No newline at end of file\n'), human.slice(-200));
    assert.is(applyPatch(input, patch), r.text);
  });
}

d('random edits composed over several steps: the library\'s bytes, and always a patch that applies', () => {
  let seed = 20261201; // mulberry32
  const rnd = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return (((x ^ (x >>> 14)) >>> 0) % n);
  };
  let compared = 0;
  for (let t = 0; t < 3000; t++) {
    const alpha = 2 + rnd(6);
    const line = () => `L${rnd(alpha)}`;
    let a = Array.from({ length: rnd(60) }, () => line() + (rnd(10) === 0 ? '\r\n' : '\n')).join('');
    if (rnd(4) === 0) a = a.slice(0, -1);
    let text = a;
    let changes: LineChange[] = [];
    for (let s = 0, steps = 1 + rnd(3); s < steps; s++) {
      const edits: Edit[] = [];
      for (let e = 0, k = rnd(4); e < k; e++) {
        const start = rnd(text.length + 1);
        edits.push({ start, end: Math.min(text.length, start + rnd(12)), text: Array.from({ length: rnd(3) }, () => line() + '\n').join('') + (rnd(2) ? line() : '') });
      }
      let sorted: Edit[];
      try { sorted = sortEdits(edits); } catch { continue; }
      changes = composeChanges(changes, editLineChanges(text, sorted));
      text = applyEdits(text, sorted);
    }
    if (text === a) continue;
    changes = clipChanges(changes, lineCount(a), lineCount(text));
    const want = library(a, text);
    assert.is(twoFilesPatch('a/x', 'b/x', a, text, changes), want, JSON.stringify([a, text, changes]));
    assert.is(twoFilesPatch('a/x', 'b/x', a, text), want, JSON.stringify([a, text]));
    assert.is(applyEdits(a, textEdits(a, text)), text);
    compared++;
  }
  assert.ok(compared > 2000, `${compared}`);
});

d('changes that do not match the texts are not trusted: the diff is still the library\'s', () => {
  const a = 'FROM a\nRUN x\nRUN y\nCMD z\n', b = 'FROM a\nRUN x && y\nCMD z\nUSER 1\n';
  const want = library(a, b);
  for (const wrong of [[], [{ oldStart: 0, oldEnd: 1, newStart: 0, newEnd: 1 }], [{ oldStart: 1, oldEnd: 3, newStart: 1, newEnd: 2 }], [{ oldStart: 3, oldEnd: 2, newStart: 0, newEnd: 9 }]]) {
    assert.is(twoFilesPatch('a/x', 'b/x', a, b, wrong), want, JSON.stringify(wrong));
  }
  assert.is(twoFilesPatch('a/x', 'b/x', a, b, [{ oldStart: 1, oldEnd: 4, newStart: 1, newEnd: 4 }]), want);
});

d('texts the library\'s search would take minutes on give a valid patch, with every line outside the changes as context', () => {
  // 20,000 lines all different from the 20,000 they become: nothing to search (all removed, then all added)
  const n = 20_000;
  const a = Array.from({ length: n }, (_, i) => `RUN echo ${i}\n`).join('');
  const b = Array.from({ length: n }, (_, i) => `    && echo ${i} \\\n`).join('');
  const p = twoFilesPatch('a/x', 'b/x', 'FROM x\n' + a + 'USER 1\n', 'FROM x\n' + b + 'USER 1\n');
  assert.ok(p.startsWith(`--- a/x\n+++ b/x\n@@ -1,${n + 2} +1,${n + 2} @@\n FROM x\n-RUN echo 0\n`), p.slice(0, 200));
  assert.ok(p.endsWith(`+    && echo ${n - 1} \\\n USER 1\n`), p.slice(-200));
  // every other line kept and the rest rewritten: more edits than the search is allowed (MAX_EDITS)
  const c = Array.from({ length: n }, (_, i) => (i % 2 ? `same ${i}\n` : `old ${i}\n`)).join('');
  const e = Array.from({ length: n }, (_, i) => (i % 2 ? `same ${i}\n` : `new ${i}\n`)).join('');
  const q = twoFilesPatch('a/x', 'b/x', c, e);
  assert.is(applyPatch(c, q), e);
  assert.is(applyEdits(c, textEdits(c, e)), e);
  // with the changes recorded, the same texts are diffed block by block: the library's bytes, one hunk
  const lines: LineChange[] = Array.from({ length: n / 2 }, (_, k) => ({ oldStart: 2 * k, oldEnd: 2 * k + 1, newStart: 2 * k, newEnd: 2 * k + 1 }));
  const r = twoFilesPatch('a/x', 'b/x', c, e, lines);
  assert.is(applyPatch(c, r), e);
  assert.ok(r.startsWith(`--- a/x\n+++ b/x\n@@ -1,${n} +1,${n} @@\n-old 0\n+new 0\n same 1\n-old 2\n`), r.slice(0, 200));
});

d('hunks: context 3, merged across at most 6 equal lines, split across 7', () => {
  const base = Array.from({ length: 30 }, (_, i) => `l${i}\n`);
  for (const gap of [5, 6, 7, 8]) {
    const b = [...base];
    b[5] = 'x\n';
    b[5 + gap + 1] = 'y\n';
    const a = base.join(''), t = b.join('');
    const parts = diffParts(diffLinesOf(a), diffLinesOf(t));
    const hunks = hunksOf(diffLinesOf(a), diffLinesOf(t), parts);
    assert.is(hunks.length, gap <= 6 ? 1 : 2, `gap ${gap}`);
    assert.is(twoFilesPatch('a/x', 'b/x', a, t), library(a, t));
  }
});

d.run();
