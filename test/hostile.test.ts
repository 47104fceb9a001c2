/**
 * Hostile input: every case ends in bounded time with a clear outcome (an error naming the file and what
 * is wrong, or a refusal), never a crash, a hang or a partial write.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../src/pipeline.js';
import { selectTransforms } from '../transforms/index.js';
import { cli, cleanup, tree } from './helpers/tmp.js';

const MERGEABLE = 'FROM debian:12\nRUN echo a\nRUN echo b\nUSER 1001\n';
const h = suite('hostile input');

h('a 5 MB single-line RUN is refused up front with the line named', () => {
  const dir = tree({ Dockerfile: 'FROM x\nRUN echo ' + 'a'.repeat(5 * 1024 * 1024 - 100) + '\n' });
  const r = cli(['--check'], dir);
  assert.is(r.status, 2);
  assert.ok(/Dockerfile:2: line 2 is \d+ characters long, over the 262144 this tool processes; skipped/.test(r.stderr), r.stderr);
  cleanup(dir);
});
h('100,000 continuation lines are refused up front', () => {
  const dir = tree({ Dockerfile: 'FROM x\nRUN echo a \\\n' + '  && echo b \\\n'.repeat(100_000) + '  && echo c\n' });
  const r = cli(['--check'], dir);
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('has more than 20000 lines'), r.stderr);
  cleanup(dir);
});
h('a RUN just under the limits is analysed, or refused with a reason, without crashing', async () => {
  const long = 'FROM debian:12\nRUN echo ' + 'x'.repeat(250_000) + '\nRUN echo b\n';
  const r = await runPipeline(long, { transforms: selectTransforms() });
  assert.ok(r.outcomes.some((o) => o.kind === 'refuse' && o.message.includes('more than the 200000 this tool analyses')), JSON.stringify(r.outcomes.map((o) => o.message)));
});
h('deeply nested ${a:-${b:-...}} is refused as too deeply nested, not a stack overflow', async () => {
  let nest = 'x';
  for (let i = 0; i < 3000; i++) nest = '${a' + i + ':-' + nest + '}';
  const r = await runPipeline(`FROM debian:12\nRUN echo ${nest}\nRUN echo b\n`, { transforms: selectTransforms() });
  assert.ok(r.outcomes.some((o) => o.message.includes('nested too deeply')), JSON.stringify(r.outcomes.map((o) => o.message)));
});
h('invalid UTF-8, a NUL byte, a FIFO and a device each get their own error; the rest of the batch runs', () => {
  const dir = tree({ 'bad/Dockerfile': Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x20, 0xc3, 0x28, 0x0a]), 'nul/Dockerfile': Buffer.from('FROM x\n\0\n'), 'ok/Dockerfile': MERGEABLE });
  spawnSync('mkfifo', [join(dir, 'fifo.Dockerfile')]);
  const r = cli(['--check', '.', '/dev/null'], dir);
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('bad/Dockerfile: is not valid UTF-8 text'), r.stderr);
  assert.ok(r.stderr.includes('nul/Dockerfile:2: looks like a binary file'), r.stderr);
  assert.ok(r.stderr.includes('fifo.Dockerfile: is not a regular file'), r.stderr);
  assert.ok(r.stderr.includes('/dev/null: is not a regular file'), r.stderr);
  assert.is(r.stdout, 'ok/Dockerfile\n');
  cleanup(dir);
});
h('a glob that climbs out of the working directory is refused', () => {
  const dir = tree({ 'a/Dockerfile': MERGEABLE });
  const r = cli(['--check', '../../**/Dockerfile'], join(dir, 'a'));
  assert.is(r.status, 2);
  assert.ok(r.stderr.includes('../../**/Dockerfile: the pattern climbs out of the working directory'), r.stderr);
  cleanup(dir);
});
h('file names with spaces, quotes, newlines and non-ASCII are processed and written', () => {
  const names = ['with space/Dockerfile', 'quo"te/Dockerfile', 'new\nline/Dockerfile', 'ünï/Dockerfile'];
  const dir = tree(Object.fromEntries(names.map((n) => [n, MERGEABLE])));
  const check = cli(['--check'], dir);
  assert.is(check.status, 1);
  assert.is(check.stdout, '"new\\nline/Dockerfile"\n"quo\\"te/Dockerfile"\nwith space/Dockerfile\nünï/Dockerfile\n');
  const json = JSON.parse(cli(['--json'], dir).stdout);
  assert.equal(json.files.map((f: { file: string }) => f.file).sort(), [...names].sort());
  assert.is(cli(['--write'], dir).status, 0);
  for (const n of names) assert.ok(readFileSync(join(dir, n), 'utf8').includes('&& echo b'), n);
  cleanup(dir);
});
h('a patch with a quoted name applies with git', () => {
  const dir = tree({ 'new\nline/Dockerfile': MERGEABLE, 'plain/Dockerfile': MERGEABLE });
  spawnSync('git', ['init', '-q'], { cwd: dir });
  const r = cli(['--diff-out', 'changes.patch'], dir);
  assert.is(r.status, 0, r.stderr);
  const check = spawnSync('git', ['apply', '--check', 'changes.patch'], { cwd: dir, encoding: 'utf8' });
  assert.is(check.status, 0, check.stderr + readFileSync(join(dir, 'changes.patch'), 'utf8'));
  cleanup(dir);
});
h.run();
void writeFileSync;
