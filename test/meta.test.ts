/**
 * Meta-test: every transform in transforms/index.ts has what docs/design.md ("Adding a transform") asks
 * for, so the documentation stays true as transforms are added or changed:
 * - an entry file `transforms/<id>.ts` or `transforms/<id>/index.ts` (found through index.ts's imports)
 *   that starts with a header comment: `<id>: what it does`, when it refuses (`Refuses … when` /
 *   `refuses … when`), and an example as `Before:` … `After:`;
 * - a page `docs/<id>.md` titled `# <id>` that names the transform's label;
 * - at least one rewrite snapshot case (an output.Dockerfile) and one refusal case (a report.txt with a
 *   `refuse` line; snapshots.test.ts checks that the report is what the transform says);
 * - a row in the README's table of transforms, `| [\`<id>\`](docs/<id>.md) | <label> | what | before |
 *   after |`, in pipeline order, and a row in docs/design.md's order table.
 * Also: every relative link in README.md and docs/*.md points to a file (and heading) that exists.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transforms } from '../transforms/index.js';
import { loadCases } from './helpers/fixtures.js';
import type { Transform } from '../src/types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const cases = loadCases();

/** The entry file (relative to the repo root) of each transform id, from the relative imports of transforms/index.ts. */
async function entryFiles(): Promise<Map<string, string>> {
  const index = read('transforms/index.ts');
  const out = new Map<string, string>();
  for (const m of index.matchAll(/^import\s+(?:type\s+)?\{[^}]*\}\s+from\s+'(\.\/[^']+)';/gm)) {
    const rel = join('transforms', m[1]!.replace(/\.js$/, '.ts'));
    const mod = (await import(pathToFileURL(join(ROOT, rel)).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      const t = v as Partial<Transform> | null;
      if (t && typeof t === 'object' && typeof t.id === 'string' && typeof t.apply === 'function') out.set(t.id, rel);
    }
  }
  return out;
}

/** The leading `/** … *\/` block of a source file, without the comment markers; null when the file does not start with one. */
function headerOf(source: string): string | null {
  const m = /^\s*\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!m) return null;
  return m[1]!.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n').trim();
}

/** What a header lacks, by the convention in docs/design.md; empty when it has every part. */
function headerProblems(id: string, header: string | null): string[] {
  if (header === null) return ['no header comment (a /** … */ block at the top of the file)'];
  const problems: string[] = [];
  const first = header.split('\n')[0] ?? '';
  if (!first.startsWith(`${id}: `) || first.slice(id.length + 2).trim() === '') problems.push(`its first line is not "${id}: <what it does>"`);
  if (!/\brefuses\b[^.]*?\bwhen\b/i.test(header)) problems.push('it does not say when it refuses ("Refuses … when …")');
  const before = /^Before:[ \t]*(\S.*)$/m.exec(header);
  const after = /After:[ \t]*(\S.*)$/m.exec(header.slice(before ? before.index : 0));
  if (!before) problems.push('no "Before:" example line');
  if (!before || !after) problems.push('no "After:" example after the "Before:" one');
  return problems;
}

/** The cells of a Markdown table row (split on unescaped pipes), trimmed. */
const cells = (row: string) => row.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());

/** README rows of the transforms table, by id, in the order they appear. */
function readmeRows(readme: string): { id: string; cells: string[] }[] {
  const rows: { id: string; cells: string[] }[] = [];
  for (const line of readme.split('\n')) {
    const m = /^\| \[`([a-z0-9-]+)`\]\(docs\/([a-z0-9-]+)\.md\) \|/.exec(line);
    if (m) rows.push({ id: m[1]!, cells: [m[2]!, ...cells(line).slice(1)] });
  }
  return rows;
}

const entries = await entryFiles();
const readme = read('README.md');
const rows = readmeRows(readme);
const design = read('docs/design.md');

const meta = suite('meta: every transform is documented and tested');

meta('transforms/index.ts imports every transform of the pipeline, each from its own file', () => {
  assert.ok(transforms.length > 0);
  for (const t of transforms) assert.ok(entries.has(t.id), `~> ${t.id}: no relative import in transforms/index.ts exports it`);
});

