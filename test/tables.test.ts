/**
 * The knowledge tables (split-copy's ecosystems, the base images, hoist-system-deps' package managers):
 * every row names where its facts come from, a program belongs to one row only, and the docs list what
 * the split-copy rows hold.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ECOSYSTEMS, classify } from '../transforms/split-copy/ecosystems.js';
import { BASE_IMAGES } from '../src/base-images.js';
import { MANAGERS } from '../transforms/hoist-system-deps/analyse.js';

const isUrl = (s: string) => /^https:\/\/\S+/.test(s);

const eco = suite('split-copy ecosystems');
eco('one row per ecosystem, each with its sources', () => {
  assert.is(new Set(ECOSYSTEMS.map((r) => r.eco)).size, ECOSYSTEMS.length);
  for (const r of ECOSYSTEMS) {
    assert.ok(r.sources.length > 0, r.eco);
    for (const s of r.sources) assert.ok(isUrl(s), `${r.eco}: ${s}`);
  }
});
eco('a program runs one ecosystem only', () => {
  const names = ECOSYSTEMS.flatMap((r) => r.tools.filter((t) => typeof t.name === 'string' && !t.then).map((t) => [t.name as string, r.eco] as const));
  assert.is(new Set(names.map(([n]) => n)).size, names.length);
  for (const r of ECOSYSTEMS) {
    for (const t of r.tools) {
      if (typeof t.name === 'string') continue;
      const pattern = t.name;
      assert.equal(names.filter(([n, e]) => e !== r.eco && pattern.test(n)), [], `${r.eco}: ${pattern}`);
    }
  }
});
eco('each row\'s programs are read as its ecosystem', () => {
  for (const r of ECOSYSTEMS) {
    for (const t of r.tools) {
      const pattern = t.name;
      const name = typeof pattern === 'string' ? pattern : ['pip', 'python'].find((n) => pattern.test(n));
      assert.ok(name, `${r.eco}: no sample name for ${String(pattern)}`);
      const c = classify([name!, ...(t.then ?? []), 'x', null]);
      if (t.dynamicIsOther) assert.is(c.kind, 'other', name);
      else assert.equal([c.kind, 'eco' in c ? c.eco : null], ['refuse', r.eco], name);
    }
  }
});
eco('the required file is one of the files copied', () => {
  for (const r of ECOSYSTEMS) if (r.requires) assert.ok(Object.keys(r.files ?? {}).includes(r.requires.file), r.eco);
});
eco('docs/split-copy.md has a row per ecosystem naming the files it copies', () => {
  const doc = readFileSync('docs/split-copy.md', 'utf8');
  const section = doc.slice(doc.indexOf('## What it handles'), doc.indexOf('"Move" means'));
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ecosystem') && !l.startsWith('| ---')).map((l) => l.split(' | '));
  const titleOf = (cell: string) => cell.replace(/^\| /, '');
  for (const r of ECOSYSTEMS) {
    const row = rows.find((cells) => titleOf(cells[0]!) === r.title || titleOf(cells[0]!).startsWith(r.title + ' ('));
    assert.ok(row, `no docs row for ${r.title}`);
    for (const f of Object.keys(r.files ?? {})) assert.ok(row![2]!.includes(f), `${r.title}: ${f} is not in the docs row`);
  }
  assert.is(rows.length, ECOSYSTEMS.length);
});
eco.run();

const images = suite('base images');
images('every row names its source', () => {
  for (const e of BASE_IMAGES) assert.ok(isUrl(e.source), `${e.family}: ${e.source}`);
});
images.run();

const managers = suite('hoist-system-deps package managers');
managers('one row per family, a program in one row, each with its sources', () => {
  assert.is(new Set(MANAGERS.map((m) => m.family)).size, MANAGERS.length);
  const programs = MANAGERS.flatMap((m) => m.programs);
  assert.is(new Set(programs).size, programs.length);
  for (const m of MANAGERS) {
    assert.ok(m.sources.length > 0, m.family);
    for (const s of m.sources) assert.ok(isUrl(s), `${m.family}: ${s}`);
    for (const s of m.installs) assert.ok(m.subcommands.has(s), `${m.family}: ${s} installs but is not a subcommand`);
  }
});
managers.run();
