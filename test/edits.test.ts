import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEdits, insertAt, removeRange, replaceRange } from '../src/edits.js';
import { InternalError } from '../src/errors.js';
import { DocView } from '../src/document.js';
import { runPipeline } from '../src/pipeline.js';
import type { Transform } from '../src/types.js';

const edits = suite('edits');
edits('applies non-overlapping edits in offset order, inserts at one point in given order', () => {
  assert.is(applyEdits('abcdef', [replaceRange(4, 5, 'E'), insertAt(1, 'x'), insertAt(1, 'y'), removeRange(2, 3)]), 'axybdEf');
});
edits('overlapping edits are a bug, not resolved silently', () => {
  assert.throws(() => applyEdits('abcdef', [replaceRange(1, 3, 'x'), replaceRange(2, 4, 'y')]), (e: unknown) => e instanceof InternalError);
});
edits('out-of-range edits are a bug', () => {
  assert.throws(() => applyEdits('abc', [replaceRange(2, 9, 'x')]), (e: unknown) => e instanceof InternalError);
});
edits.run();

const doc = suite('DocView');
doc('detects the line ending, escape character and continuation indent', () => {
  const d = new DocView('# escape=`\r\nFROM x\r\nRUN a `\r\n\t&& b\r\n');
  assert.is(d.eol, '\r\n');
  assert.is(d.escapeChar, '`');
  assert.is(d.continuationIndent(), '\t');
  assert.is(new DocView('FROM x\n').continuationIndent(), '    ');
});
doc('maps positions to offsets and back to lines', () => {
  const d = new DocView('FROM x\nRUN a \\\n  b\n');
  const run = d.instructions()[1]!;
  assert.equal(d.span(run), { start: 7, end: 18 });
  assert.equal(d.lineSpan(run), { start: 7, end: 19 });
  assert.is(d.lineOf(15), 3);
});
doc('groups instructions into stages', () => {
  const d = new DocView('ARG V=1\nFROM a AS Build\nRUN x\nFROM b\nCOPY --from=build /x /x\n');
  assert.equal(d.stages().map((s) => [s.name, s.instructions.length]), [['build', 1], [null, 1]]);
});
doc.run();

const pipe = suite('pipeline');
const broken: Transform = { id: 'broken', summary: 'x', safety: 'build-only', defaults: {}, apply: () => { throw new Error('boom'); } };
const overlapping: Transform = {
  id: 'overlapping', summary: 'x', safety: 'build-only', defaults: {},
  apply: () => [
    { kind: 'rewrite', line: 1, message: 'a', edits: [replaceRange(0, 4, 'from')] },
    { kind: 'rewrite', line: 1, message: 'b', edits: [replaceRange(2, 6, 'xx')] },
  ],
};
const runtimeChange: Transform = {
  id: 'runtime-change', summary: 'x', safety: 'runtime', defaults: {},
  apply: (d) => [{ kind: 'rewrite', line: 1, message: 'base', edits: [replaceRange(5, 6, 'y')] }, { kind: 'refuse', line: 1, reason: 'why' }].slice(0, d.text ? 2 : 0) as never,
};
pipe('a transform that throws is an InternalError naming it', async () => {
  try { await runPipeline('FROM x\n', { transforms: [broken] }); assert.unreachable(); } catch (e) {
    assert.instance(e, InternalError);
    assert.ok((e as Error).message.includes('transform broken failed: boom'));
  }
});
pipe('overlapping rewrites of one transform are an InternalError', async () => {
  try { await runPipeline('FROM x\n', { transforms: [overlapping] }); assert.unreachable(); } catch (e) {
    assert.instance(e, InternalError);
  }
});
pipe('runtime changes are held back by default, applied with runtime, and --safe-only wins over runtime', async () => {
  for (const opts of [{}, { safeOnly: true }, { safeOnly: true, runtime: true }]) {
    const r = await runPipeline('FROM x\n', { transforms: [runtimeChange], ...opts });
    assert.is(r.text, 'FROM x\n');
    assert.equal(r.outcomes.map((o) => o.kind), ['note', 'refuse']);
    assert.ok(r.outcomes[0]!.message.startsWith('not applied (a runtime change: review it and pass --runtime)'));
    assert.is(r.outcomes[0]!.held, true);
  }
  const full = await runPipeline('FROM x\n', { transforms: [runtimeChange], runtime: true });
  assert.is(full.text, 'FROM y\n');
  assert.is(full.outcomes[0]!.safety, 'runtime');
  assert.is(full.outcomes[0]!.held, undefined);
});
pipe('the BOM stays in front and offsets never count it', async () => {
  const r = await runPipeline('\uFEFFFROM x\n', { transforms: [runtimeChange], runtime: true });
  assert.is(r.text, '\uFEFFFROM y\n');
});
pipe.run();