for (const t of transforms) {
  meta(`${t.id}: its entry file is transforms/${t.id}.ts or transforms/${t.id}/index.ts`, () => {
    const file = entries.get(t.id);
    assert.ok(file === `transforms/${t.id}.ts` || file === `transforms/${t.id}/index.ts`, `~> ${t.id} lives in ${file}`);
  });

  meta(`${t.id}: the header comment says what it does, when it refuses, and gives a Before:/After: example`, () => {
    const file = entries.get(t.id);
    assert.ok(file, `~> ${t.id}: entry file not found`);
    assert.equal(headerProblems(t.id, headerOf(read(file))), [], `~> ${file}: header comment`);
  });

  meta(`${t.id}: docs/${t.id}.md exists, is titled "# ${t.id}" and names its label (${t.safety})`, () => {
    const rel = `docs/${t.id}.md`;
    assert.ok(existsSync(join(ROOT, rel)), `~> ${rel} is missing`);
    const text = read(rel);
    assert.ok(text.startsWith(`# ${t.id}\n`), `~> ${rel} does not start with "# ${t.id}"`);
    assert.ok(text.includes(t.safety), `~> ${rel} does not name the label ${t.safety}`);
  });

  meta(`${t.id}: at least one rewrite and one refusal snapshot case`, () => {
    const own = cases.filter((c) => c.transform === t.id);
    const rewrites = own.filter((c) => c.output !== null);
    const refusals = own.filter((c) => c.report?.some((l) => /^\d+ refuse \S/.test(l)));
    assert.ok(rewrites.length > 0, `~> snapshots/${t.id}/: no case with an output.Dockerfile (a rewrite)`);
    assert.ok(refusals.length > 0, `~> snapshots/${t.id}/: no case whose report.txt has a "refuse" line`);
  });

  meta(`${t.id}: a README row with its docs link, its label, what it does and a before/after`, () => {
    const row = rows.find((r) => r.id === t.id);
    assert.ok(row, `~> README.md has no row starting "| [\`${t.id}\`](docs/${t.id}.md) |"`);
    assert.is(row.cells[0], t.id, `~> the README row of ${t.id} links to docs/${row.cells[0]}.md`);
    assert.is(row.cells.length, 5, `~> the README row of ${t.id} should have 5 cells (transform, label, what it does, before, after)`);
    assert.ok(row.cells[1]!.startsWith(t.safety), `~> the README row of ${t.id} gives the label "${row.cells[1]}", not ${t.safety}`);
    for (const [k, name] of [[2, 'what it does'], [3, 'before'], [4, 'after']] as const) {
      assert.ok(row.cells[k]!.length > 0, `~> the README row of ${t.id} has an empty "${name}" cell`);
    }
  });

  meta(`${t.id}: a row in docs/design.md's order table`, () => {
    assert.ok(new RegExp(`^\\| \\d+ \\| ${t.id} \\|`, 'm').test(design), `~> docs/design.md's order table has no row for ${t.id}`);
  });
}

meta('the README table lists the transforms in pipeline order, and no others', () => {
  assert.equal(rows.map((r) => r.id), transforms.map((t) => t.id));
});

meta("docs/design.md's order table lists the transforms in pipeline order", () => {
  const order = [...design.matchAll(/^\| (\d+) \| ([a-z0-9-]+) \|/gm)].map((m) => m[2]);
  assert.equal(order, transforms.map((t) => t.id));
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[`*_]/g, '').replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-');

meta('every relative link in README.md and docs/*.md points to a file and heading that exist', () => {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const problems: string[] = [];
  for (const f of files) {
    // links inside code blocks and code spans are examples, not links
    const text = read(f).replace(/```[\s\S]*?```/g, '').replace(/(`+)[\s\S]*?\1/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const abs = path === '' ? join(ROOT, f) : resolve(dirname(join(ROOT, f)), path);
      if (!abs.startsWith(ROOT)) { problems.push(`${f}: ${target} points outside the repository`); continue; }
      if (!existsSync(abs)) { problems.push(`${f}: ${target}: no such file`); continue; }
      if (anchor && abs.endsWith('.md')) {
        const headings = readFileSync(abs, 'utf8').replace(/```[\s\S]*?```/g, '').split('\n').filter((l) => /^#+ /.test(l)).map((l) => slug(l.replace(/^#+ /, '')));
        if (!headings.includes(anchor)) problems.push(`${f}: ${target}: no heading #${anchor} in ${relative(ROOT, abs)}`);
      }
    }
  }
  assert.equal(problems, []);
});

meta('README.md names no file outside the repository', () => {
  assert.not.ok(/\.\.\/shared|\(\.\.\//.test(readme), '~> README.md refers to ../');
});

meta.run();
