// The pipeline's pass loop does each piece of work once: a transform is not asked again about a text it
// had nothing to apply to, --check (stopAtChange) ends after the first pass that changes a file, and the
// commands of a parsed RUN are listed once for every transform that asks.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runPipeline } from '../src/pipeline.js';
import { insertAt } from '../src/edits.js';
import { parseShell, simpleCommands } from '../src/shell.js';
import { transforms as builtIn } from '../transforms/index.js';
import type { Transform } from '../src/types.js';
import { join } from 'node:path';
import { cli, cleanup, tree } from './helpers/tmp.js';

/** Adds `# tagged` after the FROM line once; records every text it is shown. */
function tagger(seen: string[]): Transform {
  return {
    id: 'tagger', summary: 'x', safety: 'build-only', defaults: {},
    apply: (doc) => {
      seen.push(doc.text);
      if (doc.text.includes('# tagged')) return [];
      return [{ kind: 'rewrite', line: 1, message: 'tag', edits: [insertAt(doc.lineStart(1), '# tagged\n')] }];
    },
  };
}
/** Never changes anything, refuses on every call; records every text it is shown. */
function watcher(id: string, seen: string[]): Transform {
  return { id, summary: 'x', safety: 'build-only', defaults: {}, apply: (doc) => { seen.push(doc.text); return [{ kind: 'refuse', line: 1, reason: 'nothing to do' }]; } };
}

const passes = suite('pipeline passes');
passes('a transform is not asked again about a text it had nothing to apply to; the result is the settled one', async () => {
  const a: string[] = [], b: string[] = [], c: string[] = [];
  const r = await runPipeline('FROM x\nRUN a\n', { transforms: [watcher('before', a), tagger(b), watcher('after', c)] });
  assert.is(r.text, 'FROM x\n# tagged\nRUN a\n');
  // pass 1: all three; pass 2 (confirming): `before` and `tagger` see the new text, `after` already saw it
  assert.equal(a, ['FROM x\nRUN a\n', 'FROM x\n# tagged\nRUN a\n']);
  assert.equal(b, ['FROM x\nRUN a\n', 'FROM x\n# tagged\nRUN a\n']);
  assert.equal(c, ['FROM x\n# tagged\nRUN a\n']);
  // the first pass's refusals are all reported, once
  assert.equal(r.outcomes.map((o) => `${o.transform}:${o.kind}`), ['before:refuse', 'tagger:rewrite', 'after:refuse']);
});
passes('stopAtChange ends after the first pass that changed the text, with all of its outcomes', async () => {
  const a: string[] = [], b: string[] = [], c: string[] = [];
  const full = await runPipeline('FROM x\n', { transforms: [watcher('before', []), tagger([]), watcher('after', [])] });
  const r = await runPipeline('FROM x\n', { transforms: [watcher('before', a), tagger(b), watcher('after', c)], stopAtChange: true });
  assert.is(a.length + b.length + c.length, 3);
  assert.is.not(r.text, 'FROM x\n');
  assert.equal(r.outcomes, full.outcomes);
  // an unchanged file is confirmed as before (one pass either way)
  const same = await runPipeline('FROM x\n# tagged\n', { transforms: [tagger([])], stopAtChange: true });
  assert.is(same.text, 'FROM x\n# tagged\n');
});
passes('the built-in pipeline gives the same result with and without stopAtChange when nothing changes, and the same first-pass outcomes when it does', async () => {
  const offline = builtIn.filter((t) => !t.network);
  const text = 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nCOPY . /app\n';
  const full = await runPipeline(text, { transforms: offline });
  const check = await runPipeline(text, { transforms: offline, stopAtChange: true });
  assert.is.not(full.text, text);
  assert.is.not(check.text, text);
  assert.equal(check.outcomes.filter((o) => o.kind !== 'rewrite'), full.outcomes.filter((o) => o.kind !== 'rewrite'));
  const settled = await runPipeline(full.text, { transforms: offline, stopAtChange: true });
  assert.is(settled.text, full.text);
});
passes.run();

const shared = suite('shared RUN analysis');
shared('the commands of a parsed RUN are listed once and cannot be changed by one of the callers', () => {
  const p = parseShell('apt-get update && apt-get install -y curl');
  if ('error' in p) throw new Error(p.error);
  const first = simpleCommands(p.file);
  assert.is(simpleCommands(p.file), first);
  assert.equal(first.map((c) => c.words), [['apt-get', 'update'], ['apt-get', 'install', '-y', 'curl']]);
  assert.throws(() => (first as unknown as string[][]).push([]));
  assert.throws(() => (first[0]!.words as string[]).push('x'));
});
shared.run();

const streaming = suite('cli: JSON and SARIF let go of each file\'s texts as it finishes');
streaming('the document is the same bytes as from the texts kept to the end (--diff-out keeps them)', () => {
  const dir = tree({
    'a/Dockerfile': 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nCOPY . /app\nCMD ["/app/run"]\n',
    'b/Dockerfile': 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n',
    'c/Dockerfile': 'FROM alpine:3.20\nCMD ["true"]\n',
    'd/Dockerfile': Buffer.from('FROM x\0\n'),
  });
  for (const args of [['--format', 'json', '--check'], ['--format', 'sarif', '--report-refusals'], ['--check', '--runtime']]) {
    const streamed = cli([...args, '.'], dir);
    const kept = cli([...args, '--diff-out', join(dir, 'out.patch'), '.'], dir);
    assert.is(streamed.status, kept.status, args.join(' '));
    assert.ok(streamed.stdout.length > 0, args.join(' '));
    assert.is(streamed.stdout, kept.stdout, args.join(' '));
    assert.is(streamed.stderr, kept.stderr.replace(/dockeropt: wrote the patch of .*\n/, ''), args.join(' '));
  }
  cleanup(dir);
});
streaming.run();
