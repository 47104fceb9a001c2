/**
 * Hostile input: every case ends in bounded time with a clear outcome (an error naming the file and what
 * is wrong, or a refusal), never a crash, a hang or a partial write.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { applyPatch } from 'diff';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../src/pipeline.js';
import { selectTransforms } from '../transforms/index.js';
import { FileError } from '../src/errors.js';
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
h('a lone carriage return is refused with BuildKit\'s line, the file is not written, the batch goes on', () => {
  // BuildKit reads `RUN x\rRUN y` as one line; a view that breaks lines on \r merged it with the next two
  // and lost `y`, part of `zzzz` and the CMD
  const lone = 'FROM a\nRUN x\rRUN y\nRUN zzzz\nCMD c\n';
  const dir = tree({ 'cr/Dockerfile': lone, 'ok/Dockerfile': MERGEABLE });
  const r = cli(['--write', '.'], dir);
  assert.is(r.status, 2, r.stderr);
  assert.ok(r.stderr.includes('cr/Dockerfile:2: a carriage return without a line feed; BuildKit reads it as part of the line'), r.stderr);
  assert.is(readFileSync(join(dir, 'cr/Dockerfile'), 'utf8'), lone);
  assert.ok(readFileSync(join(dir, 'ok/Dockerfile'), 'utf8').includes('&& echo b'));
  const check = cli(['--check', 'cr/Dockerfile'], dir);
  assert.is(check.status, 2);
  assert.ok(check.stderr.includes('cr/Dockerfile:2: a carriage return without a line feed'), check.stderr);
  cleanup(dir);
});
h('every character BuildKit and dockeropt read differently is refused, at BuildKit\'s line, never an internal error', async () => {
  const cases: [string, number, RegExp][] = [
    ['\rFROM debian:12\nRUN a\nRUN b\n', 1, /carriage return without a line feed/],
    ['FROM debian:12\r', 1, /carriage return without a line feed/],
    ['FROM debian:12\nRUN a \\\r  && b\nRUN c\n', 2, /carriage return without a line feed/],
    ['FROM debian:12\n# note\rRUN a\nRUN b\n', 2, /carriage return without a line feed/],
    ['FROM debian:12\r\nRUN <<EOF\r\necho a\rEOF\r\nRUN b\r\n', 3, /carriage return without a line feed/],
    ['FROM debian:12\nRUN a \\\n\f\nRUN b\n', 3, /form feed \(U\+000C\); BuildKit reads it as a space/],
    ['FROM debian:12\n\vRUN a\nRUN b\n', 2, /vertical tab \(U\+000B\)/],
    ['FROM debian:12\nRUN\u00a0a\nRUN b\n', 2, /no-break space \(U\+00A0\)/],
    ['FROM debian:12\nRUN a\u2028RUN b\n', 2, /line separator \(U\+2028\).*JavaScript as a line break/],
    ['FROM debian:12\nRUN a\nRUN b\u2029\n', 3, /paragraph separator \(U\+2029\)/],
    ['FROM debian:12\nRUN a\u0085\nRUN b\n', 2, /next-line character \(U\+0085\)/],
    ['FROM debian:12\nRUN a\u3000b\nRUN b\n', 2, /ideographic space/],
    ['FROM debian:12\nRUN a\u2007b\nRUN b\n', 2, /a Unicode space \(U\+2007\)/],
    ['\uFEFFFROM debian:12\nRUN \uFEFFa\nRUN b\n', 2, /byte-order mark \(U\+FEFF\) after the start of the file; BuildKit reads it as part of a word/],
  ];
  for (const [text, line, msg] of cases) {
    let err: unknown = null;
    try { await runPipeline(text, { transforms: selectTransforms(), file: 'Dockerfile' }); } catch (e) { err = e; }
    assert.instance(err, FileError, JSON.stringify(text));
    assert.is((err as FileError).line, line, JSON.stringify(text));
    assert.ok(msg.test((err as FileError).message), `${JSON.stringify(text)}: ${(err as FileError).message}`);
  }
});
h('other control characters are ordinary characters to BuildKit and dockeropt alike: edited around, kept', async () => {
  const text = 'FROM debian:12\nRUN echo a\x1b[0m\nRUN echo b\x7f\u200b\x01\nUSER 1001\n';
  const r = await runPipeline(text, { transforms: selectTransforms(['merge-run']) });
  assert.is(r.text, 'FROM debian:12\nRUN echo a\x1b[0m \\\n    && echo b\x7f\u200b\x01\nUSER 1001\n');
});
h('a heredoc that is never terminated is refused (BuildKit rejects it; lines added after it would land inside it)', async () => {
  for (const [text, name] of [['FROM debian:12\nCOPY <<EOT /etc/motd\nhello', 'EOT'], ['FROM debian:12\nRUN <<EOF <<EOT\na\nEOF\nb\n', 'EOT'], ['FROM debian:12\r\nRUN <<EOF', 'EOF']] as const) {
    let err: unknown = null;
    try { await runPipeline(text, { transforms: selectTransforms(), file: 'Dockerfile' }); } catch (e) { err = e; }
    assert.instance(err, FileError, JSON.stringify(text));
    assert.is((err as FileError).line, 2);
    assert.is((err as FileError).message, `the heredoc <<${name} is never terminated (no line ${name} follows it); BuildKit rejects the file`);
  }
});
/** N stages, each FROM the one before, each with ENV, ARG, a COPY, an install to hoist and two RUNs to merge. */
function manyStages(n: number): string {
  let t = '';
  for (let i = 0; i < n; i++) {
    t += `FROM ${i ? `s${i - 1}` : 'debian:12'} AS s${i}\nENV V${i}=x\nARG A${i}=1\nCOPY a${i} /srv/a${i}\nRUN apt-get update && apt-get install -y curl\nRUN echo ${i}\nRUN echo done ${i}\n`;
  }
  return t;
}
h('2,000 stages are analysed in full (the stage analysis is linear: its time is bounded in npm run bench)', async () => {
  const n = 2000;
  const r = await runPipeline(manyStages(n), { transforms: selectTransforms(['hoist-system-deps', 'merge-run']) });
  const count = (id: string) => r.outcomes.filter((o) => o.kind === 'rewrite' && o.transform === id).length;
  assert.is(count('hoist-system-deps'), n);
  assert.is(count('merge-run'), n);
  assert.is(r.text.split('\n').filter((l) => l.startsWith('FROM ')).length, n);
  assert.ok(r.text.endsWith(`FROM s${n - 2} AS s${n - 1}\nRUN apt-get update && apt-get install -y curl\nENV V${n - 1}=x\nARG A${n - 1}=1\nCOPY a${n - 1} /srv/a${n - 1}\nRUN echo ${n - 1} \\\n    && echo done ${n - 1}\n`), r.text.slice(-400));
});
h('3,000 consecutive RUNs merge into one chain, which every transform then reads without a stack overflow (the join is proven pair by pair, then once)', async () => {
  const n = 3000;
  const input = 'FROM debian:12\n' + Array.from({ length: n }, (_, i) => `RUN echo ${i}`).join('\n') + '\nUSER 1001\n';
  const r = await runPipeline(input, { transforms: selectTransforms() });
  const merged = r.outcomes.filter((o) => o.kind === 'rewrite' && o.transform === 'merge-run');
  assert.is(merged.length, 1);
  assert.ok(merged[0]!.message.startsWith(`merges ${n} consecutive RUN instructions (lines 2, 3, 4, …, ${n + 1}) into one`), merged[0]!.message);
  assert.is(r.text.split('\n').filter((l) => l.startsWith('RUN ')).length, 1);
  assert.ok(r.text.includes(`    && echo ${n - 1}\nUSER 1001\n`));
  const again = await runPipeline(r.text, { transforms: selectTransforms() });
  assert.is(again.text, r.text);
});
/** A 19,999-line file (the most a file may have is 20,000) of RUNs: groups of 999 that merge-run joins, each after an ENV. */
function manyRuns(): string {
  let t = 'FROM debian:12\n';
  for (let i = 0; i < 19_998; i++) t += i % 1000 === 999 ? `ENV STEP=${i}\n` : `RUN echo ${i}\n`;
  return t;
}
/** The unified diffs of a human output: each hunk read by its line counts (the summary follows the last one). */
function diffOf(stdout: string): string {
  const lines = stdout.split('\n');
  const out: string[] = [];
  for (let k = 0; k < lines.length; k++) {
    if (lines[k]!.startsWith('--- a/') && lines[k + 1]?.startsWith('+++ b/')) { out.push(lines[k]!, lines[++k]!); continue; }
    const m = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@$/.exec(lines[k]!);
    if (!m) continue;
    out.push(lines[k]!);
    let old = Number(m[1] ?? 1), add = Number(m[2] ?? 1);
    while (old > 0 || add > 0) {
      const l = lines[++k]!;
      out.push(l);
      if (l.startsWith('-')) old--; else if (l.startsWith('+')) add--; else if (l.startsWith(' ')) { old--; add--; }
    }
  }
  return out.join('\n') + '\n';
}
h('a 20,000-line file of RUNs: its diff (the human output, through the binary) is built from the edits in linear time (bounded in npm run bench)', () => {
  const input = manyRuns();
  const dir = tree({ Dockerfile: input });
  const r = cli(['--only', 'merge-run', 'Dockerfile'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes('merge-run: 20 applied'), r.stdout.slice(-500));
  const patch = diffOf(r.stdout);
  // every RUN line becomes a line of a chain, the FROM and the ENVs stay: one hunk over the whole file
  assert.ok(patch.startsWith('--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,19999 +1,19999 @@\n FROM debian:12\n-RUN echo 0\n'), patch.slice(0, 200));
  assert.is((patch.match(/^-RUN echo \d+$/gm) ?? []).length, 19_979);
  assert.is((patch.match(/^\+(RUN|    &&) echo \d+( \\)?$/gm) ?? []).length, 19_979);
  assert.is((patch.match(/^ ENV STEP=\d+$/gm) ?? []).length, 19);
  const after = applyPatch(input, patch);
  assert.type(after, 'string');
  assert.is((after as string).split('\n').filter((l) => l.startsWith('RUN ')).length, 20);
  assert.ok((after as string).includes('ENV STEP=18999\nRUN echo 19000 \\\n    && echo 19001 \\\n'), (after as string).slice(-400));
  assert.ok((after as string).endsWith('    && echo 19997\n'), (after as string).slice(-200));
  cleanup(dir);
});
h('a file that asks to be ignored is left alone whatever it holds', async () => {
  const text = '# dockeropt ignore-file\nFROM a\nRUN x\rRUN y\n';
  const r = await runPipeline(text, { transforms: selectTransforms() });
  assert.ok(r.ignored);
  assert.is(r.text, text);
});
h.run();
void writeFileSync;
