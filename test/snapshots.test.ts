import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validate } from 'dockerfile-utils';
import { transformById } from '../transforms/index.js';
import { loadCases, toCrlf, updating, writeGolden, type Case } from './helpers/fixtures.js';
import { runSnapshotCase } from './helpers/case-services.js';
import type { ReportedOutcome } from '../src/types.js';

// SNAPSHOT_FILTER=merge-run (or merge-run/joins) runs only the matching cases
const filter = process.env.SNAPSHOT_FILTER;
const cases = loadCases().filter((c) => !filter || `${c.transform}/${c.name}`.includes(filter));
const test = suite('snapshots');

const SYNTAX = '# syntax=docker/dockerfile:1';
const reportLines = (outs: ReportedOutcome[]) => outs.map((o) => `${o.line} ${o.kind} ${o.message}`);
const errorsOf = (text: string) => validate(text).filter((d) => d.severity === 1).map((d) => d.message);

const runCase = (c: Case, input: string): Promise<{ text: string; outcomes: ReportedOutcome[] }> => runSnapshotCase(c, input);

test('every snapshot folder names a transform or the pipeline', () => {
  for (const c of cases) assert.ok(c.transform === 'pipeline' || transformById(c.transform), `~> snapshots/${c.transform} is not a transform id`);
});

for (const c of cases) {
  const label = `${c.transform}/${c.name}`;
  test(`${label}: output`, async () => {
    if (c.output !== null) assert.is.not(c.output, c.input, '~> output.Dockerfile equals the input: delete it to mean "must not change"');
    const r = await runCase(c, c.input);
    const expected = c.output ?? c.input;
    const upd = updating();
    if (upd && r.text !== expected && (c.output !== null || upd === 'new')) writeGolden(c, 'output.Dockerfile', r.text);
    else assert.fixture(r.text, expected);
    if (c.report !== null || upd === 'new') {
      const got = reportLines(r.outcomes);
      if (upd && JSON.stringify(got) !== JSON.stringify(c.report)) writeGolden(c, 'report.txt', got.join('\n') + '\n');
      else assert.equal(got, c.report);
    }
    if (c.output === null) assert.not.ok(r.outcomes.some((o) => o.kind === 'rewrite'), '~> a "must not change" case reported a rewrite');
    else assert.ok(r.outcomes.some((o) => o.kind === 'rewrite'), '~> the case changed but no rewrite outcome says why');
  });
  test(`${label}: idempotent`, async () => {
    const once = await runCase(c, c.input);
    const twice = await runCase(c, once.text);
    assert.fixture(twice.text, once.text);
    assert.equal(twice.outcomes.filter((o) => o.kind === 'rewrite').map((o) => o.message), []);
  });
  if (!c.input.includes('\r')) {
    test(`${label}: crlf`, async () => {
      const r = await runCase(c, toCrlf(c.input));
      assert.fixture(r.text, toCrlf(c.output ?? c.input));
    });
  }
  test(`${label}: bom`, async () => {
    const r = await runCase(c, '\uFEFF' + c.input);
    // after a BOM the syntax directive is never added (BuildKit would not see it): the same output without it
    const added = c.output != null && !c.input.includes(SYNTAX) && /^# syntax=docker\/dockerfile:1\r?\n/.test(c.output);
    assert.fixture(r.text, '\uFEFF' + (added ? c.output!.replace(/^.*\r?\n/, '') : c.output ?? c.input));
  });
  test(`${label}: parses`, async () => {
    const r = await runCase(c, c.input);
    const before = errorsOf(c.input), after = errorsOf(r.text);
    for (const e of after) assert.ok(before.includes(e), `~> the output has a parse error the input did not: ${e}`);
  });
  test(`${label}: minimal`, async () => {
    if (c.transform === 'pipeline') return;
    const r = await runCase(c, c.input);
    for (const o of r.outcomes) {
      for (const e of o.edits ?? []) {
        const old = c.input.slice(e.start, e.end);
        assert.is.not(old, e.text, `~> ${o.transform}:${o.line} has an edit that changes nothing`);
        // an edit must not re-print a whole unchanged line at its start or its end
        let p = 0;
        while (p < old.length && p < e.text.length && old[p] === e.text[p]) p++;
        let q = 0;
        while (q < old.length - p && q < e.text.length - p && old[old.length - 1 - q] === e.text[e.text.length - 1 - q]) q++;
        const head = old.slice(0, p), tail = old.slice(old.length - q);
        const headLine = head.includes('\n') ? head.slice(0, head.indexOf('\n')) : '';
        const tailLine = tail.includes('\n') ? tail.slice(tail.lastIndexOf('\n') + 1) : '';
        assert.not.ok(headLine.trim() !== '' && !head.startsWith('\n'), `~> ${o.transform}:${o.line} re-prints an unchanged line: ${JSON.stringify(headLine)}`);
        assert.not.ok(tailLine.trim() !== '' && old.length - q > 0 && old[old.length - q - 1] === '\n', `~> ${o.transform}:${o.line} re-prints an unchanged line: ${JSON.stringify(tailLine)}`);
      }
    }
  });
}

test.run();
