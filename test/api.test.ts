import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '../src/index.js';
import { optimize, optimizeText, transforms, UsageError } from '../src/index.js';
import { cleanup, tree } from './helpers/tmp.js';
import { labelTransform } from './helpers/batch.js';

const MERGEABLE = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n';
const MERGED = 'FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y curl\n';

const lib = suite('library API');
lib('exports optimize, optimizeText, the transforms in pipeline order and the report builders', () => {
  assert.ok(transforms.some((t) => t.id === 'merge-run'));
  for (const name of ['optimize', 'optimizeText', 'prepareOptimize', 'runPipeline', 'jsonReport', 'sarifReport', 'githubReport', 'unifiedPatch', 'configSchema', 'transformById']) {
    assert.type((api as Record<string, unknown>)[name], 'function', name);
  }
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: { '.': { default: string } } };
  assert.is(pkg.exports['.'].default, './dist/src/index.js');
});
lib('optimize is a dry run by default and returns per-file results and a summary', async () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE, 'b/Dockerfile': 'FROM x\n' });
  const r = await optimize({ cwd: dir, only: ['merge-run'], config: false });
  assert.equal(r.files.map((f) => [f.file, f.status]), [['a/Dockerfile', 'changed'], ['b/Dockerfile', 'unchanged']]);
  assert.is(r.files[0]!.after, MERGED);
  assert.is(r.summary.changed, 1);
  assert.is(readFileSync(join(dir, 'a/Dockerfile'), 'utf8'), MERGEABLE);
  const w = await optimize({ cwd: dir, only: ['merge-run'], write: true, paths: ['a'] });
  assert.is(w.summary.written, 1);
  assert.is(readFileSync(join(dir, 'a/Dockerfile'), 'utf8'), MERGED);
  cleanup(dir);
});
lib('custom transforms and their options; a runtime change carries its label', async () => {
  const dir = tree({ Dockerfile: 'FROM x\nRUN a\n' });
  const r = await optimize({ cwd: dir, transforms: [labelTransform], options: { 'add-label': { value: 'api' } }, runtime: true });
  assert.is(r.files[0]!.after, 'FROM x\nLABEL tested=api\nRUN a\n');
  assert.is(r.files[0]!.outcomes[0]!.safety, 'runtime');
  // without runtime the change is held back: a note, counted in the summary
  const plain = await optimize({ cwd: dir, transforms: [labelTransform] });
  assert.is(plain.files[0]!.status, 'unchanged');
  assert.is(plain.files[0]!.outcomes[0]!.held, true);
  assert.equal(plain.summary.held, { 'add-label': 1 });
  const safe = await optimize({ cwd: dir, transforms: [labelTransform], safeOnly: true });
  assert.is(safe.files[0]!.status, 'unchanged');
  cleanup(dir);
});
lib('optimizeText works on a string, no files', async () => {
  const r = await optimizeText(MERGEABLE, { only: ['merge-run'] });
  assert.is(r.text, MERGED);
  assert.is(r.changed, true);
  assert.is(r.outcomes[0]!.transform, 'merge-run');
});
lib('bad options are UsageErrors, never a crash', async () => {
  for (const bad of [{ only: ['nope'] }, { skip: ['nope'] }, { jobs: 0 }, { options: { 'non-root': { user: 'root' } } }]) {
    try {
      await optimize({ cwd: '/', paths: ['/nonexistent'], config: false, ...bad });
      assert.unreachable(JSON.stringify(bad));
    } catch (e) {
      assert.instance(e, UsageError, JSON.stringify(bad));
    }
  }
});
lib('--jobs does not change the result or its order', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) files[`s${String(i).padStart(2, '0')}/Dockerfile`] = i % 3 ? MERGEABLE : 'FROM x\n';
  const dir = tree(files);
  const one = await optimize({ cwd: dir, only: ['merge-run'], jobs: 1, config: false });
  const many = await optimize({ cwd: dir, only: ['merge-run'], jobs: 16, config: false });
  assert.equal(many.files.map((f) => [f.file, f.status, f.after]), one.files.map((f) => [f.file, f.status, f.after]));
  cleanup(dir);
});
lib('worker threads on a big batch give the same results, in the same order, as the main thread', async () => {
  const { WORKER_MIN_FILES } = await import('../src/workers.js');
  const files: Record<string, string> = {};
  for (let i = 0; i < WORKER_MIN_FILES; i++) files[`g${i % 7}/s${i}/Dockerfile`] = i % 3 ? MERGEABLE : i % 2 ? 'FROM x\nRUN cd /x\nRUN make\n' : 'FROM x\u0000\n';
  const dir = tree(files);
  const main = await optimize({ cwd: dir, only: ['merge-run'], jobs: 2, threads: false, config: false });
  const threaded = await optimize({ cwd: dir, only: ['merge-run'], jobs: 2, config: false, lean: true });
  assert.equal(threaded.files.map((f) => [f.file, f.status, f.outcomes, f.status === 'changed' ? f.after : '']), main.files.map((f) => [f.file, f.status, f.outcomes, f.status === 'changed' ? f.after : '']));
  assert.equal(threaded.summary, main.summary);
  assert.is(threaded.files.find((f) => f.status === 'unchanged')!.before, '', 'lean drops unchanged text');
  cleanup(dir);
});
lib.run();
