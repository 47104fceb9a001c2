import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { optimize, sarifReport, githubReport } from '../src/index.js';
import { applyEdits } from '../src/edits.js';
import { locate } from '../src/report/locate.js';
import { escapeData, escapeProperty } from '../src/report/github.js';
import { mergeRun } from '../transforms/merge-run.js';
import { cleanup, tree } from './helpers/tmp.js';
import { labelTransform, sarifValidator, upperRun } from './helpers/batch.js';
import type { FileResult } from '../src/types.js';

const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';
const validate = sarifValidator();
const transforms = [labelTransform, mergeRun];

async function sarifOf(files: Record<string, string | Buffer>) {
  const dir = tree(files);
  const r = await optimize({ cwd: dir, transforms, config: false, runtime: true });
  const doc = JSON.parse(sarifReport(r, { version: '1.2.3', transforms, cwd: dir, root: r.root }));
  return { dir, r, doc };
}

/** Applies a SARIF fix's replacements (line/column regions) to a text. */
function applyFix(text: string, replacements: { deletedRegion: { startLine: number; startColumn: number; endLine: number; endColumn: number }; insertedContent: { text: string } }[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (l: number, c: number) => starts[l - 1]! + c - 1;
  return applyEdits(text, replacements.map((x) => ({ start: off(x.deletedRegion.startLine, x.deletedRegion.startColumn), end: off(x.deletedRegion.endLine, x.deletedRegion.endColumn), text: x.insertedContent.text })));
}

const sarif = suite('sarif');
sarif('validates against the official SARIF 2.1.0 schema, with one rule per transform', async () => {
  const { dir, doc } = await sarifOf({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': 'FROM debian:12\nRUN cd /x\nRUN make\n', 'c/Dockerfile': 'FROM x\nRUN a\u0000\n' });
  assert.equal(validate(doc), []);
  assert.equal(doc.runs[0].tool.driver.rules.map((r: { id: string }) => r.id), ['add-label', 'merge-run']);
  assert.equal(doc.runs[0].tool.driver.rules[0].properties.tags, ['runtime']);
  cleanup(dir);
});
sarif('a pending rewrite is a warning with a fix; a refusal a note; a failed file a notification', async () => {
  const { dir, doc } = await sarifOf({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': 'FROM debian:12\nRUN cd /x\nRUN make\n', 'c/Dockerfile': 'FROM x\nRUN a\u0000\n' });
  const results = doc.runs[0].results as { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: Record<string, number> } }[]; fixes?: unknown[] }[];
  const merge = results.find((x) => x.ruleId === 'merge-run' && x.level === 'warning')!;
  assert.ok(merge.message.text.startsWith('[build-only] merges 2 consecutive RUN'));
  assert.equal(merge.locations[0]!.physicalLocation.artifactLocation, { uri: 'a/Dockerfile', uriBaseId: '%SRCROOT%' });
  assert.ok(merge.fixes);
  const refusal = results.find((x) => x.ruleId === 'merge-run' && x.level === 'note')!;
  assert.ok(refusal.message.text.includes('`cd` changes the working directory'));
  assert.equal(refusal.locations[0]!.physicalLocation.region, { startLine: 2, startColumn: 1, endLine: 2, endColumn: 1 });
  const label = results.find((x) => x.ruleId === 'add-label' && x.locations[0]!.physicalLocation.artifactLocation.uri === 'a/Dockerfile')!;
  assert.ok(label.message.text.startsWith('[runtime] '));
  const inv = doc.runs[0].invocations[0];
  assert.is(inv.executionSuccessful, false);
  assert.ok(inv.toolExecutionNotifications[0].message.text.includes('NUL byte'));
  assert.is(inv.toolExecutionNotifications[0].locations[0].physicalLocation.artifactLocation.uri, 'c/Dockerfile');
  cleanup(dir);
});
sarif('every fix, applied alone to the file on disk, makes exactly that change (positions mapped through earlier transforms)', async () => {
  // add-label inserts a line before merge-run runs, so merge-run's edits are one line further down
  const { dir, r, doc } = await sarifOf({ 'a/Dockerfile': MERGEABLE });
  const results = doc.runs[0].results as { ruleId: string; fixes: { artifactChanges: { replacements: never[] }[] }[] }[];
  const merge = results.find((x) => x.ruleId === 'merge-run')!;
  const label = results.find((x) => x.ruleId === 'add-label')!;
  const fixedMerge = applyFix(MERGEABLE, merge.fixes[0]!.artifactChanges[0]!.replacements);
  assert.is(fixedMerge, 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y curl\n');
  const both = applyFix(MERGEABLE, [...label.fixes[0]!.artifactChanges[0]!.replacements, ...merge.fixes[0]!.artifactChanges[0]!.replacements]);
  assert.is(both, r.files[0]!.after);
  cleanup(dir);
});
sarif('a change on text an earlier transform inserted gets no fix (it only exists on top of that change), but keeps its line', () => {
  const before = 'FROM a\nrun x\n';
  const f: FileResult = {
    file: 'Dockerfile', status: 'changed', before, after: 'FROM a\nLABEL tested=YES\nRUN x\n',
    outcomes: [
      { transform: 'add-label', kind: 'rewrite', line: 2, message: 'added', safety: 'runtime', edits: [{ start: 7, end: 7, text: 'LABEL tested=yes\n' }] },
      { transform: 'shout', kind: 'rewrite', line: 2, message: 'upper', safety: 'build-only', edits: [{ start: 20, end: 23, text: 'YES' }] },
      { transform: 'upper-run', kind: 'rewrite', line: 3, message: 'RUN', safety: 'build-only', edits: [{ start: 24, end: 27, text: 'RUN' }] },
    ],
  };
  // upper-run ran last on 'FROM a\nLABEL tested=YES\nrun x\n': its edit maps back to offsets 7..10 of the original
  const l = locate(f);
  assert.equal(l[0]!.fix, [{ start: { line: 2, column: 1 }, end: { line: 2, column: 1 }, text: 'LABEL tested=yes\n' }]);
  assert.is(l[1]!.fix, null);
  assert.is(l[1]!.start.line, 2);
  assert.equal(l[2]!.fix, [{ start: { line: 2, column: 1 }, end: { line: 2, column: 4 }, text: 'RUN' }]);
});
sarif('several changes of one transform each get their own result and fix; a BOM is not counted in columns', async () => {
  const dir = tree({ Dockerfile: '\uFEFFFROM a\nrun x\nrun y\n' });
  const r = await optimize({ cwd: dir, transforms: [upperRun], config: false });
  const doc = JSON.parse(sarifReport(r, { version: '1', transforms: [upperRun], cwd: dir, root: r.root }));
  assert.equal(validate(doc), []);
  const regions = doc.runs[0].results.map((x: { fixes: { artifactChanges: { replacements: { deletedRegion: unknown }[] }[] }[] }) => x.fixes[0]!.artifactChanges[0]!.replacements[0]!.deletedRegion);
  assert.equal(regions, [{ startLine: 2, startColumn: 1, endLine: 2, endColumn: 4 }, { startLine: 3, startColumn: 1, endLine: 3, endColumn: 4 }]);
  cleanup(dir);
});
sarif('paths are relative to the repository root, also when run from a subdirectory; special characters are URI-encoded', async () => {
  const dir = tree({ 'svc one/Dockerfile': MERGEABLE });
  const r = await optimize({ cwd: join(dir, 'svc one'), transforms: [mergeRun], config: false });
  const doc = JSON.parse(sarifReport(r, { version: '1', transforms: [mergeRun], cwd: join(dir, 'svc one'), root: dir }));
  assert.equal(validate(doc), []);
  assert.is(doc.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, 'svc%20one/Dockerfile');
  cleanup(dir);
});
sarif.run();

const gh = suite('github annotations');
gh('one workflow command per outcome, escaped, then a summary line', async () => {
  const dir = tree({ 'a,b/Dockerfile': MERGEABLE, 'c/Dockerfile': 'FROM debian:12\nRUN cd /x\nRUN make\n', 'd/Dockerfile': 'FROM x\nRUN a\u0000\n' });
  const r = await optimize({ cwd: dir, transforms: [mergeRun], config: false });
  const out = githubReport(r, { cwd: dir, root: dir }).split('\n');
  assert.is(out[0], '::warning file=a%2Cb/Dockerfile,line=2,col=19,endLine=3,title=dockeropt merge-run [build-only]::merges 2 consecutive RUN instructions (lines 2, 3) into one');
  assert.ok(out[1]!.startsWith('::notice file=c/Dockerfile,line=2,title=dockeropt merge-run (not changed)::not merged with the RUN on line 3'));
  assert.ok(out[2]!.startsWith('::error file=d/Dockerfile,line=2,title=dockeropt%3A file failed::looks like a binary file'));
  assert.is(out[3], 'dockeropt: 3 files scanned: 1 would change, 1 unchanged, 1 failed');
  assert.is(escapeData('50%\nx\r'), '50%25%0Ax%0D');
  assert.is(escapeProperty('a:b,c'), 'a%3Ab%2Cc');
  cleanup(dir);
});
gh.run();
