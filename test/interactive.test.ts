import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareOptimize, type OptimizeOptions } from '../src/index.js';
import { parseAnswer, review, type Prompter } from '../src/interactive.js';
import { mergeRun } from '../transforms/merge-run.js';
import { cleanup, cli, tree } from './helpers/tmp.js';
import { labelTransform, upperRun } from './helpers/batch.js';

const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';
const MERGED = 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y curl\n';

/** Answers from a list (then end of input); `onAsk` runs before each answer is given. */
function scripted(answers: string[], onAsk?: (n: number) => void): Prompter & { questions: number } {
  const p = {
    questions: 0,
    async ask() { onAsk?.(p.questions); p.questions++; return answers.shift() ?? null; },
    close() {},
  };
  return p;
}

async function reviewed(dir: string, answers: string[], opts: Partial<OptimizeOptions> & { perChange?: boolean } = {}, onAsk?: (n: number) => void) {
  const { plan, run } = await prepareOptimize({ cwd: dir, config: false, transforms: [mergeRun], ...opts });
  let out = '';
  const prompter = scripted(answers, onAsk);
  const result = await review(plan, run, { perChange: Boolean(opts.perChange), prompter, out: { write: (s: string) => { out += s; } } });
  return { result, out, questions: prompter.questions };
}

const read = (dir: string, p: string) => readFileSync(join(dir, p), 'utf8');

const answers = suite('interactive: answers');
answers('y/yes, n/no, a/all, q/quit in any case; anything else is asked again', () => {
  assert.equal(['y', 'YES', ' n ', 'No', 'a', 'All', 'q', 'QUIT'].map(parseAnswer), ['yes', 'yes', 'no', 'no', 'all', 'all', 'quit', 'quit']);
  assert.is(parseAnswer('maybe'), null);
  assert.is(parseAnswer(''), null);
});
answers.run();

const files = suite('interactive: per file');
files('shows each changed file with its labelled changes and writes only the accepted ones', async () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE, 'c/Dockerfile': 'FROM x\nRUN a && b\n' });
  const { result, out, questions } = await reviewed(dir, ['y', 'n']);
  assert.is(questions, 2);
  assert.ok(out.includes('a/Dockerfile (1/3)\n  [build-only] merge-run:2 merges 2 consecutive RUN instructions'));
  assert.ok(out.includes('--- a/a/Dockerfile\n+++ b/a/Dockerfile'));
  assert.is(read(dir, 'a/Dockerfile'), MERGED);
  assert.is(read(dir, 'b/Dockerfile'), MERGEABLE);
  assert.equal(result.files.map((f) => [f.file, f.status, Boolean(f.written)]), [['a/Dockerfile', 'changed', true], ['b/Dockerfile', 'changed', false], ['c/Dockerfile', 'unchanged', false]]);
  assert.is(result.summary.written, 1);
  assert.ok(result.files[1]!.outcomes[0]!.message.startsWith('declined in review: merges'));
  cleanup(dir);
});
files('[a]ll accepts the rest of that transform\'s changes without asking', async () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE, 'c/Dockerfile': MERGEABLE });
  const { out, questions } = await reviewed(dir, ['a']);
  assert.is(questions, 1);
  assert.ok(out.includes('b/Dockerfile: accepted (all of merge-run)'));
  for (const f of ['a', 'b', 'c']) assert.is(read(dir, `${f}/Dockerfile`), MERGED);
  cleanup(dir);
});
files('[q]uit stops asking and writes what was accepted before; so does the end of the input; a bad answer is asked again', async () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE, 'c/Dockerfile': MERGEABLE });
  const q = await reviewed(dir, ['maybe', 'y', 'q']);
  assert.is(q.questions, 3);
  assert.ok(q.out.includes('Please answer y, n, a or q (? for help).'));
  assert.equal(['a', 'b', 'c'].map((f) => read(dir, `${f}/Dockerfile`)), [MERGED, MERGEABLE, MERGEABLE]);
  assert.equal(q.result.files.map((f) => f.status), ['changed', 'changed', 'changed']);
  const eof = await reviewed(dir, []);
  assert.is(eof.questions, 1);
  assert.equal(['b', 'c'].map((f) => read(dir, `${f}/Dockerfile`)), [MERGEABLE, MERGEABLE]);
  cleanup(dir);
});
files('a file changed on disk during the review is not overwritten', async () => {
  const dir = tree({ Dockerfile: MERGEABLE });
  const { result } = await reviewed(dir, ['y'], {}, () => writeFileSync(join(dir, 'Dockerfile'), MERGEABLE + '# edited\n'));
  assert.is(read(dir, 'Dockerfile'), MERGEABLE + '# edited\n');
  assert.is(result.files[0]!.status, 'error');
  assert.ok(result.files[0]!.error!.message.includes('changed on disk since it was read'));
  cleanup(dir);
});
files.run();

