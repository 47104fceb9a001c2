/**
 * split-copy's promise: the files in the final image do not change. A small model of COPY/ADD from the
 * build context (WORKDIR, ENV/ARG in destinations, directory and file sources, the .dockerignore) computes
 * which context file ends up at which image path in every stage; the input and the output of every
 * snapshot case, and of generated cases (fast-check), must give the same map. Also: every new manifest
 * COPY copies only paths the context sends, and the full COPY is still there, after the install.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { DocView, isExecForm } from '../src/document.js';
import { runPipeline } from '../src/pipeline.js';
import { contextFs } from '../src/context-fs.js';
import { splitCopy } from '../transforms/split-copy/index.js';
import { loadCases } from './helpers/fixtures.js';
import { cleanup, tree } from './helpers/tmp.js';

const ignore = ((dockerignore as unknown as { default?: typeof dockerignore }).default ?? dockerignore) as unknown as (typeof import('@balena/dockerignore'))['default'];

/** Every file the context sends (relative paths), with the .dockerignore applied as BuildKit does. */
function sentFiles(root: string): string[] {
  const ig = existsSync(join(root, '.dockerignore')) ? ignore().add(readFileLines(join(root, '.dockerignore'))) : null;
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      if (statSync(join(root, r)).isDirectory()) walk(r);
      else if (!ig || !ig.ignores(r)) out.push(r);
    }
  };
  walk('');
  return out;
}
const readFileLines = (p: string) => readFileSync(p, 'utf8').split(/\r?\n/);

/** Image path -> context path, per stage, after every COPY/ADD from the context. */
function imageFiles(text: string, root: string): Map<string, string>[] {
  const doc = new DocView(text);
  const sent = sentFiles(root);
  const out: Map<string, string>[] = [];
  for (const stage of doc.stages()) {
    const files = new Map<string, string>();
    const vars = new Map<string, string>();
    let wd = '/';
    const expand = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => vars.get((a ?? b)!) ?? '');
    const abs = (p: string) => posix.normalize(expand(p).startsWith('/') ? expand(p) : posix.join(wd, expand(p)));
    for (const ins of stage.instructions) {
      const kw = ins.getKeyword();
      if (kw === 'WORKDIR') wd = abs(ins.getArguments()[0]!.getValue());
      if (kw === 'ENV' || kw === 'ARG') {
        for (const p of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
          if (p.getValue() !== null) vars.set(p.getName(), p.getValue()!);
        }
      }
      if (kw !== 'COPY' && kw !== 'ADD') continue;
      if ((ins as unknown as { getFlags(): { getName(): string }[] }).getFlags().some((f) => f.getName() === 'from')) continue;
      assert.not.ok(isExecForm(ins), 'the model does not handle JSON-form COPY');
      const args = ins.getArguments().map((a) => a.getValue());
      const dest = args.pop()!;
      const destDir = dest.endsWith('/') || dest === '.' || args.length > 1;
      for (const src of args) {
        const s = posix.normalize(src).replace(/\/$/, '');
        if (s === '.') { for (const f of sent) files.set(posix.join(abs(dest), f), f); continue; }
        const inside = sent.filter((f) => f.startsWith(s + '/'));
        if (inside.length) { for (const f of inside) files.set(posix.join(abs(dest), f.slice(s.length + 1)), f); continue; }
        assert.ok(sent.includes(s), `COPY source ${src} is not sent by the context`);
        files.set(destDir ? posix.join(abs(dest), posix.basename(s)) : abs(dest), s);
      }
    }
    out.push(files);
  }
  return out;
}

