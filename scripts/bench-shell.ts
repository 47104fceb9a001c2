/**
 * npm run bench:shell: what a cheaper shell parser would buy (issue 17). Collects the shell text of every
 * shell-form RUN of the shared corpus (../shared/corpus/dockerfiles, else this repo's snapshot inputs)
 * exactly as dockeropt parses it (DocView + runShellView), then measures, each parser in a fresh child
 * process so that the load and the first pass are really cold:
 *   mvdan-sh, parseShell: the project's own entry point (parse + conversion of the GopherJS tree into
 *     plain objects, what dockeropt pays). parseShell keeps a cache of the last 512 texts: the texts are
 *     deduplicated, and between two passes 512 filler texts push every earlier result out (untimed); the
 *     child counts cache hits (a result identical to the previous pass's) and the run fails unless it is 0;
 *   mvdan-sh, raw: syntax.NewParser(KeepComments, LangBash).Parse(text), no conversion;
 *   tree-sitter-bash through web-tree-sitter (WASM, the grammar file tree-sitter-bash ships), parse only
 *     (each tree deleted), and parse + a cursor walk over every node (type and offsets), the least a
 *     conversion or an analysis would read;
 *   tree-sitter-bash through @ast-grep/napi (native; bash is a dynamic language, registered from the
 *     prebuilt parser.so that @ast-grep/lang-bash ships), parse only, and parse + a walk over children().
 * For each: load (import + init), first pass (ms per text), warm passes (median of 5, ms per text), and
 * how many texts it rejects: mvdan-sh a syntax error, tree-sitter a tree with an error (hasError: ERROR or
 * MISSING nodes; ast-grep has no hasError, so an ERROR node or a zero-width leaf). Lists up to 10 texts on
 * which a parser and mvdan-sh disagree. The referee is the real bash's parser, `bash -n -c TEXT` (reads
 * the text, executes nothing), on every text, untimed: the table counts each parser's rejections that bash
 * accepts and its acceptances that bash rejects. Prints a table and writes bench/shell-parsers.json.
 * A script, not a test; run it on an idle machine.
 * Usage: npm run bench:shell
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const require = createRequire(import.meta.url);
const WARM = 5;

interface ChildResult {
  parser: string;
  loadMs: number;
  firstMsPerText: number;
  warmMsPerText: number;
  warmPassesMs: number[];
  /** Per text: why it was rejected (mvdan-sh's message, or 'error' for tree-sitter), or null. */
  rejected: (string | null)[];
  cacheHits?: number;
  version: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pkgVersion = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** Times a first pass and WARM more passes of `parse` over the texts; `between` runs untimed after each pass. */
function passes(texts: string[], parse: (t: string, i: number) => void, between: () => void = () => {}) {
  const times: number[] = [];
  for (let p = 0; p <= WARM; p++) {
    const t0 = performance.now();
    for (let i = 0; i < texts.length; i++) parse(texts[i]!, i);
    times.push(performance.now() - t0);
    between();
  }
  return { firstMsPerText: times[0]! / texts.length, warmMsPerText: median(times.slice(1)) / texts.length, warmPassesMs: times.slice(1) };
}