const changes = suite('interactive: per change');
changes('asks per logical change and applies only the accepted ones', async () => {
  const dir = tree({ Dockerfile: 'FROM a\nrun x\nrun y\nrun z\n' });
  const { out, questions, result } = await reviewed(dir, ['y', 'n', 'y'], { transforms: [upperRun], perChange: true });
  assert.is(questions, 3);
  assert.ok(out.includes('  [build-only] upper-run:3 upper-cased RUN\n--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,4 +1,4 @@\n FROM a\n run x\n-run y\n+RUN y\n'));
  assert.is(read(dir, 'Dockerfile'), 'FROM a\nRUN x\nrun y\nRUN z\n');
  assert.equal(result.files[0]!.outcomes.map((o) => o.kind), ['rewrite', 'note', 'rewrite']);
  cleanup(dir);
});
changes('transforms are decided in pipeline order: a later one runs on the text the accepted changes give', async () => {
  // add-label inserts a line, which shifts every offset upper-run would see
  const text = 'FROM a\nrun x\n';
  const dir = tree({ 'yes/Dockerfile': text, 'no/Dockerfile': text });
  await reviewed(dir, ['n', 'y', 'y', 'y'], { transforms: [labelTransform, upperRun], perChange: true });
  assert.is(read(dir, 'no/Dockerfile'), 'FROM a\nRUN x\n');
  assert.is(read(dir, 'yes/Dockerfile'), 'FROM a\nLABEL tested=yes\nRUN x\n');
  cleanup(dir);
});
changes('later passes ask for changes that accepted ones opened, and never re-ask a declined one', async () => {
  // shout runs before add-label but only has work once the label exists: a second pass, as in the pipeline
  const shout = { id: 'shout', summary: 's', safety: 'build-only' as const, defaults: {}, apply: (doc: { text: string }) => {
    const i = doc.text.indexOf('tested=yes');
    return i === -1 ? [] : [{ kind: 'rewrite' as const, line: 2, message: 'shouted', edits: [{ start: i + 7, end: i + 10, text: 'YES' }] }];
  } };
  const dir = tree({ 'a/Dockerfile': 'FROM a\nrun x\n', 'b/Dockerfile': 'FROM a\nrun x\n' });
  const { questions } = await reviewed(dir, ['y', 'y', 'y', 'n', 'y'], { transforms: [shout, labelTransform, upperRun], perChange: true });
  assert.is(read(dir, 'a/Dockerfile'), 'FROM a\nLABEL tested=YES\nRUN x\n');
  // b: label declined, RUN accepted; the second pass must not ask about the label again
  assert.is(read(dir, 'b/Dockerfile'), 'FROM a\nRUN x\n');
  assert.is(questions, 5);
  cleanup(dir);
});
changes('the label shows runtime changes; [a]ll covers only that transform', async () => {
  const dir = tree({ 'a/Dockerfile': 'FROM a\nrun x\n', 'b/Dockerfile': 'FROM a\nrun x\n' });
  const { out, questions } = await reviewed(dir, ['a', 'n', 'y'], { transforms: [labelTransform, upperRun], perChange: true });
  assert.ok(out.includes('[runtime] add-label:2 adds a label'));
  assert.is(questions, 3);
  assert.ok(out.includes('b/Dockerfile:2: accepted (all of add-label) adds a label'));
  assert.is(read(dir, 'a/Dockerfile'), 'FROM a\nLABEL tested=yes\nrun x\n');
  assert.is(read(dir, 'b/Dockerfile'), 'FROM a\nLABEL tested=yes\nRUN x\n');
  cleanup(dir);
});
changes('keeps a BOM and CRLF', async () => {
  const dir = tree({ Dockerfile: '\uFEFFFROM a\r\nrun x\r\n' });
  await reviewed(dir, ['y', 'y'], { transforms: [labelTransform, upperRun], perChange: true });
  assert.is(read(dir, 'Dockerfile'), '\uFEFFFROM a\r\nLABEL tested=yes\r\nRUN x\r\n');
  cleanup(dir);
});
changes.run();

const pipe = suite('interactive: the CLI over a pipe');
pipe('reads the answers line by line from stdin and writes what was accepted', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': MERGEABLE });
  const r = cli(['--interactive', '--only', 'merge-run'], dir, {}, 'n\ny\n');
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes('a/Dockerfile (1/2)'));
  assert.ok(r.stdout.includes('[y]es / [n]o / [a]ll of merge-run / [q]uit / [?] help? n\n'), r.stdout);
  assert.is(read(dir, 'a/Dockerfile'), MERGEABLE);
  assert.is(read(dir, 'b/Dockerfile'), MERGED);
  assert.ok(r.stdout.includes('2 files scanned: 1 written'), r.stdout);
  cleanup(dir);
});
pipe('--per-change over a pipe; usage errors for contradicting flags', () => {
  const dir = tree({ Dockerfile: MERGEABLE });
  const r = cli(['-i', '--per-change', '--only', 'merge-run'], dir, {}, 'y\n');
  assert.is(r.status, 0, r.stderr);
  assert.is(read(dir, 'Dockerfile'), MERGED);
  assert.is(cli(['--interactive', '--check'], dir).status, 2);
  assert.ok(cli(['--interactive', '--format', 'sarif'], dir).stderr.includes('--interactive cannot be used with --format sarif'));
  assert.ok(cli(['--per-change'], dir).stderr.includes('--per-change needs --interactive'));
  cleanup(dir);
});
pipe.run();