const fullCopies = (text: string | DocView) => (typeof text === 'string' ? new DocView(text) : text).instructions().filter((i) => (i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD')
  && !(i as unknown as { getFlags(): { getName(): string }[] }).getFlags().some((f) => f.getName() === 'from')
  && i.getArguments().length === 2 && ['.', './'].includes(i.getArguments()[0]!.getValue()));

/** Checks the promise on one input/output pair. */
function checkPair(input: string, output: string, root: string, label: string) {
  assert.equal([...imageFiles(output, root)].map((m) => [...m].sort()), [...imageFiles(input, root)].map((m) => [...m].sort()), `${label}: the files in the image changed`);
  const before = fullCopies(input), after = fullCopies(output);
  assert.is(after.length, before.length, `${label}: a full COPY was dropped or added`);
  if (input === output) return;
  const doc = new DocView(output);
  const inputCopies = new Set(new DocView(input).instructions().filter((i) => i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD').map((i) => i.getArguments().map((a) => a.getValue()).join(' ')));
  // the full copies: of the context, or of one of its directories (a service of a monorepo)
  const isDir = (src: string) => src === '.' || src === './' || (existsSync(join(root, src)) && statSync(join(root, src)).isDirectory());
  const outFull = doc.instructions().filter((i) => (i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD') && !(i as unknown as { getFlags(): { getName(): string }[] }).getFlags().some((f) => f.getName() === 'from')
    && i.getArguments().length === 2 && isDir(i.getArguments()[0]!.getValue()) && inputCopies.has(i.getArguments().map((a) => a.getValue()).join(' ')));
  const sent = new Set(sentFiles(root));
  for (const stage of doc.stages()) {
    const list = stage.instructions;
    for (const [k, ins] of list.entries()) {
      if (ins.getKeyword() !== 'COPY' || inputCopies.has(ins.getArguments().map((a) => a.getValue()).join(' '))) continue;
      // a new manifest COPY: sources are sent by the context, and a RUN then the full COPY follow it
      for (const a of ins.getArguments().slice(0, -1)) {
        const s = a.getValue();
        assert.ok(sent.has(s) || [...sent].some((f) => f.startsWith(s + '/')), `${label}: the new COPY copies ${s}, which the context does not send`);
      }
      const rest = list.slice(k + 1);
      const run = rest.findIndex((i) => i.getKeyword() === 'RUN');
      const full = rest.findIndex((i) => outFull.includes(i));
      assert.ok(run !== -1 && full > run, `${label}: the full COPY must follow the install after the manifest COPY`);
    }
  }
}

const test = suite('split-copy: the files in the image stay the same');

const cases = loadCases().filter((c) => c.transform === 'split-copy' && c.contextDir !== null);

test('snapshot cases: same image files, manifests sent, full COPY after the install', () => {
  assert.ok(cases.length > 20);
  for (const c of cases) {
    if (c.output === null) continue;
    checkPair(c.input, c.output, c.contextDir!, c.name);
  }
});

// ------------------------------------------------------------------------------------------------
// Generated cases

const ECOS = {
  npm: { install: ['npm ci', 'npm install', 'npm ci --omit=dev'], files: ['package-lock.json', '.npmrc'], required: { 'package.json': '{"name":"x","dependencies":{"a":"1"}}\n' } },
  yarn: { install: ['yarn install --frozen-lockfile', 'yarn'], files: ['yarn.lock', '.yarnrc.yml', '.yarn/releases/yarn.cjs'], required: { 'package.json': '{"name":"x"}\n' } },
  pip: { install: ['pip install -r requirements.txt', 'pip install --no-cache-dir -r requirements.txt'], files: [], required: { 'requirements.txt': 'flask\n' } },
  go: { install: ['go build -o /bin/app .', 'go mod download'], files: ['go.sum'], required: { 'go.mod': 'module x\n' } },
} as const;
const IGNORE_LINES = ['node_modules', '*.md', 'package-lock.json', '.npmrc', 'docs', '!docs/keep.md', '.git', 'go.sum', '.yarn', '!.yarn/releases', 'src/*.tmp'];

const arbCase = fc.record({
  eco: fc.constantFrom(...(Object.keys(ECOS) as (keyof typeof ECOS)[])),
  pick: fc.nat(5),
  optional: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  ignore: fc.option(fc.subarray(IGNORE_LINES), { nil: null }),
  extra: fc.subarray(['README.md', 'docs/a.md', 'docs/keep.md', 'src/main.ts', 'src/x.tmp', 'node_modules/a/index.js']),
  keyword: fc.constantFrom('COPY', 'ADD', 'copy'),
  flags: fc.constantFrom('', '--chown=1000:1000 ', '--link ', '--chmod=644 '),
  dest: fc.constantFrom('.', './', '/app', '/app/', '$APP'),
  src: fc.constantFrom('.', './'),
  between: fc.constantFrom('', 'ENV NODE_ENV=production\n', 'LABEL a=b\n', 'EXPOSE 8080\n'),
  after: fc.constantFrom('', 'RUN make\n', 'CMD ["run"]\n'),
  style: fc.constantFrom('copy', 'bind'),
});

test('generated cases: same image files, idempotent, manifests sent', async () => {
  await fc.assert(fc.asyncProperty(arbCase, async (g) => {
    const eco = ECOS[g.eco];
    const files: Record<string, string> = { ...eco.required };
    eco.files.forEach((f, i) => { if (g.optional[i]) files[f] = `${f}\n`; });
    for (const e of g.extra) files[e] = `${e}\n`;
    if (g.ignore) files['.dockerignore'] = g.ignore.join('\n') + '\n';
    const root = tree(files);
    try {
      const wd = g.dest.startsWith('.') ? 'WORKDIR /app\n' : g.dest === '$APP' ? 'ENV APP=/app\nWORKDIR $APP\n' : 'WORKDIR /app\n';
      const input = `FROM base\n${wd}${g.keyword} ${g.flags}${g.src} ${g.dest}\n${g.between}RUN ${eco.install[g.pick % eco.install.length]}\n${g.after}`;
      const opts = { transforms: [splitCopy], buildContext: contextFs(root), file: 'Dockerfile', options: { 'split-copy': { style: g.style } } };
      const once = await runPipeline(input, opts);
      checkPair(input, once.text, root, input);
      const twice = await runPipeline(once.text, opts);
      assert.is(twice.text, once.text, 'not idempotent');
      assert.equal(twice.outcomes.filter((o) => o.kind === 'rewrite'), []);
      const sentNodeModules = existsSync(join(root, 'node_modules')) && !(g.ignore ?? []).includes('node_modules');
      if (once.text === input && !(sentNodeModules && (g.eco === 'npm' || g.eco === 'yarn'))) {
        // every input here is splittable unless a required manifest is excluded or node_modules is sent
        const reasons = once.outcomes.filter((o) => o.kind === 'refuse').map((o) => o.message).join('; ');
        // known reasons: a required manifest excluded, node_modules sent, `npm install`/`yarn` with a
        // lockfile they may rewrite, the bind style with --chown/--chmod
        assert.match(reasons, /excluded by the \.dockerignore|sends node_modules|rewrites (package-lock\.json|yarn\.lock) when it is out of date|--split-style bind: the COPY has --ch(own|mod)/, `not split without a known reason: ${input}\n${JSON.stringify(files)}\n${reasons}`);
      }
    } finally {
      cleanup(root);
    }
  }), { numRuns: 150 });
});

test.run();