async function child(parser: string, file: string): Promise<ChildResult> {
  const texts = JSON.parse(readFileSync(file, 'utf8')) as string[];
  if (parser === 'mvdan-parseShell') {
    const t0 = performance.now();
    const { parseShell } = await import('../src/shell.js');
    const loadMs = performance.now() - t0;
    let prev: unknown[] = [];
    let cur: unknown[] = [];
    let cacheHits = 0;
    let filler = 0;
    const r = passes(texts, (t, i) => { const res = parseShell(t); cur[i] = res; if (prev[i] === res) cacheHits++; }, () => {
      // push every text of this pass out of parseShell's cache (512 entries, first in first out)
      for (let k = 0; k < 512; k++) parseShell(`: filler ${filler++}`);
      prev = cur;
      cur = [];
    });
    const rejected = prev.map((res) => ('error' in (res as object) ? (res as { error: string }).error : null));
    return { parser, loadMs, ...r, rejected, cacheHits, version: pkgVersion('mvdan-sh') };
  }
  if (parser === 'mvdan-raw') {
    const t0 = performance.now();
    const { syntax } = require('mvdan-sh') as { syntax: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const p = syntax.NewParser(syntax.KeepComments(true), syntax.Variant(syntax.LangBash));
    const loadMs = performance.now() - t0;
    const rejected: (string | null)[] = texts.map(() => null);
    const r = passes(texts, (t, i) => {
      try { p.Parse(t, ''); rejected[i] = null; } catch (e) {
        const err = e as { Error?: () => string };
        rejected[i] = typeof err?.Error === 'function' ? err.Error() : String(e);
      }
    });
    return { parser, loadMs, ...r, rejected, version: pkgVersion('mvdan-sh') };
  }
  if (parser === 'web-tree-sitter' || parser === 'web-tree-sitter+walk') {
    const t0 = performance.now();
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const lang = await Language.load(join(root, 'node_modules/tree-sitter-bash/tree-sitter-bash.wasm'));
    const p = new Parser();
    p.setLanguage(lang);
    const loadMs = performance.now() - t0;
    const walk = parser.endsWith('+walk');
    let sink = 0;
    const r = passes(texts, (t) => {
      const tree = p.parse(t)!;
      if (walk) {
        const c = tree.walk();
        for (;;) {
          sink += c.nodeType.length + c.startIndex + c.endIndex;
          if (c.gotoFirstChild()) continue;
          while (!c.gotoNextSibling()) if (!c.gotoParent()) break;
          if (c.currentDepth === 0) break;
        }
        c.delete();
      }
      tree.delete();
    });
    const rejected = texts.map((t) => { const tree = p.parse(t)!; const e = tree.rootNode.hasError; tree.delete(); return e ? 'error' : null; });
    if (sink < 0) console.log(sink);
    return { parser, loadMs, ...r, rejected, version: `web-tree-sitter ${pkgVersion('web-tree-sitter')}, tree-sitter-bash ${pkgVersion('tree-sitter-bash')}` };
  }
  if (parser === 'ast-grep' || parser === 'ast-grep+walk') {
    const t0 = performance.now();
    const napi = await import('@ast-grep/napi');
    napi.registerDynamicLanguage({ bash: require('@ast-grep/lang-bash') });
    const loadMs = performance.now() - t0;
    const walk = parser.endsWith('+walk');
    let sink = 0;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const visit = (n: any) => { sink += (n.kind() as string).length + n.range().start.index; for (const c of n.children()) visit(c); };
    const r = passes(texts, (t) => {
      const sg = napi.parse('bash' as never, t);
      if (walk) visit(sg.root());
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const hasError = (n: any, top: boolean): boolean => {
      if (n.kind() === 'ERROR') return true;
      const kids = n.children();
      if (kids.length === 0) { const rg = n.range(); return !top && rg.start.index === rg.end.index; } // a MISSING node
      return kids.some((c: unknown) => hasError(c, false));
    };
    const rejected = texts.map((t) => (hasError(napi.parse('bash' as never, t).root(), true) ? 'error' : null));
    if (sink < 0) console.log(sink);
    return { parser, loadMs, ...r, rejected, version: `@ast-grep/napi ${pkgVersion('@ast-grep/napi')}, @ast-grep/lang-bash ${pkgVersion('@ast-grep/lang-bash')}` };
  }
  throw new Error(`unknown parser ${parser}`);
}

/** The shell text of every shell-form RUN, as dockeropt's pipeline parses it. */
async function collect(): Promise<{ source: string; files: number; texts: string[] }> {
  const { BOM, DocView, readingHazard, isExecForm } = await import('../src/document.js');
  const { runShellView } = await import('../src/shell.js');
  const corpus = join(root, '../shared/corpus/dockerfiles');
  const inputs: string[] = [];
  let source: string;
  if (existsSync(corpus)) {
    source = '../shared/corpus/dockerfiles';
    for (const f of readdirSync(corpus).sort()) inputs.push(readFileSync(join(corpus, f), 'utf8'));
  } else {
    source = 'snapshots/*/*/input.Dockerfile';
    const snaps = join(root, 'snapshots');
    for (const t of readdirSync(snaps).sort()) for (const c of readdirSync(join(snaps, t)).sort()) {
      const p = join(snaps, t, c, 'input.Dockerfile');
      if (existsSync(p)) inputs.push(readFileSync(p, 'utf8'));
    }
  }
  const texts: string[] = [];
  for (const raw of inputs) {
    const text = raw.startsWith(BOM) ? raw.slice(1) : raw;
    if (readingHazard(text)) continue; // the pipeline refuses such a file before parsing it
    const doc = new DocView(text);
    for (const ins of doc.dockerfile.getInstructions()) {
      if (ins.getKeyword() !== 'RUN' || isExecForm(ins)) continue;
      const view = runShellView(doc, ins);
      if (view) texts.push(view.text);
    }
  }
  return { source, files: inputs.length, texts };
}

const PARSERS = ['mvdan-parseShell', 'mvdan-raw', 'web-tree-sitter', 'web-tree-sitter+walk', 'ast-grep', 'ast-grep+walk'];
const LABELS: Record<string, string> = {
  'mvdan-parseShell': 'mvdan-sh, parseShell (parse + plain tree)',
  'mvdan-raw': 'mvdan-sh, raw Parse',
  'web-tree-sitter': 'tree-sitter-bash, web-tree-sitter (WASM)',
  'web-tree-sitter+walk': '  + cursor walk of every node',
  'ast-grep': 'tree-sitter-bash, @ast-grep/napi (native)',
  'ast-grep+walk': '  + children() walk of every node',
};

async function main() {
  const { source, files, texts: all } = await collect();
  const { MAX_SHELL_CHARS } = await import('../src/shell.js');
  const texts = [...new Set(all)].filter((t) => t.length <= MAX_SHELL_CHARS);
  const chars = all.reduce((n, t) => n + t.length, 0);
  const uchars = texts.reduce((n, t) => n + t.length, 0);
  console.log(`${source}: ${files} files, ${all.length} shell-form RUNs, ${chars} characters; ${texts.length} distinct texts (${uchars} characters) measured`);
  const tmp = mkdtempSync(join(tmpdir(), 'dockeropt-bench-shell-'));
  const file = join(tmp, 'texts.json');
  writeFileSync(file, JSON.stringify(texts));
  const results: ChildResult[] = [];
  try {
    for (const p of PARSERS) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', p, file], { encoding: 'utf8', cwd: root, maxBuffer: 256 << 20 });
      if (r.status !== 0) throw new Error(`${p}: the child process failed (${r.status}):\n${r.stderr}`);
      results.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const base = results[0]!;
  if (base.cacheHits !== 0) throw new Error(`parseShell's cache answered ${base.cacheHits} times: the numbers would not be parse times`);
  const short = (t: string) => JSON.stringify(t.length > 100 ? `${t.slice(0, 100)}…` : t);
  // the tie-breaker: the real bash's own parser (`bash -n`: read, do not execute), untimed
  const bashVersion = spawnSync('bash', ['-c', 'echo $BASH_VERSION'], { encoding: 'utf8' }).stdout.trim();
  const bash = texts.map((t) => spawnSync('bash', ['-n', '-c', t], { encoding: 'utf8' }).status !== 0);
  const rows: string[][] = [['parser', 'load ms', 'first pass ms/RUN', `warm ms/RUN (median of ${WARM})`, 'rejected', 'bash -n accepts', 'bash -n rejects, it accepts', 'disagree with mvdan-sh']];
  const out: Record<string, unknown> = { source, files, runs: all.length, chars, distinctTexts: texts.length, distinctChars: uchars, date: new Date().toISOString(), parsers: [] as unknown[] };
  const details: string[] = [];
  for (const r of results) {
    const rej = r.rejected.filter((x) => x !== null).length;
    const dis: number[] = [];
    r.rejected.forEach((x, i) => { if ((x === null) !== (base.rejected[i] === null)) dis.push(i); });
    const falseRejects = r.rejected.filter((x, i) => x !== null && !bash[i]).length;
    const falseAccepts = r.rejected.filter((x, i) => x === null && bash[i]).length;
    rows.push([LABELS[r.parser]!, r.loadMs.toFixed(0), r.firstMsPerText.toFixed(3), r.warmMsPerText.toFixed(3), String(rej), String(falseRejects), String(falseAccepts), r === base ? '-' : String(dis.length)]);
    const verdict = (i: number) => `bash -n ${bash[i] ? 'rejects' : 'accepts'}`;
    if (r === base && falseRejects + falseAccepts) {
      details.push(`mvdan-sh and bash -n disagree on ${falseRejects + falseAccepts} texts:`);
      r.rejected.forEach((x, i) => { if ((x !== null) !== bash[i]) details.push(`  mvdan-sh ${x ? `rejects (${x})` : 'accepts'}, ${verdict(i)}: ${short(texts[i]!)}`); });
    }
    if (dis.length && !r.parser.endsWith('+walk')) {
      const heredocs = dis.filter((i) => texts[i]!.startsWith('<<')).length;
      details.push(`${r.parser} and mvdan-sh disagree on ${dis.length} texts (${heredocs} of them a RUN <<EOF heredoc, whose shell text starts with the redirection)${dis.length > 10 ? ', the first 10' : ''}:`);
      for (const i of dis.slice(0, 10)) details.push(`  ${r.parser} ${r.rejected[i] ? 'rejects' : 'accepts'}, mvdan-sh ${base.rejected[i] ? `rejects (${base.rejected[i]})` : 'accepts'}, ${verdict(i)}: ${short(texts[i]!)}`);
    }
    (out.parsers as unknown[]).push({ parser: r.parser, version: r.version, loadMs: r.loadMs, firstMsPerRun: r.firstMsPerText, warmMsPerRun: r.warmMsPerText, warmPassesMs: r.warmPassesMs, rejected: rej, disagree: r === base ? 0 : dis.length, falseRejects, falseAccepts, disagreeTexts: dis.map((i) => ({ text: texts[i], parser: r.rejected[i], mvdan: base.rejected[i], bashRejects: bash[i] })), ...(r.cacheHits !== undefined ? { cacheHits: r.cacheHits } : {}) });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const [k, row] of rows.entries()) {
    console.log(`| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`);
    if (k === 0) console.log(`| ${widths.map((w, c) => (c === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
  }
  console.log(`versions: mvdan-sh ${[...new Set(results.map((r) => r.version))].join('; ')}; bash ${bashVersion}; parseShell cache hits: ${base.cacheHits}`);
  out.bash = bashVersion;
  out.bashRejects = bash.filter(Boolean).length;
  for (const d of details) console.log(d);
  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(join(root, 'bench/shell-parsers.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log('wrote bench/shell-parsers.json');
}

const k = process.argv.indexOf('--child');
if (k !== -1) console.log(JSON.stringify(await child(process.argv[k + 1]!, process.argv[k + 2]!)));
else await main();
