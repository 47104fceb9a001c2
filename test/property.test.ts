/**
 * Property tests (fast-check): Dockerfiles generated from a grammar (FROM with tags, digests, ARGs and
 * --platform; RUN in shell, exec and heredoc form with continuations and embedded comments; COPY/ADD with
 * flags; ENV/ARG/USER/WORKDIR/SHELL; directives; CRLF; BOM; backtick escape), some of them sprinkled with
 * odd characters (lone carriage returns, form feeds, vertical tabs, other control characters, Unicode
 * spaces and line separators), go through the default pipeline, one transform at a time, and every step
 * must: never throw; keep the output parseable; leave every instruction it did not edit byte-identical,
 * at the place the edits shift it to, still parsed as the same instruction (so no edit swallowed its
 * neighbour), in the same order; and a second run must change nothing.
 *
 * A second check does not share dockerfile-ast's reading of the text: input and output are split into
 * lines as BuildKit splits them (on \n only), and every such line outside the reported edits must be in
 * the output, unchanged and in order. A file with a character on which BuildKit and dockeropt read the
 * lines or words differently must be refused (a FileError naming BuildKit's line), never edited.
 *
 * The main run uses a new seed each time (printed, with the command that replays it, when it fails);
 * PROPERTY_SEED and PROPERTY_RUNS set them. A fixed seed and the inputs earlier runs found stay as
 * regression cases.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { validate } from 'dockerfile-utils';
import { DocView, BOM } from '../src/document.js';
import { runPipeline } from '../src/pipeline.js';
import { selectTransforms } from '../transforms/index.js';
import { applyEdits, type Edit } from '../src/edits.js';
import { FileError } from '../src/errors.js';
import type { ReportedOutcome } from '../src/types.js';

/** The main run: a new seed each time unless PROPERTY_SEED is set; ~2,000 cases fit CI (about 2 minutes on its 2 cores). */
const SEED = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : (Date.now() ^ (process.pid << 10)) % 2 ** 31;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 2000);
/** The seed the suite used before seeds rotated, kept as a regression case. */
const FIXED_SEED = 20261126;
const FIXED_RUNS = 150;

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const image = fc.oneof(
  pick(['node:20', 'node:20-slim', 'python:3.12', 'golang:1.22', 'debian:12', 'alpine:3.19', 'ubuntu', 'scratch', '${BASE}', 'node:${NODE_VERSION}-alpine']),
  pick(['debian:12@sha256:' + 'a'.repeat(64), 'ghcr.io/org/app:1.0', 'localhost:5000/team/app']),
);
const shellCmd = pick([
  'apt-get update', 'apt-get install -y --no-install-recommends curl ca-certificates', 'rm -rf /var/lib/apt/lists/*',
  'apk add --no-cache git', 'pip install --no-cache-dir -r requirements.txt', 'npm ci', 'npm run build', 'yarn install --frozen-lockfile',
  'go build -o /out/app ./cmd/app', 'cd /app', 'export PATH=/opt/bin:$PATH', 'echo "hello $NAME"', 'make || true', 'a; b',
  'mkdir -p /x && cd /x', 'useradd -m app', 'cargo build --release', 'mvn -B package', 'dnf install -y gcc', 'set -eux',
]);
const continued = fc.tuple(fc.array(shellCmd, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean()).map(([cmds, comment, trailing]) => ({ cmds, comment, trailing }));

type Ins = (esc: string) => string;
const runShell: fc.Arbitrary<Ins> = fc.tuple(continued, pick(['', '--mount=type=cache,target=/root/.npm ', '--network=none ', '--mount=type=bind,source=.,target=/src '])).map(([c, flags]) => (esc: string) => {
  const parts = c.cmds.map((cmd, i) => (i === 0 ? cmd : c.trailing ? `    ${cmd}` : `    && ${cmd}`));
  const lines: string[] = [];
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    lines.push(last ? p : c.trailing ? `${p} && ${esc}` : `${p} ${esc}`);
    if (!last && c.comment && i === 0) lines.push('    # an embedded comment');
  });
  return `RUN ${flags}${lines.join('\n')}`;
});
const instruction: fc.Arbitrary<Ins> = fc.oneof(
  { weight: 6, arbitrary: runShell },
  { weight: 1, arbitrary: pick(['RUN ["npm", "ci"]', 'RUN ["/bin/sh", "-c", "echo hi"]']).map((s) => () => s) },
  { weight: 1, arbitrary: pick(['RUN <<EOF\napt-get update\napt-get install -y curl\nEOF', 'COPY <<EOT /etc/motd\nhello\nEOT']).map((s) => () => s) },
  { weight: 3, arbitrary: pick(['COPY . .', 'COPY package.json package-lock.json ./', 'COPY --chown=1000:1000 . /app', 'ADD . /src', 'COPY --from=build /out/app /usr/local/bin/app', 'COPY requirements.txt .', 'COPY --from=node:20 /usr/local/bin/node /usr/local/bin/']).map((s) => () => s) },
  { weight: 2, arbitrary: pick(['ENV NODE_ENV=production', 'ENV PIP_NO_CACHE_DIR=1', 'ARG VERSION=1.0', 'ARG NODE_VERSION', 'USER node', 'USER 1001', 'USER root', 'WORKDIR /app', 'WORKDIR src', 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', 'SHELL ["pwsh", "-Command"]', 'EXPOSE 3000', 'EXPOSE 80', 'VOLUME /data', 'LABEL org.opencontainers.image.source=x']).map((s) => () => s) },
  { weight: 1, arbitrary: pick(['CMD ["node", "server.js"]', 'CMD npm start', 'ENTRYPOINT ["/usr/local/bin/app"]', 'HEALTHCHECK CMD curl -f http://localhost/ || exit 1']).map((s) => () => s) },
  { weight: 1, arbitrary: pick(['# a comment', '', '# dockeropt ignore=merge-run', '   # indented comment']).map((s) => () => s) },
);
const stage = fc.tuple(image, fc.boolean(), pick(['', 'build', 'runtime']), fc.array(instruction, { minLength: 0, maxLength: 8 }))
  .map(([img, platform, name, body]) => (esc: string) =>
    [`FROM ${platform ? '--platform=$BUILDPLATFORM ' : ''}${img}${name ? ` AS ${name}` : ''}`, ...body.map((b) => b(esc))].join('\n'));
const dockerfile = fc.record({
  directives: pick(['', '# syntax=docker/dockerfile:1\n', '# escape=`\n', '# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended\n']),
  args: pick(['', 'ARG BASE=node:20\n', 'ARG NODE_VERSION=20\n']),
  stages: fc.array(stage, { minLength: 1, maxLength: 3 }),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
}).map((r) => {
  const esc = r.directives.includes('escape=`') ? '`' : '\\';
  let text = r.directives + r.args + r.stages.map((s) => s(esc)).join('\n') + (r.finalNewline ? '\n' : '');
  if (r.crlf) text = text.replace(/\n/g, '\r\n');
  return (r.bom ? BOM : '') + text;
});

/**
 * Odd characters inserted at random places (some between a \r and its \n, making it a lone \r), or a line
 * break turned into a lone \r: the ones BuildKit and dockeropt read differently must be refused, the
 * others (control characters that are ordinary characters to every reader) edited around like any other.
 */
const ODD = ['\r', 'LF->CR', '\f', '\v', '\u2028', '\u2029', '\u0085', '\u00a0', '\u3000', '\ufeff',
  '\x01', '\x08', '\x0e', '\x1b', '\x1f', '\x7f', '\u0080', '\u009f', '\u200b', '\x01', '\x1b', '\x7f'] as const;
const sprinkle = (text: string, odd: readonly [number, string][]): string => {
  let t = text;
  for (const [at, c] of odd) {
    if (c === 'LF->CR') {
      const nl = t.indexOf('\n', at % (t.length + 1));
      if (nl !== -1) t = t.slice(0, nl) + '\r' + t.slice(nl + 1);
      continue;
    }
    const i = at % (t.length + 1);
    t = t.slice(0, i) + c + t.slice(i);
  }
  return t;
};
const generated = fc.tuple(dockerfile, fc.nat(9), fc.array(fc.tuple(fc.nat(), pick(ODD)), { minLength: 1, maxLength: 3 }))
  .map(([text, roll, odd]) => (roll < 3 ? sprinkle(text, odd) : text));

/**
 * Where BuildKit and dockeropt read a text differently, stated here on its own: a \r not followed by \n
 * (BuildKit: part of the line; dockerfile-ast: a line break), what Go's unicode.IsSpace calls a space
 * beyond space, tab and line breaks (BuildKit trims and splits on them; dockerfile-ast does not), and
 * U+FEFF after the start (JavaScript's \s and trim() take it for a space; BuildKit does not).
 */
const DISAGREE = /\r(?!\n)|[\v\f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const stripBom = (t: string) => (t.startsWith(BOM) ? t.slice(1) : t);

/** BuildKit's lines: the text split on \n only, each with its offset (a \r stays part of its line). */
function buildkitLines(t: string): { start: number; body: string; terminated: boolean }[] {
  const out: { start: number; body: string; terminated: boolean }[] = [];
  for (let s = 0; s < t.length;) {
    const nl = t.indexOf('\n', s);
    const e = nl === -1 ? t.length : nl;
    out.push({ start: s, body: t.slice(s, e), terminated: nl !== -1 });
    s = e + 1;
  }
  return out;
}

/** Where the start of a line lands after the edits (text inserted at its start goes before it). */
function lineShift(offset: number, edits: readonly Edit[]): number {
  let d = 0;
  for (const e of edits) if (e.end <= offset && (e.start < offset || e.start === e.end)) d += e.text.length - (e.end - e.start);
  return offset + d;
}

/** An edit changes the line [start, end] (its terminator included); an insertion at its start does not. */
const touchesLine = (e: Edit, start: number, end: number) => (e.start === e.end ? e.start > start && e.start <= end : e.start <= end && e.end > start);

/**
 * Every BuildKit line of `before` that no edit touches is a line of `after`, with the same bytes, at the
 * place the edits shift it to, in the same order. Edits come per step (each indexes the text the step saw).
 */
function checkBuildkitLines(before: string, after: string, outcomes: readonly ReportedOutcome[], label: string): void {
  const steps = new Map<number, Edit[]>();
  for (const o of outcomes) if (o.kind === 'rewrite' && o.edits?.length) steps.set(o.step ?? 0, [...(steps.get(o.step ?? 0) ?? []), ...o.edits]);
  let cur = stripBom(before);
  for (const step of [...steps.keys()].sort((a, b) => a - b)) {
    const edits = steps.get(step)!;
    const next = applyEdits(cur, edits);
    const out = buildkitLines(next);
    const at = new Map(out.map((l, i) => [l.start, i]));
    let last = -1;
    for (const l of buildkitLines(cur)) {
      const end = l.start + l.body.length;
      if (edits.some((e) => touchesLine(e, l.start, end))) continue;
      const i = at.get(lineShift(l.start, edits));
      const got = i === undefined ? undefined : out[i]!;
      assert.ok(got !== undefined && got.body === l.body && (got.terminated || !l.terminated),
        `~> ${label}: BuildKit's line ${JSON.stringify(l.body)} is outside the edits but not in the output as it was:\n${JSON.stringify(next)}`);
      assert.ok(i! > last, `~> ${label}: BuildKit's line ${JSON.stringify(l.body)} moved out of order`);
      last = i!;
    }
    cur = next;
  }
  assert.is(cur, stripBom(after), `~> ${label}: the reported edits do not make the output`);
}

const parseErrors = (t: string) => validate(t.startsWith(BOM) ? t.slice(1) : t).filter((d) => d.severity === 1).map((d) => d.message);

/** Where an offset of the text before the edits lands after them. */
function shift(offset: number, edits: readonly Edit[]): number {
  let d = 0;
  for (const e of edits) if (e.end <= offset && !(e.start === e.end && e.start === offset)) d += e.text.length - (e.end - e.start);
  return offset + d;
}

async function checkStep(before: string, id: string): Promise<string> {
  const [t] = selectTransforms([id]);
  const r = await runPipeline(before, { transforms: [t!], runtime: true });
  const edits = r.outcomes.flatMap((o) => (o.kind === 'rewrite' ? o.edits ?? [] : []));
  if (r.text === before) {
    assert.is(edits.length, 0, `~> ${id} reported edits but the text is unchanged`);
    return r.text;
  }
  const b = new DocView(before.startsWith(BOM) ? before.slice(1) : before);
  const a = new DocView(r.text.startsWith(BOM) ? r.text.slice(1) : r.text);
  const afterSpans = new Set(a.instructions().map((i) => { const s = a.span(i); return `${s.start}:${s.end}`; }));
  for (const ins of b.instructions()) {
    const s = b.span(ins);
    if (edits.some((e) => e.start <= s.end && e.end >= s.start)) continue;
    const ns = shift(s.start, edits), ne = ns + (s.end - s.start);
    assert.is(a.text.slice(ns, ne), b.text.slice(s.start, s.end), `~> ${id}: an instruction it did not edit changed`);
    assert.ok(afterSpans.has(`${ns}:${ne}`), `~> ${id}: the untouched instruction at line ${b.lineOfNode(ins)} no longer parses as itself:\n${b.slice(ins)}\n--- output ---\n${a.text}`);
  }
  checkBuildkitLines(before, r.text, r.outcomes, id);
  const errs = parseErrors(before);
  for (const e of parseErrors(r.text)) assert.ok(errs.includes(e), `~> ${id}: output has a new parse error: ${e}\n${r.text}`);
  return r.text;
}

/** A file on which BuildKit and dockeropt disagree is refused with BuildKit's line, and nothing else happens. */
async function checkRefused(input: string): Promise<void> {
  const text = stripBom(input);
  const m = DISAGREE.exec(text)!;
  const line = text.slice(0, m.index).split('\n').length;
  let err: unknown = null;
  try { await runPipeline(input, { transforms: selectTransforms(), file: 'Dockerfile' }); } catch (e) { err = e; }
  assert.instance(err, FileError, `~> not refused: ${JSON.stringify(input)}`);
  assert.is((err as FileError).line, line, `~> refused at another line than BuildKit's: ${JSON.stringify(input)}`);
  assert.ok(/BuildKit reads it as/.test((err as FileError).message), (err as FileError).message);
}

/** A heredoc refused as never terminated: no BuildKit line after its instruction is its name (tabs and a \r aside). */
function checkUnterminated(input: string, e: FileError): void {
  const name = /<<(\S+) is never terminated/.exec(e.message)?.[1];
  assert.ok(name && e.line, e.message);
  const later = stripBom(input).split('\n').slice(e.line!).map((l) => l.replace(/\r$/, '').replace(/^\t+/, ''));
  assert.not.ok(later.includes(name!), `~> refused as unterminated, but a line ${name} follows: ${JSON.stringify(input)}`);
}

/** Instructions as BuildKit knows them (its parser's dispatch table). */
const INSTRUCTIONS = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);
/**
 * A file refused as invalid, checked on that line as BuildKit splits lines and words (not as dockerfile-ast
 * reads it): an unknown instruction's first word is none; a bad FROM has neither one argument nor three with AS.
 */
function checkInvalid(input: string, e: FileError): void {
  assert.ok(e.line, e.message);
  const words = (stripBom(input).split('\n')[e.line! - 1] ?? '').replace(/\r$/, '').split(/[ \t]+/).filter(Boolean);
  if (e.message.includes('unknown instruction')) {
    assert.ok(words.length > 0 && !INSTRUCTIONS.has(words[0]!.toUpperCase()), `~> refused as an unknown instruction, but line ${e.line} starts with ${JSON.stringify(words[0])}: ${JSON.stringify(input)}`);
  } else {
    const args = words.slice(1).filter((w) => !w.startsWith('--'));
    assert.is(words[0]!.toUpperCase(), 'FROM', e.message);
    assert.ok(!(args.length === 1 || (args.length === 3 && args[1]!.toUpperCase() === 'AS')), `~> refused as a bad FROM, but line ${e.line} has ${JSON.stringify(args)}: ${JSON.stringify(input)}`);
  }
}

/** The whole property for one generated file; counts what it saw into `stats`. */
async function property(input: string, stats: { changed: number; refused: number; odd: number; rewritesBy: Map<string, number> }): Promise<void> {
  if (!IGNORED.test(input) && DISAGREE.test(stripBom(input))) { stats.refused++; await checkRefused(input); return; }
  if (/[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b]/.test(input)) stats.odd++;
  let whole;
  try {
    whole = await runPipeline(input, { transforms: selectTransforms(), runtime: true });
  } catch (e) {
    if (!(e instanceof FileError) || !/is never terminated|is not a valid Dockerfile: (unknown instruction|FROM requires)/.test(e.message)) throw e;
    if (e.message.includes('is never terminated')) checkUnterminated(input, e);
    else checkInvalid(input, e);
    stats.refused++;
    return;
  }
  const ids = selectTransforms().map((t) => t.id);
  let text = input;
  for (let pass = 0, prev = ''; prev !== text && pass < 4; pass++) {
    prev = text;
    for (const id of ids) text = await checkStep(text, id);
  }
  if (whole.text !== input) stats.changed++;
  for (const o of whole.outcomes) if (o.kind === 'rewrite') stats.rewritesBy.set(o.transform, (stats.rewritesBy.get(o.transform) ?? 0) + 1);
  assert.is(whole.text, text, '~> one pipeline run equals the steps in order, pass after pass');
  checkBuildkitLines(input, whole.text, whole.outcomes, 'the whole pipeline');
  const again = await runPipeline(whole.text, { transforms: selectTransforms(), runtime: true });
  assert.is(again.text, whole.text, `~> a second run changed it again:\n${whole.text}`);
  assert.is(whole.text.startsWith(BOM), input.startsWith(BOM), '~> BOM kept');
  // a file that is CRLF throughout stays so (an input that mixes both may keep its bare LFs)
  const bareLf = (t: string) => /[^\r]\n/.test(t.replace(/^\n/, ''));
  if (input.includes('\r\n') && !bareLf(input)) assert.not.ok(bareLf(whole.text), '~> CRLF file got a bare LF');
}
/** `# dockeropt ignore-file` (as the pipeline finds it): such a file is left alone before anything reads it. */
const IGNORED = /^[ \t]*#[ \t]*dockeropt[ \t]+ignore-file\b/m;

const newStats = () => ({ changed: 0, refused: 0, odd: 0, rewritesBy: new Map<string, number>() });

/** Found by earlier runs (seeds 11 and 6666666 at 4,000 runs, and the probe of issue 20). */
const REGRESSIONS = [
  'FROM node:20\nADD . /src\nRUN apt-get update\nRUN apt-get update',
  'FROM debian:12@sha256:' + 'a'.repeat(64) + '\nCOPY --chown=1000:1000 . /app\nRUN apt-get update\nRUN apt-get update',
  'FROM node:20\nCOPY . /src\nRUN apt-get update\nRUN apt-get install -y curl',
  'FROM a\nRUN x\rRUN y\nRUN zzzz\nCMD c\n',
  'FROM debian:12\nRUN echo a\x1b\nRUN echo b\x7f\nUSER 1001\n',
  '# syntax=docker/dockerfile:1\r\nARG NODE_VERSION=20\nFROM --platform=$BUILDPLATFORM python:3.12',
];

const prop = suite('property: default pipeline over generated Dockerfiles');
prop(`never throws, edits only what it reports, output parses, idempotent (seed ${SEED}, ${RUNS} runs)`, async () => {
  const stats = newStats();
  try {
    await fc.assert(fc.asyncProperty(generated, (input) => property(input, stats)), { seed: SEED, numRuns: RUNS, includeErrorInReport: true, verbose: Number(process.env.PROPERTY_VERBOSE ?? 0) });
  } catch (e) {
    console.error(`\nproperty test failed with seed ${SEED}; replay it with: PROPERTY_SEED=${SEED} PROPERTY_RUNS=${RUNS} node scripts/test.mjs property\n`);
    throw e;
  }
  // the property is only worth something if the generated files do get rewritten, and odd ones get made
  assert.ok(stats.changed > RUNS / 5, `~> only ${stats.changed} of ${RUNS} generated files were rewritten`);
  assert.ok(stats.refused > RUNS / 20 && stats.odd > RUNS / 20, `~> only ${stats.refused} refused and ${stats.odd} with other odd characters of ${RUNS}`);
  for (const id of ['hoist-system-deps', 'merge-run', 'cache-mounts', 'non-root']) assert.ok((stats.rewritesBy.get(id) ?? 0) > 0, `~> no generated file exercised ${id}`);
});
prop(`regression: the fixed seed ${FIXED_SEED} and the inputs earlier runs found`, async () => {
  const stats = newStats();
  await fc.assert(fc.asyncProperty(generated, (input) => property(input, stats)), { seed: FIXED_SEED, numRuns: FIXED_RUNS, examples: REGRESSIONS.map((r) => [r]), includeErrorInReport: true });
  assert.ok(stats.changed > FIXED_RUNS / 5, `~> only ${stats.changed} of ${FIXED_RUNS} generated files were rewritten`);
});
prop.run();
