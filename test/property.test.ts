/**
 * Property tests (fast-check, fixed seed): Dockerfiles generated from a grammar (FROM with tags,
 * digests, ARGs and --platform; RUN in shell, exec and heredoc form with continuations and embedded
 * comments; COPY/ADD with flags; ENV/ARG/USER/WORKDIR/SHELL; directives; CRLF; BOM; backtick escape)
 * go through the default pipeline, one transform at a time, and every step must:
 * never throw; keep the output parseable; leave every instruction it did not edit byte-identical, at the
 * place the edits shift it to, still parsed as the same instruction (so no edit swallowed its neighbour),
 * in the same order; and a second run must change nothing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { validate } from 'dockerfile-utils';
import { DocView, BOM } from '../src/document.js';
import { runPipeline } from '../src/pipeline.js';
import { selectTransforms } from '../transforms/index.js';
import type { Edit } from '../src/edits.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 20261126);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

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
  const errs = parseErrors(before);
  for (const e of parseErrors(r.text)) assert.ok(errs.includes(e), `~> ${id}: output has a new parse error: ${e}\n${r.text}`);
  return r.text;
}

const prop = suite('property: default pipeline over generated Dockerfiles');
prop('never throws, edits only what it reports, output parses, idempotent', async () => {
  const ids = selectTransforms().map((t) => t.id);
  let changed = 0;
  const rewritesBy = new Map<string, number>();
  await fc.assert(fc.asyncProperty(dockerfile, async (input) => {
    let text = input;
    for (let pass = 0, prev = ''; prev !== text && pass < 4; pass++) {
      prev = text;
      for (const id of ids) text = await checkStep(text, id);
    }
    const whole = await runPipeline(input, { transforms: selectTransforms(), runtime: true });
    if (whole.text !== input) changed++;
    for (const o of whole.outcomes) if (o.kind === 'rewrite') rewritesBy.set(o.transform, (rewritesBy.get(o.transform) ?? 0) + 1);
    assert.is(whole.text, text, '~> one pipeline run equals the steps in order, pass after pass');
    const again = await runPipeline(whole.text, { transforms: selectTransforms(), runtime: true });
    assert.is(again.text, whole.text, `~> a second run changed it again:\n${whole.text}`);
    assert.is(whole.text.startsWith(BOM), input.startsWith(BOM), '~> BOM kept');
    if (input.includes('\r\n')) assert.not.ok(/[^\r]\n/.test(whole.text.replace(/^\n/, '')), '~> CRLF file got a bare LF');
  }), { seed: SEED, numRuns: RUNS });
  // the property is only worth something if the generated files do get rewritten
  assert.ok(changed > RUNS / 4, `~> only ${changed} of ${RUNS} generated files were rewritten`);
  for (const id of ['hoist-system-deps', 'merge-run', 'cache-mounts', 'non-root']) assert.ok((rewritesBy.get(id) ?? 0) > 0, `~> no generated file exercised ${id}`);
});
prop.run();
