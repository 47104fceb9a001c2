import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../src/run.js';
import { transformById } from '../transforms/index.js';
import { cleanup, tree } from './helpers/tmp.js';

const r = suite('run: ordered results');
r('onOrdered hands out every result once, in sorted order, whatever order files finish in', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) {
    // uneven sizes so that concurrent files finish out of order
    const runs = Array.from({ length: 1 + ((i * 7) % 13) * 20 }, (_, k) => `RUN echo ${k}`).join('\n');
    files[`svc-${String(i).padStart(2, '0')}/Dockerfile`] = `FROM debian:12\n${runs}\n`;
  }
  const dir = tree(files);
  const finished: string[] = [];
  const ordered: string[] = [];
  const res = await run({
    cwd: dir, paths: ['.'], transforms: [transformById('merge-run')!], concurrency: 8, threads: false,
    onFile: (_d, _t, f) => finished.push(f.file),
    onOrdered: (f) => ordered.push(f.file),
  });
  const sorted = [...finished].sort();
  assert.equal(ordered, sorted);
  assert.is(ordered.length, 40);
  assert.equal(res.files.map((f) => f.file), sorted);
  cleanup(dir);
});
r.run();
