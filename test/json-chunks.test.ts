/** jsonChunks / writeJson (src/report/json-chunks.ts) write exactly JSON.stringify(value, null, 2). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonChunks, writeJson } from '../src/report/json-chunks.js';

const chunks = suite('json chunks');

const same = (v: unknown, depth?: number) => {
  assert.is([...jsonChunks(v, depth)].join(''), JSON.stringify(v, null, 2), JSON.stringify(v));
  let out = '';
  writeJson({ write: (s: string) => { out += s; } }, v, depth);
  assert.is(out, JSON.stringify(v, null, 2) + '\n');
};

chunks('the same bytes as JSON.stringify for the shapes the reports have, at every depth', () => {
  const values: unknown[] = [
    null, 0, -1.5, 'x', '', true, [], {}, [[]], [{}], { a: [] }, { a: {} },
    { version: '1', files: [], summary: { changed: 0 } },
    { files: [{ file: 'a/Dockerfile', outcomes: [{ line: 3, message: 'merges\n"two"\tRUNs → one', kind: 'rewrite' }], diff: '--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n' }, { file: 'b', outcomes: [], diff: '' }] },
    { a: undefined, b: () => 1, c: 1, d: [undefined, () => 2, 3], e: { f: undefined } },
    { only: undefined },
    [1, [2, [3, [4, [5, { deep: ['x', { y: null }] }]]]]],
    { s: '\u2028\u2029\u0000\ud83d\ude00 é' },
    { date: new Date(0), nested: { toJSON: () => 'custom' } },
  ];
  for (const v of values) for (const depth of [0, 1, 2, 3, 5, 9]) same(v, depth);
});

chunks('random documents: the same bytes', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const gen = (d: number): unknown => {
    const r = rnd();
    if (d <= 0 || r < 0.3) return [null, 1, 'a\nb', '', true, undefined][Math.floor(rnd() * 6)];
    if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(d - 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [`k${i}${rnd() < 0.2 ? '"' : ''}`, gen(d - 1)]));
  };
  for (let i = 0; i < 500; i++) { const v = gen(5); if (v !== undefined) same(v, 1 + (i % 6)); }
});

chunks.run();
